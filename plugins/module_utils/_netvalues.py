# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ports and addresses: the one parser, merger and validator of the collection.

Internal to vdi.firewall: not a public interface, it may change in any release.

Every stage uses it: the catalog loader, the planner, journeys, reports and change requests on the
controller, and the modules on the target (firewalld, nftables, the zone firewall), so that a value
means the same thing and is refused for the same reason everywhere. Pure Python, standard library
only (it runs on targets too).

Ports
    A port is a whole number 1-65535; a range is ``"a-b"`` with a <= b; a port list is a list of
    those, or one comma-separated string (``"135,49152-65535"``). Booleans, floats, empty items and
    port 0 are errors naming ``where``: a port that cannot be meant never plans silently.
Addresses
    A network is an IPv4/IPv6 address or CIDR. Host bits set (``10.0.0.5/24``) are an error naming
    both readings, never silently widened or narrowed; an IPv6 zone (``fe80::1%eth0``) is an error
    (it names an interface of one machine). Loopback and multicast are refused where a host or an
    endpoint is meant (``vdi_firewall_allow_loopback`` allows loopback for a lab on one machine).
"""

from __future__ import annotations

import ipaddress
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Union

from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError, kind_of

PORT_MIN = 1
PORT_MAX = 65535
_RANGE = re.compile(r"^(\d{1,5})-(\d{1,5})$")
_NUMBER = re.compile(r"^\d{1,5}$")

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


@contextmanager
def errors_as(error_type: type[VdiFirewallError]) -> Iterator[None]:
    """Raise the library's errors as `error_type` (a module's own subclass, which it reports)."""
    try:
        yield
    except error_type:
        raise
    except VdiFirewallError as exc:
        raise error_type(str(exc)) from None


# --- ports --------------------------------------------------------------------------------------

@dataclass(frozen=True, order=True)
class PortRange:
    """An inclusive port range; a single port has start == end."""

    start: int
    end: int

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.start <= port <= self.end

    @property
    def is_single(self) -> bool:
        """Whether the range is one port."""
        return self.start == self.end

    @property
    def is_every_port(self) -> bool:
        """Whether the range is every port (1-65535, or 0-65535 as some devices write it)."""
        return self.start <= PORT_MIN and self.end >= PORT_MAX


def is_port_text(value: Any) -> bool:
    """Whether a value is written as a port or a range (443, '443', '1000-2000') rather than a name."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and bool(_NUMBER.match(value) or _RANGE.match(value)))


def parse_port_range(value: Any, where: str) -> PortRange:
    """One port (443, '443') or range ('1000-2000') as a PortRange."""
    if isinstance(value, (bool, float, dict, list, tuple)) or value is None:
        raise VdiFirewallError(f"{where}: expected a port or an 'a-b' range, got {kind_of(value)}")
    text = str(value).strip()
    if not text:
        raise VdiFirewallError(f"{where}: the port is empty; give a port or an 'a-b' range")
    match = _RANGE.match(text)
    if isinstance(value, int):
        start = end = value
    elif match:
        start, end = int(match.group(1)), int(match.group(2))
    elif _NUMBER.match(text):
        start = end = int(text)
    else:
        raise VdiFirewallError(f"{where}: {text!r} is not a port number or an 'a-b' range (443 or '1000-2000')")
    if start == end and not PORT_MIN <= start <= PORT_MAX:
        raise VdiFirewallError(f"{where}: {text!r} is not a port number ({PORT_MIN}-{PORT_MAX})")
    if not PORT_MIN <= start <= end <= PORT_MAX:
        raise VdiFirewallError(f"{where}: {text!r} is outside {PORT_MIN}-{PORT_MAX} or reversed")
    return PortRange(start, end)


def parse_ports(value: Any, where: str) -> tuple[PortRange, ...]:
    """A port, a range, a list of them or a comma-separated string, in the order given (not merged).

    An empty value, an empty item, a boolean, a float or a port 0 is an error naming `where`.
    """
    if isinstance(value, (bool, float, dict)) or value is None:
        raise VdiFirewallError(f"{where}: expected a port, an 'a-b' range or a list of them, got {kind_of(value)}")
    items = list(value) if isinstance(value, (list, tuple)) else str(value).split(",")
    if not items or (len(items) == 1 and not isinstance(items[0], (list, dict)) and not str(items[0]).strip()):
        raise VdiFirewallError(f"{where}: the value is empty; give a port, an 'a-b' range or a list of them")
    ranges = []
    for item in items:
        if isinstance(item, str) and not item.strip():
            raise VdiFirewallError(f"{where}: {str(value)!r} has an empty item")
        ranges.append(parse_port_range(item, where))
    return tuple(ranges)


def parse_port(value: Any, where: str) -> int:
    """One port number 1-65535 (443 or '443'); a range is an error."""
    port_range = parse_port_range(value, where)
    if not port_range.is_single:
        raise VdiFirewallError(f"{where}: {str(value)!r} is a range; give one port number")
    return port_range.start


