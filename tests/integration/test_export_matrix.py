# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The export_matrix playbook and the lookup, run through ansible-playbook as a user runs them."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog
from tests.catalog_dirs import write_product

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*args, cwd=None, env=None):
    """Run an Ansible command line from the virtual environment and return the finished process."""
    command = [str(BIN / args[0]), *args[1:]]
    merged = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **(env or {}))
    return subprocess.run(command, cwd=cwd or ROOT, env=merged, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    result = run("ansible-playbook", "vdi.firewall.export_matrix", "-e", f"vdi_firewall_export_dir={out}")
    assert result.returncode == 0, result.stdout + result.stderr
    return out, result


def test_matrix_csv_has_one_row_per_flow_and_protocol(exported):
    out = exported[0]
    with open(out / "matrix.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    catalog = load_catalog()
    assert len(rows) == sum(len(flow.protocols) for flow in catalog.flows)
    for column in ("product", "section", "source", "destination", "protocol", "ports", "description", "feature", "reference"):
        assert column in rows[0]
    assert all(row["reference"] for row in rows)
    # the shared infrastructure's rows are the domain membership supplements every product's servers need
    assert {row["product"] for row in rows} == {"Citrix", "Microsoft Remote Desktop Services", "Parallels RAS",
                                                "Shared infrastructure"}
    layers = {row["flow_id"]: row["layer"] for row in rows}
    assert layers["citrix_sup_001"] == "supplement" and layers["citrix_cvad_001"] == "document"
    assert all(row["reason"] for row in rows if row["layer"] == "supplement")
    for row in rows:
        if row["protocol"] in ("tcp", "udp"):
            for item in row["ports"].split(","):
                bounds = [int(part) for part in item.split("-")]
                assert all(0 <= bound <= 65535 for bound in bounds), row
        else:
            assert row["ports"] == "", row


def test_matrix_csv_keeps_rpc_ranges_and_fqdns(exported):
    out = exported[0]
    with open(out / "matrix.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rpc = [row for row in rows if "dynamic_rpc" in row["symbolic_ports"].split(",")]
    assert rpc and all("49152-65535" in row["ports"].split(",") for row in rpc)
    assert any("clearinghouse.one.microsoft.com" in row["to_addresses"] for row in rows)


def test_matrix_markdown_is_grouped_by_product_and_section(exported):
    out = exported[0]
    text = (out / "matrix.md").read_text(encoding="utf-8")
    assert "## Citrix" in text and "## Parallels RAS" in text and "## Microsoft Remote Desktop Services" in text
    assert "### Citrix ADC" in text
    assert "| citrix_adc_001 |" in text


def test_export_is_idempotent(exported):
    out = exported[0]
    again = run("ansible-playbook", "vdi.firewall.export_matrix", "-e", f"vdi_firewall_export_dir={out}")
    assert again.returncode == 0
    assert "changed=0" in again.stdout


def test_export_without_directory_fails_clearly():
    result = run("ansible-playbook", "vdi.firewall.export_matrix")
    assert result.returncode != 0
    assert "set vdi_firewall_export_dir" in result.stdout


@pytest.mark.parametrize(("products", "expected"), [
    ('{"vdi_firewall_export_products": ["microsoft_rds"]}', {"Microsoft Remote Desktop Services"}),
    # a string is one product (not one per letter), or several separated by commas
    ("vdi_firewall_export_products=microsoft_rds", {"Microsoft Remote Desktop Services"}),
    ("vdi_firewall_export_products=microsoft_rds,citrix", {"Microsoft Remote Desktop Services", "Citrix"}),
])
def test_export_of_some_products(tmp_path, products, expected):
    result = run("ansible-playbook", "vdi.firewall.export_matrix", "-e", f"vdi_firewall_export_dir={tmp_path}",
                 "-e", products)
    assert result.returncode == 0, result.stdout
    with open(tmp_path / "matrix.csv", newline="", encoding="utf-8") as handle:
        assert {row["product"] for row in csv.DictReader(handle)} == expected | {"Shared infrastructure"}


def test_lookup_reports_bad_catalog_by_file_and_entry(tmp_path):
    catalog_dir = tmp_path / "catalog"
    write_product(catalog_dir, {"product": "infrastructure", "shared": True, "components": {"user_device": {"name": "User"}}})
    write_product(catalog_dir, {
        "product": "microsoft_rds",
        "documents": {"002.txt": {"title": "RDS", "language": "en"}},
        "components": {"rds_gateway": {"name": "RD Gateway"}},
        "flows": [{"id": "rds_gateway_001", "from": "user_device", "to": "rds_gateway", "protocols": ["tcp"],
                   "ports": [443, 99999], "description": "HTTPS", "section": "RD Gateway",
                   "references": [{"document": "002.txt", "section": "RD Gateway"}]}],
    })
    playbook = tmp_path / "check.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Load a bad catalog", "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "Load", "ansible.builtin.debug": {
            "msg": "{{ lookup('vdi.firewall.catalog', catalog_dir='" + str(catalog_dir) + "') }}"}}],
    }]))
    result = run("ansible-playbook", str(playbook))
    assert result.returncode != 0
    output = " ".join((result.stdout + result.stderr).split())
    assert "microsoft_rds/flows.yml: flow 'rds_gateway_001' (entry 1): port: '99999' is not a port number (1-65535)" in output
    assert "Traceback" not in output


