# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Least-privilege lint: the secure-alternative data against the catalog, tiers, and each warning."""

from __future__ import annotations

import re

import pytest

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import PortRange, ports_cover, ports_without
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._lint import (
    alternatives_between,
    lint_rules,
    normalise_tiers,
    short_name,
    tier_of,
)

# Port pairs that look like "plaintext / secure" wherever they meet between the same components.
CANDIDATE_PAIRS = (
    ("tcp", 80, 443), ("tcp", 8080, 443), ("tcp", 389, 636), ("tcp", 3268, 3269), ("tcp", 3010, 3008),
    ("tcp", 3011, 3009), ("tcp", 1494, 443), ("tcp", 2598, 443), ("udp", 1494, 443), ("udp", 2598, 443),
    ("tcp", 8008, 443), ("tcp", 3389, 443),
)
# Descriptions that call a port plaintext: their flows must be the plaintext side of a listed pair.
PLAINTEXT_WORDING = re.compile(r"non-secure|plaintext|over HTTP when|\bHTTP or HTTPS\b", re.IGNORECASE)


@pytest.fixture(scope="module", name="catalog")
def fixture_catalog():
    return load_catalog()


SECURE_ALTERNATIVES = load_catalog().secure_alternatives
NOT_SECURE_ALTERNATIVES = load_catalog().not_secure_alternatives
EDGE_COMPONENTS = frozenset(component for component, tier in load_catalog().tiers.items() if tier == "edge")


def documented_ports(catalog) -> dict[tuple[str, str, str], dict[int, set[str]]]:
    """(source, destination, protocol) -> port -> flow ids, for small ranges of the real catalog."""
    result: dict[tuple[str, str, str], dict[int, set[str]]] = {}
    for flow in catalog.flows:
        if flow.is_loopback:
            continue
        for protocol in flow.protocols:
            for port_range in catalog.resolve_ports(flow):
                if port_range.end - port_range.start > 100:
                    continue
                for port in range(port_range.start, port_range.end + 1):
                    result.setdefault((flow.source, flow.destination, protocol), {}).setdefault(port, set()).add(flow.id)
    return result


def test_every_secure_alternative_is_documented_between_its_components(catalog):
    ports = documented_ports(catalog)
    for alternative in SECURE_ALTERNATIVES:
        assert alternative.between, alternative
        for source, destination in alternative.between:
            assert source in catalog.components and destination in catalog.components, (source, destination)
            documented = ports.get((source, destination, alternative.protocol), {})
            assert alternative.plaintext_port in documented, (alternative.plaintext, source, destination)
            assert alternative.secure_port in documented, (alternative.secure, source, destination)


def test_every_candidate_pair_in_the_catalog_is_decided(catalog):
    listed = {(alternative.protocol, alternative.plaintext_port, alternative.secure_port, source, destination)
              for alternative in SECURE_ALTERNATIVES for source, destination in alternative.between}
    undecided = []
    for (source, destination, protocol), documented in documented_ports(catalog).items():
        for pair_protocol, plaintext, secure in CANDIDATE_PAIRS:
            key = (protocol, plaintext, secure, source, destination)
            if pair_protocol == protocol and plaintext in documented and secure in documented:
                if key not in listed and key not in NOT_SECURE_ALTERNATIVES:
                    undecided.append(key)
    assert not undecided, f"add these to a product.yml's secure_alternatives or not_secure_alternatives: {undecided}"


def test_decisions_do_not_overlap_and_exclusions_exist_in_the_catalog(catalog):
    ports = documented_ports(catalog)
    listed = {(alternative.protocol, alternative.plaintext_port, alternative.secure_port, source, destination)
              for alternative in SECURE_ALTERNATIVES for source, destination in alternative.between}
    assert not listed & set(NOT_SECURE_ALTERNATIVES)
    for (protocol, plaintext, secure, source, destination), reason in NOT_SECURE_ALTERNATIVES.items():
        assert reason
        documented = ports.get((source, destination, protocol), {})
        assert plaintext in documented and secure in documented, (source, destination, plaintext)


