# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nftables backend: the owned table's rendering and the persisted-state bookkeeping."""

from __future__ import annotations

import pytest

from ansible_collections.vdi.firewall.plugins.module_utils._linux_rules import normalize_management, normalize_rule
from ansible_collections.vdi.firewall.plugins.module_utils._nftables_ruleset import (
    COMMENT_MAX,
    comment,
    live_digest,
    persisted,
    render_ruleset,
    rule_lines,
    split_persisted,
)


def make(**fields):
    base = {"name": "r", "direction": "in", "protocol": "tcp", "local_ports": [], "remote_ports": [], "remote_addresses": ["10.0.0.0/24"]}
    base.update(fields)
    return normalize_rule(base, 1)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"local_ports": ["443", "80"], "remote_addresses": ["10.0.0.0/24", "10.0.2.0/24", "fd00::/64"]},
            [
                'ip saddr { 10.0.0.0/24, 10.0.2.0/24 } tcp dport { 80, 443 } accept comment "r"',
                'ip6 saddr fd00::/64 tcp dport { 80, 443 } accept comment "r"',
            ],
        ),
        (
            {"direction": "out", "protocol": "udp", "remote_ports": ["53"]},
            ['ip daddr 10.0.0.0/24 udp dport 53 accept comment "r"'],
        ),
        (
            {"local_ports": ["443"], "remote_ports": ["1024-65535"]},
            ['ip saddr 10.0.0.0/24 tcp sport 1024-65535 tcp dport 443 accept comment "r"'],
        ),
        ({"protocol": "udp"}, ['ip saddr 10.0.0.0/24 meta l4proto udp accept comment "r"']),
        ({"protocol": "icmp"}, ['ip saddr 10.0.0.0/24 meta l4proto icmp accept comment "r"']),
        (
            {"protocol": "icmpv6", "remote_addresses": ["10.0.0.0/24", "fd00::/64"]},
            ['ip6 saddr fd00::/64 meta l4proto ipv6-icmp accept comment "r"'],
        ),
        ({"protocol": "gre"}, ['ip saddr 10.0.0.0/24 meta l4proto gre accept comment "r"']),
    ],
)
def test_rule_statements(fields, expected):
    assert rule_lines(make(**fields)) == expected


def test_long_names_are_shortened_uniquely():
    first, second = "a" * 200 + "1", "a" * 200 + "2"
    assert len(comment(first)) == COMMENT_MAX
    assert comment(first) != comment(second)
    assert comment("short") == "short"


def test_ruleset_replaces_the_table_in_one_transaction():
    management = normalize_management([{"port": 22, "remote_addresses": ["192.0.2.10/32"]}])
    text = render_ruleset([make(local_ports=["443"])], management, restrict_outbound=False)
    lines = [line.strip() for line in text.splitlines() if not line.startswith("#")]
    assert lines[:3] == ["table inet vdi_firewall", "delete table inet vdi_firewall", "table inet vdi_firewall {"]
    input_chain = lines[lines.index("chain input {"): lines.index("chain output {")]
    assert "type filter hook input priority filter; policy drop;" in input_chain
    assert input_chain.index('ip saddr 192.0.2.10/32 tcp dport 22 accept comment "management-tcp-22"') < input_chain.index(
        'ip saddr 10.0.0.0/24 tcp dport 443 accept comment "r"'
    )
    assert "ct state established,related accept" in input_chain
    assert 'iif "lo" accept' in input_chain
    assert "type filter hook output priority filter; policy accept;" in text
    assert "reject" not in text


def test_restricted_egress_accepts_only_outbound_rules():
    rules = [make(name="in1", local_ports=["443"]), make(name="out1", direction="out", remote_ports=["80"])]
    text = render_ruleset(rules, [], restrict_outbound=True)
    output_chain = text[text.index("chain output"):]
    assert "policy drop;" in output_chain
    assert 'ip daddr 10.0.0.0/24 tcp dport 80 accept comment "out1"' in output_chain
    assert output_chain.rstrip().splitlines()[-3].strip() == "reject with icmpx admin-prohibited"
    assert '"in1"' not in output_chain
    assert '"out1"' not in render_ruleset(rules, [], restrict_outbound=False)


def test_rendering_is_deterministic():
    rules = [make(name=f"r{index}", local_ports=[str(1000 + index)]) for index in range(20)]
    assert render_ruleset(rules, [], False) == render_ruleset(list(rules), [], False)


def test_persisted_file_carries_the_live_digest():
    ruleset = render_ruleset([make()], [], False)
    listing = "table inet vdi_firewall {\n\tchain input {\n\t}\n}\n"
    digest = live_digest(listing)
    assert split_persisted(persisted(ruleset, digest)) == (ruleset, digest)
    assert split_persisted(ruleset) == (ruleset, None)
    assert split_persisted(None) == (None, None)
    assert live_digest("  table inet vdi_firewall {\n\n\t\tchain input {\n  }\n}") == digest
