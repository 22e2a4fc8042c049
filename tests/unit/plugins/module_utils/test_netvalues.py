# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one ports-and-addresses library: parsing, merging and validation, one strictness."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import (
    AddressSet,
    PortRange,
    PortSet,
    VdiFirewallError,
    endpoint_network,
    host_address,
    merge_cidrs,
    merge_ports,
    parse_cidr,
    parse_port,
    parse_port_numbers,
    parse_ports,
    ports_text,
    ports_uncovered,
    ports_without,
)


def test_the_core_and_the_modules_raise_one_error_type():
    from ansible_collections.vdi.firewall.plugins.module_utils import _errors
    from ansible_collections.vdi.firewall.plugins.module_utils._linux_rules import RuleError
    from ansible_collections.vdi.firewall.plugins.module_utils._nftables_zones import ZoneError

    assert _errors.VdiFirewallError is VdiFirewallError
    assert issubclass(RuleError, VdiFirewallError) and issubclass(ZoneError, VdiFirewallError)


@pytest.mark.parametrize("value, expected", [
    (443, ["443"]),
    ("443", ["443"]),
    ("1000-2000", ["1000-2000"]),
    ("135, 49152-65535", ["135", "49152-65535"]),
    ([80, "443", "8080-8081"], ["80", "443", "8080-8081"]),
])
def test_ports_parse_in_every_spelling(value, expected):
    assert [str(item) for item in parse_ports(value, "here")] == expected


@pytest.mark.parametrize("value, message", [
    (0, "not a port number \\(1-65535\\)"),
    ("0", "not a port number"),
    (65536, "not a port number"),
    ("0-80", "outside 1-65535"),
    ("2000-1000", "reversed"),
    (True, "the boolean True"),
    (4.5, "the number 4.5"),
    (None, "nothing"),
    ("", "empty"),
    ("80,,443", "empty item"),
    ("http", "not a port number"),
    ("80-", "not a port number"),
    ([[80]], "a list"),
])
def test_bad_ports_name_the_place_and_the_reason(value, message):
    with pytest.raises(VdiFirewallError, match=message) as caught:
        parse_ports(value, "flow x: ports")
    assert str(caught.value).startswith("flow x: ports")


def test_single_ports_refuse_ranges_and_strings():
    assert parse_port("22", "p") == 22
    assert parse_port_numbers([22, "830"], "management ports") == (22, 830)
    with pytest.raises(VdiFirewallError, match="is a range"):
        parse_port("22-23", "p")
    with pytest.raises(VdiFirewallError, match="must be a list"):
        parse_port_numbers("22", "management ports")


def test_merging_joins_overlapping_and_touching_ranges():
    assert ports_text(["443", "80", "81-90", "85", "1000-2000", "2001"]) == "80-90,443,1000-2001"
    assert merge_ports([(5, 6), PortRange(1, 4)]) == (PortRange(1, 6),)
    assert str(PortSet.parse("443,80,80", "p")) == "80,443"


def test_port_sets_cover_and_subtract():
    ports = PortSet.parse("135,49152-65535", "p")
    assert 135 in ports and 50000 in ports and 136 not in ports
    assert str(ports.without(50000)) == "135,49152-49999,50001-65535"
    assert ports_without(ports.ranges, 135) == (PortRange(49152, 65535),)
    assert ports_uncovered(PortSet.parse("80-100", "p"), PortSet.parse("85-90,95", "p")) == (
        PortRange(80, 84), PortRange(91, 94), PortRange(96, 100))
    assert PortRange(1, 65535).is_every_port and not PortRange(2, 65535).is_every_port


@settings(max_examples=200, derandomize=True)
@given(st.lists(st.tuples(st.integers(1, 65535), st.integers(0, 50)), max_size=12))
def test_merged_ports_hold_exactly_the_ports_given(pairs):
    ranges = [PortRange(start, min(start + length, 65535)) for start, length in pairs]
    merged = merge_ports(ranges)
    assert all(a.end + 1 < b.start for a, b in zip(merged, merged[1:]))
    wanted = {port for item in ranges for port in range(item.start, item.end + 1)}
    assert {port for item in merged for port in range(item.start, item.end + 1)} == wanted


@pytest.mark.parametrize("value, message", [
    ("10.0.0.5/24", "has host bits set; write 10.0.0.0/24 for the network or 10.0.0.5/32"),
    ("fe80::1%eth0", "IPv6 zone"),
    ("not-an-address", "is not an IP address or CIDR"),
    (None, "nothing"),
])
def test_networks_have_one_strictness(value, message):
    with pytest.raises(VdiFirewallError, match=message):
        parse_cidr(value, "vdi_firewall_management_cidrs")
    with pytest.raises(VdiFirewallError, match=message):
        AddressSet.parse([value], "vdi_firewall_management_cidrs")


def test_hosts_and_endpoints():
    assert host_address("192.0.2.5", "h") == "192.0.2.5/32"
    assert endpoint_network("198.51.100.0/24", "e") == "198.51.100.0/24"
    assert endpoint_network("0.0.0.0/0", "e") == "0.0.0.0/0"
    with pytest.raises(VdiFirewallError, match="is a network, not a host address"):
        host_address("192.0.2.0/24", "h")
    with pytest.raises(VdiFirewallError, match="loopback"):
        host_address("127.0.0.1", "h")
    assert host_address("127.0.0.1", "h", allow_loopback=True) == "127.0.0.1/32"
    with pytest.raises(VdiFirewallError, match="multicast"):
        endpoint_network("224.0.0.0/4", "e")


def test_address_sets_collapse_per_family():
    addresses = AddressSet.parse(["10.0.1.0/24", "10.0.0.0/24", "fd00::/64", "10.0.0.7"], "a")
    assert addresses.ipv4 == ("10.0.0.0/23",) and addresses.ipv6 == ("fd00::/64",)
    assert list(addresses) == ["10.0.0.0/23", "fd00::/64"]
    assert merge_cidrs(["fd00::/64", "192.0.2.1"]) == ("192.0.2.1/32", "fd00::/64")
    assert AddressSet.parse(["0.0.0.0/0", "::/0"], "a").is_every_address
    with pytest.raises(VdiFirewallError, match="must be a list"):
        AddressSet.parse({"a": 1}, "a")
