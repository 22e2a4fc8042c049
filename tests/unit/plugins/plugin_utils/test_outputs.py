# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one output writer: safe file names, cells that are never formulas, all-or-nothing writes."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest

from ansible_collections.vdi.firewall.plugins.plugin_utils import _outputs as outputs
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._outputs import (
    cell,
    csv_text,
    file_name,
    name_of,
    stale_files,
    write_outputs,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import (
    HostInput,
    build_topology,
    deployment_flows,
    plan_hosts,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.files import plan_files, report_files

NAMES = ["ctx-vda1", "../../../escaped-vda", "a/b", ".hidden", "..", "=1+2", "vda 1", "vdá", "100%", "ä/../x"]


@pytest.mark.parametrize("name", NAMES)
def test_file_names_stay_inside_the_directory_and_turn_back_into_the_name(name):
    encoded = file_name(name)
    assert "/" not in encoded and encoded not in (".", "..") and not encoded.startswith(".")
    assert set(encoded) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-%")
    assert name_of(encoded) == name


def test_ordinary_host_names_are_unchanged():
    assert file_name("ctx-vda1.example.com") == "ctx-vda1.example.com"


def test_a_name_too_long_for_a_file_is_an_error_naming_it():
    with pytest.raises(VdiFirewallError, match=r"host 'vvvv.*too long for a file name"):
        file_name("v" * 250)


@pytest.mark.parametrize("value", ["=1+2", "+1", "-2", "@SUM(A1)", "\t=x", "\r=x"])
def test_a_cell_is_never_a_formula(value):
    assert cell(value) == "'" + value
    text = csv_text(["a"], [{"a": value}])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert rows[1][0].startswith("'")


def test_plain_cells_stay_as_they_are():
    assert cell("49152-65535") == "49152-65535" and cell("") == "" and cell(None) == ""


def hostile_site():
    hosts = [HostInput("=1+2", groups=("broker",), ansible_host="10.0.0.11", product="citrix"),
             HostInput("../../../escaped-vda", groups=("vda",), ansible_host="10.0.0.21", product="citrix")]
    topology = build_topology(load_catalog(), hosts)
    plans = plan_hosts(topology)
    rows = deployment_flows(topology, plans)
    files = plan_files(plans, rows)
    files.update(report_files(topology, plans, rows)[0])
    return files


def test_hostile_host_names_write_nothing_outside_and_no_formula(tmp_path):
    out = tmp_path / "a" / "b" / "out"
    files = hostile_site()
    write_outputs(str(out), files)
    written = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    assert all(path.startswith("a/b/out/") for path in written), written
    escaped = out / "hosts" / f"{file_name('../../../escaped-vda')}.json"
    assert json.loads(escaped.read_text())["host"] == "../../../escaped-vda"
    for name in ("change_request.csv", "flows.csv"):
        text = (out / name).read_text(encoding="utf-8-sig")
        assert not any(value.startswith("=") for row in csv.reader(io.StringIO(text)) for value in row), name
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.load_workbook(out / "change_request.xlsx")
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for item in row:
                assert item.data_type != "f", (sheet.title, item.coordinate, item.value)
    values = [item.value for sheet in workbook.worksheets for row in sheet.iter_rows() for item in row]
    assert any("=1+2" in str(value) for value in values)


def test_nothing_changes_when_a_write_fails_half_way(tmp_path, monkeypatch):
    old = {"flows.csv": "old flows\n", "change_request.csv": "old cr\n", "hosts/a.json": "{}\n"}
    write_outputs(str(tmp_path), old)
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    new = {"flows.csv": "new flows\n", "change_request.csv": "new cr\n", "hosts/a.json": "{\"a\": 1}\n",
           "report.html": "<p>new</p>\n"}
    real_replace = os.replace
    calls = []

    def failing_replace(source, target):
        calls.append(target)
        if len(calls) == 6:  # after two files are in place
            raise OSError(28, "No space left on device", target)
        return real_replace(source, target)

    monkeypatch.setattr(outputs.os, "replace", failing_replace)
    with pytest.raises(VdiFirewallError, match=r"No space left on device.*previous files are left as they were"):
        write_outputs(str(tmp_path), new, remove=["hosts/a.json"])
    monkeypatch.setattr(outputs.os, "replace", real_replace)
    after = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert after == before


def test_a_failed_staging_write_changes_nothing(tmp_path, monkeypatch):
    write_outputs(str(tmp_path), {"flows.csv": "old\n"})
    real_open = open

    def full_disk(path, mode="r", *args, **kwargs):
        if "w" in mode and "new1" in str(path):
            raise OSError(28, "No space left on device")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", full_disk)
    with pytest.raises(VdiFirewallError, match="nothing was changed"):
        write_outputs(str(tmp_path), {"flows.csv": "new\n", "report.html": "x"})
    monkeypatch.setattr("builtins.open", real_open)
    assert (tmp_path / "flows.csv").read_text() == "old\n" and not (tmp_path / "report.html").exists()
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".vdi_firewall-")]


