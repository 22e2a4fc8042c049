# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner's model: what it knows of a host (HostInput) and of the deployment (Topology, with its caches).

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

from dataclasses import dataclass, field

try:
    from netaddr import IPSet

    HAS_NETADDR = True
except ImportError:  # pragma: no cover - exercised only without netaddr
    HAS_NETADDR = False

from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import PortRange
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import Catalog, Flow


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
    # one key per cached value ("index", "by_id", "destinations", "peer_sources"), each filled on first use
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


def require_netaddr() -> None:
    """Fail with what to install when netaddr, which every address computation needs, is missing."""
    if not HAS_NETADDR:
        raise VdiFirewallError("the Python library 'netaddr' is required on the controller (pip install netaddr)")


def merge_cidrs(addresses) -> tuple[str, ...]:
    """Merge addresses/CIDRs into the fewest CIDRs, IPv4 before IPv6."""
    require_netaddr()
    ip_set = IPSet(addresses)
    return tuple(str(cidr) for cidr in ip_set.iter_cidrs())
