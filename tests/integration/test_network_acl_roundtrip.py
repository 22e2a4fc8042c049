# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every rendered ACL entry survives the vendor's own parser.

tests/integration/playbooks/network_acl_roundtrip.yml renders the example devices' ACLs with the role
(state rendered) and parses the rendered configuration back with the same resource modules (state
parsed). Each parsed entry is compared, in order, with the change-request CSV the role wrote: sequence,
action, protocol, addresses (an object group's by its members), ports, established, ICMP or ICMPv6 type
and log, for both address families, and the interface bindings. What a module's data cannot say is
noted in the CSV (and expected absent from what it parses); those notes must be exactly the known
ones, and the text must say each. Each module is given what its own command would read on the device;
where it cannot parse even that, the text is also given to it as it reads it on the device (see the
task files under playbooks/roundtrip/ and docs/network.md), and the failure on that is asserted as it
is today, so that these tests tell when a module is fixed.
"""

from __future__ import annotations

import csv
import ipaddress
import json
import re
import socket

import pytest

from .test_export_matrix import ROOT, run

PLAYBOOK = ROOT / "tests/integration/playbooks/network_acl_roundtrip.yml"
CITRIX = ROOT / "examples/citrix/inventory.yml"
NETWORK = ROOT / "examples/citrix_network/inventory.yml"
DEVICES = {"ios": "fw-ios", "eos": "fw-eos", "nxos": "fw-nxos", "junos": "fw-junos"}
ANY = {"ipv4": ipaddress.ip_network("0.0.0.0/0"), "ipv6": ipaddress.ip_network("::/0")}
# IANA protocol numbers; None for "any IP protocol"
PROTOCOLS = {"tcp": 6, "udp": 17, "icmpv6": 58, "icmp6": 58, "gre": 47, "esp": 50, "ahp": 51, "vrrp": 112,
             "ip": None, "ipv6": None}
# the port keywords IOS and NX-OS print, with the port the device gives them
CISCO_PORTS = {"bgp": 179, "chargen": 19, "cmd": 514, "daytime": 13, "discard": 9, "domain": 53, "drip": 3949,
               "echo": 7, "exec": 512, "finger": 79, "ftp": 21, "ftp-data": 20, "gopher": 70, "hostname": 101,
               "ident": 113, "irc": 194, "klogin": 543, "kshell": 544, "login": 513, "lpd": 515, "msrpc": 135,
               "nntp": 119, "onep-plain": 5001, "onep-tls": 5002, "pim-auto-rp": 496, "pop2": 109, "pop3": 110,
               "smtp": 25, "sunrpc": 111, "tacacs": 49, "talk": 517, "telnet": 23, "time": 37, "uucp": 540,
               "whois": 43, "www": 80}
# the ICMP and ICMPv6 types the ACLs use, by the modules' names for them (nxos_acls: nd_ns, nd_na)
ICMP_TYPES = {"unreachable": "unreachable", "echo_reply": "echo_reply", "neighbor_solicitation": "neighbor_solicitation",
              "neighbor_advertisement": "neighbor_advertisement", "router_solicitation": "router_solicitation",
              "router_advertisement": "router_advertisement", "packet_too_big": "packet_too_big",
              "nd_ns": "neighbor_solicitation", "nd_na": "neighbor_advertisement"}
# what the CSV notes after an option the platform's ACL module cannot say (the text says it)
INEXPRESSIBLE = re.compile(r"^(\w+) \(not expressible in (\w+): in the (?:set )?text only\)$")
# every option the modules cannot say, by platform and address family; nothing else may be noted
KNOWN_INEXPRESSIBLE = {
    ("ios", "ipv6"): {"neighbor_solicitation", "neighbor_advertisement"},
    ("junos", "ipv4"): {"established", "unreachable"},
    ("junos", "ipv6"): {"established", "neighbor_solicitation", "neighbor_advertisement", "router_solicitation",
                        "router_advertisement", "packet_too_big"},
}
# how the text says the options the modules cannot say (as the vendors' parsers would read them)
TEXT_WORDS = {"ios": {"neighbor_solicitation": "nd-ns", "neighbor_advertisement": "nd-na"},
              "junos": {"established": "from tcp-established", "unreachable": "from icmp-type unreachable",
                        "neighbor_solicitation": "from icmp-type neighbor-solicit",
                        "neighbor_advertisement": "from icmp-type neighbor-advertisement",
                        "router_solicitation": "from icmp-type router-solicit",
                        "router_advertisement": "from icmp-type router-advertisement",
                        "packet_too_big": "from icmp-type packet-too-big"}}
ACE_KEYS = {"sequence", "name", "grant", "protocol", "protocol_number", "source", "destination", "protocol_options",
            "log"}


@pytest.fixture(scope="module", name="roundtrip")
def fixture_roundtrip(tmp_path_factory):
    out = tmp_path_factory.mktemp("roundtrip")
    result = run("ansible-playbook", "-i", str(CITRIX), "-i", str(NETWORK), str(PLAYBOOK),
                 "-e", f"vdi_firewall_acl_output_dir={out}", "-e", f"roundtrip_dir={out}", env={"ANSIBLE_FORKS": "8"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    devices = {}
    for platform, device in DEVICES.items():
        with open(out / "acls" / f"{device}.csv", newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        devices[platform] = {"rows": rows, **json.loads((out / f"{device}.json").read_text())}
    return devices


# --- the change-request CSV as comparable entries ------------------------------------------------

def _range(text: str):
    if not text:
        return None
    start, _separator, end = text.partition("-")
    return (int(start), int(end or start))


def _network(text: str, afi: str):
    return ANY[afi] if text == "any" else ipaddress.ip_network(text)


def _networks(texts: str, afi: str):
    """An entry's addresses: one network, or the tuple of an address group's."""
    items = texts.split()
    return _network(items[0], afi) if len(items) == 1 else tuple(ipaddress.ip_network(item) for item in items)


def row_options(row: dict) -> tuple[list[str], list[str]]:
    """The CSV's options of an entry: those the module's data says, and those only the text says."""
    said, unsaid = [], []
    for option in re.findall(r"\w+(?: \([^)]*\))?", row["options"]):
        match = INEXPRESSIBLE.match(option)
        (unsaid if match else said).append(match.group(1) if match else option)
    return said, unsaid


def expected_entry(platform: str, row: dict) -> dict:
    options, _unsaid = row_options(row)
    protocol = row["protocol"]
    return {
        "sequence": int(row["sequence"]),
        "action": row["action"],
        "protocol": 1 if protocol == "icmp" else PROTOCOLS[protocol],
        "source": _networks(row["source_addresses"], row["afi"]),
        "source_ports": _range(row["source_port"]),
        "destination": _networks(row["destination_addresses"], row["afi"]),
        "destination_ports": _range(row["destination_port"]),
        "established": "established" in options,
        "icmp_type": next((option for option in options if option in ICMP_TYPES), None),
        "log": "log" in options,
    }


def expected_acls(platform: str, rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    acls: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        acls.setdefault((row["afi"], row["acl"]), []).append(expected_entry(platform, row))
    return acls


def expected_bindings(platform: str, rows: list[dict]) -> set[tuple]:
    bindings = set()
    for row in rows:
        if row["interface"]:
            interface = row["interface"]
            if platform == "junos":  # junos_acl_interfaces binds unit 0 of the physical interface
                interface = re.sub(r"\.0$", "", interface)
            bindings.add((interface, row["afi"], row["acl"], row["direction"]))
    return bindings


# --- the modules' parsed data as comparable entries ----------------------------------------------

def _address(platform: str, afi: str, endpoint: dict, groups: dict):
    keys = set(endpoint) - {"port_protocol"}
    if keys == {"object_group"}:
        return groups[endpoint["object_group"]]
    if keys == {"prefix_list"}:
        (prefix_list,) = endpoint["prefix_list"]
        return groups[prefix_list["name"]]
    if not keys:
        assert platform == "junos", endpoint  # a Junos term without an address matches any
        return ANY[afi]
    if keys == {"any"} and endpoint["any"] is True:
        return ANY[afi]
    if keys == {"host"}:
        return ipaddress.ip_network(endpoint["host"])
    if keys == {"address", "wildcard_bits"}:
        return ipaddress.ip_network(f"{endpoint['address']}/{endpoint['wildcard_bits']}")
    (key,) = keys
    assert key in {"ios": ("address",), "eos": ("subnet_address",), "nxos": ("prefix",),
                   "junos": ("address",)}[platform], endpoint
    assert isinstance(endpoint[key], str), endpoint
    return ipaddress.ip_network(endpoint[key])


def _port(value, protocol: int, platform: str) -> int:
    text = str(value)
    if text.isdigit():
        return int(text)
    if platform in ("ios", "nxos"):
        return CISCO_PORTS[text]
    # eos_acls names ports by the controller's /etc/services whatever the protocol (getservbyport without
    # one: UDP 80 is 'http'), and parses a name's '-' as '_'
    return socket.getservbyname(text.replace("_", "-"))


def _ports(platform: str, endpoint: dict, protocol: int):
    ports = endpoint.get("port_protocol")
    if ports is None:
        return None
    assert len(ports) == 1, ports
    (operator, value), = ports.items()
    if operator == "eq" and platform == "junos" and "-" in str(value):
        start, end = str(value).split("-")  # how junos_acls is given a range (its own range is broken)
        return (int(start), int(end))
    if operator == "eq":
        port = _port(value, protocol, platform)
        return (port, port)
    assert operator == "range", ports
    if isinstance(value, str):  # eos: "start end"
        start, end = value.split()
    else:
        start, end = value["start"], value["end"]
    return (_port(start, protocol, platform), _port(end, protocol, platform))


def _protocol(platform: str, afi: str, ace: dict):
    protocol = ace.get("protocol_number", ace.get("protocol"))
    if protocol is None:
        assert platform == "junos", ace  # a Junos term without a protocol matches any
        return None
    text = str(protocol)
    if text.isdigit():
        return int(text)
    if text == "icmp":
        return 58 if afi == "ipv6" else 1
    return PROTOCOLS[text]


def parsed_entry(platform: str, afi: str, ace: dict, groups: dict) -> dict:
    assert set(ace) <= ACE_KEYS, ace  # nothing parsed that was not rendered
    protocol = _protocol(platform, afi, ace)
    source, destination = ace.get("source", {}), ace.get("destination", {})
    options = ace.get("protocol_options") or {}
    tcp = options.get("tcp", {})
    icmp_types = [ICMP_TYPES[name] for key in ("icmp", "icmpv6") for name, value in options.get(key, {}).items() if value]
    assert len(icmp_types) <= 1, ace  # one type per entry
    log = ace.get("log")
    if platform == "junos":
        sequence = int(re.fullmatch(r"vdi-(\d+)", ace["name"]).group(1))
    else:
        sequence = ace.get("sequence")
    return {
        "sequence": sequence,
        "action": ace["grant"],
        "protocol": protocol,
        "source": _address(platform, afi, source, groups),
        "source_ports": _ports(platform, source, protocol),
        "destination": _address(platform, afi, destination, groups),
        "destination_ports": _ports(platform, destination, protocol),
        "established": bool(tcp.get("established") or tcp.get("flags", {}).get("established")),
        "icmp_type": icmp_types[0] if icmp_types else None,
        "log": bool(log.get("set") if isinstance(log, dict) else log),
    }


def parsed_acls(platform: str, parsed: list[dict], groups: dict | None = None) -> dict[tuple[str, str], list[dict]]:
    """The parsed entries (remark entries left out: the CSV lists permit and deny entries)."""
    acls = {}
    for group in parsed:
        for acl in group["acls"]:
            key = (group["afi"], acl["name"])
            assert key not in acls, f"{key} parsed twice"
            acls[key] = [parsed_entry(platform, group["afi"], {k: v for k, v in ace.items() if k != "remarks"},
                                      groups or {})
                         for ace in acl.get("aces", []) if "grant" in ace]
    return acls


def parsed_bindings(parsed: list[dict]) -> set[tuple]:
    return {(interface["name"], group["afi"], acl["name"], acl["direction"])
            for interface in parsed for group in interface.get("access_groups", []) for acl in group.get("acls", [])}


# --- the round trip ------------------------------------------------------------------------------

@pytest.mark.parametrize("platform", sorted(DEVICES))
def test_every_entry_survives_the_vendors_parser_in_order(roundtrip, platform):
    device = roundtrip[platform]
    expected = expected_acls(platform, device["rows"])
    groups = {name: tuple(ipaddress.ip_network(cidr) for cidr in cidrs) for name, cidrs in device["address_groups"].items()}
    parsed = parsed_acls(platform, device["parsed"]["acls"], groups)
    assert sorted(parsed) == sorted(expected)  # no ACL lost, merged or added, in either address family
    assert {afi for afi, _name in parsed} == {"ipv4", "ipv6"}
    for key, entries in expected.items():
        assert len(parsed[key]) == len(entries), key
        for index, (got, want) in enumerate(zip(parsed[key], entries)):
            assert got == want, (key, index)
    counts = {key: len(entries) for key, entries in expected.items()}
    assert sum(counts.values()) == len(device["rows"])


@pytest.mark.parametrize("platform", sorted(DEVICES))
def test_only_what_the_module_cannot_say_is_noted_and_the_text_says_it(roundtrip, platform):
    device = roundtrip[platform]
    noted: dict[tuple[str, str], set] = {}
    text = device["text"]
    for row in device["rows"]:
        _said, unsaid = row_options(row)
        if not unsaid:
            continue
        noted.setdefault((platform, row["afi"]), set()).update(unsaid)
        lines = entry_lines(platform, text, row)
        for option in unsaid:
            assert any(TEXT_WORDS[platform][option] in line for line in lines), (row["acl"], row["sequence"], option)
    assert noted == {key: value for key, value in KNOWN_INEXPRESSIBLE.items() if key[0] == platform}


def entry_lines(platform: str, text: list[str], row: dict) -> list[str]:
    """The text's lines of one entry: a Junos term's set commands, a CLI ACL's entry line."""
    if platform == "junos":
        family = "inet" if row["afi"] == "ipv4" else "inet6"
        head = f"set firewall family {family} filter {row['acl']} term vdi-{int(row['sequence']):05d} "
        return [line for line in text if line.startswith(head)]
    acl, found = None, []
    for line in text:
        match = re.match(r"^(?:ip|ipv6) access-list (?:extended )?(\S+)$", line)
        if match or not line.startswith(" "):
            acl = match.group(1) if match else None
        elif acl == row["acl"] and re.match(rf"^\s+(sequence )?{row['sequence']} ", line):
            found.append(line)
    assert len(found) == 1, (row["acl"], row["sequence"])
    return found


@pytest.mark.parametrize("platform", sorted(DEVICES))
def test_every_interface_binding_survives_the_vendors_parser(roundtrip, platform):
    device = roundtrip[platform]
    bindings = parsed_bindings(device["parsed"]["interfaces"])
    assert bindings == expected_bindings(platform, device["rows"])
    assert {afi for _interface, afi, _acl, _direction in bindings} == {"ipv4", "ipv6"}


def test_eos_acl_interfaces_finds_no_binding_indented_under_its_interface(roundtrip):
    """eos_acl_interfaces matches 'ip access-group' at the start of a line only; EOS indents it (the
    round trip gives it the lines unindented). This fails once the module reads the device's lines."""
    parsed = roundtrip["eos"]["as_rendered"]["interfaces"]
    assert sorted(interface["name"] for interface in parsed) == ["Ethernet1", "Ethernet2", "Ethernet3", "Ethernet4",
                                                                 "Ethernet5"]
    assert parsed_bindings(parsed) == set()


def test_ios_ipv4_and_ipv6_acls_of_a_zone_have_distinct_names(roundtrip):
    names = set(parsed_acls("ios", roundtrip["ios"]["parsed"]["acls"],
                            {name: () for name in roundtrip["ios"]["address_groups"]}))
    assert {("ipv4", "VDI-USERS-IN"), ("ipv6", "VDI-USERS-IN-V6"), ("ipv4", "VDI-VDI-IN"), ("ipv6", "VDI-VDI-IN-V6")} <= names
    assert ("GigabitEthernet0/1", "ipv6", "VDI-USERS-IN-V6", "in") in parsed_bindings(roundtrip["ios"]["parsed"]["interfaces"])


def test_junos_binds_the_filters_to_unit_0_of_the_physical_interface(roundtrip):
    rendered = roundtrip["junos"]["rendered"]["interfaces"]
    assert "<nc:name>ge-0/0/1</nc:name><nc:unit><nc:name>0</nc:name>" in rendered
    assert "ge-0/0/1.0" not in rendered
    assert "set interfaces ge-0/0/1 unit 0 family inet filter input VDI-USERS-IN" in roundtrip["junos"]["text"]
