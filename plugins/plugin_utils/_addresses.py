# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host addresses and endpoint networks (parsed by module_utils._netvalues), and DNS names resolved.

Internal to vdi.firewall, not a public interface: it may change in any release.

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

import socket

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import (
    endpoint_network,
    host_address,
    is_address,
    network_sort_key,
)
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError

__all__ = ["endpoint_network", "host_address", "is_address", "resolve_host"]


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
    return tuple(sorted(set(addresses), key=network_sort_key))
