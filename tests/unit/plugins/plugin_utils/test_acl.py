# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Device ACLs between zones: crossing flows, merging, order, the four platforms' shapes, bad input."""

from __future__ import annotations

import csv
import io

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.arista.eos.plugins.module_utils.network.eos.argspec.acl_interfaces.acl_interfaces import (
    Acl_interfacesArgs as EosInterfacesArgs,
)
from ansible_collections.arista.eos.plugins.module_utils.network.eos.argspec.acls.acls import AclsArgs as EosArgs
from ansible_collections.cisco.ios.plugins.module_utils.network.ios.argspec.acl_interfaces.acl_interfaces import (
    Acl_interfacesArgs as IosInterfacesArgs,
)
from ansible_collections.cisco.ios.plugins.module_utils.network.ios.argspec.acls.acls import AclsArgs as IosArgs
from ansible_collections.cisco.nxos.plugins.module_utils.network.nxos.argspec.acl_interfaces.acl_interfaces import (
    Acl_interfacesArgs as NxosInterfacesArgs,
)
from ansible_collections.cisco.nxos.plugins.module_utils.network.nxos.argspec.acls.acls import AclsArgs as NxosArgs
from ansible_collections.junipernetworks.junos.plugins.module_utils.network.junos.argspec.acl_interfaces.acl_interfaces import (
    Acl_interfacesArgs as JunosInterfacesArgs,
)
from ansible_collections.junipernetworks.junos.plugins.module_utils.network.junos.argspec.acls.acls import (
    AclsArgs as JunosArgs,
)

from ansible_collections.vdi.firewall.plugins.plugin_utils._acl import (
    DeviceInput,
    acl_files,
    build_device_acls,
    normalise_options,
)
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError

ARGSPECS = {
    "ios": (IosArgs, IosInterfacesArgs),
    "eos": (EosArgs, EosInterfacesArgs),
    "nxos": (NxosArgs, NxosInterfacesArgs),
    "junos": (JunosArgs, JunosInterfacesArgs),
}
NETWORK_OS = {"ios": "cisco.ios.ios", "eos": "arista.eos.eos", "nxos": "cisco.nxos.nxos",
              "junos": "junipernetworks.junos.junos"}

ZONES = {
    "a": {"cidrs": ["10.1.0.0/24"], "interface": "if-a"},
    "b": {"cidrs": ["10.2.0.0/24"], "interface": "if-b"},
    "c": {"cidrs": ["10.3.0.0/24", "2001:db8:3::/64"], "interface": "if-c"},
    "d": {"cidrs": ["2001:db8:4::/64"], "interface": "if-d"},
}


def row(flow_id, protocol, sources, destinations, ports=""):
    """A row of the planner's deployment_flows."""
    return {"flow_id": flow_id, "protocol": protocol, "source_addresses": sources,
            "destination_addresses": destinations, "ports": ports}


ROWS = [
    row("f_web", "tcp", "10.1.0.5/32", "10.2.0.10/32", "443"),
    row("f_web_again", "tcp", "10.1.0.5/32", "10.2.0.10/32", "443"),  # the same packets: one entry, two flows
    row("f_ica", "udp", "10.1.0.4/32 10.1.0.5/32", "10.3.0.7/32", "1494,1495"),  # merged: /31 and 1494-1495
    row("f_inside", "tcp", "10.2.0.10/32 10.2.0.11/32", "10.2.0.20/32", "1433"),  # stays in zone b
    row("f_elsewhere", "tcp", "172.16.0.1/32", "10.2.0.10/32", "22"),  # from outside every zone
    row("f_ping", "icmp", "10.1.0.5/32", "10.3.0.0/24 2001:db8:3::/64", ""),
    row("f_v6", "tcp", "2001:db8:4::10/128", "2001:db8:3::7/128", "3389"),
    row("f_range", "tcp", "10.3.0.7/32", "10.1.0.5/32", "49152-65535"),
]


def build(platform="ios", zones=None, rows=None, options=None, **device):
    """Build one device's ACLs (device 'fw1')."""
    device_input = DeviceInput(name="fw1", network_os=device.pop("network_os", NETWORK_OS[platform]),
                               zones=ZONES if zones is None else zones, **device)
    return build_device_acls([device_input], ROWS if rows is None else rows,
                             {"h1": {"addresses": ["10.2.0.10/32"], "platform": "windows"},
                              "h2": {"addresses": ["10.3.0.7/32"], "platform": "linux"}},
                             options or normalise_options(),
                             references={"f_web": ["Doc (003.txt) § Web"]},
                             descriptions={"f_web": "web", "f_web_again": "web again"})["fw1"]


