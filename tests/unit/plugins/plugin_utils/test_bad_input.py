# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ports and types: a clear error naming the variable, never a silently dropped or widened rule."""

from __future__ import annotations

import pytest

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog, parse_port_value
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError, kind_of
from ansible_collections.vdi.firewall.plugins.plugin_utils._inventory import host_inputs
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import HostInput, build_topology

WHERE = "vdi_firewall_symbolic_ports['dynamic_rpc']"


@pytest.mark.parametrize(("value", "message"), [
    ("0", r"'0' is not a port number \(1-65535\)"),
    (0, r"'0' is not a port number"),
    ("", r"the value is empty"),
    ("  ", r"the value is empty"),
    ([], r"the value is empty"),
    ("80,,443", r"'80,,443' has an empty item"),
    ("http", r"'http' is not a port number or an 'a-b' range"),
    ("65536", r"not a port number"),
    ("5000-4000", r"outside 1-65535 or reversed"),
    (True, r"got the boolean True"),
    (80.5, r"got the number 80.5"),
    (None, r"got nothing"),
    ({"a": 1}, r"got a mapping"),
])
def test_ports_that_cannot_be_meant_are_errors_naming_the_variable(value, message):
    with pytest.raises(VdiFirewallError, match=r"^vdi_firewall_symbolic_ports\['dynamic_rpc'\]: .*" + message):
        parse_port_value(value, WHERE)


@pytest.mark.parametrize(("value", "expected"), [("1", ["1"]), (443, ["443"]), ("80, 443", ["80", "443"]),
                                                 (["1494", 2598], ["1494", "2598"]), ("49152-65535", ["49152-65535"])])
def test_good_ports(value, expected):
    assert [str(item) for item in parse_port_value(value, WHERE)] == expected


@pytest.mark.parametrize("value", ["0", "", "abc"])
def test_symbolic_port_values_are_checked_when_planning(value):
    with pytest.raises(VdiFirewallError, match=r"vdi_firewall_symbolic_ports\['dynamic_rpc'\]"):
        build_topology(load_catalog(), [HostInput("ddc1", groups=("broker",), product="citrix",
                                                  ansible_host="192.0.2.21")],
                       symbolic_ports={"dynamic_rpc": value})


def inputs(host_vars, **extra):
    return host_inputs({"groups": {"all": ["ddc1"], "broker": ["ddc1"]},
                        "hostvars": {"ddc1": dict({"ansible_host": "192.0.2.21", "vdi_firewall_product": "citrix"},
                                                  **host_vars)}, **extra})


def test_an_unknown_feature_in_the_feature_list_names_that_variable():
    with pytest.raises(VdiFirewallError, match=r"host 'ddc1': vdi_firewall_feature_list: unknown feature 'citrix_nope'"):
        build_topology(load_catalog(), inputs({"vdi_firewall_feature_list": "citrix_edt, citrix_nope"}))


def test_an_unknown_feature_from_a_survey_names_the_survey_variable():
    with pytest.raises(VdiFirewallError, match=r"host 'ddc1': vdi_firewall_survey_features: unknown feature 'x_y'"):
        build_topology(load_catalog(), inputs({}, vdi_firewall_survey_features="x_y"))


def test_an_unknown_feature_in_the_features_mapping_names_that_variable():
    with pytest.raises(VdiFirewallError, match=r"host 'ddc1': vdi_firewall_features: unknown feature 'citrix_nope'"):
        build_topology(load_catalog(), inputs({"vdi_firewall_features": {"citrix_nope": True}}))


class _AnsibleTaggedDict(dict):
    """Stands for the tagged containers Ansible hands to plugins."""


@pytest.mark.parametrize("value", [_AnsibleTaggedDict(a=1), 3, True, None, "x", [1]])
def test_messages_never_show_internal_type_names(value):
    assert "_Ansible" not in kind_of(value) and "Tagged" not in kind_of(value)


def test_a_mapping_where_a_list_is_expected_says_so_in_plain_words():
    with pytest.raises(VdiFirewallError) as caught:
        build_topology(load_catalog(), [HostInput("ddc1", groups=("broker",), product="citrix",
                                                  address=_AnsibleTaggedDict(a="192.0.2.21"))])
    assert "got a mapping" in str(caught.value) and "_Ansible" not in str(caught.value)


def catalog_copy(tmp_path):
    import shutil  # pylint: disable=import-outside-toplevel
    from pathlib import Path  # pylint: disable=import-outside-toplevel
    source = Path(load_catalog.__code__.co_filename).resolve().parents[2] / "vars" / "catalog"
    target = tmp_path / "catalog"
    shutil.copytree(source, target)
    return target


def test_a_user_catalog_component_without_a_name_is_an_error_naming_file_and_component(tmp_path):
    import yaml  # pylint: disable=import-outside-toplevel
    directory = catalog_copy(tmp_path)
    path = directory / "microsoft_rds" / "components.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["components"]["rds_connection_broker"]["name"]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(VdiFirewallError,
                       match=r"microsoft_rds/components.yml: component 'rds_connection_broker' needs a 'name'"):
        load_catalog(str(directory))


def test_a_catalog_file_that_is_not_utf8_is_an_error_naming_it(tmp_path):
    directory = catalog_copy(tmp_path)
    with open(directory / "citrix" / "flows.yml", "ab") as handle:
        handle.write(b"\n# caf\xe9\n")
    with pytest.raises(VdiFirewallError, match=r"citrix/flows.yml: is not UTF-8 text"):
        load_catalog(str(directory))
