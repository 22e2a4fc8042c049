# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan playbook on the bundled examples and on bad inventories, run as users run it."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .test_export_matrix import BIN, ROOT, run

EXAMPLES = ("citrix", "parallels_ras", "microsoft_rds")


def plan(inventory, out=None, *extra):
    args = ["ansible-playbook", "-i", str(inventory), "vdi.firewall.plan", *extra]
    if out is not None:
        args += ["-e", f"vdi_firewall_output_dir={out}"]
    return run(*args)


@pytest.fixture(scope="module", name="planned")
def fixture_planned(tmp_path_factory):
    results = {}
    for example in EXAMPLES:
        out = tmp_path_factory.mktemp(example)
        result = plan(ROOT / "examples" / example / "inventory.yml", out)
        assert result.returncode == 0, result.stdout + result.stderr
        results[example] = (out, result)
    return results


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_host_gets_a_plan_file(planned, example):
    out, result = planned[example]
    inventory = yaml.safe_load((ROOT / "examples" / example / "inventory.yml").read_text())
    hosts = {host for group in inventory["all"]["children"].values() for host in group["hosts"]}
    assert {path.stem for path in (out / "hosts").glob("*.json")} == hosts
    for host in hosts:
        data = json.loads((out / "hosts" / f"{host}.json").read_text())
        assert data["host"] == host
        assert set(data) >= {"host", "components", "rules", "unresolved"}
        assert data["rules"], host
        for rule in data["rules"]:
            assert set(rule) >= {"name", "direction", "protocol", "local_ports", "remote_ports", "remote_addresses",
                                 "flows", "description"}
            assert rule["direction"] in ("in", "out") and rule["remote_addresses"] and rule["flows"]
    assert "hosts planned" in result.stdout


def test_citrix_example_rules_follow_the_flows(planned):
    out = planned["citrix"][0]
    ddc = {rule["name"]: rule for rule in json.loads((out / "hosts/ctx-ddc1.json").read_text())["rules"]}
    assert ddc["vdi-in-tcp-citrix_storefront"]["remote_addresses"] == ["192.0.2.31/32", "192.0.2.32/32"]
    assert ddc["vdi-in-tcp-citrix_storefront"]["local_ports"] == ["80", "443"]
    assert ddc["vdi-out-tcp-sql_server"]["remote_addresses"] == ["192.0.2.51/32"]
    vda = {rule["name"]: rule for rule in json.loads((out / "hosts/ctx-vda3.json").read_text())["rules"]}
    assert vda["vdi-in-tcp-user_device"]["remote_addresses"] == ["198.51.100.0/24", "2001:db8:100::/48"]
    assert {"1494", "2598"} <= set(vda["vdi-in-tcp-user_device"]["local_ports"])
    # no inbound rule on a VDA opens it to anything but its peers
    assert all(rule["remote_addresses"] != ["0.0.0.0/0", "::/0"] for rule in vda.values())


