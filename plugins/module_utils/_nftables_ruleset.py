# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nftables backend: one owned table (inet vdi_firewall) rendered from a rule set, pure Python.

Internal to vdi.firewall, not a public interface: it may change in any release.

The rendered file replaces the table in one transaction and is also what persists it: the module
writes it to disk and records, in a trailing comment, a digest of the table as the kernel lists it
after loading, so that a later run can tell both whether the file and whether the live table are
still what this collection made.
"""

from __future__ import annotations

import hashlib
import re

from ansible_collections.vdi.firewall.plugins.module_utils._linux_rules import Rule

TABLE_FAMILY = "inet"
TABLE_NAME = "vdi_firewall"
# nft refuses comments over 128 characters; longer rule names keep a digest to stay unique.
COMMENT_MAX = 128
L4PROTO = {"icmp": "icmp", "icmpv6": "ipv6-icmp", "vrrp": "vrrp", "gre": "gre", "esp": "esp"}
# Neighbour discovery is not connection-tracked: without these IPv6 stops working under policy drop.
ND_IN = "nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert, mld-listener-query"
ND_OUT = "nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld2-listener-report"
LIVE_MARK = "# vdi.firewall live-table-sha256: "


def comment(name: str) -> str:
    """A rule name as an nft comment, shortened with a digest when too long."""
    if len(name) <= COMMENT_MAX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{name[:COMMENT_MAX - 11]}~{digest}"


def _one_or_set(values: tuple[str, ...]) -> str:
    return values[0] if len(values) == 1 else "{ " + ", ".join(values) + " }"


def rule_lines(rule: Rule) -> list[str]:
    """nft statements for one rule: one per address family, addresses and ports in anonymous sets."""
    side = "saddr" if rule.direction == "in" else "daddr"
    if rule.protocol in L4PROTO:
        match = f"meta l4proto {L4PROTO[rule.protocol]}"
    else:
        parts = []
        if rule.source_ports:
            parts.append(f"{rule.protocol} sport {_one_or_set(rule.source_ports)}")
        if rule.destination_ports:
            parts.append(f"{rule.protocol} dport {_one_or_set(rule.destination_ports)}")
        match = " ".join(parts) if parts else f"meta l4proto {rule.protocol}"
    lines = []
    for family, keyword in ((4, "ip"), (6, "ip6")):
        addresses = rule.addresses(family)
        if addresses:
            lines.append(f'{keyword} {side} {_one_or_set(addresses)} {match} accept comment "{comment(rule.name)}"')
    return lines


def render_ruleset(rules: list[Rule], management: list[Rule], restrict_outbound: bool) -> str:
    """The whole owned table as an nft script that replaces any previous version atomically."""
    table = f"{TABLE_FAMILY} {TABLE_NAME}"
    inbound = [line for rule in [*management, *rules] if rule.direction == "in" for line in rule_lines(rule)]
    outbound = [line for rule in rules if rule.direction == "out" for line in rule_lines(rule)] if restrict_outbound else []
    out = [
        "#!/usr/sbin/nft -f",
        "# Managed by the vdi.firewall collection (vdi.firewall.nftables_rules): edits are overwritten.",
        "# Creating the table first lets the delete succeed when it is missing; the three statements",
        "# run as one transaction, so the new table replaces the old one at once or not at all.",
        f"table {table}",
        f"delete table {table}",
        f"table {table} {{",
        "\tchain input {",
        "\t\ttype filter hook input priority filter; policy drop;",
        "\t\tct state established,related accept",
        "\t\tct state invalid drop",
        '\t\tiif "lo" accept',
        f"\t\ticmpv6 type {{ {ND_IN} }} accept",
    ]
    out += [f"\t\t{line}" for line in inbound]
    out.append("\t}")
    out.append("\tchain output {")
    if restrict_outbound:
        out += [
            "\t\ttype filter hook output priority filter; policy drop;",
            "\t\tct state established,related accept",
            "\t\tct state invalid drop",
            '\t\toif "lo" accept',
            f"\t\ticmpv6 type {{ {ND_OUT} }} accept",
        ]
        out += [f"\t\t{line}" for line in outbound]
        # Local programs get an immediate error instead of waiting for a timeout.
        out.append("\t\treject with icmpx admin-prohibited")
    else:
        out.append("\t\ttype filter hook output priority filter; policy accept;")
    out.append("\t}")
    out.append("}")
    return "\n".join(out) + "\n"


def live_digest(listing: str) -> str:
    """Digest of `nft -s list table` output, blank lines and indentation ignored."""
    lines = [line.strip() for line in listing.splitlines() if line.strip()]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def split_persisted(text: str | None) -> tuple[str | None, str | None]:
    """The persisted file's ruleset and the live-table digest recorded at the end (if any)."""
    if text is None:
        return None, None
    match = re.search(r"^" + re.escape(LIVE_MARK) + r"([0-9a-f]{64})\n?\Z", text, flags=re.M)
    if not match:
        return text, None
    return text[: match.start()], match.group(1)


def persisted(ruleset: str, digest: str) -> str:
    """The file to persist: the ruleset, then the digest of the live table it produced."""
    return f"{ruleset}{LIVE_MARK}{digest}\n"
