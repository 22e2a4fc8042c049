# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Zone firewall of a Linux router: one owned table (inet vdi_firewall_zones) with a forward chain, pure Python.

Internal to vdi.firewall, not a public interface: it may change in any release.

The input is what vdi.firewall.device_acls works out for a device of platform ``nftables``: the
device's zones (name, cidrs, interface) and the entries of its ACLs as plain data. Connection
tracking replaces the return entries of stateless ACLs.

Layout of the table::

    chain forward        hook forward; established/related accepted; each zone's traffic (by its
                         interface, else by its CIDRs) jumps to from_<zone>
    chain from_<zone>    traffic towards each other zone (by interface, else CIDRs) jumps to the pair's chain;
                         traffic that stays in the zone or leaves to no listed zone returns
    chain <a>_to_<b>     invalid dropped, the pair's entries accepted, everything else counted and dropped

The file replaces the table in one transaction; the digest helpers of nftables_ruleset persist it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import (
    VdiFirewallError,
    errors_as,
    parse_cidr,
    parse_ports,
    port_texts,
)
from ansible_collections.vdi.firewall.plugins.module_utils._nftables_ruleset import comment as _comment

TABLE_FAMILY = "inet"
TABLE_NAME = "vdi_firewall_zones"
DEFAULT_PATH = "/etc/nftables.d/vdi_firewall_zones.nft"
POLICIES = ("accept", "drop")
# kinds of entries this table renders; return entries and the final deny are replaced by conntrack
# and by each pair chain's own drop
RENDERED_KINDS = ("management", "flow", "icmpv6")
IGNORED_KINDS = ("return", "deny")
KIND_ORDER = {"management": 0, "flow": 1, "icmpv6": 2}
PROTOCOLS = ("tcp", "udp", "icmp", "icmpv6", "vrrp", "gre", "esp", "ip")
PORT_PROTOCOLS = ("tcp", "udp")
L4PROTO = {"icmp": "icmp", "icmpv6": "ipv6-icmp", "vrrp": "vrrp", "gre": "gre", "esp": "esp"}
ICMPV6_TYPES = ("nd-neighbor-solicit", "nd-neighbor-advert", "packet-too-big", "nd-router-solicit",
                "nd-router-advert", "destination-unreachable", "time-exceeded", "parameter-problem",
                "echo-request", "echo-reply")
# entries towards the router itself (its management port): the input hook, which this table leaves alone
DEVICE_ZONE = "(device)"
# a Linux interface name (IFNAMSIZ - 1 characters), optionally ending in * to match every name with that prefix
_INTERFACE = re.compile(r"^[A-Za-z0-9_.:@+-]{1,15}\*?$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_ .,:;+/()=>-]")
LOG_PREFIX_MAX = 127


class ZoneError(VdiFirewallError, ValueError):
    """A zone or entry that cannot be rendered; the message names it."""


@dataclass(frozen=True)
class Zone:
    """One zone of the router, validated."""

    name: str
    cidrs: tuple[str, ...]
    interface: str | None
    chain: str

    def networks(self, version: int) -> tuple[str, ...]:
        return tuple(cidr for cidr in self.cidrs if ipaddress.ip_network(cidr).version == version)


@dataclass(frozen=True)
class ZoneRule:
    """Accepted packets between two zones: one statement."""

    kind: str
    family: int  # 4 or 6; 0 for both (ICMPv6 types are IPv6 only by themselves)
    protocol: str
    source: str
    destination: tuple[str, ...]  # one or more CIDRs of the family
    source_ports: tuple[str, ...]
    destination_ports: tuple[str, ...]
    icmp_types: tuple[str, ...]
    flows: tuple[str, ...]


