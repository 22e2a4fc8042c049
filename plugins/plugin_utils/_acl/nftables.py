# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to vdi.firewall (use plugin_utils._acl's exports): a Linux router's zone firewall entries.

The entries are plain data for vdi.firewall.nftables_zones (one source and one destination CIDR each),
which loads them as a stateful forward ruleset: connection tracking replaces the return entries.
"""

from __future__ import annotations

from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.model import Ace

NAME = "nftables"
GROUP_AFIS = ()
REMARKS = "comments"
_TYPES = {"neighbor_solicitation": "nd-neighbor-solicit", "neighbor_advertisement": "nd-neighbor-advert",
          "router_solicitation": "nd-router-solicit", "router_advertisement": "nd-router-advert",
          "packet_too_big": "packet-too-big", "echo_reply": "echo-reply", "unreachable": "destination-unreachable"}


def inexpressible(afi: str, ace: Ace, options) -> list[str]:
    """What the entry says that nftables_zones' data cannot: nothing."""
    return []


def ace_data(afi: str, ace: Ace, options) -> dict:
    rule = ace.rule
    return {"sequence": ace.sequence, "kind": rule.kind, "grant": ace.grant, "protocol": rule.protocol,
            "source": ace.source, "destination": ace.destination,
            "source_ports": str(ace.source_ports) if ace.source_ports else None,
            "destination_ports": str(ace.destination_ports) if ace.destination_ports else None,
            "icmp_type": _TYPES[ace.icmp_types[0]] if ace.icmp_types else None,
            "source_zone": rule.source_zone, "destination_zone": rule.destination_zone, "flows": sorted(rule.flows)}


def acl_data(name: str, afi: str, aces: list, options) -> dict:
    return {"name": name, "aces": [ace_data(afi, ace, options) for ace in aces]}


def text(acls: list, groups, interfaces: list, options) -> list[str]:
    return []  # vdi.firewall.nftables_zones renders the ruleset
