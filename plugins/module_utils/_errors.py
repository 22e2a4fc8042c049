# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one error type, shared by the controller's core and the modules on targets.

Internal to vdi.firewall: not a public interface, it may change in any release.
"""

from __future__ import annotations

from typing import Any


class VdiFirewallError(Exception):
    """Bad catalog, inventory, option or rule: the message names the file, host or entry at fault."""


def kind_of(value: Any) -> str:
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
