# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply playbook's backend choice (the backends themselves run in the molecule scenarios)."""

from __future__ import annotations

import json

import yaml

from .test_export_matrix import run


def apply(tmp_path, host_vars):
    inventory = {"all": {
        "vars": {"vdi_firewall_product": "citrix", "ansible_connection": "local",
                 "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "children": {"gateway": {"hosts": {"adc1": dict({"vdi_firewall_address": "192.0.2.30"}, **host_vars)}}},
    }}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    return run("ansible-playbook", "-i", str(path), "vdi.firewall.apply", "--check")


def test_unknown_backend_is_refused_naming_the_host(tmp_path):
    result = apply(tmp_path, {"vdi_firewall_backend": "iptables"})
    assert result.returncode != 0
    assert "vdi.firewall.apply: host 'adc1': vdi_firewall_backend 'iptables' is not one of" in " ".join(result.stdout.split())


def test_appliances_get_no_host_firewall(tmp_path):
    result = apply(tmp_path, {"vdi_firewall_platform": "appliance"})
    assert result.returncode == 0, result.stdout
    assert "Apply the host's rules with its backend" in result.stdout
    assert "changed=0" in result.stdout and "failed=0" in result.stdout
    assert "vdi.firewall.firewalld" not in result.stdout and "vdi.firewall.nftables" not in result.stdout


def test_one_inventory_of_hosts_and_devices_applies_each_with_its_backend(tmp_path):
    """The Citrix site and its zone devices in one run: Windows hosts get win_firewall_rule, devices ACLs."""
    sources = ["examples/citrix/inventory.yml", "examples/citrix_network/inventory.yml",
               "tests/integration/files/windows/citrix.yml", "tests/integration/files/apply/citrix_appliances.yml"]
    arguments = [item for source in sources for item in ("-i", source)]
    result = run("ansible-playbook", *arguments, "vdi.firewall.apply", "--check",
                 "-e", f"vdi_firewall_windows_render_dir={tmp_path / 'windows'}",
                 env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_FORKS": "20"})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    report = json.loads(result.stdout)
    stats = report["stats"]
    assert len(stats) == 18
    assert not any(counts["failures"] or counts["unreachable"] for counts in stats.values()), stats
    results = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            for host, outcome in task["hosts"].items():
                results.setdefault(task["task"]["name"].split(" : ")[-1], {})[host] = outcome
    devices = {"fw-ios": "ios", "fw-eos": "eos", "fw-nxos": "nxos", "fw-junos": "junos"}
    # every device's ACLs are rendered, and only the devices get any
    rendered = results["Keep the device's configuration text"]
    assert set(rendered) == set(devices)
    for host, outcome in rendered.items():
        text = outcome["ansible_facts"]["network_acl_rendered"]
        text = "\n".join(text) if isinstance(text, list) else text
        for zone in ("USERS", "DMZ", "SERVERS", "VDI", "ADMIN"):
            assert f"VDI-{zone}-IN" in text, (host, zone)
    # every Windows role server of the site gets its win_firewall_rule parameters, the appliances nothing
    windows = results["Work out the win_firewall_rule parameters"]
    assert set(windows) == {host for host in stats if host.startswith("ctx-") and not host.startswith("ctx-adc")}
    assert all(not outcome.get("skipped") for outcome in windows.values())


def test_a_host_whose_platform_nothing_tells_fails_naming_it(tmp_path):
    """Facts that tell no known platform: an error naming the host, not nftables with a drop-all policy."""
    playbook = tmp_path / "choose.yml"
    playbook.write_text(yaml.safe_dump([{"name": "Choose", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Choose the backend", "ansible.builtin.debug": {
            "msg": "{{ {'ansible_system': 'Darwin'} | vdi.firewall.backend(host='mac1') }}"}}]}]))
    result = run("ansible-playbook", str(playbook))
    output = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert "vdi.firewall.apply: host 'mac1': its platform is unknown (nothing tells it)" in output, output[-2000:]


def test_extra_rules_given_as_a_string_fail_naming_the_variable(tmp_path):
    result = apply(tmp_path, {"vdi_firewall_extra_rules": "allow 443"})
    output = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert "host 'adc1': vdi_firewall_extra_rules must be a list of rules" in output, output[-2000:]
    assert "Traceback" not in result.stdout + result.stderr


def test_the_apply_ends_with_a_summary_per_backend(tmp_path):
    sources = ["examples/citrix/inventory.yml", "examples/citrix_network/inventory.yml",
               "tests/integration/files/windows/citrix.yml", "tests/integration/files/apply/citrix_appliances.yml"]
    arguments = [item for source in sources for item in ("-i", source)]
    result = run("ansible-playbook", *arguments, "vdi.firewall.apply", "--check",
                 "-e", f"vdi_firewall_windows_render_dir={tmp_path / 'windows'}", env={"ANSIBLE_FORKS": "20"})
    assert result.returncode == 0, result.stdout[-3000:]
    output = " ".join(result.stdout.split())
    # rendered ACLs and rendered Windows parameters change no device and no host
    assert "network_acl: 4 host(s), 0 would change" in output, output[-3000:]
    assert "windows: 12 host(s), 0 would change" in output
    assert "none: 2 host(s) left alone (appliances, or no rule planned)" in output
