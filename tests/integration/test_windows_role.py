# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vdi.firewall.windows on every Windows host of the bundled examples, through ansible-playbook.

No Windows host is here, so the role runs in its render-only mode: every task up to the module calls
runs as users run it (argument specs, platform check, planning, the filter), and the exact
win_firewall_rule parameters are written per host. They are validated against the argument spec of
the installed community.windows.win_firewall_rule, read from its own documentation.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import os
import re
import sys
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from .test_export_matrix import ROOT, run

OVERLAYS = ROOT / "tests/integration/files/windows"
PLAYBOOK = ROOT / "tests/integration/playbooks/windows_render.yml"
APPLIANCES = {"ctx-adc1", "ctx-adc2", "ras-halb1", "ras-halb2"}
EXAMPLES = ("citrix", "parallels_ras", "microsoft_rds")
FORKS = {"ANSIBLE_FORKS": "20"}


def example_hosts(example: str) -> set[str]:
    inventory = yaml.safe_load((ROOT / "examples" / example / "inventory.yml").read_text())
    return {host for group in inventory["all"]["children"].values() for host in group["hosts"]}


def render(example: str, out: Path, *extra: str, inventory: Path | None = None, playbook: Path = PLAYBOOK):
    sources = ["-i", str(inventory)] if inventory else \
        ["-i", str(ROOT / "examples" / example / "inventory.yml"), "-i", str(OVERLAYS / f"{example}.yml")]
    return run("ansible-playbook", *sources, str(playbook), "-e", f"vdi_firewall_windows_render_dir={out}", *extra,
               env=FORKS)


def recap(stdout: str) -> dict[str, dict[str, int]]:
    """Host -> counts from the PLAY RECAP."""
    result = {}
    for host, counts in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", stdout, re.MULTILINE):
        result[host] = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", counts)}
    return result


@pytest.fixture(scope="module", name="module_spec")
def fixture_module_spec():
    """win_firewall_rule's argument spec and source, from the installed module's own documentation."""
    result = run("ansible-doc", "-j", "community.windows.win_firewall_rule")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)["community.windows.win_firewall_rule"]["doc"]
    spec = {}
    for name, option in document["options"].items():
        spec[name] = {"type": option.get("type", "str")}
        for key in ("elements", "choices", "aliases", "required", "default"):
            if option.get(key) is not None:
                spec[name][key] = option[key]
    powershell = Path(document["filename"]).with_suffix(".ps1").read_text(encoding="utf-8")
    return spec, powershell


@pytest.fixture(scope="module", name="rendered")
def fixture_rendered(tmp_path_factory):
    """Each example rendered once (the citrix one also in check mode first, and again for idempotence)."""
    results = {}
    for example in EXAMPLES:
        out = tmp_path_factory.mktemp(f"windows-{example}") / "render"
        if example == "citrix":
            checked = render(example, out, "--check", "--diff")
            assert checked.returncode == 0, checked.stdout + checked.stderr
            assert not out.exists(), "check mode wrote files"
            assert all(counts["changed"] >= 1 for counts in recap(checked.stdout).values())
            assert '+    "win_firewall_rule": [' in checked.stdout  # the diff shows the parameters
        result = render(example, out)
        assert result.returncode == 0, result.stdout + result.stderr
        if example == "citrix":
            again = render(example, out)
            assert again.returncode == 0 and all(counts["changed"] == 0 for counts in recap(again.stdout).values()), again.stdout
        results[example] = {path.stem: json.loads(path.read_text()) for path in out.glob("*.json")}
    return results


@pytest.fixture(scope="module", name="planned")
def fixture_planned(tmp_path_factory):
    """The plan of each example, from the plan playbook."""
    plans = {}
    for example in EXAMPLES:
        out = tmp_path_factory.mktemp(f"plan-{example}")
        result = run("ansible-playbook", "-i", str(ROOT / "examples" / example / "inventory.yml"), "vdi.firewall.plan",
                     "-e", f"vdi_firewall_output_dir={out}")
        assert result.returncode == 0, result.stdout
        plans[example] = {path.stem: json.loads(path.read_text()) for path in (out / "hosts").glob("*.json")}
    return plans


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_windows_host_and_only_those_is_rendered(rendered, example):
    expected = example_hosts(example) - APPLIANCES
    assert set(rendered[example]) == expected
    assert len(expected) >= 8


