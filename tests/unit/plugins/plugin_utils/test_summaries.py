# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply playbook's closing summary."""

from __future__ import annotations

from ansible_collections.vdi.firewall.plugins.plugin_utils._summaries import apply_summary, plan_summary

HOSTVARS = {
    "lx1": {"__vdi_firewall_apply_chosen": {"name": "firewalld"},
            "firewalld_result": {"changed": True, "added": ["a", "b"], "removed": ["c"]}},
    "lx2": {"__vdi_firewall_apply_chosen": {"name": "firewalld"}, "firewalld_result": {"changed": False}},
    "lx3": {"__vdi_firewall_apply_chosen": {"name": "nftables"}, "nftables_result": {"changed": True}},
    "win1": {"__vdi_firewall_apply_chosen": {"name": "windows"},
             "windows_rules_result": {"changed": True, "results": [{"changed": True}, {"changed": False}]}},
    "adc1": {"__vdi_firewall_apply_chosen": {"name": "none"}},
    "down1": {"__vdi_firewall_apply_chosen": {"name": "nftables"}},
}


def test_one_line_per_backend_with_changes_and_rule_counts():
    assert apply_summary(HOSTVARS, list(HOSTVARS), set(HOSTVARS) - {"down1"}) == [
        "firewalld: 2 host(s), 1 changed (rules added 2, removed 1)",
        "nftables: 2 host(s), 1 changed, 1 failed or unreachable",
        "windows: 1 host(s), 1 changed",
        "none: 1 host(s) left alone (appliances, or no rule planned)",
    ]


def test_check_mode_says_would():
    lines = apply_summary(HOSTVARS, ["lx1"], {"lx1"}, check_mode=True)
    assert lines == ["firewalld: 1 host(s), 1 would change (rules to add 2, to remove 1)"]


def plan_result(**summary):
    base = {"hosts": 3, "rules": 20, "unresolved": 0, "unresolved_peers": [], "warnings": 0, "hosts_with_warnings": 0,
            "warning_counts": {}, "omitted_plaintext": 0, "journeys": 2, "journeys_complete": 2, "journeys_broken": 0,
            "journeys_not_applicable": 0, "broken_journeys": [], "limited": False, "inventory_hosts": 3,
            "not_planned": []}
    base.update(summary)
    return {"summary": base, "products": ["citrix"], "settings": {"secure_only": False},
            "files_written": ["hosts/a.json", "report.html"], "files_removed": []}


def test_plan_summary_says_what_was_planned_and_written():
    assert plan_summary(plan_result(), "/out") == [
        "3 hosts planned, 20 rules (citrix)",
        "0 flow(s) without a peer in the inventory or vdi_firewall_endpoints",
        "0 least-privilege warning(s) on 0 host(s)",
        "vdi_firewall_secure_only is off: plaintext alternatives kept",
        "2 journeys complete, 0 broken (0 not applicable)",
        "written to /out: 2 file(s) written, 0 removed (hosts/*.json, flows.csv, report.html, change_request.csv, "
        "change_request.xlsx)",
        "whole inventory planned",
        "every inventory host is in a VDI group",
    ]


def test_plan_summary_names_what_is_missing_broken_or_left_out():
    result = plan_result(unresolved=2, unresolved_peers=["citrix_cloud"], warnings=3, hosts_with_warnings=2,
                         warning_counts={"plaintext": 3}, omitted_plaintext=4, journeys_broken=1, journeys_complete=1,
                         broken_journeys=["citrix_internal_user (hop 2 closed)"], limited=True, inventory_hosts=9,
                         not_planned=[{"host": "x1", "typos": [{"group": "brokers"}]}, {"host": "x2", "typos": []}])
    result["settings"]["secure_only"] = True
    lines = plan_summary(result, None)
    assert lines[1] == "2 flow(s) without a peer in the inventory or vdi_firewall_endpoints: citrix_cloud"
    assert lines[2] == "3 least-privilege warning(s) on 2 host(s): plaintext 3"
    assert lines[3] == "4 plaintext port(s) left out (vdi_firewall_secure_only)"
    assert lines[4] == "1 journeys complete, 1 broken: citrix_internal_user (hop 2 closed) (0 not applicable)"
    assert lines[5] == "set vdi_firewall_output_dir to write hosts/*.json, flows.csv, report.html and the change requests"
    assert lines[6].startswith("limited run: 3 of 9 inventory hosts planned against the whole deployment")
    assert lines[7] == "2 host(s) in no VDI group, not planned: x1, x2 (groups that look like typos: brokers)"


def test_plan_summary_in_check_mode_says_would_and_without_journeys_says_so():
    lines = plan_summary(plan_result(journeys=0), "/out", check_mode=True)
    assert lines[4] == "journeys not checked (vdi_firewall_journeys is false)"
    assert lines[5].startswith("would write to /out: 2 file(s) to write, 0 to remove")
    assert lines[5].endswith("check mode wrote nothing")
