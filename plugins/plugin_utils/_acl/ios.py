# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to vdi.firewall (use plugin_utils._acl's exports): Cisco IOS ACLs (cisco.ios.ios_acls).

IPv4 address sets of more than one CIDR become 'object-group network' groups: ios_acls refers to them
(object_group) but has no module for their definitions, which are config lines beside the ACLs
(object_group_lines). Remarks ride on the rule's first ACE (remarks). The text is the configuration as
IOS shows it: entries indented under their ACL, an IPv6 entry's sequence first.
"""

from __future__ import annotations

from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.common import ace_words, is_cidr, network
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.ports import ios_renames
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.model import Ace

NAME = "ios"
GROUP_AFIS = ("ipv4",)
REMARKS = "attached"
_PROTOCOLS = {"ipv4": {"vrrp": "112"}, "ipv6": {"icmpv6": "icmp", "vrrp": "112", "gre": "47", "ip": "ipv6"}}
_TYPES = {"unreachable": "unreachable", "echo_reply": "echo-reply", "neighbor_solicitation": "nd-ns",
          "neighbor_advertisement": "nd-na", "router_solicitation": "router-solicitation",
          "router_advertisement": "router-advertisement", "packet_too_big": "packet-too-big"}
# ICMP types ios_acls can carry (protocol_options.icmp); neighbour solicitation and advertisement it cannot
_DATA_TYPES = frozenset(("unreachable", "echo_reply", "router_solicitation", "router_advertisement", "packet_too_big"))


def protocol(afi: str, name: str) -> str:
    return _PROTOCOLS[afi].get(name, name)


def inexpressible(afi: str, ace: Ace, options) -> list[str]:
    """What the entry says that ios_acls' data cannot: ICMPv6 nd-ns and nd-na (the text has them)."""
    return [name for name in ace.icmp_types if name not in _DATA_TYPES]


def _address(operand: str) -> dict:
    if not is_cidr(operand):
        return {"object_group": operand}
    net = network(operand)
    if net.prefixlen == 0:
        return {"any": True}
    if net.prefixlen == net.max_prefixlen:
        return {"host": str(net.network_address)}
    if net.version == 4:
        return {"address": str(net.network_address), "wildcard_bits": str(net.hostmask)}
    return {"address": str(net)}


def _port_data(ports, protocol_name: str, side: str) -> dict:
    if ports.start == ports.end and not (side == "destination" and ios_renames(protocol_name, ports.start)):
        return {"eq": str(ports.start)}
    # a range of one port: ios_acls leaves ranges alone, where it would rename 'eq 80' of UDP to 'www'
    return {"range": {"start": ports.start, "end": ports.end}}


def _endpoint(operand: str, ports, protocol_name: str, side: str) -> dict:
    endpoint = _address(operand)
    if ports is not None:
        endpoint["port_protocol"] = _port_data(ports, protocol_name, side)
    return endpoint


def ace_data(afi: str, ace: Ace, options) -> dict:
    rule = ace.rule
    data = {"sequence": ace.sequence, "grant": ace.grant, "protocol": protocol(afi, rule.protocol),
            "source": _endpoint(ace.source, ace.source_ports, rule.protocol, "source"),
            "destination": _endpoint(ace.destination, ace.destination_ports, rule.protocol, "destination")}
    if ace.remarks:
        data["remarks"] = list(ace.remarks)
    if rule.established:
        data["protocol_options"] = {"tcp": {"established": True}}
    types = [name for name in ace.icmp_types if name in _DATA_TYPES]
    if types:
        data["protocol_options"] = {"icmp": {types[0]: True}}
    if rule.kind == "deny" and options.log_deny:
        data["log"] = {"set": True}
    return data


def acl_data(name: str, afi: str, aces: list, options) -> dict:
    acl = {"name": name, "aces": [ace_data(afi, ace, options) for ace in aces]}
    return {"name": name, "acl_type": "extended", "aces": acl["aces"]} if afi == "ipv4" else acl


def _address_text(operand: str) -> str:
    if not is_cidr(operand):
        return f"object-group {operand}"
    net = network(operand)
    if net.prefixlen == 0:
        return "any"
    if net.prefixlen == net.max_prefixlen:
        return f"host {net.network_address}"
    return f"{net.network_address} {net.hostmask}" if net.version == 4 else str(net)


def ace_text(afi: str, ace: Ace, options) -> str:
    body = ace_words(ace, protocol(afi, ace.rule.protocol), _address_text, _TYPES, options.log_deny)
    return f" {ace.sequence} {body}" if afi == "ipv4" else f" sequence {ace.sequence} {body}"


def group_members(cidrs) -> list[str]:
    """The lines under 'object-group network NAME' for its CIDRs."""
    members = []
    for cidr in cidrs:
        net = network(cidr)
        members.append(f"host {net.network_address}" if net.prefixlen == net.max_prefixlen
                       else f"{net.network_address} {net.netmask}")
    return members


def group_lines(groups) -> list[str]:
    lines = []
    for name, cidrs in groups:
        lines.append(f"object-group network {name}")
        lines.extend(f" {member}" for member in group_members(cidrs))
    return lines


def text(acls: list, groups, interfaces: list, options) -> list[str]:
    """The device's configuration: object groups, ACLs with their remarks, interface bindings."""
    lines = group_lines(groups)
    for afi, name, aces in acls:
        lines.append(f"ip access-list extended {name}" if afi == "ipv4" else f"ipv6 access-list {name}")
        for ace in aces:
            lines.extend(f" remark {remark}" for remark in ace.remarks)
            lines.append(ace_text(afi, ace, options))
    for interface in interfaces:
        lines.append(f"interface {interface['name']}")
        for group in interface["access_groups"]:
            for acl in group["acls"]:
                keyword = "ip access-group" if group["afi"] == "ipv4" else "ipv6 traffic-filter"
                lines.append(f" {keyword} {acl['name']} {acl['direction']}")
    return lines
