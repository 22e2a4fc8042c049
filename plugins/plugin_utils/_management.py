# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Management access that the Linux backends keep open: from explicit CIDRs or the SSH client.

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import (
    controller_address,
    parse_cidr,
    parse_port,
)
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError

__all__ = ["ANY", "FALLBACKS", "controller_address", "management_entries"]

FALLBACKS = ("any", "none", "fail")
ANY = ["0.0.0.0/0", "::/0"]


def _port(value: Any) -> int:
    return parse_port(value, "management port")


def _cidr(text: str, where: str) -> str:
    return parse_cidr(text, where)


def management_entries(
    cidrs: Any, port: Any, protocol: str = "tcp", ssh_client: str | None = None, fallback: str = "any"
) -> list[dict]:
    """The management entries: explicit CIDRs, else the SSH client's address, else the fallback.

    fallback: 'any' keeps the port open from every address (no lock-out when the controller's
    address is unknown), 'none' adds no entry, 'fail' raises.
    """
    if protocol not in ("tcp", "udp"):
        raise VdiFirewallError(f"management protocol must be tcp or udp, got {protocol!r}")
    if fallback not in FALLBACKS:
        raise VdiFirewallError(f"management fallback must be one of {', '.join(FALLBACKS)}, got {fallback!r}")
    number = _port(port)
    if cidrs is None or cidrs == "":
        cidrs = []
    if isinstance(cidrs, str) or not isinstance(cidrs, (list, tuple)):
        raise VdiFirewallError(f"management CIDRs must be a list, got {cidrs!r}")
    if cidrs:
        addresses = [_cidr(cidr, "management CIDR") for cidr in cidrs]
    else:
        controller = controller_address(ssh_client)
        if controller:
            addresses = [controller]
        elif fallback == "any":
            addresses = list(ANY)
        elif fallback == "none":
            return []
        else:
            raise VdiFirewallError(
                "no management CIDRs are set and the controller's address is unknown (no SSH_CLIENT: "
                "not connected over SSH); set vdi_firewall_management_cidrs"
            )
    return [{"protocol": protocol, "port": number, "remote_addresses": addresses}]
