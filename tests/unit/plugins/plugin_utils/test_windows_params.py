# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planned rules to win_firewall_rule parameters, the host platform, and their filters."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vdi.firewall.plugins.filter.host_platform import FilterModule as PlatformFilter
from ansible_collections.vdi.firewall.plugins.filter.win_firewall_params import FilterModule as ParamsFilter
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._platforms import host_platform
from ansible_collections.vdi.firewall.plugins.plugin_utils._windows import (
    DESCRIPTION_LIMIT,
    MANAGEMENT_RULE_NAME,
    win_firewall_params,
    windows_remote_ip,
)


def rule(name="vdi-in-tcp-citrix_storefront", direction="in", protocol="tcp", ports=("80", "443"),
         remote=("192.0.2.31/32", "192.0.2.32/32"), flows=("citrix_storefront_001",)):
    """A planned rule as the planner returns it."""
    return {
        "name": name,
        "direction": direction,
        "protocol": protocol,
        "local_ports": list(ports) if direction == "in" else [],
        "remote_ports": list(ports) if direction == "out" else [],
        "remote_addresses": list(remote),
        "peers": ["citrix_storefront"],
        "flows": list(flows),
        "description": "from Citrix StoreFront server",
    }


def test_inbound_tcp_rule():
    (params,) = win_firewall_params([rule()], host="ddc1")
    assert params == {
        "name": "vdi-in-tcp-citrix_storefront",
        "group": "vdi.firewall",
        "description": "from Citrix StoreFront server (vdi.firewall; flows: citrix_storefront_001)",
        "direction": "in",
        "action": "allow",
        "enabled": True,
        "profiles": ["domain", "private"],
        "protocol": "tcp",
        "localip": "any",
        "remoteip": "192.0.2.31/32,192.0.2.32/32",
        "localport": "80,443",
        "remoteport": "any",
        "state": "present",
    }


def test_outbound_rule_restricts_the_remote_port():
    (params,) = win_firewall_params([rule("vdi-out-udp-dns", "out", "udp", ("53",), ("192.0.2.10/31",))],
                                    group="corp.vdi", profiles=["domain"])
    assert (params["direction"], params["localport"], params["remoteport"]) == ("out", "any", "53")
    assert (params["group"], params["profiles"]) == ("corp.vdi", ["domain"])


@pytest.mark.parametrize(
    ("protocol", "codes", "expected_protocol", "expected_codes"),
    [
        ("icmp", None, "icmpv4", ["8:*"]),
        ("icmpv6", None, "icmpv6", ["128:*"]),
        ("icmp", {"icmp": "*"}, "icmpv4", None),
        ("icmp", {"icmp": ["0:*", "8:0"]}, "icmpv4", ["0:*", "8:0"]),
        ("vrrp", None, "112", None),
        ("gre", None, "47", None),
        ("esp", None, "50", None),
    ],
)
def test_portless_protocols(protocol, codes, expected_protocol, expected_codes):
    (params,) = win_firewall_params([rule(protocol=protocol, ports=())], icmp_type_codes=codes)
    assert params["protocol"] == expected_protocol
    assert params.get("icmp_type_code") == expected_codes
    assert "localport" not in params and "remoteport" not in params


