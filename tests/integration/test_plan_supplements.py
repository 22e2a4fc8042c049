# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The supplement layer through the plan playbook: planned and marked by default, gone with vdi_firewall_supplements: false."""

from __future__ import annotations

import csv
import json

import pytest

from .test_export_matrix import ROOT
from .test_plan import plan

INVENTORY = ROOT / "examples" / "citrix" / "inventory.yml"
DC = ["192.0.2.10/31"]


def hosts(out):
    return {path.stem: json.loads(path.read_text()) for path in (out / "hosts").glob("*.json")}


def rule_to(plan_data, direction, protocol, peer):
    found = [rule for rule in plan_data["rules"]
             if rule["direction"] == direction and rule["protocol"] == protocol and peer in rule["peers"]]
    return found[0] if found else None


def csv_rows(path):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module", name="both")
def fixture_both(tmp_path_factory):
    results = {}
    for label, extra in (("on", ()), ("off", ("-e", "vdi_firewall_supplements=false"))):
        out = tmp_path_factory.mktemp(f"supplements_{label}")
        result = plan(INVENTORY, out, *extra)
        assert result.returncode == 0, result.stdout + result.stderr
        results[label] = out
    return results


def test_the_bundled_citrix_plan_opens_the_gateway_to_users_marked_supplement(both):
    plans = hosts(both["on"])
    for host in ("ctx-adc1", "ctx-adc2"):
        for protocol, flow_id in (("tcp", "citrix_sup_001"), ("udp", "citrix_sup_002")):
            rule = rule_to(plans[host], "in", protocol, "user_device")
            assert rule["local_ports"] == ["443"], (host, rule)
            assert rule["remote_addresses"] == ["198.51.100.0/24", "2001:db8:100::/48"]
            assert rule["supplement_flows"] == [flow_id] and rule["layer"] == "supplement"


def test_delivery_controllers_and_vdas_reach_the_domain_controllers(both):
    plans = hosts(both["on"])
    for host in ("ctx-ddc1", "ctx-ddc2", "ctx-vda1", "ctx-vda2", "ctx-vda3"):
        assert "domain_member" in plans[host]["components"], host
        tcp = rule_to(plans[host], "out", "tcp", "domain_controller")
        udp = rule_to(plans[host], "out", "udp", "domain_controller")
        assert tcp["remote_addresses"] == DC and udp["remote_addresses"] == DC, host
        assert {"88", "135", "389", "445", "464", "636"} <= set(tcp["remote_ports"]), host
        assert {"53", "88", "123", "389"} <= set(udp["remote_ports"]), host
        assert any(flow.startswith("infra_sup_dm_") for flow in tcp["supplement_flows"]), host


def test_supplements_false_plans_the_documents_literally(both):
    plans = hosts(both["off"])
    for host, plan_data in plans.items():
        assert "domain_member" not in plan_data["components"], host
        for rule in plan_data["rules"]:
            assert rule["supplement_flows"] == [] and rule["layer"] == "document", (host, rule["name"])
            assert not any("_sup_" in flow for flow in rule["flows"]), (host, rule["name"])
    assert rule_to(plans["ctx-adc1"], "in", "tcp", "user_device") is None
    assert rule_to(plans["ctx-ddc1"], "out", "tcp", "domain_controller") is None
    assert all(row["layer"] == "document" for row in csv_rows(both["off"] / "flows.csv"))
    assert all(row["layer"] == "document" and not row["supplement_reasons"]
               for row in csv_rows(both["off"] / "change_request.csv"))
    assert "off: the documents planned literally" in (both["off"] / "report.html").read_text(encoding="utf-8")


def test_flows_csv_change_requests_and_report_mark_supplements(both):
    out = both["on"]
    flows = csv_rows(out / "flows.csv")
    front = [row for row in flows if row["flow_id"] == "citrix_sup_001"]
    assert front and front[0]["layer"] == "supplement" and "CTX113250" in front[0]["reason"]
    assert "https://support.citrix.com/article/CTX113250" in front[0]["reference"]
    assert all(row["reason"] == "" for row in flows if row["layer"] == "document")
    requests = csv_rows(out / "change_request.csv")
    gateway = [row for row in requests if "citrix_sup_001" in row["flow_ids"].split()]
    assert gateway and gateway[0]["layer"] == "supplement"
    assert gateway[0]["supplement_reasons"].startswith("citrix_sup_001: ")
    assert {row["layer"] for row in requests} == {"document", "supplement", "document+supplement"}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "supplement flows" in html and 'class="tag supplement"' in html and "citrix_sup_001" in html
    assert "Supplements (vdi_firewall_supplements)" in html
