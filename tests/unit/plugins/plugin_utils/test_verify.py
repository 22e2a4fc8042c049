# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probe targets from plans, and results back to flows."""

from __future__ import annotations

import pytest

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import HostInput, build_topology, plan_hosts
from ansible_collections.vdi.firewall.plugins.plugin_utils._verify import (
    all_probe_targets,
    flow_outcomes,
    probe_targets,
    result_rows,
    split_name,
)


@pytest.fixture(scope="module", name="plans")
def fixture_plans():
    catalog = load_catalog()
    hosts = [
        HostInput("ddc1", groups=("broker",), product="microsoft_rds", ansible_host="10.0.0.1"),
        HostInput("sh1", groups=("session_host",), product="microsoft_rds", ansible_host="10.0.0.2"),
        HostInput("sh2", groups=("session_host",), product="microsoft_rds", address=["10.0.0.3", "fd00::3"]),
        HostInput("lic1", groups=("licensing",), product="microsoft_rds", ansible_host="10.0.0.4"),
    ]
    return catalog, plan_hosts(build_topology(catalog, hosts))


def test_targets_cover_outbound_tcp_flows_to_peer_hosts(plans):
    catalog, planned = plans
    targets = probe_targets(catalog, planned, "ddc1")
    by_address_port = {(target["host"], target["port"]): target for target in targets["targets"]}
    # RD Connection Broker -> RD Session Host on 3389 and 445, to every session host address
    for address in ("10.0.0.2", "10.0.0.3", "fd00::3"):
        assert (address, 3389) in by_address_port
        assert by_address_port[(address, 445)]["expect"] == "open"
    peer, flows = split_name(by_address_port[("10.0.0.2", 3389)]["name"])
    assert peer == "sh1" and flows
    # the dynamic RPC range is not probed port by port
    assert any(item["reason"].startswith("port range 49152-65535") for item in targets["skipped"])
    assert all(target["protocol"] == "tcp" for target in targets["targets"])


def test_host_without_plan_has_no_targets(plans):
    catalog, planned = plans
    assert probe_targets(catalog, planned, "nobody") == {"targets": [], "skipped": []}


def test_bad_plans_are_reported(plans):
    catalog, _planned = plans
    with pytest.raises(VdiFirewallError, match="expected the 'hosts' dictionary"):
        probe_targets(catalog, ["not", "plans"], "ddc1")
    broken = {"h": {"components": [], "addresses": [], "rules": [
        {"name": "r", "direction": "out", "protocol": "tcp", "flows": ["no_such_flow"]}]}}
    with pytest.raises(VdiFirewallError, match=r"host 'h': rule r names flow 'no_such_flow'"):
        probe_targets(catalog, broken, "h")


def test_results_map_back_to_flows():
    results = {"ddc1": [
        {"host": "10.0.0.2", "port": 3389, "protocol": "tcp", "name": "sh1|flow_a,flow_b", "state": "open", "passed": True},
        {"host": "10.0.0.3", "port": 3389, "protocol": "tcp", "name": "sh2|flow_a", "state": "timeout", "passed": False},
    ]}
    rows = result_rows(results)
    assert [(row["flow"], row["destination_host"], row["passed"]) for row in rows] == [
        ("flow_a", "sh1", True), ("flow_b", "sh1", True), ("flow_a", "sh2", False)]
    outcomes = flow_outcomes(rows)
    assert outcomes["flow_b"] == {"passed": True, "probes": 1, "failed": []}
    assert outcomes["flow_a"]["passed"] is False and outcomes["flow_a"]["failed"] == ["ddc1 -> sh2 10.0.0.3:3389 timeout"]


def test_all_hosts_at_once_equals_host_by_host(plans):
    catalog, planned = plans
    together = all_probe_targets(catalog, planned)
    assert set(together) == set(planned)
    for host in planned:
        assert together[host] == probe_targets(catalog, planned, host)
    with pytest.raises(VdiFirewallError, match="expected the 'hosts' dictionary"):
        all_probe_targets(catalog, "not plans")


def test_a_whole_plan_brings_its_probes_and_settings(plans):
    from ansible_collections.vdi.firewall.plugins.filter.probe_targets import FilterModule
    from ansible.errors import AnsibleFilterError

    catalog, planned = plans
    symbolic = {"dynamic_rpc": "50000-50010"}
    plan = {"hosts": planned, "summary": {}, "probes": {}, "settings": {"symbolic_ports": symbolic, "catalog_dir": None}}
    probe = FilterModule().filters()["probe_targets"]
    for host in planned:
        expected = probe_targets(catalog, planned, host, symbolic)
        assert probe(plan, host) == expected == probe(planned, host, symbolic_ports=symbolic)
        assert probe(plan, host, symbolic_ports=symbolic) == expected
    # the probes the plan worked out are the ones given, as they are
    made = dict(plan, probes={"ddc1": {"targets": ["as planned"], "skipped": []}})
    assert probe(made, "ddc1") == {"targets": ["as planned"], "skipped": []}
    with pytest.raises(AnsibleFilterError, match="the plan was made with"):
        probe(plan, "ddc1", symbolic_ports={"dynamic_rpc": "49152-65535"})