def test_flows_the_documents_call_plaintext_are_paired(catalog):
    pairs = {(alternative.protocol, alternative.plaintext_port, source, destination)
             for alternative in SECURE_ALTERNATIVES for source, destination in alternative.between}
    excluded = {(protocol, plaintext, source, destination)
                for protocol, plaintext, _secure, source, destination in NOT_SECURE_ALTERNATIVES}
    checked = 0
    for flow in catalog.flows:
        if not PLAINTEXT_WORDING.search(flow.description):
            continue
        plain_ports = [port for port in (80, 389, 3010, 3011) if any(r.start <= port <= r.end for r in catalog.resolve_ports(flow))]
        for port in plain_ports:
            key = ("tcp", port, flow.source, flow.destination)
            assert key in pairs or key in excluded, f"{flow.id}: {flow.description}"
            checked += 1
    assert checked >= 5


def test_the_usual_pairs_are_listed(catalog):
    wanted = {("tcp", 80, 443), ("tcp", 389, 636), ("tcp", 3010, 3008), ("tcp", 3011, 3009), ("tcp", 1494, 443)}
    assert wanted <= {(item.protocol, item.plaintext_port, item.secure_port) for item in SECURE_ALTERNATIVES}
    between = [item.secure for item in alternatives_between(catalog, "citrix_storefront", "citrix_delivery_controller", "tcp")]
    assert between == ["HTTPS"]
    assert alternatives_between(catalog, "citrix_storefront", "citrix_delivery_controller", "udp") == ()
    assert alternatives_between(catalog, "lets_encrypt", "ras_halb", "tcp") == ()


def test_each_product_keeps_the_pairs_of_its_own_components(catalog):
    for alternative in SECURE_ALTERNATIVES:
        for pair in alternative.between:
            owners = {catalog.components[component]["product"] for component in pair} - set(catalog.shared)
            assert len(owners) <= 1, pair


def test_tiers_default_and_override(catalog):
    tiers = catalog.tiers
    assert tier_of("citrix_gateway", tiers) == "edge" and tier_of("citrix_storefront", tiers) == "edge"
    for internal in ("citrix_vda", "citrix_delivery_controller", "sql_server", "ras_connection_broker", "rds_connection_broker"):
        assert tier_of(internal, tiers) == "internal"
    assert all(component in catalog.components for component in EDGE_COMPONENTS)
    overrides = {**tiers, **normalise_tiers(catalog.components, {"citrix_storefront": "internal", "citrix_vda": "edge"})}
    assert tier_of("citrix_storefront", overrides) == "internal" and tier_of("citrix_vda", overrides) == "edge"
    assert normalise_tiers(catalog.components, None) == {}


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        (["citrix_vda"], r"vdi_firewall_tiers must be a mapping"),
        ({"citrix_vdaa": "edge"}, r"vdi_firewall_tiers\['citrix_vdaa'\]: unknown component 'citrix_vdaa'"),
        ({"citrix_vda": "dmz"}, r"vdi_firewall_tiers\['citrix_vda'\]: 'dmz' is not one of edge, internal"),
    ],
)
def test_bad_tiers_name_the_entry(catalog, tiers, message):
    with pytest.raises(VdiFirewallError, match=message):
        normalise_tiers(catalog.components, tiers)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("User device (client endpoint, web browser)", "User device"),
        ("Citrix ADC subnet IP (SNIP), source of traffic to back-end servers", "Citrix ADC subnet IP (SNIP)"),
        ("Citrix Virtual Delivery Agent (VDA)", "Citrix Virtual Delivery Agent (VDA)"),
        ("DNS server", "DNS server"),
    ],
)
def test_short_name(name, expected):
    assert short_name(name) == expected


@pytest.mark.parametrize(
    ("ranges", "port", "expected"),
    [
        ([(80, 80), (443, 443)], 80, [(443, 443)]),
        ([(79, 81)], 80, [(79, 79), (81, 81)]),
        ([(80, 90)], 80, [(81, 90)]),
        ([(70, 80)], 80, [(70, 79)]),
        ([(443, 443)], 80, [(443, 443)]),
        ([(80, 80)], 80, []),
    ],
)
def test_without_port(ranges, port, expected):
    port_ranges = tuple(PortRange(start, end) for start, end in ranges)
    assert ports_without(port_ranges, port) == tuple(PortRange(start, end) for start, end in expected)
    assert ports_cover(port_ranges, port) == (ranges != expected)


