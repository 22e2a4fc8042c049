# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Journeys: the shipped data, the loader's errors, and the check of every hop against the plans."""

from __future__ import annotations

import copy
import io
import ipaddress
import json
import random

import pytest
from netaddr import IPSet
from openpyxl import load_workbook

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import PRODUCTS, build_catalog, load_catalog
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils import _journeys as journeys_module
from ansible_collections.vdi.firewall.plugins.plugin_utils._journeys import (
    BROKEN,
    COMPLETE,
    DESTINATION_END,
    NOT_APPLICABLE,
    SOURCE_END,
    build_journeys,
    check_journeys,
    journeys_by_host,
    load_journeys,
    strict_failure,
    summarise_journeys,
    summarise_verified,
    verify_journeys,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import (
    HostInput,
    build_topology,
    deployment_flows,
    plan_hosts,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.files import plan_files, report_files
from tests.catalog_dirs import shipped_tables

DOC = "003_test.txt"
REF = [{"document": DOC, "section": "CVAD"}]
PATH = "vars/journeys/citrix.yml"


def flow(flow_id, source, destination, protocols, ports=None, feature=None):
    entry = {"id": flow_id, "from": source, "to": destination, "protocols": protocols, "description": flow_id,
             "section": "CVAD", "references": REF}
    if ports is not None:
        entry["ports"] = ports
    if feature:
        entry["feature"] = feature
    return entry


FLOWS = [
    flow("f_user_sf", "user_device", "citrix_storefront", ["tcp"], [80, 443]),
    flow("f_sf_ddc", "citrix_storefront", "citrix_delivery_controller", ["tcp"], [80, 443]),
    flow("f_ica", "user_device", "citrix_vda", ["tcp"], [1494, 2598]),
    flow("f_edt", "user_device", "citrix_vda", ["udp"], [1494, 2598], feature="citrix_edt"),
    flow("f_vda_ddc", "citrix_vda", "citrix_delivery_controller", ["tcp"], [80]),
    flow("f_ddc_vda", "citrix_delivery_controller", "citrix_vda", ["tcp"], [80]),
    flow("f_ddc_dc", "citrix_delivery_controller", "domain_controller", ["tcp"], [88, 389]),
    flow("f_sf_dc", "citrix_storefront", "domain_controller", ["tcp"], [389]),
]


def make_catalog(flows=None):
    infrastructure = {
        "product": "infrastructure",
        "shared": True,
        "components": {"user_device": {"name": "User device"}, "domain_controller": {"name": "Domain controller"},
                       "admin_workstation": {"name": "Admin workstation"}},
        "symbolic_ports": {"dynamic_rpc": {"description": "RPC", "default": "49152-65535"}},
    }
    citrix = {
        "product": "citrix",
        "documents": {DOC: {"title": "Ports", "language": "en"}},
        "components": {
            "citrix_delivery_controller": {"name": "Delivery Controller"},
            "citrix_vda": {"name": "VDA"},
            "citrix_storefront": {"name": "StoreFront"},
            "citrix_director": {"name": "Director"},
        },
        "features": {"citrix_edt": {"description": "EDT", "default": True},
                     "citrix_cloud": {"description": "Cloud", "default": False}},
        "flows": copy.deepcopy(FLOWS if flows is None else flows),
    }
    known = set(infrastructure["components"]) | set(citrix["components"])
    citrix.update(shipped_tables("citrix", known))
    infrastructure.update(shipped_tables("infrastructure", known))
    return build_catalog([("infrastructure.yml", infrastructure), ("citrix.yml", citrix)])


def hop(source, destination, protocol, ports, **extra):
    return dict({"from": source, "to": destination, "protocol": protocol, "ports": ports,
                 "description": f"{source} to {destination}", "references": ["vendor"]}, **extra)


def journeys_data():
    return {
        "product": "citrix",
        "references": {"vendor": {"title": "Vendor architecture", "url": "https://example.com/architecture"}},
        "journeys": [
            {"id": "internal_user", "title": "Internal user", "description": "User, StoreFront, VDA",
             "hops": [hop("user_device", "citrix_storefront", "tcp", [443, 80], match="any"),
                      hop("citrix_storefront", "citrix_delivery_controller", "tcp", [443, 80], match="any"),
                      hop("user_device", "citrix_vda", "tcp", [1494, 2598]),
                      hop("user_device", "citrix_vda", "udp", [1494, 2598], feature="citrix_edt")]},
            {"id": "registration", "title": "VDA registration", "description": "VDA and Controller",
             "hops": [hop("citrix_vda", "citrix_delivery_controller", "tcp", [80]),
                      hop("citrix_delivery_controller", "citrix_vda", "tcp", [80])]},
            {"id": "director", "title": "Director", "description": "Director to the Controller",
             "hops": [hop("citrix_director", "citrix_delivery_controller", "tcp", [443])]},
            {"id": "cloud_only", "title": "Cloud", "description": "Only with the cloud feature", "feature": "citrix_cloud",
             "hops": [hop("citrix_delivery_controller", "domain_controller", "tcp", [88])]},
        ],
    }


def site(**features):
    return [
        HostInput("ddc1", groups=("broker",), product="citrix", ansible_host="10.0.1.11", features=features or None),
        HostInput("ddc2", groups=("broker",), product="citrix", ansible_host="10.0.1.12", features=features or None),
        HostInput("sf1", groups=("storefront",), product="citrix", ansible_host="10.0.2.21", features=features or None),
        HostInput("vda1", groups=("vda",), product="citrix", ansible_host="10.0.3.10", features=features or None),
        HostInput("vda2", groups=("vda",), product="citrix", address=["10.0.3.11", "fd00::3:11"],
                  features=features or None),
    ]


ENDPOINTS = {"user_device": ["192.0.2.0/24"], "domain_controller": ["10.0.9.10"]}


def check(flows=None, hosts=None, data=None, endpoints=None, plans=None, **kwargs):
    catalog = make_catalog(flows)
    topology = build_topology(catalog, hosts or site(), endpoints=ENDPOINTS if endpoints is None else endpoints)
    plans = plan_hosts(topology) if plans is None else plans(copy.deepcopy(plan_hosts(topology)))
    journeys = build_journeys([(PATH, data or journeys_data())], catalog)
    return {item["id"]: item for item in check_journeys(topology, plans, journeys, **kwargs)}


# ------------------------------------------------------------------------------------------- shipped data

def test_every_product_ships_journeys_that_validate_against_the_catalog():
    catalog = load_catalog()
    journeys = load_journeys(catalog)
    assert {journey.product for journey in journeys.journeys} == set(PRODUCTS)
    for journey in journeys.journeys:
        assert journey.hops and journey.title and journey.description, journey.id
        for item in journey.hops:
            assert item.references, (journey.id, item)
            for reference in item.references:
                assert journeys.references[reference]["url"].startswith("https://"), reference


def test_shipped_journeys_cover_the_products_paths():
    ids = {journey.id for journey in load_journeys(load_catalog()).journeys}
    assert {"citrix_external_user_gateway", "citrix_internal_user", "citrix_vda_registration", "citrix_licensing",
            "citrix_site_database", "citrix_director_admin", "citrix_studio_admin"} <= ids
    assert {"ras_user_halb_gateway_mode", "ras_user_halb_gateway_ssl_mode", "ras_user_direct_mode",
            "ras_rdsh_agent_broker", "ras_console_admin"} <= ids
    assert {"rds_external_user_gateway", "rds_web_access", "rds_brokering", "rds_licensing"} <= ids


def test_the_gateway_journey_starts_at_the_user_facing_virtual_server():
    journeys = {journey.id: journey for journey in load_journeys(load_catalog()).journeys}
    first, second = journeys["citrix_external_user_gateway"].hops[:2]
    assert (first.source, first.destination, first.protocol, first.ports) == ("user_device", "citrix_gateway", "tcp", (443,))
    assert (second.protocol, second.ports, second.feature) == ("udp", (443,), "citrix_edt")


# ------------------------------------------------------------------------------------------- loader errors

@pytest.mark.parametrize("change, message", [
    (lambda data: data["journeys"][0]["hops"][0].update({"to": "citrix_storefrnt"}),
     "journey 'internal_user' (entry 1): hop 1 (user_device -> citrix_storefrnt): unknown component 'citrix_storefrnt'"),
    (lambda data: data["journeys"][1]["hops"][1].update({"ports": [70000]}),
     "journey 'registration' (entry 2): hop 2 (citrix_delivery_controller -> citrix_vda): port: '70000' is not a port number (1-65535)"),
    (lambda data: data["journeys"][1]["hops"][0].update({"ports": ["http"]}),
     "hop 1 (citrix_vda -> citrix_delivery_controller): port 'http' is neither a number"),
    (lambda data: data["journeys"][1]["hops"][0].update({"ports": ["90-80"]}), "port: '90-80' is outside 1-65535 or reversed"),
    (lambda data: data["journeys"][1]["hops"][0].update({"ports": []}), "tcp needs 'ports'"),
    (lambda data: data["journeys"][0]["hops"][2].pop("references"),
     "journey 'internal_user' (entry 1): hop 3 (user_device -> citrix_vda): needs 'references'"),
    (lambda data: data["journeys"][0]["hops"][2].update({"references": ["ctx000000"]}),
     "hop 3 (user_device -> citrix_vda): reference 'ctx000000' is missing from the file's 'references'"),
    (lambda data: data["references"]["vendor"].pop("url"), "reference 'vendor': 'url' must be an http(s) address"),
    (lambda data: data["journeys"][0]["hops"][3].update({"feature": "citrix_edtt"}), "unknown feature 'citrix_edtt'"),
    (lambda data: data["journeys"][0]["hops"][0].update({"match": "some"}), "'match' must be 'all' or 'any'"),
    (lambda data: data["journeys"][0]["hops"][0].update({"protocol": "sctp"}), "unknown protocol 'sctp'"),
    (lambda data: data["journeys"][0]["hops"][0].update({"via": "x"}), "unknown key(s) via"),
    (lambda data: data["journeys"][1].update({"id": "internal_user"}), "journey 'internal_user' (entry 2): duplicate id"),
    (lambda data: data["journeys"][1].pop("title"), "journey 'registration' (entry 2): 'title' is required"),
    (lambda data: data["journeys"][1].update({"product": "parallels_ras"}), "differs from the file's product 'citrix'"),
    (lambda data: data.update({"product": "vmware"}), "product 'vmware' is not one of"),
])
def test_bad_journey_data_is_refused_naming_file_and_entry(change, message):
    data = journeys_data()
    change(data)
    with pytest.raises(VdiFirewallError) as error:
        build_journeys([(PATH, data)], make_catalog())
    assert message in str(error.value)
    assert str(error.value).startswith(PATH)


def test_journeys_directory_is_read_and_bad_yaml_named(tmp_path):
    catalog = make_catalog()
    (tmp_path / "citrix.yml").write_text("product: citrix\njourneys: [\n")
    with pytest.raises(VdiFirewallError, match="citrix.yml: cannot be read as YAML"):
        load_journeys(catalog, str(tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(VdiFirewallError, match="holds no .yml file"):
        load_journeys(catalog, str(empty))


# ------------------------------------------------------------------------------------------- the check

def test_a_journey_whose_flows_are_planned_is_complete():
    results = check()
    internal = results["internal_user"]
    assert internal["status"] == COMPLETE and internal["reason"] is None and internal["first_missing"] is None
    assert [item["status"] for item in internal["hops"]] == ["open", "open", "open", "open"]
    assert internal["hops"][0]["sources"] == ["endpoint:user_device"]
    assert internal["hops"][2]["destinations"] == ["vda1", "vda2"]
    assert internal["hosts"] == ["ddc1", "ddc2", "sf1", "vda1", "vda2"]
    assert results["registration"]["status"] == COMPLETE


def test_removing_a_hops_flow_breaks_the_journey_naming_the_hop_and_both_ends():
    flows = [item for item in FLOWS if item["id"] != "f_sf_ddc"]
    internal = check(flows)["internal_user"]
    assert internal["status"] == BROKEN
    assert internal["first_missing"]["hop"] == 2
    first = internal["first_missing"]
    assert (first["from"], first["to"]) == ("citrix_storefront", "citrix_delivery_controller")
    assert internal["first_missing"]["ends"] == [SOURCE_END, DESTINATION_END]
    assert internal["first_missing"]["hosts"] == ["sf1", "ddc1", "ddc2"]
    assert internal["reason"].startswith("hop 2 citrix_storefront -> citrix_delivery_controller tcp/443|80: not open at")
    missing = internal["hops"][1]["missing"]
    assert missing[0] == {"end": SOURCE_END, "host": "sf1", "ports": ["443"],
                          "addresses": ["10.0.1.11/32", "10.0.1.12/32"]}
    assert {item["host"] for item in missing if item["end"] == DESTINATION_END} == {"ddc1", "ddc2"}
    # the hops after the first missing one are still checked and shown
    assert [item["status"] for item in internal["hops"]] == ["open", "missing", "open", "open"]


def test_a_flow_from_an_endpoint_is_missing_at_the_destination_host_only():
    flows = [item for item in FLOWS if item["id"] != "f_user_sf"]
    internal = check(flows)["internal_user"]
    assert internal["first_missing"]["hop"] == 1 and internal["first_missing"]["ends"] == [DESTINATION_END]
    assert internal["hops"][0]["missing"] == [{"end": DESTINATION_END, "host": "sf1", "ports": ["443"],
                                               "addresses": ["192.0.2.0/24"]}]


def test_every_port_of_a_hop_must_be_covered():
    flows = [item for item in FLOWS if item["id"] != "f_ica"] + [
        flow("f_ica_only", "user_device", "citrix_vda", ["tcp"], [1494])]
    internal = check(flows)["internal_user"]
    assert internal["first_missing"]["hop"] == 3
    assert {tuple(item["ports"]) for item in internal["hops"][2]["missing"]} == {("2598",)}


def test_one_open_port_is_enough_for_a_hop_that_matches_any():
    flows = [item for item in FLOWS if item["id"] != "f_user_sf"] + [
        flow("f_user_sf_http", "user_device", "citrix_storefront", ["tcp"], [80])]
    assert check(flows)["internal_user"]["status"] == COMPLETE


def test_an_address_the_rules_leave_out_breaks_the_hop():
    def narrow(plans):
        plans["vda1"]["rules"] = [
            dict(rule, remote_addresses=["192.0.2.0/25"])
            if rule["direction"] == "in" and rule["protocol"] == "tcp" and "user_device" in rule["peers"] else rule
            for rule in plans["vda1"]["rules"]]
        return plans

    internal = check(plans=narrow)["internal_user"]
    assert internal["status"] == BROKEN
    assert internal["hops"][2]["missing"] == [{"end": DESTINATION_END, "host": "vda1", "ports": ["1494", "2598"],
                                               "addresses": ["192.0.2.128/25"]}]


def test_a_host_without_outbound_rules_does_not_restrict_egress():
    flows = [item for item in FLOWS if item["id"] != "f_sf_ddc"] + [
        {**flow("f_in_only", "citrix_storefront", "citrix_delivery_controller", ["tcp"], [443])}]

    def inbound_only(plans):
        plans["sf1"]["rules"] = [rule for rule in plans["sf1"]["rules"] if rule["direction"] == "in"]
        return plans

    assert check(flows, plans=inbound_only)["internal_user"]["status"] == COMPLETE

    def no_outbound_to_ddc(plans):
        plans["sf1"]["rules"] = [rule for rule in plans["sf1"]["rules"]
                                 if rule["direction"] == "in" or "citrix_delivery_controller" not in rule["peers"]]
        return plans

    # the host still restricts egress (it has other outbound rules): its end of the hop is closed
    internal = check(flows, plans=no_outbound_to_ddc)["internal_user"]
    assert internal["first_missing"]["ends"] == [SOURCE_END] and internal["first_missing"]["hosts"] == ["sf1"]


def test_a_hop_whose_feature_is_off_is_not_required():
    flows = [item for item in FLOWS if item["id"] != "f_edt"]
    assert check(flows)["internal_user"]["status"] == BROKEN  # EDT is on by default
    internal = check(flows, hosts=site(citrix_edt=False))["internal_user"]
    assert internal["status"] == COMPLETE
    assert internal["hops"][3]["status"] == "off"


def test_journeys_without_their_components_or_feature_are_not_applicable():
    results = check()
    assert results["director"]["status"] == NOT_APPLICABLE
    assert results["director"]["reason"] == "no host or endpoint for citrix_director"
    assert results["director"]["hops"][0]["status"] == NOT_APPLICABLE
    assert results["cloud_only"]["status"] == NOT_APPLICABLE
    assert results["cloud_only"]["reason"] == "feature citrix_cloud is off"
    registration = check(hosts=[host for host in site() if host.name.startswith("vda")])["registration"]
    assert registration["reason"] == "no host or endpoint for citrix_delivery_controller"


def test_a_hop_between_components_of_one_host_is_loopback():
    hosts = [HostInput("all1", groups=("broker", "vda"), product="citrix", ansible_host="10.0.5.1")]
    registration = check(hosts=hosts, endpoints={"user_device": ["192.0.2.0/24"]})["registration"]
    assert registration["status"] == COMPLETE


def test_a_peer_host_leaves_its_own_addresses_out_and_ipv6_addresses_are_named():
    hosts = site() + [HostInput("both1", groups=("broker", "vda"), product="citrix", address=["10.0.3.12", "fd00::3:12"])]
    registration = check([item for item in FLOWS if item["id"] != "f_vda_ddc"], hosts=hosts)["registration"]
    assert registration["reason"] == ("hop 1 citrix_vda -> citrix_delivery_controller tcp/80: not open at the source host "
                                      "both1 (outbound); destination host ddc1, ddc2, both1 (inbound)")
    every_vda = ["10.0.3.10/31", "10.0.3.12/32", "fd00::3:11/128", "fd00::3:12/128"]
    assert registration["hops"][0]["missing"] == [
        # the VDAs have no outbound rule left (their egress is not restricted); both1 is a controller too
        {"end": SOURCE_END, "host": "both1", "ports": ["80"], "addresses": ["10.0.1.11/32", "10.0.1.12/32"]},
        {"end": DESTINATION_END, "host": "ddc1", "ports": ["80"], "addresses": every_vda},
        {"end": DESTINATION_END, "host": "ddc2", "ports": ["80"], "addresses": every_vda},
        {"end": DESTINATION_END, "host": "both1", "ports": ["80"], "addresses": ["10.0.3.10/31", "fd00::3:11/128"]}]

    def ipv4_only(plans):
        plans["ddc1"]["rules"] = [dict(rule, remote_addresses=[item for item in rule["remote_addresses"] if ":" not in item])
                                  for rule in plans["ddc1"]["rules"]]
        return plans

    hops = check(plans=ipv4_only)["registration"]["hops"]
    assert hops[0]["missing"] == [{"end": DESTINATION_END, "host": "ddc1", "ports": ["80"], "addresses": ["fd00::3:11/128"]}]
    assert hops[1]["missing"] == [{"end": SOURCE_END, "host": "ddc1", "ports": ["80"], "addresses": ["fd00::3:11/128"]}]


def test_missing_ports_are_the_pieces_no_rule_covers_and_a_portless_hop_needs_a_rule_of_its_protocol():
    data = journeys_data()
    data["journeys"][1]["hops"] = [hop("citrix_vda", "citrix_delivery_controller", "tcp", ["75-90", 443]),
                                   hop("citrix_vda", "citrix_delivery_controller", "icmp", None)]
    flows = FLOWS + [flow("f_vda_ddc_more", "citrix_vda", "citrix_delivery_controller", ["tcp"], ["82-84", 88])]
    hops = check(flows, data=data)["registration"]["hops"]
    assert {tuple(item["ports"]) for item in hops[0]["missing"]} == {("75-79", "81", "85-87", "89-90", "443")}
    assert [item["host"] for item in hops[1]["missing"]] == ["vda1", "vda2", "ddc1", "ddc2"]
    assert hops[1]["missing"][2] == {"end": DESTINATION_END, "host": "ddc1", "ports": [],
                                     "addresses": ["10.0.3.10/31", "fd00::3:11/128"]}


def test_the_address_arithmetic_gives_the_cidrs_netaddr_gives():
    rng = random.Random(5)

    def cidrs() -> list[str]:
        texts = []
        for _number in range(rng.randint(0, 6)):
            base, bits = rng.choice([(int(ipaddress.ip_address("10.0.0.0")), 32),
                                     (int(ipaddress.ip_address("2001:db8::")), 128),
                                     (int(ipaddress.ip_address("::ffff:10.0.0.0")), 128),  # IPv4-mapped
                                     (int(ipaddress.ip_address("::10.0.0.0")), 128)])  # IPv4-compatible
            prefix = rng.randint(bits - 12, bits)
            value = (base + rng.randrange(1 << 12)) >> (bits - prefix) << (bits - prefix)
            texts.append(str(ipaddress.ip_network((value, prefix))))
        return texts

    ends = journeys_module._Ends(None, {})
    for _number in range(300):
        have, less, more = cidrs(), cidrs(), cidrs()
        ours = [ends.addresses(texts, "test") for texts in (have, less, more)]
        missing = journeys_module._left_out(ours[0], ours[1:])
        assert journeys_module._cidr_texts(missing) == [str(item) for item in (IPSet(have) - IPSet(less) - IPSet(more)).iter_cidrs()]
        union = journeys_module._union(ours)
        assert journeys_module._cidr_texts(union) == [str(item) for item in (IPSet(have) | IPSet(less) | IPSet(more)).iter_cidrs()]


def test_hosts_with_the_same_rules_are_worked_out_once(monkeypatch):
    worked_out = []

    def counted(*args):
        worked_out.append(args[1])
        return missing_pieces(*args)

    missing_pieces = journeys_module._missing_pieces
    monkeypatch.setattr(journeys_module, "_missing_pieces", counted)
    vdas = [HostInput(f"vda{number}", groups=("vda",), product="citrix", ansible_host=f"10.0.4.{number}")
            for number in range(1, 41)]
    results = check([item for item in FLOWS if item["id"] != "f_ica"], hosts=site()[:3] + vdas)
    few = len(worked_out)
    worked_out.clear()
    assert check([item for item in FLOWS if item["id"] != "f_ica"], hosts=site()[:3] + vdas[:2]).keys() == results.keys()
    assert len(worked_out) == few
    assert [item["host"] for item in results["internal_user"]["hops"][2]["missing"]] == [host.name for host in vdas]


def test_hosts_outside_the_plans_are_not_checked():
    flows = [item for item in FLOWS if item["id"] != "f_sf_ddc"]

    def only_vdas(plans):
        return {host: plan for host, plan in plans.items() if host.startswith("vda")}

    internal = check(flows, plans=only_vdas)["internal_user"]
    assert internal["status"] == COMPLETE
    assert internal["hosts"] == ["vda1", "vda2"]


def test_device_checks_add_their_missing_ends_between_the_hosts():
    seen = []

    def firewall(hop_result):
        seen.append((hop_result["from"], hop_result["to"], hop_result["protocol"], tuple(hop_result["ports"])))
        if hop_result["to"] == "citrix_vda" and hop_result["protocol"] == "udp":
            return [{"device": "fw1", "ports": hop_result["ports"], "addresses": hop_result["source_addresses"]}]
        return []

    internal = check(devices=[firewall])["internal_user"]
    assert ("user_device", "citrix_storefront", "tcp", ("443", "80")) in seen
    assert internal["status"] == BROKEN and internal["first_missing"]["hop"] == 4
    assert internal["first_missing"]["ends"] == ["device"] and internal["first_missing"]["devices"] == ["fw1"]
    assert "through" in internal["reason"] and "fw1" in internal["reason"]


def test_summary_host_view_and_strict_message():
    flows = [item for item in FLOWS if item["id"] != "f_sf_ddc"]
    results = list(check(flows).values())
    summary = summarise_journeys(results)
    assert (summary["journeys"], summary["journeys_complete"], summary["journeys_broken"],
            summary["journeys_not_applicable"]) == (4, 1, 1, 2)
    assert summary["broken_journeys"][0].startswith("internal_user (hop 2 citrix_storefront -> citrix_delivery_controller")
    by_host = journeys_by_host(results)
    sf = {item["id"]: item for item in by_host["sf1"]}
    assert sf["internal_user"]["status"] == BROKEN and sf["internal_user"]["hops"] == [1, 2]
    assert sf["internal_user"]["missing_here"] == [{"hop": 2, "end": SOURCE_END, "ports": ["443"],
                                                    "addresses": ["10.0.1.11/32", "10.0.1.12/32"]}]
    assert {item["id"]: item["status"] for item in by_host["vda1"]} == {"internal_user": BROKEN, "registration": COMPLETE}
    message = strict_failure(results)
    assert "journey 'internal_user' (Internal user) is broken: hop 2 citrix_storefront -> citrix_delivery_controller" in message
    assert strict_failure([item for item in results if item["status"] != BROKEN]) is None


def test_symbolic_ports_follow_the_runs_values():
    data = journeys_data()
    data["journeys"][1]["hops"][0]["ports"] = ["dynamic_rpc"]
    flows = FLOWS + [flow("f_rpc", "citrix_vda", "citrix_delivery_controller", ["tcp"], ["dynamic_rpc"])]
    catalog = make_catalog(flows)
    journeys = build_journeys([(PATH, data)], catalog)
    narrow = build_topology(catalog, site(), endpoints=ENDPOINTS, symbolic_ports={"dynamic_rpc": "50000-50100"})
    registration = {item["id"]: item for item in check_journeys(narrow, plan_hosts(narrow), journeys)}["registration"]
    assert registration["status"] == COMPLETE and registration["hops"][0]["ports"] == ["50000-50100"]


def test_reports_show_the_journeys_and_the_missing_hop():
    catalog = make_catalog([item for item in FLOWS if item["id"] != "f_sf_ddc"])
    topology = build_topology(catalog, site(), endpoints=ENDPOINTS)
    plans = plan_hosts(topology)
    results = check_journeys(topology, plans, build_journeys([(PATH, journeys_data())], catalog))
    rows = deployment_flows(topology, plans)

    host = json.loads(plan_files(plans, rows, results)["hosts/sf1.json"])
    assert [item["id"] for item in host["journeys"]] == ["internal_user"]
    assert "journeys" not in json.loads(plan_files(plans, rows)["hosts/sf1.json"])

    files, _notices = report_files(topology, plans, rows, journeys=results)
    html = files["report.html"]
    assert '<section id="journeys">' in html and 'href="#journeys"' in html
    assert 'id="journey-internal_user" open' in html and '<tr class="missing">' in html
    assert "hop 2 citrix_storefront -&gt; citrix_delivery_controller" in html
    assert 'href="https://example.com/architecture"' in html
    workbook = load_workbook(io.BytesIO(files["change_request.xlsx"]))
    assert workbook.sheetnames == ["Change request", "Warnings", "Journeys", "About"]
    sheet = list(workbook["Journeys"].iter_rows(values_only=True))
    assert sheet[0][:4] == ("journey", "title", "journey_status", "reason")
    broken = [row for row in sheet[1:] if row[0] == "internal_user" and row[4] == "2"]
    assert broken and broken[0][10] == "missing" and "source host sf1" in broken[0][11]
    about = dict(workbook["About"].iter_rows(values_only=True))
    assert about["journeys"].startswith("1 complete, 1 broken, 2 not applicable: internal_user (hop 2")

    plain, _notices = report_files(topology, plans, rows)
    assert 'id="journeys"' not in plain["report.html"]
    assert "Journeys" not in load_workbook(io.BytesIO(plain["change_request.xlsx"])).sheetnames


def probe(source, destination, port, passed=True, address=None):
    return {"source_host": source, "destination_host": destination, "address": address or f"10.0.0.{port % 250}",
            "protocol": "tcp", "port": port, "state": "open" if passed else "timeout", "passed": passed, "flow": "f"}


def test_verify_reports_per_journey_what_the_probes_proved():
    results = list(check().values())
    rows = [probe("sf1", "ddc1", 443), probe("sf1", "ddc1", 443), probe("sf1", "ddc2", 80, passed=False),
            probe("sf1", "ddc2", 443), probe("vda1", "ddc1", 80), probe("ddc1", "vda1", 80, passed=False),
            probe("ddc1", "vda2", 80)]
    verified = {item["id"]: item for item in verify_journeys(results, rows)}
    internal = verified["internal_user"]
    # 443 passed everywhere: a hop that matches any port is proven by it
    assert internal["status"] == COMPLETE
    assert [hop["verified"] for hop in internal["hops"]] == ["not_probed", "passed", "not_probed", "not_probed"]
    assert internal["hops"][1]["probes"] == 2
    registration = verified["registration"]
    assert registration["status"] == BROKEN
    assert registration["first_failure"] == {"hop": 2, "from": "citrix_delivery_controller", "to": "citrix_vda",
                                             "protocol": "tcp", "ports": ["80"], "plan": "open", "source_host": "ddc1",
                                             "destination_host": "vda1", "address": "10.0.0.80", "port": 80,
                                             "state": "timeout"}
    assert registration["reason"] == ("hop 2 citrix_delivery_controller -> citrix_vda tcp/80: "
                                      "ddc1 -> vda1 10.0.0.80:80 timeout")
    assert verified["director"]["status"] == NOT_APPLICABLE
    summary = summarise_verified(list(verified.values()))
    assert (summary["journeys_complete"], summary["journeys_broken"], summary["journeys_not_applicable"]) == (1, 1, 2)
    nothing = {item["id"]: item for item in verify_journeys(results, [])}
    assert nothing["internal_user"]["status"] == "not_probed"
