# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Warnings and vdi_firewall_secure_only in the planner, on a small catalog and on the real one."""

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
    summarise,
)
from tests.catalog_dirs import shipped_tables

DOC = "003_test.txt"
REF = [{"document": DOC, "section": "CVAD"}]


def flow(flow_id, source, destination, protocols, ports=None, feature=None):
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
        "components": {"user_device": {"name": "User device (client endpoint, web browser)"},
                       "domain_controller": {"name": "Active Directory domain controller"},
                       "admin_workstation": {"name": "Administrator workstation"}},
        "symbolic_ports": {"dynamic_rpc": {"description": "RPC", "default": "49152-65535"}},
    }
    citrix = {
        "product": "citrix",
        "documents": {DOC: {"title": "Ports", "language": "en"}},
        "components": {name: {"name": name} for name in (
            "citrix_delivery_controller", "citrix_vda", "citrix_storefront", "citrix_session_recording_agent",
            "citrix_session_recording_server", "citrix_adc_snip", "citrix_adc_nsip", "citrix_gateway")},
        "features": {"citrix_vda_tls": {"description": "TLS", "default": False},
                     "citrix_session_recording_http": {"description": "HTTP", "default": True}},
        "flows": [
            flow("f_sf_ddc", "citrix_storefront", "citrix_delivery_controller", ["tcp"], [80, 443]),
            flow("f_ica", "user_device", "citrix_vda", ["tcp"], [1494, 2598]),
            flow("f_ica_tls", "user_device", "citrix_vda", ["tcp"], [443], feature="citrix_vda_tls"),
            flow("f_sr_https", "citrix_session_recording_agent", "citrix_session_recording_server", ["tcp"], [443]),
            flow("f_sr_http", "citrix_session_recording_agent", "citrix_session_recording_server", ["tcp"], [80],
                 feature="citrix_session_recording_http"),
            flow("f_ldap", "citrix_adc_snip", "domain_controller", ["tcp", "udp"], [389]),
            flow("f_ldaps", "citrix_adc_snip", "domain_controller", ["tcp"], [636]),
            flow("f_rpc", "citrix_vda", "citrix_delivery_controller", ["tcp"], [135, "dynamic_rpc"]),
            flow("f_admin", "admin_workstation", "citrix_delivery_controller", ["tcp"], ["70-90"]),
        ],
    }
    known = set(infrastructure["components"]) | set(citrix["components"])
    citrix.update(shipped_tables("citrix", known))
    infrastructure.update(shipped_tables("infrastructure", known))
    return build_catalog([("infrastructure.yml", infrastructure), ("citrix.yml", citrix)])


def site(vda_features=None):
    return [
        HostInput("ddc1", groups=("broker",), product="citrix", ansible_host="10.0.1.11"),
        HostInput("sf1", groups=("storefront",), product="citrix", ansible_host="10.0.2.21"),
        HostInput("vda1", groups=("vda",), product="citrix", ansible_host="10.0.3.10", features=vda_features),
        HostInput("sra1", product="citrix", components=["citrix_session_recording_agent"], ansible_host="10.0.3.20"),
        HostInput("srs1", product="citrix", components=["citrix_session_recording_server"], ansible_host="10.0.4.20"),
        HostInput("adc1", groups=("gateway",), product="citrix", ansible_host="10.0.5.1"),
    ]


ENDPOINTS = {"user_device": "any", "domain_controller": ["10.0.9.10"], "admin_workstation": ["10.0.9.250"]}


def by_name(plan):
    return {rule["name"]: rule for rule in plan["rules"]}


def codes(plan):
    return sorted((warning["code"], warning["rule"]) for warning in plan["warnings"])


def test_warnings_are_listed_on_each_host(catalog):
    plans = plan_hosts(build_topology(catalog, site(), endpoints=ENDPOINTS))
    assert codes(plans["vda1"]) == [("dynamic_rpc_range", "vdi-out-tcp-citrix_delivery_controller"),
                                    ("open_to_any", "vdi-in-tcp-user_device")]
    assert ("plaintext", "vdi-in-tcp-citrix_storefront") in codes(plans["ddc1"])
    assert ("plaintext", "vdi-out-tcp-citrix_delivery_controller") in codes(plans["sf1"])
    assert codes(plans["sra1"]) == [("plaintext", "vdi-out-tcp-citrix_session_recording_server")]
    # LDAP: tcp 389 has LDAPS beside it, udp 389 (CLDAP) has none
    adc = [warning for warning in plans["adc1"]["warnings"] if warning["code"] == "plaintext"]
    assert [(warning["rule"], warning["flows"]) for warning in adc] == [("vdi-out-tcp-domain_controller", ["f_ldap"])]
    assert "tcp/389 (LDAP)" in adc[0]["message"] and "tcp/636 (LDAPS)" in adc[0]["message"]
    # 1494/2598 are only flagged once the VDA's TLS (443) is planned too
    assert not [warning for warning in plans["vda1"]["warnings"] if warning["code"] == "plaintext"]
    summary = summarise(plans)
    assert summary["warnings"] == sum(len(plan["warnings"]) for plan in plans.values())
    assert summary["warning_counts"]["open_to_any"] == 1 and summary["hosts_with_warnings"] == 6
    assert summary["omitted_plaintext"] == 0


