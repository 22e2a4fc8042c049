# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX / Automation Platform: execution environment, job templates as data, jobs run as AWX runs them."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml

from .awx import inventory_json, private_data_dir, run_job
from .test_export_matrix import ROOT, run

SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}


def documented_variables() -> set[str]:
    """Every vdi_firewall_* variable named in the docs or in a role's argument spec."""
    names = set()
    for path in list((ROOT / "docs").glob("*.md")) + list(ROOT.glob("roles/*/meta/argument_specs.yml")):
        names.update(re.findall(r"\bvdi_firewall_[a-z0-9_]+", path.read_text(encoding="utf-8")))
    return names


def test_execution_environment_build_context(tmp_path):
    context = tmp_path / "context"
    result = run("ansible-builder", "create", "-f", str(ROOT / "execution-environment.yml"), "--context", str(context),
                 "--output-filename", "Containerfile")
    assert result.returncode == 0, result.stdout + result.stderr
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile
    assert "ansible-core==2.19.14" in containerfile
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert {"name": "vdi.firewall", "version": ">=1.0.0"} in galaxy["collections"]
    assert "netaddr" in (context / "_build" / "requirements.txt").read_text()
    assert "graphviz" in (context / "_build" / "bindep.txt").read_text()


def test_collection_declares_its_requirements_to_ansible_builder():
    result = run("ansible-builder", "introspect", "--sanitize", str(ROOT / ".build" / "collections"))
    assert result.returncode == 0, result.stderr
    assert "netaddr" in result.stdout and "from collection vdi.firewall" in result.stdout


def test_job_templates_are_importable_data():
    data = json.loads((ROOT / "awx" / "job_templates.json").read_text())
    documented = documented_variables()
    names = set()
    for template in data["job_templates"]:
        assert template["name"] not in names
        names.add(template["name"])
        assert template["job_type"] in ("run", "check")
        assert (ROOT / template["playbook"]).is_file(), template["playbook"]
        spec = template["survey_spec"]
        assert set(spec) == {"name", "description", "spec"}
        variables = set()
        for question in spec["spec"]:
            assert question["type"] in SURVEY_TYPES
            assert question["variable"] not in variables
            variables.add(question["variable"])
            assert question["variable"] in documented, f"{template['name']}: {question['variable']} is not documented"
            if question["type"] in ("multiplechoice", "multiselect"):
                # AWX's rule: every line of the default is a choice (an empty default has none)
                assert all(line in question["choices"] for line in question["default"].splitlines())
    assert any(template["playbook"] == "playbooks/plan.yml" for template in data["job_templates"])


# The one survey answer with a default: the collection uses it only where vdi_firewall_output_dir is unset.
FILL_IN_DEFAULTS = {"vdi_firewall_survey_output_dir": "/runner/artifacts/vdi_firewall"}


def test_no_survey_question_can_replace_an_inventory_value():
    """A survey only adds to the inventory: its answers go to vdi_firewall_survey_* variables, optional, empty by default."""
    data = json.loads((ROOT / "awx" / "job_templates.json").read_text())
    planning = (ROOT / "docs" / "planning.md").read_text(encoding="utf-8")
    inventory_variables = set(re.findall(r"^\| `(vdi_firewall_[a-z0-9_]+)`", planning, flags=re.M))
    assert "vdi_firewall_product" in inventory_variables
    for template in data["job_templates"]:
        for question in template["survey_spec"]["spec"]:
            where = f"{template['name']}: {question['variable']}"
            assert question["variable"].startswith("vdi_firewall_survey_"), where
            assert question["variable"] not in inventory_variables, where
            assert question["required"] is False, where
            assert question["default"] == FILL_IN_DEFAULTS.get(question["variable"], ""), where


def survey_defaults(template_name: str) -> dict:
    data = json.loads((ROOT / "awx" / "job_templates.json").read_text())
    template = next(item for item in data["job_templates"] if item["name"] == template_name)
    return {question["variable"]: question["default"] for question in template["survey_spec"]["spec"]}


EXAMPLES = [("citrix", "citrix", 14), ("parallels_ras", "parallels_ras", 12), ("microsoft_rds", "microsoft_rds", 8)]
PLAN_TASK = "Plan every host's rules in one pass on the controller"


def launch_defaults(template_name: str, out) -> dict:
    """Every answer of the template's survey at its default, as a launch that takes them all sends them.

    The output directory under /runner/artifacts/ (AWX's) is moved to `out`.
    """
    return {name: str(out) if str(value).startswith("/runner/") else value
            for name, value in survey_defaults(template_name).items()}


def planned(runner) -> dict:
    """The result of the plan task of a finished job."""
    events = [event for event in runner.events if event["event"] == "runner_on_ok"
              and event["event_data"].get("task") == PLAN_TASK]
    assert len(events) == 1
    return events[0]["event_data"]["res"]


