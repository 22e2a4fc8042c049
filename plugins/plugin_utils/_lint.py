# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Least-privilege lint of planned rules, and the data it needs (pure Python, no Ansible).

Internal to vdi.firewall, not a public interface: it may change in any release.

Three findings, each a warning on the host's plan:
- ``open_to_any`` / ``wide_source``: an inbound rule to an internal component admits every address
  (0.0.0.0/0, ::/0) or a very wide CIDR (more than a /16 of IPv4 or a /48 of IPv6);
- ``plaintext``: a plaintext port is planned between two components while the port catalog documents
  a secure alternative between the same components (each product.yml's ``secure_alternatives``;
  its ``not_secure_alternatives`` record the port pairs that are no such alternative, and why);
- ``dynamic_rpc_range``: a rule opens a whole dynamic RPC range (49152-65535 or 1024-65535).
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import parse_ports
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError

EDGE = "edge"
INTERNAL = "internal"
TIERS = (EDGE, INTERNAL)

# A source wider than this prefix length (fewer bits) is "very wide".
WIDE_PREFIX = {4: 16, 6: 48}

# A port range covering this whole range is a dynamic RPC range opened as a whole
# (the Windows 2008+ range 49152-65535, and a fortiori the legacy 1024-65535).
DYNAMIC_RPC_RANGE = (49152, 65535)


@dataclass(frozen=True)
class SecureAlternative:
    """A plaintext port and the secure port the documents offer for the same connection."""

    protocol: str
    plaintext_port: int
    secure_port: int
    plaintext: str
    secure: str
    between: tuple[tuple[str, str], ...]  # (source, destination) components the documents give both for


def secure_alternatives_index(alternatives) -> dict[tuple[str, str, str], tuple[SecureAlternative, ...]]:
    """(source, destination, protocol) -> the secure alternatives documented between them."""
    index: dict[tuple[str, str, str], list[SecureAlternative]] = {}
    for alternative in alternatives:
        for source, destination in alternative.between:
            index.setdefault((source, destination, alternative.protocol), []).append(alternative)
    return {key: tuple(value) for key, value in index.items()}


def alternatives_between(catalog, source: str, destination: str, protocol: str) -> tuple[SecureAlternative, ...]:
    """The secure alternatives the catalog documents between two components for a protocol."""
    return catalog.alternatives_index.get((source, destination, protocol), ())


def short_name(name: str) -> str:
    """A component's display name without its trailing explanation ("User device (client endpoint, ...)")."""
    head = name.split(",")[0].strip()
    if head.count("(") > head.count(")"):
        head = head[:head.rindex("(")].strip()
    return head


def normalise_tiers(components, tiers) -> dict[str, str]:
    """Validate vdi_firewall_tiers (component -> edge|internal) over the default tiers."""
    if tiers in (None, ""):
        return {}
    if not isinstance(tiers, dict):
        raise VdiFirewallError("vdi_firewall_tiers must be a mapping of component id to 'edge' or 'internal'")
    result = {}
    for component, tier in tiers.items():
        where = f"vdi_firewall_tiers['{component}']"
        if component not in components:
            raise VdiFirewallError(f"{where}: unknown component '{component}'")
        if tier not in TIERS:
            raise VdiFirewallError(f"{where}: {tier!r} is not one of {', '.join(TIERS)}")
        result[str(component)] = tier
    return result


def tier_of(component: str, tiers: dict[str, str] | None = None) -> str:
    """The component's tier in tiers (the catalog's edge components with vdi_firewall_tiers over them:
    Topology.component_tiers), 'internal' when it is not there."""
    return (tiers or {}).get(component, INTERNAL)


def _prefix(cidr: str) -> tuple[int, int]:
    """(IP version, prefix length) of a CIDR string as the planner writes them."""
    address, _sep, length = cidr.partition("/")
    version = 6 if ":" in address else 4
    return version, int(length) if length else (128 if version == 6 else 32)


def _opens_dynamic_rpc(ranges) -> bool:
    return any(item.start <= DYNAMIC_RPC_RANGE[0] and item.end >= DYNAMIC_RPC_RANGE[1] for item in ranges)


