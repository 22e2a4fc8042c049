# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Combined feature expressions: {all: [...]}, {any: [...]}, {not: ...}, nested, wherever features are evaluated."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import build_catalog, load_catalog
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._features import (
    feature_names,
    feature_on,
    feature_text,
    gated_off,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import HostInput, build_topology, plan_hosts
from tests.catalog_dirs import write_product

FEATURES = {"a": {"default": True}, "b": {"default": False}, "c": {"default": False}}
EXPRESSION = {"all": ["a", {"not": {"any": ["b", "c"]}}]}


def test_an_expression_is_evaluated_over_the_defaults_and_the_host_s_values():
    assert feature_on(EXPRESSION, None, FEATURES) is True
    assert feature_on(EXPRESSION, {"c": True}, FEATURES) is False
    assert feature_on(EXPRESSION, {"a": False}, FEATURES) is False
    assert feature_on({"any": ["b", "c"]}, {"b": True}, FEATURES) is True
    assert feature_on(None, None, FEATURES) is True


def test_names_and_text():
    assert feature_names(EXPRESSION) == ("a", "b", "c")
    assert feature_names(EXPRESSION, positive_only=True) == ("a",)
    assert feature_text(EXPRESSION) == "a and (not (b or c))"
    assert feature_text({"not": "a"}) == "not a" and feature_text("a") == "a" and feature_text(None) == ""


@pytest.mark.parametrize("expression", [{"some": ["a"]}, {"all": []}, {"all": "a"}, {"all": ["a"], "any": ["b"]}, 3])
def test_what_is_no_expression_is_refused(expression):
    with pytest.raises(ValueError):
        feature_names(expression)


INFRASTRUCTURE = {"product": "infrastructure", "shared": True, "components": {"user_device": {"name": "User device"}}}
PRODUCT = {
    "product": "demo",
    "documents": {"d.txt": {"title": "Ports", "language": "en"}},
    "group_map": {"desk": ["demo_desk"]},
    "components": {"demo_desk": {"name": "Desk"}},
    "features": {"demo_udp": {"description": "UDP", "default": True},
                 "demo_tunnel": {"description": "Tunnel", "default": False}},
    "flows": [{"id": "demo_001", "from": "user_device", "to": "demo_desk", "protocols": ["udp"], "ports": [4172],
               "description": "Display", "section": "Desk", "references": [{"document": "d.txt", "section": "Desk"}],
               "feature": {"all": ["demo_udp", {"not": "demo_tunnel"}]}}],
}


@pytest.mark.parametrize(("feature", "message"), [
    ({"all": ["demo_udp", "demo_nothing"]}, r"flow 'demo_001' \(entry 1\): unknown feature 'demo_nothing'"),
    ({"some": ["demo_udp"]}, r"flow 'demo_001' \(entry 1\): 'feature': .* is neither a feature name nor"),
    ({"any": []}, r"flow 'demo_001' \(entry 1\): 'feature': 'any' needs a non-empty list"),
])
def test_the_loader_names_the_flow_of_a_bad_expression(tmp_path, feature, message):
    product = copy.deepcopy(PRODUCT)
    product["flows"][0]["feature"] = feature
    write_product(tmp_path, INFRASTRUCTURE)
    write_product(tmp_path, product)
    with pytest.raises(VdiFirewallError, match=message):
        load_catalog(str(tmp_path))


def test_the_planner_and_the_notices_follow_the_expression():
    catalog = build_catalog([("infrastructure", INFRASTRUCTURE), ("demo", copy.deepcopy(PRODUCT))])

    def rules(**features):
        hosts = [HostInput("desk1", groups=("desk",), product="demo", address="192.0.2.1", features=features or None)]
        topology = build_topology(catalog, hosts, endpoints={"user_device": ["198.51.100.0/24"]})
        return [rule["name"] for rule in plan_hosts(topology)["desk1"]["rules"]]

    assert rules() == ["vdi-in-udp-user_device"]
    assert rules(demo_tunnel=True) == [] and rules(demo_udp=False) == []
    assert gated_off(catalog, {"demo_desk"}, {"demo_tunnel": True}) == ["demo_tunnel"]
    assert gated_off(catalog, {"demo_desk"}, {"demo_udp": False}) == ["demo_udp"]
    assert gated_off(catalog, {"demo_desk"}, None) == []
