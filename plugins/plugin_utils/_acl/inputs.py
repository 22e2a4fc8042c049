# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to vdi.firewall (use plugin_utils._acl's exports): the checked inputs of device ACLs."""

from __future__ import annotations

import re

from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.model import (
    AFIS,
    DIRECTIONS,
    AclOptions,
    DeviceInput,
    IPSet,
    Zone,
    afis_of,
    require_netaddr,
)
from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import (
    host_address,
    is_address,
    parse_cidr,
    parse_port_numbers,
)
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError

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
# Linux routers between zones have no ansible_network_os: vdi_firewall_zone_firewall -> platform.
ZONE_FIREWALLS = {"nftables": "nftables"}
# Platforms that track connections: return traffic is accepted as established, not by return entries.
STATEFUL_PLATFORMS = frozenset(ZONE_FIREWALLS.values())
ZONE_KEYS = frozenset(("cidrs", "acl", "interface", "direction", "description"))
DEVICE_ZONE_KEYS = frozenset(("acl", "interface", "direction"))
# management ports of the device per connection plugin, when neither ansible_port nor the option says
CONNECTION_PORTS = {"network_cli": 22, "netconf": 830, "httpapi": 443}
ACL_NAME_LENGTH = 64
# platforms whose IPv4 and IPv6 ACLs share one namespace: the IPv6 ACL gets the zone's ACL name plus this suffix
# (IOS refuses an IPv6 ACL named like an IPv4 one, and cisco.ios.ios_acls parses the two into one)
IPV6_SUFFIX = {"ios": "-V6"}
_ACL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


def acl_name(platform: str, acl: str, afi: str) -> str:
    """The name the ACL of a zone has on the platform in one address family."""
    return f"{acl}{IPV6_SUFFIX[platform]}" if afi == "ipv6" and platform in IPV6_SUFFIX else acl


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


def cidr_list(value, where: str) -> tuple[str, ...]:
    if value in (None, "", []):
        raise VdiFirewallError(f"{where} has no cidrs; give the zone at least one CIDR")
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise VdiFirewallError(f"{where}: cidrs must be a list of CIDRs, got {value!r}")
    return tuple(parse_cidr(item, where) for item in value)


def _acl_name(value, where: str) -> str:
    text = str(value)
    if not _ACL_NAME.match(text):
        raise VdiFirewallError(
            f"{where}: ACL name {text!r} must start with a letter and hold only letters, digits, '-', '_' or '.' (64 at most)"
        )
    return text


def _default_acl_name(zone: str, direction: str) -> str:
    return f"VDI-{re.sub(r'[^A-Za-z0-9]+', '-', zone).strip('-').upper()}-{direction.upper()}"


def _selected(device: str, zones, device_zones) -> dict:
    if zones in (None, "", {}):
        raise VdiFirewallError(
            f"device '{device}': vdi_firewall_zones is not set (a mapping of zone name to {{cidrs: [...]}})"
        )
    if not isinstance(zones, dict):
        raise VdiFirewallError(f"device '{device}': vdi_firewall_zones must be a mapping of zone name to settings")
    if device_zones in (None, ""):
        return {str(name): {} for name in zones}
    if isinstance(device_zones, (list, tuple)):
        return {str(name): {} for name in device_zones}
    if isinstance(device_zones, dict):
        return {str(name): (settings or {}) for name, settings in device_zones.items()}
    raise VdiFirewallError(
        f"device '{device}': vdi_firewall_device_zones must be a list of zone names or a mapping of zone name to "
        f"{{interface, acl, direction}}"
    )


def _zone(device: str, name: str, settings, overrides) -> Zone:
    where = f"device '{device}': zone '{name}'"
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
    cidrs = cidr_list(settings.get("cidrs"), where)
    interface = merged.get("interface")
    return Zone(
        name=name,
        cidrs=cidrs,
        acl=_acl_name(merged.get("acl") or _default_acl_name(name, direction), where),
        interface=str(interface) if interface not in (None, "") else None,
        direction=direction,
        description=str(merged.get("description") or ""),
        addresses=IPSet(cidrs),
        afis=afis_of(cidrs),
    )


def normalise_zones(device: str, zones, device_zones=None) -> list[Zone]:
    """The device's zones from vdi_firewall_zones and vdi_firewall_device_zones, checked."""
    require_netaddr()
    result = []
    for name, overrides in _selected(device, zones, device_zones).items():
        if name not in zones:
            raise VdiFirewallError(
                f"device '{device}': vdi_firewall_device_zones names zone '{name}', which vdi_firewall_zones does not define"
            )
        result.append(_zone(device, name, zones[name], overrides))
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
        if len(name) > ACL_NAME_LENGTH:
            raise VdiFirewallError(
                f"device '{device}': zone '{zone}': the {afi} ACL name '{name}' is longer than {ACL_NAME_LENGTH} "
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


def ports_option(value, where: str) -> tuple[int, ...]:
    return parse_port_numbers(value, where)


def normalise_options(return_traffic=True, log_deny=False, afis=AFIS, icmpv6_essential=True,
                      management_host_ports=None, management_device_ports=None, icmp_essential=True) -> AclOptions:
    """Check the deployment-wide options."""
    for name, value in (("return_traffic", return_traffic), ("log_deny", log_deny), ("icmpv6_essential", icmpv6_essential),
                        ("icmp_essential", icmp_essential)):
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
        icmp_essential=icmp_essential,
        management_host_ports=None if management_host_ports is None
        else ports_option(management_host_ports, "management_host_ports"),
        management_device_ports=None if management_device_ports is None
        else ports_option(management_device_ports, "management_device_ports"),
    )


def device_addresses(device: DeviceInput) -> tuple[str, ...]:
    """The device's own addresses (for management entries): vdi_firewall_address, else ansible_host if an IP."""
    values = device.address if device.address not in (None, "") else device.ansible_host
    if values in (None, ""):
        return ()
    items = values if isinstance(values, (list, tuple)) else [values]
    if device.address in (None, "") and not all(is_address(item) for item in items):
        return ()  # ansible_host is a name: no address to protect
    variable = "vdi_firewall_address" if device.address not in (None, "") else "ansible_host"
    return tuple(host_address(item, f"device '{device.name}': {variable}") for item in items)


def management_cidrs(device: DeviceInput) -> tuple[str, ...]:
    value = device.management_cidrs
    if value in (None, "", []):
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise VdiFirewallError(f"device '{device.name}': vdi_firewall_management_cidrs must be a list of CIDRs, got {value!r}")
    return tuple(parse_cidr(item, f"device '{device.name}': vdi_firewall_management_cidrs") for item in value)


def device_ports(device: DeviceInput, options: AclOptions) -> tuple[int, ...]:
    if options.management_device_ports is not None:
        return options.management_device_ports
    if device.port not in (None, ""):
        return ports_option([device.port], f"device '{device.name}': ansible_port")
    connection = str(device.connection or "network_cli").rsplit(".", 1)[-1]
    return (CONNECTION_PORTS.get(connection, 22),)
