# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rule validation and normalisation shared by the Linux backends."""

from __future__ import annotations

import pytest

from ansible_collections.vdi.firewall.plugins.module_utils._linux_rules import (
    RuleError,
    merge_ports,
    normalize_management,
    normalize_rule,
    normalize_rules,
    split_addresses,
)


def rule(**overrides):
    base = {
        "name": "vdi-in-tcp-citrix_storefront+user_device",
        "direction": "in",
        "protocol": "tcp",
        "local_ports": ["443"],
        "remote_ports": [],
        "remote_addresses": ["10.0.0.0/24"],
        "flows": ["citrix_cvad_001"],
        "description": "from StoreFront",
        "peers": ["citrix_storefront"],  # keys outside the contract are ignored
    }
    base.update(overrides)
    return base


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        (["443", "80"], ("80", "443")),
        ([80, "81", "82-90"], ("80-90",)),
        (["1000-2000", "1500", "2001"], ("1000-2001",)),
        (["1-65535", "22"], ("1-65535",)),
        ([], ()),
    ],
)
def test_ports_are_merged_and_sorted(ports, expected):
    assert merge_ports(ports, "here") == expected


@pytest.mark.parametrize("port", ["0", "65536", "20-10", "http", "1 - 2", True, "80,443"])
def test_bad_ports_name_the_place(port):
    with pytest.raises(RuleError, match="^here: "):
        merge_ports([port], "here")


def test_addresses_are_split_per_family_and_collapsed():
    ipv4, ipv6 = split_addresses(["10.0.1.0/24", "10.0.0.0/24", "10.0.0.7/32", "FD00::1/128", "fd00::/64"], "here")
    assert ipv4 == ("10.0.0.0/23",)
    assert ipv6 == ("fd00::/64",)


@pytest.mark.parametrize("address", ["10.0.0.300/32", "10.0.0.5/24", "host.example", "fd00::/129", ""])
def test_bad_addresses_name_the_place(address):
    with pytest.raises(RuleError, match="^here: "):
        split_addresses([address], "here")


def test_a_rule_is_normalised():
    normalized = normalize_rule(rule(local_ports=["443", "80"], remote_addresses=["10.0.0.0/24", "fd00::/64"]), 1)
    assert normalized.local_ports == ("80", "443")
    assert normalized.destination_ports == ("80", "443")
    assert normalized.source_ports == ()
    assert normalized.ipv4 == ("10.0.0.0/24",)
    assert normalized.ipv6 == ("fd00::/64",)
    assert normalized.flows == ("citrix_cvad_001",)


def test_outbound_rules_match_remote_ports_as_destination():
    normalized = normalize_rule(rule(direction="out", local_ports=[], remote_ports=["80"]), 1)
    assert normalized.destination_ports == ("80",)
    assert normalized.source_ports == ()


@pytest.mark.parametrize(
    ("protocol", "ipv4", "ipv6"),
    [("icmp", ("10.0.0.0/24",), ()), ("icmpv6", (), ("fd00::/64",)), ("gre", ("10.0.0.0/24",), ("fd00::/64",))],
)
def test_icmp_keeps_its_own_family(protocol, ipv4, ipv6):
    normalized = normalize_rule(rule(protocol=protocol, local_ports=[], remote_addresses=["10.0.0.0/24", "fd00::/64"]), 1)
    assert (normalized.ipv4, normalized.ipv6) == (ipv4, ipv6)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "Bad Name"}, r"rule #1: 'name' must be"),
        ({"name": None}, r"rule #1: 'name' must be"),
        ({"direction": "both"}, r"'direction' must be one of in, out"),
        ({"protocol": "sctp"}, r"'protocol' must be one of"),
        ({"remote_addresses": []}, r"'remote_addresses' is empty"),
        ({"local_ports": "443"}, r"'local_ports' must be a list"),
        ({"protocol": "icmp", "local_ports": ["8"]}, r"protocol icmp has no ports"),
        ({"remote_addresses": ["10.0.0.999/32"]}, r"remote_addresses: '10.0.0.999/32' is not"),
    ],
)
def test_bad_rules_name_the_rule_and_the_key(overrides, message):
    with pytest.raises(RuleError, match=message):
        normalize_rule(rule(**overrides), 1)


def test_rule_names_are_unique():
    with pytest.raises(RuleError, match="used twice"):
        normalize_rules([rule(), rule()])


def test_rules_must_be_a_list():
    with pytest.raises(RuleError, match="expected a list"):
        normalize_rules({"name": "x"})
    assert normalize_rules(None) == []


def test_management_entries_become_inbound_rules():
    (entry,) = normalize_management([{"port": 22, "remote_addresses": ["192.0.2.10/32", "2001:db8::1/128"]}])
    assert entry.name == "management-tcp-22"
    assert entry.direction == "in"
    assert entry.local_ports == ("22",)
    assert entry.ipv4 == ("192.0.2.10/32",)
    assert entry.ipv6 == ("2001:db8::1/128",)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"port": 22, "remote_addresses": []}, "'remote_addresses' is empty"),
        ({"remote_addresses": ["10.0.0.1/32"]}, "'port' is required"),
        ({"port": 22, "protocol": "icmp", "remote_addresses": ["10.0.0.1/32"]}, "must be tcp or udp"),
        ("ssh", "expected a dictionary"),
    ],
)
def test_bad_management_entries_fail(entry, message):
    with pytest.raises(RuleError, match=message):
        normalize_management([entry])
