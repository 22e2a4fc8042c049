# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to vdi.firewall (use plugin_utils._acl's exports): Junos firewall filters (junipernetworks.junos).

Filters list their addresses: junos_acls fails to render prefix_list references offline, so no address
set becomes a policy-options prefix-list (GROUP_AFIS is empty; the code for them is kept for when
it renders). Filters have no remarks; the set
text carries each rule's remarks as '#' comment lines, which 'load set' skips. junos_acls cannot say
tcp-established, ICMP types of family inet6, or log: the set text says them, the XML does not.
"""

from __future__ import annotations

import re

from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.common import is_cidr, network, ports_text
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.model import Ace
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError

NAME = "junos"
GROUP_AFIS = ()  # junos_acls fails to render prefix_list references offline: addresses are listed
REMARKS = "comments"
_PROTOCOLS = {"ipv4": {}, "ipv6": {"icmpv6": "icmp6"}}
_TYPES = {"unreachable": "unreachable", "echo_reply": "echo-reply", "neighbor_solicitation": "neighbor-solicit",
          "neighbor_advertisement": "neighbor-advertisement", "router_solicitation": "router-solicit",
          "router_advertisement": "router-advertisement", "packet_too_big": "packet-too-big"}
# ICMP types junos_acls carries in family inet (protocol_options.icmp)
_DATA_TYPES = frozenset(("echo_reply", "router_advertisement", "router_solicitation"))
_UNIT = re.compile(r"^(?P<physical>.+)\.(?P<unit>\d+)$")


def protocol(afi: str, name: str) -> str:
    return _PROTOCOLS[afi].get(name, name)


def inexpressible(afi: str, ace: Ace, options) -> list[str]:
    """What the term says that junos_acls' data cannot: tcp-established, the ICMP types of family inet
    other than echo-reply and router solicitation/advertisement, every ICMPv6 type, log (the set text
    has them)."""
    rule = ace.rule
    words = ["established"] if rule.established else []
    words += [name for name in ace.icmp_types if afi != "ipv4" or name not in _DATA_TYPES]
    if rule.kind == "deny" and options.log_deny:
        words.append("log")
    return words


def term_name(sequence: int) -> str:
    return f"vdi-{sequence:05d}"


def _endpoint(operand: str, ports) -> dict:
    endpoint: dict = {}
    if not is_cidr(operand):
        endpoint["prefix_list"] = [{"name": operand}]
    elif network(operand).prefixlen:
        endpoint["address"] = str(network(operand))
    if ports is not None:
        # junos_acls writes range start/end from the wrong keys (an empty port); Junos takes "a-b" as one value
        endpoint["port_protocol"] = {"eq": ports_text(ports)}
    return endpoint


def ace_data(afi: str, ace: Ace, options) -> dict:
    rule = ace.rule
    data: dict = {"name": term_name(ace.sequence), "grant": ace.grant}
    if rule.kind == "deny":
        return data
    data["protocol"] = protocol(afi, rule.protocol)
    for side, operand, ports in (("source", ace.source, ace.source_ports),
                                 ("destination", ace.destination, ace.destination_ports)):
        endpoint = _endpoint(operand, ports)
        if endpoint:
            data[side] = endpoint
    types = [name for name in ace.icmp_types if name in _DATA_TYPES] if afi == "ipv4" else []
    if types:
        data["protocol_options"] = {"icmp": {types[0]: True}}
    return data


def acl_data(name: str, afi: str, aces: list, options) -> dict:
    return {"name": name, "aces": [ace_data(afi, ace, options) for ace in aces]}


def prefix_lists(groups) -> list[dict]:
    """junos_prefix_lists' config for the device's address sets."""
    return [{"name": name, "address_prefixes": list(cidrs)} for name, cidrs in groups]


def _term_lines(family: str, name: str, afi: str, ace: Ace, options) -> list[str]:
    rule = ace.rule
    head = f"set firewall family {family} filter {name} term {term_name(ace.sequence)}"
    lines = [f"# {remark}" for remark in ace.remarks]
    if rule.kind == "deny":
        return lines + ([f"{head} then syslog"] if options.log_deny else []) + [f"{head} then discard"]
    lines.append(f"{head} from {'protocol' if afi == 'ipv4' else 'next-header'} {protocol(afi, rule.protocol)}")
    for side, operand, ports in (("source", ace.source, ace.source_ports),
                                 ("destination", ace.destination, ace.destination_ports)):
        if not is_cidr(operand):
            lines.append(f"{head} from {side}-prefix-list {operand}")
        elif network(operand).prefixlen:
            lines.append(f"{head} from {side}-address {network(operand)}")
        if ports is not None:
            lines.append(f"{head} from {side}-port {ports_text(ports)}")
    lines.extend(f"{head} from icmp-type {_TYPES[name]}" for name in ace.icmp_types)
    if rule.established:
        lines.append(f"{head} from tcp-established")
    lines.append(f"{head} then accept")
    return lines


def text(acls: list, groups, interfaces: list, options) -> list[str]:
    """The device's configuration as Junos set commands: prefix lists, filters, interface bindings."""
    lines = [f"set policy-options prefix-list {name} {cidr}" for name, cidrs in groups for cidr in cidrs]
    for afi, name, aces in acls:
        family = "inet" if afi == "ipv4" else "inet6"
        for ace in aces:
            lines.extend(_term_lines(family, name, afi, ace, options))
    for interface in interfaces:
        for group in interface["access_groups"]:
            family = "inet" if group["afi"] == "ipv4" else "inet6"
            for acl in group["acls"]:
                direction = "input" if acl["direction"] == "in" else "output"
                lines.append(f"set interfaces {interface['name']} unit 0 family {family} filter {direction} {acl['name']}")
    return lines


def binding_name(device: str, zone, seen: dict) -> str:
    """The interface junos_acl_interfaces binds: the physical one (it always binds unit 0)."""
    name = zone.interface
    unit = _UNIT.match(name)
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
    return name
