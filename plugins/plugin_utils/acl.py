# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ACLs for network devices between zones, from the deployment's flows (pure Python, no Ansible).

A device joins zones (each a set of CIDRs behind one of its interfaces). Every planned flow whose
source lies in one zone of the device and whose destination lies in another crosses the device and
becomes a permit entry in the ACL of the zone where the ACL filters it: the source zone's ACL when
that zone's ACL is applied inbound (traffic entering the device from the zone), the destination
zone's ACL when it is applied outbound. Entries are merged, ordered, numbered and rendered in the
data shape of each platform's ACL resource module, ending in an explicit deny.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace

try:
    from netaddr import IPNetwork, IPSet

    HAS_NETADDR = True
except ImportError:  # pragma: no cover - exercised only without netaddr
    HAS_NETADDR = False

from ansible_collections.vdi.firewall.plugins.plugin_utils.catalog import PortRange, parse_port_value, reference_label
from ansible_collections.vdi.firewall.plugins.plugin_utils.errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils.outputs import csv_text, file_name
from ansible_collections.vdi.firewall.plugins.plugin_utils.planner import merge_ports

# ansible_network_os (FQCN or the short legacy name) -> platform
NETWORK_OS = {
    "cisco.ios.ios": "ios",
    "ios": "ios",
    "arista.eos.eos": "eos",
    "eos": "eos",
    "cisco.nxos.nxos": "nxos",
    "nxos": "nxos",
    "junipernetworks.junos.junos": "junos",
    "junos": "junos",
}
SUPPORTED_NETWORK_OS = ("cisco.ios.ios", "arista.eos.eos", "cisco.nxos.nxos", "junipernetworks.junos.junos")
MODULES = {
    "ios": ("cisco.ios.ios_acls", "cisco.ios.ios_acl_interfaces"),
    "eos": ("arista.eos.eos_acls", "arista.eos.eos_acl_interfaces"),
    "nxos": ("cisco.nxos.nxos_acls", "cisco.nxos.nxos_acl_interfaces"),
    "junos": ("junipernetworks.junos.junos_acls", "junipernetworks.junos.junos_acl_interfaces"),
    "nftables": ("vdi.firewall.nftables_zones", "vdi.firewall.nftables_zones"),
}
# Linux routers between zones have no ansible_network_os: vdi_firewall_zone_firewall -> platform.
ZONE_FIREWALLS = {"nftables": "nftables"}
# Platforms that track connections: return traffic is accepted as established, not by return entries.
STATEFUL_PLATFORMS = frozenset(ZONE_FIREWALLS.values())
AFIS = ("ipv4", "ipv6")
DIRECTIONS = ("in", "out")
ZONE_KEYS = frozenset(("cidrs", "acl", "interface", "direction", "description"))
DEVICE_ZONE_KEYS = frozenset(("acl", "interface", "direction"))
# management ports of the device per connection plugin, when neither ansible_port nor the option says
CONNECTION_PORTS = {"network_cli": 22, "netconf": 830, "httpapi": 443}
# management ports of a host per platform (plugin_utils/platforms.py); unknown: all of them
HOST_MANAGEMENT_PORTS = {"windows": (5985, 5986), "linux": (22,), "network": (22,), "appliance": (22, 443), None: (22, 5985, 5986)}
MANAGEMENT_FLOW = "management"
KIND_ORDER = {"management": 0, "flow": 1, "return": 2, "icmpv6": 3, "deny": 4}
PROTOCOL_ORDER = {"tcp": 0, "udp": 1, "icmp": 2, "icmpv6": 3, "vrrp": 4, "gre": 5, "esp": 6, "ip": 7}
SEQUENCE_STEP = 10
ICMPV6_ESSENTIAL = ("neighbor_solicitation", "neighbor_advertisement", "packet_too_big")
CSV_COLUMNS = ("device", "platform", "acl", "afi", "interface", "direction", "sequence", "action", "protocol",
               "source", "source_port", "destination", "destination_port", "options", "kind", "source_zone",
               "destination_zone", "flows", "references", "description")

_ACL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_ACL_NAME_LENGTH = 64
_DEVICE_ZONE = "(device)"
# platforms whose IPv4 and IPv6 ACLs share one namespace: the IPv6 ACL gets the zone's ACL name plus this suffix
# (IOS refuses an IPv6 ACL named like an IPv4 one, and cisco.ios.ios_acls parses the two into one)
IPV6_SUFFIX = {"ios": "-V6"}
# a Junos logical interface: the physical interface and the unit
_JUNOS_UNIT = re.compile(r"^(?P<physical>.+)\.(?P<unit>\d+)$")


def acl_name(platform: str, acl: str, afi: str) -> str:
    """The name the ACL of a zone has on the platform in one address family."""
    return f"{acl}{IPV6_SUFFIX[platform]}" if afi == "ipv6" and platform in IPV6_SUFFIX else acl


def _require_netaddr() -> None:
    if not HAS_NETADDR:
        raise VdiFirewallError("the Python library 'netaddr' is required on the controller (pip install netaddr)")


@dataclass
class Zone:
    """A set of CIDRs behind one side of a device, with the ACL that filters it."""

    name: str
    cidrs: tuple[str, ...]
    acl: str | None
    interface: str | None = None
    direction: str | None = "in"
    description: str = ""
    addresses: object = None  # IPSet
    afis: tuple[str, ...] = ()  # address families the zone has CIDRs of


