# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""firewalld backend: rich rules, owned policies, plans, and the transactional apply."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.vdi.firewall.plugins.module_utils._firewalld_policy import (
    IN_POLICY,
    OUT_POLICY,
    ApplyError,
    apply_plan,
    desired_policies,
    plan_changes,
    policies_text,
    read_states,
    rich_rules,
    state_from_settings,
)
from ansible_collections.vdi.firewall.plugins.module_utils._linux_rules import (
    RuleError,
    normalize_management,
    normalize_rule,
    normalize_rules,
)


def make(**fields):
    base = {"name": "r", "direction": "in", "protocol": "tcp", "local_ports": [], "remote_ports": [], "remote_addresses": ["10.0.0.0/24"]}
    base.update(fields)
    return normalize_rule(base, 1)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"local_ports": ["443", "1000-2000"], "remote_addresses": ["10.0.0.0/24", "fd00::/64"]},
            [
                'rule family="ipv4" source address="10.0.0.0/24" port port="443" protocol="tcp" accept',
                'rule family="ipv4" source address="10.0.0.0/24" port port="1000-2000" protocol="tcp" accept',
                'rule family="ipv6" source address="fd00::/64" port port="443" protocol="tcp" accept',
                'rule family="ipv6" source address="fd00::/64" port port="1000-2000" protocol="tcp" accept',
            ],
        ),
        (
            {"direction": "out", "protocol": "udp", "remote_ports": ["53"], "remote_addresses": ["0.0.0.0/0"]},
            ['rule family="ipv4" destination address="0.0.0.0/0" port port="53" protocol="udp" accept'],
        ),
        (
            {"remote_ports": ["1024-65535"]},
            ['rule family="ipv4" source address="10.0.0.0/24" source-port port="1024-65535" protocol="tcp" accept'],
        ),
        ({}, ['rule family="ipv4" source address="10.0.0.0/24" protocol value="tcp" accept']),
        ({"protocol": "icmp"}, ['rule family="ipv4" source address="10.0.0.0/24" protocol value="icmp" accept']),
        (
            {"protocol": "icmpv6", "remote_addresses": ["10.0.0.0/24", "fd00::/64"]},
            ['rule family="ipv6" source address="fd00::/64" protocol value="ipv6-icmp" accept'],
        ),
        ({"protocol": "vrrp"}, ['rule family="ipv4" source address="10.0.0.0/24" protocol value="vrrp" accept']),
        ({"protocol": "esp"}, ['rule family="ipv4" source address="10.0.0.0/24" protocol value="esp" accept']),
    ],
)
def test_rules_become_canonical_rich_rules(fields, expected):
    assert rich_rules(make(**fields)) == expected


def test_local_and_remote_ports_together_cannot_be_a_rich_rule():
    with pytest.raises(RuleError, match="rule 'r': firewalld rich rules match either local or remote ports"):
        rich_rules(make(local_ports=["443"], remote_ports=["1024-65535"]))


RULES = normalize_rules(
    [
        {"name": "vdi-in-tcp-a", "direction": "in", "protocol": "tcp", "local_ports": ["443"], "remote_addresses": ["10.0.0.1/32"]},
        {"name": "vdi-out-tcp-b", "direction": "out", "protocol": "tcp", "remote_ports": ["80"], "remote_addresses": ["10.0.0.2/32"]},
    ]
)
MANAGEMENT = normalize_management([{"port": 22, "remote_addresses": ["192.0.2.10/32"]}])


def test_outbound_rules_are_ignored_unless_egress_is_restricted():
    desired = desired_policies(RULES, MANAGEMENT, restrict_outbound=False)
    assert desired.policies[OUT_POLICY] is None
    assert desired.ignored_rules == ["vdi-out-tcp-b"]
    inbound = desired.policies[IN_POLICY]
    assert (inbound.ingress_zones, inbound.egress_zones, inbound.target) == (("ANY",), ("HOST",), "CONTINUE")
    assert inbound.rich_rules == (
        'rule family="ipv4" source address="10.0.0.1/32" port port="443" protocol="tcp" accept',
        'rule family="ipv4" source address="192.0.2.10/32" port port="22" protocol="tcp" accept',
    )
    assert desired.rich_rules_by_rule["management-tcp-22"] == [inbound.rich_rules[1]]


def test_restricted_egress_gets_a_rejecting_outbound_policy():
    desired = desired_policies(RULES, MANAGEMENT, restrict_outbound=True)
    outbound = desired.policies[OUT_POLICY]
    assert (outbound.ingress_zones, outbound.egress_zones, outbound.target) == (("HOST",), ("ANY",), "REJECT")
    assert outbound.rich_rules == ('rule family="ipv4" destination address="10.0.0.2/32" port port="80" protocol="tcp" accept',)
    assert desired.ignored_rules == []


