# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading planner inputs out of Ansible's groups and hostvars."""

from __future__ import annotations

import pytest

from ansible_collections.vdi.firewall.plugins.plugin_utils.inventory import feature_list, host_groups, host_inputs


def test_host_groups_inverts_groups_without_all_and_ungrouped():
    groups = {"all": ["a", "b", "c"], "ungrouped": ["c"], "broker": ["a"], "vda": ["b", "a"]}
    assert host_groups(groups) == {"a": ["broker", "vda"], "b": ["vda"]}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {}),
        ("", {}),
        ("citrix_edt, !citrix_adc_ha\nras_avd", {"citrix_edt": True, "citrix_adc_ha": False, "ras_avd": True}),
        (["citrix_edt", "!citrix_edt"], {"citrix_edt": False}),
    ],
)
def test_feature_list(value, expected):
    assert feature_list(value) == expected


def test_host_inputs_reads_variables_and_overlays_the_feature_list():
    task_vars = {
        "groups": {"all": ["ddc1", "tool"], "broker": ["ddc1"]},
        "hostvars": {
            "ddc1": {"vdi_firewall_product": "citrix", "ansible_host": "10.0.0.1",
                     "vdi_firewall_features": {"citrix_edt": True, "citrix_adc_ha": True},
                     "vdi_firewall_feature_list": "!citrix_edt"},
            "tool": {},
        },
    }
    ddc1, tool = host_inputs(task_vars)
    assert ddc1.groups == ("broker",) and ddc1.product == "citrix" and ddc1.ansible_host == "10.0.0.1"
    assert ddc1.features == {"citrix_edt": False, "citrix_adc_ha": True}
    assert tool.groups == () and tool.features is None and tool.product is None