def _afis(cidrs) -> tuple[str, ...]:
    versions = {ipaddress.ip_network(cidr).version for cidr in cidrs}
    return tuple(afi for afi, version in (("ipv4", 4), ("ipv6", 6)) if version in versions)


@dataclass
class DeviceInput:
    """What the ACL builder needs to know of one network device."""

    name: str
    network_os: object = None
    zones: object = None
    device_zones: object = None
    address: object = None
    ansible_host: object = None
    connection: object = None
    port: object = None
    management_cidrs: object = None
    zone_firewall: object = None


@dataclass(frozen=True)
class Match:
    """The packets an entry permits. Ports are None for 'any port' (and for portless protocols)."""

    protocol: str
    source: str
    destination: str
    source_ports: PortRange | None = None
    destination_ports: PortRange | None = None
    established: bool = False
    icmp_type: str | None = None


@dataclass
class Entry:
    """An abstract ACL entry before rendering: what it permits and why."""

    kind: str
    match: Match
    flows: set = field(default_factory=set)
    source_zone: str = ""
    destination_zone: str = ""


@dataclass
class AclOptions:
    """Deployment-wide options of the ACL builder."""

    return_traffic: bool = True
    log_deny: bool = False
    afis: tuple[str, ...] = AFIS
    icmpv6_essential: bool = True
    management_host_ports: tuple[int, ...] | None = None
    management_device_ports: tuple[int, ...] | None = None


# --- input validation -------------------------------------------------------------------------

def device_platform(device: str, network_os, zone_firewall=None) -> str:
    """The platform (ios, eos, nxos, junos) of a device's ansible_network_os; of a Linux router, its zone firewall."""
    if zone_firewall not in (None, ""):
        if str(zone_firewall) not in ZONE_FIREWALLS:
            raise VdiFirewallError(
                f"device '{device}': vdi_firewall_zone_firewall {str(zone_firewall)!r} is not supported; "
                f"use one of {', '.join(ZONE_FIREWALLS)}"
            )
        return ZONE_FIREWALLS[str(zone_firewall)]
    if network_os in (None, ""):
        raise VdiFirewallError(
            f"device '{device}' has no ansible_network_os; set one of {', '.join(SUPPORTED_NETWORK_OS)}"
        )
    platform = NETWORK_OS.get(str(network_os))
    if platform is None:
        raise VdiFirewallError(
            f"device '{device}': ansible_network_os {str(network_os)!r} is not supported; "
            f"use one of {', '.join(SUPPORTED_NETWORK_OS)}"
        )
    return platform


def _cidr_list(value, where: str) -> tuple[str, ...]:
    if value in (None, "", []):
        raise VdiFirewallError(f"{where} has no cidrs; give the zone at least one CIDR")
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise VdiFirewallError(f"{where}: cidrs must be a list of CIDRs, got {value!r}")
    cidrs = []
    for item in value:
        try:
            cidrs.append(str(ipaddress.ip_network(str(item).strip(), strict=False)))
        except ValueError as exc:
            raise VdiFirewallError(f"{where}: {item!r} is not an IP address or CIDR") from exc
    return tuple(cidrs)


def _acl_name(value, where: str) -> str:
    text = str(value)
    if not _ACL_NAME.match(text):
        raise VdiFirewallError(
            f"{where}: ACL name {text!r} must start with a letter and hold only letters, digits, '-', '_' or '.' (64 at most)"
        )
    return text


def _default_acl_name(zone: str, direction: str) -> str:
    return f"VDI-{re.sub(r'[^A-Za-z0-9]+', '-', zone).strip('-').upper()}-{direction.upper()}"


def normalise_zones(device: str, zones, device_zones=None) -> list[Zone]:
    """The device's zones from vdi_firewall_zones and vdi_firewall_device_zones, checked."""
    _require_netaddr()
    if zones in (None, "", {}):
        raise VdiFirewallError(
            f"device '{device}': vdi_firewall_zones is not set (a mapping of zone name to {{cidrs: [...]}})"
        )
    if not isinstance(zones, dict):
        raise VdiFirewallError(f"device '{device}': vdi_firewall_zones must be a mapping of zone name to settings")
    if device_zones in (None, ""):
        selected = {str(name): {} for name in zones}
    elif isinstance(device_zones, (list, tuple)):
        selected = {str(name): {} for name in device_zones}
    elif isinstance(device_zones, dict):
        selected = {str(name): (settings or {}) for name, settings in device_zones.items()}
    else:
        raise VdiFirewallError(
            f"device '{device}': vdi_firewall_device_zones must be a list of zone names or a mapping of zone name to "
            f"{{interface, acl, direction}}"
        )
    result = []
    for name, overrides in selected.items():
        if name not in zones:
            raise VdiFirewallError(
                f"device '{device}': vdi_firewall_device_zones names zone '{name}', which vdi_firewall_zones does not define"
            )
        where = f"device '{device}': zone '{name}'"
        settings = zones[name]
        if settings is None:
            settings = {}
        if not isinstance(settings, dict):
            raise VdiFirewallError(f"{where}: expected a mapping with cidrs (and optionally acl, interface, direction)")
        if not isinstance(overrides, dict):
            raise VdiFirewallError(f"{where}: vdi_firewall_device_zones['{name}'] must be a mapping")
        unknown = sorted(set(settings) - ZONE_KEYS) + sorted(set(overrides) - DEVICE_ZONE_KEYS)
        if unknown:
            raise VdiFirewallError(f"{where}: unknown setting(s) {', '.join(map(str, unknown))}")
        merged = {**settings, **overrides}
        direction = merged.get("direction") or "in"
        if direction not in DIRECTIONS:
            raise VdiFirewallError(f"{where}: direction must be in or out, got {direction!r}")
        cidrs = _cidr_list(settings.get("cidrs"), where)
        acl = _acl_name(merged.get("acl") or _default_acl_name(name, direction), where)
        interface = merged.get("interface")
        result.append(Zone(
            name=name,
            cidrs=cidrs,
            acl=acl,
            interface=str(interface) if interface not in (None, "") else None,
            direction=direction,
            description=str(merged.get("description") or ""),
            addresses=IPSet(cidrs),
            afis=_afis(cidrs),
        ))
    _check_zones(device, result)
    return result


