# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner: topology from inventory, least-privilege rules per host, and bad input."""

from __future__ import annotations

import pytest

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import build_catalog, load_catalog
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import (
    HostInput,
    build_topology,
    deployment_flows,
    plan_host,
    plan_hosts,
)
from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import PortRange, merge_ports
from tests.catalog_dirs import shipped_tables

DOC = "003_test.txt"
REF = [{"document": DOC, "section": "CVAD"}]


def flow(flow_id, source, destination, protocols, ports=None, feature=None):
    """A catalog flow entry."""
    entry = {"id": flow_id, "from": source, "to": destination, "protocols": protocols, "description": flow_id,
             "section": "CVAD", "references": REF}
    if ports is not None:
        entry["ports"] = ports
    if feature:
        entry["feature"] = feature
    return entry


@pytest.fixture(name="catalog")
def fixture_catalog():
    infrastructure = {
        "product": "infrastructure",
        "shared": True,
        "components": {"user_device": {"name": "User device"}, "sql_server": {"name": "SQL Server"},
                       "localhost": {"name": "Loopback", "loopback": True}, "internet": {"name": "Internet"}},
        "symbolic_ports": {"dynamic_rpc": {"description": "RPC", "default": "49152-65535"}},
    }
    citrix = {
        "product": "citrix",
        "documents": {DOC: {"title": "Ports", "language": "en"}},
        "components": {
            "citrix_delivery_controller": {"name": "Delivery Controller"},
            "citrix_vda": {"name": "VDA"},
            "citrix_storefront": {"name": "StoreFront"},
            "citrix_gateway": {"name": "Gateway"},
            "citrix_adc_nsip": {"name": "NSIP"},
            "citrix_adc_snip": {"name": "SNIP"},
        },
        "features": {"citrix_edt": {"description": "EDT", "default": True},
                     "citrix_cloud": {"description": "Cloud", "default": False}},
        "flows": [
            flow("f_sf_ddc", "citrix_storefront", "citrix_delivery_controller", ["tcp"], [80, 443]),
            flow("f_vda_ddc", "citrix_vda", "citrix_delivery_controller", ["tcp"], [80]),
            flow("f_ddc_vda", "citrix_delivery_controller", "citrix_vda", ["tcp"], [80]),
            flow("f_ddc_ddc", "citrix_delivery_controller", "citrix_delivery_controller", ["tcp"], [80, 89]),
            flow("f_ddc_sql", "citrix_delivery_controller", "sql_server", ["tcp"], [1433, 1434]),
            flow("f_ica", "user_device", "citrix_vda", ["tcp"], [1494, 2598]),
            flow("f_edt", "user_device", "citrix_vda", ["udp"], [1494, 2598], feature="citrix_edt"),
            flow("f_rpc", "citrix_vda", "citrix_delivery_controller", ["tcp"], [135, "dynamic_rpc"]),
            flow("f_ping", "citrix_delivery_controller", "citrix_vda", ["icmp"]),
            flow("f_local", "citrix_vda", "localhost", ["tcp"], [9001]),
            flow("f_cloud", "citrix_delivery_controller", "internet", ["tcp"], [443], feature="citrix_cloud"),
            flow("f_sf_sf", "citrix_storefront", "citrix_storefront", ["tcp"], [808]),
            flow("f_ddc_sf_adj", "citrix_storefront", "citrix_delivery_controller", ["tcp"], [444, "440-442"]),
        ],
    }
    known = set(infrastructure["components"]) | set(citrix["components"])
    citrix.update(shipped_tables("citrix", known))
    infrastructure.update(shipped_tables("infrastructure", known))
    return build_catalog([("infrastructure.yml", infrastructure), ("citrix.yml", citrix)])


