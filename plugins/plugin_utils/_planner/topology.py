# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory -> topology: every host's components, addresses and features, and each component's peers, once per run.

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError, kind_of
from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import parse_ports
from ansible_collections.vdi.firewall.plugins.plugin_utils._addresses import (
    endpoint_network,
    host_address,
    is_address,
    resolve_host,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import Catalog
from ansible_collections.vdi.firewall.plugins.plugin_utils._features import features_by_presence
from ansible_collections.vdi.firewall.plugins.plugin_utils._lint import normalise_tiers
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner.model import HostInput, Topology, require_netaddr
from ansible_collections.vdi.firewall.plugins.plugin_utils._variables import group_typos

ANY_ADDRESSES = ("0.0.0.0/0", "::/0")


def _parse_address(value, where: str, network: bool, allow_loopback: bool = False) -> str:
    """An address as a CIDR: a network for endpoints, the single address for hosts (see addresses.py)."""
    require_netaddr()
    return endpoint_network(value, where, allow_loopback) if network else host_address(value, where, allow_loopback)


def _as_list(value, where: str) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise VdiFirewallError(f"{where}: expected a string or a list, got {kind_of(value)}")


def _host_addresses(host: HostInput, resolve_names: bool = True, resolver=None,
                    allow_loopback: bool = False) -> tuple[str, ...]:
    explicit = _as_list(host.address, f"host '{host.name}': vdi_firewall_address")
    if explicit:
        return tuple(_parse_address(item, f"host '{host.name}': vdi_firewall_address", False, allow_loopback)
                     for item in explicit)
    if host.ansible_host not in (None, ""):
        require_netaddr()
        text = str(host.ansible_host).strip()
        if is_address(text):
            return (_parse_address(text, f"host '{host.name}': ansible_host", False, allow_loopback),)
        if resolve_names:
            return resolve_host(text, host.name, resolver)
        raise VdiFirewallError(
            f"host '{host.name}': ansible_host {text!r} is a name and vdi_firewall_resolve_names is off: "
            "set vdi_firewall_address to the host's address")
    raise VdiFirewallError(
        f"host '{host.name}' has no usable address: set vdi_firewall_address, or ansible_host to an IP address "
        "or a name the controller resolves")


def normalise_group_map(catalog: Catalog, group_map) -> dict[str, tuple[str, ...]]:
    """Validate vdi_firewall_group_map: group -> component id(s)."""
    if group_map in (None, ""):
        return {}
    if not isinstance(group_map, dict):
        raise VdiFirewallError("vdi_firewall_group_map must be a mapping of group name to component id(s)")
    result = {}
    for group, components in group_map.items():
        where = f"vdi_firewall_group_map['{group}']"
        items = tuple(str(item) for item in _as_list(components, where))
        for component in items:
            if component not in catalog.components:
                raise VdiFirewallError(f"{where}: unknown component '{component}'")
        result[str(group)] = items
    return result


def normalise_endpoints(catalog: Catalog, endpoints, allow_loopback: bool = False) -> dict[str, tuple[str, ...]]:
    """Validate vdi_firewall_endpoints: component -> addresses/CIDRs ('any' for every address)."""
    if endpoints in (None, ""):
        return {}
    if not isinstance(endpoints, dict):
        raise VdiFirewallError("vdi_firewall_endpoints must be a mapping of component id to addresses")
    result = {}
    for component, addresses in endpoints.items():
        where = f"vdi_firewall_endpoints['{component}']"
        if component not in catalog.components:
            raise VdiFirewallError(f"{where}: unknown component '{component}'")
        parsed: list[str] = []
        for item in _as_list(addresses, where):
            if str(item).strip().lower() == "any":
                parsed.extend(ANY_ADDRESSES)
            else:
                parsed.append(_parse_address(item, where, True, allow_loopback))
        result[str(component)] = tuple(parsed)
    return result


def normalise_features(catalog: Catalog, features, where: str, sources=None) -> dict | None:
    """Validate a vdi_firewall_features mapping (feature -> bool); sources: feature -> the variable it came from."""
    if features in (None, ""):
        return None
    if not isinstance(features, dict):
        raise VdiFirewallError(f"{where}: vdi_firewall_features must be a mapping of feature to true/false, "
                               f"got {kind_of(features)}")
    for name, value in features.items():
        variable = (sources or {}).get(name, "vdi_firewall_features")
        if name not in catalog.features:
            raise VdiFirewallError(f"{where}: {variable}: unknown feature '{name}'")
        if not isinstance(value, bool):
            raise VdiFirewallError(f"{where}: {variable}['{name}'] must be true or false, got {value!r}")
    return dict(features)


def normalise_symbolic_ports(catalog: Catalog, values) -> dict:
    """Validate vdi_firewall_symbolic_ports (symbolic port -> value)."""
    if values in (None, ""):
        return {}
    if not isinstance(values, dict):
        raise VdiFirewallError("vdi_firewall_symbolic_ports must be a mapping of symbolic port to port(s)")
    for name, value in values.items():
        if name not in catalog.symbolic_ports:
            raise VdiFirewallError(f"vdi_firewall_symbolic_ports: unknown symbolic port '{name}'")
        parse_ports(value, f"vdi_firewall_symbolic_ports['{name}']")
    return dict(values)


def build_topology(catalog: Catalog, hosts, group_map=None, endpoints=None, symbolic_ports=None,
                   secure_only: bool = False, tiers=None, resolve_names: bool = True, resolver=None,
                   supplements: bool = True, allow_loopback: bool = False) -> Topology:
    """Work out every host's components and addresses, and each component's peers, once per run.

    supplements: plan the supplement layer as well as the documents' rows (False: the documents
    literally); with it, a host with a component that implies another (``implied_by``) also has it.

    resolve_names: resolve an ansible_host that is a DNS name on the controller (resolver: a
    function name -> addresses, default the system's); off, such a host needs vdi_firewall_address.
    """
    _require_bool("vdi_firewall_secure_only", secure_only)
    _require_bool("vdi_firewall_supplements", supplements)
    implied = catalog.implied_components() if supplements else {}
    tier_map = normalise_tiers(catalog.components, tiers)
    user_map = normalise_group_map(catalog, group_map)
    _require_bool("vdi_firewall_allow_loopback", allow_loopback)
    endpoint_map = normalise_endpoints(catalog, endpoints, allow_loopback)
    placed = _Placement()
    resolved = _ComponentResolver(catalog, user_map, implied)
    for host in hosts:
        _place_host(placed, catalog, host, resolved, resolve_names, resolver, allow_loopback)
    notices = _features_on_by_presence(catalog, placed)
    notices.extend(_shared_address_notices(placed.host_addresses))
    not_planned, typo_notices = _not_planned(catalog, user_map, placed.unplanned)
    notices.extend(typo_notices)
    return Topology(
        not_planned=not_planned,
        notices=notices,
        catalog=catalog,
        host_components=placed.host_components,
        host_addresses=placed.host_addresses,
        host_products=placed.host_products,
        host_features=placed.host_features,
        component_hosts=placed.component_hosts,
        component_endpoints=endpoint_map,
        products=tuple(sorted(placed.products)),
        symbolic_ports=normalise_symbolic_ports(catalog, symbolic_ports),
        secure_only=secure_only,
        tiers=tier_map,
        component_tiers={**catalog.tiers, **tier_map},
        supplements=supplements,
    )


def _require_bool(variable: str, value) -> None:
    if not isinstance(value, bool):
        raise VdiFirewallError(f"{variable} must be true or false, got {value!r}")


@dataclass
class _Placement:
    """The per-host tables build_topology fills, host by host."""

    host_components: dict[str, tuple[str, ...]] = field(default_factory=dict)
    host_addresses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    host_products: dict[str, str | None] = field(default_factory=dict)
    host_features: dict[str, dict | None] = field(default_factory=dict)
    component_hosts: dict[str, list[str]] = field(default_factory=dict)
    products: set[str] = field(default_factory=set)
    # hosts with no component, not planned
    unplanned: list[HostInput] = field(default_factory=list)


@dataclass
class _ComponentResolver:
    """A host's components from its groups and vdi_firewall_components, with the implied ones (cached)."""

    catalog: Catalog
    user_map: dict[str, tuple[str, ...]]
    implied: dict
    _cache: dict[tuple, tuple[str, ...]] = field(default_factory=dict)

    def components(self, host: HostInput, product: str | None) -> tuple[str, ...]:
        direct = tuple(str(item) for item in _as_list(host.components, f"host '{host.name}': vdi_firewall_components"))
        cache_key = (product, tuple(host.groups), direct)
        components = self._cache.get(cache_key)
        if components is None:
            components = _components_of(self.catalog, host, product, direct, self.user_map)
            extra = {component for component, markers in self.implied.items() if markers.intersection(components)}
            if extra - set(components):
                components = tuple(sorted(set(components) | extra))
            self._cache[cache_key] = components
        return components


def _place_host(placed: _Placement, catalog: Catalog, host: HostInput, resolved: _ComponentResolver,
                resolve_names: bool, resolver, allow_loopback: bool) -> None:
    """Record one host's product, components, addresses and features, or that it is not planned."""
    product = host.product or None
    if product is not None and product not in catalog.products:
        raise VdiFirewallError(
            f"host '{host.name}': vdi_firewall_product {product!r} is not one of {', '.join(sorted(catalog.products))}"
        )
    components = resolved.components(host, product)
    placed.host_products[host.name] = product
    if not components:
        placed.unplanned.append(host)
        return
    placed.host_components[host.name] = components
    placed.host_addresses[host.name] = _host_addresses(host, resolve_names, resolver, allow_loopback)
    placed.host_features[host.name] = normalise_features(catalog, host.features, f"host '{host.name}'",
                                                         host.feature_sources)
    if product:
        placed.products.add(product)
    for component in components:
        placed.component_hosts.setdefault(component, []).append(host.name)
        owner = catalog.components[component]["product"]
        if owner in catalog.products:
            placed.products.add(owner)


def _features_on_by_presence(catalog: Catalog, placed: _Placement) -> list[str]:
    """Switch on, for every host that leaves it unset, a feature whose component an inventory host has.

    An explicit false still wins. Returns a notice for each feature switched on so.
    """
    notices = []
    present = features_by_presence(catalog, placed.component_hosts, placed.products)
    host_features = placed.host_features
    for feature, owners_of in present.items():
        unset = [name for name in placed.host_components if feature not in (host_features.get(name) or {})]
        if not unset:
            continue
        for name in unset:
            host_features[name] = dict(host_features.get(name) or {}, **{feature: True})
        notices.append(f"feature {feature} is on because the inventory has its component (hosts "
                       f"{', '.join(owners_of[:5])}); set vdi_firewall_features: {{{feature}: false}} to leave it off")
    return notices


def _shared_address_notices(host_addresses: dict[str, tuple[str, ...]]) -> list[str]:
    """A notice for each address that more than one host has."""
    owners: dict[str, list[str]] = {}
    for name, addresses in host_addresses.items():
        for address in addresses:
            owners.setdefault(address, []).append(name)
    return [
        f"hosts {', '.join(repr(name) for name in names)} share the address {address}: their rules "
        "treat them as one machine (check ansible_host / vdi_firewall_address)"
        for address, names in sorted(owners.items()) if len(names) > 1]


def _not_planned(catalog: Catalog, user_map: dict[str, tuple[str, ...]],
                 unplanned: list[HostInput]) -> tuple[list[dict], list[str]]:
    """The hosts with no component, by name, with their groups' likely typos; and a notice for each typo."""
    known_groups = set(user_map) | set(catalog.components) | {
        group for defaults in catalog.group_maps.values() for group in defaults}
    not_planned = []
    notices: list[str] = []
    for host in sorted(unplanned, key=lambda item: item.name):
        typos = group_typos(host.groups, known_groups)
        not_planned.append({"host": host.name, "groups": list(host.groups), "typos": typos})
        notices.extend(f"host '{host.name}' is in no VDI group and is not planned: its group "
                       f"'{typo['group']}' looks like '{typo['nearest']}'" for typo in typos)
    return not_planned, notices


def _components_of(catalog: Catalog, host: HostInput, product, direct, user_map) -> tuple[str, ...]:
    components: set[str] = set()
    for component in direct:
        if component not in catalog.components:
            raise VdiFirewallError(f"host '{host.name}': vdi_firewall_components: unknown component '{component}'")
        components.add(component)
    for group in host.groups:
        if group in user_map:
            components.update(user_map[group])
        elif group in catalog.components:
            components.add(group)
        elif any(group in defaults for defaults in catalog.group_maps.values()):
            if product is None:
                raise VdiFirewallError(
                    f"host '{host.name}' is in group '{group}', whose components depend on the product: "
                    f"set vdi_firewall_product ({', '.join(sorted(catalog.products))})"
                )
            if group not in catalog.group_maps.get(product, {}):
                others = [name for name, defaults in sorted(catalog.group_maps.items()) if group in defaults]
                raise VdiFirewallError(
                    f"host '{host.name}' is in group '{group}', which {product} has no components for but "
                    f"{' and '.join(others)} {'does' if len(others) == 1 else 'do'}: the host's product is ambiguous "
                    "(two products' inventories combined under one vdi_firewall_product?). Set vdi_firewall_product "
                    "on the host or on its site's group, or map the group with vdi_firewall_group_map")
            components.update(catalog.group_maps[product][group])
    return tuple(sorted(components))


def deployment_topology(topology: Topology) -> dict[str, list[str]]:
    """Component -> merged CIDRs of its inventory hosts: what a sliced run needs to see its peers."""
    return {component: list(topology.peer_cidrs(component)) for component in sorted(topology.component_hosts)}


def with_topology(endpoints, known_topology) -> dict | None:
    """vdi_firewall_endpoints plus the addresses of a topology handed down from an unsliced run."""
    if known_topology in (None, "", {}):
        return endpoints
    if not isinstance(known_topology, dict):
        raise VdiFirewallError("vdi_firewall_topology must be a mapping of component id to addresses, "
                               "as vdi.firewall.plan_rules returns it in 'topology'")
    if endpoints not in (None, "") and not isinstance(endpoints, dict):
        raise VdiFirewallError("vdi_firewall_endpoints must be a mapping of component id to addresses")
    merged = {component: list(_as_list(addresses, f"vdi_firewall_endpoints['{component}']"))
              for component, addresses in (endpoints or {}).items()}
    for component, addresses in known_topology.items():
        merged.setdefault(component, []).extend(_as_list(addresses, f"vdi_firewall_topology['{component}']"))
    return merged