def entries(result, acl=None, afi="ipv4", kind=None):
    return [entry for entry in result["entries"]
            if (acl is None or entry["acl"] == acl) and entry["afi"] == afi and (kind is None or entry["kind"] == kind)]


def test_a_flow_crossing_two_zones_is_permitted_where_it_enters_and_its_return_where_that_enters():
    result = build()
    (web,) = [entry for entry in entries(result, "VDI-A-IN", kind="flow") if entry["destination_port"] == "443"]
    assert (web["source"], web["destination"], web["protocol"], web["flows"]) == \
        ("10.1.0.5/32", "10.2.0.10/32", "tcp", "f_web f_web_again")
    assert (web["source_zone"], web["destination_zone"], web["interface"], web["direction"]) == ("a", "b", "if-a", "in")
    assert web["references"] == "Doc (003.txt) § Web" and web["description"] == "web; web again"
    (back,) = entries(result, "VDI-B-IN", kind="return")
    assert (back["source"], back["source_port"], back["destination"], back["options"]) == \
        ("10.2.0.10/32", "443", "10.1.0.5/32", "established")


def test_flows_inside_one_zone_or_from_outside_every_zone_are_absent():
    flows = " ".join(entry["flows"] for entry in build()["entries"])
    assert "f_inside" not in flows and "f_elsewhere" not in flows


def test_addresses_merge_into_cidrs_and_ports_into_ranges():
    (ica,) = [entry for entry in entries(build(), "VDI-A-IN", kind="flow") if entry["protocol"] == "udp"]
    assert (ica["source"], ica["destination"], ica["destination_port"]) == ("10.1.0.4/31", "10.3.0.7/32", "1494-1495")


def test_every_acl_is_numbered_and_ends_in_the_deny():
    result = build()
    for acl in ("VDI-A-IN", "VDI-B-IN", "VDI-C-IN"):
        rows = entries(result, acl)
        assert [entry["sequence"] for entry in rows] == list(range(10, 10 * len(rows) + 1, 10))
        assert rows[-1]["kind"] == "deny" and rows[-1]["action"] == "deny"
        assert all(entry["action"] == "permit" for entry in rows[:-1])
    for afi_group in result["acls"]:
        for acl in afi_group["acls"]:
            assert acl["aces"][-1]["grant"] == "deny"


def test_icmp_stays_ipv4_and_ipv6_acls_exist_only_for_zones_with_ipv6():
    result = build()
    assert [entry["protocol"] for entry in entries(result, "VDI-A-IN", kind="flow")].count("icmp") == 1
    ipv6_acls = {acl["name"] for group in result["acls"] if group["afi"] == "ipv6" for acl in group["acls"]}
    assert ipv6_acls == {"VDI-C-IN-V6", "VDI-D-IN-V6"}  # IOS: one namespace for both families
    (v6,) = entries(result, "VDI-D-IN-V6", "ipv6", kind="flow")
    assert (v6["source"], v6["destination"], v6["destination_port"]) == ("2001:db8:4::10/128", "2001:db8:3::7/128", "3389")


@pytest.mark.parametrize(("platform", "essentials"), [("ios", 5), ("junos", 1), ("eos", 5), ("nxos", 5)])
def test_ipv6_acls_keep_neighbour_discovery_before_the_deny(platform, essentials):
    rows = [entry for entry in entries(build(platform), None, "ipv6") if entry["acl"] in ("VDI-D-IN", "VDI-D-IN-V6")]
    assert [entry["kind"] for entry in rows[-essentials - 1:]] == ["icmpv6"] * essentials + ["deny"]
    assert not entries(build(platform, options=normalise_options(icmpv6_essential=False)), None, "ipv6", "icmpv6")


@pytest.mark.parametrize(("platform", "ipv6_name"), [("ios", "VDI-C-IN-V6"), ("eos", "VDI-C-IN"), ("nxos", "VDI-C-IN"),
                                                     ("junos", "VDI-C-IN")])
