# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The supplement layer: validated like the documents, planned unless switched off, and marked in every output."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import (
    load_catalog,
    reference_text,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.change_request import change_request_rows
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._inventory import planner_settings
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import (
    HostInput,
    build_topology,
    deployment_flows,
    plan_hosts,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.files import FLOW_COLUMNS, flows_csv
from tests.catalog_dirs import write_product

ROOT = Path(__file__).resolve().parents[4]
D3 = "003_661a4aab3c5f7bd6.txt"
DOMAIN_MEMBER = "domain_member"

INFRASTRUCTURE = {
    "product": "infrastructure",
    "shared": True,
    "components": {"user_device": {"name": "User device"}, "domain_controller": {"name": "DC"}},
}
PRODUCT = {
    "product": "citrix",
    "documents": {"003_test.txt": {"title": "Ports", "language": "en"}},
    "components": {"citrix_vda": {"name": "VDA", "domain_member": True}, "citrix_gateway": {"name": "Gateway"}},
    "flows": [{"id": "citrix_cvad_001", "from": "user_device", "to": "citrix_vda", "protocols": ["tcp"], "ports": [1494],
               "description": "ICA", "section": "CVAD", "references": [{"document": "003_test.txt", "section": "CVAD"}]}],
}
SUPPLEMENT = {
    "product": "citrix",
    "layer": "supplement",
    "flows": [{
        "id": "citrix_sup_001", "from": "user_device", "to": "citrix_gateway", "protocols": ["tcp"], "ports": [443],
        "description": "Front door", "section": "Citrix Gateway", "supplement": True,
        "reason": "The table refers elsewhere for the user-facing port.",
        "references": [{"document": "003_test.txt", "section": "Citrix Gateway"},
                       {"id": "CTX113250", "title": "Required Ports for Citrix NetScaler Gateway in DMZ Setup",
                        "url": "https://support.citrix.com/article/CTX113250"}],
    }],
}


def write(tmp_path, supplement=None, product=None, infrastructure_supplement=None):
    write_product(tmp_path, INFRASTRUCTURE, infrastructure_supplement)
    write_product(tmp_path, product or PRODUCT, supplement or SUPPLEMENT)
    return str(tmp_path)


def test_a_supplement_file_loads_beside_the_documents(tmp_path):
    catalog = load_catalog(write(tmp_path))
    flows = {flow.id: flow for flow in catalog.flows}
    assert flows["citrix_cvad_001"].layer == "document" and not flows["citrix_cvad_001"].supplement
    supplement = flows["citrix_sup_001"]
    assert supplement.supplement and supplement.layer == "supplement" and supplement.file == "citrix/supplements.yml"
    assert supplement.reason.startswith("The table refers")
    assert "CTX113250 Required Ports for Citrix NetScaler Gateway in DMZ Setup <https://support.citrix.com/article/CTX113250>" \
        in reference_text(supplement)
    assert catalog.implied_components() == {}


def test_a_component_of_the_supplement_layer_may_be_implied_by_an_attribute(tmp_path):
    membership = {"components": {"domain_member": {"name": "Domain member", "implied_by": "domain_member"}}}
    catalog = load_catalog(write(tmp_path, infrastructure_supplement=membership))
    assert catalog.implied_components() == {"domain_member": frozenset({"citrix_vda"})}


def test_implied_by_belongs_to_the_supplement_layer(tmp_path):
    product = copy.deepcopy(PRODUCT)
    product["components"]["citrix_gateway"]["implied_by"] = "domain_member"
    with pytest.raises(VdiFirewallError, match=r"citrix/components.yml: component 'citrix_gateway': 'implied_by' "
                                               r"belongs to the supplement layer"):
        load_catalog(write(tmp_path, product=product))


def _flow_change(key, value):
    supplement = copy.deepcopy(SUPPLEMENT)
    if value is KeyError:
        del supplement["flows"][0][key]
    else:
        supplement["flows"][0][key] = value
    return supplement


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("reason", KeyError, r"flow 'citrix_sup_001' \(entry 1\): a supplement flow needs a 'reason'"),
        ("reason", "  ", r"a supplement flow needs a 'reason'"),
        ("references", [{"document": "003_test.txt", "section": "Citrix Gateway"}],
         r"a supplement flow needs a public reference"),
        ("references", [{"title": "An article"}], r"public reference 'An article' needs a 'url' or a vendor article 'id'"),
        ("references", [{"id": "CTX113250"}], r"a public reference needs a 'title'"),
        ("references", [{"title": "x", "url": "support.citrix.com/article"}], r"'url' must be an http\(s\) URL"),
        ("references", [{"title": "x", "url": "https://example.com", "colour": "red"}], r"unknown key\(s\) colour"),
        ("supplement", KeyError, r"a flow of a supplement file must say 'supplement: true'"),
        ("supplement", False, r"a flow of a supplement file must say 'supplement: true'"),
        ("corrects", ["citrix_cvad_999"], r"'corrects' names 'citrix_cvad_999', which is not a document row"),
        ("corrects", ["citrix_sup_001"], r"'corrects' names 'citrix_sup_001', which is not a document row"),
        ("corrects", "citrix_cvad_001", r"'corrects' must be a list of flow ids"),
    ],
)
def test_the_loader_rejects_a_supplement_without_reason_or_reference(tmp_path, key, value, message):
    with pytest.raises(VdiFirewallError, match=message) as excinfo:
        load_catalog(write(tmp_path, supplement=_flow_change(key, value)))
    assert "citrix/supplements.yml" in str(excinfo.value)


