# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn catalog x inventory into each host's least-privilege rules (pure Python, no Ansible).

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

try:
    from netaddr import IPSet

    HAS_NETADDR = True
except ImportError:  # pragma: no cover - exercised only without netaddr
    HAS_NETADDR = False

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import (
    PortRange,
    merge_ports,
    parse_ports,
    ports_cover,
    ports_without,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import (
    Catalog,
    Flow,
    reference_label,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._addresses import (
    endpoint_network,
    host_address,
    is_address,
    resolve_host,
)
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError, kind_of
from ansible_collections.vdi.firewall.plugins.plugin_utils._features import (
    feature_on,
    feature_text,
    features_by_presence,
    gated_off,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._variables import group_typos
from ansible_collections.vdi.firewall.plugins.plugin_utils._lint import (
    alternatives_between,
    count_warnings,
    lint_rules,
    normalise_tiers,
    plaintext_warning,
)

ANY_ADDRESSES = ("0.0.0.0/0", "::/0")
_RULE_NAME_LIMIT = 80


@dataclass
class HostInput:
    """What the planner needs to know of one inventory host."""

    name: str
    groups: tuple[str, ...] = ()
    product: str | None = None
    components: tuple[str, ...] | list | None = None
    address: object = None
    ansible_host: object = None
    features: dict | None = None
    # feature -> the variable that set it, for messages (default vdi_firewall_features)
    feature_sources: dict | None = None


@dataclass
class Topology:
    """Deployment-wide facts computed once: who is what, and where."""

    catalog: Catalog
    host_components: dict[str, tuple[str, ...]]
    host_addresses: dict[str, tuple[str, ...]]
    host_products: dict[str, str | None]
    host_features: dict[str, dict | None]
    component_hosts: dict[str, list[str]]
    component_endpoints: dict[str, tuple[str, ...]]
    products: tuple[str, ...]
    symbolic_ports: dict
    secure_only: bool = False
    tiers: dict = field(default_factory=dict)
    # every component's tier other than internal: the catalog's edge components, vdi_firewall_tiers over them
    component_tiers: dict = field(default_factory=dict)
    # False: plan the documents literally, without the supplement layer (vdi_firewall_supplements)
    supplements: bool = True
    # what the inventory says that is odd but plannable (two hosts on one address, ...), for the summary
    notices: list = field(default_factory=list)
    # inventory hosts with no component: [{host, groups, typos: [{group, nearest}]}]
    not_planned: list = field(default_factory=list)
    _addresses_cache: dict = field(default_factory=dict)
    _flow_ports_cache: dict = field(default_factory=dict)
    _index_cache: dict = field(default_factory=dict)
    _plan_cache: dict = field(default_factory=dict)

    def peer_cidrs(self, component: str) -> tuple[str, ...]:
        """Merged CIDRs of every host and endpoint of a component (cached)."""
        cached = self._addresses_cache.get(component)
        if cached is None:
            addresses = [address for host in self.component_hosts.get(component, ()) for address in self.host_addresses[host]]
            addresses.extend(self.component_endpoints.get(component, ()))
            cached = merge_cidrs(addresses)
            self._addresses_cache[component] = cached
        return cached

    def flow_ports(self, flow: Flow) -> tuple[PortRange, ...]:
        """A flow's port ranges with the run's symbolic port values (cached)."""
        cached = self._flow_ports_cache.get(flow.id)
        if cached is None:
            cached = tuple(self.catalog.resolve_ports(flow, self.symbolic_ports))
            self._flow_ports_cache[flow.id] = cached
        return cached

    def flow_index(self) -> tuple[dict, dict]:
        """Flows of the deployment's products by destination and by source component."""
        if "index" not in self._index_cache:
            by_destination: dict[str, list[Flow]] = {}
            by_source: dict[str, list[Flow]] = {}
            for flow in self.catalog.flows:
                if (flow.product not in self.products and flow.product not in self.catalog.shared) or flow.is_loopback:
                    continue
                if flow.supplement and not self.supplements:
                    continue
                by_destination.setdefault(flow.destination, []).append(flow)
                by_source.setdefault(flow.source, []).append(flow)
            self._index_cache["index"] = (by_destination, by_source)
        return self._index_cache["index"]

    def flows_by_id(self) -> dict[str, Flow]:
        """Every catalog flow by id (cached)."""
        if "by_id" not in self._index_cache:
            self._index_cache["by_id"] = {flow.id: flow for flow in self.catalog.flows}
        return self._index_cache["by_id"]

    def flow_destinations(self) -> dict[str, str]:
        """Flow id -> destination component (cached)."""
        if "destinations" not in self._index_cache:
            self._index_cache["destinations"] = {flow.id: flow.destination for flow in self.catalog.flows}
        return self._index_cache["destinations"]

    def flow_ranges(self, flow_id: str) -> tuple[tuple[PortRange, ...], tuple[str, ...]]:
        """A flow's resolved port ranges and the symbolic ports it uses."""
        flow = self.flows_by_id()[flow_id]
        return tuple(self.flow_ports(flow)), flow.symbolic_ports

    def component_name(self, component: str) -> str:
        """The catalog's display name of a component."""
        return self.catalog.components[component]["name"]

    def peer_sources(self) -> dict[str, str]:
        """Where each component's addresses come from, for messages (cached)."""
        if "peer_sources" not in self._index_cache:
            sources = {component: f"{component}: hosts {', '.join(hosts[:3])}{' ...' if len(hosts) > 3 else ''}"
                       for component, hosts in self.component_hosts.items()}
            for component in self.component_endpoints:
                sources[component] = f"vdi_firewall_endpoints['{component}']"
            self._index_cache["peer_sources"] = sources
        return self._index_cache["peer_sources"]


def _require_netaddr() -> None:
    if not HAS_NETADDR:
        raise VdiFirewallError("the Python library 'netaddr' is required on the controller (pip install netaddr)")


def merge_cidrs(addresses) -> tuple[str, ...]:
    """Merge addresses/CIDRs into the fewest CIDRs, IPv4 before IPv6."""
    _require_netaddr()
    ip_set = IPSet(addresses)
    return tuple(str(cidr) for cidr in ip_set.iter_cidrs())


def _parse_address(value, where: str, network: bool, allow_loopback: bool = False) -> str:
    """An address as a CIDR: a network for endpoints, the single address for hosts (see addresses.py)."""
    _require_netaddr()
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
        _require_netaddr()
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
    if not isinstance(secure_only, bool):
        raise VdiFirewallError(f"vdi_firewall_secure_only must be true or false, got {secure_only!r}")
    if not isinstance(supplements, bool):
        raise VdiFirewallError(f"vdi_firewall_supplements must be true or false, got {supplements!r}")
    implied = catalog.implied_components() if supplements else {}
    tier_map = normalise_tiers(catalog.components, tiers)
    user_map = normalise_group_map(catalog, group_map)
    if not isinstance(allow_loopback, bool):
        raise VdiFirewallError(f"vdi_firewall_allow_loopback must be true or false, got {allow_loopback!r}")
    endpoint_map = normalise_endpoints(catalog, endpoints, allow_loopback)
    host_components: dict[str, tuple[str, ...]] = {}
    host_addresses: dict[str, tuple[str, ...]] = {}
    host_products: dict[str, str | None] = {}
    host_features: dict[str, dict | None] = {}
    component_hosts: dict[str, list[str]] = {}
    products: set[str] = set()
    component_cache: dict[tuple, tuple[str, ...]] = {}
    unplanned: list[HostInput] = []
    notices_first: list[str] = []

    for host in hosts:
        product = host.product or None
        if product is not None and product not in catalog.products:
            raise VdiFirewallError(
                f"host '{host.name}': vdi_firewall_product {product!r} is not one of {', '.join(sorted(catalog.products))}"
            )
        direct = tuple(str(item) for item in _as_list(host.components, f"host '{host.name}': vdi_firewall_components"))
        cache_key = (product, tuple(host.groups), direct)
        components = component_cache.get(cache_key)
        if components is None:
            components = _components_of(catalog, host, product, direct, user_map)
            extra = {component for component, markers in implied.items() if markers.intersection(components)}
            if extra - set(components):
                components = tuple(sorted(set(components) | extra))
            component_cache[cache_key] = components
        host_products[host.name] = product
        if not components:
            unplanned.append(host)
            continue
        host_components[host.name] = components
        host_addresses[host.name] = _host_addresses(host, resolve_names, resolver, allow_loopback)
        host_features[host.name] = normalise_features(catalog, host.features, f"host '{host.name}'",
                                                      host.feature_sources)
        if product:
            products.add(product)
        for component in components:
            component_hosts.setdefault(component, []).append(host.name)
            owner = catalog.components[component]["product"]
            if owner in catalog.products:
                products.add(owner)
    # a feature whose component an inventory host has defaults to on (an explicit false still wins)
    present = features_by_presence(catalog, component_hosts, products)
    for feature, owners_of in present.items():
        unset = [name for name in host_components if feature not in (host_features.get(name) or {})]
        if not unset:
            continue
        for name in unset:
            host_features[name] = dict(host_features.get(name) or {}, **{feature: True})
        notices_first.append(f"feature {feature} is on because the inventory has its component (hosts "
                             f"{', '.join(owners_of[:5])}); set vdi_firewall_features: {{{feature}: false}} to leave it off")
    owners: dict[str, list[str]] = {}
    for name, addresses in host_addresses.items():
        for address in addresses:
            owners.setdefault(address, []).append(name)
    notices = notices_first + [
        f"hosts {', '.join(repr(name) for name in names)} share the address {address}: their rules "
        "treat them as one machine (check ansible_host / vdi_firewall_address)"
        for address, names in sorted(owners.items()) if len(names) > 1]
    known_groups = set(user_map) | set(catalog.components) | {
        group for defaults in catalog.group_maps.values() for group in defaults}
    not_planned = [{"host": host.name, "groups": list(host.groups), "typos": group_typos(host.groups, known_groups)}
                   for host in sorted(unplanned, key=lambda item: item.name)]
    for entry in not_planned:
        for typo in entry["typos"]:
            notices.append(f"host '{entry['host']}' is in no VDI group and is not planned: its group "
                           f"'{typo['group']}' looks like '{typo['nearest']}'")
    return Topology(
        not_planned=not_planned,
        notices=notices,
        catalog=catalog,
        host_components=host_components,
        host_addresses=host_addresses,
        host_products=host_products,
        host_features=host_features,
        component_hosts=component_hosts,
        component_endpoints=endpoint_map,
        products=tuple(sorted(products)),
        symbolic_ports=normalise_symbolic_ports(catalog, symbolic_ports),
        secure_only=secure_only,
        tiers=tier_map,
        component_tiers={**catalog.tiers, **tier_map},
        supplements=supplements,
    )


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


def _feature_on(catalog: Catalog, flow: Flow, features: dict | None) -> bool:
    if flow.feature is None:
        return True
    if not isinstance(flow.feature, str):  # {all: [...]}, {any: [...]}, {not: ...}
        return feature_on(flow.feature, features, catalog.features)
    if features and flow.feature in features:
        return features[flow.feature]
    return catalog.features[flow.feature]["default"]


def _stage_one(topology: Topology, host: str) -> tuple[dict, list, list, list]:
    """Per (direction, protocol, peer component): ports and flows; plus unresolved peers.

    Also returns the plaintext ports planned while a secure alternative is documented between the
    same components (findings), or, with secure_only, the plaintext ports left out (omitted).
    """
    catalog = topology.catalog
    features = topology.host_features.get(host)
    by_destination, by_source = topology.flow_index()
    entries: dict[tuple[str, str, str], dict] = {}
    unresolved: dict[tuple[str, str], dict] = {}
    findings: list[dict] = []
    omitted: list[dict] = []
    for component in topology.host_components[host]:
        for direction, flows, peer_of in (("in", by_destination.get(component, ()), "source"),
                                          ("out", by_source.get(component, ()), "destination")):
            active: dict[str, list[Flow]] = {}
            for flow in flows:
                if not _feature_on(catalog, flow, features):
                    continue
                peer = getattr(flow, peer_of)
                if not topology.component_hosts.get(peer) and not topology.component_endpoints.get(peer):
                    unresolved.setdefault((flow.id, direction), {
                        "flow": flow.id,
                        "direction": direction,
                        "peer": peer,
                        "protocols": list(flow.protocols),
                        "ports": [str(port) for port in topology.flow_ports(flow)],
                        "peer_addresses": list(flow.to_addresses if direction == "out" else flow.from_addresses),
                        "description": flow.description,
                        "layer": flow.layer,
                    })
                    continue
                active.setdefault(peer, []).append(flow)
            for peer, peer_flows in active.items():
                source, destination = (peer, component) if direction == "in" else (component, peer)
                dropped = _plaintext_ports(topology, source, destination, direction, peer, peer_flows, findings, omitted)
                for flow in peer_flows:
                    for protocol in flow.protocols:
                        ports = None
                        if protocol in ("tcp", "udp"):
                            ports = topology.flow_ports(flow)
                            for port in dropped.get(protocol, ()):
                                ports = ports_without(ports, port)
                            if not ports:
                                continue  # every port of the flow was a dropped plaintext port
                        entry = entries.setdefault((direction, protocol, peer), {"ports": [], "flows": set()})
                        if ports:
                            entry["ports"].extend(ports)
                        entry["flows"].add(flow.id)
    return (entries, sorted(unresolved.values(), key=lambda item: (item["flow"], item["direction"])),
            findings, sorted(omitted, key=lambda item: (item["flow"], item["direction"], item["protocol"], item["port"])))


def _plaintext_ports(topology: Topology, source: str, destination: str, direction: str, peer: str, flows,
                     findings: list, omitted: list) -> dict[str, set[int]]:
    """Plaintext ports planned between two components whose secure alternative is planned too.

    Recorded as findings, or, with secure_only, returned per protocol to be dropped (and recorded).
    """
    dropped: dict[str, set[int]] = {}
    for protocol in ("tcp", "udp"):
        alternatives = alternatives_between(topology.catalog, source, destination, protocol)
        if not alternatives:
            continue
        ranges = {flow.id: topology.flow_ports(flow) for flow in flows if protocol in flow.protocols}
        for alternative in alternatives:
            plaintext_flows = sorted(flow for flow, flow_ranges in ranges.items() if ports_cover(flow_ranges, alternative.plaintext_port))
            secure_flows = sorted(flow for flow, flow_ranges in ranges.items() if ports_cover(flow_ranges, alternative.secure_port))
            if not plaintext_flows or not secure_flows:
                continue
            finding = {
                "direction": direction,
                "peer": peer,
                "peer_name": topology.component_name(peer),
                "protocol": protocol,
                "port": alternative.plaintext_port,
                "secure_port": alternative.secure_port,
                "plaintext": alternative.plaintext,
                "secure": alternative.secure,
                "flows": plaintext_flows,
                "secure_flows": secure_flows,
            }
            if not topology.secure_only:
                findings.append(finding)
                continue
            dropped.setdefault(protocol, set()).add(alternative.plaintext_port)
            for flow in plaintext_flows:
                omitted.append({
                    "flow": flow,
                    "direction": direction,
                    "peer": peer,
                    "protocol": protocol,
                    "port": str(alternative.plaintext_port),
                    "secure_port": str(alternative.secure_port),
                    "reason": f"{alternative.plaintext} left out: {alternative.secure} ({protocol}/{alternative.secure_port}, "
                              f"flows {', '.join(secure_flows)}) is documented between {source} and {destination}",
                })
    return dropped


def _rule_name(direction: str, protocol: str, peers) -> str:
    name = f"vdi-{direction}-{protocol}-{'+'.join(sorted(peers))}"
    if len(name) > _RULE_NAME_LIMIT:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = f"{name[:_RULE_NAME_LIMIT - 9]}~{digest}"
    return name


def plan_host(topology: Topology, host: str, strict: bool = False) -> dict:
    """The host's rules: one per (direction, protocol, remote address set), ports merged; and its warnings."""
    components = topology.host_components[host]
    features = topology.host_features.get(host)
    signature = (components, tuple(sorted((features or {}).items())))
    cached = topology._plan_cache.get(signature)
    if cached is None:
        entries, unresolved, findings, omitted = _stage_one(topology, host)
        # a host whose own component is a peer must not get itself as a remote address
        self_peers = set(components) & {peer for _direction, _protocol, peer in entries}
        shared_rules = None if self_peers else _rules(topology, entries)
        shared_warnings = None if shared_rules is None else _warnings(topology, components, shared_rules, findings)
        cached = (entries, unresolved, shared_rules, findings, omitted, shared_warnings,
                  None if shared_rules is None else _remote_index(shared_rules))
        topology._plan_cache[signature] = cached
    entries, unresolved, rules, findings, omitted, warnings, remotes = cached
    # rules shared by identical hosts, unless they name this host's own address as a remote (another host on
    # its address): a host's traffic to itself never crosses its firewall
    if rules is not None and _covers_any(remotes, topology.host_addresses[host]):
        rules = None
    if strict and unresolved:
        listed = ", ".join(f"{item['flow']} ({item['direction']}, peer {item['peer']})" for item in unresolved[:10])
        more = f" and {len(unresolved) - 10} more" if len(unresolved) > 10 else ""
        raise VdiFirewallError(
            f"host '{host}': vdi_firewall_strict is on and {len(unresolved)} flow(s) have no peer in the inventory "
            f"or vdi_firewall_endpoints: {listed}{more}"
        )
    if rules is None:
        rules = _rules(topology, entries, exclude=topology.host_addresses[host], own_components=components)
        warnings = _warnings(topology, components, rules, findings)
    return {
        "host": host,
        "product": topology.host_products.get(host),
        "components": list(components),
        "addresses": list(topology.host_addresses[host]),
        "rules": list(rules),
        "unresolved": unresolved,
        "warnings": list(warnings),
        "omitted_plaintext": list(omitted),
    }


def _names_any(remote, addresses) -> bool:
    """Whether a remote set names one of the host's own addresses (a peer host on the same address)."""
    return any(address in remote for address in addresses)


def _remote_index(rules: list[dict]) -> frozenset:
    """The single addresses the rules name as remotes."""
    return frozenset(cidr for rule in rules for cidr in rule["remote_addresses"] if cidr.endswith(("/32", "/128")))


def _covers_any(remotes, addresses) -> bool:
    """Whether the rules of _remote_index name one of a host's addresses as a remote.

    A wider network around the host (an endpoint such as user devices, or 'any') is left as it is:
    it names no host, and splitting it around every host would only fragment the rules.
    """
    return any(address in remotes for address in addresses)


def _warnings(topology: Topology, components, rules: list[dict], findings: list[dict]) -> list[dict]:
    """Least-privilege warnings of a host's rules (see lint.py)."""
    warnings = lint_rules(rules, components, topology.flow_destinations(), topology.flow_ranges,
                          {component: topology.component_name(component) for component in components},
                          topology.component_tiers, topology.peer_sources())
    if findings:
        rule_of = {(rule["direction"], rule["protocol"], peer): rule["name"] for rule in rules for peer in rule["peers"]}
        merged: dict[tuple, dict] = {}
        for finding in findings:
            name = rule_of.get((finding["direction"], finding["protocol"], finding["peer"]))
            if name is None:
                continue  # the only peer was the host itself: no rule
            key = (name, finding["protocol"], finding["port"], finding["secure_port"])
            if key in merged:
                merged[key]["flows"] = sorted(set(merged[key]["flows"]) | set(finding["flows"]))
            else:
                merged[key] = plaintext_warning(dict(finding, peer=finding["peer_name"]), name)
        warnings.extend(merged.values())
    return sorted(warnings, key=lambda item: (item["rule"], item["code"], item["message"]))


def _rules(topology: Topology, entries: dict, exclude=None, own_components=()) -> list[dict]:
    """Group stage-one entries by remote address set and build named rules.

    With `exclude` (the host's addresses), every peer loses them: a host is never its own remote.
    """
    grouped: dict[tuple, dict] = {}
    exclude_set = IPSet(exclude) if exclude else None
    for (direction, protocol, peer), entry in entries.items():
        remote = topology.peer_cidrs(peer)
        if exclude_set is not None and (peer in own_components or _names_any(remote, exclude)):
            remote = tuple(str(cidr) for cidr in (IPSet(remote) - exclude_set).iter_cidrs())
            if not remote:
                continue  # the only peer is this host itself: loopback, not a rule
        rule = grouped.setdefault((direction, protocol, remote), {"ports": [], "flows": set(), "peers": set()})
        rule["ports"].extend(entry["ports"])
        rule["flows"].update(entry["flows"])
        rule["peers"].add(peer)
    rules = []
    names = set()
    flows_by_id = topology.flows_by_id()
    for (direction, protocol, remote), rule in sorted(grouped.items(), key=lambda item: (item[0][0], item[0][1], sorted(item[1]["peers"]))):
        ports = [str(port_range) for port_range in merge_ports(rule["ports"])]
        name = _rule_name(direction, protocol, rule["peers"])
        if name in names:
            name = f"{name}~{hashlib.sha1(','.join(remote).encode()).hexdigest()[:6]}"
        names.add(name)
        peer_names = ", ".join(topology.catalog.components[peer]["name"] for peer in sorted(rule["peers"]))
        rules.append({
            "name": name,
            "direction": direction,
            "protocol": protocol,
            "local_ports": ports if direction == "in" else [],
            "remote_ports": ports if direction == "out" else [],
            "remote_addresses": list(remote),
            "peers": sorted(rule["peers"]),
            "flows": sorted(rule["flows"]),
            "supplement_flows": sorted(flow for flow in rule["flows"] if flows_by_id[flow].supplement),
            "layer": _layer(flows_by_id[flow] for flow in rule["flows"]),
            "description": f"{'from' if direction == 'in' else 'to'} {peer_names}",
        })
    return rules


def _layer(flows) -> str:
    """'document', 'supplement' or 'document+supplement': where the flows behind a rule come from."""
    layers = {flow.layer for flow in flows}
    return "+".join(layer for layer in ("document", "supplement") if layer in layers)


def feature_notices(topology: Topology, plans: dict[str, dict]) -> list[str]:
    """A warning for each planned host that gets no rule because its flows are all behind switched-off features."""
    notices = []
    for host, plan in plans.items():
        if plan["rules"]:
            continue
        present = set(topology.component_hosts) | set(topology.component_endpoints)
        off = gated_off(topology.catalog, set(plan["components"]), topology.host_features.get(host), present)
        if off:
            notices.append(f"host '{host}' ({', '.join(plan['components'])}) gets no rule: all its flows are behind "
                           f"switched-off features ({', '.join(off)}); switch one on with vdi_firewall_features")
    return notices


def plan_hosts(topology: Topology, hosts=None, strict: bool = False) -> dict[str, dict]:
    """Plan the given hosts (default: every host with components), keyed by host name."""
    wanted = topology.host_components if hosts is None else [host for host in hosts if host in topology.host_components]
    return {host: plan_host(topology, host, strict) for host in wanted}


def deployment_flows(topology: Topology, plans: dict[str, dict]) -> list[dict]:
    """The deployment's flows between real peers: one row per flow and protocol used by a plan."""
    used = {flow_id for plan in plans.values() for rule in plan["rules"] for flow_id in rule["flows"]}
    omitted: dict[tuple[str, str], set[int]] = {}
    for plan in plans.values():
        for item in plan.get("omitted_plaintext", ()):
            omitted.setdefault((item["flow"], item["protocol"]), set()).add(int(item["port"]))
    rows = []
    for flow in topology.catalog.flows:
        if flow.id not in used:
            continue
        for protocol in flow.protocols:
            port_ranges = topology.flow_ports(flow)
            if (flow.id, protocol) in omitted:
                for port in omitted[(flow.id, protocol)]:
                    port_ranges = ports_without(port_ranges, port)
                if not port_ranges:
                    continue
            ports = ",".join(str(port) for port in port_ranges)
            rows.append({
                "flow_id": flow.id,
                "source": flow.source,
                "source_hosts": " ".join(topology.component_hosts.get(flow.source, ())),
                "source_addresses": " ".join(topology.peer_cidrs(flow.source)),
                "destination": flow.destination,
                "destination_hosts": " ".join(topology.component_hosts.get(flow.destination, ())),
                "destination_addresses": " ".join(topology.peer_cidrs(flow.destination)),
                "protocol": protocol,
                "ports": ports if protocol in ("tcp", "udp") else "",
                "feature": feature_text(flow.feature),
                "description": flow.description,
                "reference": "; ".join(reference_label(ref) for ref in flow.references),
                "layer": flow.layer,
                "reason": flow.reason or "",
            })
    return rows


def summarise(plans: dict[str, dict]) -> dict:
    """Counts for the run summary."""
    warning_counts = count_warnings(plans)
    return {
        "hosts": len(plans),
        "rules": sum(len(plan["rules"]) for plan in plans.values()),
        "unresolved": sum(len(plan["unresolved"]) for plan in plans.values()),
        "unresolved_peers": sorted({item["peer"] for plan in plans.values() for item in plan["unresolved"]}),
        "warnings": sum(warning_counts.values()),
        "warning_counts": warning_counts,
        "hosts_with_warnings": sum(1 for plan in plans.values() if plan.get("warnings")),
        "omitted_plaintext": sum(len(plan.get("omitted_plaintext", ())) for plan in plans.values()),
        "supplement_flows": len({flow for plan in plans.values() for rule in plan["rules"]
                                 for flow in rule.get("supplement_flows", ())}),
    }


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
