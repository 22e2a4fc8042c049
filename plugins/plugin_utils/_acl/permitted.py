# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to vdi.firewall (use plugin_utils._acl's exports): what ACL entries permit, comparably.

An IOS-style entry permits a box: protocol (and established, ICMP type) times source addresses,
source ports, destination addresses and destination ports. Two lists of entries permit the same set
when, cut into the atoms of every boundary of the first four dimensions, each atom reaches the same
destination intervals. Parses IOS text (object groups, wildcards even non-contiguous), so that two
renderers' output can be compared.
"""

from __future__ import annotations

import ipaddress
import re

ANY_PORTS = (0, 65535)
# ICMP type keywords as numbers (Aerleon prints numbers)
ICMP_NUMBERS = {"echo-reply": "0", "unreachable": "3", "echo": "8", "time-exceeded": "11"}
_PORTS = re.compile(r"^(eq|range|gt|lt)$")


def _wildcard_cidrs(address: str, wildcard: str) -> list[tuple[int, int]]:
    """Address intervals of an address and wildcard (non-contiguous bits expand into several)."""
    base, mask = int(ipaddress.ip_address(address)), int(ipaddress.ip_address(wildcard))
    contiguous = mask == 0 or (mask + 1) & mask == 0
    if contiguous:
        return [(base & ~mask, (base & ~mask) + mask)]
    high_bits = [bit for bit in range(32) if mask >> bit & 1]
    trailing = 0
    while trailing < len(high_bits) and high_bits[trailing] == trailing:
        trailing += 1
    free = high_bits[trailing:]
    size = (1 << trailing) - 1
    result = []
    for index in range(1 << len(free)):
        value = base & ~mask
        for position, bit in enumerate(free):
            if index >> position & 1:
                value |= 1 << bit
        result.append((value, value + size))
    return result


def _operand(words: list[str], groups: dict) -> list[tuple[int, int]]:
    word = words.pop(0)
    if word == "any":
        return [(0, (1 << 32) - 1)]
    if word == "host":
        value = int(ipaddress.ip_address(words.pop(0)))
        return [(value, value)]
    if word == "object-group":
        return list(groups[words.pop(0)])
    return _wildcard_cidrs(word, words.pop(0))


def _ports(words: list[str]) -> tuple[int, int]:
    if not words or not _PORTS.match(words[0]):
        return ANY_PORTS
    operator = words.pop(0)
    if operator == "range":
        return int(words.pop(0)), int(words.pop(0))
    value = int(words.pop(0))
    return {"eq": (value, value), "gt": (value + 1, 65535), "lt": (0, value - 1)}[operator]


def parse_ios(lines) -> dict[str, list[tuple]]:
    """IPv4 ACL name -> its permit boxes (protocol, options, sources, source ports, destinations, ports)."""
    groups: dict[str, list] = {}
    acls: dict[str, list] = {}
    group = acl = None
    for line in lines:
        words = line.split()
        if not words or words[0] in ("remark", "!", "exit") or line.startswith(("$", "!", "no ")):
            continue
        if words[:2] == ["object-group", "network"]:
            group, acl = groups.setdefault(words[2], []), None
            continue
        if words[:2] == ["ip", "access-list"]:
            group, acl = None, acls.setdefault(words[-1], [])
            continue
        if not line.startswith(" "):  # an IPv6 ACL, an interface: not an IPv4 ACL's entries
            group = acl = None
            continue
        if group is not None:  # 'host A' or 'A NETMASK'
            net = ipaddress.ip_network(f"{words[1]}/32" if words[0] == "host" else f"{words[0]}/{words[1]}")
            group.append((int(net.network_address), int(net.broadcast_address)))
            continue
        if acl is None:
            continue
        if words[0].isdigit():
            words.pop(0)
        if words.pop(0) != "permit":
            continue
        protocol = words.pop(0)
        sources = _operand(words, groups)
        source_ports = _ports(words) if protocol in ("tcp", "udp") else ANY_PORTS
        destinations = _operand(words, groups)
        ports = _ports(words) if protocol in ("tcp", "udp") else ANY_PORTS
        options = tuple(sorted(ICMP_NUMBERS.get(word, word) for word in words if word not in ("log",)))
        acl.append((protocol, options, tuple(sources), source_ports, tuple(destinations), ports))
    return acls


def _merge(intervals) -> tuple:
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple(tuple(item) for item in merged)


def _cuts(intervals) -> list[int]:
    return sorted({point for start, end in intervals for point in (start, end + 1)})


def _atoms(cuts: list[int], start: int, end: int) -> list[int]:
    from bisect import bisect_left
    return cuts[bisect_left(cuts, start):bisect_left(cuts, end + 1)]


def canonical(boxes: list[tuple], cuts: dict | None = None) -> dict:
    """(protocol, options, source atom, source port atom, destination port atom) -> destination intervals."""
    cuts = cuts or box_cuts(boxes)
    result: dict[tuple, list] = {}
    for protocol, options, sources, source_ports, destinations, ports in boxes:
        key_cuts = cuts[(protocol, options)]
        for source_start, source_end in _merge(sources):
            for source in _atoms(key_cuts[0], source_start, source_end):
                for source_port in _atoms(key_cuts[1], *source_ports):
                    for port in _atoms(key_cuts[2], *ports):
                        result.setdefault((protocol, options, source, source_port, port), []).extend(destinations)
    return {key: _merge(value) for key, value in result.items()}


def box_cuts(*lists) -> dict:
    """The atoms' boundaries of every (protocol, options) over all the lists compared."""
    by_key: dict[tuple, list] = {}
    for boxes in lists:
        for protocol, options, sources, source_ports, _destinations, ports in boxes:
            entry = by_key.setdefault((protocol, options), [[], [], []])
            entry[0].extend(_merge(sources))
            entry[1].append(source_ports)
            entry[2].append(ports)
    return {key: [_cuts(values[0]), _cuts(values[1]), _cuts(values[2])] for key, values in by_key.items()}


def same_permitted(first: list[tuple], second: list[tuple]) -> bool:
    """Whether two lists of permit boxes permit exactly the same packets."""
    cuts = box_cuts(first, second)
    return canonical(first, cuts) == canonical(second, cuts)
