# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan playbook's change-board outputs (report.html, change requests, warnings) as users run it."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from .test_export_matrix import BIN, ROOT, run
from .test_plan import plan, site, write_inventory

REPORTS = ("report.html", "change_request.csv", "change_request.xlsx")


def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module", name="ras")
def fixture_ras(tmp_path_factory):
    out = tmp_path_factory.mktemp("ras")
    result = plan(ROOT / "examples/parallels_ras/inventory.yml", out)
    assert result.returncode == 0, result.stdout + result.stderr
    return out, result


def test_plan_writes_the_reports_and_counts_warnings(ras):
    out, result = ras
    for name in REPORTS:
        assert (out / name).stat().st_size > 1000, name
    output = " ".join(result.stdout.split())
    assert "least-privilege warning(s) on" in output and "plaintext" in output
    warned = [json.loads(path.read_text()) for path in (out / "hosts").glob("*.json")]
    assert all(isinstance(plan_["warnings"], list) and isinstance(plan_["omitted_plaintext"], list) for plan_ in warned)
    total = sum(len(plan_["warnings"]) for plan_ in warned)
    assert f"{total} least-privilege warning(s)" in output
    broker = json.loads((out / "hosts/ras-cb1.json").read_text())
    assert {"plaintext"} <= {warning["code"] for warning in broker["warnings"]}


def test_change_request_rows_cover_every_flow_of_the_plan(ras):
    out = ras[0]
    flows = read_csv(out / "flows.csv")
    rows = read_csv(out / "change_request.csv")
    assert {flow for row in rows for flow in row["flow_ids"].split()} == {row["flow_id"] for row in flows}
    for row in rows:
        assert row["source_addresses"] and row["destination_addresses"] and row["references"] and row["description"]
        assert row["protocol"] in ("tcp", "udp", "icmp", "icmpv6", "gre", "esp", "vrrp")
        assert bool(row["ports"]) == (row["protocol"] in ("tcp", "udp"))
    sheet = openpyxl.load_workbook(out / "change_request.xlsx")["Change request"]
    assert sheet.max_row == len(rows) + 1
    assert [cell.value for cell in sheet[2]][:3] == [rows[0]["change"], rows[0]["source"], rows[0]["source_hosts"] or None]


def test_reports_are_rewritten_only_when_the_plan_changes(tmp_path):
    inventory = ROOT / "examples/citrix/inventory.yml"
    first = plan(inventory, tmp_path)
    assert first.returncode == 0 and "changed=1" in first.stdout
    before = {name: (tmp_path / name).read_bytes() for name in REPORTS}
    again = plan(inventory, tmp_path)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout
    assert {name: (tmp_path / name).read_bytes() for name in REPORTS} == before


def test_secure_only_drops_plaintext_alternatives(tmp_path):
    result = plan(ROOT / "examples/citrix/inventory.yml", tmp_path, "-e", "vdi_firewall_secure_only=true")
    assert result.returncode == 0, result.stdout + result.stderr
    output = " ".join(result.stdout.split())
    assert "plaintext port(s) left out (vdi_firewall_secure_only)" in output
    ddc = json.loads((tmp_path / "hosts/ctx-ddc1.json").read_text())
    rules = {rule["name"]: rule for rule in ddc["rules"]}
    assert rules["vdi-in-tcp-citrix_storefront"]["local_ports"] == ["443"]
    assert {item["flow"] for item in ddc["omitted_plaintext"]} >= {"citrix_storefront_007"}
    assert "plaintext" not in {warning["code"] for warning in ddc["warnings"]}
    storefront_to_ddc = [row for row in read_csv(tmp_path / "change_request.csv")
                         if "citrix_storefront_007" in row["flow_ids"].split()]
    assert storefront_to_ddc and "80" not in storefront_to_ddc[0]["ports"].split(",")
    assert "secure only" in (tmp_path / "report.html").read_text().lower()


def test_missing_graphviz_degrades_with_a_visible_message(tmp_path):
    result = run("ansible-playbook", "-i", str(ROOT / "examples/microsoft_rds/inventory.yml"), "vdi.firewall.plan",
                 "-e", f"vdi_firewall_output_dir={tmp_path}", env={"PATH": str(BIN)})
    assert result.returncode == 0, result.stdout + result.stderr
    output = " ".join((result.stdout + result.stderr).split())
    assert "[WARNING]: vdi.firewall.plan_rules: report.html has no diagram: Graphviz 'dot' was not found" in output
    page = (tmp_path / "report.html").read_text()
    assert 'id="diagram-missing"' in page and "install the package &#x27;graphviz&#x27;" in page
    assert (tmp_path / "change_request.xlsx").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"vdi_firewall_secure_only": "maybe"}, "vdi_firewall_secure_only: 'maybe' is not true or false"),
        ({"vdi_firewall_tiers": {"citrix_vda": "dmz"}}, "vdi_firewall_tiers['citrix_vda']: 'dmz' is not one of edge, internal"),
        ({"vdi_firewall_tiers": {"citrix_vdaa": "edge"}}, "vdi_firewall_tiers['citrix_vdaa']: unknown component 'citrix_vdaa'"),
    ],
)
def test_bad_report_variables_fail_clearly_and_write_nothing(tmp_path, extra, message):
    out = tmp_path / "out"
    result = plan(write_inventory(tmp_path, site(**extra)), out)
    assert result.returncode != 0
    output = " ".join(result.stdout.split())
    assert message in output, output
    assert "Traceback" not in result.stdout + result.stderr
    assert not out.exists()


def test_change_request_csv_is_plain_csv(ras):
    text = (ras[0] / "change_request.csv").read_text(encoding="utf-8")
    # UTF-8 with a byte-order mark, so that Excel opens it without mojibake
    assert text.startswith("\ufeff")
    text = text[1:]
    header = next(csv.reader(io.StringIO(text)))
    assert header == ["change", "source", "source_hosts", "source_addresses", "destination", "destination_hosts",
                      "destination_addresses", "protocol", "ports", "flow_ids", "layer", "references", "description",
                      "supplement_reasons", "warnings", "justification", "requester", "approver", "status", "expiry"]
