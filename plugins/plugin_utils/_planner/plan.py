# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each host's plan (its rules, unresolved peers, warnings and left-out plaintext ports) and what is drawn from the plans.

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

from typing import NamedTuple

from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import ports_without
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import reference_label
from ansible_collections.vdi.firewall.plugins.plugin_utils._features import feature_text, gated_off
from ansible_collections.vdi.firewall.plugins.plugin_utils._lint import count_warnings, lint_rules, plaintext_warning
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner.compaction import _covers_any, _remote_index, _rules
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner.model import Topology
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner.selection import _stage_one


class _Shared(NamedTuple):
    """What hosts with the same components and features share: rules, warnings and the single addresses they name."""

    rules: list[dict]
    warnings: list[dict]
    remotes: frozenset


class _Selected(NamedTuple):
    """A host's plan before its own addresses are taken out: cached per (components, features)."""

    entries: dict
    unresolved: list[dict]
    findings: list[dict]
    omitted: list[dict]
    # None when a host's own component is one of its peers: its rules depend on its addresses
    shared: _Shared | None


def plan_host(topology: Topology, host: str, strict: bool = False) -> dict:
    """The host's rules: one per (direction, protocol, remote address set), ports merged; and its warnings."""
    components = topology.host_components[host]
    selected = _selected(topology, host, components)
    shared = selected.shared
    # rules shared by identical hosts, unless they name this host's own address as a remote (another host on
    # its address): a host's traffic to itself never crosses its firewall
    if shared is not None and _covers_any(shared.remotes, topology.host_addresses[host]):
        shared = None
    if strict and selected.unresolved:
        _fail_strict(host, selected.unresolved)
    if shared is None:
        rules = _rules(topology, selected.entries, exclude=topology.host_addresses[host], own_components=components)
        warnings = _warnings(topology, components, rules, selected.findings)
    else:
        rules, warnings = shared.rules, shared.warnings
    return {
        "host": host,
        "product": topology.host_products.get(host),
        "components": list(components),
        "addresses": list(topology.host_addresses[host]),
        "rules": list(rules),
        "unresolved": selected.unresolved,
        "warnings": list(warnings),
        "omitted_plaintext": list(selected.omitted),
    }


def _selected(topology: Topology, host: str, components: tuple[str, ...]) -> _Selected:
    """The host's selection and, when no peer is its own component, its shared rules (cached)."""
    features = topology.host_features.get(host)
    signature = (components, tuple(sorted((features or {}).items())))
    cached = topology._plan_cache.get(signature)
    if cached is None:
        entries, unresolved, findings, omitted = _stage_one(topology, host)
        # a host whose own component is a peer must not get itself as a remote address
        self_peers = set(components) & {peer for _direction, _protocol, peer in entries}
        shared = None
        if not self_peers:
            rules = _rules(topology, entries)
            shared = _Shared(rules, _warnings(topology, components, rules, findings), _remote_index(rules))
        cached = _Selected(entries, unresolved, findings, omitted, shared)
        topology._plan_cache[signature] = cached
    return cached


def _fail_strict(host: str, unresolved: list[dict]) -> None:
    listed = ", ".join(f"{item['flow']} ({item['direction']}, peer {item['peer']})" for item in unresolved[:10])
    more = f" and {len(unresolved) - 10} more" if len(unresolved) > 10 else ""
    raise VdiFirewallError(
        f"host '{host}': vdi_firewall_strict is on and {len(unresolved)} flow(s) have no peer in the inventory "
        f"or vdi_firewall_endpoints: {listed}{more}"
    )


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
