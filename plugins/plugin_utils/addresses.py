# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host addresses and endpoint networks: one parser, one strictness, messages naming the variable.

- A host address is one address: ``192.0.2.5`` or ``192.0.2.5/32``. A network there
  (``192.0.2.0/24``) is an error, never silently its first address.
- An endpoint is a network: ``198.51.100.0/24``, or a single address. Host bits set
  (``198.51.100.7/16``) are an error naming both readings, never silently widened.
- Never usable: the unspecified address (``0.0.0.0``, ``::``) as a host, loopback
  (``127.0.0.0/8``, ``::1``; ``vdi_firewall_allow_loopback`` allows it for a lab on one machine), multicast, and IPv6 zones (``fe80::1%eth0``): a zone names an
  interface of one machine and means nothing in a firewall rule.
- ``ansible_host`` may be a DNS name: it is resolved on the controller (``resolve_host``), and
  a name that does not resolve is an error naming the host and the name.
"""

from __future__ import annotations

import ipaddress
import socket

from ansible_collections.vdi.firewall.plugins.plugin_utils.errors import VdiFirewallError


def _refuse_unusable(network, text: str, where: str, allow_loopback: bool = False) -> None:
    address = network.network_address
    if address.is_loopback and not allow_loopback:
        raise VdiFirewallError(f"{where}: {text!r} is a loopback address, which no other host can reach "
                               "(vdi_firewall_allow_loopback: true allows it for a lab on one machine)")
    if address.is_multicast:
        raise VdiFirewallError(f"{where}: {text!r} is a multicast address, not a host or network of hosts")


def _no_zone(text: str, where: str) -> None:
    if "%" in text:
        raise VdiFirewallError(
            f"{where}: {text!r} has an IPv6 zone ('%{text.split('%', 1)[1]}'), which names an interface of one "
            "machine; give the address without it")


def host_address(value, where: str, allow_loopback: bool = False) -> str:
    """One host's address as a CIDR of one address (``/32`` or ``/128``)."""
    text = str(value).strip()
    _no_zone(text, where)
    if text.lower() == "any":
        raise VdiFirewallError(f"{where}: 'any' is only allowed in vdi_firewall_endpoints")
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise VdiFirewallError(f"{where}: {text!r} is not an IP address") from exc
    if network.prefixlen != network.max_prefixlen:
        raise VdiFirewallError(
            f"{where}: {text!r} is a network, not a host address; give the host's own address "
            f"(for example {network.network_address + 1 if network.num_addresses > 2 else network.network_address})")
    if network.network_address.is_unspecified:
        raise VdiFirewallError(f"{where}: {text!r} is the unspecified address, not a host's address")
    _refuse_unusable(network, text, where, allow_loopback)
    return str(network)


def endpoint_network(value, where: str, allow_loopback: bool = False) -> str:
    """An endpoint's network (or single address) as a CIDR."""
    text = str(value).strip()
    _no_zone(text, where)
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise VdiFirewallError(f"{where}: {text!r} is not an IP address or CIDR") from exc
        address = text.split("/", 1)[0]
        raise VdiFirewallError(
            f"{where}: {text!r} has host bits set; write {loose} for the network or "
            f"{address}/{loose.max_prefixlen} for the one address") from exc
    if network.prefixlen and network.network_address.is_unspecified:
        raise VdiFirewallError(f"{where}: {text!r} is not a usable network")
    if network.prefixlen:
        _refuse_unusable(network, text, where, allow_loopback)
    return str(network)


def is_address(text: str) -> bool:
    """Whether the text is an IP address (possibly with a prefix) rather than a name."""
    try:
        ipaddress.ip_network(str(text).strip().split("%", 1)[0], strict=False)
    except ValueError:
        return False
    return True


def resolve_host(name: str, host: str, resolver=None) -> tuple[str, ...]:
    """The addresses a DNS name (an ``ansible_host``) resolves to on the controller, as host CIDRs.

    resolver: a function name -> list of address strings (default: the system's, through
    getaddrinfo). Every address must be usable (a name that resolves to loopback is an error).
    """
    where = f"host '{host}': ansible_host"
    what = f"{where} {name!r} resolves to"
    try:
        found = resolver(name) if resolver else sorted({info[4][0] for info in socket.getaddrinfo(
            name, None, proto=socket.IPPROTO_TCP)})
    except (OSError, UnicodeError) as exc:
        raise VdiFirewallError(
            f"{where} {name!r} does not resolve on the controller ({exc}); set vdi_firewall_address to the "
            "host's address, or fix the name") from exc
    if not found:
        raise VdiFirewallError(f"{where} {name!r} resolves to no address; set vdi_firewall_address")
    addresses = []
    for item in found:
        text = str(item).split("%", 1)[0]
        addresses.append(host_address(text, what))
    return tuple(sorted(set(addresses), key=lambda cidr: (ipaddress.ip_network(cidr).version,
                                                          ipaddress.ip_network(cidr))))