def parse_port_numbers(value: Any, where: str) -> tuple[int, ...]:
    """A list of single port numbers (management ports, say); a string or a range is an error."""
    if isinstance(value, (str, int, bool)) or not isinstance(value, (list, tuple)):
        raise VdiFirewallError(f"{where} must be a list of port numbers, got {kind_of(value)}")
    return tuple(parse_port(item, where) for item in value)


def merge_ports(ranges: Iterable[Any]) -> tuple[PortRange, ...]:
    """Port ranges (PortRange, (start, end) pairs or port texts) merged where they overlap or touch, sorted."""
    items: list[PortRange] = []
    for item in ranges:
        if isinstance(item, PortRange):
            items.append(item)
        elif isinstance(item, tuple) and len(item) == 2:
            items.append(PortRange(int(item[0]), int(item[1])))
        else:
            items.extend(parse_ports(item, "port list"))
    merged: list[PortRange] = []
    for port_range in sorted(items):
        if merged and port_range.start <= merged[-1].end + 1:
            if port_range.end > merged[-1].end:
                merged[-1] = PortRange(merged[-1].start, port_range.end)
        else:
            merged.append(port_range)
    return tuple(merged)


def port_texts(ranges: Iterable[Any]) -> tuple[str, ...]:
    """Merged ranges as texts: ('80', '443', '1000-2000')."""
    return tuple(str(item) for item in merge_ports(ranges))


def ports_text(ranges: Iterable[Any]) -> str:
    """Merged ranges as one comma-separated text: '80,443,1000-2000'."""
    return ",".join(port_texts(ranges))


def ports_cover(ranges: Iterable[PortRange], port: int) -> bool:
    """Whether any range contains the port."""
    return any(item.start <= port <= item.end for item in ranges)


def ports_without(ranges: Iterable[PortRange], port: int) -> tuple[PortRange, ...]:
    """The ranges with one port taken out (a range around it is split)."""
    result = []
    for item in ranges:
        if not item.start <= port <= item.end:
            result.append(item)
            continue
        if item.start < port:
            result.append(PortRange(item.start, port - 1))
        if port < item.end:
            result.append(PortRange(port + 1, item.end))
    return tuple(result)


def ports_uncovered(wanted: Iterable[PortRange], have: Iterable[PortRange]) -> tuple[PortRange, ...]:
    """The parts of the wanted ranges that no range of `have` covers."""
    covered = merge_ports(have)
    result = []
    for item in merge_ports(wanted):
        start = item.start
        for other in covered:
            if other.end < start or other.start > item.end:
                continue
            if other.start > start:
                result.append(PortRange(start, other.start - 1))
            start = max(start, other.end + 1)
            if start > item.end:
                break
        if start <= item.end:
            result.append(PortRange(start, item.end))
    return tuple(result)


@dataclass(frozen=True)
class PortSet:
    """A merged, sorted set of port ranges."""

    ranges: tuple[PortRange, ...] = ()

    @classmethod
    def parse(cls, value: Any, where: str) -> "PortSet":
        """Parse a port, a range, a list or a comma-separated string (see parse_ports), merged."""
        return cls(merge_ports(parse_ports(value, where)))

    @classmethod
    def of(cls, ranges: Iterable[Any]) -> "PortSet":
        """A set of already parsed ranges (or texts), merged."""
        return cls(merge_ports(ranges))

    def __iter__(self) -> Iterator[PortRange]:
        return iter(self.ranges)

    def __len__(self) -> int:
        return len(self.ranges)

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def __str__(self) -> str:
        return ",".join(str(item) for item in self.ranges)

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and ports_cover(self.ranges, port)

    def texts(self) -> tuple[str, ...]:
        """The ranges as texts: ('80', '443', '1000-2000')."""
        return tuple(str(item) for item in self.ranges)

    def union(self, other: Iterable[Any]) -> "PortSet":
        """This set and another's ranges, merged."""
        return PortSet(merge_ports(list(self.ranges) + list(other)))

    def without(self, port: int) -> "PortSet":
        """The set with one port taken out."""
        return PortSet(ports_without(self.ranges, port))

    def count(self) -> int:
        """How many ports the set holds."""
        return sum(item.end - item.start + 1 for item in self.ranges)


# --- addresses ----------------------------------------------------------------------------------

def _no_zone(text: str, where: str) -> None:
    if "%" in text:
        raise VdiFirewallError(
            f"{where}: {text!r} has an IPv6 zone ('%{text.split('%', 1)[1]}'), which names an interface of one "
            "machine; give the address without it")


