# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compaction and naming: a host's selected flows grouped by peer address set into named rules, ports merged.

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

import hashlib

try:
    from netaddr import IPSet
except ImportError:  # pragma: no cover - exercised only without netaddr; model.require_netaddr says so first
    pass

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import merge_ports
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner.model import Topology

_RULE_NAME_LIMIT = 80


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


def _rule_name(direction: str, protocol: str, peers) -> str:
    name = f"vdi-{direction}-{protocol}-{'+'.join(sorted(peers))}"
    if len(name) > _RULE_NAME_LIMIT:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = f"{name[:_RULE_NAME_LIMIT - 9]}~{digest}"
    return name


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