@pytest.mark.parametrize("key", ["supplement", "reason", "corrects"])
def test_a_document_row_cannot_pose_as_a_supplement(tmp_path, key):
    product = copy.deepcopy(PRODUCT)
    product["flows"][0][key] = {"supplement": True, "reason": "because", "corrects": []}[key]
    with pytest.raises(VdiFirewallError, match=rf"'{key}' belongs to the supplement layer"):
        load_catalog(write(tmp_path, product=product))


def test_a_document_row_needs_a_document_reference(tmp_path):
    product = copy.deepcopy(PRODUCT)
    product["flows"][0]["references"] = [{"title": "A blog", "url": "https://example.com/ports"}]
    with pytest.raises(VdiFirewallError, match=r"each reference needs 'document' and 'section'"):
        load_catalog(write(tmp_path, product=product))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(colour="red"), r"citrix/supplements.yml: unknown top-level key\(s\) colour"),
        (lambda s: s.update(group_map={"vda": ["citrix_vda"]}), r"'group_map' belongs to the product's product.yml"),
        (lambda s: s.update(documents={"x.txt": {"title": "x", "language": "en"}}), r"cites documents, it does not define"),
    ],
)
def test_bad_supplement_files_are_refused(tmp_path, change, message):
    supplement = copy.deepcopy(SUPPLEMENT)
    change(supplement)
    with pytest.raises(VdiFirewallError, match=message):
        load_catalog(write(tmp_path, supplement=supplement))


def test_domain_member_must_be_a_boolean(tmp_path):
    product = copy.deepcopy(PRODUCT)
    product["components"]["citrix_vda"]["domain_member"] = "yes"
    membership = {"components": {"domain_member": {"name": "Domain member", "implied_by": "domain_member"}}}
    with pytest.raises(VdiFirewallError, match=r"component 'citrix_vda': 'domain_member' must be true or false"):
        load_catalog(write(tmp_path, product=product, infrastructure_supplement=membership))


# The shipped supplement layer ----------------------------------------------------------------


@pytest.fixture(scope="module", name="shipped")
def fixture_shipped():
    return load_catalog()


def test_every_shipped_supplement_says_why_and_where(shipped):
    supplements = [flow for flow in shipped.flows if flow.supplement]
    assert len(supplements) >= 40
    for flow in supplements:
        assert flow.reason and len(flow.reason) > 40, flow.id
        public = [ref for ref in flow.references if "document" not in ref]
        assert public and all(ref.get("url", "").startswith("https://") for ref in public), flow.id
        assert flow.file.endswith("/supplements.yml"), flow.id
    document_rows = [flow for flow in shipped.flows if not flow.supplement]
    assert all("document" in ref for flow in document_rows for ref in flow.references)
    assert all(flow.file.endswith("/flows.yml") for flow in document_rows)


def test_supplement_ids_are_distinct_and_follow_the_scheme(shipped):
    ids = [flow.id for flow in shipped.flows]
    assert len(ids) == len(set(ids))
    moved = {"citrix_adc_017", "citrix_fas_003", "citrix_sdwan_006", "citrix_sdwan_019", "rds_licensing_tcp_004",
             "rds_licensing_tcp_007", "rds_licensing_netbios_001", "rds_licensing_netbios_002", "rds_web_access_001",
             *(f"ras_all_{number:03d}" for number in range(1, 9))}
    for flow in shipped.flows:
        if flow.supplement and flow.id not in moved:
            assert flow.id.startswith(("citrix_sup_", "rds_sup_", "ras_sup_", "infra_sup_dm_")), flow.id
    assert moved <= {flow.id for flow in shipped.flows if flow.supplement}