def _check_zones(device: str, zones: list[Zone]) -> None:
    for index, zone in enumerate(zones):
        for other in zones[index + 1:]:
            common = zone.addresses & other.addresses
            if common:
                overlap = ", ".join(str(cidr) for cidr in common.iter_cidrs())
                raise VdiFirewallError(
                    f"device '{device}': zones '{zone.name}' and '{other.name}' overlap ({overlap}); "
                    f"a zone's CIDRs must not be in another zone of the same device"
                )
            if zone.acl == other.acl:
                raise VdiFirewallError(
                    f"device '{device}': zones '{zone.name}' and '{other.name}' both use the ACL '{zone.acl}'; "
                    f"give each zone its own ACL"
                )
            if zone.interface and zone.interface == other.interface and zone.direction == other.direction:
                raise VdiFirewallError(
                    f"device '{device}': zones '{zone.name}' and '{other.name}' are both on interface "
                    f"'{zone.interface}' ({zone.direction}); traffic between them does not cross the device - make them one zone"
                )


def acl_names(device: str, platform: str, zones: list[Zone], afis) -> dict[tuple[str, str], str]:
    """(zone, afi) -> the name of the zone's ACL in that address family on the platform, checked."""
    names = {(zone.name, afi): acl_name(platform, zone.acl, afi)
             for zone in zones if zone.acl for afi in zone.afis if afi in afis}
    if platform not in IPV6_SUFFIX:
        return names  # one namespace per address family: the zones' ACL names are already distinct
    owners: dict[str, tuple[str, str]] = {}
    for (zone, afi), name in names.items():
        if len(name) > _ACL_NAME_LENGTH:
            raise VdiFirewallError(
                f"device '{device}': zone '{zone}': the {afi} ACL name '{name}' is longer than {_ACL_NAME_LENGTH} "
                f"characters; shorten the zone's acl"
            )
        if name in owners:
            other, other_afi = owners[name]
            raise VdiFirewallError(
                f"device '{device}': the {other_afi} ACL of zone '{other}' and the {afi} ACL of zone '{zone}' are both "
                f"named '{name}', and {platform} keeps IPv4 and IPv6 ACLs in one namespace (IPv6 ACLs are named "
                f"<acl>{IPV6_SUFFIX[platform]}); rename one zone's acl"
            )
        owners[name] = (zone, afi)
    return names


def binding_interfaces(device: str, platform: str, zones: list[Zone]) -> dict[str, str]:
    """Zone -> the interface name its ACL is bound to in the interface module's config.

    junipernetworks.junos.junos_acl_interfaces takes the physical interface and always binds unit 0, so a
    Junos logical interface 'ge-0/0/1.0' is passed as 'ge-0/0/1'; another unit cannot be bound by the module.
    """
    result = {}
    seen: dict[tuple[str, str], str] = {}
    for zone in zones:
        if not zone.interface:
            continue
        name = zone.interface
        if platform == "junos":
            unit = _JUNOS_UNIT.match(name)
            if unit and int(unit.group("unit")) != 0:
                raise VdiFirewallError(
                    f"device '{device}': zone '{zone.name}': interface '{name}' is unit {unit.group('unit')} of "
                    f"'{unit.group('physical')}', and junipernetworks.junos.junos_acl_interfaces binds filters to "
                    f"unit 0 only; bind the filter yourself and leave out the zone's interface"
                )
            if unit:
                name = unit.group("physical")
            if (name, zone.direction) in seen:
                raise VdiFirewallError(
                    f"device '{device}': zones '{seen[(name, zone.direction)]}' and '{zone.name}' are both on interface "
                    f"'{name}' unit 0 ({zone.direction}); traffic between them does not cross the device - make them one zone"
                )
            seen[(name, zone.direction)] = zone.name
        result[zone.name] = name
    return result


def _ports_option(value, where: str) -> tuple[int, ...]:
    if isinstance(value, (str, int)) or not isinstance(value, (list, tuple)):
        raise VdiFirewallError(f"{where} must be a list of port numbers, got {value!r}")
    ports = []
    for item in value:
        if isinstance(item, bool) or not str(item).isdigit() or not 1 <= int(item) <= 65535:
            raise VdiFirewallError(f"{where}: {item!r} is not a port number (1-65535)")
        ports.append(int(item))
    return tuple(ports)


