# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device ACLs permit what the plan's deployment flows require, nothing more, nothing less.

A synthetic Citrix site is planned; one IOS device joins its zones. Each IPv4 ACL's rendered text
(object groups included) is expanded into the packets it permits with _acl/permitted.py, and compared
with the set worked out here, independently of the renderer, from the deployment flows and the
documented additions (docs/network.md): every flow crossing the device from the ACL's zone, the return
traffic of every flow crossing into it (TCP established, UDP to the ephemeral ports 1024-65535, ICMP
echo replies), the controller's management access (WinRM to the hosts, SSH to the device) and its
return, and ICMP unreachable from anywhere.
"""

from __future__ import annotations

import re

import pytest
from netaddr import IPSet

from ansible_collections.vdi.firewall.plugins.plugin_utils._acl import (
    DeviceInput,
    build_device_acls,
    catalog_texts,
    normalise_options,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.permitted import box_cuts, canonical, parse_ios, same_permitted
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import HostInput, build_topology, deployment_flows, plan_hosts

ENDPOINTS = {"user_device": ["198.51.100.0/24"], "domain_controller": ["192.0.2.10", "192.0.2.11"],
             "dns_server": ["192.0.2.10"], "admin_workstation": ["192.0.2.250"]}
SERVERS = (("broker", 3), ("storefront", 2), ("gateway", 2), ("license_server", 1), ("sql", 2), ("director", 1),
           ("pvs", 2), ("fas", 1))
ZONES = {"users": {"cidrs": ["198.51.100.0/24"], "interface": "Gi0/1"},
         "infrastructure": {"cidrs": ["192.0.2.0/24"], "interface": "Gi0/2"},
         "servers": {"cidrs": ["10.20.0.0/24"], "interface": "Gi0/3"},
         "vda": {"cidrs": ["10.21.0.0/16"], "interface": "Gi0/4"}}
MANAGEMENT = "192.0.2.250/32"
DEVICE_ADDRESS = "192.0.2.1"
EPHEMERAL = (1024, 65535)
ANY_PORT = (0, 65535)
ANY_ADDRESS = ((0, 2 ** 32 - 1),)


def site(vdas: int) -> list[HostInput]:
    hosts = []
    for group, number in SERVERS:
        for index in range(number):
            hosts.append(HostInput(f"{group}{index + 1}", groups=(group,), product="citrix",
                                   ansible_host=f"10.20.0.{len(hosts) + 1}"))
    for index in range(vdas):
        hosts.append(HostInput(f"vda{index + 1}", groups=("vda",), product="citrix",
                               ansible_host=f"10.21.{index // 250}.{index % 250 + 1}"))
    return hosts


@pytest.fixture(scope="module", name="planned")
def fixture_planned():
    catalog = load_catalog()
    topology = build_topology(catalog, site(600), endpoints=ENDPOINTS)
    rows = deployment_flows(topology, plan_hosts(topology))
    hosts = {host: {"addresses": list(addresses), "platform": "windows"}
             for host, addresses in topology.host_addresses.items()}
    device = DeviceInput("fw-ios", "cisco.ios.ios", ZONES, ansible_host=DEVICE_ADDRESS,
                         connection="ansible.netcommon.network_cli", management_cidrs=[MANAGEMENT])
    texts = catalog_texts(catalog)
    result = build_device_acls([device], rows, hosts, normalise_options(afis=["ipv4"]), *texts)["fw-ios"]
    return rows, hosts, result, texts


def _intervals(addresses: IPSet) -> tuple:
    return tuple((int(cidr.first), int(cidr.last)) for cidr in addresses.iter_cidrs())


def _ports(text: str) -> list[tuple[int, int]]:
    ranges = []
    for item in re.split(r"[,\s]+", str(text or "").strip()):
        if item:
            start, _separator, end = item.partition("-")
            ranges.append((int(start), int(end or start)))
    # a flow to every port is an entry without a port: port 0 with it
    return [ANY_PORT if item in ((0, 65535), (1, 65535)) else item for item in ranges] or [ANY_PORT]


def _box(protocol, options, sources, source_ports, destinations, ports):
    return (protocol, tuple(options), _intervals(sources), source_ports, _intervals(destinations), ports)


def required(rows: list[dict], hosts: dict) -> dict[str, list[tuple]]:
    """Zone ACL -> the permit boxes the flows and the documented additions require (IPv4)."""
    zones = {name: IPSet(zone["cidrs"]) for name, zone in ZONES.items()}
    flows = [(row["protocol"], IPSet(row["source_addresses"].split()), IPSet(row["destination_addresses"].split()),
              _ports(row["ports"]) if row["protocol"] in ("tcp", "udp") else [ANY_PORT])
             for row in rows]
    management = IPSet([MANAGEMENT])
    winrm = IPSet(address for host in hosts.values() for address in host["addresses"])
    flows += [("tcp", management, winrm, [(5985, 5985), (5986, 5986)]),
              ("tcp", management, IPSet([DEVICE_ADDRESS]), [(22, 22)])]
    ipv4 = IPSet(["0.0.0.0/0"])
    boxes: dict[str, list[tuple]] = {f"VDI-{name.upper()}-IN": [] for name in ZONES}
    for protocol, sources, destinations, ports in flows:
        sources, destinations = sources & ipv4, destinations & ipv4
        for source_zone, source_cidrs in zones.items():
            # the device itself is the destination of the management flow from any zone
            to_device = destinations == IPSet([DEVICE_ADDRESS])
            elsewhere = IPSet([DEVICE_ADDRESS]) if to_device else \
                IPSet([cidr for name, cidrs in zones.items() if name != source_zone for cidr in cidrs.iter_cidrs()])
            source_part, destination_part = sources & source_cidrs, destinations & elsewhere
            if not source_part or not destination_part:
                continue
            forward = boxes[f"VDI-{source_zone.upper()}-IN"]
            for port in ports:
                forward.append(_box(protocol, (), source_part, ANY_PORT, destination_part, port))
            if to_device:
                continue  # the device's own replies pass no zone ACL
            for destination_zone, destination_cidrs in zones.items():
                back_source = destination_part & destination_cidrs
                if not back_source:
                    continue
                back = boxes[f"VDI-{destination_zone.upper()}-IN"]
                for port in ports:
                    if protocol == "tcp":
                        back.append(_box("tcp", ("established",), back_source, port, source_part, ANY_PORT))
                    elif protocol == "udp":
                        back.append(_box("udp", (), back_source, port, source_part, EPHEMERAL))
                    elif protocol == "icmp":
                        back.append(_box("icmp", ("0",), back_source, ANY_PORT, source_part, ANY_PORT))
                    else:
                        back.append(_box(protocol, (), back_source, ANY_PORT, source_part, ANY_PORT))
    for acl in boxes.values():
        if acl:
            acl.append(("icmp", ("3",), ANY_ADDRESS, ANY_PORT, ANY_ADDRESS, ANY_PORT))
    return boxes


def test_the_site_crosses_the_device_in_every_zone(planned):
    rows, _hosts, result, _texts = planned
    acls = parse_ios(result["text"])
    assert sorted(acls) == ["VDI-INFRASTRUCTURE-IN", "VDI-SERVERS-IN", "VDI-USERS-IN", "VDI-VDA-IN"]
    assert all(len(boxes) > 2 for boxes in acls.values())
    assert {row["protocol"] for row in rows} >= {"tcp", "udp"}
    assert result["address_groups"], "a realistic site has address groups"


def test_the_acls_permit_exactly_what_the_flows_and_the_documented_additions_require(planned):
    rows, hosts, result, _texts = planned
    acls, expected = parse_ios(result["text"]), required(rows, hosts)
    assert sorted(acls) == sorted(name for name, boxes in expected.items() if boxes)
    for name, boxes in acls.items():
        if not same_permitted(boxes, expected[name]):
            cuts = box_cuts(boxes, expected[name])
            got, want = canonical(boxes, cuts), canonical(expected[name], cuts)
            extra = sorted(key for key in got if got[key] != want.get(key))[:5]
            missing = sorted(key for key in want if want[key] != got.get(key))[:5]
            pytest.fail(f"{name}: permits more or less than required; differing atoms {extra} / {missing}")


def test_the_comparison_sees_one_entry_too_many_or_too_few(planned):
    rows, hosts, result, _texts = planned
    acls, expected = parse_ios(result["text"]), required(rows, hosts)
    name = "VDI-USERS-IN"
    wider = [*acls[name], ("tcp", (), ((0, 0),), ANY_PORT, ANY_ADDRESS, (3389, 3389))]
    assert not same_permitted(wider, expected[name])
    assert not same_permitted(acls[name][1:], expected[name])


@pytest.mark.parametrize("platform", ["ios", "nxos", "eos"])
def test_the_text_has_remarks_per_flow_group_and_ios_object_groups(planned, platform):
    rows, hosts, _result, texts = planned
    network_os = {"ios": "cisco.ios.ios", "nxos": "cisco.nxos.nxos", "eos": "arista.eos.eos"}[platform]
    device = DeviceInput("fw1", network_os, ZONES, ansible_host=DEVICE_ADDRESS, management_cidrs=[MANAGEMENT])
    result = build_device_acls([device], rows, hosts, normalise_options(afis=["ipv4"]), *texts)["fw1"]
    text = result["text"]
    remark = {"ios": r"^ remark ", "nxos": r"^  \d+ remark ", "eos": r"^   \d+ remark "}[platform]
    remarks = [line for line in text if re.match(remark, line)]
    assert any(re.match(remark + r"flows: citrix_", line) for line in remarks)
    assert any(re.match(remark + r"return of flows: ", line) for line in remarks)
    assert any(re.match(remark + r"docs: Communication Ports Used by Citrix Technologies", line) for line in remarks)
    assert any(re.match(remark + r"explicit deny", line) for line in remarks)
    # every ACL's first line after its header is a remark, and each rule's flows are named once
    for index, line in enumerate(text):
        if re.match(r"^ip access-list ", line):
            assert re.match(remark, text[index + 1]), line
    groups = [line for line in text if line.startswith("object-group network ")]
    references = [line for line in text if " object-group VDI-" in line]
    if platform == "ios":
        assert groups and references
        defined = {line.split()[-1] for line in groups}
        used = {word for line in references for word in re.findall(r"object-group (\S+)", line)}
        assert used == defined == set(result["address_groups"])
        assert result["object_group_lines"] == text[:len(result["object_group_lines"])]
    else:
        assert not groups and not references and result["address_groups"] == {}
        # the CIDRs an IOS group holds are listed one entry each
        assert any(re.search(r"\b10\.20\.0\.\d+(/32)?\b", line) for line in text)
