# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading planner inputs out of Ansible's groups and hostvars."""

from __future__ import annotations

import pytest

from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._inventory import (
    as_bool,
    feature_list,
    host_groups,
    host_inputs,
    journeys_setting,
    plan_settings,
    planner_settings,
    read_hostvars,
    strict_setting,
    vdi_variable_names,
)


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


def test_survey_answers_only_add_to_the_inventory():
    """An AWX survey's product fills in where the inventory sets none; its features go over every host's."""
    task_vars = {
        "groups": {"all": ["cb1", "ddc1"], "broker": ["cb1", "ddc1"]},
        "hostvars": {"cb1": {}, "ddc1": {"vdi_firewall_product": "citrix", "vdi_firewall_features": {"citrix_edt": True}}},
        "vdi_firewall_survey_product": "microsoft_rds",
        "vdi_firewall_survey_features": "!citrix_edt citrix_adc_ha",
    }
    cb1, ddc1 = host_inputs(task_vars)
    assert cb1.product == "microsoft_rds" and ddc1.product == "citrix"
    assert ddc1.features == {"citrix_edt": False, "citrix_adc_ha": True}


@pytest.mark.parametrize("empty", [None, "", "  "])
def test_empty_survey_answers_change_nothing(empty):
    task_vars = {"groups": {"all": ["ddc1"]}, "hostvars": {"ddc1": {"vdi_firewall_product": "citrix"}},
                 "vdi_firewall_survey_product": empty, "vdi_firewall_survey_features": empty,
                 "vdi_firewall_survey_strict": empty, "vdi_firewall_strict": True}
    (ddc1,) = host_inputs(task_vars)
    assert ddc1.product == "citrix" and ddc1.features is None
    assert strict_setting(task_vars) is True
    assert strict_setting(dict(task_vars, vdi_firewall_strict=False)) is False


@pytest.mark.parametrize(("inventory", "survey", "expected"),
                         [(True, "false", True), (None, "true", True), (False, "true", True), (None, "false", False)])
def test_a_survey_switches_strict_on_never_off(inventory, survey, expected):
    task_vars = {"vdi_firewall_strict": inventory, "vdi_firewall_survey_strict": survey}
    assert strict_setting(task_vars) is expected
    assert strict_setting(task_vars, {"strict": True}) is True


def test_unknown_survey_product_is_named():
    with pytest.raises(VdiFirewallError, match=r"vdi_firewall_survey_product 'vmware' is not one of"):
        host_inputs({"groups": {"all": []}, "hostvars": {}, "vdi_firewall_survey_product": "vmware"})


@pytest.mark.parametrize(("value", "expected"), [(True, True), ("true", True), ("no", False), (None, False), ("", False)])
def test_as_bool(value, expected):
    assert as_bool(value, "vdi_firewall_strict") is expected


def test_as_bool_names_the_variable():
    with pytest.raises(VdiFirewallError, match=r"vdi_firewall_secure_only: 'perhaps' is not true or false"):
        as_bool("perhaps", "vdi_firewall_secure_only")


def test_planner_settings_take_options_over_variables_and_add_the_topology():
    task_vars = {"vdi_firewall_endpoints": {"user_device": ["10.0.0.0/24"]}, "vdi_firewall_secure_only": "true",
                 "vdi_firewall_topology": {"citrix_vda": ["10.1.0.0/30"]}, "vdi_firewall_group_map": {"a": ["b"]}}
    settings = planner_settings(task_vars, {"group_map": {"web": ["citrix_storefront"]}})
    assert settings["group_map"] == {"web": ["citrix_storefront"]}
    assert settings["endpoints"] == {"user_device": ["10.0.0.0/24"], "citrix_vda": ["10.1.0.0/30"]}
    assert settings["secure_only"] is True and settings["symbolic_ports"] is None


class _CountingHostvars(dict):
    """hostvars that count how often each host's variables are worked out, as Ansible's do on each access."""

    def __init__(self, *args):
        super().__init__(*args)
        self.reads: dict[str, int] = {}

    def __getitem__(self, host):
        self.reads[host] = self.reads.get(host, 0) + 1
        return super().__getitem__(host)


def test_read_hostvars_reads_each_host_once_for_every_reader():
    hostvars = _CountingHostvars({"ddc1": {"vdi_firewall_product": "citrix", "vdi_firewall_strict": True},
                                  "vda1": {"vdi_firewall_product": "citrix", "ansible_host": "10.0.3.10"}})
    task_vars = {"groups": {"all": ["ddc1", "vda1"], "broker": ["ddc1"], "vda": ["vda1"]}, "hostvars": hostvars,
                 "vdi_firewall_strict": False}
    read = read_hostvars(task_vars)
    assert read_hostvars(read) is read
    inputs = host_inputs(read)
    names = vdi_variable_names(read)
    assert hostvars.reads == {"ddc1": 1, "vda1": 1}
    assert [item.ansible_host for item in inputs] == [None, "10.0.3.10"]
    assert names == {"ddc1": ["vdi_firewall_product", "vdi_firewall_strict"], "vda1": ["vdi_firewall_product"]}
    assert read["vdi_firewall_strict"] is False and task_vars["hostvars"] is hostvars
    assert host_inputs(task_vars) == inputs


def test_the_settings_a_plan_is_made_with_are_read_in_one_place():
    task_vars = {"vdi_firewall_secure_only": "yes", "vdi_firewall_tiers": {"citrix_vda": "edge"},
                 "vdi_firewall_endpoints": {"user_device": "any"}, "vdi_firewall_journeys": "false"}
    settings = plan_settings(planner_settings(task_vars), True, journeys_setting(task_vars), "/catalog")
    assert settings["secure_only"] is True and settings["tiers"] == {"citrix_vda": "edge"}
    assert settings["strict"] is True and settings["journeys"] is False and settings["catalog_dir"] == "/catalog"
    assert "endpoints" not in settings
    assert journeys_setting({}) is True and journeys_setting(task_vars, {"journeys": True}) is True
    with pytest.raises(VdiFirewallError, match="vdi_firewall_journeys"):
        journeys_setting({"vdi_firewall_journeys": "maybe"})