def normalise_options(return_traffic=True, log_deny=False, afis=AFIS, icmpv6_essential=True,
                      management_host_ports=None, management_device_ports=None) -> AclOptions:
    """Check the deployment-wide options."""
    for name, value in (("return_traffic", return_traffic), ("log_deny", log_deny), ("icmpv6_essential", icmpv6_essential)):
        if not isinstance(value, bool):
            raise VdiFirewallError(f"{name} must be true or false, got {value!r}")
    if isinstance(afis, str) or not isinstance(afis, (list, tuple)) or not afis:
        raise VdiFirewallError(f"afis must be a non-empty list of {', '.join(AFIS)}, got {afis!r}")
    for afi in afis:
        if afi not in AFIS:
            raise VdiFirewallError(f"afis: {afi!r} is not one of {', '.join(AFIS)}")
    return AclOptions(
        return_traffic=return_traffic,
        log_deny=log_deny,
        afis=tuple(afi for afi in AFIS if afi in afis),
        icmpv6_essential=icmpv6_essential,
        management_host_ports=None if management_host_ports is None
        else _ports_option(management_host_ports, "management_host_ports"),
        management_device_ports=None if management_device_ports is None
        else _ports_option(management_device_ports, "management_device_ports"),
    )


def _device_addresses(device: DeviceInput) -> tuple[str, ...]:
    """The device's own addresses (for management entries): vdi_firewall_address, else ansible_host if an IP."""
    values = device.address if device.address not in (None, "") else device.ansible_host
    if values in (None, ""):
        return ()
    items = values if isinstance(values, (list, tuple)) else [values]
    addresses = []
    for item in items:
        try:
            address = ipaddress.ip_interface(str(item).strip())
        except ValueError:
            if device.address not in (None, ""):
                raise VdiFirewallError(f"device '{device.name}': vdi_firewall_address {item!r} is not an IP address") from None
            return ()  # ansible_host is a name: no address to protect
        addresses.append(f"{address.ip}/{address.max_prefixlen}")
    return tuple(addresses)


def _management_cidrs(device: DeviceInput) -> tuple[str, ...]:
    value = device.management_cidrs
    if value in (None, "", []):
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise VdiFirewallError(f"device '{device.name}': vdi_firewall_management_cidrs must be a list of CIDRs, got {value!r}")
    cidrs = []
    for item in value:
        try:
            cidrs.append(str(ipaddress.ip_network(str(item).strip(), strict=False)))
        except ValueError as exc:
            raise VdiFirewallError(f"device '{device.name}': vdi_firewall_management_cidrs: {item!r} is not a CIDR") from exc
    return tuple(cidrs)


def _device_ports(device: DeviceInput, options: AclOptions) -> tuple[int, ...]:
    if options.management_device_ports is not None:
        return options.management_device_ports
    if device.port not in (None, ""):
        return _ports_option([device.port], f"device '{device.name}': ansible_port")
    connection = str(device.connection or "network_cli").rsplit(".", 1)[-1]
    return (CONNECTION_PORTS.get(connection, 22),)


# --- entries ----------------------------------------------------------------------------------

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


def _family_cidrs(addresses) -> dict[int, list]:
    by_version: dict[int, list] = {4: [], 6: []}
    for cidr in addresses.iter_cidrs():
        by_version[cidr.version].append(cidr)
    return by_version


class _Collector:
    """Abstract entries per (zone ACL, afi), keyed by what they permit."""

    def __init__(self, zones: list[Zone], options: AclOptions):
        self.zones = zones
        self.options = options
        self.entries: dict[tuple[str, str], dict[tuple[str, Match], Entry]] = {}

    def add(self, kind: str, match: Match, flows, source_zone: Zone, destination_zone: Zone, afi: str) -> None:
        # an inbound ACL sees what enters from its zone; an outbound ACL what leaves towards its zone
        for zone in (source_zone if source_zone.direction == "in" else None,
                     destination_zone if destination_zone.direction == "out" else None):
            if zone is None or zone.acl is None or afi not in zone.afis:
                continue
            bucket = self.entries.setdefault((zone.name, afi), {})
            entry = bucket.get((kind, match))
            if entry is None:
                entry = bucket[(kind, match)] = Entry(kind, match, set(), source_zone.name, destination_zone.name)
            entry.flows.update(flows)

    def flow(self, flow_ids, protocol: str, sources, destinations, ports, kind: str = "flow",
             destination_zones=None) -> None:
        """Entries (and return entries) for traffic from sources to destinations crossing the device."""
        for source_zone in self.zones:
            source_part = sources & source_zone.addresses
            if not source_part:
                continue
            for destination_zone in destination_zones or self.zones:
                if destination_zone is source_zone:
                    continue
                destination_part = destinations & destination_zone.addresses
                if not destination_part:
                    continue
                self._cross(flow_ids, protocol, source_part, destination_part, ports, kind, source_zone, destination_zone)

    def _cross(self, flow_ids, protocol, source_part, destination_part, ports, kind, source_zone, destination_zone):
        source_families = _family_cidrs(source_part)
        destination_families = _family_cidrs(destination_part)
        for version, afi in ((4, "ipv4"), (6, "ipv6")):
            if afi not in self.options.afis or (protocol == "icmp" and version == 6) or (protocol == "icmpv6" and version == 4):
                continue
            for source in source_families[version]:
                for destination in destination_families[version]:
                    for port in ports:
                        forward = Match(protocol, str(source), str(destination), destination_ports=port)
                        self.add(kind, forward, flow_ids, source_zone, destination_zone, afi)
                        if self.options.return_traffic:
                            back = Match(protocol, str(destination), str(source), source_ports=port,
                                         established=protocol == "tcp")
                            self.add("return", back, flow_ids, destination_zone, source_zone, afi)


