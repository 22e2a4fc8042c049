# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The closing summaries: vdi.firewall.apply's (per backend, the hosts, those changed, the rules added and
removed) and vdi.firewall.plan's (what was planned, what is missing, the files).

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

# the result each backend's role registers
RESULT_VARIABLES = {
    "firewalld": "firewalld_result",
    "nftables": "nftables_result",
    "windows": "windows_rules_result",
    "network_acl": "network_acl_acls_result",
    "nftables_zones": "nftables_zones_result",
}


def _changed_count(result) -> int | None:
    """How many items of a (possibly looped) result changed; None when there is no result."""
    if not isinstance(result, dict) or result.get("skipped"):
        return None
    if isinstance(result.get("results"), list):
        return sum(1 for item in result["results"] if isinstance(item, dict) and item.get("changed"))
    return 1 if result.get("changed") else 0


def apply_summary(hostvars, hosts, active_hosts, check_mode: bool = False) -> list[str]:
    """One line per backend used: hosts, hosts changed (or that would change), rules added/removed."""
    rows: dict[str, dict] = {}
    for host in hosts:
        variables = hostvars[host] if host in hostvars else {}
        chosen = variables.get("__vdi_firewall_apply_chosen") or {}
        name = chosen.get("name") if isinstance(chosen, dict) else None
        row = rows.setdefault(name or "(not reached)",
                              {"hosts": 0, "changed": 0, "added": 0, "removed": 0, "counted": False, "failed": 0})
        row["hosts"] += 1
        if host not in active_hosts:
            row["failed"] += 1
            continue
        result = variables.get(RESULT_VARIABLES.get(name or "", ""))
        changed = _changed_count(result)
        if changed:
            row["changed"] += 1
        if isinstance(result, dict) and ("added" in result or "removed" in result):
            row["counted"] = True
            row["added"] += len(result.get("added") or [])
            row["removed"] += len(result.get("removed") or [])
    verb = "would change" if check_mode else "changed"
    lines = []
    for name in sorted(rows, key=lambda item: (item in ("none", "(not reached)"), item)):
        row = rows[name]
        if name == "none":
            lines.append(f"none: {row['hosts']} host(s) left alone (appliances, or no rule planned)")
            continue
        text = f"{name}: {row['hosts']} host(s), {row['changed']} {verb}"
        if row["counted"]:
            text += f" (rules {'to add' if check_mode else 'added'} {row['added']}, "
            text += f"{'to remove' if check_mode else 'removed'} {row['removed']})"
        if row["failed"]:
            text += f", {row['failed']} failed or unreachable"
        lines.append(text)
    return lines


PLAN_FILES = "hosts/*.json, flows.csv, report.html, change_request.csv, change_request.xlsx"


def plan_summary(result: dict, output_dir: str | None = None, check_mode: bool = False) -> list[str]:
    """The closing summary of vdi.firewall.plan, one line each: what was planned, what is missing, what
    the documents leave open or out, the journeys, the files written (or that would be) and the run's scope."""
    summary = result["summary"]
    lines = [f"{summary['hosts']} hosts planned, {summary['rules']} rules ({', '.join(result['products'])})"]
    peers = f": {', '.join(summary['unresolved_peers'])}" if summary["unresolved"] else ""
    lines.append(f"{summary['unresolved']} flow(s) without a peer in the inventory or vdi_firewall_endpoints{peers}")
    counts = (": " + ", ".join(f"{code} {count}" for code, count in summary["warning_counts"].items())
              if summary["warnings"] else "")
    lines.append(f"{summary['warnings']} least-privilege warning(s) on {summary['hosts_with_warnings']} host(s){counts}")
    if (result.get("settings") or {}).get("secure_only"):
        lines.append(f"{summary['omitted_plaintext']} plaintext port(s) left out (vdi_firewall_secure_only)")
    else:
        lines.append("vdi_firewall_secure_only is off: plaintext alternatives kept")
    lines.append(_journeys_line(summary))
    lines.append(_files_line(result, output_dir, check_mode))
    lines.append(
        f"limited run: {summary['hosts']} of {summary['inventory_hosts']} inventory hosts planned against the whole "
        "deployment; the plans of the other hosts are left as they were, flows.csv and the reports describe the whole "
        "deployment" if summary["limited"] else "whole inventory planned")
    lines.append(_not_planned_line(summary["not_planned"]))
    return lines


def _journeys_line(summary: dict) -> str:
    if not summary.get("journeys"):
        return "journeys not checked (vdi_firewall_journeys is false)"
    broken = f": {'; '.join(summary['broken_journeys'])}" if summary["journeys_broken"] else ""
    return (f"{summary['journeys_complete']} journeys complete, {summary['journeys_broken']} broken{broken} "
            f"({summary['journeys_not_applicable']} not applicable)")


def _files_line(result: dict, output_dir: str | None, check_mode: bool) -> str:
    if not output_dir:
        return "set vdi_firewall_output_dir to write hosts/*.json, flows.csv, report.html and the change requests"
    written, removed = len(result.get("files_written") or ()), len(result.get("files_removed") or ())
    if check_mode:
        return (f"would write to {output_dir}: {written} file(s) to write, {removed} to remove ({PLAN_FILES}); "
                "check mode wrote nothing")
    return f"written to {output_dir}: {written} file(s) written, {removed} removed ({PLAN_FILES})"


def _not_planned_line(not_planned: list[dict]) -> str:
    if not not_planned:
        return "every inventory host is in a VDI group"
    typos = [item["group"] for host in not_planned for item in host.get("typos") or ()]
    hint = f" (groups that look like typos: {', '.join(typos)})" if typos else ""
    return (f"{len(not_planned)} host(s) in no VDI group, not planned: "
            f"{', '.join(item['host'] for item in not_planned)}{hint}")
