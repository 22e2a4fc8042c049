# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private: argument specs shared by action plugins and their documentation modules."""

from __future__ import annotations

PLAN_RULES_ARGUMENT_SPEC = {
    "hosts": {"type": "list", "elements": "str"},
    "output_dir": {"type": "path"},
    "strict": {"type": "bool"},
    "catalog_dir": {"type": "path"},
    "group_map": {"type": "dict"},
    "endpoints": {"type": "dict"},
    "symbolic_ports": {"type": "dict"},
    "return_hosts": {"type": "bool", "default": True},
}