def test_domain_membership_is_modelled_once(shipped):
    membership = [flow for flow in shipped.flows if flow.source == DOMAIN_MEMBER]
    assert all(flow.supplement and flow.destination == "domain_controller" and flow.feature == "domain_membership"
               for flow in membership)
    ports = {(protocol, port) for flow in membership for protocol in flow.protocols
             for port_range in shipped.resolve_ports(flow) for port in (port_range.start, port_range.end)}
    for wanted in (("tcp", 53), ("udp", 53), ("tcp", 88), ("udp", 88), ("tcp", 464), ("udp", 464), ("tcp", 389),
                   ("udp", 389), ("tcp", 636), ("tcp", 3268), ("tcp", 3269), ("udp", 123), ("tcp", 445), ("tcp", 135),
                   ("tcp", 49152), ("tcp", 65535)):
        assert wanted in ports, wanted
    assert shipped.features["domain_membership"]["default"] is True
    for component in ("citrix_delivery_controller", "citrix_vda", "citrix_storefront", "ras_rdsh_agent",
                      "ras_connection_broker", "rds_session_host", "rds_connection_broker", "rds_gateway", "sql_server"):
        assert component in shipped.implied_components()[DOMAIN_MEMBER], component
    for appliance in ("citrix_adc_nsip", "citrix_gateway", "ras_halb", "user_device", "domain_controller"):
        assert appliance not in shipped.implied_components()[DOMAIN_MEMBER], appliance


@pytest.mark.parametrize(
    ("flow_id", "source", "destination", "protocols", "ports"),
    [
        # document rows back to what the documents say
        ("citrix_fr_ups_001", "citrix_vda", "citrix_universal_print_server", ("udp",), (7229,)),
        ("citrix_sdwan_004", "citrix_sdwan_appliance", "radius_server", ("tcp",), (1812,)),
        ("citrix_sdwan_017", "citrix_sdwan_wanop", "radius_server", ("tcp",), (1812,)),
        ("citrix_adc_012", "citrix_adc_nsip", "citrix_adc_lom", ("tcp",), (4001, 5900, 623)),
        ("citrix_adc_016", "citrix_adc_nsip", "citrix_adm", ("udp",), (161, 162)),
        ("citrix_sdwan_002", "citrix_sdwan_appliance", "citrix_sdwan_center", ("tcp",), (2156,)),
        ("citrix_sdwan_007", "citrix_sdwan_appliance", "snmp_manager", ("udp",), (161, 162)),
        ("citrix_storefront_009", "citrix_storefront", "citrix_adc_snip", ("tcp",), (8000,)),
        ("citrix_cvad_015", "citrix_director", "citrix_vda", ("tcp",), (389,)),
        ("citrix_adm_015", "citrix_adm", "citrix_adc_cpx", ("tcp",), (27000,)),
        ("citrix_fr_adm_003", "citrix_adc_cpx", "citrix_adm", ("tcp",), (27000,)),
        ("citrix_fr_cvad_001", "citrix_delivery_controller", "citrix_director", ("tcp",), (80, 443)),
    ],
)
def test_document_rows_stay_literal(shipped, flow_id, source, destination, protocols, ports):
    flow = {flow.id: flow for flow in shipped.flows}[flow_id]
    assert not flow.supplement
    assert (flow.source, flow.destination, flow.protocols, flow.ports) == (source, destination, protocols, ports)


@pytest.mark.parametrize(
    ("flow_id", "corrects", "source", "destination", "protocols", "ports"),
    [
        ("citrix_sup_018", ("citrix_fr_ups_001",), "citrix_vda", "citrix_universal_print_server", ("tcp",), (7229,)),
        ("citrix_sup_008", ("citrix_sdwan_004",), "citrix_sdwan_appliance", "radius_server", ("udp",), (1812,)),
        ("citrix_sup_009", ("citrix_sdwan_017",), "citrix_sdwan_wanop", "radius_server", ("udp",), (1812,)),
        ("citrix_sup_006", ("citrix_adc_012",), "admin_workstation", "citrix_adc_lom", ("tcp",), (4001, 5900, 623)),
        ("citrix_adc_017", ("citrix_adc_016",), "citrix_adm", "citrix_adc_nsip", ("udp",), (161,)),
        ("citrix_sup_007", ("citrix_sdwan_002",), "citrix_sdwan_center", "citrix_sdwan_appliance", ("tcp",), (2156,)),
        ("citrix_sup_003", ("citrix_fr_cvad_001",), "citrix_director", "citrix_delivery_controller", ("tcp",), (80, 443)),
        ("citrix_fas_003", (), "citrix_fas", "certificate_authority", ("tcp",), ("rpc_random_per_service",)),
    ],
)
def test_corrections_are_supplements_that_say_what_they_correct(shipped, flow_id, corrects, source, destination,
                                                                protocols, ports):
    flow = {flow.id: flow for flow in shipped.flows}[flow_id]
    assert flow.supplement and flow.corrects == corrects
    assert (flow.source, flow.destination, flow.protocols, flow.ports) == (source, destination, protocols, ports)


