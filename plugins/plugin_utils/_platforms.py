# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tell a host's platform (windows, linux, network) from its inventory variables and facts.

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError, kind_of

PLATFORMS = ("windows", "linux", "network", "appliance")
WINDOWS_CONNECTIONS = frozenset(("winrm", "psrp", "ansible.builtin.winrm", "ansible.builtin.psrp"))
WINDOWS_SHELLS = frozenset(("powershell", "cmd", "ansible.builtin.powershell", "ansible.builtin.cmd"))


def host_platform(variables: Mapping, host: str = "") -> str | None:
    """The host's platform, or None when nothing says.

    In order: ``vdi_firewall_platform``; ``ansible_network_os`` (network); a Windows connection
    (``ansible_connection`` winrm/psrp) or shell (``ansible_shell_type`` powershell/cmd); the
    facts ``ansible_os_family`` / ``ansible_system``.
    """
    if not isinstance(variables, Mapping):
        raise VdiFirewallError(f"host '{host}': expected the host's variables (a mapping), got {kind_of(variables)}")
    explicit = variables.get("vdi_firewall_platform")
    if explicit not in (None, ""):
        if explicit not in PLATFORMS:
            raise VdiFirewallError(
                f"host '{host}': vdi_firewall_platform {explicit!r} is not one of {', '.join(PLATFORMS)}"
            )
        return str(explicit)
    if variables.get("ansible_network_os"):
        return "network"
    if str(variables.get("ansible_connection") or "") in WINDOWS_CONNECTIONS:
        return "windows"
    if str(variables.get("ansible_shell_type") or "") in WINDOWS_SHELLS:
        return "windows"
    facts = variables.get("ansible_facts") or {}
    family = str(variables.get("ansible_os_family") or facts.get("os_family") or "")
    system = str(variables.get("ansible_system") or facts.get("system") or "")
    if family == "Windows" or system == "Win32NT":
        return "windows"
    if system == "Linux":
        return "linux"
    return None
