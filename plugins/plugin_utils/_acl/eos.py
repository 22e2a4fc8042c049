# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to vdi.firewall (use plugin_utils._acl's exports): Arista EOS ACLs (arista.eos.eos_acls).

eos_acls has no address groups: a rule's CIDRs are listed. Remarks are entries of their own. eos_acls
names every 'eq' port after the controller's /etc/services (1494 'ica', UDP 80 'http'), which EOS need
not know: a single port the module would rename goes to it as 'range P P', which it leaves alone; the
text carries numbers.
"""

from __future__ import annotations

from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.common import ace_words, network
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.model import Ace
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.ports import eos_renames

NAME = "eos"
GROUP_AFIS = ()
REMARKS = "entries"
_PROTOCOLS = {"ipv4": {"vrrp": "112", "gre": "47", "esp": "50"}, "ipv6": {"vrrp": "112", "gre": "47", "esp": "50", "ip": "ipv6"}}
_TYPES = {"unreachable": "unreachable", "echo_reply": "echo-reply", "neighbor_solicitation": "neighbor-solicitation",
          "neighbor_advertisement": "neighbor-advertisement", "router_solicitation": "router-solicitation",
          "router_advertisement": "router-advertisement", "packet_too_big": "packet-too-big"}


def protocol(afi: str, name: str) -> str:
    return _PROTOCOLS[afi].get(name, name)


def inexpressible(afi: str, ace: Ace, options) -> list[str]:
    """What the entry says that eos_acls' data cannot: nothing."""
    return []


def _address(operand: str) -> dict:
    net = network(operand)
    if net.prefixlen == 0:
        return {"any": True}
    if net.prefixlen == net.max_prefixlen:
        return {"host": str(net.network_address)}
    return {"subnet_address": str(net)}


def _endpoint(operand: str, ports) -> dict:
    endpoint = _address(operand)
    if ports is not None:
        single = ports.start == ports.end and not eos_renames(ports.start)
        endpoint["port_protocol"] = {"eq": str(ports.start)} if single else {"range": f"{ports.start} {ports.end}"}
    return endpoint


def ace_data(afi: str, ace: Ace, options) -> dict:
    rule = ace.rule
    data = {"sequence": ace.sequence, "grant": ace.grant, "protocol": protocol(afi, rule.protocol),
            "source": _endpoint(ace.source, ace.source_ports),
            "destination": _endpoint(ace.destination, ace.destination_ports)}
    if rule.established:
        data["protocol_options"] = {"tcp": {"flags": {"established": True}}}
    if ace.icmp_types:
        key = "icmp" if afi == "ipv4" else "icmpv6"
        data["protocol"] = key
        data["protocol_options"] = {key: {name: True for name in ace.icmp_types}}
    if rule.kind == "deny" and options.log_deny:
        data["log"] = True
    return data


def acl_data(name: str, afi: str, items: list, options) -> dict:
    aces = [ace_data(afi, item, options) if isinstance(item, Ace) else {"sequence": item[0], "remark": item[1]}
            for item in items]
    return {"name": name, "aces": aces}


def _address_text(operand: str) -> str:
    net = network(operand)
    if net.prefixlen == 0:
        return "any"
    return f"host {net.network_address}" if net.prefixlen == net.max_prefixlen else str(net)


def ace_text(afi: str, ace: Ace, options) -> str:
    words = ace_words(ace, protocol(afi, ace.rule.protocol), _address_text, _TYPES, options.log_deny)
    return f"   {ace.sequence} {words}"


def text(acls: list, groups, interfaces: list, options) -> list[str]:
    """The device's configuration as EOS shows it: ACLs with remark entries, interface bindings."""
    lines = []
    for afi, name, items in acls:
        lines.append(f"{'ip' if afi == 'ipv4' else 'ipv6'} access-list {name}")
        for item in items:
            lines.append(ace_text(afi, item, options) if isinstance(item, Ace) else f"   {item[0]} remark {item[1]}")
    for interface in interfaces:
        lines.append(f"interface {interface['name']}")
        for group in interface["access_groups"]:
            for acl in group["acls"]:
                lines.append(f"   {'ip' if group['afi'] == 'ipv4' else 'ipv6'} access-group {acl['name']} {acl['direction']}")
    return lines
