# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The zone devices of an inventory, and the journeys' check of each hop through them.

Internal to vdi.firewall, not a public interface: it may change in any release.

A device is a host whose platform is ``network`` (``ansible_network_os``), whose
``vdi_firewall_backend`` is ``network_acl``, or a Linux router with ``vdi_firewall_zone_firewall``.
Its ACL entries come from acl.py, from the same deployment flows as the host plans; a journey hop
crosses a device when its source and destination addresses lie in two different zones of it, and
is open there when a permit entry of the source zone's ACL covers the protocol, the port, the
source and the destination.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import parse_network, parse_port_range
from ansible_collections.vdi.firewall.plugins.plugin_utils._inventory import plain
from ansible_collections.vdi.firewall.plugins.plugin_utils._platforms import host_platform

if TYPE_CHECKING:  # the ACL builder is loaded only when the inventory has devices (see _acl_builder)
    from ansible_collections.vdi.firewall.plugins.plugin_utils._acl import DeviceInput

DEVICE_VARIABLES = {
    "network_os": "ansible_network_os",
    "zones": "vdi_firewall_zones",
    "device_zones": "vdi_firewall_device_zones",
    "address": "vdi_firewall_address",
    "ansible_host": "ansible_host",
    "connection": "ansible_connection",
    "port": "ansible_port",
    "management_cidrs": "vdi_firewall_management_cidrs",
    "zone_firewall": "vdi_firewall_zone_firewall",
}
PERMITTING = frozenset(("flow", "management"))


def is_device(variables, host: str) -> bool:
    """A device between zones (see the module's docstring)."""
    if str(variables.get("vdi_firewall_backend") or "") == "network_acl":
        return True
    if variables.get("vdi_firewall_zone_firewall") not in (None, ""):
        return True
    return host_platform(variables, host) == "network"


def _acl_builder():
    """The ACL builder's module, imported when first needed: a plan without devices never loads it."""
    from ansible_collections.vdi.firewall.plugins.plugin_utils import _acl

    return _acl


def device_input(name: str, variables) -> DeviceInput:
    """A device's inputs for the ACL builder, from its variables."""
    values = {field: plain(variables.get(variable)) if variable in variables else None
              for field, variable in DEVICE_VARIABLES.items()}
    return _acl_builder().DeviceInput(name=name, **values)


def inventory_devices(task_vars: dict) -> list[str]:
    """The inventory's devices that have zones."""
    hostvars = task_vars.get("hostvars") or {}
    names = []
    for host in (task_vars.get("groups") or {}).get("all", []):
        variables = hostvars[host] if host in hostvars else {}
        if variables.get("vdi_firewall_zones") and is_device(variables, host):
            names.append(host)
    return names


def device_results(task_vars: dict, catalog, topology, flow_rows: list[dict], names) -> dict[str, dict]:
    """Every named device's entries, as vdi.firewall.device_acls works them out (its default options,
    vdi_firewall_acl_afis honoured)."""
    hostvars = task_vars.get("hostvars") or {}
    afis = task_vars.get("vdi_firewall_acl_afis") or ["ipv4", "ipv6"]
    acl = _acl_builder()
    options = acl.normalise_options(afis=afis)
    hosts = {host: {"addresses": list(addresses), "platform": host_platform(hostvars[host], host)}
             for host, addresses in topology.host_addresses.items() if host in hostvars}
    references, descriptions = acl.catalog_texts(catalog)
    return acl.build_device_acls([device_input(name, hostvars[name]) for name in names], flow_rows, hosts, options,
                                 references, descriptions)


# what a deployment flow row carries to the ACL builder (build_device_acls)
PLAN_FLOW_KEYS = ("flow_id", "protocol", "source_addresses", "destination_addresses", "ports", "source", "destination")


