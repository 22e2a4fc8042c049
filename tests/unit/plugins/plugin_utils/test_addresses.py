# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Addresses mean what they say: one parser for hosts and endpoints, messages naming the variable."""

from __future__ import annotations

import socket

import pytest

from ansible_collections.vdi.firewall.plugins.plugin_utils._addresses import endpoint_network, host_address, resolve_host
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import HostInput, build_topology, plan_hosts

WHERE = "host 'vda1': vdi_firewall_address"


@pytest.mark.parametrize(("value", "expected"), [
    ("192.0.2.5", "192.0.2.5/32"), ("192.0.2.5/32", "192.0.2.5/32"), (" 2001:db8::5 ", "2001:db8::5/128"),
    ("2001:db8::5/128", "2001:db8::5/128"),
])
def test_host_addresses(value, expected):
    assert host_address(value, WHERE) == expected


@pytest.mark.parametrize(("value", "message"), [
    ("192.0.2.0/24", r"'192.0.2.0/24' is a network, not a host address"),
    ("192.0.2.7/24", r"is a network, not a host address"),
    ("0.0.0.0", r"unspecified address"),
    ("::", r"unspecified address"),
    ("0.0.0.0/0", r"is a network, not a host address"),
    ("127.0.0.1", r"loopback"),
    ("::1", r"loopback"),
    ("fe80::1%eth0", r"has an IPv6 zone \('%eth0'\)"),
    ("224.0.0.5", r"multicast"),
    ("any", r"'any' is only allowed in vdi_firewall_endpoints"),
    ("ctx-vda1", r"is not an IP address"),
])
def test_unusable_host_addresses_are_refused_naming_the_variable(value, message):
    with pytest.raises(VdiFirewallError, match=r"^host 'vda1': vdi_firewall_address: .*" + message):
        host_address(value, WHERE)


@pytest.mark.parametrize(("value", "expected"), [
    ("198.51.100.0/24", "198.51.100.0/24"), ("198.51.100.7", "198.51.100.7/32"), ("0.0.0.0/0", "0.0.0.0/0"),
    ("2001:db8:100::/48", "2001:db8:100::/48"),
])
def test_endpoint_networks(value, expected):
    assert endpoint_network(value, "vdi_firewall_endpoints['user_device']") == expected


@pytest.mark.parametrize(("value", "message"), [
    ("198.51.100.7/16", r"'198.51.100.7/16' has host bits set; write 198.51.0.0/16 for the network or "
                        r"198.51.100.7/32 for the one address"),
    ("fe80::1%eth0", r"IPv6 zone"),
    ("fe80::/64%eth0", r"IPv6 zone"),
    ("127.0.0.0/8", r"loopback"),
    ("10.0.0.0/33", r"not an IP address or CIDR"),
])
def test_bad_endpoints_are_refused_naming_the_variable(value, message):
    with pytest.raises(VdiFirewallError, match=r"^vdi_firewall_endpoints\['user_device'\]: .*" + message):
        endpoint_network(value, "vdi_firewall_endpoints['user_device']")


def plan(hosts, **settings):
    topology = build_topology(load_catalog(), hosts, **settings)
    return topology, plan_hosts(topology)


def test_a_network_as_a_host_address_is_refused_by_the_planner():
    with pytest.raises(VdiFirewallError, match=r"host 'vda1': vdi_firewall_address: '192.0.2.0/24' is a network"):
        plan([HostInput("vda1", groups=("vda",), product="citrix", address="192.0.2.0/24")])


def test_an_endpoint_zone_is_an_error_not_a_traceback():
    with pytest.raises(VdiFirewallError, match=r"vdi_firewall_endpoints\['user_device'\]: 'fe80::1%eth0' has an IPv6"):
        plan([HostInput("vda1", groups=("vda",), product="citrix", ansible_host="192.0.2.101")],
             endpoints={"user_device": ["fe80::1%eth0"]})


def test_two_hosts_on_one_address_are_reported_naming_both():
    topology, _plans = plan([HostInput("vda1", groups=("vda",), product="citrix", ansible_host="192.0.2.101"),
                             HostInput("vda2", groups=("vda",), product="citrix", ansible_host="192.0.2.101")])
    assert topology.notices == ["hosts 'vda1', 'vda2' share the address 192.0.2.101/32: their rules treat them as "
                                "one machine (check ansible_host / vdi_firewall_address)"]


def fake_dns(name):
    table = {"vda1.corp.example": ["192.0.2.101", "2001:db8:1::101"], "lo.corp.example": ["127.0.1.1"]}
    if name not in table:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return table[name]


def test_a_dns_name_in_ansible_host_is_resolved_on_the_controller():
    topology, plans = plan([HostInput("vda1", groups=("vda",), product="citrix", ansible_host="vda1.corp.example"),
                            HostInput("ddc1", groups=("broker",), product="citrix", ansible_host="192.0.2.21")],
                           resolver=fake_dns)
    assert topology.host_addresses["vda1"] == ("192.0.2.101/32", "2001:db8:1::101/128")
    ddc_in = [rule for rule in plans["ddc1"]["rules"] if rule["direction"] == "in" and "citrix_vda" in rule["peers"]]
    assert ddc_in and all("192.0.2.101/32" in rule["remote_addresses"] for rule in ddc_in)


def test_an_unresolvable_name_is_an_error_naming_host_and_name():
    with pytest.raises(VdiFirewallError, match=r"host 'vda1': ansible_host 'nowhere.invalid' does not resolve"):
        plan([HostInput("vda1", groups=("vda",), product="citrix", ansible_host="nowhere.invalid")], resolver=fake_dns)


def test_a_name_resolving_to_loopback_is_refused():
    with pytest.raises(VdiFirewallError, match=r"host 'vda1': ansible_host 'lo.corp.example' resolves to: .*loopback"):
        plan([HostInput("vda1", groups=("vda",), product="citrix", ansible_host="lo.corp.example")], resolver=fake_dns)


def test_resolution_can_be_switched_off():
    with pytest.raises(VdiFirewallError, match=r"vdi_firewall_resolve_names is off"):
        plan([HostInput("vda1", groups=("vda",), product="citrix", ansible_host="vda1.corp.example")],
             resolve_names=False, resolver=fake_dns)


def test_the_system_resolver_is_used_by_default():
    assert resolve_host("192.0.2.9", "h1") == ("192.0.2.9/32",)


def test_loopback_is_allowed_for_a_lab_on_one_machine():
    topology, _plans = plan([HostInput("ddc1", groups=("broker",), product="citrix", address="127.0.0.1"),
                             HostInput("sql1", groups=("sql",), product="citrix", address="127.0.0.2")],
                            allow_loopback=True, endpoints={"admin_workstation": ["127.0.0.3"]})
    assert topology.host_addresses["sql1"] == ("127.0.0.2/32",)
