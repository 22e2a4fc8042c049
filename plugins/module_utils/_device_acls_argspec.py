# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private: the argument spec of the device_acls action plugin and its documentation module.

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

DEVICE_ACLS_ARGUMENT_SPEC = {
    "devices": {"type": "list", "elements": "str"},
    "output_dir": {"type": "path"},
    "return_traffic": {"type": "bool", "default": True},
    "log_deny": {"type": "bool", "default": False},
    "afis": {"type": "list", "elements": "str", "choices": ["ipv4", "ipv6"], "default": ["ipv4", "ipv6"]},
    "icmpv6_essential": {"type": "bool", "default": True},
    "icmp_essential": {"type": "bool", "default": True},
    "plan": {"type": "dict"},
    "management_host_ports": {"type": "list", "elements": "int"},
    "management_device_ports": {"type": "list", "elements": "int"},
    "catalog_dir": {"type": "path"},
    "group_map": {"type": "dict"},
    "endpoints": {"type": "dict"},
    "symbolic_ports": {"type": "dict"},
}