def _merge_addresses(entries: list[Entry], side: str) -> list[Entry]:
    """Merge entries that differ only in one address side into the fewest CIDRs (flows follow their CIDR)."""
    groups: dict[tuple, list[Entry]] = {}
    for entry in entries:
        match = entry.match
        key_match = Match(match.protocol, "" if side == "source" else match.source,
                          "" if side == "destination" else match.destination,
                          match.source_ports, match.destination_ports, match.established, match.icmp_type)
        groups.setdefault((entry.kind, key_match, entry.source_zone, entry.destination_zone), []).append(entry)
    merged = []
    for (kind, key_match, source_zone, destination_zone), members in groups.items():
        if len(members) == 1:
            merged.extend(members)
            continue
        networks = [IPNetwork(getattr(member.match, side)) for member in members]
        for cidr in IPSet(networks).iter_cidrs():
            flows = set()
            for member, network in zip(members, networks):
                if network in cidr:
                    flows.update(member.flows)
            values = {"source": key_match.source, "destination": key_match.destination, side: str(cidr)}
            merged.append(Entry(kind, Match(key_match.protocol, values["source"], values["destination"],
                                            key_match.source_ports, key_match.destination_ports,
                                            key_match.established, key_match.icmp_type),
                                flows, source_zone, destination_zone))
    return merged


def _merge_port_ranges(entries: list[Entry]) -> list[Entry]:
    """Merge entries that differ only in their (single-sided) port range."""
    groups: dict[tuple, list[Entry]] = {}
    passthrough = []
    for entry in entries:
        match = entry.match
        if match.source_ports is None and match.destination_ports is None:
            passthrough.append(entry)
            continue
        side = "destination_ports" if match.destination_ports is not None else "source_ports"
        if match.source_ports is not None and match.destination_ports is not None:
            passthrough.append(entry)
            continue
        groups.setdefault((entry.kind, side, match.protocol, match.source, match.destination, match.established,
                           entry.source_zone, entry.destination_zone), []).append(entry)
    merged = list(passthrough)
    for (kind, side, protocol, source, destination, established, source_zone, destination_zone), members in groups.items():
        ranges = [getattr(member.match, side) for member in members]
        for port_range in merge_ports(ranges):
            flows = set()
            for member, member_range in zip(members, ranges):
                if port_range.start <= member_range.start and member_range.end <= port_range.end:
                    flows.update(member.flows)
            ports = {"source_ports": None, "destination_ports": None, side: port_range}
            merged.append(Entry(kind, Match(protocol, source, destination, ports["source_ports"],
                                            ports["destination_ports"], established),
                                flows, source_zone, destination_zone))
    return merged


def _network_key(cidr: str) -> tuple:
    network = ipaddress.ip_network(cidr)
    return (network.version, int(network.network_address), network.prefixlen)


def _entry_key(entry: Entry) -> tuple:
    match = entry.match
    return (
        KIND_ORDER[entry.kind],
        PROTOCOL_ORDER.get(match.protocol, 99),
        _network_key(match.destination),
        (match.destination_ports.start, match.destination_ports.end) if match.destination_ports else (-1, -1),
        _network_key(match.source),
        (match.source_ports.start, match.source_ports.end) if match.source_ports else (-1, -1),
        match.icmp_type or "",
    )


def _finish(entries: list[Entry], afi: str, options: AclOptions) -> list[Entry]:
    """Merge, order, then add the ICMPv6 essentials and the explicit deny."""
    entries = _merge_addresses(entries, "source")
    entries = _merge_addresses(entries, "destination")
    entries = _merge_port_ranges(entries)
    entries = _merge_addresses(entries, "source")
    unique: dict[tuple, Entry] = {}
    for entry in entries:
        kept = unique.setdefault((entry.kind, entry.match), entry)
        if kept is not entry:
            kept.flows.update(entry.flows)
    ordered = sorted(unique.values(), key=_entry_key)
    anywhere = "0.0.0.0/0" if afi == "ipv4" else "::/0"
    if afi == "ipv6" and options.icmpv6_essential:
        ordered.extend(Entry("icmpv6", Match("icmpv6", "::/0", "::/0", icmp_type=icmp_type))
                       for icmp_type in ICMPV6_ESSENTIAL)
    ordered.append(Entry("deny", Match("ip", anywhere, anywhere)))
    return ordered


# --- the device's ACLs ------------------------------------------------------------------------

@dataclass
class FlowRow:
    """A deployment flow: the planner's deployment_flows row reduced to what ACLs need."""

    flow_id: str
    protocol: str
    sources: object  # IPSet
    destinations: object  # IPSet
    ports: list


