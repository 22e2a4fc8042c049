# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/awx_import.yml: the job templates as data, loaded by the awx.awx modules into a controller."""

from __future__ import annotations

import ast
import importlib
import json
import re
from unittest import mock

import pytest
import yaml
from ansible.errors import AnsibleValueOmittedError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from .fake_awx import FakeAWX, survey_error
from .test_export_matrix import ROOT, run

PLAYBOOK = ROOT / "playbooks" / "awx_import.yml"
DATA = json.loads((ROOT / "awx" / "job_templates.json").read_text(encoding="utf-8"))
# what an operator passes (names of objects that exist in the controller)
NAMES = {"vdi_firewall_awx_project": "vdi-firewall", "vdi_firewall_awx_inventory": "vdi-site",
         "vdi_firewall_awx_organization": "Default", "vdi_firewall_awx_execution_environment": "vdi-firewall-ee"}
UNIFIED_TYPES = {"job_template", "workflow_job_template", "workflow_approval", "project", "inventory_source",
                 "system_job_template"}


def awx_module(name: str):
    return importlib.import_module(f"ansible_collections.awx.awx.plugins.modules.{name}")


def argument_spec(name: str) -> dict:
    """The argument spec an installed awx.awx module hands to its AnsibleModule, auth options included."""
    module = awx_module(name)

    class Captured(Exception):
        pass

    def capture(argument_spec=None, **_kwargs):
        raise Captured(argument_spec)

    with mock.patch.object(module, "ControllerAPIModule", capture):
        with pytest.raises(Captured) as captured:
            module.main()
    from ansible_collections.awx.awx.plugins.module_utils.controller_api import (  # pylint: disable=import-outside-toplevel
        ControllerModule,
    )
    return dict(ControllerModule.AUTH_ARGSPEC, **captured.value.args[0])


def documented_spec(options: dict) -> dict:
    """An argument spec from a module's DOCUMENTATION options (for suboptions the code leaves unchecked)."""
    spec = {}
    for name, option in options.items():
        entry = {"type": option.get("type", "str")}
        for key in ("elements", "choices", "aliases"):
            if key in option:
                entry[key] = option[key]
        if "suboptions" in option:
            entry["options"] = documented_spec(option["suboptions"])
        spec[name] = entry
    return spec


def documentation(name: str) -> dict:
    tree = ast.parse(open(awx_module(name).__file__, encoding="utf-8").read())
    text = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                and getattr(node.targets[0], "id", "") == "DOCUMENTATION")
    return yaml.safe_load(text)


def playbook_tasks() -> dict[str, dict]:
    """The import playbook's tasks by module name."""
    (play,) = yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8"))
    return {next(key for key in task if key.startswith(("awx.", "ansible."))): task for task in play["tasks"]}


def rendered(module: str, item: dict) -> dict:
    """The options the playbook passes `module` for one loop item, templated as Ansible templates them."""
    task = playbook_tasks()[module]
    (play,) = yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8"))
    variables = dict(play["vars"], **NAMES, item=item, playbook_dir=str(PLAYBOOK.parent))
    templar = Templar(loader=DataLoader(), variables={key: trust_as_template(value) if isinstance(value, str) else value
                                                      for key, value in variables.items()})
    params = {}
    for key, value in task[module].items():
        try:
            params[key] = templar.template(trust_as_template(value) if isinstance(value, str) else value)
        except AnsibleValueOmittedError:
            continue
    return json.loads(json.dumps(params))


def assert_fits(spec: dict, params: dict, where: str):
    result = ArgumentSpecValidator(spec).validate(params)
    assert not result.error_messages, f"{where}: {result.error_messages}"
    assert not result.unsupported_parameters, f"{where}: {result.unsupported_parameters}"


def assert_json_types(spec: dict, params: dict, where: str):
    """Each value already has its option's type: nothing rests on the module's conversions."""
    kinds = {"bool": bool, "int": int, "str": str, "dict": dict, "list": list}
    for key, value in params.items():
        kind = kinds.get(spec[key].get("type", "str"))
        if kind is not None:
            assert isinstance(value, kind) and not (kind is int and isinstance(value, bool)), f"{where}: {key}={value!r}"