def test_plaintext_is_flagged_only_where_the_secure_alternative_is_planned(catalog):
    plans = plan_hosts(build_topology(catalog, site(vda_features={"citrix_vda_tls": True}), endpoints=ENDPOINTS))
    messages = [warning["message"] for warning in plans["vda1"]["warnings"] if warning["code"] == "plaintext"]
    assert len(messages) == 2 and any("tcp/1494 (ICA/HDX)" in message for message in messages)
    assert all("from User device while" in message for message in messages)


def test_secure_only_drops_plaintext_where_a_secure_alternative_exists(catalog):
    plain = plan_hosts(build_topology(catalog, site(), endpoints=ENDPOINTS))
    topology = build_topology(catalog, site(), endpoints=ENDPOINTS, secure_only=True)
    secure = plan_hosts(topology)
    assert by_name(plain["ddc1"])["vdi-in-tcp-citrix_storefront"]["local_ports"] == ["80", "443"]
    assert by_name(secure["ddc1"])["vdi-in-tcp-citrix_storefront"]["local_ports"] == ["443"]
    assert by_name(secure["sf1"])["vdi-out-tcp-citrix_delivery_controller"]["remote_ports"] == ["443"]
    # a flow that is nothing but the plaintext alternative disappears from the rule
    recording = by_name(secure["sra1"])["vdi-out-tcp-citrix_session_recording_server"]
    assert recording["remote_ports"] == ["443"] and recording["flows"] == ["f_sr_https"]
    # tcp 389 goes, udp 389 (no secure alternative) stays
    adc = by_name(secure["adc1"])
    assert adc["vdi-out-tcp-domain_controller"]["remote_ports"] == ["636"]
    assert adc["vdi-out-udp-domain_controller"]["remote_ports"] == ["389"]
    # no documented alternative, nothing dropped: the VDA's ICA without TLS, the admin range 70-90 on the DDC
    assert secure["vda1"]["rules"] == plain["vda1"]["rules"]
    assert by_name(secure["ddc1"])["vdi-in-tcp-admin_workstation"]["local_ports"] == ["70-90"]
    assert not [warning for plan in secure.values() for warning in plan["warnings"] if warning["code"] == "plaintext"]
    omitted = {(item["flow"], item["direction"], item["port"]) for plan in secure.values() for item in plan["omitted_plaintext"]}
    assert omitted == {("f_sf_ddc", "in", "80"), ("f_sf_ddc", "out", "80"), ("f_sr_http", "out", "80"),
                       ("f_sr_http", "in", "80"), ("f_ldap", "out", "389")}
    reason = secure["ddc1"]["omitted_plaintext"][0]["reason"]
    assert reason.startswith("HTTP left out: HTTPS (tcp/443, flows f_sf_ddc)")
    assert summarise(secure)["omitted_plaintext"] == 5
    rows = {(row["flow_id"], row["protocol"]): row["ports"] for row in deployment_flows(topology, secure)}
    assert rows[("f_sf_ddc", "tcp")] == "443" and rows[("f_ldap", "udp")] == "389"
    assert ("f_ldap", "tcp") not in rows and ("f_sr_http", "tcp") not in rows


def test_secure_only_with_the_vda_s_tls_drops_ica_without_tls(catalog):
    secure = plan_hosts(build_topology(catalog, site(vda_features={"citrix_vda_tls": True}), endpoints=ENDPOINTS,
                                       secure_only=True))
    assert by_name(secure["vda1"])["vdi-in-tcp-user_device"]["local_ports"] == ["443"]


def test_self_peer_hosts_get_their_own_warnings(catalog):
    hosts = site() + [HostInput("ddc2", groups=("broker",), product="citrix", ansible_host="10.0.1.12")]
    plans = plan_hosts(build_topology(catalog, hosts, endpoints=ENDPOINTS))
    assert codes(plans["ddc1"]) == codes(plans["ddc2"])


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_secure_only_must_be_a_boolean(catalog, value):
    with pytest.raises(VdiFirewallError, match=r"vdi_firewall_secure_only must be true or false"):
        build_topology(catalog, site(), secure_only=value)


def test_bad_tiers_fail_before_planning(catalog):
    with pytest.raises(VdiFirewallError, match=r"vdi_firewall_tiers\['citrix_vda'\]: 'public' is not one of edge, internal"):
        build_topology(catalog, site(), tiers={"citrix_vda": "public"})


def test_tiers_turn_the_open_to_any_warning_on_and_off(catalog):
    plans = plan_hosts(build_topology(catalog, site(), endpoints=ENDPOINTS, tiers={"citrix_vda": "edge"}))
    assert "open_to_any" not in {warning["code"] for warning in plans["vda1"]["warnings"]}


def test_real_catalog_example_plans_have_structured_warnings():
    catalog = load_catalog()
    hosts = [HostInput("vda1", groups=("vda",), product="citrix", ansible_host="10.0.3.10"),
             HostInput("ddc1", groups=("broker",), product="citrix", ansible_host="10.0.1.11"),
             HostInput("sf1", groups=("storefront",), product="citrix", ansible_host="10.0.2.21")]
    topology = build_topology(catalog, hosts, endpoints={"user_device": "any", "admin_workstation": ["10.0.0.0/8"]})
    vda = plan_host(topology, "vda1")
    found = {warning["code"] for warning in vda["warnings"]}
    assert {"open_to_any", "wide_source", "dynamic_rpc_range"} <= found
    for warning in vda["warnings"]:
        assert set(warning) == {"code", "rule", "flows", "message"} and warning["flows"]
        assert warning["rule"] in {rule["name"] for rule in vda["rules"]}
    assert "plaintext" in {warning["code"] for warning in plan_host(topology, "ddc1")["warnings"]}