@pytest.mark.parametrize("example", EXAMPLES)
def test_one_rule_per_planned_rule_with_the_plans_names_in_the_owned_group(rendered, planned, example):
    for host, data in rendered[example].items():
        names = [params["name"] for params in data["win_firewall_rule"]]
        assert names == [rule["name"] for rule in planned[example][host]["rules"]], host
        assert {params["group"] for params in data["win_firewall_rule"]} == {"vdi.firewall"}
        assert (data["state"], data["purge"], data["inbound_default"]) == ("present", True, "unchanged")


@pytest.mark.parametrize("example", EXAMPLES)
def test_parameters_validate_against_win_firewall_rules_own_argument_spec(rendered, module_spec, example):
    spec, _powershell = module_spec
    validator = ArgumentSpecValidator(spec)
    for host, data in rendered[example].items():
        for params in data["win_firewall_rule"]:
            result = validator.validate(params)
            assert not result.error_messages, (host, params["name"], result.error_messages)
            for key, value in params.items():
                # no conversion: what the role passes is what the module receives
                assert result.validated_parameters[key] == value, (host, params["name"], key)
                expected_type = {"str": str, "list": list, "bool": bool}[spec[key]["type"]]
                assert isinstance(value, expected_type), (host, params["name"], key, value)


@pytest.mark.parametrize("example", EXAMPLES)
def test_protocols_and_addresses_are_ones_windows_takes(rendered, module_spec, example):
    _spec, powershell = module_spec
    # the module's ConvertTo-ProtocolType: a number, or one of its switch patterns
    patterns = re.findall(r'^\s*"([a-z0-9*]+)"\s*\{\s*return \[System\.Net\.Sockets\.ProtocolType\]', powershell, re.MULTILINE)
    assert {"tcp", "udp", "icmpv4*", "icmpv6*"} <= set(patterns)
    for host, data in rendered[example].items():
        for params in data["win_firewall_rule"]:
            protocol = params["protocol"]
            assert protocol.isdigit() or any(fnmatch.fnmatch(protocol, pattern) for pattern in patterns), (host, protocol)
            if params["remoteip"] == "any":
                continue
            for item in params["remoteip"].split(","):
                if "-" in item:
                    first, last = item.split("-")
                    assert ipaddress.ip_address(first) < ipaddress.ip_address(last)
                else:
                    assert ipaddress.ip_network(item).prefixlen > 0, (host, item)  # Windows refuses /0


def test_the_apply_task_passes_the_rendered_parameters_one_to_one(module_spec, rendered):
    spec, _powershell = module_spec
    tasks = yaml.safe_load((ROOT / "roles/windows/tasks/apply.yml").read_text())
    (task,) = [task for task in tasks if "community.windows.win_firewall_rule" in task and "__windows_params" in str(task.get("loop"))]
    arguments = task["community.windows.win_firewall_rule"]
    assert set(arguments) <= set(spec)
    for key, value in arguments.items():
        assert re.fullmatch(r"\{\{ item\.%s( \| default\(omit\))? \}\}" % key, value), (key, value)
    produced = {key for data in rendered["citrix"].values() for params in data["win_firewall_rule"] for key in params}
    produced |= {"icmp_type_code"}
    assert produced <= set(arguments)


def test_management_rule_first_when_the_inbound_default_is_block(tmp_path):
    out = tmp_path / "render"
    result = render("citrix", out, "-l", "ctx-ddc1", "-e", '{"vdi_firewall_management_cidrs": ["192.0.2.240/28"]}',
                    "-e", "vdi_firewall_windows_inbound_default=block", "-e", '{"vdi_firewall_windows_profiles": ["domain"]}')
    assert result.returncode == 0, result.stdout
    data = json.loads((out / "ctx-ddc1.json").read_text())
    first = data["win_firewall_rule"][0]
    assert (first["name"], first["remoteip"], first["localport"]) == ("vdi-in-tcp-management-winrm", "192.0.2.240/28", "5985,5986")
    assert data["inbound_default"] == "block"
    assert all(params["profiles"] == ["domain"] for params in data["win_firewall_rule"])


