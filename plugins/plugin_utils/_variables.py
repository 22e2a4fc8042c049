# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's variable names, and what looks like a typo of one of them or of a group.

Internal to vdi.firewall, not a public interface: it may change in any release.

Nothing the inventory says is silently dropped: an unknown ``vdi_firewall_*`` variable is
reported with the nearest known name, and a host in no VDI group is listed as not planned, with
the groups that look like typos of known ones (``brokers``, ``VDA``, ``store-front``).
"""

from __future__ import annotations

import difflib
import os
import re

import yaml

try:
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - libyaml is optional
    from yaml import SafeLoader as _YamlLoader

# the planner's and the playbooks' variables; the roles' own come from their argument specs
PLANNER_VARIABLES = frozenset((
    "vdi_firewall_product", "vdi_firewall_components", "vdi_firewall_group_map", "vdi_firewall_endpoints",
    "vdi_firewall_address", "vdi_firewall_features", "vdi_firewall_feature_list", "vdi_firewall_symbolic_ports",
    "vdi_firewall_strict", "vdi_firewall_secure_only", "vdi_firewall_tiers", "vdi_firewall_output_dir",
    "vdi_firewall_platform", "vdi_firewall_backend", "vdi_firewall_topology", "vdi_firewall_resolve_names",
    "vdi_firewall_extra_rules", "vdi_firewall_export_dir", "vdi_firewall_export_products",
    "vdi_firewall_management_cidrs", "vdi_firewall_zones", "vdi_firewall_device_zones", "vdi_firewall_rules",
    "vdi_firewall_plan",
    "vdi_firewall_probe", "vdi_firewall_probe_timeout", "vdi_firewall_probe_windows",
    "vdi_firewall_supplements", "vdi_firewall_journeys", "vdi_firewall_allow_loopback", "vdi_firewall_zone_firewall",
))
# prefixes of families of variables (AWX survey answers, the AWX import playbook's settings)
KNOWN_PREFIXES = ("vdi_firewall_survey_", "vdi_firewall_awx_", "vdi_firewall_test_")
_NAME = re.compile(r"^vdi_firewall_\w+$", re.IGNORECASE)


def _collection_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def role_variables(root: str | None = None) -> frozenset[str]:
    """The options of every role's argument spec (roles/*/meta/argument_specs.yml)."""
    roles = os.path.join(root or _collection_root(), "roles")
    names: set[str] = set()
    if not os.path.isdir(roles):
        return frozenset()
    for role in sorted(os.listdir(roles)):
        path = os.path.join(roles, role, "meta", "argument_specs.yml")
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as handle:
            document = yaml.load(handle, Loader=_YamlLoader) or {}  # noqa: S506 - a safe loader
        for entry in (document.get("argument_specs") or {}).values():
            names.update(str(option) for option in (entry.get("options") or {}))
    return frozenset(names)


def known_variables(root: str | None = None) -> frozenset[str]:
    """Every vdi_firewall_* variable the collection reads."""
    return PLANNER_VARIABLES | frozenset(name for name in role_variables(root) if name.startswith("vdi_firewall_"))


def unknown_variables(host_variables: dict, known=None) -> dict[str, dict]:
    """Unknown vdi_firewall_* names -> {hosts: [...], nearest: name or None}, from host -> variable names."""
    known = known if known is not None else known_variables()
    found: dict[str, dict] = {}
    for host, names in host_variables.items():
        for name in names:
            if not _NAME.match(name) or name in known or name.startswith(KNOWN_PREFIXES):
                continue
            entry = found.setdefault(name, {"hosts": [], "nearest": nearest(name, known)})
            entry["hosts"].append(host)
    for entry in found.values():
        entry["hosts"].sort()
    return dict(sorted(found.items()))


def nearest(name: str, choices) -> str | None:
    """The known name a mistyped one most likely meant (case, separators and close spellings)."""
    choices = sorted(set(choices))
    folded = {re.sub(r"[^a-z0-9]", "", choice.lower()): choice for choice in choices}
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    if key in folded and folded[key] != name:
        return folded[key]
    for variant in (key.rstrip("s"), key + "s"):
        if variant in folded and folded[variant] != name:
            return folded[variant]
    close = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.75)
    return folded[close[0]] if close else None


def variable_notices(unknown: dict[str, dict]) -> list[str]:
    """One line per unknown variable, for the summary and the task's warnings."""
    lines = []
    for name, entry in unknown.items():
        hosts = entry["hosts"]
        shown = ", ".join(hosts[:5]) + (f" and {len(hosts) - 5} more" if len(hosts) > 5 else "")
        hint = f"; did you mean {entry['nearest']}?" if entry["nearest"] else ""
        lines.append(f"unknown variable {name} (hosts {shown}) is ignored{hint}")
    return lines


def group_typos(groups, known_groups) -> list[dict]:
    """Groups that look like typos of known ones: [{group, nearest}]."""
    result = []
    for group in sorted(set(groups)):
        if group in known_groups:
            continue
        match = nearest(group, known_groups)
        if match:
            result.append({"group": group, "nearest": match})
    return result
