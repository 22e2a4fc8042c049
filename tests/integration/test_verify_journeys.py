# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verify playbook reports per journey what real TCP connections proved."""

from __future__ import annotations

import json

import pytest
import yaml

from .test_verify import INVENTORY, Listener, verify


@pytest.fixture(name="inventory")
def fixture_inventory(tmp_path):
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(INVENTORY))
    return path


def test_a_journey_whose_probes_pass_is_complete(inventory, tmp_path):
    listeners = [Listener(1433), Listener(1434)]
    try:
        result = verify(inventory, tmp_path / "out")
    finally:
        for listener in listeners:
            listener.close()
    assert result.returncode == 0, result.stdout
    report = json.loads((tmp_path / "out" / "verify.json").read_text())
    journeys = {item["id"]: item for item in report["journeys"]}
    database = journeys["citrix_site_database"]
    assert database["status"] == "complete"
    assert database["hops"][0]["verified"] == "passed" and database["hops"][0]["plan"] == "open"
    assert journeys["citrix_licensing"]["status"] == "not_applicable"
    assert report["summary"]["journeys_complete"] == 1 and report["summary"]["journeys_broken"] == 0


def test_a_failing_probe_breaks_its_journey_naming_the_hop_and_both_hosts(inventory, tmp_path):
    listener = Listener(1434)
    try:
        result = verify(inventory, tmp_path / "out")
    finally:
        listener.close()
    assert result.returncode != 0
    output = " ".join(result.stdout.split())
    assert ("broken journeys: citrix_site_database (hop 1 citrix_delivery_controller -> sql_server tcp/1433: "
            "ddc1 -> sql1 127.0.0.2:1433 refused)") in output, output
    report = json.loads((tmp_path / "out" / "verify.json").read_text())
    database = {item["id"]: item for item in report["journeys"]}["citrix_site_database"]
    assert database["status"] == "broken"
    failure = database["first_failure"]
    assert (failure["hop"], failure["source_host"], failure["destination_host"], failure["port"], failure["state"]) == (
        1, "ddc1", "sql1", 1433, "refused")
    assert failure["plan"] == "open"  # the plan lets it through: the path or the service is at fault
