# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to vdi.firewall (use plugin_utils._acl's exports): the zone and entry model of device ACLs."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

try:
    from netaddr import IPSet  # pylint: disable=unused-import  # entries.py takes it from here, with HAS_NETADDR

    HAS_NETADDR = True
except ImportError:  # pragma: no cover - exercised only without netaddr
    IPSet = None
    HAS_NETADDR = False

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import PortRange
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError

AFIS = ("ipv4", "ipv6")
DIRECTIONS = ("in", "out")
MANAGEMENT_FLOW = "management"
DEVICE_ZONE = "(device)"
# kinds in ACL order: the controller first, then the flows, their return traffic, the ICMP the network
# needs, and the explicit deny
KIND_ORDER = {"management": 0, "flow": 1, "return": 2, "icmp": 3, "icmpv6": 4, "deny": 5}
PROTOCOL_ORDER = {"tcp": 0, "udp": 1, "icmp": 2, "icmpv6": 3, "vrrp": 4, "gre": 5, "esp": 6, "ip": 7}
# UDP has no connection state a stateless ACL can match: its return traffic is matched by the flow's
# port as source port and the peers' ephemeral ports (1024-65535) as destination port
EPHEMERAL_PORTS = PortRange(1024, 65535)
# ICMP every ACL with flows keeps: IPv4 unreachable (path MTU discovery's fragmentation needed, and the
# quick failure of a closed port); IPv6 neighbour discovery and packet-too-big (IPv6 routers do not fragment)
ICMP_ESSENTIAL = ("unreachable",)
ICMPV6_ESSENTIAL = ("neighbor_solicitation", "neighbor_advertisement", "router_solicitation",
                    "router_advertisement", "packet_too_big")
# what a router's forward filter needs of them: router solicitations and advertisements stay on their link
ICMPV6_FORWARDED = ("neighbor_solicitation", "neighbor_advertisement", "packet_too_big")
# the return traffic of an ICMP flow (a ping): echo replies
ICMP_RETURN = "echo_reply"
ANYWHERE = {"ipv4": "0.0.0.0/0", "ipv6": "::/0"}


def require_netaddr() -> None:
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
    addresses: Any = None  # a netaddr IPSet (netaddr has no type hints)
    afis: tuple[str, ...] = ()  # address families the zone has CIDRs of


def afis_of(cidrs) -> tuple[str, ...]:
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


@dataclass
class AclOptions:
    """Deployment-wide options of the ACL builder."""

    return_traffic: bool = True
    log_deny: bool = False
    afis: tuple[str, ...] = AFIS
    icmpv6_essential: bool = True
    icmp_essential: bool = True
    icmpv6_types: tuple[str, ...] = ICMPV6_ESSENTIAL
    merge_flows: bool = True  # merge the rules of different flows (a zone firewall merges its own)
    management_host_ports: tuple[int, ...] | None = None
    management_device_ports: tuple[int, ...] | None = None


@dataclass
class FlowRow:
    """A deployment flow: the planner's deployment_flows row reduced to what ACLs need."""

    flow_id: str
    protocol: str
    sources: Any  # a netaddr IPSet (netaddr has no type hints)
    destinations: Any  # a netaddr IPSet
    ports: list
    source_component: str = ""
    destination_component: str = ""


@dataclass
class Rule:
    """An abstract ACL entry before rendering: what it permits (address sets times port sets) and why.

    sources and destinations are minimal CIDR tuples; empty port tuples mean any port (and portless protocols).
    """

    kind: str
    protocol: str
    sources: tuple[str, ...]
    destinations: tuple[str, ...]
    source_ports: tuple[PortRange, ...] = ()
    destination_ports: tuple[PortRange, ...] = ()
    established: bool = False
    icmp_types: tuple[str, ...] = ()
    flows: set = field(default_factory=set)
    source_zone: str = ""
    destination_zone: str = ""
    source_labels: frozenset = frozenset()
    destination_labels: frozenset = frozenset()

    def key(self, *without: str) -> tuple:
        """What the rule permits, leaving out the named dimensions (for merging along them)."""
        values = {"protocol": self.protocol, "sources": self.sources, "destinations": self.destinations,
                  "source_ports": self.source_ports, "destination_ports": self.destination_ports}
        return (self.kind, self.established, self.icmp_types, self.source_zone, self.destination_zone,
                *(value for name, value in values.items() if name not in without))


@dataclass
class Ace:
    """One rendered entry of a platform: a rule's sources, destinations and one port pair.

    source and destination are a CIDR or, where the platform has them, an address group's name.
    """

    rule: Rule
    source: str
    destination: str
    source_ports: PortRange | None = None
    destination_ports: PortRange | None = None
    icmp_types: tuple[str, ...] = ()
    sequence: int = 0
    remarks: tuple[str, ...] = ()

    @property
    def grant(self) -> str:
        return "deny" if self.rule.kind == "deny" else "permit"