def host_plans(out) -> dict:
    return {path.stem: json.loads(path.read_text()) for path in (out / "hosts").glob("*.json")}


@pytest.mark.parametrize(("example", "product", "hosts"), EXAMPLES)
def test_plan_survey_defaults_plan_what_the_inventory_says(tmp_path, example, product, hosts):
    """Launched with every survey answer at its default, Plan plans the inventory's product and hosts."""
    inventory = inventory_json(ROOT / f"examples/{example}/inventory.yml")
    out = tmp_path / "out"
    runner = run_job(private_data_dir(tmp_path / "job", inventory, launch_defaults("VDI firewall | Plan", out)),
                     "playbooks/plan.yml")
    assert runner.status == "successful", runner.stdout.read()
    result = planned(runner)
    assert result["products"] == [product]
    assert result["summary"]["hosts"] == hosts
    plans = host_plans(out)
    assert set(plans) == set(inventory["_meta"]["hostvars"])
    assert {plan["product"] for plan in plans.values()} == {product}

    # the same plan as the playbook run without any survey answer
    bare = tmp_path / "bare"
    runner = run_job(private_data_dir(tmp_path / "bare_job", inventory, {"vdi_firewall_output_dir": str(bare)}),
                     "playbooks/plan.yml")
    assert runner.status == "successful", runner.stdout.read()
    assert host_plans(bare) == plans


@pytest.mark.parametrize("template", ["VDI firewall | Plan", "VDI firewall | Apply (check)", "VDI firewall | Apply"])
def test_survey_defaults_keep_the_inventorys_strict(tmp_path, template):
    """vdi_firewall_strict: true in the inventory stays on under the template's survey defaults.

    Every playbook plans with the same action, so the plan playbook stands for apply's planning pass too.
    """
    inventory = inventory_json(ROOT / "examples/citrix/inventory.yml")
    for variables in inventory["_meta"]["hostvars"].values():
        variables["vdi_firewall_strict"] = True
    extravars = launch_defaults(template, tmp_path / "out")
    runner = run_job(private_data_dir(tmp_path / "job", inventory, extravars), "playbooks/plan.yml")
    assert runner.status == "failed", "the survey's defaults switched the inventory's strict mode off"
    failed = [event for event in runner.events if event["event"] == "runner_on_failed"]
    assert failed and "vdi_firewall_strict is on" in failed[0]["event_data"]["res"]["msg"]


def test_survey_product_fills_in_for_hosts_without_one(tmp_path):
    inventory = inventory_json(ROOT / "examples/microsoft_rds/inventory.yml")
    for variables in inventory["_meta"]["hostvars"].values():
        del variables["vdi_firewall_product"]
    extravars = dict(launch_defaults("VDI firewall | Plan", tmp_path / "out"), vdi_firewall_survey_product="microsoft_rds")
    runner = run_job(private_data_dir(tmp_path / "job", inventory, extravars), "playbooks/plan.yml")
    assert runner.status == "successful", runner.stdout.read()
    result = planned(runner)
    assert result["products"] == ["microsoft_rds"] and result["summary"]["hosts"] == 8


def test_survey_output_dir_is_used_only_where_vdi_firewall_output_dir_is_unset(tmp_path):
    inventory = inventory_json(ROOT / "examples/citrix/inventory.yml")
    survey_out, inventory_out = tmp_path / "survey", tmp_path / "inventory"
    extravars = launch_defaults("VDI firewall | Plan", survey_out)
    assert extravars["vdi_firewall_survey_output_dir"] == str(survey_out)
    runner = run_job(private_data_dir(tmp_path / "job", inventory, extravars), "playbooks/plan.yml")
    assert runner.status == "successful", runner.stdout.read()
    assert len(host_plans(survey_out)) == 14

    for variables in inventory["_meta"]["hostvars"].values():
        variables["vdi_firewall_output_dir"] = str(inventory_out)
    shutil.rmtree(survey_out)
    runner = run_job(private_data_dir(tmp_path / "job2", inventory, extravars), "playbooks/plan.yml")
    assert runner.status == "successful", runner.stdout.read()
    assert len(host_plans(inventory_out)) == 14 and not survey_out.exists()

    # an empty answer writes nothing
    runner = run_job(private_data_dir(tmp_path / "job3", inventory_json(ROOT / "examples/citrix/inventory.yml"),
                                      dict(extravars, vdi_firewall_survey_output_dir="")), "playbooks/plan.yml")
    assert runner.status == "successful", runner.stdout.read()
    assert not survey_out.exists()


