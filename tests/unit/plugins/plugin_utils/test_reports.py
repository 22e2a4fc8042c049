# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reports: change-request rows, CSV and XLSX, the Graphviz diagram, the HTML page and writing them."""

from __future__ import annotations

import base64
import copy
import csv
import hashlib
import io
import os
import re
import stat
import zipfile

import openpyxl
import pytest

from ansible_collections.vdi.firewall.plugins.plugin_utils._reports import change_request
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports import files as reports
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.change_request import (
    CHANGE_REQUEST_COLUMNS,
    change_request_rows,
    change_request_xlsx,
    merged_ports,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.diagram import diagram_dot, render_svg
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.html import render_html
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import (
    HostInput,
    build_topology,
    deployment_flows,
    plan_hosts,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.files import (
    REPORT_FILES,
    host_texts,
    plan_files,
    plan_fingerprint,
    report_files,
    report_model,
    write_files,
)

HOSTS = [
    HostInput("ddc1", groups=("broker",), product="citrix", ansible_host="10.0.1.11"),
    HostInput("ddc2", groups=("broker",), product="citrix", ansible_host="10.0.1.12"),
    HostInput("sf1", groups=("storefront",), product="citrix", ansible_host="10.0.2.21"),
    HostInput("vda1", groups=("vda",), product="citrix", ansible_host="10.0.3.10"),
    HostInput("vda2", groups=("vda",), product="citrix", ansible_host="10.0.3.11"),
    HostInput("sql1", groups=("sql",), product="citrix", ansible_host="10.0.4.10"),
]
ENDPOINTS = {"user_device": "any", "domain_controller": ["10.0.9.10", "10.0.9.11"], "dns_server": ["10.0.9.10"],
             "admin_workstation": ["10.0.9.250"]}


@pytest.fixture(scope="module", name="planned")
def fixture_planned():
    topology = build_topology(load_catalog(), HOSTS, endpoints=ENDPOINTS)
    plans = plan_hosts(topology)
    return topology, plans, deployment_flows(topology, plans)


@pytest.fixture(scope="module", name="made")
def fixture_made(planned):
    return report_files(*planned)


def row(flow_id, source, destination, protocol, ports, source_addresses="10.0.2.21/32",
        destination_addresses="10.0.1.11/32", description="why"):
    return {"flow_id": flow_id, "source": source, "source_hosts": "sf1", "source_addresses": source_addresses,
            "destination": destination, "destination_hosts": "ddc1", "destination_addresses": destination_addresses,
            "protocol": protocol, "ports": ports, "feature": "", "description": description, "reference": "x"}


def test_change_request_rows_merge_flows_between_the_same_addresses():
    rows = change_request_rows(
        [row("f1", "citrix_storefront", "citrix_delivery_controller", "tcp", "80,443", description="XML service"),
         row("f2", "citrix_storefront", "citrix_delivery_controller", "tcp", "444,440-442", description="other"),
         row("f3", "citrix_storefront", "citrix_delivery_controller", "udp", "53"),
         row("f4", "citrix_gateway", "citrix_delivery_controller", "tcp", "8080", source_addresses="10.0.5.1/32"),
         row("f5", "citrix_storefront", "citrix_delivery_controller", "icmp", "")],
        {"citrix_storefront": "Citrix StoreFront", "citrix_delivery_controller": "Citrix Delivery Controller"},
        {"f1": "Ports § StoreFront", "f2": "Ports § StoreFront", "f4": "Ports § Gateway"},
        {"f2": ["plaintext"]},
    )
    assert [(item["source"], item["protocol"], item["ports"]) for item in rows] == [
        ("citrix_gateway", "tcp", "8080"),
        ("Citrix StoreFront", "icmp", ""),
        ("Citrix StoreFront", "tcp", "80,440-444"),
        ("Citrix StoreFront", "udp", "53"),
    ]
    assert all(re.fullmatch(r"CR-[0-9A-F]{8}", item["change"]) for item in rows)
    assert len({item["change"] for item in rows}) == len(rows)
    merged = rows[2]
    assert merged["flow_ids"] == "f1 f2" and merged["references"] == "Ports § StoreFront"
    assert merged["description"] == "XML service; other" and merged["warnings"] == "plaintext"
    assert merged["destination"] == "Citrix Delivery Controller" and merged["destination_addresses"] == "10.0.1.11/32"
    assert list(merged) == list(CHANGE_REQUEST_COLUMNS)
    # the board's columns: justification prefilled, status proposed, the rest for the board to fill in
    assert merged["justification"] == "XML service; other (see Ports § StoreFront)"
    assert (merged["requester"], merged["approver"], merged["status"], merged["expiry"]) == ("", "", "proposed", "")


def test_change_ids_stay_when_an_unrelated_row_is_added():
    names = {"citrix_storefront": "Citrix StoreFront"}
    flows = [row("f1", "citrix_storefront", "citrix_delivery_controller", "tcp", "80,443"),
             row("f3", "citrix_storefront", "citrix_delivery_controller", "udp", "53"),
             row("f4", "citrix_gateway", "citrix_delivery_controller", "tcp", "8080", source_addresses="10.0.5.1/32")]
    before = {item["flow_ids"]: item["change"] for item in change_request_rows(flows, names, {})}
    added = flows + [row("f9", "citrix_ad", "sql_server", "tcp", "1433", source_addresses="10.0.0.9/32",
                         destination_addresses="10.0.4.10/32")]
    after = {item["flow_ids"]: item["change"] for item in change_request_rows(added, names, {})}
    assert len(after) == 4 and {flow: after[flow] for flow in before} == before
    assert after["f9"] not in before.values()


def test_change_ids_never_name_two_rows(monkeypatch):
    identities = [(("a",), ("b",), "tcp", "443"), (("a",), ("b",), "tcp", "443"), (("c",), ("d",), "udp", "53")]
    ids = change_request.change_ids(identities, [("10.0.0.1/32", "10.0.1.1/32"), ("10.0.0.2/32", "10.0.1.1/32"), ()])
    assert len(set(ids)) == 3 and all(re.fullmatch(r"CR-[0-9A-F]{8}", change) for change in ids)
    # a hash collision: every digest starts alike, the colliding ids grow until they differ
    real = change_request._digest
    monkeypatch.setattr(change_request, "_digest",
                        lambda identity, digits: "CR-" + "0" * 8 + real(identity, digits)[3:][8:])
    ids = change_request.change_ids(identities[1:])
    assert len(set(ids)) == 2 and all(len(change) > len("CR-") + 8 for change in ids)


def test_xlsx_prints_landscape_and_marks_the_rows_with_warnings(made):
    workbook = openpyxl.load_workbook(io.BytesIO(made[0]["change_request.xlsx"]))
    sheet = workbook["Change request"]
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize is None
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$1:$1"
    assert sheet.freeze_panes == "B2"
    header = [cell.value for cell in sheet[1]]
    warnings = header.index("warnings")
    marked = [line[0].fill.fgColor.rgb.endswith("FDECEA") for line in sheet.iter_rows(min_row=2)]
    flagged = [bool(line[warnings].value) for line in sheet.iter_rows(min_row=2)]
    assert marked == flagged and any(flagged) and not all(flagged)


@pytest.mark.parametrize(
    ("texts", "expected"),
    [(["80,443", "81"], "80-81,443"), (["49152-65535", "135"], "135,49152-65535"), ([""], ""), (["5", "5"], "5")],
)
def test_merged_ports(texts, expected):
    assert merged_ports(texts) == expected


def test_change_request_csv_and_xlsx_carry_the_same_rows(planned, made):
    files, notices = made
    assert notices == []
    rows = list(csv.DictReader(io.StringIO(files["change_request.csv"].removeprefix("\ufeff"))))
    assert rows and list(rows[0]) == list(CHANGE_REQUEST_COLUMNS)
    for item in rows:
        assert item["source_addresses"] and item["destination_addresses"] and item["flow_ids"] and item["references"]
        assert item["description"] and item["change"].startswith("CR-")
    # one row per (source addresses, destination addresses, protocol)
    assert len({(item["source_addresses"], item["destination_addresses"], item["protocol"]) for item in rows}) == len(rows)
    any_row = [item for item in rows if item["source_addresses"] == "0.0.0.0/0 ::/0"]
    assert any_row and all("open_to_any" in item["warnings"] for item in any_row if "Delivery Agent" in item["destination"])
    assert "Communication Ports Used by Citrix Technologies (003_661a4aab3c5f7bd6.txt) §" in rows[0]["references"]
    workbook = openpyxl.load_workbook(io.BytesIO(files["change_request.xlsx"]))
    assert workbook.sheetnames == ["Change request", "Warnings", "About"]
    sheet = workbook["Change request"]
    values = [[cell if cell is not None else "" for cell in line] for line in sheet.iter_rows(values_only=True)]
    assert values[0] == list(CHANGE_REQUEST_COLUMNS)
    assert values[1:] == [[item[column] for column in CHANGE_REQUEST_COLUMNS] for item in rows]
    assert sheet.freeze_panes == "B2" and sheet.auto_filter.ref == sheet.dimensions
    warnings = list(workbook["Warnings"].iter_rows(values_only=True))
    assert warnings[0] == ("hosts", "code", "rule", "flows", "message") and len(warnings) > 1
    about = dict(workbook["About"].iter_rows(min_row=2, values_only=True))
    assert about["plan fingerprint"] == plan_fingerprint(host_texts(planned[1]))


def test_the_fingerprint_is_the_sha256_of_the_host_files_as_written(planned, tmp_path):
    topology, plans, flows = planned
    files = plan_files(plans, flows)
    write_files(str(tmp_path), files)
    # what `cat hosts/*.json | sha256sum` gives in the C locale: the files in the byte order of their names
    written = b"".join(path.read_bytes() for path in sorted((tmp_path / "hosts").iterdir(), key=lambda item: item.name.encode()))
    assert plan_fingerprint(host_texts(plans)) == hashlib.sha256(written).hexdigest()[:16]
    assert report_model(topology, plans, flows)["fingerprint"] == plan_fingerprint(host_texts(plans))
    # a plan that differs in one host gives another fingerprint; the same plan, the same one
    changed = dict(plans, vda2=dict(plans["vda2"], addresses=["10.0.3.99/32"]))
    assert plan_fingerprint(host_texts(changed)) != plan_fingerprint(host_texts(plans))
    assert plan_fingerprint(host_texts(dict(plans))) == plan_fingerprint(host_texts(plans))


def test_xlsx_cells_stay_within_excel_s_limits():
    long_row = {column: "" for column in CHANGE_REQUEST_COLUMNS}
    long_row.update(change="CR-001", source_addresses=" ".join(f"10.{i // 256}.{i % 256}.1/32" for i in range(4000)),
                    description="bell\x07 in text")
    workbook = openpyxl.load_workbook(io.BytesIO(change_request_xlsx([long_row], [], [])))
    cells = dict(zip(CHANGE_REQUEST_COLUMNS, next(workbook.active.iter_rows(min_row=2, values_only=True))))
    assert len(cells["source_addresses"]) == change_request.CELL_LIMIT
    assert cells["source_addresses"].endswith("(cut: the whole value is in change_request.csv)")
    assert cells["description"] == "bell in text"


def test_xlsx_is_reproducible(planned):
    first = report_files(*planned, generated="2024-01-02 03:04 UTC")[0]["change_request.xlsx"]
    second = report_files(*planned, generated="2024-01-02 03:04 UTC")[0]["change_request.xlsx"]
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b"dcterms:modified" not in archive.read("docProps/core.xml")


def test_xlsx_without_openpyxl_fails_clearly_and_the_reports_go_on(planned, monkeypatch):
    monkeypatch.setattr(change_request, "HAS_OPENPYXL", False)
    with pytest.raises(VdiFirewallError, match=r"'openpyxl' is required on the controller.*pip install openpyxl"):
        change_request_xlsx([], [], [])
    files, notices = report_files(*planned)
    assert "change_request.xlsx" not in files and "change_request.csv" in files and "report.html" in files
    assert notices == ["change_request.xlsx not written: the Python library 'openpyxl' is required on the controller "
                       "to write change_request.xlsx (pip install openpyxl)"]


def test_diagram_dot_quotes_names_and_marks_warnings():
    source = diagram_dot(
        [{"id": "a", "name": 'Odd "name", explained', "tier": "edge", "hosts": ["h1", "h2", "h3", "h4"], "addresses": []},
         {"id": "b", "name": "Plain", "tier": "outside", "hosts": [], "addresses": ["10.0.0.0/8"]}],
        [{"source": "a", "destination": "b", "label": "tcp " + ",".join(str(port) for port in range(1, 40)),
          "tooltip": "t", "warning": True}],
    )
    assert '"a" [label="Odd \\"name\\"\\nh1, h2, h3 +1 more"' in source
    assert '"b" [label="Plain\\n10.0.0.0/8"' in source
    assert '"a" -> "b" [label="tcp 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15…"' in source and 'color="#c0392b"' in source


def test_render_svg_draws_nodes_and_edges():
    svg = render_svg('digraph { "a" -> "b" [label="tcp 80"]; }')
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert svg.count('class="node"') == 2 and svg.count('class="edge"') == 1
    assert "<!--" not in svg and "<?xml" not in svg


def test_render_svg_without_dot_names_the_package():
    with pytest.raises(VdiFirewallError, match=r"Graphviz 'no-such-dot' was not found on the controller \(install the package 'graphviz'"):
        render_svg("digraph {}", dot="no-such-dot")


def test_render_svg_reports_a_failing_dot(tmp_path):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(VdiFirewallError, match=r"failed \(exit 3\): Error: syntax error in line 1"):
        render_svg("digraph {", dot=str(fake))
    empty = tmp_path / "quiet-dot"
    empty.write_text("#!/bin/sh\nexit 0\n")
    empty.chmod(empty.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(VdiFirewallError, match=r"returned no SVG"):
        render_svg("digraph {}", dot=str(empty))


def test_host_groups_go_by_content_not_by_shared_objects(planned):
    topology, plans, flows = planned
    # vda2's plan as an equal copy (no object shared with vda1's): still one group with vda1
    copied = dict(plans, vda2=copy.deepcopy(plans["vda2"]))
    groups = {tuple(host["name"] for host in group["hosts"]) for group in report_model(topology, copied, flows)["host_groups"]}
    assert ("vda1", "vda2") in groups
    # one rule of the copy changed: two groups
    copied["vda2"]["rules"][0]["local_ports"] = ["1"]
    groups = {tuple(host["name"] for host in group["hosts"]) for group in report_model(topology, copied, flows)["host_groups"]}
    assert ("vda1",) in groups and ("vda2",) in groups


def test_report_model_groups_identical_hosts_and_names_components(planned):
    model = report_model(*planned)
    groups = {tuple(host["name"] for host in group["hosts"]) for group in model["host_groups"]}
    assert ("vda1", "vda2") in groups  # same rules, shown once
    assert ("ddc1",) in groups and ("ddc2",) in groups  # each excludes itself from its peers: different rules
    tiers = {item["id"]: item["tier"] for item in model["components"]}
    assert tiers["citrix_storefront"] == "edge" and tiers["citrix_vda"] == "internal" and tiers["user_device"] == "outside"
    assert model["products"] == ["Citrix"] and len(model["fingerprint"]) == 16
    assert {item["name"] for item in model["settings"]["symbolic_ports"]} >= {"dynamic_rpc"}
    open_any = [item for item in model["warnings"] if item["code"] == "open_to_any"]
    assert open_any and open_any[0]["hosts"] == ["vda1", "vda2"]
    edge = {(item["source"], item["destination"]): item for item in model["diagram"]["edges"]}
    assert edge[("user_device", "citrix_vda")]["warning"] is True
    assert edge[("citrix_delivery_controller", "sql_server")]["label"] == "tcp 1433-1434"


def test_html_report_is_self_contained_and_complete(planned, made):
    page = made[0]["report.html"]
    model = report_model(*planned)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # nothing is loaded from elsewhere: no external src/href, a CSP that allows nothing but inline code
    # (links to the documents' public addresses are followed only when clicked)
    assert not re.search(r'<(?!a )[a-z]+ [^>]*(src|href)="(?!#|data:)', page)
    assert re.search(r'<a href="https://[^"]+" rel="noreferrer">', page)
    assert "<link rel=\"stylesheet\"" not in page and "<script src" not in page
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in policy
    script = re.search(r"<script>(.*)</script>", page, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    # the sections a change board reads
    for anchor in ("summary", "warnings", "diagram-section", "flows", "hosts", "documents"):
        assert f'id="{anchor}"' in page
    assert page.count('<details class="host filter-item"') == len(model["host_groups"])
    assert page.count("<tr class=\"filter-item") >= len(model["flows"])
    assert '<svg width="' in page and 'class="node"' in page and "pt\"" not in page.split("<svg", 1)[1].split(">", 1)[0]
    assert "Communication Ports Used by Citrix Technologies" in page
    assert model["fingerprint"] in page
    assert f'<span id="version">{reports.collection_version()}</span>' in page and model["generated"] in page
    assert reports.collection_version() not in ("", "unknown")
    assert [item["title"] for item in model["documents"]] and all(item["title"] for item in model["documents"])
    assert any(item["id"] == "KB 832017" and item["url"].startswith("https://") for item in model["public_references"])


def test_a_rerun_keeps_the_time_its_report_was_written(planned, tmp_path):
    first, _notices = report_files(*planned, generated="2024-01-02 03:04 UTC")
    write_files(str(tmp_path), first)
    again, _notices = report_files(*planned, output_dir=str(tmp_path))
    assert again == first  # the same plan: nothing to write
    assert write_files(str(tmp_path), again) == {"written": [], "removed": []}
    (tmp_path / "report.html").write_text(first["report.html"].replace("Citrix", "Citrix!"), encoding="utf-8")
    changed, _notices = report_files(*planned, output_dir=str(tmp_path))
    assert "2024-01-02 03:04 UTC" not in changed["report.html"]  # another report: written now


def test_html_escapes_what_it_shows(planned):
    model = report_model(*planned)
    model["flows"][0]["description"] = '<script>alert("x")</script> & more'
    page = render_html(model)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in page


def test_report_without_dot_says_so_on_the_page(planned, monkeypatch):
    monkeypatch.setattr(reports, "render_svg", lambda source, dot="dot": render_svg(source, dot="no-such-dot"))
    files, notices = report_files(*planned)
    assert len(notices) == 1 and notices[0].startswith("report.html has no diagram: Graphviz 'no-such-dot' was not found")
    page = files["report.html"]
    assert 'id="diagram-missing"' in page and "Diagram not drawn." in page and "<svg" not in page
    assert 'id="flow-table"' in page  # the rest of the page is there


def test_reports_are_deterministic(planned):
    first, second = report_files(*planned, generated="2024-01-02 03:04 UTC")[0], report_files(
        *planned, generated="2024-01-02 03:04 UTC")[0]
    assert first == second


def test_write_files_handles_bytes_and_removes_owned_files_no_longer_made(tmp_path):
    files = {"report.html": "<p>é</p>\n", "change_request.xlsx": b"PK\x03\x04binary", "hosts/a.json": "{}\n"}
    assert write_files(str(tmp_path), files, remove=REPORT_FILES)["written"] == sorted(files)
    assert (tmp_path / "change_request.xlsx").read_bytes() == b"PK\x03\x04binary"
    assert write_files(str(tmp_path), files, remove=REPORT_FILES) == {"written": [], "removed": []}
    smaller = {key: value for key, value in files.items() if key != "change_request.xlsx"}
    checked = write_files(str(tmp_path), smaller, check_mode=True, remove=REPORT_FILES)
    assert checked == {"written": [], "removed": ["change_request.xlsx"]} and (tmp_path / "change_request.xlsx").exists()
    assert write_files(str(tmp_path), smaller, remove=REPORT_FILES)["removed"] == ["change_request.xlsx"]
    assert not (tmp_path / "change_request.xlsx").exists()
    # files the collection does not own are never touched
    (tmp_path / "notes.txt").write_text("mine")
    write_files(str(tmp_path), smaller, remove=REPORT_FILES)
    assert (tmp_path / "notes.txt").exists()


def test_write_files_names_the_path_it_cannot_write(tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a directory is needed")
    with pytest.raises(VdiFirewallError, match=r"output directory .*blocked is not a directory"):
        write_files(str(blocked), {"report.html": "x"})
    assert os.path.isfile(blocked)


def test_a_deployment_without_planned_hosts_still_gets_readable_reports():
    topology = build_topology(load_catalog(), [HostInput("tools1", groups=("misc",), ansible_host="10.0.0.1")])
    plans = plan_hosts(topology)
    files, notices = report_files(topology, plans, deployment_flows(topology, plans))
    assert notices == [] and plans == {}
    assert files["change_request.csv"].splitlines() == ["\ufeff" + ",".join(CHANGE_REQUEST_COLUMNS)]
    assert "No warnings." in files["report.html"] and "0 of 0" not in files["report.html"]
    assert openpyxl.load_workbook(io.BytesIO(files["change_request.xlsx"]))["Change request"].max_row == 1
