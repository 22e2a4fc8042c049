# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backend registry's decision table."""

from __future__ import annotations

import pytest

from ansible_collections.vdi.firewall.plugins.plugin_utils._backends import (
    BACKENDS,
    choose_backend,
    services_to_check,
)
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError

# requested, platform, has rules, services in use -> backend
TABLE = [
    (None, "linux", True, (), "nftables"),
    ("auto", "linux", True, ("firewalld",), "firewalld"),
    ("", "linux", True, ("sshd",), "nftables"),
    (None, "linux", False, ("firewalld",), "none"),
    (None, "windows", True, (), "windows"),
    (None, "windows", False, (), "none"),
    (None, "network", True, (), "network_acl"),
    (None, "network", False, (), "network_acl"),
    (None, "appliance", True, (), "none"),
    ("nftables", "linux", True, ("firewalld",), "nftables"),
    ("firewalld", None, True, (), "firewalld"),
    ("network_acl", None, False, (), "network_acl"),
    ("none", "linux", True, (), "none"),
    ("windows", "appliance", True, (), "windows"),
]


@pytest.mark.parametrize(("requested", "platform", "has_rules", "services", "expected"), TABLE)
def test_decision_table(requested, platform, has_rules, services, expected):
    chosen = choose_backend("h1", requested, platform, has_rules, services)
    assert chosen["name"] == expected
    if expected != "none":
        assert chosen["role"] == f"vdi.firewall.{expected}"


def test_an_unknown_platform_is_an_error_naming_the_host_not_a_drop_all_default():
    with pytest.raises(VdiFirewallError, match=r"host 'mac1': its platform is unknown .*vdi_firewall_platform"):
        choose_backend("mac1", None, None, True, ())


def test_an_unknown_backend_is_refused_naming_the_host():
    with pytest.raises(VdiFirewallError, match=r"host 'h1': vdi_firewall_backend 'iptables' is not one of firewalld"):
        choose_backend("h1", "iptables", "linux", True, ())


def test_a_backend_of_another_platform_is_refused():
    with pytest.raises(VdiFirewallError, match=r"'windows' serves windows hosts, and this host is linux"):
        choose_backend("h1", "windows", "linux", True, ())


def test_every_backend_has_its_role_and_a_way_to_be_chosen():
    from pathlib import Path  # pylint: disable=import-outside-toplevel
    root = Path(__file__).resolve().parents[4]
    for backend in BACKENDS:
        assert backend.chosen in ("default", "service", "explicit", "zone_firewall")
        assert (root / "roles" / backend.role.split(".")[-1] / "tasks" / "main.yml").is_file(), backend.role
    assert services_to_check("linux") == ("firewalld",)
    assert services_to_check("windows") == ()


def test_a_router_between_zones_gets_the_zone_firewall_whatever_its_own_rules():
    for has_rules in (True, False):
        chosen = choose_backend("r1", None, "linux", has_rules, ("firewalld",), zone_firewall="nftables")
        assert chosen == {"name": "nftables_zones", "role": "vdi.firewall.nftables_zones"}
    assert choose_backend("r1", "nftables", "linux", True, (), zone_firewall="nftables")["name"] == "nftables"
    with pytest.raises(VdiFirewallError, match=r"host 'r1': vdi_firewall_zone_firewall 'pf' is not one of nftables"):
        choose_backend("r1", None, "linux", True, (), zone_firewall="pf")