def flow_rows(rows: list[dict]) -> list[FlowRow]:
    """Parse the planner's deployment_flows rows once for every device."""
    _require_netaddr()
    parsed = []
    for row in rows:
        parsed.append(FlowRow(
            flow_id=row["flow_id"],
            protocol=row["protocol"],
            sources=IPSet(_split_addresses(row["source_addresses"])),
            destinations=IPSet(_split_addresses(row["destination_addresses"])),
            ports=_ports_of(row),
        ))
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


def device_entries(device: DeviceInput, zones: list[Zone], flows: list[FlowRow], managed,
                   options: AclOptions, names: dict | None = None) -> tuple[dict[tuple[str, str], list[Entry]], list[str]]:
    """Every ACL's ordered abstract entries of one device, keyed by (zone, afi); and warnings.

    names: (zone, afi) -> the ACL's name on the platform (acl_names), for the warnings; default the zone's acl.
    """
    collector = _Collector(zones, options)
    warnings = []
    management = _management_cidrs(device)
    if management:
        sources = IPSet(management)
        for ports, hosts in managed:
            if hosts:
                collector.flow({MANAGEMENT_FLOW}, "tcp", sources, hosts, [PortRange(port, port) for port in ports],
                               kind="management")
        own = _device_addresses(device)
        if own:
            device_zone = Zone(_DEVICE_ZONE, own, None, direction=None, addresses=IPSet(own), afis=_afis(own))
            for port in _device_ports(device, options):
                collector.flow({MANAGEMENT_FLOW}, "tcp", sources, IPSet(own), [PortRange(port, port)],
                               kind="management", destination_zones=[device_zone])
        else:
            warnings.append(
                f"device '{device.name}': no IP address (vdi_firewall_address or ansible_host), so no entry keeps "
                f"its own management port open; make sure the controller does not reach it through a filtered interface"
            )
    else:
        warnings.append(
            f"device '{device.name}': vdi_firewall_management_cidrs is not set; no entry keeps management access "
            f"(SSH/NETCONF to the device, SSH/WinRM to the hosts) open through the ACLs"
        )
    for row in flows:
        collector.flow({row.flow_id}, row.protocol, row.sources, row.destinations, row.ports)
    result = {}
    for zone in zones:
        for afi in zone.afis:
            if afi not in options.afis:
                continue
            entries = list(collector.entries.get((zone.name, afi), {}).values())
            if not any(entry.kind in ("flow", "return") for entry in entries):
                warnings.append(
                    f"device '{device.name}': ACL '{(names or {}).get((zone.name, afi), zone.acl)}' ({afi}, zone "
                    f"'{zone.name}') permits no planned flow; "
                    f"bound {zone.direction}, it blocks the zone's {afi} traffic"
                )
            result[(zone.name, afi)] = _finish(entries, afi, options)
    return result, warnings


# --- rendering in each platform's resource-module shape ---------------------------------------

_PROTOCOLS = {
    "ios": {"ipv4": {"vrrp": "112"}, "ipv6": {"icmpv6": "icmp", "vrrp": "112", "gre": "47", "ip": "ipv6"}},
    "eos": {"ipv4": {"vrrp": "112", "gre": "47", "esp": "50"}, "ipv6": {"vrrp": "112", "gre": "47", "esp": "50", "ip": "ipv6"}},
    "nxos": {"ipv4": {"vrrp": "112", "esp": "50"}, "ipv6": {"vrrp": "112", "gre": "47", "esp": "50", "ip": "ipv6"}},
    "junos": {"ipv4": {}, "ipv6": {"icmpv6": "icmp6"}},
}
_ICMPV6_TYPES = {
    "eos": {"neighbor_solicitation": "neighbor_solicitation", "neighbor_advertisement": "neighbor_advertisement",
            "packet_too_big": "packet_too_big"},
    "nxos": {"neighbor_solicitation": "nd_ns", "neighbor_advertisement": "nd_na", "packet_too_big": "packet_too_big"},
    "nftables": {"neighbor_solicitation": "nd-neighbor-solicit", "neighbor_advertisement": "nd-neighbor-advert",
                 "packet_too_big": "packet-too-big"},
}


def _address(platform: str, cidr: str) -> dict:
    network = ipaddress.ip_network(cidr)
    if network.prefixlen == 0:
        return {} if platform == "junos" else {"any": True}
    if platform == "junos":
        return {"address": str(network)}
    if network.prefixlen == network.max_prefixlen:
        return {"host": str(network.network_address)}
    if platform == "ios":
        if network.version == 4:
            return {"address": str(network.network_address), "wildcard_bits": str(network.hostmask)}
        return {"address": str(network)}
    return {"subnet_address" if platform == "eos" else "prefix": str(network)}


def _port(platform: str, port_range: PortRange) -> dict:
    if port_range.start == port_range.end:
        return {"eq": str(port_range.start)}
    if platform == "ios":
        return {"range": {"start": port_range.start, "end": port_range.end}}
    if platform == "eos":
        return {"range": f"{port_range.start} {port_range.end}"}
    if platform == "nxos":
        return {"range": {"start": str(port_range.start), "end": str(port_range.end)}}
    # junos_acls writes range start/end from the wrong keys (an empty port); Junos takes "a-b" as one value
    return {"eq": f"{port_range.start}-{port_range.end}"}


