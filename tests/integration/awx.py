# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the collection's playbooks as AWX runs a job: ansible-runner over a private data directory."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path

import ansible_runner

from .test_export_matrix import ROOT, run

BIN = Path(sys.executable).parent


def inventory_json(inventory_file: Path) -> dict:
    """The inventory as AWX's inventory script prints it (ansible-inventory --list format)."""
    result = run("ansible-inventory", "-i", str(inventory_file), "--list")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def slice_inventory(data: dict, number: int, count: int) -> dict:
    """What AWX gives slice `number` of `count`: every count-th host by name, groups cut to them."""
    hosts = sorted(data["_meta"]["hostvars"])
    kept = set(hosts[number - 1::count])
    sliced = {"_meta": {"hostvars": {host: data["_meta"]["hostvars"][host] for host in hosts if host in kept}}}
    for group, body in data.items():
        if group == "_meta":
            continue
        body = dict(body)
        if "hosts" in body:
            body["hosts"] = [host for host in body["hosts"] if host in kept]
        sliced[group] = body
    return sliced


def private_data_dir(base: Path, inventory: dict, extravars: dict, cmdline: str = "") -> Path:
    """Lay out a private data directory the way AWX does for a job."""
    shutil.rmtree(base, ignore_errors=True)
    (base / "project").mkdir(parents=True)
    shutil.copytree(ROOT / "playbooks", base / "project" / "playbooks")
    (base / "inventory").mkdir()
    script = base / "inventory" / "hosts"
    script.write_text(
        "#!" + sys.executable + "\nimport json, sys\nprint(json.dumps(" + repr(inventory) + "))\n", encoding="utf-8"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    (base / "env").mkdir()
    (base / "env" / "extravars").write_text(json.dumps(extravars), encoding="utf-8")
    (base / "env" / "envvars").write_text(json.dumps({
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".build" / "collections"),
        "ANSIBLE_FORCE_COLOR": "False",
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "JOB_ID": "4711",
        "AWX_HOST": "https://awx.example.com",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }), encoding="utf-8")
    (base / "env" / "settings").write_text(json.dumps({"suppress_ansible_output": True, "job_timeout": 600}),
                                           encoding="utf-8")
    if cmdline:
        (base / "env" / "cmdline").write_text(cmdline, encoding="utf-8")
    return base


def run_job(base: Path, playbook: str, limit: str | None = None):
    """Run one job and return the runner (status, rc, events, stats)."""
    return ansible_runner.run(private_data_dir=str(base), playbook=playbook, ident="4711", limit=limit,
                              quiet=True, settings={"suppress_ansible_output": True})
