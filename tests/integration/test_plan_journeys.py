# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Journeys through the plan playbook: shown in every output, broken by a missing flow, failing strict mode."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from tests.catalog_dirs import write_product

from .test_export_matrix import ROOT, run

PLAYBOOK = Path(__file__).parent / "playbooks" / "plan_journeys.yml"
EXAMPLES = ("citrix", "parallels_ras", "microsoft_rds")


def plan_journeys(tmp_path, inventory, *extra):
    """Run the recording playbook; return the finished process and the recorded journeys and summary."""
    record = tmp_path / "journeys.json"
    record.unlink(missing_ok=True)
    result = run("ansible-playbook", "-i", str(inventory), str(PLAYBOOK), "-e", f"vdi_firewall_test_journeys_file={record}",
                 *extra)
    return result, (json.loads(record.read_text()) if record.exists() else None)


def catalog_without(tmp_path, source: str, destination: str) -> Path:
    """A copy of the collection's catalog without any flow from source to destination (in any product's
    flows.yml or supplements.yml)."""
    target = tmp_path / "catalog"
    shutil.copytree(ROOT / "vars" / "catalog", target)
    removed = 0
    for path in target.rglob("*.yml"):
        data = yaml.safe_load(path.read_text())
        flows = data.get("flows") or []
        kept = [flow for flow in flows if (flow["from"], flow["to"]) != (source, destination)]
        if len(kept) != len(flows):
            removed += len(flows) - len(kept)
            data["flows"] = kept
            path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    assert removed, f"the catalog has no flow from {source} to {destination}"
    return target


def test_the_plan_playbook_shows_journeys_everywhere(tmp_path):
    out = tmp_path / "out"
    result = run("ansible-playbook", "-i", str(ROOT / "examples/citrix/inventory.yml"), "vdi.firewall.plan",
                 "-e", f"vdi_firewall_output_dir={out}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert " journeys complete, " in result.stdout
    ddc = json.loads((out / "hosts/ctx-ddc1.json").read_text())
    journeys = {item["id"]: item for item in ddc["journeys"]}
    assert {"citrix_vda_registration", "citrix_licensing", "citrix_site_database"} <= set(journeys)
    assert all(item["status"] in ("complete", "broken") for item in journeys.values())
    html = (out / "report.html").read_text()
    assert '<section id="journeys">' in html and 'id="journey-citrix_external_user_gateway"' in html
    workbook = load_workbook(io.BytesIO((out / "change_request.xlsx").read_bytes()))
    assert "Journeys" in workbook.sheetnames
    assert "journeys" in dict(workbook["About"].iter_rows(values_only=True))


def test_removing_a_hops_flow_makes_the_plan_report_that_journey_broken(tmp_path):
    catalog = catalog_without(tmp_path, "citrix_vda", "citrix_delivery_controller")
    result, record = plan_journeys(tmp_path, ROOT / "examples/citrix/inventory.yml",
                                   "-e", f"vdi_firewall_test_catalog_dir={catalog}")
    assert result.returncode == 0, result.stdout + result.stderr
    registration = {item["id"]: item for item in record["journeys"]}["citrix_vda_registration"]
    assert registration["status"] == "broken"
    assert registration["first_missing"]["hop"] == 1
    assert (registration["first_missing"]["from"], registration["first_missing"]["to"]) == (
        "citrix_vda", "citrix_delivery_controller")
    assert registration["first_missing"]["ends"] == ["source host", "destination host"]
    assert set(registration["first_missing"]["hosts"]) == {"ctx-vda1", "ctx-vda2", "ctx-vda3", "ctx-ddc1", "ctx-ddc2"}
    assert any(line.startswith("citrix_vda_registration (hop 1 citrix_vda -> citrix_delivery_controller tcp/80")
               for line in record["summary"]["broken_journeys"])


SMALL_CATALOG = {
    "infrastructure": {"product": "infrastructure", "shared": True, "components": {"user_device": {"name": "User device"}}},
    "citrix": {
        "product": "citrix",
        "documents": {"003_test.txt": {"title": "Ports", "language": "en"}},
        "group_map": {"storefront": ["citrix_storefront"], "broker": ["citrix_delivery_controller"]},
        "components": {"citrix_storefront": {"name": "StoreFront"},
                       "citrix_delivery_controller": {"name": "Delivery Controller"}},
        "flows": [{"id": "citrix_test_001", "from": "user_device", "to": "citrix_storefront", "protocols": ["tcp"],
                   "ports": [443], "description": "Store", "section": "Test",
                   "references": [{"document": "003_test.txt", "section": "Test"}]}],
    },
}
SMALL_JOURNEYS = {
    "product": "citrix",
    "references": {"arch": {"title": "Architecture", "url": "https://example.com/architecture"}},
    "journeys": [{"id": "test_store", "title": "Store", "description": "User to StoreFront to the Controller",
                  "hops": [{"from": "user_device", "to": "citrix_storefront", "protocol": "tcp", "ports": [443],
                            "description": "store", "references": ["arch"]},
                           {"from": "citrix_storefront", "to": "citrix_delivery_controller", "protocol": "tcp",
                            "ports": [443], "description": "XML service", "references": ["arch"]}]}],
}


def small_site(tmp_path, **variables):
    catalog, journeys = tmp_path / "catalog", tmp_path / "journeys"
    catalog.mkdir(exist_ok=True)
    journeys.mkdir(exist_ok=True)
    for data in SMALL_CATALOG.values():
        write_product(catalog, data)
    (journeys / "citrix.yml").write_text(yaml.safe_dump(SMALL_JOURNEYS))
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {
        "vars": {"vdi_firewall_product": "citrix", "vdi_firewall_endpoints": {"user_device": ["192.0.2.0/24"]},
                 "vdi_firewall_test_catalog_dir": str(catalog), "vdi_firewall_test_journeys_dir": str(journeys),
                 **variables},
        "children": {"storefront": {"hosts": {"sf1": {"ansible_host": "10.9.0.1"}}},
                     "broker": {"hosts": {"ddc1": {"ansible_host": "10.9.0.2"}}}}}}))
    return inventory