def device_plan(task_vars: dict, topology, flow_rows: list[dict]) -> dict:
    """What vdi.firewall.device_acls needs of one plan (its option plan): the deployment's flows and the
    planned hosts' addresses and platforms, so that it builds the ACLs without planning again."""
    hostvars = task_vars.get("hostvars") or {}
    return {
        "flows": [{key: row.get(key, "") for key in PLAN_FLOW_KEYS} for row in flow_rows],
        "hosts": {host: {"addresses": list(addresses), "platform": host_platform(hostvars[host], host)}
                  for host, addresses in topology.host_addresses.items() if host in hostvars},
    }


def _ports(text: str) -> tuple[int, int] | None:
    text = str(text or "").strip()
    if not text or text == "any":
        return None
    port_range = parse_port_range(text, "device entry port")
    return port_range.start, port_range.end


def _network(text: str):
    text = str(text or "").strip()
    if text in ("", "any"):
        return None
    return parse_network(text, "device entry address")


def _networks(row: dict, side: str) -> list:
    text = str(row.get(f"{side}_addresses") or row.get(side) or "")
    return [_network(item) for item in text.split()] or [None]


class _Device:
    """One device's zones and permit entries, for the hop check."""

    def __init__(self, result: dict):
        self.name = result["device"]
        self.zones = [(zone["name"], [parse_network(cidr, f"zone '{zone['name']}'") for cidr in zone["cidrs"]])
                      for zone in result["zones"]]
        # an entry's source and destination may be an address group: its addresses are listed beside it
        self.permits = [(row["protocol"], source, destination, _ports(row.get("destination_port")), row.get("source_zone"))
                        for row in result["entries"] if row.get("action") == "permit" and row.get("kind") in PERMITTING
                        for source in _networks(row, "source") for destination in _networks(row, "destination")]
        # (zone, afi) pairs that have an ACL: a zone with none in a family does not filter that family
        self.filtered = {(row.get("source_zone"), row.get("afi")) for row in result["entries"]}

    def zone_of(self, network) -> str | None:
        for name, cidrs in self.zones:
            if any(network.version == cidr.version and network.subnet_of(cidr) for cidr in cidrs):
                return name
        return None

    def permits_packet(self, protocol: str, source, destination, port: int | None) -> bool:
        for entry_protocol, entry_source, entry_destination, ports, _zone in self.permits:
            if entry_protocol not in (protocol, "ip"):
                continue
            if entry_source is not None and (entry_source.version != source.version or not source.subnet_of(entry_source)):
                continue
            if entry_destination is not None and (entry_destination.version != destination.version
                                                  or not destination.subnet_of(entry_destination)):
                continue
            if port is not None and ports is not None and not ports[0] <= port <= ports[1]:
                continue
            return True
        return False

    def check(self, hop: dict) -> list[dict]:
        """The hop's gaps on this device: [{device, ports, addresses}] (empty when it passes or does not cross)."""
        ports: list[int | None] = []
        for text in hop.get("ports") or []:
            port_range = _ports(text)
            if port_range is None:
                ports.append(None)  # any port
                continue
            start, end = port_range
            ports.extend(range(start, end + 1) if end - start < 64 else [start])
        missing = []
        for source_text in hop.get("source_addresses") or []:
            source = parse_network(source_text, "hop source")
            for destination_text in hop.get("destination_addresses") or []:
                destination = parse_network(destination_text, "hop destination")
                if source.version != destination.version:
                    continue
                source_zone, destination_zone = self.zone_of(source), self.zone_of(destination)
                if source_zone is None or destination_zone is None or source_zone == destination_zone:
                    continue  # the hop does not cross this device
                if (source_zone, f"ipv{source.version}") not in self.filtered:
                    continue  # no ACL of this family on the source zone
                wanted = ports or [None]
                closed = [port for port in wanted if not self.permits_packet(hop["protocol"], source, destination, port)]
                if hop.get("match") == "any" and len(closed) < len(wanted):
                    closed = []
                if closed:
                    missing.append({"device": self.name, "ports": sorted({str(port) for port in closed if port}),
                                    "addresses": [source_text, destination_text]})
        return missing[:1]


def device_checks(devices: dict[str, dict]) -> list:
    """One hop check per device (see journeys.check_journeys' devices)."""
    return [_Device(result).check for _name, result in sorted(devices.items())]
