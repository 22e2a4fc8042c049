# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply playbook's closing summary."""

from __future__ import annotations

from ansible_collections.vdi.firewall.plugins.plugin_utils._summaries import apply_summary

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
