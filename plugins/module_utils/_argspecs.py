# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private: argument specs shared by action plugins and their documentation modules.

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

PLAN_RULES_ARGUMENT_SPEC = {
    "hosts": {"type": "list", "elements": "str"},
    "output_dir": {"type": "path"},
    "strict": {"type": "bool"},
    "catalog_dir": {"type": "path"},
    "group_map": {"type": "dict"},
    "endpoints": {"type": "dict"},
    "symbolic_ports": {"type": "dict"},
    "secure_only": {"type": "bool"},
    "supplements": {"type": "bool"},
    "tiers": {"type": "dict"},
    "topology": {"type": "dict"},
    "return_hosts": {"type": "bool", "default": True},
    "probes": {"type": "bool", "default": False},
    "summary": {"type": "bool", "default": False},
    "stats": {"type": "bool", "default": False},
    "journeys": {"type": "bool"},
    "journeys_dir": {"type": "path"},
}

VERIFY_REPORT_ARGUMENT_SPEC = {
    "hosts": {"type": "list", "elements": "str"},
    "results_vars": {"type": "list", "elements": "str", "default": ["vdi_firewall_probe", "vdi_firewall_probe_windows"]},
    "output_dir": {"type": "path"},
    "fail_on_failure": {"type": "bool", "default": True},
    "journeys": {"type": "list", "elements": "dict"},
}
