# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to vdi.firewall (use plugin_utils._acl's exports): what the platform renderers share.

Rules become ACEs: one per source and destination operand and port pair. A platform with address
groups (IOS object-group network, Junos prefix-list) names a rule's address set of more than one CIDR
once per device and refers to it; the others list the CIDRs. Each rule's first ACE carries remarks
naming its flows and their documents.
"""

from __future__ import annotations

import ipaddress
import re
import textwrap

from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.model import MANAGEMENT_FLOW, Ace, Rule

REMARK_LENGTH = 100
REMARK_LINES = 4
SEQUENCE_STEP = 10
_FILE = re.compile(r" \([^()]*\.(?:txt|md|html?|pdf|json|ya?ml)\)")
_LABEL = re.compile(r"[^A-Za-z0-9]+")
_GROUP_NAME_LENGTH = 48
FIXED_REMARKS = {
    "icmp": "ICMP unreachable: path MTU discovery (fragmentation needed) and refused connections",
    "icmpv6": "ICMPv6 neighbour discovery (NS, NA, RS, RA) and packet-too-big (path MTU discovery)",
    "deny": "explicit deny: everything not permitted above",
}


class AddressGroups:
    """A device's named address sets: content -> name, named after the components they hold."""

    def __init__(self, prefix: str = "VDI-"):
        self.prefix = prefix
        self.by_content: dict[tuple[str, ...], str] = {}
        self.names: dict[str, tuple[str, ...]] = {}

    def name(self, cidrs: tuple[str, ...], labels) -> str:
        if cidrs in self.by_content:
            return self.by_content[cidrs]
        label = _LABEL.sub("-", "-".join(sorted(labels)) or "hosts").strip("-").upper()[:_GROUP_NAME_LENGTH].rstrip("-")
        name, number = f"{self.prefix}{label}", 1
        while name in self.names:
            number += 1
            name = f"{self.prefix}{label}-{number}"
        self.by_content[cidrs] = name
        self.names[name] = cidrs
        return name

    def items(self):
        return sorted(self.names.items())


def _operands(cidrs: tuple[str, ...], labels, groups: AddressGroups | None) -> list[str]:
    if groups is not None and len(cidrs) > 1:
        return [groups.name(cidrs, labels)]
    return list(cidrs)


def remark_texts(rule: Rule, references: dict) -> list[str]:
    """The remark lines of a rule (each at most REMARK_LENGTH characters): its flows and their documents."""
    if rule.kind in FIXED_REMARKS:
        return [FIXED_REMARKS[rule.kind]]
    flows = sorted(rule.flows)
    prefix = "return of " if rule.kind == "return" else ""
    lines = textwrap.wrap(f"{prefix}flows: {', '.join(flows)}", REMARK_LENGTH)
    documents = []
    for flow in flows:
        for reference in references.get(flow, ()):
            title = _FILE.sub("", reference)
            if flow != MANAGEMENT_FLOW and title not in documents:
                documents.append(title)
    if flow_text := ("; ".join(documents)):
        lines += textwrap.wrap(f"docs: {flow_text}", REMARK_LENGTH)
    if MANAGEMENT_FLOW in flows:
        lines.append("controller management access (vdi_firewall_management_cidrs)")
    if len(lines) > REMARK_LINES:
        lines = lines[:REMARK_LINES - 1] + [f"... {len(lines) - REMARK_LINES + 1} more line(s): see the change-request CSV"]
    return lines


def expand(rule: Rule, groups: AddressGroups | None, one_type: bool = True) -> list[Ace]:
    """The ACEs of one rule: source and destination operands times port pairs (times ICMP types where
    the platform says one type per entry)."""
    sources = _operands(rule.sources, rule.source_labels, groups)
    destinations = _operands(rule.destinations, rule.destination_labels, groups)
    types = [(name,) for name in rule.icmp_types] if one_type and rule.icmp_types else [rule.icmp_types]
    return [Ace(rule, source, destination, source_ports, destination_ports, icmp_types)
            for icmp_types in types
            for destination in destinations
            for destination_ports in (rule.destination_ports or (None,))
            for source in sources
            for source_ports in (rule.source_ports or (None,))]


def is_cidr(operand: str) -> bool:
    return "/" in operand


def network(operand: str):
    return ipaddress.ip_network(operand)


def ports_text(ports) -> str:
    return f"{ports.start}-{ports.end}" if ports.start != ports.end else str(ports.start)


def _port_words(ports) -> str:
    return f" eq {ports.start}" if ports.start == ports.end else f" range {ports.start} {ports.end}"


def ace_words(ace: Ace, protocol_name: str, address_text, icmp_types: dict, log_deny: bool) -> str:
    """The words of an ACE as the Cisco-style platforms write it (IOS, NX-OS, EOS): grant, protocol,
    source [ports], destination [ports], ICMP types, established, log; each platform names the
    protocol, writes the addresses and the ICMP types its own way (address_text, icmp_types)."""
    words = [ace.grant, protocol_name, address_text(ace.source)]
    if ace.source_ports:
        words[-1] += _port_words(ace.source_ports)
    words.append(address_text(ace.destination))
    if ace.destination_ports:
        words[-1] += _port_words(ace.destination_ports)
    words += [icmp_types[name] for name in ace.icmp_types]
    if ace.rule.established:
        words.append("established")
    if ace.rule.kind == "deny" and log_deny:
        words.append("log")
    return " ".join(words)


def number(aces: list[Ace], remarks: str, references: dict) -> list:
    """Sequence numbers for the ACEs (by 10) and the remarks before each rule's first ACE.

    remarks 'attached': on the ACE (IOS); 'entries': remark entries with their own sequence (NX-OS, EOS);
    'comments': on the ACE, numbered alike, for text comments (Junos).
    Returns the ACEs and remark entries in order: Ace, or (sequence, text) for a remark entry.
    """
    result: list = []
    sequence = 0
    previous = None
    for ace in aces:
        texts = remark_texts(ace.rule, references) if ace.rule is not previous else []
        previous = ace.rule
        if remarks == "entries":
            for text in texts:
                sequence += SEQUENCE_STEP
                result.append((sequence, text))
        else:
            ace.remarks = tuple(texts)
        sequence += SEQUENCE_STEP
        ace.sequence = sequence
        result.append(ace)
    return result
