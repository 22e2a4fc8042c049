# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A feature whose component is in the inventory defaults to on; a host whose flows are all switched off is named."""

from __future__ import annotations

import pytest

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog
from ansible_collections.vdi.firewall.plugins.plugin_utils._features import feature_components
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import (
    HostInput,
    build_topology,
    feature_notices,
    plan_hosts,
)

CATALOG = load_catalog()


def ras(*extra, features=None):
    hosts = [HostInput("cb1", groups=("broker",), product="parallels_ras", ansible_host="192.0.2.21"),
             HostInput("rdsh1", groups=("session_host",), product="parallels_ras", ansible_host="192.0.2.101"),
             *extra]
    if features is not None:
        hosts = [HostInput(host.name, groups=host.groups, product=host.product, ansible_host=host.ansible_host,
                           features=features) for host in hosts]
    topology = build_topology(CATALOG, hosts)
    return topology, plan_hosts(topology)


@pytest.mark.parametrize(("feature", "components"), [
    ("ras_enrollment_server", {"ras_enrollment_server"}),
    ("ras_vdi_hyperv", {"hyperv_host"}),
    ("ras_performance_monitor", {"ras_performance_monitor"}),
    ("rds_connection_broker_ha", {"sql_server"}),
])
def test_a_feature_knows_its_components(feature, components):
    assert feature_components(CATALOG)[feature] == components


def test_variants_and_features_without_a_component_of_their_own_have_none():
    owned = feature_components(CATALOG)
    assert "ras_reporting_sql_dynamic_port" not in owned  # a port choice of ras_reporting
    assert "ras_remote_agent_push" not in owned and "citrix_edt" not in owned


@pytest.mark.parametrize(("group", "feature"), [("enrollment_server", "ras_enrollment_server"),
                                                ("reporting", "ras_reporting"),
                                                ("hyperv_host", "ras_vdi_hyperv")])
def test_a_component_in_the_inventory_switches_its_feature_on(group, feature):
    topology, plans = ras(HostInput("x1", groups=(group,), product="parallels_ras", ansible_host="192.0.2.50"))
    assert topology.host_features["cb1"][feature] is True
    assert any(feature in notice for notice in topology.notices)
    assert plans["x1"]["rules"] or group == "hyperv_host"  # a Hyper-V host talks to provider agents only


def test_an_explicit_false_still_switches_it_off_and_the_host_is_named():
    topology, plans = ras(HostInput("es1", groups=("enrollment_server",), product="parallels_ras",
                                    ansible_host="192.0.2.50"), features={"ras_enrollment_server": False})
    assert topology.host_features["es1"]["ras_enrollment_server"] is False
    assert plans["es1"]["rules"] == []
    assert feature_notices(topology, plans) == [
        "host 'es1' (domain_member, ras_enrollment_server) gets no rule: all its flows are behind switched-off "
        "features (ras_enrollment_server, ras_remote_agent_push); switch one on with vdi_firewall_features"]


def test_another_products_features_do_not_follow_a_shared_component():
    topology = build_topology(CATALOG, [
        HostInput("ddc1", groups=("broker",), product="citrix", ansible_host="192.0.2.21"),
        HostInput("sql1", groups=("sql",), product="citrix", ansible_host="192.0.2.51")])
    assert not any("rds_" in feature or "ras_" in feature for feature in topology.host_features["ddc1"] or {})


def test_a_group_another_product_owns_makes_the_product_ambiguous():
    with pytest.raises(Exception, match=r"host 'rdsh1' is in group 'session_host', which citrix has no components "
                                        r"for but microsoft_rds and parallels_ras do: the host's product is ambiguous"):
        build_topology(CATALOG, [HostInput("rdsh1", groups=("session_host",), product="citrix",
                                           ansible_host="192.0.2.101")])