def test_flows_csv_lists_real_peers_with_references(planned):
    out = planned["citrix"][0]
    with open(out / "flows.csv", newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(row["reference"] and row["source_addresses"] and row["destination_addresses"] for row in rows)
    sf = [row for row in rows if row["source"] == "citrix_storefront" and row["destination"] == "citrix_delivery_controller"]
    assert sf and sf[0]["source_hosts"] == "ctx-sf1 ctx-sf2" and sf[0]["destination_hosts"] == "ctx-ddc1 ctx-ddc2"


def test_second_run_changes_nothing_and_check_mode_writes_nothing(planned, tmp_path):
    out = planned["microsoft_rds"][0]
    again = plan(ROOT / "examples/microsoft_rds/inventory.yml", out)
    assert again.returncode == 0 and "changed=0" in again.stdout
    checked = plan(ROOT / "examples/microsoft_rds/inventory.yml", tmp_path / "new", "--check")
    assert checked.returncode == 0, checked.stdout
    assert not (tmp_path / "new").exists()


def test_plan_without_output_dir_only_prints(tmp_path):
    result = plan(ROOT / "examples/microsoft_rds/inventory.yml")
    assert result.returncode == 0
    assert "set vdi_firewall_output_dir" in result.stdout


def write_inventory(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def site(**all_vars):
    return {"all": {"vars": {"vdi_firewall_product": "citrix", **all_vars}, "children": {
        "broker": {"hosts": {"ddc1": {"ansible_host": "10.9.0.1"}}},
        "vda": {"hosts": {"vda1": {"ansible_host": "10.9.0.2"}}},
    }}}


@pytest.mark.parametrize(
    ("inventory", "message"),
    [
        (site(vdi_firewall_group_map={"broker": ["citrix_ddc"]}), "vdi_firewall_group_map['broker']: unknown component 'citrix_ddc'"),
        (site(vdi_firewall_endpoints={"user_device": ["10.1.0.0/40"]}), "vdi_firewall_endpoints['user_device']: '10.1.0.0/40' is not an IP address or CIDR"),
        (site(vdi_firewall_features={"citrix_magic": True}), "host 'ddc1': vdi_firewall_features: unknown feature 'citrix_magic'"),
        (site(vdi_firewall_product="vmware_horizon"), "host 'ddc1': vdi_firewall_product 'vmware_horizon' is not one of"),
        ({"all": {"vars": {"vdi_firewall_product": "citrix"}, "children": {"vda": {"hosts": {"vda1": {"ansible_host": "vda1.corp"}}}}}},
         "host 'vda1': ansible_host 'vda1.corp' does not resolve on the controller"),
        (site(vdi_firewall_strict=True), "vdi_firewall_strict is on"),
    ],
)
def test_bad_inventory_fails_clearly_and_writes_nothing(tmp_path, inventory, message):
    out = tmp_path / "out"
    result = plan(write_inventory(tmp_path, inventory), out)
    assert result.returncode != 0
    output = " ".join(result.stdout.split())
    assert message in output, output
    assert "Traceback" not in result.stdout + result.stderr
    assert not out.exists()


def test_a_limited_run_plans_against_the_whole_site_and_leaves_other_plans_alone(tmp_path):
    inventory = ROOT / "examples/citrix/inventory.yml"
    out = tmp_path / "out"
    assert plan(inventory, out).returncode == 0
    before = {path.name: path.read_bytes() for path in (out / "hosts").iterdir()}
    whole_vda = json.loads(before["ctx-vda1.json"])
    (out / "hosts" / "ctx-vda1.json").unlink()
    result = plan(inventory, out, "--limit", "ctx-vda1")
    assert result.returncode == 0, result.stdout
    after = {path.name: path.read_bytes() for path in (out / "hosts").iterdir()}
    assert after == before
    assert json.loads(after["ctx-vda1.json"]) == whole_vda
    assert "limited run: 1 of 14 inventory hosts planned against the whole deployment" in result.stdout
    with open(out / "flows.csv", newline="", encoding="utf-8-sig") as handle:
        hosts = {host for row in csv.DictReader(handle) for host in row["source_hosts"].split()}
    assert len(hosts) > 5


def test_an_empty_output_directory_is_an_error(tmp_path):
    result = run("ansible-playbook", "-i", str(ROOT / "examples/citrix/inventory.yml"), "vdi.firewall.plan",
                 "-e", "vdi_firewall_output_dir=", cwd=tmp_path)
    assert result.returncode != 0
    assert "output_dir (vdi_firewall_output_dir) is empty" in result.stdout
    assert "written to :" not in result.stdout and not list(tmp_path.iterdir())


def test_a_host_named_like_a_path_is_written_inside_the_output_directory(tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"vars": {"vdi_firewall_product": "citrix"}, "children": {
        "vda": {"hosts": {"../../escaped-vda": {"ansible_host": "192.0.2.101"}}},
        "broker": {"hosts": {"=1+2": {"ansible_host": "192.0.2.21"}}}}}}))
    out = tmp_path / "a" / "b" / "out"
    result = plan(inventory, out)
    assert result.returncode == 0, result.stdout
    assert sorted(path.name for path in (out / "hosts").iterdir()) == ["%2E.%2F..%2Fescaped-vda.json", "%3D1%2B2.json"]
    assert json.loads((out / "hosts" / "%2E.%2F..%2Fescaped-vda.json").read_text())["host"] == "../../escaped-vda"
    assert not (tmp_path / "escaped-vda.json").exists() and not (tmp_path / "a" / "escaped-vda.json").exists()
    text = (out / "change_request.csv").read_text(encoding="utf-8-sig")
    assert "'=1+2" in text and ",=1+2" not in text


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root and unshare for a private /etc/hosts")
def test_dns_names_in_ansible_host_are_resolved_on_the_controller(tmp_path):
    """Names the test makes resolvable itself: a private /etc/hosts in a mount namespace of its own."""
    hosts_file = tmp_path / "hosts"
    hosts_file.write_text("127.0.0.1 localhost\n192.0.2.21 ddc1.corp.test\n192.0.2.101 vda1.corp.test\n")
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"vars": {"vdi_firewall_product": "citrix"}, "children": {
        "broker": {"hosts": {"ddc1": {"ansible_host": "ddc1.corp.test"}}},
        "vda": {"hosts": {"vda1": {"ansible_host": "vda1.corp.test"}, "vda2": {"ansible_host": "vda2.corp.test"}}}}}}))
    out = tmp_path / "out"
    command = (f"mount --bind {hosts_file} /etc/hosts && exec {BIN / 'ansible-playbook'} -i {inventory} "
               f"vdi.firewall.plan -e vdi_firewall_output_dir={out}")
    failed = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", command], cwd=ROOT,
                            env=dict(os.environ, ANSIBLE_NOCOLOR="1"), capture_output=True, text=True, check=False)
    assert failed.returncode != 0
    assert "host 'vda2': ansible_host 'vda2.corp.test' does not resolve on the controller" in " ".join(
        failed.stdout.split())
    inventory.write_text(inventory.read_text().replace("vda2.corp.test", "192.0.2.102"))
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", command], cwd=ROOT,
                            env=dict(os.environ, ANSIBLE_NOCOLOR="1"), capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
    vda = json.loads((out / "hosts" / "vda1.json").read_text())
    assert vda["addresses"] == ["192.0.2.101/32"]
    assert any("192.0.2.21/32" in rule["remote_addresses"] for rule in vda["rules"])