def _endpoint(platform: str, cidr: str, ports: PortRange | None) -> dict:
    endpoint = _address(platform, cidr)
    if ports is not None:
        endpoint["port_protocol"] = _port(platform, ports)
    return endpoint


def _protocol(platform: str, afi: str, protocol: str) -> str:
    return _PROTOCOLS[platform][afi].get(protocol, protocol)


def _zone_firewall_entry(platform: str, entry: Entry, sequence: int) -> dict:
    """One abstract entry as plain data, the input of a zone firewall's module (vdi.firewall.nftables_zones)."""
    match = entry.match
    return {"sequence": sequence, "kind": entry.kind, "grant": "deny" if entry.kind == "deny" else "permit",
            "protocol": match.protocol, "source": match.source, "destination": match.destination,
            "source_ports": str(match.source_ports) if match.source_ports else None,
            "destination_ports": str(match.destination_ports) if match.destination_ports else None,
            "icmp_type": _ICMPV6_TYPES[platform][match.icmp_type] if match.icmp_type else None,
            "source_zone": entry.source_zone, "destination_zone": entry.destination_zone, "flows": sorted(entry.flows)}


def render_entry(platform: str, afi: str, entry: Entry, sequence: int, options: AclOptions) -> dict | None:
    """One abstract entry as an ACE of the platform's resource module (None when it folds into another)."""
    if platform in STATEFUL_PLATFORMS:
        return _zone_firewall_entry(platform, entry, sequence)
    match = entry.match
    grant = "deny" if entry.kind == "deny" else "permit"
    if platform == "junos":
        ace: dict = {"name": f"vdi-{sequence:05d}", "grant": grant}
        if entry.kind != "deny":
            ace["protocol"] = _protocol(platform, afi, match.protocol)
            source = _endpoint(platform, match.source, match.source_ports)
            destination = _endpoint(platform, match.destination, match.destination_ports)
            if source:
                ace["source"] = source
            if destination:
                ace["destination"] = destination
        return ace
    ace = {"sequence": sequence, "grant": grant, "protocol": _protocol(platform, afi, match.protocol),
           "source": _endpoint(platform, match.source, match.source_ports),
           "destination": _endpoint(platform, match.destination, match.destination_ports)}
    if match.established:
        ace["protocol_options"] = {"tcp": {"flags": {"established": True}}} if platform == "eos" \
            else {"tcp": {"established": True}}
    if match.icmp_type and platform in _ICMPV6_TYPES:
        ace["protocol"] = "icmpv6"
        ace["protocol_options"] = {"icmpv6": {_ICMPV6_TYPES[platform][match.icmp_type]: True}}
    if entry.kind == "deny" and options.log_deny:
        ace["log"] = {"set": True} if platform == "ios" else True
    return ace


def _platform_entries(platform: str, entries: list[Entry]) -> list[Entry]:
    """Fold the typed ICMPv6 entries into one untyped entry where the module has no ICMPv6 types."""
    if platform in _ICMPV6_TYPES:
        return entries
    folded, seen = [], False
    for entry in entries:
        if entry.kind == "icmpv6":
            if not seen:
                folded.append(Entry("icmpv6", Match("icmpv6", entry.match.source, entry.match.destination)))
                seen = True
            continue
        folded.append(entry)
    return folded


def _options_text(platform: str, entry: Entry, options: AclOptions) -> str:
    parts = []
    if entry.match.established:
        parts.append("established" if platform != "junos" else "established (not expressible in junos_acls: source port only)")
    if entry.match.icmp_type:
        parts.append(entry.match.icmp_type)
    if entry.kind == "deny" and options.log_deny:
        parts.append("log" if platform != "junos" else "log (not expressible in junos_acls)")
    return " ".join(parts)


def _describe(entry: Entry, descriptions: dict) -> str:
    if entry.kind == "deny":
        return "explicit deny: everything not permitted above"
    if entry.kind == "icmpv6":
        return "ICMPv6 the network needs (neighbour discovery, path MTU)"
    texts = []
    for flow in sorted(entry.flows):
        text = "Ansible controller management access (vdi_firewall_management_cidrs)" if flow == MANAGEMENT_FLOW \
            else descriptions.get(flow, "")
        if text and text not in texts:
            texts.append(text)
    prefix = "return traffic of: " if entry.kind == "return" else ""
    return prefix + "; ".join(texts)


def _shown(cidr: str) -> str:
    return "any" if ipaddress.ip_network(cidr).prefixlen == 0 else cidr