def test_absent_removes_both_policies():
    assert desired_policies([], [], False, present=False).policies == {IN_POLICY: None, OUT_POLICY: None}


def test_settings_round_trip():
    state = desired_policies(RULES, MANAGEMENT, True).policies[IN_POLICY]
    assert state_from_settings(state.settings()) == state
    assert state_from_settings(None) is None


def test_foreign_entries_in_an_owned_policy_are_a_difference():
    state = desired_policies(RULES, MANAGEMENT, False).policies[IN_POLICY]
    settings = state.settings()
    settings["services"] = ["ssh"]
    polluted = state_from_settings(settings)
    assert polluted != state
    assert "services: 1 entries (not managed by vdi.firewall, removed)" in policies_text({IN_POLICY: polluted})


class FakeFirewalld:
    """firewalld's permanent and runtime configuration in memory, with a reload and injectable refusals."""

    def __init__(self, permanent=None):
        self.permanent = copy.deepcopy(permanent or {})
        self.runtime = copy.deepcopy(self.permanent)
        self.refuse = set()
        self.fail_reload = 0
        self.writes = []
        self.reloads = 0

    def permanent_settings(self, name):
        return copy.deepcopy(self.permanent.get(name))

    def runtime_settings(self, name):
        return copy.deepcopy(self.runtime.get(name))

    def write_permanent(self, name, settings, exists):
        assert exists == (name in self.permanent)
        if name in self.refuse and settings is not None:
            raise ValueError(f"INVALID_RULE: {name}")
        self.writes.append(name)
        if settings is None:
            self.permanent.pop(name, None)
        else:
            self.permanent[name] = copy.deepcopy(settings)

    def reload(self):
        if self.fail_reload:
            self.fail_reload -= 1
            raise RuntimeError("COMMAND_FAILED")
        self.reloads += 1
        self.runtime = copy.deepcopy(self.permanent)


def run(client, desired):
    permanent, runtime = read_states(client)
    plan = plan_changes(desired.policies, permanent, runtime)
    if plan.changed:
        apply_plan(client, plan, desired.policies, permanent)
    return plan


def test_apply_then_nothing_to_do():
    client = FakeFirewalld()
    desired = desired_policies(RULES, MANAGEMENT, True)
    plan = run(client, desired)
    assert plan.permanent == [IN_POLICY, OUT_POLICY]
    assert plan.reload and client.reloads == 1
    assert plan.added[IN_POLICY] and not plan.removed
    again = run(client, desired)
    assert not again.changed
    assert client.reloads == 1


def test_stale_rich_rules_are_removed_and_the_out_policy_goes():
    client = FakeFirewalld()
    run(client, desired_policies(RULES, MANAGEMENT, True))
    plan = run(client, desired_policies(RULES[:1], [], False))
    assert plan.removed[IN_POLICY] == ['rule family="ipv4" source address="192.0.2.10/32" port port="22" protocol="tcp" accept']
    assert plan.removed[OUT_POLICY]
    assert OUT_POLICY not in client.permanent and OUT_POLICY not in client.runtime


def test_runtime_drift_alone_triggers_a_reload_only():
    client = FakeFirewalld()
    desired = desired_policies(RULES, MANAGEMENT, False)
    run(client, desired)
    client.runtime[IN_POLICY]["rich_rules"].append('rule family="ipv4" source address="10.9.9.9/32" accept')
    plan = run(client, desired)
    assert plan.permanent == [] and plan.reload
    assert client.runtime == client.permanent


def test_a_refused_policy_restores_the_ones_written_and_leaves_the_runtime():
    client = FakeFirewalld()
    run(client, desired_policies(RULES, MANAGEMENT, True))
    before_permanent = copy.deepcopy(client.permanent)
    before_runtime = copy.deepcopy(client.runtime)
    client.refuse = {OUT_POLICY}
    new = normalize_rules(
        [
            {"name": "vdi-in-udp-c", "direction": "in", "protocol": "udp", "local_ports": ["1494"], "remote_addresses": ["10.0.0.3/32"]},
            {"name": "vdi-out-udp-c", "direction": "out", "protocol": "udp", "remote_ports": ["1494"], "remote_addresses": ["10.0.0.3/32"]},
        ]
    )
    with pytest.raises(ApplyError, match="refused the permanent policy vdi_firewall_out.*Nothing was applied"):
        run(client, desired_policies(new, MANAGEMENT, True))
    assert client.permanent == before_permanent
    assert client.runtime == before_runtime


def test_a_failed_reload_restores_and_reloads_the_previous_policies():
    client = FakeFirewalld()
    run(client, desired_policies(RULES, MANAGEMENT, False))
    before = copy.deepcopy(client.permanent)
    client.fail_reload = 1
    with pytest.raises(ApplyError, match="failed to reload.*previous policies were restored"):
        run(client, desired_policies(RULES[:1], [], False))
    assert client.permanent == before
    assert client.runtime == before
