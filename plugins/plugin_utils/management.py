# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Management access that the Linux backends keep open: from explicit CIDRs or the SSH client."""

from __future__ import annotations

import ipaddress
from typing import Any

from ansible_collections.vdi.firewall.plugins.plugin_utils.errors import VdiFirewallError

FALLBACKS = ("any", "none", "fail")
ANY = ["0.0.0.0/0", "::/0"]


def _port(value: Any) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if isinstance(value, bool) or not 1 <= port <= 65535:
        raise VdiFirewallError(f"management port {value!r} is not a port number (1-65535)")
    return port


def _cidr(text: str, where: str) -> str:
    try:
        network = ipaddress.ip_network(str(text).strip(), strict=True)
    except ValueError as exc:
        raise VdiFirewallError(f"{where}: {text!r} is not an IPv4/IPv6 address or CIDR ({exc})") from exc
    return str(network)


def controller_address(ssh_client: str | None) -> str | None:
    """The controller's address as /32 or /128 from SSH_CLIENT ('ADDRESS CLIENT_PORT SERVER_PORT')."""
    if not ssh_client or not str(ssh_client).split():
        return None
    text = str(ssh_client).split()[0].split("%")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError as exc:
        raise VdiFirewallError(f"SSH_CLIENT {ssh_client!r} does not start with an IP address") from exc
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return f"{address}/{address.max_prefixlen}"


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
