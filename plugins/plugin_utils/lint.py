# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Least-privilege lint of planned rules, and the data it needs (pure Python, no Ansible).

Three findings, each a warning on the host's plan:
- ``open_to_any`` / ``wide_source``: an inbound rule to an internal component admits every address
  (0.0.0.0/0, ::/0) or a very wide CIDR (more than a /16 of IPv4 or a /48 of IPv6);
- ``plaintext``: a plaintext port is planned between two components while the port catalog documents
  a secure alternative between the same components (``SECURE_ALTERNATIVES``, built from the catalog);
- ``dynamic_rpc_range``: a rule opens a whole dynamic RPC range (49152-65535 or 1024-65535).
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.vdi.firewall.plugins.plugin_utils.errors import VdiFirewallError

EDGE = "edge"
INTERNAL = "internal"
TIERS = (EDGE, INTERNAL)

# Components that face users (or the internet) by design; every other component is internal.
EDGE_COMPONENTS = frozenset((
    "citrix_gateway",                   # Gateway virtual server: users' entry point
    "citrix_storefront",                # StoreFront: users' store
    "ras_halb",                         # RAS HALB: users' entry point in front of the gateways
    "ras_secure_gateway",               # RAS Secure Gateway (normal mode)
    "ras_secure_gateway_forwarding",    # RAS Secure Gateway (forwarding mode)
    "rds_gateway",                      # RD Gateway
    "rds_web_access",                   # RD Web Access
))

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


