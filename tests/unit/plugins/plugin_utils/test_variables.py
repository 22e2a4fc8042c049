# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nothing the inventory says is silently dropped: unknown variables and hosts in no VDI group."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import HostInput, build_topology
from ansible_collections.vdi.firewall.plugins.plugin_utils._variables import (
    KNOWN_PREFIXES,
    known_variables,
    nearest,
    unknown_variables,
    variable_notices,
)

ROOT = Path(__file__).resolve().parents[4]
# names in the docs that are not variables: firewalld policies the collection owns
# and the typos the planning guide shows as examples of what is warned about
NOT_VARIABLES = {"vdi_firewall_in", "vdi_firewall_out", "vdi_firewall_adress", "vdi_firewall_secure_onyl"}


@pytest.mark.parametrize(("typo", "meant"), [
    ("vdi_firewall_adress", "vdi_firewall_address"),
    ("vdi_firewall_endpoint", "vdi_firewall_endpoints"),
    ("vdi_firewall_secure_onyl", "vdi_firewall_secure_only"),
    ("vdi_firewall_Product", "vdi_firewall_product"),
])
def test_unknown_variables_are_reported_with_the_nearest_known_name(typo, meant):
    unknown = unknown_variables({"vda1": [typo, "vdi_firewall_product"], "vda2": [typo]})
    assert unknown == {typo: {"hosts": ["vda1", "vda2"], "nearest": meant}}
    assert variable_notices(unknown) == [f"unknown variable {typo} (hosts vda1, vda2) is ignored; did you mean {meant}?"]


def test_known_variables_and_families_are_not_reported():
    names = ["vdi_firewall_product", "vdi_firewall_acl_state", "vdi_firewall_windows_render_dir",
             "vdi_firewall_survey_product", "vdi_firewall_awx_project"]
    assert unknown_variables({"h1": names}) == {}


def test_every_variable_the_docs_name_is_known():
    documented = set()
    for path in [*ROOT.glob("docs/*.md"), ROOT / "README.md", *ROOT.glob("roles/*/README.md")]:
        documented.update(re.findall(r"\bvdi_firewall_[a-z0-9_]*[a-z0-9]\b", path.read_text(encoding="utf-8")))
    documented -= NOT_VARIABLES
    known = known_variables()
    missing = sorted(name for name in documented if name not in known and not name.startswith(KNOWN_PREFIXES))
    assert missing == []


@pytest.mark.parametrize(("group", "meant"), [("brokers", "broker"), ("VDA", "vda"), ("store-front", "storefront")])
def test_hosts_in_no_vdi_group_are_listed_with_the_groups_that_look_like_typos(group, meant):
    topology = build_topology(load_catalog(), [
        HostInput("ddc1", groups=("broker",), product="citrix", ansible_host="192.0.2.21"),
        HostInput("odd1", groups=(group, "windows"), product="citrix", ansible_host="192.0.2.22")])
    assert "odd1" not in topology.host_components
    assert topology.not_planned == [{"host": "odd1", "groups": [group, "windows"],
                                     "typos": [{"group": group, "nearest": meant}]}]
    assert f"host 'odd1' is in no VDI group and is not planned: its group '{group}' looks like '{meant}'" \
        in topology.notices


def test_nearest_finds_nothing_for_unrelated_names():
    assert nearest("windows", ["broker", "vda", "storefront"]) is None


def test_the_report_lists_hosts_not_planned_with_their_typos():
    from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import (  # pylint: disable=import-outside-toplevel
        deployment_flows,
        plan_hosts,
    )
    from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.files import (  # pylint: disable=import-outside-toplevel
        report_files,
    )
    topology = build_topology(load_catalog(), [
        HostInput("ddc1", groups=("broker",), product="citrix", ansible_host="192.0.2.21"),
        HostInput("odd1", groups=("brokers",), product="citrix", ansible_host="192.0.2.22")])
    plans = plan_hosts(topology)
    files, _notices = report_files(topology, plans, deployment_flows(topology, plans))
    html = files["report.html"]
    assert '<section id="not-planned">' in html and "<code>odd1</code>" in html and "brokers looks like broker" in html
    assert 'href="#not-planned">Not planned (1)' in html
