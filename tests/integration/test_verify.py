# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verify playbook with real TCP connections on this machine's loopback addresses."""

from __future__ import annotations

import csv
import json
import socket
import threading

import pytest
import yaml

from .test_export_matrix import run

INVENTORY = {"all": {
    # one machine plays both hosts: its loopback addresses stand for them
    "vars": {"vdi_firewall_product": "citrix", "ansible_connection": "local", "vdi_firewall_allow_loopback": True,
             "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
    "children": {
        "broker": {"hosts": {"ddc1": {"vdi_firewall_address": "127.0.0.1"}}},
        "sql": {"hosts": {"sql1": {"vdi_firewall_address": "127.0.0.2"}}},
    },
}}


class Listener:
    """A TCP listener on 127.0.0.2 that accepts and closes connections until stopped."""

    def __init__(self, port: int):
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.2", port))
        self.socket.listen()
        self.socket.settimeout(0.2)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                connection, _address = self.socket.accept()
                connection.close()
            except OSError:
                continue

    def close(self):
        self.stopped.set()
        self.thread.join()
        self.socket.close()


@pytest.fixture(name="inventory")
def fixture_inventory(tmp_path):
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(INVENTORY))
    return path


def verify(inventory, out):
    return run("ansible-playbook", "-i", str(inventory), "vdi.firewall.verify", "-e", f"vdi_firewall_output_dir={out}")


def test_every_required_flow_passes(inventory, tmp_path):
    listeners = [Listener(1433), Listener(1434)]
    try:
        result = verify(inventory, tmp_path / "out")
    finally:
        for listener in listeners:
            listener.close()
    assert result.returncode == 0, result.stdout
    report = json.loads((tmp_path / "out" / "verify.json").read_text())
    assert report["summary"]["flows_failed"] == [] and report["summary"]["probes"] == 2
    assert {flow for flow, outcome in report["flows"].items() if outcome["passed"]} == {"citrix_cvad_004", "citrix_cvad_005"}


def test_a_blocked_flow_fails_the_run_and_is_reported(inventory, tmp_path):
    listener = Listener(1433)
    try:
        result = verify(inventory, tmp_path / "out")
    finally:
        listener.close()
    assert result.returncode != 0
    assert "1 required flow(s) failed: citrix_cvad_005: ddc1 -> sql1 127.0.0.2:1434 refused" in result.stdout
    with open(tmp_path / "out" / "verify.csv", newline="", encoding="utf-8-sig") as handle:
        rows = {row["flow"]: row for row in csv.DictReader(handle)}
    assert rows["citrix_cvad_004"]["state"] == "open" and rows["citrix_cvad_004"]["passed"] == "True"
    assert rows["citrix_cvad_005"]["state"] == "refused" and rows["citrix_cvad_005"]["passed"] == "False"


def test_verify_ends_with_a_summary_even_when_a_flow_fails(tmp_path):
    """The summary comes before the failure, so that a failed run still says what passed."""
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump(INVENTORY))
    result = run("ansible-playbook", "-i", str(inventory), "vdi.firewall.verify")
    output = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert "Summarise the verification" in output and "probe(s)," in output and "flows:" in output, output[-3000:]
    assert output.index("Summarise the verification") < output.index("Fail when a required flow failed")