@pytest.mark.parametrize(
    ("addresses", "expected"),
    [
        (["192.0.2.0/24"], "192.0.2.0/24"),
        (["0.0.0.0/0"], "0.0.0.0-255.255.255.255"),
        (["0.0.0.0/0", "::/0"], "any"),
        (["10.0.0.0/8", "::/0"], "10.0.0.0/8,::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        (["2001:db8::1/128"], "2001:db8::1/128"),
    ],
)
def test_remote_addresses_windows_accepts(addresses, expected):
    assert windows_remote_ip(addresses, "here") == expected


def test_management_rule_comes_first_and_keeps_winrm_open():
    params = win_firewall_params([rule()], management_cidrs=["192.0.2.240/28"], host="ddc1")
    assert [item["name"] for item in params] == [MANAGEMENT_RULE_NAME, "vdi-in-tcp-citrix_storefront"]
    assert params[0] | {"description": ""} == {
        "name": MANAGEMENT_RULE_NAME, "group": "vdi.firewall", "description": "", "direction": "in",
        "action": "allow", "enabled": True, "profiles": ["domain", "private"], "protocol": "tcp", "localip": "any",
        "remoteip": "192.0.2.240/28", "localport": "5985,5986", "remoteport": "any", "state": "present",
    }


def test_long_descriptions_are_bounded_and_say_how_many_flows_are_left_out():
    flows = [f"citrix_cvad_{number:03d}" for number in range(200)]
    (params,) = win_firewall_params([rule(flows=flows)])
    assert len(params["description"]) <= DESCRIPTION_LIMIT
    assert params["description"].startswith("from Citrix StoreFront server (vdi.firewall; flows: citrix_cvad_000, ")
    assert params["description"].endswith(" more)")


def test_no_rules_and_no_management_give_nothing():
    assert win_firewall_params([]) == []


@pytest.mark.parametrize(
    ("rules", "options", "message"),
    [
        ([rule(direction="both")], {}, "host 'h': rule 'vdi-in-tcp-citrix_storefront': direction must be in or out"),
        ([rule(protocol="sctp")], {}, "protocol 'sctp' is not one of"),
        ([rule(ports=())], {}, "a tcp rule without ports would open every port"),
        ([rule(ports=("http",))], {}, "'http' is not a port number"),
        ([rule(protocol="icmp")], {}, "icmp has no ports, but the rule lists some"),
        ([rule(remote=())], {}, "remote_addresses must be a non-empty list"),
        ([rule(remote=("192.0.2.300",))], {}, "remote address: '192.0.2.300' is not an IP address"),
        ([rule(), rule()], {}, "rule name 'vdi-in-tcp-citrix_storefront' is used twice"),
        ([{"direction": "in"}], {}, "a planned rule has no name"),
        ("vdi-in-tcp", {}, "vdi_firewall_rules must be a list"),
        ([rule()], {"profiles": ["work"]}, "vdi_firewall_windows_profiles: 'work' is not one of"),
        ([rule()], {"profiles": []}, "vdi_firewall_windows_profiles must be a non-empty list"),
        ([rule()], {"group": ""}, "vdi_firewall_windows_group must be a non-empty string"),
        ([rule()], {"icmp_type_codes": {"icmp": ["echo"]}}, "'echo' is not 'type:code'"),
        ([rule()], {"icmp_type_codes": {"tcp": ["8:*"]}}, "only icmp and icmpv6 have type codes"),
        ([rule()], {"management_cidrs": "192.0.2.0/24"}, "vdi_firewall_management_cidrs must be a list"),
        ([rule()], {"management_cidrs": ["192.0.2.0/33"]}, "'192.0.2.0/33' is not an IP address"),
        ([rule()], {"management_cidrs": ["192.0.2.5/24"]}, "'192.0.2.5/24' has host bits set; write 192.0.2.0/24"),
        ([rule()], {"management_cidrs": ["192.0.2.0/24"], "management_ports": []}, "management_ports must be a non-empty list"),
    ],
)
def test_bad_input_names_the_host_and_the_rule(rules, options, message):
    with pytest.raises(VdiFirewallError, match=message.replace("(", r"\(").replace(")", r"\)")):
        win_firewall_params(rules, host="h", **options)


def test_filter_wraps_errors_with_its_name():
    win_firewall_params_filter = ParamsFilter().filters()["win_firewall_params"]
    assert win_firewall_params_filter([rule()], host="ddc1")[0]["profiles"] == ["domain", "private"]
    with pytest.raises(AnsibleFilterError, match=r"^vdi.firewall.win_firewall_params: host 'ddc1': rule 'x'"):
        win_firewall_params_filter([rule(name="x", protocol="sctp")], host="ddc1")


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"vdi_firewall_platform": "windows"}, "windows"),
        ({"vdi_firewall_platform": "appliance", "ansible_connection": "winrm"}, "appliance"),
        ({"ansible_network_os": "cisco.ios.ios"}, "network"),
        ({"ansible_connection": "winrm"}, "windows"),
        ({"ansible_connection": "ansible.builtin.psrp"}, "windows"),
        ({"ansible_connection": "ssh", "ansible_shell_type": "powershell"}, "windows"),
        ({"ansible_os_family": "Windows"}, "windows"),
        ({"ansible_facts": {"os_family": "Windows"}}, "windows"),
        ({"ansible_facts": {"system": "Linux", "os_family": "Debian"}}, "linux"),
        ({"ansible_host": "192.0.2.21"}, None),
        ({}, None),
    ],
)
def test_host_platform(variables, expected):
    assert host_platform(variables, "h") == expected


def test_host_platform_refuses_an_unknown_platform():
    with pytest.raises(VdiFirewallError, match="host 'h': vdi_firewall_platform 'macos' is not one of"):
        host_platform({"vdi_firewall_platform": "macos"}, "h")
    platform_filter = PlatformFilter().filters()["host_platform"]
    with pytest.raises(AnsibleFilterError, match="^vdi.firewall.host_platform: host 'h'"):
        platform_filter({"vdi_firewall_platform": "macos"}, host="h")
    assert platform_filter({"ansible_connection": "psrp"}) == "windows"
