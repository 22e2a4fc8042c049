# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private helpers that wrap core errors into the plugin's Ansible error type.

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

from contextlib import contextmanager

from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError


@contextmanager
def reraise_as(error_type, plugin_name: str):
    """Raise error_type('plugin_name: message') for a VdiFirewallError raised in the block."""
    try:
        yield
    except VdiFirewallError as exc:
        raise error_type(f"{plugin_name}: {exc}") from exc
