# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Error type of the pure-Python core; plugins turn it into Ansible errors."""

from __future__ import annotations


class VdiFirewallError(Exception):
    """Bad catalog, inventory or option: the message names the file, host or entry at fault."""


def kind_of(value) -> str:
    """What a value is, in the user's words (never an internal type name such as _AnsibleTaggedDict)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {str(value)!r}"
    if isinstance(value, dict) or hasattr(value, "keys"):
        return "a mapping"
    if isinstance(value, (list, tuple, set)):
        return "a list"
    return "a value of another kind"
