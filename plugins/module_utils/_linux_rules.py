# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and normalisation of a host's rule list for the Linux backends (firewalld, nftables).

Internal to vdi.firewall, not a public interface: it may change in any release.

Pure Python, no Ansible imports: modules call it on the target, tests call it directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import (
    VdiFirewallError,
    collapse_networks,
    errors_as,
    parse_port_range,
    port_texts,
)

PROTOCOLS = ("tcp", "udp", "icmp", "icmpv6", "vrrp", "gre", "esp")
PORT_PROTOCOLS = ("tcp", "udp")
DIRECTIONS = ("in", "out")
NAME_PATTERN = re.compile(r"^[a-z0-9_+.-]+$")

# icmp only ever matches IPv4 packets and icmpv6 only IPv6 packets: the other family is left out.
FAMILY_ONLY = {"icmp": 4, "icmpv6": 6}


class RuleError(VdiFirewallError, ValueError):
    """A rule or management entry that cannot be applied; the message names the entry and the key."""


@dataclass(frozen=True)
class Rule:
    """One rule, validated: ports merged and sorted, addresses collapsed per family."""

    name: str
    direction: str
    protocol: str
    local_ports: tuple[str, ...]
    remote_ports: tuple[str, ...]
    ipv4: tuple[str, ...]
    ipv6: tuple[str, ...]
    flows: tuple[str, ...] = ()
    description: str = ""

    @property
    def destination_ports(self) -> tuple[str, ...]:
        """Ports matched as the packet's destination port: the local side of inbound traffic."""
        return self.local_ports if self.direction == "in" else self.remote_ports

    @property
    def source_ports(self) -> tuple[str, ...]:
        """Ports matched as the packet's source port."""
        return self.remote_ports if self.direction == "in" else self.local_ports

    def addresses(self, family: int) -> tuple[str, ...]:
        """The remote networks of one address family (4 or 6)."""
        return self.ipv4 if family == 4 else self.ipv6


def merge_ports(values: Iterable[Any], where: str) -> tuple[str, ...]:
    """Ports and ranges merged where they overlap or touch, sorted: ('80', '443', '1000-2000')."""
    with errors_as(RuleError):
        return port_texts(parse_port_range(value, where) for value in values)


def split_addresses(values: Iterable[Any], where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Addresses and CIDRs collapsed per family: (('10.0.0.0/23',), ('fd00::/64',))."""
    with errors_as(RuleError):
        return collapse_networks(values, where)


def _string_list(rule: dict, key: str, where: str) -> list:
    value = rule.get(key)
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise RuleError(f"{where}: '{key}' must be a list, got {value!r}")
    return list(value)


def normalize_rule(rule: Any, index: int) -> Rule:
    """Validate one rule of the planner's contract; keys other than the contract's are ignored."""
    if not isinstance(rule, dict):
        raise RuleError(f"rule #{index}: expected a dictionary, got {rule!r}")
    name = rule.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise RuleError(f"rule #{index}: 'name' must be a non-empty string of [a-z0-9_+.-], got {name!r}")
    where = f"rule {name!r}"
    direction = rule.get("direction")
    if direction not in DIRECTIONS:
        raise RuleError(f"{where}: 'direction' must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    protocol = rule.get("protocol")
    if protocol not in PROTOCOLS:
        raise RuleError(f"{where}: 'protocol' must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    local_ports = merge_ports(_string_list(rule, "local_ports", where), f"{where} local_ports")
    remote_ports = merge_ports(_string_list(rule, "remote_ports", where), f"{where} remote_ports")
    if protocol not in PORT_PROTOCOLS and (local_ports or remote_ports):
        raise RuleError(f"{where}: protocol {protocol} has no ports, but the rule lists some")
    addresses = _string_list(rule, "remote_addresses", where)
    if not addresses:
        raise RuleError(f"{where}: 'remote_addresses' is empty (use 0.0.0.0/0 and ::/0 for any address)")
    ipv4, ipv6 = split_addresses(addresses, f"{where} remote_addresses")
    only = FAMILY_ONLY.get(protocol)
    if only == 4:
        ipv6 = ()
    elif only == 6:
        ipv4 = ()
    flows = tuple(str(flow) for flow in _string_list(rule, "flows", where))
    description = rule.get("description") or ""
    return Rule(name, direction, protocol, local_ports, remote_ports, ipv4, ipv6, flows, str(description))


def normalize_rules(rules: Any) -> list[Rule]:
    """Validate a rule list; names must be unique. The order is kept."""
    if rules is None:
        return []
    if not isinstance(rules, (list, tuple)):
        raise RuleError(f"rules: expected a list, got {rules!r}")
    normalized = [normalize_rule(rule, index) for index, rule in enumerate(rules, start=1)]
    seen: set[str] = set()
    for rule in normalized:
        if rule.name in seen:
            raise RuleError(f"rule {rule.name!r}: the name is used twice")
        seen.add(rule.name)
    return normalized


def normalize_management(entries: Any) -> list[Rule]:
    """Management entries ({protocol, port, remote_addresses}) as inbound rules named management-*."""
    if entries is None:
        return []
    if not isinstance(entries, (list, tuple)):
        raise RuleError(f"management: expected a list, got {entries!r}")
    normalized = []
    for index, entry in enumerate(entries, start=1):
        where = f"management entry #{index}"
        if not isinstance(entry, dict):
            raise RuleError(f"{where}: expected a dictionary, got {entry!r}")
        protocol = entry.get("protocol", "tcp")
        if protocol not in PORT_PROTOCOLS:
            raise RuleError(f"{where}: 'protocol' must be tcp or udp, got {protocol!r}")
        if entry.get("port") in (None, ""):
            raise RuleError(f"{where}: 'port' is required")
        ports = merge_ports([entry["port"]], f"{where} port")
        addresses = _string_list(entry, "remote_addresses", where)
        if not addresses:
            raise RuleError(f"{where}: 'remote_addresses' is empty (use 0.0.0.0/0 and ::/0 for any address)")
        ipv4, ipv6 = split_addresses(addresses, f"{where} remote_addresses")
        name = f"management-{protocol}-{ports[0]}"
        normalized.append(Rule(name, "in", protocol, ports, (), ipv4, ipv6, (), "management access"))
    return normalized