def lint_rules(rules: list[dict], host_components, flow_destinations: dict[str, str], flow_ranges,
               component_names: dict[str, str], tiers: dict[str, str] | None = None,
               peer_sources: dict[str, str] | None = None) -> list[dict]:
    """Warnings about wide-open inbound rules on internal components and whole dynamic RPC ranges.

    flow_destinations maps a flow id to its destination component; flow_ranges(flow_id) returns the
    flow's resolved port ranges (PortRange) and the symbolic ports it uses; peer_sources names where
    each peer's addresses come from (for the message).
    """
    warnings = []
    own = set(host_components)
    for rule in rules:
        if rule["direction"] == "in":
            warnings.extend(_wide_open(rule, own, flow_destinations, component_names, tiers, peer_sources))
        wide = [port for port in rule["local_ports"] or rule["remote_ports"] if _opens_dynamic_rpc(parse_ports([port], 'planned rule ports'))]
        if wide:
            warnings.append(_dynamic_rpc(rule, wide, flow_ranges))
    return warnings


def _wide_open(rule, own, flow_destinations, component_names, tiers, peer_sources) -> list[dict]:
    internal = sorted({flow_destinations[flow] for flow in rule["flows"] if flow_destinations.get(flow) in own
                       and tier_of(flow_destinations[flow], tiers) == INTERNAL})
    if not internal:
        return []
    any_cidrs, wide_cidrs = [], []
    for cidr in rule["remote_addresses"]:
        version, length = _prefix(cidr)
        if length == 0:
            any_cidrs.append(cidr)
        elif length < WIDE_PREFIX[version]:
            wide_cidrs.append(cidr)
    if not any_cidrs and not wide_cidrs:
        return []
    targets = ", ".join(short_name(component_names.get(component, component)) for component in internal)
    ports = ",".join(rule["local_ports"]) or "all"
    origin = ", ".join(peer_sources.get(peer, peer) for peer in rule["peers"]) if peer_sources else ", ".join(rule["peers"])
    if any_cidrs:
        code = "open_to_any"
        opened = f"admits any address ({' '.join(any_cidrs)})"
    else:
        code = "wide_source"
        opened = f"admits very wide source CIDRs ({' '.join(wide_cidrs)}, wider than /{WIDE_PREFIX[4]} or /{WIDE_PREFIX[6]})"
    return [{
        "code": code,
        "rule": rule["name"],
        "flows": list(rule["flows"]),
        "message": f"{rule['name']} {opened} on {rule['protocol']} {ports} to the internal tier ({targets}); "
                   f"narrow the source addresses ({origin})",
    }]


def _dynamic_rpc(rule, wide: list[str], flow_ranges) -> dict:
    flows, symbolic = [], set()
    for flow in rule["flows"]:
        ranges, names = flow_ranges(flow)
        if _opens_dynamic_rpc(ranges):
            flows.append(flow)
            symbolic.update(names)
    hint = (f"restrict the range on the servers and set vdi_firewall_symbolic_ports ({', '.join(sorted(symbolic))})"
            if symbolic else "restrict the range on the servers")
    return {
        "code": "dynamic_rpc_range",
        "rule": rule["name"],
        "flows": flows or list(rule["flows"]),
        "message": f"{rule['name']} opens the whole dynamic RPC range ({rule['protocol']} {', '.join(wide)}); {hint}",
    }


def plaintext_warning(finding: dict, rule_name: str) -> dict:
    """The warning for a plaintext port planned while a secure alternative is documented."""
    direction = "from" if finding["direction"] == "in" else "to"
    return {
        "code": "plaintext",
        "rule": rule_name,
        "flows": list(finding["flows"]),
        "message": f"{rule_name} allows {finding['protocol']}/{finding['port']} ({finding['plaintext']}) {direction} "
                   f"{short_name(finding['peer'])} while the document offers {finding['protocol']}/{finding['secure_port']} "
                   f"({finding['secure']}) between the same components; set vdi_firewall_secure_only: true to drop it",
    }


def count_warnings(plans: dict[str, dict]) -> dict[str, int]:
    """Warnings per code over every plan."""
    counts: dict[str, int] = {}
    for plan in plans.values():
        for warning in plan.get("warnings", ()):
            counts[warning["code"]] = counts.get(warning["code"], 0) + 1
    return dict(sorted(counts.items()))