def test_unknown_product_in_lookup_fails_clearly(tmp_path):
    result = run("ansible", "localhost", "-m", "ansible.builtin.debug",
                 "-a", "msg={{ lookup('vdi.firewall.catalog', 'vmware') }}")
    assert result.returncode != 0
    assert "unknown product(s) vmware" in result.stdout


@pytest.mark.parametrize(("plugin_type", "name"), [("lookup", "vdi.firewall.catalog"), ("filter", "vdi.firewall.matrix_csv"),
                                                   ("filter", "vdi.firewall.matrix_markdown")])
def test_every_plugin_has_ansible_doc(plugin_type, name):
    result = run("ansible-doc", "-t", plugin_type, name)
    assert result.returncode == 0, result.stderr
    assert "EXAMPLES" in result.stdout


def test_collection_builds_and_installs(tmp_path):
    built = run("ansible-galaxy", "collection", "build", "--output-path", str(tmp_path / "dist"), str(ROOT))
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = next((tmp_path / "dist").glob("vdi-firewall-*.tar.gz"))
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert "vars/catalog/citrix/flows.yml" in names and "vars/catalog/schema/flows.schema.json" in names
    assert "playbooks/export_matrix.yml" in names
    assert not any(name.startswith((".venv", ".build", "tests/", ".ci")) for name in names)
    # dependencies come from the ansible package here; the collection itself must install
    only_installed = {"ANSIBLE_COLLECTIONS_PATH": str(tmp_path / "collections")}
    installed = run("ansible-galaxy", "collection", "install", "--no-deps", "-p", str(tmp_path / "collections"),
                    str(tarball), cwd=tmp_path, env=only_installed)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (tmp_path / "collections/ansible_collections/vdi/firewall/vars/catalog/citrix/product.yml").is_file()
    doc = run("ansible-doc", "-t", "lookup", "vdi.firewall.catalog", cwd=tmp_path, env=only_installed)
    assert doc.returncode == 0, doc.stderr
    out = tmp_path / "out"
    playbook = run("ansible-playbook", "vdi.firewall.export_matrix", "-e", f"vdi_firewall_export_dir={out}",
                   cwd=tmp_path, env=only_installed)
    assert playbook.returncode == 0, playbook.stdout + playbook.stderr
    assert (out / "matrix.csv").exists()


def _task_collections(tasks) -> set[str]:
    """Collections whose modules, actions or roles a list of tasks calls by FQCN."""
    used = set()
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        for key, value in task.items():
            if key in ("block", "rescue", "always", "tasks", "pre_tasks", "post_tasks", "handlers"):
                used |= _task_collections(value)
            elif key.count(".") == 2:
                used.add(key.rsplit(".", 1)[0])
            if key.endswith(("include_role", "import_role")) and isinstance(value, dict):
                name = str(value.get("name", ""))
                if name.count(".") == 2 and "{{" not in name.split(".", 2)[1]:
                    used.add(name.rsplit(".", 1)[0])
    return used


def test_collection_dependencies_are_what_it_calls():
    """galaxy.yml's dependencies: exactly the collections its roles, playbooks and plugins call."""
    used = set()
    for path in list(ROOT.glob("roles/*/tasks/*.yml")) + list(ROOT.glob("playbooks/*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        if path.parts[-3:-1] == ("playbooks",) or path.parent.name == "playbooks":
            document = [task for play in document for task in
                        play.get("tasks", []) + play.get("pre_tasks", []) + play.get("post_tasks", [])]
        used |= _task_collections(document)
    for path in ROOT.glob("plugins/**/*.py"):
        used.update(f"{namespace}.{name}" for namespace, name in
                    re.findall(r"ansible_collections\.([a-z0-9_]+)\.([a-z0-9_]+)", path.read_text(encoding="utf-8")))
    used -= {"ansible.builtin", "vdi.firewall"}
    declared = set(yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["dependencies"])
    assert declared == used


def test_tarball_carries_the_licence_and_no_development_files(tmp_path):
    built = run("ansible-galaxy", "collection", "build", "--output-path", str(tmp_path / "dist"), str(ROOT))
    assert built.returncode == 0, built.stdout + built.stderr
    with tarfile.open(next((tmp_path / "dist").glob("vdi-firewall-*.tar.gz"))) as archive:
        names = set(archive.getnames())
        licence = archive.extractfile("LICENSE").read().decode("utf-8")
    assert "GNU GENERAL PUBLIC LICENSE" in licence and "Version 3, 29 June 2007" in licence
    assert not names & {"ansible.cfg", "Makefile", ".gitignore", ".ci", "mypy.ini"}
    # no tool's cache (mypy, ruff, hypothesis, pytest), whatever the checkout holds when it is built
    assert {name.split("/")[0] for name in names if name.startswith(".")} <= {".ansible-lint-ignore"}
    assert not any(name.startswith(("out/", "molecule/", "benchmarks/", "requirements/", "scripts/")) for name in names)


def test_changelog_fragments_are_valid():
    """Every fragment loads as YAML and uses the sections of changelogs/config.yaml, with text entries."""
    config = yaml.safe_load((ROOT / "changelogs/config.yaml").read_text(encoding="utf-8"))
    sections = {name for name, _title in config["sections"]} | {config["trivial_section_name"],
                                                                config["prelude_section_name"]}
    for path in sorted((ROOT / "changelogs/fragments").glob("*.yml")):
        fragment = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(fragment, dict) and set(fragment) <= sections, path.name
        for section, entries in fragment.items():
            entries = [entries] if section == config["prelude_section_name"] else entries
            assert entries and all(isinstance(entry, str) and entry.strip() for entry in entries), (path.name, section)
