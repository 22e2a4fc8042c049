# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of the planner over generated inventories, messy ones included.

Any inventory either plans, or fails with a VdiFirewallError that names its culprit (a host or a
vdi_firewall_* variable). Every plan keeps its invariants: no remote set wider than the union of
its peers' addresses, no host its own remote (no rule names the host's own address), every rule traceable to catalog flows, every port in
1..65535.

The examples are derandomized, so that a run is repeatable; to explore further, run this file with
``--hypothesis-seed=N`` or change ``derandomize`` locally.
"""

from __future__ import annotations

import ipaddress

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import (
    HostInput,
    build_topology,
    plan_hosts,
)

CATALOG = load_catalog()
PRODUCTS = tuple(sorted(CATALOG.products))
GROUPS = sorted({group for groups in CATALOG.group_maps.values() for group in groups})
TYPO_GROUPS = ["brokers", "VDA", "store-front", "windows", "linux"]
FEATURES = sorted(CATALOG.features)
ENDPOINT_COMPONENTS = ["user_device", "admin_workstation", "domain_controller", "dns_server", "sql_server"]

good_ipv4 = st.integers(min_value=1, max_value=254).map(lambda last: f"192.0.2.{last}")
good_ipv6 = st.integers(min_value=1, max_value=0xFFFF).map(lambda last: f"2001:db8:1::{last:x}")
bad_address = st.sampled_from(["192.0.2.0/24", "0.0.0.0", "127.0.0.1", "fe80::1%eth0", "::", "300.1.1.1",
                               "198.51.100.7/16", "", "any", "ctx-vda1", "0.0.0.0/0"])
# mostly usable values, so that most inventories plan and the invariants are exercised; the bad
# ones are there often enough that every example set has failures too
address = st.one_of(good_ipv4, good_ipv4, good_ipv4, good_ipv6, good_ipv4.map(lambda text: text + "/32"),
                    st.just(None), bad_address)
good_network = st.sampled_from(["198.51.100.0/24", "203.0.113.0/25", "2001:db8:100::/48", "192.0.2.10",
                                "192.0.2.0/28", "any"])
network = st.one_of(good_network, good_network, good_network, bad_address)
features = st.dictionaries(st.sampled_from(FEATURES + ["citrix_nonsense"]),
                           st.one_of(st.booleans(), st.sampled_from(["yes", 1, None])), max_size=3)
good_features = st.dictionaries(st.sampled_from(FEATURES), st.booleans(), max_size=4)
COMMON_GROUPS = ["broker", "vda", "storefront", "gateway", "sql", "session_host", "halb", "web_access"]


@st.composite
def inventories(draw):
    count = draw(st.integers(min_value=2, max_value=10))
    product = draw(st.sampled_from([*PRODUCTS, *PRODUCTS, None, "vmware"]))
    hosts = []
    for number in range(count):
        groups = tuple(sorted(set(draw(st.lists(st.sampled_from(COMMON_GROUPS * 3 + GROUPS + TYPO_GROUPS),
                                                min_size=1, max_size=2)))))
        addresses = draw(st.one_of(address, address, st.lists(address, min_size=1, max_size=2)))
        ansible_host = draw(st.one_of(good_ipv4, good_ipv4, st.none(), st.sampled_from(["vda.invalid", "10.0.0.300"])))
        hosts.append(HostInput(
            name=f"h{number}", groups=groups,
            product=draw(st.sampled_from([product] * 6 + [None, *PRODUCTS])),
            address=addresses, ansible_host=ansible_host,
            features=draw(st.one_of(st.none(), st.none(), good_features, features)),
        ))
    endpoints = draw(st.dictionaries(st.sampled_from(ENDPOINT_COMPONENTS),
                                     st.lists(network, min_size=1, max_size=2), max_size=4))
    symbolic = draw(st.dictionaries(st.sampled_from(["dynamic_rpc", "sql_dynamic_port"]),
                                    st.sampled_from(["49152-65535", "50000", "50000-50100", "0", "", "rpc", 1433]),
                                    max_size=1))
    return hosts, endpoints, symbolic


def no_dns(name):
    raise OSError(f"{name}: no DNS in this test")


def _covered(inner: str, outer_cidrs) -> bool:
    network = ipaddress.ip_network(inner)
    return any(network.version == outer.version and network.subnet_of(outer) for outer in outer_cidrs)


def _ports_in_range(texts) -> bool:
    for text in texts:
        start, _separator, end = str(text).partition("-")
        if not (1 <= int(start) <= int(end or start) <= 65535):
            return False
    return True


@st.composite
def sites(draw):
    """Well-formed deployments of one product: they must always plan."""
    product = draw(st.sampled_from(PRODUCTS))
    groups = sorted(CATALOG.group_maps[product])
    count = draw(st.integers(min_value=2, max_value=12))
    hosts = []
    for number in range(count):
        hosts.append(HostInput(
            name=f"h{number}", groups=tuple(sorted(set(draw(st.lists(st.sampled_from(groups), min_size=1, max_size=2))))),
            product=product,
            address=draw(st.one_of(good_ipv4, good_ipv6, st.lists(st.one_of(good_ipv4, good_ipv6), min_size=1, max_size=2))),
            features=draw(st.one_of(st.none(), good_features)),
        ))
    endpoints = draw(st.dictionaries(st.sampled_from(ENDPOINT_COMPONENTS), st.lists(good_network, min_size=1, max_size=2),
                                     max_size=5))
    return hosts, endpoints, {}


def check_invariants(topology, plans):
    flows = {flow.id for flow in CATALOG.flows}
    for host, plan in plans.items():
        own = [ipaddress.ip_network(cidr) for cidr in topology.host_addresses[host]]
        for rule in plan["rules"]:
            assert rule["flows"] and set(rule["flows"]) <= flows, rule
            peers = [ipaddress.ip_network(cidr) for peer in rule["peers"] for cidr in topology.peer_cidrs(peer)]
            for cidr in rule["remote_addresses"]:
                assert _covered(cidr, peers), (host, rule["name"], cidr)
                # no host its own remote: no rule names the host's own address (networks of endpoints around
                # it, such as user devices or 'any', name no host and stay whole)
                assert ipaddress.ip_network(cidr) not in own, (host, rule["name"], cidr)
            assert _ports_in_range(rule["local_ports"]) and _ports_in_range(rule["remote_ports"]), rule


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(sites())
def test_well_formed_sites_always_plan_and_keep_the_invariants(site):
    hosts, endpoints, symbolic = site
    topology = build_topology(CATALOG, hosts, endpoints=endpoints, symbolic_ports=symbolic, resolver=no_dns)
    plans = plan_hosts(topology)
    assert set(plans) == set(topology.host_components)
    check_invariants(topology, plans)


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(inventories())
def test_any_inventory_plans_or_fails_naming_its_culprit(inventory):
    hosts, endpoints, symbolic = inventory
    try:
        topology = build_topology(CATALOG, hosts, endpoints=endpoints, symbolic_ports=symbolic, resolver=no_dns)
        plans = plan_hosts(topology)
    except VdiFirewallError as exc:
        message = str(exc)
        assert any(f"'{host.name}'" in message for host in hosts) or "vdi_firewall_" in message, message
        assert "_Ansible" not in message and "Traceback" not in message
        return
    check_invariants(topology, plans)