def parse_network(value: Any, where: str) -> Network:
    """An address or CIDR as a network; host bits set is an error naming both readings."""
    if isinstance(value, (bool, dict, list, tuple)) or value is None:
        raise VdiFirewallError(f"{where}: expected an IP address or CIDR, got {kind_of(value)}")
    text = str(value).strip()
    _no_zone(text, where)
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise VdiFirewallError(f"{where}: {text!r} is not an IP address or CIDR") from exc
        address = text.split("/", 1)[0]
        raise VdiFirewallError(
            f"{where}: {text!r} has host bits set; write {loose} for the network or "
            f"{address}/{loose.max_prefixlen} for the one address") from exc


def parse_cidr(value: Any, where: str) -> str:
    """An address or CIDR as a CIDR text (see parse_network)."""
    return str(parse_network(value, where))


def _refuse_unusable(network: Network, text: str, where: str, allow_loopback: bool = False) -> None:
    address = network.network_address
    if address.is_loopback and not allow_loopback:
        raise VdiFirewallError(f"{where}: {text!r} is a loopback address, which no other host can reach "
                               "(vdi_firewall_allow_loopback: true allows it for a lab on one machine)")
    if address.is_multicast:
        raise VdiFirewallError(f"{where}: {text!r} is a multicast address, not a host or network of hosts")


def host_address(value: Any, where: str, allow_loopback: bool = False) -> str:
    """One host's address as a CIDR of one address (``/32`` or ``/128``); a network is an error."""
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


def endpoint_network(value: Any, where: str, allow_loopback: bool = False) -> str:
    """An endpoint's network (or single address) as a CIDR; 0.0.0.0/0 and ::/0 mean every address."""
    text = str(value).strip()
    network = parse_network(text, where)
    if network.prefixlen and network.network_address.is_unspecified:
        raise VdiFirewallError(f"{where}: {text!r} is not a usable network")
    if network.prefixlen:
        _refuse_unusable(network, text, where, allow_loopback)
    return str(network)


def is_address(text: Any) -> bool:
    """Whether the text is an IP address (possibly with a prefix) rather than a name."""
    try:
        ipaddress.ip_network(str(text).strip().split("%", 1)[0], strict=False)
    except ValueError:
        return False
    return True


def network_sort_key(cidr: str) -> tuple:
    """Sort key of a CIDR text: IPv4 before IPv6, then by address and prefix."""
    network = ipaddress.ip_network(cidr)
    return network.version, network.network_address, network.prefixlen


def collapse_networks(values: Iterable[Any], where: str = "address list") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Addresses and CIDRs validated and collapsed per family: (('10.0.0.0/23',), ('fd00::/64',))."""
    networks: dict[int, list] = {4: [], 6: []}
    for value in values:
        network = parse_network(value, where)
        networks[network.version].append(network)
    return (tuple(str(item) for item in ipaddress.collapse_addresses(networks[4])),
            tuple(str(item) for item in ipaddress.collapse_addresses(networks[6])))


def merge_cidrs(values: Iterable[Any], where: str = "address list") -> tuple[str, ...]:
    """Addresses and CIDRs merged into the fewest CIDRs, IPv4 before IPv6."""
    ipv4, ipv6 = collapse_networks(values, where)
    return ipv4 + ipv6


@dataclass(frozen=True)
class AddressSet:
    """A validated set of networks, collapsed per family."""

    ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()

    @classmethod
    def parse(cls, values: Any, where: str) -> "AddressSet":
        """A list of addresses/CIDRs (a single string is one address); bad items name `where`."""
        if values in (None, ""):
            return cls()
        items = [values] if isinstance(values, str) else values
        if not isinstance(items, (list, tuple, set, frozenset)):
            raise VdiFirewallError(f"{where} must be a list of addresses or CIDRs, got {kind_of(values)}")
        ipv4, ipv6 = collapse_networks(items, where)
        return cls(ipv4, ipv6)

    def __iter__(self) -> Iterator[str]:
        return iter(self.ipv4 + self.ipv6)

    def __len__(self) -> int:
        return len(self.ipv4) + len(self.ipv6)

    def __bool__(self) -> bool:
        return bool(self.ipv4 or self.ipv6)

    def family(self, version: int) -> tuple[str, ...]:
        """The networks of one family (4 or 6)."""
        return self.ipv4 if version == 4 else self.ipv6

    @property
    def is_every_address(self) -> bool:
        """Whether the set is every IPv4 and every IPv6 address."""
        return self.ipv4 == ("0.0.0.0/0",) and self.ipv6 == ("::/0",)


def controller_address(ssh_client: Any) -> str | None:
    """The controller's address as /32 or /128 from SSH_CLIENT ('ADDRESS CLIENT_PORT SERVER_PORT')."""
    if not ssh_client or not str(ssh_client).split():
        return None
    text = str(ssh_client).split()[0].split("%")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError as exc:
        raise VdiFirewallError(f"SSH_CLIENT {ssh_client!r} does not start with an IP address") from exc
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        mapped = address.ipv4_mapped
        return f"{mapped}/{mapped.max_prefixlen}"
    return f"{address}/{address.max_prefixlen}"