def test_many_files_are_staged_by_threads_and_written_whole(tmp_path):
    files = {f"hosts/h{number}.json": f"{{\"n\": {number}}}\n" for number in range(outputs.STAGING_BATCH * 5 + 3)}
    files["flows.csv"] = "flows\n"
    assert write_outputs(str(tmp_path), files)["written"] == sorted(files)
    assert {str(path.relative_to(tmp_path)): path.read_text() for path in tmp_path.rglob("*") if path.is_file()} == files
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".vdi_firewall-")]


def test_a_failed_write_in_one_staging_thread_changes_nothing(tmp_path, monkeypatch):
    old = {f"hosts/h{number}.json": "old\n" for number in range(outputs.STAGING_BATCH * 4)}
    write_outputs(str(tmp_path), old)
    real_open = open

    def full_disk(path, mode="r", *args, **kwargs):
        if "w" in mode and str(path).endswith("/new201"):
            raise OSError(28, "No space left on device")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", full_disk)
    with pytest.raises(VdiFirewallError, match="No space left on device; nothing was changed"):
        write_outputs(str(tmp_path), {name: "new\n" for name in old})
    monkeypatch.setattr("builtins.open", real_open)
    assert {path.read_text() for path in (tmp_path / "hosts").iterdir()} == {"old\n"}
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".vdi_firewall-")]


def test_a_file_where_a_folder_is_needed_fails_before_anything_is_written(tmp_path):
    (tmp_path / "flows.csv").write_text("old\n")
    (tmp_path / "hosts").write_text("a file, not a folder")
    with pytest.raises(VdiFirewallError, match=r"hosts is not a directory"):
        write_outputs(str(tmp_path), {"flows.csv": "new\n", "hosts/a.json": "{}"})
    assert (tmp_path / "flows.csv").read_text() == "old\n"


@pytest.mark.parametrize("empty", ["", "  ", None])
def test_an_empty_output_directory_is_an_error(empty):
    with pytest.raises(VdiFirewallError, match="output directory is empty"):
        write_outputs(empty, {"flows.csv": "x"})


def test_stale_files_are_found_by_their_decoded_names(tmp_path):
    (tmp_path / "hosts").mkdir()
    for name in ("keep", "a/b", "gone"):
        (tmp_path / "hosts" / f"{file_name(name)}.json").write_text("{}")
    (tmp_path / "hosts" / "notes.txt").write_text("not ours")
    assert stale_files(str(tmp_path), "hosts", (".json",), {"keep"}) == sorted(
        [f"hosts/{file_name('a/b')}.json", "hosts/gone.json"])


def test_paths_outside_the_directory_are_refused(tmp_path):
    with pytest.raises(VdiFirewallError, match="not a plain path"):
        write_outputs(str(tmp_path), {"../x.json": "{}"})


SAMPLES = [
    {}, [], "x", 0, 1.5, None, True, [[]], {"a": {}}, {"é": "ü\n\"", "b": [1, {"c": [True, None, 1.5]}]},
    {1: "x", 2: {3: [3]}}, [{"z": 1}, {"z": 1}, ({"y": ()},)], {"n": {1: {"a": [1]}}}, ["a", {"b": ["c"]}, 1],
]


@pytest.mark.parametrize("value", SAMPLES)
def test_json_text_and_compact_are_byte_for_byte_json_dumps(value):
    text, compact = outputs.JsonText(), outputs.JsonCompact()
    document = {"value": value, "again": [value, value], "nested": {"deeper": [value]}}
    for item in (value, document, document):  # the second document: everything met before
        assert text(item) == json.dumps(item, indent=2, sort_keys=True) + "\n"
        assert compact(item) == json.dumps(item, sort_keys=True)
    assert outputs.json_text(value) == json.dumps(value, indent=2, sort_keys=True) + "\n"


def test_json_text_of_every_plan_of_a_site_is_json_dumps():
    hosts = [HostInput("ddc1", groups=("broker",), product="citrix", ansible_host="10.0.1.11"),
             HostInput("ddc2", groups=("broker",), product="citrix", ansible_host="10.0.1.12")]
    hosts += [HostInput(f"vda{index}", groups=("vda",), product="citrix", ansible_host=f"10.0.3.{index}")
              for index in range(1, 30)]
    plans = plan_hosts(build_topology(load_catalog(), hosts, endpoints={"user_device": "any"}))
    text, compact = outputs.JsonText(), outputs.JsonCompact()
    for plan in plans.values():
        assert text(plan) == json.dumps(plan, indent=2, sort_keys=True) + "\n"
        assert text(dict(plan, journeys=[{"id": "j", "hops": [1, 2]}])) == json.dumps(
            dict(plan, journeys=[{"id": "j", "hops": [1, 2]}]), indent=2, sort_keys=True) + "\n"
    assert compact(plans) == json.dumps(plans, sort_keys=True)