@pytest.mark.parametrize("template", DATA["job_templates"], ids=lambda template: template["name"])
def test_every_job_template_fits_awx_awx_job_template(template):
    spec = argument_spec("job_template")
    params = rendered("awx.awx.job_template", template)
    # every field of the data reaches the module unchanged, and nothing the data lacks is made up
    assert {key: params.get(key, "(not passed)") for key in template} == template
    assert set(params) - set(template) == {"organization", "project", "inventory", "execution_environment", "state"}
    assert_fits(spec, params, template["name"])
    assert_json_types(spec, params, template["name"])
    assert survey_error(template["survey_spec"]) is None


def test_the_workflow_and_every_node_fit_awx_awx_workflow_job_template():
    spec = argument_spec("workflow_job_template")
    node_spec = documented_spec(documentation("workflow_job_template")["options"]["workflow_nodes"]["suboptions"])
    templates = {template["name"] for template in DATA["job_templates"]}
    for workflow in DATA["workflow_job_templates"]:
        params = rendered("awx.awx.workflow_job_template", workflow)
        assert {key: params.get(key, "(not passed)") for key in workflow if key != "workflow_nodes"} == \
            {key: value for key, value in workflow.items() if key != "workflow_nodes"}
        assert set(params) - set(workflow) == {"organization", "inventory", "state"}
        assert_fits(spec, params, workflow["name"])
        assert_json_types(spec, params, workflow["name"])
        identifiers = [node["identifier"] for node in workflow["workflow_nodes"]]
        assert len(set(identifiers)) == len(identifiers)
        for node, passed in zip(workflow["workflow_nodes"], params["workflow_nodes"]):
            where = f"{workflow['name']}: node {node['identifier']}"
            assert_fits(node_spec, passed, where)
            template = passed["unified_job_template"]
            # the data's node, looked up in the operator's organization
            assert passed == dict(node, unified_job_template=dict(node["unified_job_template"],
                                                                  organization={"name": "Default"}))
            assert template["type"] in UNIFIED_TYPES, where
            if template["type"] == "job_template":
                assert template["name"] in templates, where
            for linked in passed.get("related", {}).values():
                assert all(other["identifier"] in identifiers for other in linked), where


def test_import_playbook_holds_no_connection_or_secret():
    """The controller's address and credentials come from the awx.awx modules' environment, never the playbook."""
    for task in playbook_tasks().values():
        for module, args in task.items():
            if module.startswith("awx.awx."):
                assert not {name for name in args if name.startswith(("controller_", "tower_"))}, module
                assert "validate_certs" not in args and "request_timeout" not in args
    assert not re.search(r"(?i)(password|token|secret)\s*:", PLAYBOOK.read_text(encoding="utf-8"))


def test_import_playbook_syntax_and_lint():
    syntax = run("ansible-playbook", "--syntax-check", str(PLAYBOOK))
    assert syntax.returncode == 0, syntax.stdout + syntax.stderr
    lint = run("ansible-lint", "--profile", "production", "--offline", "playbooks/awx_import.yml")
    assert lint.returncode == 0, lint.stdout + lint.stderr


def controller() -> FakeAWX:
    awx = FakeAWX()
    organization = awx.add("organizations", name="Default")
    awx.add("projects", name="vdi-firewall", organization=organization["id"],
            playbooks=["playbooks/plan.yml", "playbooks/apply.yml", "playbooks/verify.yml"])
    awx.add("inventories", name="vdi-site", organization=organization["id"])
    awx.add("execution_environments", name="vdi-firewall-ee")
    return awx


def import_into(awx: FakeAWX, *args: str):
    env = {"CONTROLLER_HOST": awx.url, "CONTROLLER_OAUTH_TOKEN": awx.token, "CONTROLLER_VERIFY_SSL": "false",
           "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    extra = [item for name, value in NAMES.items() for item in ("-e", f"{name}={value}")]
    return run("ansible-playbook", "vdi.firewall.awx_import", *extra, *args, env=env)


def recap(result) -> dict:
    match = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", result.stdout)
    assert match, result.stdout
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))