def test_state_absent_keeps_only_the_winrm_rule(tmp_path):
    out = tmp_path / "render"
    result = render("citrix", out, "-l", "ctx-sf1", "-e", "vdi_firewall_state=absent",
                    "-e", '{"vdi_firewall_management_cidrs": ["192.0.2.240/28"]}')
    assert result.returncode == 0, result.stdout
    data = json.loads((out / "ctx-sf1.json").read_text())
    assert [params["name"] for params in data["win_firewall_rule"]] == ["vdi-in-tcp-management-winrm"]


def write(tmp_path: Path, name: str, data) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


ANY_HOST_PLAY = [{"name": "Apply vdi.firewall.windows", "hosts": "all", "gather_facts": False,
                  "roles": [{"role": "vdi.firewall.windows"}]}]


@pytest.mark.parametrize(
    ("limit", "extra", "message"),
    [
        ("ctx-adc1", [], "vdi.firewall.windows: host 'ctx-adc1' is not recognised as a Windows host (platform: unknown)"),
        ("ctx-ddc1", ["-e", "vdi_firewall_windows_inbound_default=block"],
         "host 'ctx-ddc1': vdi_firewall_windows_inbound_default=block needs vdi_firewall_management_cidrs"),
        ("ctx-ddc1", ["-e", '{"vdi_firewall_windows_profiles": ["work"]}'], "vdi_firewall_windows_profiles"),
        ("ctx-ddc1", ["-e", '{"vdi_firewall_windows_icmp_type_codes": {"icmp": ["echo"]}}'],
         "vdi.firewall.win_firewall_params: vdi_firewall_windows_icmp_type_codes['icmp']: 'echo' is not 'type:code'"),
    ],
)
def test_bad_input_fails_clearly_and_renders_nothing(tmp_path, limit, extra, message):
    out = tmp_path / "render"
    result = render("citrix", out, "-l", limit, *extra, playbook=write(tmp_path, "play.yml", ANY_HOST_PLAY))
    output = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert message in output, output
    if "profiles" in message:
        assert "work" in output
    assert "Traceback" not in result.stdout + result.stderr
    assert not out.exists()


def test_a_windows_host_without_components_is_refused(tmp_path):
    inventory = write(tmp_path, "inventory.yml", {"all": {"children": {"windows": {"hosts": {
        "lonely": {"ansible_host": "192.0.2.9", "ansible_connection": "winrm"}}}}}})
    result = render("citrix", tmp_path / "render", inventory=inventory)
    assert result.returncode != 0
    assert "vdi.firewall.windows: host 'lonely' has no planned rules" in " ".join(result.stdout.split())


def test_the_molecule_scenario_says_it_is_skipped_without_a_windows_host():
    environment = {"VDI_FIREWALL_WINDOWS_HOST": "", "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    result = run("molecule", "test", "-s", "windows", env=environment)
    output = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr).split())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SKIPPED: the molecule scenario 'windows' needs a real Windows host; set VDI_FIREWALL_WINDOWS_HOST" in output
    for step in ("prepare", "converge", "idempotence", "check", "verify", "cleanup"):
        assert re.search(rf"windows (➜|>) {step}: Executed: Successful", output), step
    assert re.search(r"windows : actions=9 successful=9 disabled=0 skipped=0 missing=0 failed=0", output)


def test_a_plan_handed_to_the_role_is_applied_as_it_was_made(tmp_path):
    given = render("citrix", tmp_path / "given", playbook=ROOT / "tests/integration/playbooks/windows_render_plan.yml")
    assert given.returncode == 0, given.stdout + given.stderr
    # the role's own planning task is skipped on every host: it planned nothing again
    own = given.stdout.split("TASK [vdi.firewall.windows : Plan the rules of the play's hosts once", 1)[1].split("TASK [", 1)[0]
    assert "skipping:" in own and "ok:" not in own and "changed:" not in own
    same = render("citrix", tmp_path / "same", "-e", "vdi_firewall_secure_only=true")
    assert same.returncode == 0, same.stdout + same.stderr
    assert render("citrix", tmp_path / "default").returncode == 0
    files = {path.name: path.read_text() for path in (tmp_path / "given").glob("*.json")}
    assert files and files == {path.name: path.read_text() for path in (tmp_path / "same").glob("*.json")}
    assert files != {path.name: path.read_text() for path in (tmp_path / "default").glob("*.json")}
