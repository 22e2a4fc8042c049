# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugins' shared preamble (plugin_utils/_action_base.py), and verify_report on it."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.vdi.firewall.plugins.action.verify_report import ActionModule as VerifyReport
from ansible_collections.vdi.firewall.plugins.plugin_utils._action_base import VdiActionBase
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError


def action(cls, args: dict, check_mode: bool = False):
    """An instance of the action plugin for a task with these arguments, as the task executor makes it."""
    task = MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = check_mode
    return cls(task=task, connection=MagicMock(), play_context=MagicMock(), loader=MagicMock(), templar=MagicMock(),
               shared_loader_obj=None)


class Echo(VdiActionBase):
    """Returns its validated arguments, or raises what it is told to."""

    ARGUMENT_SPEC = {"value": {"type": "int", "default": 1}, "error": {"type": "str"}}
    ERRORS = (VdiFirewallError, OSError)

    def act(self, result, args, task_vars):
        if args["error"] == "vdi":
            raise VdiFirewallError("bad input")
        if args["error"] == "os":
            raise OSError("disk full")
        if args["error"] == "other":
            raise KeyError("a bug")
        result.update(args=args, seen=sorted(task_vars))
        return result


def test_validated_arguments_and_task_vars_reach_act():
    result = action(Echo, {"value": "7"}).run(task_vars={"a": 1})
    assert result["args"] == {"value": 7, "error": None}
    assert result["seen"] == ["a"]
    assert not result.get("failed")


def test_no_task_vars_are_an_empty_mapping():
    assert action(Echo, {}).run()["seen"] == []


def test_invalid_arguments_fail_before_act():
    with pytest.raises(AnsibleActionFail, match="value"):
        action(Echo, {"value": "seven"}).run(task_vars={})
    with pytest.raises(AnsibleActionFail, match="unknown"):
        action(Echo, {"unknown": 1}).run(task_vars={})


@pytest.mark.parametrize("error, message", [("vdi", "bad input"), ("os", "disk full")])
def test_caught_errors_fail_the_task_naming_the_plugin(error, message):
    result = action(Echo, {"error": error}).run(task_vars={})
    assert result["failed"] is True
    # the name comes from the plugin's module: this test module's name here, plugins/action/<name>.py in Ansible
    assert result["msg"] == f"vdi.firewall.{__name__.rsplit('.', 1)[-1]}: {message}"


def test_other_errors_are_not_caught():
    with pytest.raises(KeyError):
        action(Echo, {"error": "other"}).run(task_vars={})


def test_the_base_alone_does_nothing():
    with pytest.raises(NotImplementedError):
        action(VdiActionBase, {}).run(task_vars={})


def probed(*results):
    return {"results": [{"name": name, "host": "10.0.0.2", "protocol": "tcp", "port": 443, "state": state,
                         "passed": state == "open"} for name, state in results]}


def test_verify_report_collects_the_probes_and_fails_on_a_failed_flow():
    hostvars = {
        "a": {"vdi_firewall_probe": probed(("b|flow_1", "open"), ("b|flow_2", "filtered"))},
        "c": {},
    }
    result = action(VerifyReport, {"hosts": ["a", "c"]}).run(task_vars={"hostvars": hostvars})
    assert result["summary"]["hosts_probed"] == 1
    assert result["summary"]["hosts_not_probed"] == ["c"]
    assert result["summary"]["flows_failed"] == ["flow_2"]
    assert result["flows"]["flow_1"]["passed"] is True
    assert result["failed"] is True
    assert result["msg"].startswith("1 required flow(s) failed: flow_2")
    assert result["changed"] is False


def test_verify_report_without_failures_passes():
    task_vars = {"ansible_play_hosts_all": ["a"], "hostvars": {"a": {"vdi_firewall_probe": probed(("b|flow_1", "open"))}}}
    result = action(VerifyReport, {}).run(task_vars=task_vars)
    assert not result.get("failed")
    assert result["failure"] == ""
    assert result["summary_lines"][0] == "1 host(s) probed, 1 probe(s), 0 failed"


def test_verify_report_fails_with_its_name_when_the_report_cannot_be_written(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    task_vars = {"hostvars": {"a": {"vdi_firewall_probe": probed(("b|flow_1", "open"))}}}
    result = action(VerifyReport, {"hosts": ["a"], "output_dir": str(blocker)}).run(task_vars=task_vars)
    assert result["failed"] is True
    assert result["msg"].startswith("vdi.firewall.verify_report: ")
    assert "summary" not in result


def test_verify_report_writes_nothing_in_check_mode(tmp_path):
    task_vars = {"hostvars": {"a": {"vdi_firewall_probe": probed(("b|flow_1", "open"))}}}
    result = action(VerifyReport, {"hosts": ["a"], "output_dir": str(tmp_path)}, check_mode=True).run(task_vars=task_vars)
    assert result["changed"] is True
    assert result["files_written"]
    assert list(tmp_path.iterdir()) == []