def test_import_loads_every_template_survey_and_node_into_a_controller():
    with controller() as awx:
        result = import_into(awx)
        assert result.returncode == 0, result.stdout + result.stderr
        ids = {collection: {item["name"]: key for key, item in awx.objects[collection].items()}
               for collection in ("organizations", "projects", "inventories", "execution_environments")}
        for template in DATA["job_templates"]:
            loaded = awx.named("job_templates", template["name"])
            for key, value in template.items():
                if key != "survey_spec":
                    assert loaded[key] == value, (template["name"], key)
            assert loaded["project"] == ids["projects"]["vdi-firewall"]
            assert loaded["inventory"] == ids["inventories"]["vdi-site"]
            assert loaded["organization"] == ids["organizations"]["Default"]
            assert loaded["execution_environment"] == ids["execution_environments"]["vdi-firewall-ee"]
            assert awx.survey("job_templates", template["name"]) == template["survey_spec"]
        for workflow in DATA["workflow_job_templates"]:
            loaded = awx.named("workflow_job_templates", workflow["name"])
            for key, value in workflow.items():
                if key != "workflow_nodes":
                    assert loaded[key] == value, (workflow["name"], key)
            assert loaded["inventory"] == ids["inventories"]["vdi-site"]
            nodes = awx.nodes(workflow["name"])
            assert set(nodes) == {node["identifier"] for node in workflow["workflow_nodes"]}
            for node in workflow["workflow_nodes"]:
                made = nodes[node["identifier"]]
                expected_type = {"workflow_approval": "workflow_approval_template"}.get(
                    node["unified_job_template"]["type"], node["unified_job_template"]["type"])
                assert (made["template"], made["template_type"]) == (node["unified_job_template"]["name"], expected_type)
                for link in ("success_nodes", "failure_nodes", "always_nodes"):
                    assert made[link] == sorted(other["identifier"] for other in node.get("related", {}).get(link, []))
        first = len(awx.objects["job_templates"]), len(awx.objects["workflow_job_template_nodes"])

        # a second import updates in place: no duplicate, the job templates unchanged; awx.awx sends the
        # approval node's fields to its approval template again, which is the one write left
        sent = len(awx.requests)
        again = import_into(awx)
        assert again.returncode == 0, again.stdout + again.stderr
        assert (len(awx.objects["job_templates"]), len(awx.objects["workflow_job_template_nodes"])) == first
        for template in DATA["job_templates"]:
            assert f"ok: [localhost] => (item={template['name']})" in again.stdout, again.stdout
        writes = [(method, path) for method, path, _data in awx.requests[sent:] if method != "GET"]
        assert all(method == "PATCH" and path.startswith("/api/v2/workflow_approval_templates/")
                   for method, path in writes), writes


def test_import_in_check_mode_writes_nothing():
    with controller() as awx:
        result = import_into(awx, "--check")
        assert result.returncode == 0, result.stdout + result.stderr
        assert recap(result)["changed"] == 2
        assert not [request for request in awx.requests if request[0] != "GET"]
        assert not awx.objects["job_templates"] and not awx.objects["workflow_job_templates"]


def test_import_without_a_project_says_what_to_set():
    result = run("ansible-playbook", "vdi.firewall.awx_import", "-e", "vdi_firewall_awx_inventory=vdi-site")
    assert result.returncode != 0
    assert "set vdi_firewall_awx_project and vdi_firewall_awx_inventory" in " ".join(result.stdout.split())


def test_import_fails_on_a_survey_the_controller_refuses(tmp_path):
    data = json.loads(json.dumps(DATA))
    data["job_templates"][0]["survey_spec"]["spec"][0]["default"] = "vmware"
    broken = tmp_path / "job_templates.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    with controller() as awx:
        result = import_into(awx, "-e", f"vdi_firewall_awx_templates_file={broken}")
    assert result.returncode != 0
    assert "Default choice must be answered from the choices listed" in result.stdout
