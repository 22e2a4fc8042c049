# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Journeys through zone devices: a hop that crosses a device must be permitted by its ACL."""

from __future__ import annotations

from ansible_collections.vdi.firewall.plugins.plugin_utils._devices import device_checks, is_device

DEVICE = {"device": "fw1", "zones": [{"name": "users", "cidrs": ["198.51.100.0/24"]},
                                     {"name": "dmz", "cidrs": ["203.0.113.0/24"]}],
          "entries": [
              {"action": "permit", "kind": "flow", "protocol": "tcp", "source": "198.51.100.0/24",
               "destination": "203.0.113.11/32", "destination_port": "443", "source_zone": "users", "afi": "ipv4"},
              {"action": "deny", "kind": "deny", "protocol": "ip", "source": "any", "destination": "any",
               "destination_port": "", "source_zone": "users", "afi": "ipv4"}]}


def hop(protocol="tcp", ports=("443",), sources=("198.51.100.0/24",), destinations=("203.0.113.11/32",), match="all"):
    return {"protocol": protocol, "ports": list(ports), "match": match, "source_addresses": list(sources),
            "destination_addresses": list(destinations)}


def test_a_permitted_hop_passes_the_device():
    (check,) = device_checks({"fw1": DEVICE})
    assert check(hop()) == []


def test_a_port_the_acl_does_not_permit_is_a_gap_naming_the_device():
    (check,) = device_checks({"fw1": DEVICE})
    assert check(hop(protocol="udp")) == [{"device": "fw1", "ports": ["443"],
                                          "addresses": ["198.51.100.0/24", "203.0.113.11/32"]}]
    assert check(hop(ports=("443", "8443"))) == [{"device": "fw1", "ports": ["8443"],
                                                 "addresses": ["198.51.100.0/24", "203.0.113.11/32"]}]
    assert check(hop(ports=("443", "8443"), match="any")) == []


def test_a_hop_that_does_not_cross_the_device_is_not_its_business():
    (check,) = device_checks({"fw1": DEVICE})
    assert check(hop(destinations=("192.0.2.21/32",))) == []  # the destination is in none of its zones
    assert check(hop(sources=("203.0.113.12/32",))) == []  # both ends in the dmz


def test_a_family_without_an_acl_on_the_zone_is_not_filtered():
    (check,) = device_checks({"fw1": dict(DEVICE, zones=DEVICE["zones"] + [{"name": "v6", "cidrs": ["2001:db8::/32"]}])})
    assert check(hop(sources=("2001:db8:1::1/128",), destinations=("203.0.113.11/32",))) == []


def test_devices_are_told_from_their_variables():
    assert is_device({"ansible_network_os": "cisco.ios.ios"}, "fw1")
    assert is_device({"vdi_firewall_zone_firewall": "nftables"}, "r1")
    assert is_device({"vdi_firewall_backend": "network_acl"}, "x")
    assert not is_device({"ansible_connection": "winrm"}, "ddc1")