def hosts_site():
    """A small Citrix site."""
    return [
        HostInput("ddc1", groups=("broker",), product="citrix", ansible_host="10.0.1.11"),
        HostInput("ddc2", groups=("broker",), product="citrix", ansible_host="10.0.1.12"),
        HostInput("sf1", groups=("storefront",), product="citrix", ansible_host="10.0.2.21"),
        HostInput("vda1", groups=("vda",), product="citrix", ansible_host="10.0.3.10"),
        HostInput("vda2", groups=("vda",), product="citrix", ansible_host="10.0.3.11"),
        HostInput("vda3", groups=("vda",), product="citrix", address=["10.0.3.12", "fd00::3:12"]),
        HostInput("sql1", groups=("sql_server",), ansible_host="10.0.4.10"),
        HostInput("controller", groups=("ungrouped_tools",), ansible_host="localhost"),
    ]


def rules_by_name(plan):
    return {rule["name"]: rule for rule in plan["rules"]}


def test_inbound_and_outbound_rules_with_merged_ports_and_addresses(catalog):
    topology = build_topology(catalog, hosts_site(), endpoints={"user_device": ["192.168.0.0/24"]})
    ddc1 = rules_by_name(plan_host(topology, "ddc1"))
    from_sf = ddc1["vdi-in-tcp-citrix_storefront"]
    assert from_sf["local_ports"] == ["80", "440-444"]
    assert from_sf["remote_ports"] == []
    assert from_sf["remote_addresses"] == ["10.0.2.21/32"]
    assert from_sf["flows"] == ["f_ddc_sf_adj", "f_sf_ddc"]
    from_vda = ddc1["vdi-in-tcp-citrix_vda"]
    assert from_vda["local_ports"] == ["80", "135", "49152-65535"]
    assert from_vda["remote_addresses"] == ["10.0.3.10/31", "10.0.3.12/32", "fd00::3:12/128"]
    to_sql = ddc1["vdi-out-tcp-sql_server"]
    assert to_sql["remote_ports"] == ["1433-1434"] and to_sql["local_ports"] == []
    assert to_sql["remote_addresses"] == ["10.0.4.10/32"]
    assert ddc1["vdi-out-icmp-citrix_vda"]["remote_ports"] == []


def test_peer_of_the_same_component_excludes_the_host_itself(catalog):
    topology = build_topology(catalog, hosts_site())
    ddc1 = rules_by_name(plan_host(topology, "ddc1"))
    assert ddc1["vdi-in-tcp-citrix_delivery_controller"]["remote_addresses"] == ["10.0.1.12/32"]
    assert ddc1["vdi-out-tcp-citrix_delivery_controller"]["remote_addresses"] == ["10.0.1.12/32"]
    # the only StoreFront server has no other StoreFront to talk to: no rule, nothing unresolved
    sf1 = plan_host(topology, "sf1")
    assert not [rule for rule in sf1["rules"] if "citrix_storefront" in rule["peers"]]
    assert not [item for item in sf1["unresolved"] if item["flow"] == "f_sf_sf"]


def test_the_topology_caches_are_independent_of_the_order_they_are_asked_in(catalog):
    fresh = plan_hosts(build_topology(catalog, hosts_site()))
    topology = build_topology(catalog, hosts_site())
    assert topology.flows_by_id()["f_ica"].destination == "citrix_vda"
    assert topology.flow_destinations()["f_ica"] == "citrix_vda"
    assert "citrix_vda" in topology.peer_sources()
    assert plan_hosts(topology) == fresh


def test_loopback_flows_are_never_rules(catalog):
    topology = build_topology(catalog, hosts_site(), endpoints={"user_device": ["192.168.0.0/24"]})
    vda = plan_host(topology, "vda1")
    assert all("f_local" not in rule["flows"] for rule in vda["rules"])
    assert all(item["flow"] != "f_local" for item in vda["unresolved"])


def test_peer_without_hosts_or_endpoint_is_unresolved_and_strict_fails(catalog):
    topology = build_topology(catalog, hosts_site())
    vda = plan_host(topology, "vda1")
    assert {(item["flow"], item["peer"]) for item in vda["unresolved"]} == {("f_ica", "user_device"), ("f_edt", "user_device")}
    with pytest.raises(VdiFirewallError, match=r"host 'vda1': vdi_firewall_strict is on and 2 flow\(s\) have no peer.*f_ica"):
        plan_host(topology, "vda1", strict=True)


