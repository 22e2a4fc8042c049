# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn a host's planned rules into community.windows.win_firewall_rule parameters (pure Python).

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

import re

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import parse_cidr, parse_port_range
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError, kind_of

# win_firewall_rule passes `protocol` to INetFwRule.Protocol through ConvertTo-ProtocolType, which
# knows tcp, udp, icmpv4*, icmpv6* and IANA protocol numbers; "icmp" alone is an error there.
WINDOWS_PROTOCOLS = {
    "tcp": "tcp",
    "udp": "udp",
    "icmp": "icmpv4",
    "icmpv6": "icmpv6",
    "vrrp": "112",
    "gre": "47",
    "esp": "50",
}
PORT_PROTOCOLS = frozenset(("tcp", "udp"))
ICMP_PROTOCOLS = frozenset(("icmp", "icmpv6"))
PROFILES = ("domain", "private", "public")
DEFAULT_ICMP_TYPE_CODES = {"icmp": ["8:*"], "icmpv6": ["128:*"]}
MANAGEMENT_RULE_NAME = "vdi-in-tcp-management-winrm"
DESCRIPTION_LIMIT = 1000

# Windows Firewall rejects a /0 prefix ("The address is invalid"): all addresses are a range.
_WHOLE_FAMILY = {
    "0.0.0.0/0": "0.0.0.0-255.255.255.255",
    "::/0": "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
}
_ICMP_TYPE_CODE = re.compile(r"^(\*|\d{1,3}:(\*|\d{1,3}))$")


def windows_remote_ip(addresses, where: str) -> str:
    """Planned remote addresses (CIDRs) as win_firewall_rule's comma-separated remoteip."""
    if isinstance(addresses, str) or not isinstance(addresses, (list, tuple)) or not addresses:
        raise VdiFirewallError(f"{where}: remote_addresses must be a non-empty list of CIDRs, got {addresses!r}")
    items = []
    for address in addresses:
        items.append(parse_cidr(address, f"{where}: remote address"))
    if set(items) == set(_WHOLE_FAMILY):
        return "any"
    return ",".join(_WHOLE_FAMILY.get(item, item) for item in items)


def _ports(ports, where: str) -> str:
    """Planned ports ("80", "440-444") as win_firewall_rule's comma-separated port string."""
    if isinstance(ports, str) or not isinstance(ports, (list, tuple)):
        raise VdiFirewallError(f"{where}: ports must be a list, got {ports!r}")
    return ",".join(str(parse_port_range(port, where)) for port in ports)


def _icmp_type_codes(icmp_type_codes, protocol: str) -> list[str] | None:
    """The ICMP type:code list for a protocol; None means every type."""
    codes = (icmp_type_codes or {}).get(protocol)
    if codes in (None, "", []) or codes == ["*"] or codes == "*":
        return None
    return list(codes)


def validate_icmp_type_codes(icmp_type_codes) -> dict:
    """Check vdi_firewall_windows_icmp_type_codes: {icmp|icmpv6: ['type:code' | 'type:*' | '*']}."""
    if icmp_type_codes in (None, ""):
        return dict(DEFAULT_ICMP_TYPE_CODES)
    if not isinstance(icmp_type_codes, dict):
        raise VdiFirewallError("vdi_firewall_windows_icmp_type_codes must be a mapping of icmp/icmpv6 to a list of 'type:code'")
    for protocol, codes in icmp_type_codes.items():
        where = f"vdi_firewall_windows_icmp_type_codes['{protocol}']"
        if protocol not in ICMP_PROTOCOLS:
            raise VdiFirewallError(f"{where}: only icmp and icmpv6 have type codes")
        if codes in (None, "*"):
            continue
        if isinstance(codes, str) or not isinstance(codes, (list, tuple)):
            raise VdiFirewallError(f"{where}: expected a list of 'type:code', got {codes!r}")
        for code in codes:
            if not _ICMP_TYPE_CODE.match(str(code)):
                raise VdiFirewallError(f"{where}: {code!r} is not 'type:code', 'type:*' or '*'")
    return dict(icmp_type_codes)


def validate_profiles(profiles) -> list[str]:
    """Check vdi_firewall_windows_profiles: a non-empty list of domain, private, public."""
    if isinstance(profiles, str) or not isinstance(profiles, (list, tuple)) or not profiles:
        raise VdiFirewallError(f"vdi_firewall_windows_profiles must be a non-empty list of {', '.join(PROFILES)}, got {profiles!r}")
    for profile in profiles:
        if profile not in PROFILES:
            raise VdiFirewallError(f"vdi_firewall_windows_profiles: {profile!r} is not one of {', '.join(PROFILES)}")
    return list(profiles)


def _description(rule: dict) -> str:
    """The rule's description with the flow ids it serves, bounded for rules that serve many flows."""
    base = rule.get("description") or rule["name"]
    flows = [str(flow) for flow in rule.get("flows") or ()]
    text = f"{base} (vdi.firewall; flows: {', '.join(flows)})"
    if len(text) <= DESCRIPTION_LIMIT:
        return text
    shown: list[str] = []
    for flow in flows:
        if len(f"{base} (vdi.firewall; flows: {', '.join([*shown, flow])}, +{len(flows)} more)") > DESCRIPTION_LIMIT:
            break
        shown.append(flow)
    return f"{base} (vdi.firewall; flows: {', '.join(shown)}, +{len(flows) - len(shown)} more)"