def test_rows_without_a_peer_in_the_document_are_supplements(shipped):
    flows = {flow.id: flow for flow in shipped.flows}
    for flow_id in ("rds_licensing_tcp_004", "rds_licensing_tcp_007", "rds_licensing_netbios_001",
                    "rds_licensing_netbios_002", "rds_web_access_001", "ras_all_001", "ras_all_008"):
        assert flows[flow_id].supplement, flow_id
    assert not flows["rds_licensing_tcp_001"].supplement  # the document names the RD Session Host


# Planning ------------------------------------------------------------------------------------


def example_hosts(example: str):
    """HostInputs and the deployment settings of a bundled example inventory."""
    inventory = yaml.safe_load((ROOT / "examples" / example / "inventory.yml").read_text())["all"]
    variables = inventory.get("vars", {})
    hosts = []
    for group, body in inventory["children"].items():
        for name, host_vars in (body.get("hosts") or {}).items():
            host_vars = host_vars or {}
            hosts.append(HostInput(name, groups=(group,), product=variables.get("vdi_firewall_product"),
                                   address=host_vars.get("vdi_firewall_address"),
                                   ansible_host=host_vars.get("ansible_host"),
                                   features=variables.get("vdi_firewall_features")))
    return hosts, variables


def plan_example(example: str, **settings):
    hosts, variables = example_hosts(example)
    topology = build_topology(load_catalog(), hosts, group_map=variables.get("vdi_firewall_group_map"),
                              endpoints=variables.get("vdi_firewall_endpoints"), resolve_names=False, **settings)
    plans = plan_hosts(topology)
    return topology, plans


def rules(plans, host):
    return {rule["name"]: rule for rule in plans[host]["rules"]}


def rule_to(plans, host, direction, protocol, peer):
    """The host's rule of that direction and protocol whose peers include peer (None if there is none)."""
    found = [rule for rule in plans[host]["rules"]
             if rule["direction"] == direction and rule["protocol"] == protocol and peer in rule["peers"]]
    assert len(found) <= 1
    return found[0] if found else None


def test_the_citrix_plan_opens_the_gateway_front_door_as_supplements():
    _topology, plans = plan_example("citrix")
    for host in ("ctx-adc1", "ctx-adc2"):
        for protocol, flow_id in (("tcp", "citrix_sup_001"), ("udp", "citrix_sup_002")):
            rule = rules(plans, host)[f"vdi-in-{protocol}-user_device"]
            assert rule["local_ports"] == ["443"] and rule["remote_addresses"] == ["198.51.100.0/24", "2001:db8:100::/48"]
            assert rule["flows"] == [flow_id] and rule["supplement_flows"] == [flow_id] and rule["layer"] == "supplement"


def test_delivery_controllers_and_vdas_reach_the_domain_controllers_as_domain_members():
    topology, plans = plan_example("citrix")
    for host in ("ctx-ddc1", "ctx-ddc2", "ctx-vda1", "ctx-vda3", "ctx-sf1", "ctx-sql1", "ctx-fas1", "ctx-pvs1"):
        assert DOMAIN_MEMBER in plans[host]["components"], host
        tcp = rule_to(plans, host, "out", "tcp", "domain_controller")
        udp = rule_to(plans, host, "out", "udp", "domain_controller")
        assert tcp["remote_addresses"] == ["192.0.2.10/31"]
        assert {"53", "88", "135", "389", "445", "464", "636", "3268-3269", "49152-65535"} <= set(tcp["remote_ports"])
        assert {"53", "88", "123", "389", "464"} <= set(udp["remote_ports"])
        assert "infra_sup_dm_002" in tcp["supplement_flows"]
    assert DOMAIN_MEMBER not in plans["ctx-adc1"]["components"]  # an appliance is no domain member
    assert "ctx-adc1" not in topology.component_hosts[DOMAIN_MEMBER]


