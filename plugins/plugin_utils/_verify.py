# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probes that prove a host's required outbound flows pass, and the report of their results.

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

import json

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import Catalog, load_catalog
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._outputs import csv_text

# A flow whose port range is wider than this is not probed port by port (dynamic RPC ranges).
MAX_PROBED_RANGE = 16
RESULT_COLUMNS = ("source_host", "flow", "destination_host", "address", "protocol", "port", "state", "passed", "detail")


def _name(peer: str, flows) -> str:
    return f"{peer}|{','.join(sorted(flows))}"


def split_name(name: str) -> tuple[str, list[str]]:
    """Inverse of the probe label: (peer host, flow ids)."""
    peer, _sep, flows = (name or "").partition("|")
    return peer, [flow for flow in flows.split(",") if flow]


def _peer_index(plans: dict) -> dict[str, list[str]]:
    """Component -> the plan's hosts that have it."""
    hosts_of: dict[str, list[str]] = {}
    for name, other in sorted(plans.items()):
        for component in other.get("components", ()):
            hosts_of.setdefault(component, []).append(name)
    return hosts_of


def _host_targets(catalog: Catalog, flows: dict, plans: dict, hosts_of: dict, host: str, symbolic_ports,
                  max_range: int) -> dict:
    wanted: dict[tuple[str, str, int], set[str]] = {}
    skipped = []
    for rule in plans[host].get("rules", ()):
        if rule["direction"] != "out" or rule["protocol"] != "tcp":
            continue
        for flow_id in rule["flows"]:
            flow = flows.get(flow_id)
            if flow is None:
                raise VdiFirewallError(f"host '{host}': rule {rule['name']} names flow '{flow_id}', which the catalog lacks")
            peers = [name for name in hosts_of.get(flow.destination, ()) if name != host]
            ports: list[int] = []
            for port_range in catalog.resolve_ports(flow, symbolic_ports):
                if port_range.end - port_range.start + 1 > max_range:
                    skipped.append({"flow": flow_id, "peer": flow.destination, "reason": f"port range {port_range} is too wide to probe"})
                else:
                    ports.extend(range(port_range.start, port_range.end + 1))
            for peer in peers:
                for address in plans[peer]["addresses"]:
                    for port in ports:
                        wanted.setdefault((peer, address.split("/")[0], port), set()).add(flow_id)
    targets = [
        {"host": address, "port": port, "protocol": "tcp", "expect": "open", "name": _name(peer, flow_ids)}
        for (peer, address, port), flow_ids in sorted(wanted.items())
    ]
    return {"targets": targets, "skipped": skipped}


def all_probe_targets(catalog: Catalog, plans: dict, symbolic_ports=None, max_range: int = MAX_PROBED_RANGE) -> dict:
    """probe_targets for every host of the plans, with the peer index built once."""
    if not isinstance(plans, dict):
        raise VdiFirewallError("expected the 'hosts' dictionary returned by vdi.firewall.plan_rules")
    flows = {flow.id: flow for flow in catalog.flows}
    hosts_of = _peer_index(plans)
    return {host: _host_targets(catalog, flows, plans, hosts_of, host, symbolic_ports, max_range) for host in sorted(plans)}


def probe_targets(catalog: Catalog, plans: dict, host: str, symbolic_ports=None, max_range: int = MAX_PROBED_RANGE) -> dict:
    """The TCP probes for `host`'s outbound rules to peers that are hosts of the plan.

    Returns {"targets": [{host, port, protocol, expect, name}], "skipped": [{flow, peer, reason}]}.
    Each target is probed once even when several flows need it; its name carries the peer host and
    the flow ids ("peer|flow_a,flow_b"). For every host at once, use all_probe_targets.
    """
    if not isinstance(plans, dict):
        raise VdiFirewallError("expected the 'hosts' dictionary returned by vdi.firewall.plan_rules")
    if host not in plans:
        return {"targets": [], "skipped": []}
    flows = {flow.id: flow for flow in catalog.flows}
    return _host_targets(catalog, flows, plans, _peer_index(plans), host, symbolic_ports, max_range)


def is_plan(value) -> bool:
    """Whether value is a whole result of vdi.firewall.plan_rules (its hosts, settings, probes ...)
    rather than its "hosts" dictionary alone."""
    return (isinstance(value, dict) and isinstance(value.get("settings"), dict) and isinstance(value.get("hosts"), dict)
            and "summary" in value)


def plan_probe_targets(plan: dict, host: str, max_range: int = MAX_PROBED_RANGE) -> dict:
    """probe_targets from a whole plan_rules result: the probes it worked out (option probes), else from its
    hosts with the symbolic ports and the catalog the plan was made with."""
    probes = plan.get("probes") or {}
    if host in probes and max_range == MAX_PROBED_RANGE:
        return probes[host]
    settings = plan["settings"]
    return probe_targets(load_catalog(settings.get("catalog_dir")), plan["hosts"], host,
                         settings.get("symbolic_ports") or None, max_range)


def result_rows(results_by_host: dict) -> list[dict]:
    """Flatten probe results (source host -> vdi.firewall.probe results) into one row per flow and target."""
    rows = []
    for source in sorted(results_by_host):
        for result in results_by_host[source]:
            peer, flow_ids = split_name(result.get("name"))
            for flow_id in flow_ids or [""]:
                rows.append({
                    "source_host": source,
                    "flow": flow_id,
                    "destination_host": peer,
                    "address": result.get("host"),
                    "protocol": result.get("protocol"),
                    "port": result.get("port"),
                    "state": result.get("state"),
                    "passed": bool(result.get("passed")),
                    "detail": result.get("detail", ""),
                })
    return rows


def flow_outcomes(rows: list[dict]) -> dict[str, dict]:
    """Per flow: passed only when every probe of the flow passed."""
    outcomes: dict[str, dict] = {}
    for row in rows:
        outcome = outcomes.setdefault(row["flow"], {"passed": True, "probes": 0, "failed": []})
        outcome["probes"] += 1
        if not row["passed"]:
            outcome["passed"] = False
            outcome["failed"].append(f"{row['source_host']} -> {row['destination_host']} {row['address']}:{row['port']} {row['state']}")
    return outcomes


def report_files(rows: list[dict], outcomes: dict, summary: dict, journeys: list[dict] | None = None) -> dict[str, str]:
    """verify.json (with the journeys' outcome, journeys.verify_journeys, when given) and verify.csv."""
    document = {"summary": summary, "flows": outcomes, "probes": rows}
    if journeys is not None:
        document["journeys"] = journeys
    return {"verify.json": json.dumps(document, indent=2, sort_keys=True) + "\n", "verify.csv": csv_text(RESULT_COLUMNS, rows)}
