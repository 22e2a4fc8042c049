# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The closing summary of vdi.firewall.apply: per backend, the hosts, those changed, the rules added and removed.

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