def test_supplements_off_plans_the_documents_literally():
    topology, plans = plan_example("citrix", supplements=False)
    assert not topology.supplements
    supplement_ids = {flow.id for flow in topology.catalog.flows if flow.supplement}
    for host, plan in plans.items():
        assert DOMAIN_MEMBER not in plan["components"], host
        for rule in plan["rules"]:
            assert not set(rule["flows"]) & supplement_ids, (host, rule["name"])
            assert rule["supplement_flows"] == [] and rule["layer"] == "document"
        assert not any(item["layer"] == "supplement" for item in plan["unresolved"])
    assert "vdi-in-tcp-user_device" not in rules(plans, "ctx-adc1")
    assert rule_to(plans, "ctx-ddc1", "out", "tcp", "domain_controller") is None
    # the VDA keeps the LDAP rows its document gives (FAS section), nothing more
    assert rule_to(plans, "ctx-vda1", "out", "tcp", "domain_controller")["remote_ports"] == ["389"]
    assert all(row["layer"] == "document" for row in deployment_flows(topology, plans))


def test_domain_membership_switches_off_per_host():
    hosts, variables = example_hosts("citrix")
    for host in hosts:
        if host.name == "ctx-ddc2":
            host.features = dict(host.features or {}, domain_membership=False)
    topology = build_topology(load_catalog(), hosts, group_map=variables["vdi_firewall_group_map"],
                              endpoints=variables["vdi_firewall_endpoints"], resolve_names=False)
    plans = plan_hosts(topology)
    assert rule_to(plans, "ctx-ddc1", "out", "tcp", "domain_controller")
    assert rule_to(plans, "ctx-ddc2", "out", "tcp", "domain_controller") is None


def test_every_example_gets_its_domain_controllers_and_the_rds_gateway_its_broker():
    _topology, plans = plan_example("microsoft_rds")
    gateway_hosts = [host for host, plan in plans.items() if "rds_gateway" in plan["components"]]
    assert gateway_hosts
    for host in gateway_hosts:
        to_broker = rules(plans, host)["vdi-out-tcp-rds_connection_broker"]
        assert "3389" in to_broker["remote_ports"] and "rds_sup_001" in to_broker["supplement_flows"]
    for example in ("microsoft_rds", "parallels_ras"):
        _topology, plans = plan_example(example)
        members = [host for host, plan in plans.items() if DOMAIN_MEMBER in plan["components"]]
        assert members, example
        for host in members:
            to_dc = rule_to(plans, host, "out", "tcp", "domain_controller")
            assert to_dc and {"88", "445"} <= set(to_dc["remote_ports"]), (example, host)


def test_the_supplements_setting_is_read_with_the_others():
    assert planner_settings({})["supplements"] is True
    assert planner_settings({"vdi_firewall_supplements": "false"})["supplements"] is False
    assert planner_settings({"vdi_firewall_supplements": False}, {"supplements": True})["supplements"] is True
    with pytest.raises(VdiFirewallError, match=r"vdi_firewall_supplements"):
        planner_settings({"vdi_firewall_supplements": "sometimes"})
    with pytest.raises(VdiFirewallError, match=r"vdi_firewall_supplements must be true or false"):
        build_topology(load_catalog(), [], supplements="no")


def test_flows_csv_and_change_requests_mark_supplements():
    topology, plans = plan_example("citrix")
    rows = deployment_flows(topology, plans)
    assert {"layer", "reason"} <= set(FLOW_COLUMNS)
    front = [row for row in rows if row["flow_id"] == "citrix_sup_001"]
    assert front and front[0]["layer"] == "supplement" and "CTX113250" in front[0]["reason"]
    assert "CTX113250" in front[0]["reference"] and "https://support.citrix.com/article/CTX113250" in front[0]["reference"]
    assert all(row["layer"] == "document" and not row["reason"] for row in rows if row["flow_id"].startswith("citrix_cvad"))
    lines = flows_csv(rows).splitlines()
    assert lines[0].endswith(",layer,reason") and any(line.startswith("citrix_sup_001,") and ",supplement," in line
                                                      for line in lines)
    names = {component: topology.component_name(component) for component in topology.catalog.components}
    requests = change_request_rows(rows, names, {row["flow_id"]: row["reference"] for row in rows})
    gateway = [row for row in requests if row["destination"].startswith("Citrix Gateway virtual server")]
    assert gateway and all(row["layer"] == "supplement" for row in gateway)
    assert any(row["supplement_reasons"].startswith("citrix_sup_001: ") for row in gateway)
    mixed = [row for row in requests if row["layer"] == "document+supplement"]
    assert mixed and all(row["supplement_reasons"] for row in mixed)
    assert all(not row["supplement_reasons"] for row in requests if row["layer"] == "document")
