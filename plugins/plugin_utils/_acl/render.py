# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to vdi.firewall (use plugin_utils._acl's exports): every device's ACLs, in the data shape of
its platform's resource modules, as configuration text, and as change-request rows."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from ansible_collections.vdi.firewall.plugins.plugin_utils._acl import eos, ios, junos, nftables, nxos
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.common import AddressGroups, expand, number
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.entries import device_entries, flow_rows, management_targets
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.inputs import (
    STATEFUL_PLATFORMS,
    acl_names,
    device_platform,
    normalise_zones,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.model import (
    AFIS,
    ICMPV6_FORWARDED,
    MANAGEMENT_FLOW,
    Ace,
    AclOptions,
    DeviceInput,
    Zone,
    require_netaddr,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import reference_label
from ansible_collections.vdi.firewall.plugins.plugin_utils._outputs import csv_text, file_name

PLATFORMS = {module.NAME: module for module in (ios, nxos, eos, junos, nftables)}
MODULES = {
    "ios": ("cisco.ios.ios_acls", "cisco.ios.ios_acl_interfaces"),
    "eos": ("arista.eos.eos_acls", "arista.eos.eos_acl_interfaces"),
    "nxos": ("cisco.nxos.nxos_acls", "cisco.nxos.nxos_acl_interfaces"),
    "junos": ("junipernetworks.junos.junos_acls", "junipernetworks.junos.junos_acl_interfaces"),
    "nftables": ("vdi.firewall.nftables_zones", "vdi.firewall.nftables_zones"),
}
CSV_COLUMNS = ("device", "platform", "acl", "afi", "interface", "direction", "sequence", "action", "protocol",
               "source", "source_port", "destination", "destination_port", "options", "kind", "source_zone",
               "destination_zone", "flows", "references", "description", "source_addresses",
               "destination_addresses")
# what a platform's ACL module cannot say (each platform's inexpressible), noted in the CSV's options
_INEXPRESSIBLE = {"ios": " (not expressible in ios_acls: in the text only)",
                  "junos": " (not expressible in junos_acls: in the set text only)"}


def binding_interfaces(device: str, platform: str, zones: list[Zone]) -> dict[str, str]:
    """Zone -> the interface name its ACL is bound to in the interface module's config.

    junipernetworks.junos.junos_acl_interfaces takes the physical interface and always binds unit 0, so a
    Junos logical interface 'ge-0/0/1.0' is passed as 'ge-0/0/1'; another unit cannot be bound by the module.
    """
    seen: dict = {}
    return {zone.name: junos.binding_name(device, zone, seen) if platform == "junos" else zone.interface
            for zone in zones if zone.interface}


def _shown(operand: str) -> str:
    if "/" not in operand:
        return operand  # an address group's name
    return "any" if ipaddress.ip_network(operand).prefixlen == 0 else operand


def _addresses(operand: str, groups: AddressGroups | None) -> str:
    if groups is not None and operand in groups.names:
        return " ".join(groups.names[operand])
    return _shown(operand)


def _options_text(platform: str, afi: str, ace: Ace, options: AclOptions) -> str:
    """established, the ICMP types and log; each the platform's ACL module cannot say with a note."""
    words = (["established"] if ace.rule.established else []) + list(ace.icmp_types)
    if ace.rule.kind == "deny" and options.log_deny:
        words.append("log")
    missing = set(PLATFORMS[platform].inexpressible(afi, ace, options))
    return " ".join(word + _INEXPRESSIBLE[platform] if word in missing else word for word in words)


def _describe(ace: Ace, descriptions: dict) -> str:
    rule = ace.rule
    if rule.kind == "deny":
        return "explicit deny: everything not permitted above"
    if rule.kind == "icmp":
        return "ICMP the network needs (unreachable: path MTU discovery, refused connections)"
    if rule.kind == "icmpv6":
        return "ICMPv6 the network needs (neighbour discovery, path MTU)"
    texts = []
    for flow in sorted(rule.flows):
        text = "Ansible controller management access (vdi_firewall_management_cidrs)" if flow == MANAGEMENT_FLOW \
            else descriptions.get(flow, "")
        if text and text not in texts:
            texts.append(text)
    return ("return traffic of: " if rule.kind == "return" else "") + "; ".join(texts)


def _row(device: str, platform: str, zone: Zone, name: str, afi: str, ace: Ace, context: dict) -> dict:
    rule = ace.rule
    flows = sorted(rule.flows)
    references = context["references"]
    return {
        "device": device, "platform": platform, "acl": name, "afi": afi, "interface": zone.interface or "",
        "direction": zone.direction, "sequence": ace.sequence, "action": ace.grant, "protocol": rule.protocol,
        "source": _shown(ace.source), "source_port": str(ace.source_ports) if ace.source_ports else "",
        "destination": _shown(ace.destination),
        "destination_port": str(ace.destination_ports) if ace.destination_ports else "",
        "options": _options_text(platform, afi, ace, context["options"]), "kind": rule.kind,
        "source_zone": rule.source_zone, "destination_zone": rule.destination_zone, "flows": " ".join(flows),
        "references": " | ".join(dict.fromkeys(ref for flow in flows for ref in references.get(flow, ()))),
        "description": _describe(ace, context["descriptions"]),
        "source_addresses": _addresses(ace.source, context["groups"]),
        "destination_addresses": _addresses(ace.destination, context["groups"]),
    }


def _render_acl(platform: str, afi: str, rules: list, groups: AddressGroups, context: dict) -> list:
    module = PLATFORMS[platform]
    aces = [ace for rule in rules
            for ace in expand(rule, groups if afi in module.GROUP_AFIS else None, one_type=platform != "junos")]
    return number(aces, module.REMARKS, context["references"])


def render_device(device: DeviceInput, platform: str, zones: list[Zone], entries: dict, options: AclOptions,
                  references: dict, descriptions: dict) -> dict:
    """The device's ACLs and bindings in its resource modules' shape, its configuration text, the CSV rows."""
    module = PLATFORMS[platform]
    names = acl_names(device.name, platform, zones, {afi for _zone, afi in entries})
    interfaces = binding_interfaces(device.name, platform, zones)
    groups = AddressGroups()
    context = {"references": references, "descriptions": descriptions, "options": options, "groups": groups}
    by_afi: dict[str, list[dict]] = {}
    rows: list[dict] = []
    bindings: dict[str, dict[str, list[dict]]] = {}
    rendered = []
    for zone in zones:
        for afi in AFIS:
            if (zone.name, afi) not in entries:
                continue
            name = names[(zone.name, afi)]
            items = _render_acl(platform, afi, entries[(zone.name, afi)], groups, context)
            aces = [item for item in items if isinstance(item, Ace)]
            rows.extend(_row(device.name, platform, zone, name, afi, ace, context) for ace in aces)
            by_afi.setdefault(afi, []).append(module.acl_data(name, afi, items, options))
            rendered.append((afi, name, items))
            if zone.name in interfaces:
                bindings.setdefault(interfaces[zone.name], {}).setdefault(afi, []).append(
                    {"name": name, "direction": zone.direction})
    bound = [
        {"name": interface, "access_groups": [{"afi": afi, "acls": groups_[afi]} for afi in AFIS if afi in groups_]}
        for interface, groups_ in sorted(bindings.items())
    ]
    result = {"acls": [{"afi": afi, "acls": by_afi[afi]} for afi in AFIS if afi in by_afi], "interfaces": bound,
              "entries": rows, "address_groups": dict(groups.items()),
              "text": module.text(rendered, groups.items(), bound, options)}
    if platform == "ios":
        result["object_group_lines"] = ios.group_lines(groups.items())
        result["object_groups"] = {name: ios.group_members(cidrs) for name, cidrs in groups.items()}
    if platform == "junos":
        result["prefix_lists"] = junos.prefix_lists(groups.items())
    return result


def entries_csv(rows: list[dict]) -> str:
    """The change-request view of a device's ACL entries as CSV text (see outputs.csv_text)."""
    return csv_text(CSV_COLUMNS, rows)


def _device_result(device: DeviceInput, platform: str, zones: list[Zone], names: dict, rendered: dict,
                   warnings: list) -> dict:
    acl_module, interfaces_module = MODULES[platform]
    return {
        "device": device.name,
        "network_os": str(device.network_os or ""),
        "platform": platform,
        "modules": {"acls": acl_module, "acl_interfaces": interfaces_module},
        "zones": [{"name": zone.name, "cidrs": list(zone.cidrs), "acl": zone.acl, "interface": zone.interface,
                   "direction": zone.direction,
                   "acl_names": {afi: names[(zone.name, afi)] for afi in AFIS if (zone.name, afi) in names}}
                  for zone in zones],
        **rendered,
        "warnings": warnings,
        "files": device_files(device.name),
    }


def build_device_acls(devices: list[DeviceInput], rows: list[dict], hosts: dict, options: AclOptions,
                      references: dict | None = None, descriptions: dict | None = None) -> dict[str, dict]:
    """Every device's ACLs from the deployment's flows (the planner's deployment_flows rows).

    hosts: the planned hosts, host -> {addresses, platform}, for the management entries.
    """
    require_netaddr()
    flows = flow_rows(rows)
    managed = management_targets(hosts, options)
    result = {}
    for device in devices:
        platform = device_platform(device.name, device.network_os, device.zone_firewall)
        stateful = platform in STATEFUL_PLATFORMS
        device_options = replace(options, return_traffic=False, icmp_essential=False,
                                 icmpv6_types=ICMPV6_FORWARDED, merge_flows=False) if stateful else options
        zones = normalise_zones(device.name, device.zones, device.device_zones)
        if stateful:
            # one stateful filter sees every crossing packet: each flow is an entry of its source zone
            zones = [replace(zone, direction="in") for zone in zones]
        names = acl_names(device.name, platform, zones, options.afis)
        entries, warnings = device_entries(device, zones, flows, managed, device_options, names)
        rendered = render_device(device, platform, zones, entries, device_options, references or {}, descriptions or {})
        result[device.name] = _device_result(device, platform, zones, names, rendered, warnings)
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
    return {"csv": f"{stem}.csv", "rendered": f"{stem}.rendered.txt", "xml": f"{stem}.rendered.xml"}


def acl_files(devices: dict[str, dict]) -> dict[str, str]:
    """Relative path -> content of the change-request files: acls/<device>.csv."""
    return {device_files(name)["csv"]: entries_csv(device["entries"]) for name, device in devices.items()}
