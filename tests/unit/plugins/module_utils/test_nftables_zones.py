# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Zone firewall of a Linux router: the device entries of platform nftables and their forward ruleset."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible_collections.vdi.firewall.plugins.module_utils._nftables_ruleset import live_digest
from ansible_collections.vdi.firewall.plugins.module_utils._nftables_zones import (
    ZoneError,
    normalize_zones,
    plan_zone_rules,
    render_zones,
    summary,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl import (
    DeviceInput,
    build_device_acls,
    device_platform,
    normalise_options,
)
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError

ZONES = {
    "users": {"cidrs": ["10.1.0.0/24", "2001:db8:1::/64"], "interface": "eth1"},
    "dmz": {"cidrs": ["10.2.0.0/24"], "interface": "eth2"},
    "servers": {"cidrs": ["10.3.0.0/24", "2001:db8:3::/64"]},  # told by its addresses
    "admin": {"cidrs": ["10.9.0.0/28"], "interface": "eth9", "direction": "out"},
}


def row(flow_id, protocol, sources, destinations, ports=""):
    """A row of the planner's deployment_flows."""
    return {"flow_id": flow_id, "protocol": protocol, "source_addresses": sources,
            "destination_addresses": destinations, "ports": ports}


ROWS = [
    row("f_gateway", "tcp", "10.1.0.0/24 2001:db8:1::/64", "10.2.0.10/32 10.2.0.11/32", "443"),
    row("f_gateway_udp", "udp", "10.1.0.0/24", "10.2.0.10/32 10.2.0.11/32", "443"),
    row("f_store", "tcp", "10.2.0.10/32", "10.3.0.20/32", "443"),
    row("f_store_http", "tcp", "10.2.0.10/32", "10.3.0.20/32", "80"),
    row("f_ica", "tcp", "10.1.0.0/24 2001:db8:1::/64", "10.3.0.30/32 2001:db8:3::30/128", "1494,2598"),
    row("f_inside", "tcp", "10.3.0.20/32", "10.3.0.21/32", "1433"),  # stays in zone servers
    row("f_ping", "icmp", "10.9.0.1/32", "10.3.0.0/24", ""),
    row("f_studio", "tcp", "10.9.0.1/32", "10.3.0.21/32", "443"),  # into an outbound ACL's zone? no: from admin
]
HOSTS = {"sf": {"addresses": ["10.3.0.20/32"], "platform": "linux"},
         "ddc": {"addresses": ["10.3.0.21/32"], "platform": "windows"},
         "gw": {"addresses": ["10.2.0.10/32", "10.2.0.11/32"], "platform": "appliance"}}


def build(zones=None, rows=None, options=None, **device):
    device.setdefault("zone_firewall", "nftables")
    device.setdefault("management_cidrs", ["10.9.0.1/32"])
    device.setdefault("address", "10.9.0.14")
    result = build_device_acls([DeviceInput(name="r1", zones=ZONES if zones is None else zones, **device)],
                               ROWS if rows is None else rows, HOSTS, options or normalise_options())
    return result["r1"]


def aces(device):
    return [ace for group in device["acls"] for acl in group["acls"] for ace in acl["aces"]]


def rendered(device, **options):
    return render_zones(device["zones"], aces(device), **options)


def chain(text, name):
    """The statements of one chain of a rendered ruleset."""
    lines = text.splitlines()
    start = lines.index(f"\tchain {name} {{")
    end = lines.index("\t}", start)
    return [line.strip() for line in lines[start + 1:end]]


# --- the device entries of platform nftables (acl.py) -----------------------------------------

def test_a_router_is_chosen_by_its_zone_firewall_not_by_ansible_network_os():
    assert device_platform("r1", None, "nftables") == "nftables"
    with pytest.raises(VdiFirewallError, match="device 'r1': vdi_firewall_zone_firewall 'iptables' is not supported; "
                                               "use one of nftables"):
        device_platform("r1", None, "iptables")
    device = build()
    assert (device["platform"], device["network_os"]) == ("nftables", "")
    assert device["modules"] == {"acls": "vdi.firewall.nftables_zones", "acl_interfaces": "vdi.firewall.nftables_zones"}


def test_connection_tracking_replaces_the_return_entries_even_when_asked_for():
    device = build(options=normalise_options(return_traffic=True))
    kinds = {ace["kind"] for ace in aces(device)}
    assert "return" not in kinds and {"management", "flow", "deny"} <= kinds
    assert not [entry for entry in device["entries"] if entry["kind"] == "return"]


def test_the_entries_are_plain_data_with_zones_ports_and_flows():
    device = build()
    (web,) = [ace for ace in aces(device) if ace["flows"] == ["f_store"]]
    assert web == {"sequence": web["sequence"], "kind": "flow", "grant": "permit", "protocol": "tcp",
                   "source": "10.2.0.10/32", "destination": "10.3.0.20/32", "source_ports": None,
                   "destination_ports": "443", "icmp_type": None, "source_zone": "dmz",
                   "destination_zone": "servers", "flows": ["f_store"]}
    icmpv6 = sorted(ace["icmp_type"] for ace in aces(device) if ace["kind"] == "icmpv6")
    assert set(icmpv6) == {"nd-neighbor-advert", "nd-neighbor-solicit", "packet-too-big"}


# --- the forward ruleset (module_utils/_nftables_zones.py) --------------------------------------

def test_each_zone_is_told_by_its_interface_else_by_its_cidrs():
    text = rendered(build())
    assert chain(text, "forward") == [
        "type filter hook forward priority filter; policy accept;",
        "ct state established,related accept",
        'iifname "eth1" jump from_users',
        'iifname "eth2" jump from_dmz',
        "ip saddr 10.3.0.0/24 jump from_servers",
        "ip6 saddr 2001:db8:3::/64 jump from_servers",
        'iifname "eth9" jump from_admin',
    ]
    assert chain(text, "from_users") == [
        'oifname "eth2" jump users_to_dmz',
        "ip daddr 10.3.0.0/24 jump users_to_servers",
        "ip6 daddr 2001:db8:3::/64 jump users_to_servers",
        'oifname "eth9" jump users_to_admin',
    ]


def test_a_pair_accepts_its_flows_merged_and_drops_the_rest():
    text = rendered(build())
    assert chain(text, "users_to_dmz") == [
        "ct state invalid drop",
        'ip saddr 10.1.0.0/24 ip daddr 10.2.0.10/31 tcp dport 443 accept comment "f_gateway"',
        'ip saddr 10.1.0.0/24 ip daddr 10.2.0.10/31 udp dport 443 accept comment "f_gateway_udp"',
        'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, packet-too-big } accept comment "ICMPv6 the network needs"',
        "counter drop",
    ]
    # 80 and 443 of one source and destination: one statement with a set of ports
    assert 'ip saddr 10.2.0.10 ip daddr 10.3.0.20 tcp dport { 80, 443 } accept comment "f_store f_store_http"' \
        in chain(text, "dmz_to_servers")
    users_to_servers = chain(text, "users_to_servers")
    assert 'ip saddr 10.1.0.0/24 ip daddr 10.3.0.30 tcp dport { 1494, 2598 } accept comment "f_ica"' in users_to_servers
    assert 'ip6 saddr 2001:db8:1::/64 ip6 daddr 2001:db8:3::30 tcp dport { 1494, 2598 } accept comment "f_ica"' \
        in users_to_servers


def test_a_pair_without_a_planned_flow_only_drops():
    text = rendered(build())
    assert chain(text, "dmz_to_users") == ["ct state invalid drop", "counter drop"]


def test_management_comes_first_and_entries_towards_the_router_itself_are_left_out():
    device = build()
    admin = chain(rendered(device), "admin_to_servers")
    assert admin[1] == 'ip saddr 10.9.0.1 ip daddr 10.3.0.20 tcp dport 22 accept comment "management access of the controller"'
    # WinRM to the Windows host
    assert admin[2] == 'ip saddr 10.9.0.1 ip daddr 10.3.0.21 tcp dport 5985-5986 accept comment "management access of the controller"'
    assert 'ip saddr 10.9.0.1 ip daddr 10.3.0.0/24 meta l4proto icmp accept comment "f_ping"' in admin
    assert 'ip saddr 10.9.0.1 ip daddr 10.2.0.10/31 tcp dport { 22, 443 } accept comment ' \
           '"management access of the controller"' in chain(rendered(device), "admin_to_dmz")
    counts = summary(device["zones"], aces(device))
    assert counts["skipped"]["device"] >= 1 and counts["skipped"]["return"] == 0


def test_a_zone_bound_outbound_gets_its_flows_from_its_source_zone_once():
    # admin's ACL is outbound on a device; the router is stateful: each crossing flow is one entry of its source zone
    rows = [row("f_back", "tcp", "10.3.0.20/32", "10.9.0.1/32", "8443"), row("f_out", "tcp", "10.9.0.1/32", "10.2.0.10/32", "22")]
    device = build(rows=rows)
    assert {zone["name"]: zone["direction"] for zone in device["zones"]}["admin"] == "in"
    assert [(ace["source_zone"], ace["destination_zone"]) for ace in aces(device) if ace["flows"] == ["f_back"]] == \
        [("servers", "admin")]
    assert any(ace["flows"] == ["f_out"] for ace in aces(device))
    assert chain(rendered(device), "servers_to_admin") == [
        "ct state invalid drop",
        'ip saddr 10.3.0.20 ip daddr 10.9.0.1 tcp dport 8443 accept comment "f_back"',
        'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, packet-too-big } accept comment "ICMPv6 the network needs"',
        "counter drop",
    ]


def test_the_same_entry_given_twice_is_rendered_once():
    zones = [{"name": "a", "cidrs": ["10.1.0.0/24"]}, {"name": "b", "cidrs": ["10.2.0.0/24"]}]
    entry = {"kind": "flow", "protocol": "tcp", "source": "10.1.0.1/32", "destination": "10.2.0.1/32",
             "destination_ports": "443", "source_zone": "a", "destination_zone": "b", "flows": ["f1"]}
    assert chain(render_zones(zones, [entry, dict(entry)]), "a_to_b") == [
        "ct state invalid drop", 'ip saddr 10.1.0.1 ip daddr 10.2.0.1 tcp dport 443 accept comment "f1"', "counter drop"]


def test_traffic_inside_a_zone_is_not_filtered_and_the_policy_can_drop_the_rest():
    text = rendered(build())
    assert "1433" not in text
    assert "policy drop;" in chain(rendered(build(), forward_policy="drop"), "forward")[0]


def test_log_drop_names_the_pair():
    text = rendered(build(), log_drop=True)
    assert chain(text, "users_to_dmz")[-1] == 'log prefix "vdi_firewall_zones users>dmz drop: " counter drop'


def test_the_table_replaces_itself_in_one_transaction():
    lines = rendered(build()).splitlines()
    assert lines[lines.index("table inet vdi_firewall_zones"):][:3] == [
        "table inet vdi_firewall_zones", "delete table inet vdi_firewall_zones", "table inet vdi_firewall_zones {"]


def test_portless_and_any_address_entries():
    zones = [{"name": "a", "cidrs": ["10.1.0.0/24"]}, {"name": "b", "cidrs": ["10.2.0.0/24"]}]
    entries = [
        {"kind": "flow", "protocol": "gre", "source": "10.1.0.1/32", "destination": "10.2.0.1/32",
         "source_zone": "a", "destination_zone": "b", "flows": ["f_gre"]},
        {"kind": "flow", "protocol": "tcp", "source": "0.0.0.0/0", "destination": "0.0.0.0/0",
         "source_zone": "a", "destination_zone": "b", "flows": ["f_any"]},
        {"kind": "flow", "protocol": "ip", "source": "10.1.0.2/32", "destination": "10.2.0.0/24",
         "source_zone": "a", "destination_zone": "b", "flows": ["f_ip"]},
    ]
    assert chain(render_zones(zones, entries), "a_to_b")[1:4] == [
        'ip saddr 10.1.0.1 ip daddr 10.2.0.1 meta l4proto gre accept comment "f_gre"',
        'meta nfproto ipv4 meta l4proto tcp accept comment "f_any"',
        'ip saddr 10.1.0.2 ip daddr 10.2.0.0/24 accept comment "f_ip"',
    ]


def test_chain_names_stay_unique_and_valid():
    zones = normalize_zones([{"name": "Zone A", "cidrs": ["10.1.0.0/24"]}, {"name": "zone-a", "cidrs": ["10.2.0.0/24"]},
                             {"name": "1st", "cidrs": ["10.3.0.0/24"]}])
    assert [zone.chain for zone in zones] == ["Zone_A", "zone_a", "z_1st"]
    zones = normalize_zones([{"name": "a b", "cidrs": ["10.1.0.0/24"]}, {"name": "a-b", "cidrs": ["10.2.0.0/24"]}])
    assert [zone.chain for zone in zones] == ["a_b", "a_b_2"]


@pytest.mark.parametrize(
    ("zones", "entries", "message"),
    [
        ([], [], "zones: expected a non-empty list"),
        ([{"name": "a"}], [], "zone 'a': 'cidrs' must be a non-empty list of CIDRs"),
        ([{"name": "a", "cidrs": ["10.1.0.300/24"]}], [], "zone 'a' cidrs: '10.1.0.300/24' is not an IP address"),
        ([{"name": "a", "cidrs": ["10.1.0.0/24"], "interface": "GigabitEthernet0/1"}], [],
         "zone 'a': interface 'GigabitEthernet0/1' is not a Linux interface name"),
        ([{"name": "a", "cidrs": ["10.1.0.0/16"]}, {"name": "b", "cidrs": ["10.1.2.0/24"]}], [],
         "zones 'a' and 'b' overlap"),
        ([{"name": "a", "cidrs": ["10.1.0.0/24"], "interface": "eth1"},
          {"name": "b", "cidrs": ["10.2.0.0/24"], "interface": "eth1"}], [], "are both on interface 'eth1'"),
        ([{"name": "a", "cidrs": ["10.1.0.0/24"]}],
         [{"protocol": "tcp", "source": "10.1.0.1", "destination": "10.2.0.1", "source_zone": "a",
           "destination_zone": "c"}], "entry #1: destination_zone 'c' is not one of the zones"),
        ([{"name": "a", "cidrs": ["10.1.0.0/24"]}, {"name": "b", "cidrs": ["10.2.0.0/24"]}],
         [{"protocol": "tcp", "source": "10.1.0.1", "destination": "fd00::1", "source_zone": "a",
           "destination_zone": "b"}], "are of different address families"),
        ([{"name": "a", "cidrs": ["10.1.0.0/24"]}, {"name": "b", "cidrs": ["10.2.0.0/24"]}],
         [{"protocol": "tcp", "source": "10.1.0.1", "destination": "10.2.0.1", "source_zone": "a",
           "destination_zone": "b", "destination_ports": "443-80"}], "outside 1-65535 or reversed"),
        ([{"name": "a", "cidrs": ["10.1.0.0/24"]}, {"name": "b", "cidrs": ["10.2.0.0/24"]}],
         [{"kind": "permit", "protocol": "tcp", "source": "10.1.0.1", "destination": "10.2.0.1"}],
         "entry #1: kind 'permit' is not one of"),
        ([{"name": "a", "cidrs": ["10.1.0.0/24"]}, {"name": "b", "cidrs": ["10.2.0.0/24"]}],
         [{"protocol": "udp", "source": "10.1.0.1", "destination": "10.2.0.1"}], "needs both source_zone and destination_zone"),
        ([{"name": "a", "cidrs": ["10.1.0.0/24"]}, {"name": "b", "cidrs": ["10.2.0.0/24"]}],
         [{"protocol": "gre", "source": "10.1.0.1", "destination": "10.2.0.1", "source_zone": "a",
           "destination_zone": "b", "destination_ports": "1"}], "protocol gre has no ports"),
    ],
)
def test_bad_input_names_the_zone_or_the_entry(zones, entries, message):
    with pytest.raises(ZoneError, match=message.replace("(", r"\(").replace(")", r"\)")):
        render_zones(zones, entries)


def test_bad_policy():
    with pytest.raises(ZoneError, match="forward_policy must be one of accept, drop"):
        render_zones([{"name": "a", "cidrs": ["10.1.0.0/24"]}], [], forward_policy="reject")


def test_the_same_input_renders_the_same_ruleset():
    device = build()
    assert rendered(device) == rendered(build())
    _zones, pairs, _skipped = plan_zone_rules(device["zones"], list(reversed(aces(device))))
    assert {pair: len(rules) for pair, rules in pairs.items()} == \
        {pair: len(rules) for pair, rules in plan_zone_rules(device["zones"], aces(device))[1].items()}


def _nft_in_private_netns():
    if os.geteuid() != 0 or not shutil.which("nft") or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not _nft_in_private_netns(), reason="needs root, nft and unshare (a private network namespace)")
def test_the_kernel_loads_the_ruleset_and_lists_it_the_same_after_a_reload():
    text = rendered(build(), log_drop=True)
    script = ("set -e; first=$(mktemp); trap 'rm -f \"$first\"' EXIT\n"
              "nft -c -f - <<'EOF'\n" + text + "EOF\n"
              "nft -f - <<'EOF'\n" + text + "EOF\n"
              "nft -s list table inet vdi_firewall_zones > \"$first\"\n"
              "nft -f - <<'EOF'\n" + text + "EOF\n"
              "nft -s list table inet vdi_firewall_zones; cat \"$first\" >&2\n")
    done = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert live_digest(done.stdout) == live_digest(done.stderr)
    assert "chain users_to_dmz {" in done.stdout