def render_device(device: DeviceInput, platform: str, zones: list[Zone], entries: dict, options: AclOptions,
                  references: dict, descriptions: dict) -> dict:
    """The device's ACLs and interface bindings in its resource modules' shape, and the CSV rows."""
    by_afi: dict[str, list[dict]] = {}
    rows: list[dict] = []
    bindings: dict[str, dict[str, list[dict]]] = {}
    names = acl_names(device.name, platform, zones, {afi for _zone, afi in entries})
    interfaces = binding_interfaces(device.name, platform, zones)
    for zone in zones:
        for afi in AFIS:
            if (zone.name, afi) not in entries:
                continue
            name = names[(zone.name, afi)]
            aces = []
            for index, entry in enumerate(_platform_entries(platform, entries[(zone.name, afi)]), start=1):
                sequence = index * SEQUENCE_STEP
                aces.append(render_entry(platform, afi, entry, sequence, options))
                match = entry.match
                flows = sorted(entry.flows)
                rows.append({
                    "device": device.name,
                    "platform": platform,
                    "acl": name,
                    "afi": afi,
                    "interface": zone.interface or "",
                    "direction": zone.direction,
                    "sequence": sequence,
                    "action": "deny" if entry.kind == "deny" else "permit",
                    "protocol": match.protocol,
                    "source": _shown(match.source),
                    "source_port": str(match.source_ports) if match.source_ports else "",
                    "destination": _shown(match.destination),
                    "destination_port": str(match.destination_ports) if match.destination_ports else "",
                    "options": _options_text(platform, entry, options),
                    "kind": entry.kind,
                    "source_zone": entry.source_zone,
                    "destination_zone": entry.destination_zone,
                    "flows": " ".join(flows),
                    "references": " | ".join(dict.fromkeys(ref for flow in flows for ref in references.get(flow, ()))),
                    "description": _describe(entry, descriptions),
                })
            acl = {"name": name, "aces": aces}
            if platform == "ios" and afi == "ipv4":
                acl = {"name": name, "acl_type": "extended", "aces": aces}
            by_afi.setdefault(afi, []).append(acl)
            if zone.name in interfaces:
                bindings.setdefault(interfaces[zone.name], {}).setdefault(afi, []).append(
                    {"name": name, "direction": zone.direction})
    acls = [{"afi": afi, "acls": by_afi[afi]} for afi in AFIS if afi in by_afi]
    bound = [
        {"name": interface, "access_groups": [{"afi": afi, "acls": groups[afi]} for afi in AFIS if afi in groups]}
        for interface, groups in sorted(bindings.items())
    ]
    return {"acls": acls, "interfaces": bound, "entries": rows}


def entries_csv(rows: list[dict]) -> str:
    """The change-request view of a device's ACL entries as CSV text (see outputs.csv_text)."""
    return csv_text(CSV_COLUMNS, rows)


def build_device_acls(devices: list[DeviceInput], rows: list[dict], hosts: dict, options: AclOptions,
                      references: dict | None = None, descriptions: dict | None = None) -> dict[str, dict]:
    """Every device's ACLs from the deployment's flows (the planner's deployment_flows rows).

    hosts: the planned hosts, host -> {addresses, platform}, for the management entries.
    """
    _require_netaddr()
    flows = flow_rows(rows)
    managed = management_targets(hosts, options)
    result = {}
    for device in devices:
        platform = device_platform(device.name, device.network_os, device.zone_firewall)
        device_options = replace(options, return_traffic=False) if platform in STATEFUL_PLATFORMS else options
        zones = normalise_zones(device.name, device.zones, device.device_zones)
        if platform in STATEFUL_PLATFORMS:
            # one stateful filter sees every crossing packet: each flow is an entry of its source zone
            zones = [replace(zone, direction="in") for zone in zones]
        names = acl_names(device.name, platform, zones, options.afis)
        entries, warnings = device_entries(device, zones, flows, managed, device_options, names)
        rendered = render_device(device, platform, zones, entries, device_options, references or {}, descriptions or {})
        acl_module, interfaces_module = MODULES[platform]
        result[device.name] = {
            "device": device.name,
            "network_os": str(device.network_os or ""),
            "platform": platform,
            "modules": {"acls": acl_module, "acl_interfaces": interfaces_module},
            "zones": [{"name": zone.name, "cidrs": list(zone.cidrs), "acl": zone.acl, "interface": zone.interface,
                       "direction": zone.direction,
                       "acl_names": {afi: names[(zone.name, afi)] for afi in AFIS if (zone.name, afi) in names}}
                      for zone in zones],
            "acls": rendered["acls"],
            "interfaces": rendered["interfaces"],
            "entries": rendered["entries"],
            "warnings": warnings,
            "files": device_files(device.name),
        }
    return result


def catalog_texts(catalog) -> tuple[dict, dict]:
    """Flow id -> its document references ('Title (file) § section'), and flow id -> description."""
    references = {}
    descriptions = {}
    for flow in catalog.flows:
        texts = [reference_label(reference, catalog.documents) for reference in flow.references]
        if flow.supplement:
            texts.insert(0, f"supplement: {flow.reason}")
        references[flow.id] = texts
        descriptions[flow.id] = flow.description
    references[MANAGEMENT_FLOW] = ["vdi_firewall_management_cidrs: the Ansible controller keeps its access"]
    return references, descriptions


def device_files(name: str) -> dict[str, str]:
    """The relative paths of a device's files (its name encoded, see outputs.file_name)."""
    stem = f"acls/{file_name(name, 'device')}"
    return {"csv": f"{stem}.csv", "rendered": f"{stem}.rendered.txt"}


def acl_files(devices: dict[str, dict]) -> dict[str, str]:
    """Relative path -> content of the change-request files: acls/<device>.csv."""
    return {device_files(name)["csv"]: entries_csv(device["entries"]) for name, device in devices.items()}