def test_strict_mode_fails_on_a_broken_journey_naming_it_and_the_hop(tmp_path):
    result, record = plan_journeys(tmp_path, small_site(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert record["journeys"][0]["status"] == "broken" and record["summary"]["unresolved"] == 0
    out = tmp_path / "out"
    result, record = plan_journeys(tmp_path, small_site(tmp_path, vdi_firewall_strict=True),
                                   "-e", f"vdi_firewall_output_dir={out}")
    assert result.returncode != 0 and record is None
    output = " ".join(result.stdout.split())
    assert ("vdi_firewall_strict is on and 1 journey(s) are broken: journey 'test_store' (Store) is broken: "
            "hop 2 citrix_storefront -> citrix_delivery_controller tcp/443: not open at the destination host ddc1 "
            "(inbound)") in output, output
    assert not out.exists()


def test_journeys_can_be_switched_off(tmp_path):
    result, record = plan_journeys(tmp_path, small_site(tmp_path, vdi_firewall_strict=True, vdi_firewall_journeys=False))
    assert result.returncode == 0, result.stdout + result.stderr
    assert record["journeys"] == [] and record["summary"]["journeys"] == 0


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_journey_of_every_bundled_example_is_complete(tmp_path, example):
    result, record = plan_journeys(tmp_path, ROOT / "examples" / example / "inventory.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    statuses = {item["id"]: item["status"] for item in record["journeys"]}
    assert "complete" in statuses.values()
    broken = {item["id"]: item["reason"] for item in record["journeys"] if item["status"] == "broken"}
    assert not broken, broken


def test_journeys_are_checked_through_the_zone_devices_too(tmp_path):
    """The Citrix site and its four zone devices: every hop that crosses a device is permitted by its ACL."""
    record = tmp_path / "journeys.json"
    result = run("ansible-playbook", "-i", str(ROOT / "examples/citrix/inventory.yml"),
                 "-i", str(ROOT / "examples/citrix_network/inventory.yml"), str(PLAYBOOK),
                 "-e", f"vdi_firewall_test_journeys_file={record}")
    assert result.returncode == 0, result.stdout + result.stderr
    recorded = json.loads(record.read_text())
    assert recorded["summary"]["zone_devices"] == ["fw-ios", "fw-eos", "fw-nxos", "fw-junos"]
    assert {item["status"] for item in recorded["journeys"]} == {"complete"}