# Built from the catalog: for each (source, destination) pair of components, the flows whose
# descriptions present one port as the non-secure/HTTP/LDAP variant of another (secure, HTTPS, LDAPS,
# TLS). tests/unit/plugins/plugin_utils/test_lint.py checks every entry against the catalog and that
# every such port pair in the catalog is either listed here or in NOT_SECURE_ALTERNATIVES.
SECURE_ALTERNATIVES: tuple[SecureAlternative, ...] = (
    SecureAlternative("tcp", 80, 443, "HTTP", "HTTPS", (
        ("admin_workstation", "citrix_adc_nsip"),            # citrix_adc_020, citrix_gateway_018: over HTTP or HTTPS
        ("admin_workstation", "citrix_delivery_controller"),  # citrix_cvad_028 (80, 443), citrix_pvs_012 (80)
        ("admin_workstation", "citrix_director"),             # citrix_cvad_027
        ("admin_workstation", "citrix_sdwan_appliance"),      # citrix_sdwan_010 (NITRO)
        ("admin_workstation", "citrix_sdx_lom"),              # citrix_fr_sdx_001: HTTP or HTTPS
        ("admin_workstation", "citrix_sdx_svm"),              # citrix_fr_sdx_002: HTTP or HTTPS
        ("citrix_adc_snip", "citrix_delivery_controller"),    # citrix_gateway_007: STA over 80, 8080 or 443
        ("citrix_adc_snip", "citrix_storefront"),             # citrix_gateway_015
        ("citrix_adm", "citrix_adc_nsip"),                    # citrix_adm_001 (NITRO)
        ("citrix_adm", "citrix_sdwan_appliance"),             # citrix_adm_002 (NITRO)
        ("citrix_adm", "citrix_sdwan_wanop"),                 # citrix_sup_010 (NITRO; supplement of citrix_sdwan_013)
        ("citrix_sdwan_wanop", "citrix_adm"),                 # citrix_sdwan_013 (NITRO, as the document writes it)
        ("citrix_delivery_controller", "citrix_director"),    # citrix_fr_cvad_001
        ("citrix_director", "citrix_delivery_controller"),    # citrix_sup_003 (supplement: Director connects)
        ("citrix_delivery_controller", "citrix_hypervisor"),  # citrix_cvad_001
        ("citrix_pvs_server", "citrix_hypervisor"),           # citrix_fr_pvs_002
        ("citrix_sdx_svm", "citrix_adc_nsip"),                # citrix_fr_sdx_005: HTTP or HTTPS
        ("citrix_session_recording_agent", "citrix_session_recording_server"),  # _001 (443) / _002: HTTP when SSL is off
        ("citrix_session_recording_player", "citrix_session_recording_server"),  # citrix_session_recording_004
        ("citrix_session_recording_policy_console", "citrix_session_recording_server"),  # citrix_session_recording_003
        ("citrix_storefront", "citrix_delivery_controller"),  # citrix_storefront_007 (XML service)
        ("citrix_storefront", "citrix_endpoint_management"),  # citrix_storefront_008
        ("ras_console", "ras_secure_gateway"),                # ras_console_014: port 80 preferred, SSL 443 fallback
        ("ras_console", "ras_secure_gateway_forwarding"),     # ras_console_015
        ("ras_halb", "ras_secure_gateway"),                   # ras_halb_003
        ("ras_halb", "ras_secure_gateway_forwarding"),        # ras_halb_002
        ("ras_secure_gateway_forwarding", "ras_secure_gateway"),  # ras_gateway_001
        ("user_device", "citrix_storefront"),                 # citrix_cvad_017, citrix_storefront_001
        ("user_device", "ras_halb"),                          # ras_client_001, ras_web_002
        ("user_device", "ras_secure_gateway"),                # ras_client_006, ras_web_004
        ("user_device", "ras_secure_gateway_forwarding"),     # ras_client_003
    )),
    SecureAlternative("tcp", 8080, 443, "HTTP (XML service on 8080)", "HTTPS", (
        ("citrix_adc_snip", "citrix_delivery_controller"),    # citrix_gateway_007: STA over 80, 8080 or 443
    )),
    SecureAlternative("tcp", 389, 636, "LDAP", "LDAPS", (
        ("citrix_adc_nsip", "domain_controller"),             # citrix_adc_013, citrix_fr_adc_005 / citrix_fr_adc_002
        ("citrix_adc_snip", "domain_controller"),             # citrix_gateway_004 / citrix_gateway_001
        ("citrix_adm", "domain_controller"),                  # citrix_adm_011 (389, 636)
        ("citrix_hypervisor", "domain_controller"),           # citrix_hypervisor_004 / citrix_hypervisor_005
        ("ras_connection_broker", "domain_controller"),       # ras_broker_001 / ras_broker_002
        ("ras_enrollment_server", "domain_controller"),       # ras_enrollment_001 / ras_enrollment_002
    )),
    SecureAlternative("tcp", 3268, 3269, "LDAP to the Global Catalog", "Global Catalog over SSL", (
        ("citrix_adc_nsip", "domain_controller"),             # citrix_fr_adc_003 / citrix_fr_adc_004
        ("citrix_adc_snip", "domain_controller"),             # citrix_gateway_002 / citrix_gateway_003
        ("ras_connection_broker", "domain_controller"),       # ras_broker_001 / ras_broker_002
        ("ras_enrollment_server", "domain_controller"),       # ras_enrollment_001 / ras_enrollment_002
    )),
    SecureAlternative("tcp", 3010, 3008, "non-secure HA configuration synchronisation",
                      "secure HA configuration synchronisation", (
                          ("citrix_adc_nsip", "citrix_adc_nsip"),  # citrix_adc_005 / citrix_adc_003
                      )),
    SecureAlternative("tcp", 3011, 3009, "non-secure Metric Exchange Protocol", "secure Metric Exchange Protocol", (
        ("citrix_adc_nsip", "citrix_adc_nsip"),               # citrix_adc_006 / citrix_adc_004
    )),
    SecureAlternative("tcp", 1494, 443, "ICA/HDX", "ICA/HDX over TLS", (
        ("citrix_adc_snip", "citrix_vda"),                    # citrix_gateway_008 / citrix_gateway_012 (citrix_vda_tls)
        ("user_device", "citrix_vda"),                        # citrix_cvad_020 / citrix_cvad_022 (citrix_vda_tls)
    )),
    SecureAlternative("tcp", 2598, 443, "ICA/HDX with Session Reliability", "ICA/HDX over TLS", (
        ("citrix_adc_snip", "citrix_vda"),                    # citrix_gateway_010 / citrix_gateway_012
        ("user_device", "citrix_vda"),                        # citrix_cvad_018 / citrix_cvad_022
    )),
    SecureAlternative("udp", 1494, 443, "ICA/HDX over EDT", "ICA/HDX over DTLS", (
        ("citrix_adc_snip", "citrix_vda"),                    # citrix_gateway_009 / citrix_gateway_012 (udp 443)
    )),
    SecureAlternative("udp", 2598, 443, "ICA/HDX with Session Reliability over EDT", "ICA/HDX over DTLS", (
        ("citrix_adc_snip", "citrix_vda"),                    # citrix_gateway_011 / citrix_gateway_012 (udp 443)
    )),
)