def test_features_switch_flows_over_their_defaults(catalog):
    hosts = hosts_site()
    topology = build_topology(catalog, hosts, endpoints={"user_device": ["192.168.0.0/24"], "internet": "any"})
    vda = rules_by_name(plan_host(topology, "vda1"))
    assert "vdi-in-udp-user_device" in vda  # citrix_edt defaults to on
    assert "vdi-out-tcp-internet" not in rules_by_name(plan_host(topology, "ddc1"))  # citrix_cloud defaults to off
    hosts[3].features = {"citrix_edt": False}
    hosts[0].features = {"citrix_cloud": True}
    topology = build_topology(catalog, hosts, endpoints={"user_device": ["192.168.0.0/24"], "internet": "any"})
    assert "vdi-in-udp-user_device" not in rules_by_name(plan_host(topology, "vda1"))
    assert "vdi-in-udp-user_device" in rules_by_name(plan_host(topology, "vda2"))
    to_internet = rules_by_name(plan_host(topology, "ddc1"))["vdi-out-tcp-internet"]
    assert to_internet["remote_addresses"] == ["0.0.0.0/0", "::/0"]


def test_components_from_groups_vars_and_group_map(catalog):
    hosts = [
        HostInput("adc1", groups=("gateway",), product="citrix", ansible_host="10.0.5.1"),
        HostInput("box", groups=("web",), product="citrix", ansible_host="10.0.5.2", components=["citrix_vda"]),
        HostInput("sf9", groups=("frontends",), product="citrix", ansible_host="10.0.5.3"),
    ]
    topology = build_topology(catalog, hosts, group_map={"frontends": ["citrix_storefront"]})
    assert topology.host_components["adc1"] == ("citrix_adc_nsip", "citrix_adc_snip", "citrix_gateway")
    assert topology.host_components["box"] == ("citrix_vda",)
    assert topology.host_components["sf9"] == ("citrix_storefront",)


def test_hosts_without_components_are_not_planned(catalog):
    topology = build_topology(catalog, hosts_site())
    plans = plan_hosts(topology)
    assert "controller" not in plans
    assert set(plans) == {"ddc1", "ddc2", "sf1", "vda1", "vda2", "vda3", "sql1"}


def test_slices_plan_their_hosts_with_the_whole_inventory(catalog):
    topology = build_topology(catalog, hosts_site())
    whole = plan_hosts(topology)
    sliced = {}
    for part in (["ddc1", "vda1", "sql1"], ["ddc2", "sf1", "vda2", "vda3", "controller"]):
        sliced.update(plan_hosts(build_topology(catalog, hosts_site()), part))
    assert sliced == whole


def test_plan_is_deterministic_whatever_the_host_order(catalog):
    forward = plan_hosts(build_topology(catalog, hosts_site()))
    backward = plan_hosts(build_topology(catalog, list(reversed(hosts_site()))))
    assert forward == backward


def test_symbolic_ports_can_be_overridden(catalog):
    topology = build_topology(catalog, hosts_site(), symbolic_ports={"dynamic_rpc": "50000-50100"})
    assert rules_by_name(plan_host(topology, "ddc1"))["vdi-in-tcp-citrix_vda"]["local_ports"] == ["80", "135", "50000-50100"]


def test_deployment_flows_list_real_peers(catalog):
    topology = build_topology(catalog, hosts_site())
    rows = deployment_flows(topology, plan_hosts(topology))
    sql = [row for row in rows if row["flow_id"] == "f_ddc_sql"]
    assert sql == [{
        "flow_id": "f_ddc_sql", "source": "citrix_delivery_controller", "source_hosts": "ddc1 ddc2",
        "source_addresses": "10.0.1.11/32 10.0.1.12/32", "destination": "sql_server", "destination_hosts": "sql1",
        "destination_addresses": "10.0.4.10/32", "protocol": "tcp", "ports": "1433,1434", "feature": "",
        "description": "f_ddc_sql", "reference": "003_test.txt § CVAD", "layer": "document", "reason": "",
    }]


