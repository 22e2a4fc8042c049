# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which flows, peers and ports each host gets: the first stage of its plan, before compaction into rules.

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import PortRange, ports_cover, ports_without
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import Catalog, Flow
from ansible_collections.vdi.firewall.plugins.plugin_utils._features import feature_on
from ansible_collections.vdi.firewall.plugins.plugin_utils._lint import alternatives_between
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner.model import Topology


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
    features = topology.host_features.get(host)
    entries: dict[tuple[str, str, str], dict] = {}
    unresolved: dict[tuple[str, str], dict] = {}
    findings: list[dict] = []
    omitted: list[dict] = []
    for component in topology.host_components[host]:
        for direction, flows, peer_of in _sides(topology, component):
            active = _active_flows(topology, flows, direction, peer_of, features, unresolved)
            for peer, peer_flows in active.items():
                source, destination = (peer, component) if direction == "in" else (component, peer)
                dropped = _plaintext_ports(topology, source, destination, direction, peer, peer_flows, findings, omitted)
                _add_entries(topology, entries, direction, peer, peer_flows, dropped)
    return (entries, sorted(unresolved.values(), key=lambda item: (item["flow"], item["direction"])),
            findings, sorted(omitted, key=lambda item: (item["flow"], item["direction"], item["protocol"], item["port"])))


def _sides(topology: Topology, component: str):
    """(direction, the component's flows that way, the flow attribute naming the peer): inbound, then outbound."""
    by_destination, by_source = topology.flow_index()
    return (("in", by_destination.get(component, ()), "source"),
            ("out", by_source.get(component, ()), "destination"))


def _active_flows(topology: Topology, flows, direction: str, peer_of: str, features: dict | None,
                  unresolved: dict[tuple[str, str], dict]) -> dict[str, list[Flow]]:
    """The flows switched on for the host, by peer component; those whose peer is nowhere go to unresolved."""
    active: dict[str, list[Flow]] = {}
    for flow in flows:
        if not _feature_on(topology.catalog, flow, features):
            continue
        peer = getattr(flow, peer_of)
        if not topology.component_hosts.get(peer) and not topology.component_endpoints.get(peer):
            unresolved.setdefault((flow.id, direction), _unresolved_entry(topology, flow, direction, peer))
            continue
        active.setdefault(peer, []).append(flow)
    return active


def _unresolved_entry(topology: Topology, flow: Flow, direction: str, peer: str) -> dict:
    return {
        "flow": flow.id,
        "direction": direction,
        "peer": peer,
        "protocols": list(flow.protocols),
        "ports": [str(port) for port in topology.flow_ports(flow)],
        "peer_addresses": list(flow.to_addresses if direction == "out" else flow.from_addresses),
        "description": flow.description,
        "layer": flow.layer,
    }


def _add_entries(topology: Topology, entries: dict[tuple[str, str, str], dict], direction: str, peer: str,
                 peer_flows: list[Flow], dropped: dict[str, set[int]]) -> None:
    """Add the flows with one peer to the host's entries, per protocol, without the dropped plaintext ports."""
    for flow in peer_flows:
        for protocol in flow.protocols:
            ports: tuple[PortRange, ...] = ()
            if protocol in ("tcp", "udp"):
                ports = _kept_ports(topology.flow_ports(flow), dropped.get(protocol, ()))
                if not ports:
                    continue  # every port of the flow was a dropped plaintext port
            entry = entries.setdefault((direction, protocol, peer), {"ports": [], "flows": set()})
            entry["ports"].extend(ports)
            entry["flows"].add(flow.id)


def _kept_ports(ports: tuple[PortRange, ...], dropped) -> tuple[PortRange, ...]:
    """The ports without the dropped ones."""
    for port in dropped:
        ports = ports_without(ports, port)
    return ports


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