# Port pairs documented between the same components that are NOT a plaintext port and its secure
# alternative, and why: (protocol, plaintext, secure, source, destination) -> reason.
NOT_SECURE_ALTERNATIVES: dict[tuple[str, int, int, str, str], str] = {
    ("tcp", 80, 443, "citrix_cloud_connector", "certificate_authority"):
        "certificate revocation checks (CRL/OCSP) are served over HTTP only; their answers are signed",
    ("tcp", 80, 443, "lets_encrypt", "ras_halb"): "Let's Encrypt HTTP-01 challenges need TCP 80",
    ("tcp", 80, 443, "lets_encrypt", "ras_secure_gateway"): "Let's Encrypt HTTP-01 challenges need TCP 80",
    ("tcp", 80, 443, "ras_connection_broker", "lets_encrypt"):
        "the ACME client's port 80 (Japanese edition) is Let's Encrypt's own service, not a choice of scheme",
    ("tcp", 80, 443, "ras_avd_session_host", "microsoft_azure"):
        "the Azure instance metadata and health endpoints are only offered over HTTP",
    ("tcp", 80, 443, "ras_console", "microsoft_website"): "a vendor's public website chooses its scheme, not the deployment",
    ("tcp", 80, 443, "user_device", "ras_parallels_website"): "a vendor's public website chooses its scheme, not the deployment",
    ("tcp", 389, 636, "rds_session_host", "domain_controller"):
        "generic Active Directory traffic of a domain member (Group Policy needs LDAP 389, signed and sealed)",
    ("tcp", 389, 636, "rds_virtualization_host", "domain_controller"):
        "generic Active Directory traffic of a domain member (Group Policy needs LDAP 389, signed and sealed)",
    ("tcp", 8008, 443, "user_device", "citrix_vda"):
        "the document lists HTML5 WebSockets (8008) as an access path of its own, not as the non-TLS variant of 443",
    ("tcp", 8008, 443, "citrix_adc_snip", "citrix_vda"):
        "the document lists HTML5 WebSockets (8008) as an access path of its own, not as the non-TLS variant of 443",
    ("tcp", 389, 636, "domain_member", "domain_controller"):
        "generic Active Directory traffic of a domain member (Group Policy needs LDAP 389, signed and sealed)",
    ("tcp", 3268, 3269, "domain_member", "domain_controller"):
        "generic Active Directory traffic of a domain member: applications choose the Global Catalog port",
    ("tcp", 3389, 443, "user_device", "ras_secure_gateway"): "RDP carries its own TLS; 443 is the gateway's tunnel",
    ("tcp", 3389, 443, "user_device", "ras_secure_gateway_forwarding"): "RDP carries its own TLS; 443 is the gateway's tunnel",
    ("tcp", 3389, 443, "ras_secure_gateway_forwarding", "ras_secure_gateway"):
        "RDP carries its own TLS; 443 is the gateway's tunnel",
}


def secure_alternatives_index() -> dict[tuple[str, str, str], tuple[SecureAlternative, ...]]:
    """(source, destination, protocol) -> the secure alternatives documented between them."""
    index: dict[tuple[str, str, str], list[SecureAlternative]] = {}
    for alternative in SECURE_ALTERNATIVES:
        for source, destination in alternative.between:
            index.setdefault((source, destination, alternative.protocol), []).append(alternative)
    return {key: tuple(value) for key, value in index.items()}


_ALTERNATIVES_INDEX = secure_alternatives_index()


def alternatives_between(source: str, destination: str, protocol: str) -> tuple[SecureAlternative, ...]:
    """The secure alternatives documented between two components for a protocol."""
    return _ALTERNATIVES_INDEX.get((source, destination, protocol), ())


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


def tier_of(component: str, overrides: dict[str, str] | None = None) -> str:
    """'edge' for user-facing components, else 'internal' (vdi_firewall_tiers overrides)."""
    if overrides and component in overrides:
        return overrides[component]
    return EDGE if component in EDGE_COMPONENTS else INTERNAL


def covers(ranges, port: int) -> bool:
    """Whether any (start, end) range contains the port."""
    return any(start <= port <= end for start, end in ranges)


def without_port(ranges, port: int) -> list[tuple[int, int]]:
    """The (start, end) ranges with one port taken out (a range around it is split)."""
    result = []
    for start, end in ranges:
        if not start <= port <= end:
            result.append((start, end))
            continue
        if start < port:
            result.append((start, port - 1))
        if port < end:
            result.append((port + 1, end))
    return result


def _parse_ports(ports) -> list[tuple[int, int]]:
    ranges = []
    for text in ports:
        start, _sep, end = str(text).partition("-")
        ranges.append((int(start), int(end or start)))
    return ranges


def _prefix(cidr: str) -> tuple[int, int]:
    """(IP version, prefix length) of a CIDR string as the planner writes them."""
    address, _sep, length = cidr.partition("/")
    version = 6 if ":" in address else 4
    return version, int(length) if length else (128 if version == 6 else 32)


def _opens_dynamic_rpc(ranges) -> bool:
    return any(start <= DYNAMIC_RPC_RANGE[0] and end >= DYNAMIC_RPC_RANGE[1] for start, end in ranges)


def lint_rules(rules: list[dict], host_components, flow_destinations: dict[str, str], flow_ranges,
               component_names: dict[str, str], tiers: dict[str, str] | None = None,
               peer_sources: dict[str, str] | None = None) -> list[dict]:
    """Warnings about wide-open inbound rules on internal components and whole dynamic RPC ranges.

    flow_destinations maps a flow id to its destination component; flow_ranges(flow_id) returns the
    flow's resolved (start, end) port ranges and the symbolic ports it uses; peer_sources names where
    each peer's addresses come from (for the message).
    """
    warnings = []
    own = set(host_components)
    for rule in rules:
        if rule["direction"] == "in":
            warnings.extend(_wide_open(rule, own, flow_destinations, component_names, tiers, peer_sources))
        wide = [port for port in rule["local_ports"] or rule["remote_ports"] if _opens_dynamic_rpc(_parse_ports([port]))]
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