def test_ipv6_acls_are_named_apart_where_both_families_share_one_namespace(platform, ipv6_name):
    result = build(platform)
    names = {group["afi"]: [acl["name"] for acl in group["acls"]] for group in result["acls"]}
    assert "VDI-C-IN" in names["ipv4"] and ipv6_name in names["ipv6"]
    (zone_c,) = [zone for zone in result["zones"] if zone["name"] == "c"]
    assert zone_c["acl"] == "VDI-C-IN" and zone_c["acl_names"] == {"ipv4": "VDI-C-IN", "ipv6": ipv6_name}
    (binding,) = [interface for interface in result["interfaces"] if interface["name"] == "if-c"]
    assert binding["access_groups"] == [{"afi": "ipv4", "acls": [{"name": "VDI-C-IN", "direction": "in"}]},
                                        {"afi": "ipv6", "acls": [{"name": ipv6_name, "direction": "in"}]}]
    assert {entry["acl"] for entry in entries(result, afi="ipv6") if entry["interface"] == "if-c"} == {ipv6_name}
    v4_only = build(platform, options=normalise_options(afis=["ipv4"]))
    assert not [group for group in v4_only["acls"] if group["afi"] == "ipv6"]


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        ({"a": {"cidrs": ["10.1.0.0/24", "2001:db8:1::/64"]}, "b": {"cidrs": ["10.2.0.0/24"], "acl": "VDI-A-IN-V6"}},
         "device 'fw1': the ipv6 ACL of zone 'a' and the ipv4 ACL of zone 'b' are both named 'VDI-A-IN-V6', and ios keeps "
         "IPv4 and IPv6 ACLs in one namespace"),
        ({"a": {"cidrs": ["2001:db8:1::/64"], "acl": "A" * 63}, "b": {"cidrs": ["10.2.0.0/24"]}},
         f"device 'fw1': zone 'a': the ipv6 ACL name '{'A' * 63}-V6' is longer than 64 characters"),
    ],
)
def test_ios_ipv6_names_that_collide_or_overflow_are_refused(zones, message):
    with pytest.raises(VdiFirewallError, match=message):
        build("ios", zones=zones, rows=[])
    build("eos", zones=zones, rows=[])  # one namespace per family there: the same zones are fine


def test_junos_binds_a_logical_interface_of_unit_0_as_its_physical_interface():
    zones = {"a": {**ZONES["a"], "interface": "ge-0/0/1.0"}, "b": {**ZONES["b"], "interface": "ge-0/0/2"}}
    result = build("junos", zones=zones)
    assert [interface["name"] for interface in result["interfaces"]] == ["ge-0/0/1", "ge-0/0/2"]
    assert {entry["interface"] for entry in entries(result, "VDI-A-IN")} == {"ge-0/0/1.0"}  # the CSV keeps the unit
    assert [interface["name"] for interface in build("ios", zones=zones)["interfaces"]] == ["ge-0/0/1.0", "ge-0/0/2"]