def test_plan_job_runs_as_awx_runs_it(tmp_path):
    extravars = launch_defaults("VDI firewall | Plan", tmp_path / "out")
    extravars.update(vdi_firewall_survey_features="citrix_adc_ha\n!citrix_edt")
    base = private_data_dir(tmp_path / "job", inventory_json(ROOT / "examples/citrix/inventory.yml"), extravars)
    runner = run_job(base, "playbooks/plan.yml")
    assert runner.status == "successful", runner.stdout.read()
    assert runner.rc == 0
    events = list(runner.events)
    plan = [event for event in events if event["event"] == "runner_on_ok"
            and event["event_data"].get("task") == "Plan every host's rules in one pass on the controller"]
    assert len(plan) == 1
    result = plan[0]["event_data"]["res"]
    assert result["summary"]["hosts"] == 14 and result["changed"] is True
    stats = runner.stats
    assert sum(stats["changed"].values()) == 1 and not stats["failures"]
    vda = json.loads((tmp_path / "out" / "hosts" / "ctx-vda1.json").read_text())
    # the survey switched EDT off: no UDP rule from user devices on the VDA
    assert not [rule for rule in vda["rules"] if rule["protocol"] == "udp" and "user_device" in rule["peers"]]
    assert (base / "artifacts" / "4711" / "job_events").is_dir()


def test_failed_job_reports_the_cause_in_its_events(tmp_path):
    extravars = launch_defaults("VDI firewall | Plan", tmp_path / "out")
    extravars.update(vdi_firewall_survey_strict="true")
    base = private_data_dir(tmp_path / "job", inventory_json(ROOT / "examples/citrix/inventory.yml"), extravars)
    runner = run_job(base, "playbooks/plan.yml")
    assert runner.status == "failed" and runner.rc != 0
    failed = [event for event in runner.events if event["event"] == "runner_on_failed"]
    assert failed and "vdi_firewall_strict is on" in failed[0]["event_data"]["res"]["msg"]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("features", ["citrix_nonsense"])
def test_unknown_feature_from_a_survey_fails_clearly(tmp_path, features):
    extravars = launch_defaults("VDI firewall | Plan", tmp_path / "out")
    extravars.update(vdi_firewall_survey_features=features)
    base = private_data_dir(tmp_path / "job", inventory_json(ROOT / "examples/citrix/inventory.yml"), extravars)
    runner = run_job(base, "playbooks/plan.yml")
    assert runner.status == "failed"
    failed = [event for event in runner.events if event["event"] == "runner_on_failed"]
    assert "unknown feature 'citrix_nonsense'" in failed[0]["event_data"]["res"]["msg"]


def test_job_slices_plan_exactly_what_the_whole_run_plans(tmp_path):
    """AWX job slicing: each slice sees only its hosts; the topology from the plan job gives it the rest."""
    from .awx import slice_inventory  # pylint: disable=import-outside-toplevel

    inventory = inventory_json(ROOT / "examples/citrix/inventory.yml")
    extravars = survey_defaults("VDI firewall | Plan")
    whole_out = tmp_path / "whole"
    base = private_data_dir(tmp_path / "whole_job", inventory, dict(extravars, vdi_firewall_output_dir=str(whole_out)))
    whole = run_job(base, "playbooks/plan.yml")
    assert whole.status == "successful"
    stats = [event for event in whole.events if event["event"] == "playbook_on_stats"][0]
    topology = stats["event_data"]["artifact_data"]["vdi_firewall_topology"]
    assert topology["citrix_delivery_controller"] == ["192.0.2.21/32", "192.0.2.22/32"]

    sliced_plans = {}
    for number in (1, 2, 3):
        out = tmp_path / f"slice{number}"
        part = slice_inventory(inventory, number, 3)
        slice_extravars = dict(extravars, vdi_firewall_output_dir=str(out), vdi_firewall_topology=topology)
        runner = run_job(private_data_dir(tmp_path / f"job{number}", part, slice_extravars), "playbooks/plan.yml")
        assert runner.status == "successful", runner.stdout.read()
        planned = {path.stem: json.loads(path.read_text()) for path in (out / "hosts").glob("*.json")}
        assert set(planned) == set(part["_meta"]["hostvars"])
        sliced_plans.update(planned)
    whole_plans = {path.stem: json.loads(path.read_text()) for path in (whole_out / "hosts").glob("*.json")}
    assert sliced_plans == whole_plans

    # without the topology a slice misses peers: the check above is not vacuous
    out = tmp_path / "blind"
    blind = run_job(private_data_dir(tmp_path / "blind_job", slice_inventory(inventory, 1, 3),
                                     dict(extravars, vdi_firewall_output_dir=str(out))), "playbooks/plan.yml")
    assert blind.status == "successful"
    blind_plans = {path.stem: json.loads(path.read_text()) for path in (out / "hosts").glob("*.json")}
    assert any(blind_plans[host] != whole_plans[host] for host in blind_plans)
