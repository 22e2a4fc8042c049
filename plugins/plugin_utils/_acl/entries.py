# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to vdi.firewall (use plugin_utils._acl's exports): a device's abstract ACL rules.

Every planned flow whose source lies in one zone of the device and whose destination lies in another
crosses the device and becomes a rule of the zone ACL that filters it: the source zone's ACL when it
is applied inbound, the destination zone's when it is applied outbound. A rule permits address sets
times port sets; rules are merged along one dimension at a time (ports of the same peers, peers of the
same ports), which keeps the permitted set exactly and leaves few rules to render.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any

from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.inputs import (
    device_addresses,
    device_ports,
    management_cidrs,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.model import (
    ANYWHERE,
    DEVICE_ZONE,
    EPHEMERAL_PORTS,
    ICMP_ESSENTIAL,
    ICMP_RETURN,
    KIND_ORDER,
    MANAGEMENT_FLOW,
    PROTOCOL_ORDER,
    AclOptions,
    DeviceInput,
    FlowRow,
    IPSet,
    Rule,
    Zone,
    afis_of,
    require_netaddr,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import PortRange, parse_port_value
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import merge_ports

# management ports of a host per platform (plugin_utils/_platforms.py); unknown: all of them
HOST_MANAGEMENT_PORTS = {"windows": (5985, 5986), "linux": (22,), "network": (22,), "appliance": (22, 443),
                         None: (22, 5985, 5986)}
_FAMILIES = ((4, "ipv4"), (6, "ipv6"))


def _split_addresses(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return value.split()
    return [str(item) for item in value]


def _ports_of(row: dict) -> list[PortRange | None]:
    if row["protocol"] not in ("tcp", "udp"):
        return [None]
    text = str(row.get("ports") or "").strip()
    ranges = parse_port_value(text, f"flow {row['flow_id']}: ports") if text else []
    if not ranges:
        raise VdiFirewallError(f"flow {row['flow_id']}: a {row['protocol']} flow without ports cannot become an ACL entry")
    return [None if (item.start, item.end) in ((0, 65535), (1, 65535)) else item for item in ranges]


def flow_rows(rows: list[dict]) -> list[FlowRow]:
    """Parse the planner's deployment_flows rows once for every device."""
    require_netaddr()
    parsed = []
    for row in rows:
        try:
            sources = IPSet(_split_addresses(row["source_addresses"]))
            destinations = IPSet(_split_addresses(row["destination_addresses"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise VdiFirewallError(f"flow {row.get('flow_id', '?')}: bad addresses ({exc})") from None
        parsed.append(FlowRow(flow_id=row["flow_id"], protocol=row["protocol"], sources=sources,
                              destinations=destinations, ports=_ports_of(row),
                              source_component=str(row.get("source") or ""),
                              destination_component=str(row.get("destination") or "")))
    return parsed


def management_targets(hosts: dict, options: AclOptions) -> list[tuple[tuple[int, ...], object]]:
    """(ports, IPSet of addresses) the controller keeps: host -> {addresses, platform} grouped by ports."""
    grouped: dict[tuple[int, ...], list[str]] = {}
    for host in sorted(hosts):
        item = hosts[host]
        platform = item.get("platform")
        if options.management_host_ports is not None:
            ports = options.management_host_ports
        elif platform in HOST_MANAGEMENT_PORTS:
            ports = HOST_MANAGEMENT_PORTS[platform]
        else:
            raise VdiFirewallError(f"host '{host}': unknown platform {platform!r}")
        grouped.setdefault(tuple(ports), []).extend(item.get("addresses") or ())
    return [(ports, IPSet(addresses)) for ports, addresses in sorted(grouped.items())]


def _families(addresses) -> dict[int, tuple[str, ...]]:
    by_version: dict[int, list[str]] = {4: [], 6: []}
    for cidr in addresses.iter_cidrs():
        by_version[cidr.version].append(str(cidr))
    return {version: tuple(cidrs) for version, cidrs in by_version.items()}


def _return_rule(rule: Rule) -> Rule:
    """The return traffic of a forward rule on a stateless ACL (see docs/network.md, return traffic)."""
    back = replace(rule, kind="return", sources=rule.destinations, destinations=rule.sources,
                   source_ports=rule.destination_ports, destination_ports=(), flows=set(rule.flows),
                   source_zone=rule.destination_zone, destination_zone=rule.source_zone,
                   source_labels=rule.destination_labels, destination_labels=rule.source_labels)
    if rule.protocol == "tcp":
        return replace(back, established=True)
    if rule.protocol == "udp":
        return replace(back, destination_ports=(EPHEMERAL_PORTS,))
    if rule.protocol in ("icmp", "icmpv6"):
        return replace(back, icmp_types=(ICMP_RETURN,))
    return back


class _Collector:
    """Abstract rules per (zone ACL, afi), keyed by what they permit."""

    def __init__(self, zones: list[Zone], options: AclOptions):
        self.zones = zones
        self.options = options
        self.rules: dict[tuple[str, str], dict[tuple, Rule]] = {}

    def add(self, rule: Rule, source_zone: Zone, destination_zone: Zone, afi: str) -> None:
        # an inbound ACL sees what enters from its zone; an outbound ACL what leaves towards its zone
        for zone in (source_zone if source_zone.direction == "in" else None,
                     destination_zone if destination_zone.direction == "out" else None):
            if zone is None or zone.acl is None or afi not in zone.afis:
                continue
            bucket = self.rules.setdefault((zone.name, afi), {})
            kept = bucket.setdefault(rule.key(), replace(rule, flows=set()))
            kept.flows.update(rule.flows)
            kept.source_labels |= rule.source_labels
            kept.destination_labels |= rule.destination_labels

    def flow(self, flow: FlowRow, kind: str = "flow", destination_zones=None) -> None:
        """Rules (and return rules) for a flow's traffic crossing the device."""
        for source_zone in self.zones:
            source_part = flow.sources & source_zone.addresses
            if not source_part:
                continue
            for destination_zone in destination_zones or self.zones:
                if destination_zone is source_zone:
                    continue
                destination_part = flow.destinations & destination_zone.addresses
                if destination_part:
                    self._cross(flow, kind, source_part, destination_part, source_zone, destination_zone)

    def _cross(self, flow, kind, source_part, destination_part, source_zone, destination_zone):
        sources, destinations = _families(source_part), _families(destination_part)
        ports = () if None in flow.ports else tuple(merge_ports(flow.ports))
        for version, afi in _FAMILIES:
            if afi not in self.options.afis or not sources[version] or not destinations[version]:
                continue
            if (flow.protocol == "icmp" and version == 6) or (flow.protocol == "icmpv6" and version == 4):
                continue
            rule = Rule(kind, flow.protocol, sources[version], destinations[version], destination_ports=ports,
                        flows={flow.flow_id}, source_zone=source_zone.name, destination_zone=destination_zone.name,
                        source_labels=frozenset([flow.source_component] if flow.source_component else ()),
                        destination_labels=frozenset([flow.destination_component] if flow.destination_component else ()))
            self.add(rule, source_zone, destination_zone, afi)
            if self.options.return_traffic:
                self.add(_return_rule(rule), destination_zone, source_zone, afi)


def _union(dimension: str, values: list[tuple]) -> tuple:
    if dimension in ("sources", "destinations"):
        return tuple(str(cidr) for cidr in IPSet([cidr for value in values for cidr in value]).iter_cidrs())
    if any(not value for value in values):
        return ()  # one of them is any port
    return tuple(merge_ports([port for value in values for port in value]))


def _merge(rules: list[Rule], dimension: str) -> list[Rule]:
    """Merge the rules that differ only in one dimension into one rule (flows and labels follow)."""
    groups: dict[tuple, list[Rule]] = {}
    for rule in rules:
        groups.setdefault(rule.key(dimension), []).append(rule)
    merged = []
    for members in groups.values():
        if len(members) == 1:
            merged.append(members[0])
            continue
        # the merged dimension's union: one of sources, destinations, source_ports, destination_ports
        union: dict[str, Any] = {dimension: _union(dimension, [getattr(member, dimension) for member in members])}
        merged.append(replace(
            members[0],
            flows=set().union(*(member.flows for member in members)),
            source_labels=frozenset().union(*(member.source_labels for member in members)),
            destination_labels=frozenset().union(*(member.destination_labels for member in members)),
            **union,
        ))
    return merged


def _network_key(cidr: str) -> tuple:
    network = ipaddress.ip_network(cidr)
    return (network.version, int(network.network_address), network.prefixlen)


def _ports_key(ports: tuple) -> tuple:
    return (ports[0].start, ports[0].end) if ports else (-1, -1)


def rule_key(rule: Rule) -> tuple:
    """The order of rules in an ACL: by kind, protocol, destination, ports, source."""
    return (KIND_ORDER[rule.kind], PROTOCOL_ORDER.get(rule.protocol, 99), _network_key(rule.destinations[0]),
            _ports_key(rule.destination_ports), _network_key(rule.sources[0]), _ports_key(rule.source_ports),
            rule.icmp_types)


def finish(rules: list[Rule], afi: str, options: AclOptions) -> list[Rule]:
    """Merge, order, then add the ICMP the network needs and the explicit deny."""
    if options.merge_flows:
        for dimension in ("destination_ports", "source_ports", "sources", "destinations", "destination_ports",
                          "source_ports", "sources"):
            rules = _merge(rules, dimension)
    ordered = sorted(rules, key=rule_key)
    anywhere = (ANYWHERE[afi],)
    if ordered and afi == "ipv4" and options.icmp_essential:
        ordered.append(Rule("icmp", "icmp", anywhere, anywhere, icmp_types=ICMP_ESSENTIAL))
    if afi == "ipv6" and options.icmpv6_essential:
        ordered.append(Rule("icmpv6", "icmpv6", anywhere, anywhere, icmp_types=options.icmpv6_types))
    ordered.append(Rule("deny", "ip", anywhere, anywhere))
    return ordered


def _management(collector: _Collector, device: DeviceInput, managed, options: AclOptions, warnings: list) -> None:
    management = management_cidrs(device)
    if not management:
        warnings.append(
            f"device '{device.name}': vdi_firewall_management_cidrs is not set; no entry keeps management access "
            f"(SSH/NETCONF to the device, SSH/WinRM to the hosts) open through the ACLs"
        )
        return
    sources = IPSet(management)
    for ports, hosts in managed:
        if hosts:
            collector.flow(FlowRow(MANAGEMENT_FLOW, "tcp", sources, hosts, [PortRange(port, port) for port in ports],
                                   "controller", "hosts"), kind="management")
    own = device_addresses(device)
    if not own:
        warnings.append(
            f"device '{device.name}': no IP address (vdi_firewall_address or ansible_host), so no entry keeps "
            f"its own management port open; make sure the controller does not reach it through a filtered interface"
        )
        return
    device_zone = Zone(DEVICE_ZONE, own, None, direction=None, addresses=IPSet(own), afis=afis_of(own))
    for port in device_ports(device, options):
        collector.flow(FlowRow(MANAGEMENT_FLOW, "tcp", sources, IPSet(own), [PortRange(port, port)], "controller",
                               "device"), kind="management", destination_zones=[device_zone])


def device_entries(device: DeviceInput, zones: list[Zone], flows: list[FlowRow], managed,
                   options: AclOptions, names: dict | None = None) -> tuple[dict[tuple[str, str], list[Rule]], list[str]]:
    """Every ACL's ordered abstract rules of one device, keyed by (zone, afi); and warnings.

    names: (zone, afi) -> the ACL's name on the platform (acl_names), for the warnings; default the zone's acl.
    """
    collector = _Collector(zones, options)
    warnings: list[str] = []
    _management(collector, device, managed, options, warnings)
    for flow in flows:
        collector.flow(flow)
    result = {}
    for zone in zones:
        for afi in zone.afis:
            if afi not in options.afis:
                continue
            rules = list(collector.rules.get((zone.name, afi), {}).values())
            if not any(rule.kind in ("flow", "return") for rule in rules):
                warnings.append(
                    f"device '{device.name}': ACL '{(names or {}).get((zone.name, afi), zone.acl)}' ({afi}, zone "
                    f"'{zone.name}') permits no planned flow; "
                    f"bound {zone.direction}, it blocks the zone's {afi} traffic"
                )
            result[(zone.name, afi)] = finish(rules, afi, options)
    return result, warnings