@pytest.mark.parametrize(
    ("interfaces", "message"),
    [
        (("ge-0/0/1.100", "ge-0/0/2"),
         "device 'fw1': zone 'a': interface 'ge-0/0/1.100' is unit 100 of 'ge-0/0/1', and "
         "junipernetworks.junos.junos_acl_interfaces binds filters to unit 0 only"),
        (("ge-0/0/1.0", "ge-0/0/1"), "device 'fw1': zones 'a' and 'b' are both on interface 'ge-0/0/1' unit 0 (in)"),
    ],
)
def test_junos_interfaces_the_module_cannot_bind_are_refused(interfaces, message):
    zones = {"a": {**ZONES["a"], "interface": interfaces[0]}, "b": {**ZONES["b"], "interface": interfaces[1]}}
    with pytest.raises(VdiFirewallError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build("junos", zones=zones)


def test_outbound_acls_filter_what_leaves_towards_their_zone():
    zones = {**ZONES, "b": {**ZONES["b"], "direction": "out"}}
    result = build(zones=zones, rows=[ROWS[0]])
    (web,) = entries(result, "VDI-B-OUT", kind="flow")
    assert web["destination"] == "10.2.0.10/32" and web["direction"] == "out"
    (back,) = entries(result, "VDI-B-OUT", kind="return") or [None]
    assert back is None  # the return enters from b: filtered by b's inbound side, which has no ACL here
    assert entries(result, "VDI-A-IN", kind="flow")


def test_return_traffic_can_be_switched_off():
    result = build(options=normalise_options(return_traffic=False))
    assert not [entry for entry in result["entries"] if entry["kind"] == "return"]


def test_management_entries_come_first_and_keep_the_controller_in():
    result = build(rows=[ROWS[0]], management_cidrs=["10.1.0.250/32"], ansible_host="10.2.0.1",
                   connection="ansible.netcommon.netconf")
    management = entries(result, "VDI-A-IN", kind="management")
    assert entries(result, "VDI-A-IN")[:len(management)] == management
    reached = {(entry["destination"], entry["destination_port"]) for entry in management}
    assert reached == {("10.2.0.1/32", "830"), ("10.2.0.10/32", "5985-5986"), ("10.3.0.7/32", "22")}
    assert all(entry["flows"] == "management" and entry["source"] == "10.1.0.250/32" for entry in management)
    assert not [warning for warning in result["warnings"] if "management" in warning]


def test_management_ports_follow_the_option_and_ansible_port():
    result = build(rows=[ROWS[0]], management_cidrs=["10.1.0.250/32"], ansible_host="10.2.0.1", port=2222,
                   options=normalise_options(management_host_ports=[22]))
    reached = {(entry["destination"], entry["destination_port"]) for entry in entries(result, "VDI-A-IN", kind="management")}
    assert reached == {("10.2.0.1/32", "2222"), ("10.2.0.10/32", "22"), ("10.3.0.7/32", "22")}


def test_a_device_without_management_cidrs_is_warned_about():
    assert any("vdi_firewall_management_cidrs is not set" in warning for warning in build()["warnings"])


def test_log_on_deny():
    result = build("nxos", options=normalise_options(log_deny=True))
    assert result["acls"][0]["acls"][0]["aces"][-1] == {
        "sequence": result["acls"][0]["acls"][0]["aces"][-1]["sequence"], "grant": "deny", "protocol": "ip",
        "source": {"any": True}, "destination": {"any": True}, "log": True}


def test_platform_shapes():
    ios = build("ios")["acls"][0]["acls"][0]
    assert ios["acl_type"] == "extended"
    assert ios["aces"][0]["source"] == {"host": "10.1.0.5"}
    udp = [ace for ace in ios["aces"] if ace["protocol"] == "udp"][0]
    assert udp["source"] == {"address": "10.1.0.4", "wildcard_bits": "0.0.0.1"}
    assert udp["destination"]["port_protocol"] == {"range": {"start": 1494, "end": 1495}}
    eos_udp = [ace for ace in build("eos")["acls"][0]["acls"][0]["aces"] if ace.get("protocol") == "udp"][0]
    assert eos_udp["source"] == {"subnet_address": "10.1.0.4/31"}
    assert eos_udp["destination"]["port_protocol"] == {"range": "1494 1495"}
    nxos_udp = [ace for ace in build("nxos")["acls"][0]["acls"][0]["aces"] if ace.get("protocol") == "udp"][0]
    assert nxos_udp["source"] == {"prefix": "10.1.0.4/31"}
    assert nxos_udp["destination"]["port_protocol"] == {"range": {"start": "1494", "end": "1495"}}
    junos = build("junos")["acls"][0]["acls"][0]["aces"]
    junos_udp = [ace for ace in junos if ace.get("protocol") == "udp"][0]
    assert junos[0]["name"] == "vdi-00010" and junos_udp["source"] == {"address": "10.1.0.4/31"}
    assert junos_udp["destination"]["port_protocol"] == {"eq": "1494-1495"}
    assert junos[-1] == {"name": f"vdi-{len(junos) * 10:05d}", "grant": "deny"}


@pytest.mark.parametrize("platform", sorted(ARGSPECS))
def test_rendered_data_validates_against_the_resource_modules_argspecs(platform):
    result = build(platform, management_cidrs=["10.1.0.250/32"], ansible_host="10.2.0.1",
                   options=normalise_options(log_deny=platform != "junos"))
    acls_args, interfaces_args = ARGSPECS[platform]
    for spec, config in ((acls_args.argument_spec, result["acls"]), (interfaces_args.argument_spec, result["interfaces"])):
        validated = ArgumentSpecValidator(spec).validate({"config": config, "state": "rendered"})
        assert not validated.error_messages, validated.error_messages
    assert result["interfaces"][0] == {"name": "if-a", "access_groups": [{"afi": "ipv4", "acls": [{"name": "VDI-A-IN", "direction": "in"}]}]}
    assert result["modules"]["acls"].endswith("_acls")


def test_device_zones_pick_and_override_zones():
    result = build(device_zones={"a": {"interface": "Gi0/1", "acl": "FROM-A"}, "b": None})
    assert [(zone["name"], zone["interface"], zone["acl"]) for zone in result["zones"]] == \
        [("a", "Gi0/1", "FROM-A"), ("b", "if-b", "VDI-B-IN")]
    assert build(device_zones=["a", "c"])["zones"][1]["name"] == "c"


def test_change_request_csv():
    result = build()
    files = acl_files({"fw1": result})
    rows = list(csv.DictReader(io.StringIO(files["acls/fw1.csv"].removeprefix("\ufeff"))))
    assert len(rows) == len(result["entries"])
    assert set(rows[0]) >= {"device", "acl", "sequence", "action", "protocol", "source", "destination",
                            "destination_port", "flows", "references"}


@pytest.mark.parametrize(
    ("device", "message"),
    [
        ({"network_os": "vyos.vyos.vyos"}, "device 'fw1': ansible_network_os 'vyos.vyos.vyos' is not supported; use one of cisco.ios.ios"),
        ({"network_os": None}, "device 'fw1' has no ansible_network_os"),
        ({"zones": {}}, "device 'fw1': vdi_firewall_zones is not set"),
        ({"zones": {**ZONES, "e": {"cidrs": ["10.2.0.128/25"]}}}, "device 'fw1': zones 'b' and 'e' overlap (10.2.0.128/25)"),
        ({"zones": {**ZONES, "e": {"interface": "if-e"}}}, "device 'fw1': zone 'e' has no cidrs"),
        ({"zones": {**ZONES, "e": {"cidrs": []}}}, "device 'fw1': zone 'e' has no cidrs"),
        ({"zones": {**ZONES, "e": {"cidrs": ["10.9.0.0/33"]}}}, "zone 'e': '10.9.0.0/33' is not an IP address or CIDR"),
        ({"zones": {**ZONES, "e": {"cidrs": ["10.9.0.5/24"]}}},
         "zone 'e': '10.9.0.5/24' has host bits set; write 10.9.0.0/24 for the network or 10.9.0.5/32"),
        ({"zones": {**ZONES, "e": {"cidrs": ["10.9.0.0/24"], "vlan": 9}}}, "zone 'e': unknown setting(s) vlan"),
        ({"zones": {**ZONES, "e": {"cidrs": ["10.9.0.0/24"], "direction": "both"}}}, "zone 'e': direction must be in or out"),
        ({"zones": {**ZONES, "e": {"cidrs": ["10.9.0.0/24"], "acl": "1 bad"}}}, "zone 'e': ACL name '1 bad' must start with a letter"),
        ({"zones": {**ZONES, "e": {"cidrs": ["10.9.0.0/24"], "acl": "VDI-A-IN"}}}, "zones 'a' and 'e' both use the ACL 'VDI-A-IN'"),
        ({"zones": {**ZONES, "e": {"cidrs": ["10.9.0.0/24"], "interface": "if-a"}}}, "zones 'a' and 'e' are both on interface 'if-a'"),
        ({"device_zones": ["a", "x"]}, "vdi_firewall_device_zones names zone 'x', which vdi_firewall_zones does not define"),
        ({"device_zones": "a"}, "vdi_firewall_device_zones must be a list of zone names or a mapping"),
        ({"management_cidrs": "10.0.0.0/8"}, "device 'fw1': vdi_firewall_management_cidrs must be a list"),
        ({"management_cidrs": ["10.0.0.5/8"]}, "device 'fw1': vdi_firewall_management_cidrs: '10.0.0.5/8' has host bits set"),
        ({"address": "fw1.example.org", "management_cidrs": ["10.1.0.0/24"]}, "device 'fw1': vdi_firewall_address: 'fw1.example.org' is not an IP"),
    ],
)
def test_bad_input_names_the_device_and_the_zone(device, message):
    with pytest.raises(VdiFirewallError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build(**device)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"afis": ["ipv5"]}, "afis: 'ipv5' is not one of ipv4, ipv6"),
        ({"afis": []}, "afis must be a non-empty list"),
        ({"return_traffic": "yes"}, "return_traffic must be true or false"),
        ({"management_host_ports": [0]}, r"management_host_ports: '0' is not a port number"),
        ({"management_device_ports": "22"}, "management_device_ports must be a list"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(VdiFirewallError, match=message):
        normalise_options(**options)


def test_a_tcp_flow_without_ports_is_refused():
    with pytest.raises(VdiFirewallError, match="flow f_bad: a tcp flow without ports cannot become an ACL entry"):
        build(rows=[row("f_bad", "tcp", "10.1.0.5/32", "10.2.0.10/32", "")])