@pytest.mark.parametrize(
    ("ranges", "expected"),
    [
        ([(80, 80), (443, 443), (81, 81)], ["80-81", "443"]),
        ([(1000, 2000), (1500, 2500), (2501, 2501)], ["1000-2501"]),
        ([(5, 5), (5, 5)], ["5"]),
        ([], []),
    ],
)
def test_merge_ports(ranges, expected):
    assert [str(item) for item in merge_ports(PortRange(a, b) for a, b in ranges)] == expected


@pytest.mark.parametrize(
    ("hosts", "kwargs", "message"),
    [
        ([HostInput("h1", groups=("vda",), product="citrix", ansible_host="vda1.example.com")], {"resolve_names": False},
         r"host 'h1': ansible_host 'vda1.example.com' is a name and vdi_firewall_resolve_names is off"),
        ([HostInput("h1", groups=("vda",), product="citrix")], {}, r"host 'h1' has no usable address"),
        ([HostInput("h1", groups=("vda",), product="citrix", address="10.0.0.300")], {},
         r"host 'h1': vdi_firewall_address: '10.0.0.300' is not an IP address"),
        ([HostInput("h1", groups=("vda",), product="vmware", ansible_host="10.0.0.1")], {},
         r"host 'h1': vdi_firewall_product 'vmware' is not one of citrix\b"),
        ([HostInput("h1", groups=("vda",), ansible_host="10.0.0.1")], {},
         r"host 'h1' is in group 'vda', whose components depend on the product: set vdi_firewall_product"),
        ([HostInput("h1", product="citrix", components=["citrix_vdaa"], ansible_host="10.0.0.1")], {},
         r"host 'h1': vdi_firewall_components: unknown component 'citrix_vdaa'"),
        ([HostInput("h1", groups=("vda",), product="citrix", ansible_host="10.0.0.1", features={"citrix_edtt": True})], {},
         r"host 'h1': vdi_firewall_features: unknown feature 'citrix_edtt'"),
        ([HostInput("h1", groups=("vda",), product="citrix", ansible_host="10.0.0.1", features={"citrix_edt": "yes"})], {},
         r"host 'h1': vdi_firewall_features\['citrix_edt'\] must be true or false"),
        ([], {"group_map": {"web": ["citrix_webserver"]}}, r"vdi_firewall_group_map\['web'\]: unknown component 'citrix_webserver'"),
        ([], {"group_map": ["web"]}, r"vdi_firewall_group_map must be a mapping"),
        ([], {"endpoints": {"user_device": ["10.0.0.0/33"]}},
         r"vdi_firewall_endpoints\['user_device'\]: '10.0.0.0/33' is not an IP address or CIDR"),
        ([], {"endpoints": {"users": ["10.0.0.0/8"]}}, r"vdi_firewall_endpoints\['users'\]: unknown component 'users'"),
        ([], {"endpoints": {"user_device": 42}}, r"vdi_firewall_endpoints\['user_device'\]: expected a string or a list"),
        ([], {"symbolic_ports": {"dynamic_rpc": "70000"}}, r"vdi_firewall_symbolic_ports\['dynamic_rpc'\]: '70000' is not a port number"),
        ([], {"symbolic_ports": {"rpc": "1000"}}, r"vdi_firewall_symbolic_ports: unknown symbolic port 'rpc'"),
    ],
)
def test_bad_input_names_the_host_or_variable(catalog, hosts, kwargs, message):
    with pytest.raises(VdiFirewallError, match=message):
        build_topology(catalog, hosts, **kwargs)


def test_default_group_map_names_only_known_components():
    catalog = load_catalog()
    assert set(catalog.group_maps) == set(catalog.products)
    for product, groups in catalog.group_maps.items():
        for group, components in groups.items():
            for component in components:
                assert component in catalog.components, f"{product}/{group}: {component}"
    for product in ("citrix", "parallels_ras", "microsoft_rds"):
        for group in ("broker", "gateway", "vda"):
            assert group in catalog.group_maps[product]
    assert catalog.group_maps["citrix"]["broker"] == ("citrix_delivery_controller",)
    assert catalog.group_maps["parallels_ras"]["broker"] == ("ras_connection_broker",)
    assert catalog.group_maps["microsoft_rds"]["broker"] == ("rds_connection_broker",)
