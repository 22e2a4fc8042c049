# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A product is a directory of data: a made-up one, added beside the shipped catalog, loads and plans
with no change to the Python, and the Python names no component or feature of the catalog."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import HostInput, build_topology, plan_hosts

ROOT = Path(__file__).resolve().parents[4]
FIXTURE = ROOT / "tests" / "unit" / "fixtures" / "catalog" / "acme_desk"


@pytest.fixture(name="catalog", scope="module")
def fixture_catalog(tmp_path_factory):
    directory = tmp_path_factory.mktemp("catalog")
    shutil.copytree(ROOT / "vars" / "catalog", directory, dirs_exist_ok=True)
    shutil.copytree(FIXTURE, directory / FIXTURE.name)
    return load_catalog(str(directory))


def site(**agent_features):
    return [
        HostInput("portal1", groups=("portal",), product="acme_desk", address="192.0.2.10"),
        HostInput("broker1", groups=("broker",), product="acme_desk", address="192.0.2.20"),
        HostInput("desk1", groups=("agent",), product="acme_desk", address="192.0.2.31", features=agent_features or None),
        HostInput("sql1", groups=("sql",), product="acme_desk", address="192.0.2.40"),
    ]


def rules(plan: dict) -> dict:
    return {rule["name"]: rule for rule in plan["rules"]}


def test_the_made_up_product_is_discovered_beside_the_shipped_ones(catalog):
    assert set(catalog.products) == {"acme_desk", "citrix", "microsoft_rds", "parallels_ras"}
    assert catalog.products["acme_desk"]["title"] == "ACME Desk"
    assert catalog.documents["acme_desk_ports.txt"]["url"] is None
    assert catalog.group_maps["acme_desk"]["agent"] == ("acme_agent",)
    assert catalog.tiers["acme_portal"] == "edge"
    assert {flow.id for flow in catalog.flows if flow.product == "acme_desk"} == {
        f"acme_desk_{number:03d}" for number in range(1, 7)}


def test_hosts_in_its_groups_plan_its_flows(catalog):
    plans = plan_hosts(build_topology(catalog, site(), endpoints={"user_device": ["198.51.100.0/24"]}))
    portal = rules(plans["portal1"])
    assert portal["vdi-in-tcp-user_device"]["local_ports"] == ["80", "443"]
    assert portal["vdi-out-tcp-acme_broker"]["remote_addresses"] == ["192.0.2.20/32"]
    # its own secure alternative: HTTP beside HTTPS to the portal is a plaintext warning
    assert [warning["code"] for warning in plans["portal1"]["warnings"]] == ["plaintext"]
    broker = rules(plans["broker1"])
    assert broker["vdi-in-tcp-acme_agent"]["local_ports"] == ["9000-9002"]  # a symbolic port of its own
    assert broker["vdi-out-tcp-sql_server"]["remote_ports"] == ["1433"]
    assert rules(plans["sql1"])["vdi-in-tcp-acme_broker"]["remote_addresses"] == ["192.0.2.20/32"]
    # domain_member: true implies the shared domain member component, as for the shipped products
    assert "domain_member" in plans["desk1"]["components"] and "domain_member" in plans["broker1"]["components"]


def test_a_combined_feature_decides_its_flow(catalog):
    topology = build_topology(catalog, site(), endpoints={"user_device": ["198.51.100.0/24"]})
    desk = rules(plan_hosts(topology)["desk1"])
    assert desk["vdi-in-udp-user_device"]["flows"] == ["acme_desk_004"]  # all: [udp display, not tunnel only]
    assert "vdi-in-tcp-acme_broker" not in desk
    tunnelled = build_topology(catalog, site(acme_tunnel_only=True), endpoints={"user_device": ["198.51.100.0/24"]})
    desk = rules(plan_hosts(tunnelled)["desk1"])
    assert "vdi-in-udp-user_device" not in desk
    assert desk["vdi-in-tcp-acme_broker"]["local_ports"] == ["4173"]
    no_udp = build_topology(catalog, site(acme_udp_display=False), endpoints={"user_device": ["198.51.100.0/24"]})
    assert "vdi-in-udp-user_device" not in rules(plan_hosts(no_udp)["desk1"])


def test_its_edge_component_is_open_to_any_without_a_warning_and_its_internal_one_is_not(catalog):
    plans = plan_hosts(build_topology(catalog, site(), endpoints={"user_device": "any"}))
    assert "open_to_any" not in {warning["code"] for warning in plans["portal1"]["warnings"]}
    assert "open_to_any" in {warning["code"] for warning in plans["desk1"]["warnings"]}


# The Python names no component or feature ----------------------------------------------------

# Ansible's own word, not the catalog's loopback component: `delegate_to: localhost`, `hosts: localhost`
ANSIBLE_WORDS = re.compile(r"\b(delegate_to|hosts):\s*localhost\b")


def test_no_python_file_names_a_component_or_feature_of_the_catalog():
    catalog = load_catalog()
    ids = sorted(set(catalog.components) | set(catalog.features), key=len, reverse=True)
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, ids)) + r")(?![A-Za-z0-9_])")
    found = []
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in pattern.finditer(ANSIBLE_WORDS.sub("", line)):
                found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(1)}")
    assert not found, "the catalog's ids belong in vars/catalog/, not in the Python:\n" + "\n".join(found)