def test_typos_in_groups_and_variables_are_reported_not_dropped(tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"vars": {"vdi_firewall_product": "citrix",
                                                          "vdi_firewall_secure_onyl": True}, "children": {
        "broker": {"hosts": {"ddc1": {"ansible_host": "192.0.2.21", "vdi_firewall_adress": "192.0.2.99"}}},
        "brokers": {"hosts": {"ddc2": {"ansible_host": "192.0.2.22"}}},
        "VDA": {"hosts": {"vda1": {"ansible_host": "192.0.2.101"}}},
        "tools": {"hosts": {"jump1": {"ansible_host": "192.0.2.5"}}}}}}))
    result = plan(inventory, tmp_path / "out")
    assert result.returncode == 0, result.stdout
    output = " ".join(result.stdout.split() + result.stderr.split())
    assert "3 host(s) in no VDI group, not planned: ddc2, jump1, vda1 (groups that look like typos: brokers, VDA)" \
        in output, output[-3000:]
    assert "host 'ddc2' is in no VDI group and is not planned: its group 'brokers' looks like 'broker'" in output
    assert "unknown variable vdi_firewall_adress (hosts ddc1) is ignored; did you mean vdi_firewall_address?" in output
    assert "unknown variable vdi_firewall_secure_onyl (hosts ddc1, ddc2, jump1, vda1) is ignored; did you mean " \
           "vdi_firewall_secure_only?" in output


def test_two_products_inventories_under_one_product_fail_naming_a_host(tmp_path):
    """The Citrix and RDS examples combined: one vdi_firewall_product wins for all, so an RDS host would be Citrix."""
    result = run("ansible-playbook", "-i", str(ROOT / "examples/citrix/inventory.yml"),
                 "-i", str(ROOT / "examples/microsoft_rds/inventory.yml"), "vdi.firewall.plan",
                 "-e", f"vdi_firewall_output_dir={tmp_path / 'out'}")
    output = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert "the host's product is ambiguous" in output and "which microsoft_rds has no components for" in output
    assert not (tmp_path / "out").exists()