def _identifier(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "zone"
    return cleaned if cleaned[0].isalpha() else f"z_{cleaned}"


def _unique(names: list[str]) -> list[str]:
    """Identifiers made unique by a numeric suffix, in order."""
    seen: set[str] = set()
    result = []
    for name in names:
        candidate, number = name, 2
        while candidate in seen:
            candidate = f"{name}_{number}"
            number += 1
        seen.add(candidate)
        result.append(candidate)
    return result


def _network(value, where: str) -> str:
    with errors_as(ZoneError):
        return parse_cidr(value, where)


def normalize_zones(zones) -> list[Zone]:
    """Validate the zones ({name, cidrs, interface}; other keys are ignored), in order."""
    if not isinstance(zones, (list, tuple)) or not zones:
        raise ZoneError("zones: expected a non-empty list of {name, cidrs, interface}")
    raw = []
    for index, zone in enumerate(zones, start=1):
        if not isinstance(zone, dict):
            raise ZoneError(f"zone #{index}: expected a dictionary, got {zone!r}")
        name = zone.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ZoneError(f"zone #{index}: 'name' must be a non-empty string")
        where = f"zone '{name}'"
        cidrs = zone.get("cidrs")
        if isinstance(cidrs, (str, bytes)) or not isinstance(cidrs, (list, tuple)) or not cidrs:
            raise ZoneError(f"{where}: 'cidrs' must be a non-empty list of CIDRs")
        networks = tuple(_network(cidr, f"{where} cidrs") for cidr in cidrs)
        interface = zone.get("interface")
        if interface in (None, ""):
            interface = None
        elif not isinstance(interface, str) or not _INTERFACE.match(interface):
            raise ZoneError(
                f"{where}: interface {interface!r} is not a Linux interface name (15 characters at most of "
                f"letters, digits and _.:@+-, optionally ending in *)"
            )
        raw.append((name, networks, interface))
    chains = _unique([_identifier(name) for name, _cidrs, _interface in raw])
    result = [Zone(name, cidrs, interface, chain) for (name, cidrs, interface), chain in zip(raw, chains)]
    _check_zones(result)
    return result


def _check_zones(zones: list[Zone]) -> None:
    for index, zone in enumerate(zones):
        for other in zones[index + 1:]:
            if zone.name == other.name:
                raise ZoneError(f"zone '{zone.name}' is listed twice")
            if zone.interface and zone.interface == other.interface:
                raise ZoneError(
                    f"zones '{zone.name}' and '{other.name}' are both on interface '{zone.interface}'; "
                    f"traffic between them does not cross the router - make them one zone"
                )
            for cidr in zone.cidrs:
                for other_cidr in other.cidrs:
                    if ipaddress.ip_network(cidr).overlaps(ipaddress.ip_network(other_cidr)):
                        raise ZoneError(
                            f"zones '{zone.name}' and '{other.name}' overlap ({cidr} and {other_cidr}); "
                            f"a zone's CIDRs must not be in another zone"
                        )


def _ports(value, where: str) -> tuple[str, ...]:
    if value in (None, "", []):
        return ()
    with errors_as(ZoneError):
        return port_texts(parse_ports(value, where))


def _merge_ports(values) -> tuple[str, ...]:
    return port_texts(values)


def _entry(entry, index: int, zones: dict[str, Zone]):
    """(source zone, destination zone or None for every pair, ZoneRule) of one entry; None when not rendered."""
    where = f"entry #{index}"
    if not isinstance(entry, dict):
        raise ZoneError(f"{where}: expected a dictionary, got {entry!r}")
    kind = entry.get("kind") or "flow"
    if kind in IGNORED_KINDS or entry.get("grant", "permit") == "deny":
        return None
    if kind not in RENDERED_KINDS:
        raise ZoneError(f"{where}: kind {kind!r} is not one of {', '.join(RENDERED_KINDS + IGNORED_KINDS)}")
    protocol = entry.get("protocol")
    if protocol not in PROTOCOLS:
        raise ZoneError(f"{where}: protocol {protocol!r} is not one of {', '.join(PROTOCOLS)}")
    source_zone = entry.get("source_zone") or ""
    destination_zone = entry.get("destination_zone") or ""
    if destination_zone == DEVICE_ZONE:
        return None
    for label, zone in (("source_zone", source_zone), ("destination_zone", destination_zone)):
        if zone and zone not in zones:
            raise ZoneError(f"{where}: {label} '{zone}' is not one of the zones ({', '.join(zones)})")
    if bool(source_zone) != bool(destination_zone) or (not source_zone and kind != "icmpv6"):
        raise ZoneError(f"{where}: needs both source_zone and destination_zone (only ICMPv6 entries may name neither)")
    if source_zone and source_zone == destination_zone:
        raise ZoneError(f"{where}: source_zone and destination_zone are both '{source_zone}'")
    source = _network(entry.get("source") or ("::/0" if protocol == "icmpv6" else ""), f"{where} source")
    destination = _network(entry.get("destination") or ("::/0" if protocol == "icmpv6" else ""), f"{where} destination")
    family = ipaddress.ip_network(source).version
    if ipaddress.ip_network(destination).version != family:
        raise ZoneError(f"{where}: source {source} and destination {destination} are of different address families")
    if (protocol == "icmp" and family == 6) or (protocol == "icmpv6" and family == 4):
        raise ZoneError(f"{where}: {protocol} between {source} and {destination} mixes address families")
    source_ports = _ports(entry.get("source_ports"), f"{where} source_ports")
    destination_ports = _ports(entry.get("destination_ports"), f"{where} destination_ports")
    if protocol not in PORT_PROTOCOLS and (source_ports or destination_ports):
        raise ZoneError(f"{where}: protocol {protocol} has no ports, but the entry lists some")
    icmp_type = entry.get("icmp_type")
    if icmp_type not in (None, ""):
        if protocol != "icmpv6" or icmp_type not in ICMPV6_TYPES:
            raise ZoneError(f"{where}: icmp_type {icmp_type!r} needs protocol icmpv6 and one of {', '.join(ICMPV6_TYPES)}")
        icmp_types: tuple[str, ...] = (str(icmp_type),)
    else:
        icmp_types = ()
    flows = entry.get("flows") or ()
    if isinstance(flows, str):
        flows = flows.split()
    rule = ZoneRule(kind, family, protocol, source, (destination,), source_ports, destination_ports, icmp_types,
                    tuple(sorted({str(flow) for flow in flows})))
    return source_zone or None, destination_zone or None, rule


def _merge(rules: list[ZoneRule]) -> list[ZoneRule]:
    """Rules that differ only in their ports (or ICMPv6 types) as one rule with a set, in first-seen order."""
    groups: dict[tuple, list[ZoneRule]] = {}
    for rule in rules:
        key = (rule.kind, rule.family, rule.protocol, rule.source, rule.destination, rule.source_ports,
               bool(rule.icmp_types))
        groups.setdefault(key, []).append(rule)
    by_ports = []
    for members in groups.values():
        first = members[0]
        flows = tuple(sorted({flow for member in members for flow in member.flows}))
        if any(not member.destination_ports for member in members):
            destination_ports: tuple[str, ...] = ()  # one of them accepts any port
        else:
            destination_ports = _merge_ports(port for member in members for port in member.destination_ports)
        icmp_types = tuple(dict.fromkeys(item for member in members for item in member.icmp_types))
        by_ports.append(ZoneRule(first.kind, first.family, first.protocol, first.source, first.destination,
                                 first.source_ports, destination_ports, icmp_types, flows))
    # then rules that differ only in their destination: one rule with a set of destinations
    # (exact: every destination had the same source, protocol and ports)
    groups = {}
    for rule in by_ports:
        same_but_destination = (rule.kind, rule.family, rule.protocol, rule.source, rule.source_ports,
                                rule.destination_ports, rule.icmp_types)
        groups.setdefault(same_but_destination, []).append(rule)
    merged = []
    for members in groups.values():
        first = members[0]
        # one address family per group (the key holds it), as collapse_addresses needs
        networks = ipaddress.collapse_addresses(ipaddress.ip_network(cidr)  # type: ignore[type-var]
                                                for member in members for cidr in member.destination)
        merged.append(ZoneRule(first.kind, first.family, first.protocol, first.source,
                               tuple(str(network) for network in networks), first.source_ports,
                               first.destination_ports, first.icmp_types,
                               tuple(sorted({flow for member in members for flow in member.flows}))))
    return sorted(merged, key=lambda rule: KIND_ORDER[rule.kind])


def _set(values) -> str:
    values = list(values)
    return values[0] if len(values) == 1 else "{ " + ", ".join(values) + " }"


def _address(cidr: str) -> str:
    network = ipaddress.ip_network(cidr)
    return str(network.network_address) if network.prefixlen == network.max_prefixlen else str(network)


def _text(value: str) -> str:
    return _UNSAFE.sub("_", value)


def rule_line(rule: ZoneRule) -> str:
    """The nft statement of one rule."""
    parts = []
    keyword = "ip" if rule.family == 4 else "ip6"
    addressed = False
    for side, cidrs in (("saddr", (rule.source,)), ("daddr", rule.destination)):
        if all(ipaddress.ip_network(cidr).prefixlen for cidr in cidrs):
            parts.append(f"{keyword} {side} {_set(_address(cidr) for cidr in cidrs)}")
            addressed = True
    if rule.icmp_types:
        parts.append(f"icmpv6 type {_set(rule.icmp_types)}")
    elif rule.protocol in L4PROTO:
        if not addressed and rule.protocol not in ("icmp", "icmpv6"):
            parts.append(f"meta nfproto {'ipv4' if rule.family == 4 else 'ipv6'}")
        parts.append(f"meta l4proto {L4PROTO[rule.protocol]}")
    elif rule.protocol in PORT_PROTOCOLS:
        if not addressed:
            parts.append(f"meta nfproto {'ipv4' if rule.family == 4 else 'ipv6'}")
        if rule.source_ports:
            parts.append(f"{rule.protocol} sport {_set(rule.source_ports)}")
        if rule.destination_ports:
            parts.append(f"{rule.protocol} dport {_set(rule.destination_ports)}")
        if not rule.source_ports and not rule.destination_ports:
            parts.append(f"meta l4proto {rule.protocol}")
    elif not addressed:  # ip: every protocol of the family
        parts.append(f"meta nfproto {'ipv4' if rule.family == 4 else 'ipv6'}")
    label = {"management": "management access of the controller", "icmpv6": "ICMPv6 the network needs"}.get(
        rule.kind, " ".join(rule.flows) or "flow")
    parts.append(f'accept comment "{_comment(_text(label))}"')
    return " ".join(parts)


def _zone_match(zone: Zone, side: str) -> list[str]:
    """Statements that select a zone's packets as source (side 'in') or destination ('out')."""
    if zone.interface:
        return [f'{"iifname" if side == "in" else "oifname"} "{zone.interface}"']
    direction = "saddr" if side == "in" else "daddr"
    matches = []
    for version, keyword in ((4, "ip"), (6, "ip6")):
        networks = zone.networks(version)
        if networks:
            matches.append(f"{keyword} {direction} {_set(networks)}")
    return matches


def pair_chain(source: Zone, destination: Zone) -> str:
    """The chain of the traffic from one zone to another."""
    return f"{source.chain}_to_{destination.chain}"


def plan_zone_rules(zones, entries) -> tuple[list[Zone], dict[tuple[str, str], list[ZoneRule]], dict]:
    """The zones, each ordered pair's merged rules, and counts of the entries left out (by reason)."""
    checked = normalize_zones(zones)
    by_name = {zone.name: zone for zone in checked}
    if entries is None:
        entries = []
    if not isinstance(entries, (list, tuple)):
        raise ZoneError(f"entries: expected a list, got {entries!r}")
    pairs: dict[tuple[str, str], list[ZoneRule]] = {(a.name, b.name): [] for a in checked for b in checked if a is not b}
    everywhere: list[ZoneRule] = []
    skipped = {"return": 0, "deny": 0, "device": 0}
    seen: set[tuple] = set()
    for index, entry in enumerate(entries, start=1):
        parsed = _entry(entry, index, by_name)
        if parsed is None:
            if isinstance(entry, dict):
                if entry.get("destination_zone") == DEVICE_ZONE:
                    skipped["device"] += 1
                elif entry.get("kind") == "return":
                    skipped["return"] += 1
                else:
                    skipped["deny"] += 1
            continue
        source_zone, destination_zone, rule = parsed
        key = (source_zone, destination_zone, rule)
        if key in seen:  # the same entry in the source zone's inbound ACL and the destination zone's outbound one
            continue
        seen.add(key)
        if source_zone is None:
            everywhere.append(rule)
        else:
            pairs[(source_zone, destination_zone)].append(rule)
    for (source_zone, destination_zone), rules in pairs.items():
        # ICMPv6 entries name no zone: every IPv6 ACL has them, so every pair from a zone with IPv6 gets them
        shared = everywhere if by_name[source_zone].networks(6) else []
        pairs[(source_zone, destination_zone)] = _merge(rules + shared)
    return checked, pairs, skipped


def render_zones(zones, entries, forward_policy: str = "accept", log_drop: bool = False) -> str:
    """The whole owned table as an nft script that replaces any previous version atomically."""
    if forward_policy not in POLICIES:
        raise ZoneError(f"forward_policy must be one of {', '.join(POLICIES)}, got {forward_policy!r}")
    checked, pairs, _skipped = plan_zone_rules(zones, entries)
    table = f"{TABLE_FAMILY} {TABLE_NAME}"
    out = [
        "#!/usr/sbin/nft -f",
        "# Managed by the vdi.firewall collection (vdi.firewall.nftables_zones): edits are overwritten.",
        "# Traffic between the zones below is accepted only for the planned flows (and the controller's",
        "# management access), then dropped; connection tracking accepts the replies. Traffic that stays",
        "# in one zone, or involves no listed zone, is left to the rest of the ruleset.",
        "# Creating the table first lets the delete succeed when it is missing; the three statements",
        "# run as one transaction, so the new table replaces the old one at once or not at all.",
        f"table {table}",
        f"delete table {table}",
        f"table {table} {{",
        "\tchain forward {",
        f"\t\ttype filter hook forward priority filter; policy {forward_policy};",
        "\t\tct state established,related accept",
    ]
    for zone in checked:
        out += [f"\t\t{match} jump from_{zone.chain}" for match in _zone_match(zone, "in")]
    out.append("\t}")
    for zone in checked:
        out.append(f"\tchain from_{zone.chain} {{")
        for other in checked:
            if other is zone:
                continue
            out += [f"\t\t{match} jump {pair_chain(zone, other)}" for match in _zone_match(other, "out")]
        out.append("\t}")
    for zone in checked:
        for other in checked:
            if other is zone:
                continue
            out.append(f"\tchain {pair_chain(zone, other)} {{")
            out.append("\t\tct state invalid drop")
            out += [f"\t\t{rule_line(rule)}" for rule in pairs[(zone.name, other.name)]]
            drop = "counter drop"
            if log_drop:
                prefix = _text(f"vdi_firewall_zones {zone.name}>{other.name} drop: ")[:LOG_PREFIX_MAX]
                drop = f'log prefix "{prefix}" counter drop'
            out.append(f"\t\t{drop}")
            out.append("\t}")
    out.append("}")
    return "\n".join(out) + "\n"


def summary(zones, entries) -> dict:
    """Counts: zones, zone pairs, rules (statements that accept), entries left out by reason."""
    checked, pairs, skipped = plan_zone_rules(zones, entries)
    return {
        "zones": len(checked),
        "pairs": len(pairs),
        "rules": sum(len(rules) for rules in pairs.values()),
        "skipped": skipped,
    }