def rule(name="vdi-in-tcp-user_device", direction="in", protocol="tcp", ports=("1494",), remote=("10.1.0.0/24",),
         flows=("f_ica",), peers=("user_device",)):
    return {"name": name, "direction": direction, "protocol": protocol,
            "local_ports": list(ports) if direction == "in" else [], "remote_ports": list(ports) if direction == "out" else [],
            "remote_addresses": list(remote), "flows": list(flows), "peers": list(peers), "description": ""}


DESTINATIONS = {"f_ica": "citrix_vda", "f_sf": "citrix_storefront", "f_rpc": "citrix_delivery_controller",
                "f_dc": "domain_controller"}
NAMES = {"citrix_vda": "Citrix Virtual Delivery Agent (VDA)", "citrix_storefront": "Citrix StoreFront",
         "citrix_delivery_controller": "Citrix Delivery Controller"}


def flow_ranges(flow_id):
    return {"f_rpc": ((PortRange(135, 135), PortRange(49152, 65535)), ("dynamic_rpc",)),
            "f_dc": ((PortRange(1024, 65535),), ("legacy_dynamic_rpc",))}.get(flow_id, ((PortRange(1494, 1494),), ()))


def lint(rules, components=("citrix_vda",), tiers=None):
    return lint_rules(rules, components, DESTINATIONS, flow_ranges, NAMES, tiers,
                      {"user_device": "vdi_firewall_endpoints['user_device']"})


@pytest.mark.parametrize(
    ("remote", "code"),
    [
        (("0.0.0.0/0", "::/0"), "open_to_any"),
        (("0.0.0.0/0",), "open_to_any"),
        (("::/0",), "open_to_any"),
        (("10.0.0.0/8",), "wide_source"),
        (("10.0.0.0/15",), "wide_source"),
        (("2001:db8::/32",), "wide_source"),
        (("10.0.0.0/16",), None),
        (("198.51.100.0/24", "2001:db8:100::/48"), None),
        (("192.0.2.10/32",), None),
    ],
)
def test_inbound_rules_open_wide_to_internal_components_warn(remote, code):
    warnings = lint([rule(remote=remote)])
    assert [warning["code"] for warning in warnings] == ([code] if code else [])
    if code:
        message = warnings[0]["message"]
        assert "vdi-in-tcp-user_device" in message and "Citrix Virtual Delivery Agent (VDA)" in message
        assert "vdi_firewall_endpoints['user_device']" in message and warnings[0]["flows"] == ["f_ica"]


def test_edge_components_and_outbound_rules_may_be_open():
    assert lint([rule(flows=("f_sf",), ports=("443",))], components=("citrix_storefront",)) == []
    assert lint([rule(direction="out", remote=("0.0.0.0/0",))]) == []
    # a StoreFront made internal by vdi_firewall_tiers warns
    warned = lint([rule(flows=("f_sf",), ports=("443",), remote=("0.0.0.0/0",))], components=("citrix_storefront",),
                  tiers={"citrix_storefront": "internal"})
    assert [warning["code"] for warning in warned] == ["open_to_any"]
    # the flow's destination must be one of the host's components
    assert lint([rule(remote=("0.0.0.0/0",))], components=("citrix_storefront",)) == []


@pytest.mark.parametrize(
    ("ports", "flows", "expected"),
    [
        (("135", "49152-65535"), ("f_rpc",), "dynamic_rpc"),
        (("1024-65535",), ("f_dc",), "legacy_dynamic_rpc"),
        (("135", "50000-50100"), ("f_rpc",), None),
        (("49152-65000",), ("f_rpc",), None),
    ],
)
def test_whole_dynamic_rpc_ranges_warn(ports, flows, expected):
    warnings = lint([rule(name="vdi-out-tcp-dc", direction="out", ports=ports, flows=flows, remote=("192.0.2.10/32",))])
    assert [warning["code"] for warning in warnings] == (["dynamic_rpc_range"] if expected else [])
    if expected:
        assert expected in warnings[0]["message"] and "vdi_firewall_symbolic_ports" in warnings[0]["message"]
