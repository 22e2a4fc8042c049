# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Management entries: explicit CIDRs, else the SSH client, else the fallback; and the filter."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vdi.firewall.plugins.filter.management_entries import FilterModule
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._management import controller_address, management_entries


@pytest.mark.parametrize(
    ("cidrs", "ssh_client", "fallback", "expected"),
    [
        (["10.0.0.0/24"], "192.0.2.10 50000 22", "any", ["10.0.0.0/24"]),
        ([], "192.0.2.10 50000 22", "fail", ["192.0.2.10/32"]),
        (None, "2001:db8::5 50000 22", "any", ["2001:db8::5/128"]),
        ([], "::ffff:192.0.2.10 50000 22", "any", ["192.0.2.10/32"]),
        ([], "fe80::1%eth0 50000 22", "any", ["fe80::1/128"]),
        ([], "", "any", ["0.0.0.0/0", "::/0"]),
        ([], None, "any", ["0.0.0.0/0", "::/0"]),
    ],
)
def test_addresses(cidrs, ssh_client, fallback, expected):
    (entry,) = management_entries(cidrs, "22", ssh_client=ssh_client, fallback=fallback)
    assert entry == {"protocol": "tcp", "port": 22, "remote_addresses": expected}


def test_fallback_none_adds_nothing():
    assert management_entries([], 22, ssh_client="", fallback="none") == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cidrs": [], "port": 22, "fallback": "fail"}, "controller's address is unknown"),
        ({"cidrs": ["10.0.0.1/24"], "port": 22}, "management CIDR: '10.0.0.1/24' has host bits set"),
        ({"cidrs": "10.0.0.0/24", "port": 22}, "must be a list"),
        ({"cidrs": [], "port": 0}, "is not a port number"),
        ({"cidrs": [], "port": "ssh"}, "is not a port number"),
        ({"cidrs": [], "port": 22, "protocol": "icmp"}, "tcp or udp"),
        ({"cidrs": [], "port": 22, "fallback": "maybe"}, "fallback must be one of"),
        ({"cidrs": [], "port": 22, "ssh_client": "controller 1 22"}, "does not start with an IP address"),
    ],
)
def test_bad_input_fails_clearly(kwargs, message):
    with pytest.raises(VdiFirewallError, match=message):
        management_entries(**kwargs)


def test_controller_address_without_ssh():
    assert controller_address("") is None


def test_filter_wraps_errors_with_its_name():
    entries = FilterModule().filters()["management_entries"]
    assert entries([], 2222, ssh_client="192.0.2.1 1 2222") == [{"protocol": "tcp", "port": 2222, "remote_addresses": ["192.0.2.1/32"]}]
    with pytest.raises(AnsibleFilterError, match="^vdi.firewall.management_entries: "):
        entries([], 22, fallback="fail")