def rule_params(rule: dict, group: str, profiles: list[str], icmp_type_codes: dict, host: str = "") -> dict:
    """One planned rule as the parameters of one win_firewall_rule task."""
    if not isinstance(rule, dict):
        raise VdiFirewallError(f"host '{host}': a planned rule must be a mapping, got {rule!r}")
    name = rule.get("name")
    if not name or not isinstance(name, str):
        raise VdiFirewallError(f"host '{host}': a planned rule has no name: {rule!r}")
    where = f"host '{host}': rule '{name}'"
    direction = rule.get("direction")
    if direction not in ("in", "out"):
        raise VdiFirewallError(f"{where}: direction must be in or out, got {direction!r}")
    protocol = rule.get("protocol")
    if protocol not in WINDOWS_PROTOCOLS:
        raise VdiFirewallError(f"{where}: protocol {protocol!r} is not one of {', '.join(WINDOWS_PROTOCOLS)}")
    params = {
        "name": name,
        "group": group,
        "description": _description(rule),
        "direction": direction,
        "action": "allow",
        "enabled": True,
        "profiles": list(profiles),
        "protocol": WINDOWS_PROTOCOLS[protocol],
        "localip": "any",
        "remoteip": windows_remote_ip(rule.get("remote_addresses"), where),
        "state": "present",
    }
    if protocol in PORT_PROTOCOLS:
        local_ports = _ports(rule.get("local_ports") or [], f"{where}: local_ports")
        remote_ports = _ports(rule.get("remote_ports") or [], f"{where}: remote_ports")
        planned = local_ports if direction == "in" else remote_ports
        if not planned:
            raise VdiFirewallError(f"{where}: a {protocol} rule without ports would open every port; the plan gives none")
        params["localport"] = local_ports or "any"
        params["remoteport"] = remote_ports or "any"
    elif rule.get("local_ports") or rule.get("remote_ports"):
        raise VdiFirewallError(f"{where}: {protocol} has no ports, but the rule lists some")
    if protocol in ICMP_PROTOCOLS:
        codes = _icmp_type_codes(icmp_type_codes, protocol)
        if codes is not None:
            params["icmp_type_code"] = codes
    return params


def management_params(cidrs, ports, group: str, profiles: list[str], host: str = "") -> dict | None:
    """The WinRM rule from the controller's CIDRs, or None when no CIDRs are given."""
    if cidrs in (None, "", []):
        return None
    if isinstance(cidrs, str) or not isinstance(cidrs, (list, tuple)):
        raise VdiFirewallError(f"host '{host}': vdi_firewall_management_cidrs must be a list of CIDRs, got {cidrs!r}")
    where = f"host '{host}': vdi_firewall_management_cidrs"
    if isinstance(ports, (str, int)) or not isinstance(ports, (list, tuple)) or not ports:
        raise VdiFirewallError(f"host '{host}': vdi_firewall_windows_management_ports must be a non-empty list, got {ports!r}")
    return {
        "name": MANAGEMENT_RULE_NAME,
        "group": group,
        "description": "WinRM from the Ansible controller (vdi_firewall_management_cidrs); kept open by vdi.firewall",
        "direction": "in",
        "action": "allow",
        "enabled": True,
        "profiles": list(profiles),
        "protocol": "tcp",
        "localip": "any",
        "remoteip": windows_remote_ip(list(cidrs), where),
        "localport": _ports([str(port) for port in ports], f"host '{host}': vdi_firewall_windows_management_ports"),
        "remoteport": "any",
        "state": "present",
    }


def win_firewall_params(rules, group: str = "vdi.firewall", profiles=("domain", "private"), icmp_type_codes=None,
                        management_cidrs=None, management_ports=(5985, 5986), host: str = "") -> list[dict]:
    """Every win_firewall_rule parameter set for a host: the WinRM rule first, then one per planned rule."""
    if not isinstance(group, str) or not group.strip():
        raise VdiFirewallError(f"host '{host}': vdi_firewall_windows_group must be a non-empty string, got {group!r}")
    if isinstance(rules, (str, dict)) or not isinstance(rules, (list, tuple)):
        raise VdiFirewallError(f"host '{host}': vdi_firewall_rules must be a list of planned rules, got {kind_of(rules)}")
    profile_list = validate_profiles(list(profiles) if isinstance(profiles, tuple) else profiles)
    codes = validate_icmp_type_codes(icmp_type_codes)
    params = []
    management = management_params(management_cidrs, list(management_ports) if isinstance(management_ports, tuple) else management_ports,
                                   group, profile_list, host)
    if management:
        params.append(management)
    names = {item["name"] for item in params}
    for rule in rules:
        item = rule_params(rule, group, profile_list, codes, host)
        if item["name"] in names:
            raise VdiFirewallError(f"host '{host}': rule name '{item['name']}' is used twice; Windows rules are owned by name")
        names.add(item["name"])
        params.append(item)
    return params
