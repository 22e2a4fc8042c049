# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply playbook's backend choice (the backends themselves run in the molecule scenarios)."""

from __future__ import annotations

import yaml

from .test_export_matrix import run


def apply(tmp_path, host_vars):
    inventory = {"all": {
        "vars": {"vdi_firewall_product": "citrix", "ansible_connection": "local",
                 "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "children": {"gateway": {"hosts": {"adc1": dict({"vdi_firewall_address": "127.0.0.1"}, **host_vars)}}},
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
