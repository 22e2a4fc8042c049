# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The catalog loader: the shipped catalog is valid and complete, bad input fails clearly."""

from __future__ import annotations

import copy

import pytest
import yaml

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import (
    PRODUCTS,
    discover_products,
    load_catalog,
)
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._features import feature_names
from tests.catalog_dirs import write_product

INFRASTRUCTURE = {
    "product": "infrastructure",
    "title": "Shared infrastructure",
    "shared": True,
    "components": {"user_device": {"name": "User device"}, "domain_controller": {"name": "DC"}},
    "symbolic_ports": {"dynamic_rpc": {"description": "RPC", "default": "49152-65535"}},
}
PRODUCT = {
    "product": "citrix",
    "title": "Citrix",
    "documents": {"003_test.txt": {"title": "Ports", "language": "en"}},
    "components": {"citrix_vda": {"name": "VDA"}},
    "features": {"citrix_edt": {"description": "EDT", "default": True}},
    "flows": [
        {
            "id": "citrix_cvad_001", "from": "user_device", "to": "citrix_vda",
            "protocols": ["tcp", "udp"], "ports": [1494, "2598"],
            "description": "ICA", "section": "CVAD", "feature": "citrix_edt",
            "references": [{"document": "003_test.txt", "section": "CVAD"}],
        },
        {
            "id": "citrix_cvad_002", "from": "citrix_vda", "to": "domain_controller",
            "protocols": ["tcp"], "ports": [135, "dynamic_rpc", "1024-1030"],
            "description": "RPC", "section": "CVAD",
            "references": [{"document": "003_test.txt", "section": "CVAD"}],
        },
        {
            "id": "citrix_cvad_003", "from": "citrix_vda", "to": "domain_controller",
            "protocols": ["icmp"], "description": "Ping", "section": "CVAD",
            "references": [{"document": "003_test.txt", "section": "CVAD"}],
        },
    ],
}


def write_catalog(tmp_path, product=None, infrastructure=None, raw=None):
    """Write a two-product catalog (infrastructure/, citrix/) into tmp_path and return its directory.

    raw: the text of citrix/flows.yml instead of the product's flows."""
    write_product(tmp_path, infrastructure or INFRASTRUCTURE)
    if raw is not None:
        write_product(tmp_path, {key: value for key, value in PRODUCT.items() if key != "flows"},
                      raw={"flows.yml": raw})
    else:
        write_product(tmp_path, product or PRODUCT)
    return str(tmp_path)


def mutated(path, value):
    """Return a copy of PRODUCT with the flow key at path (flow index, key) set to value."""
    product = copy.deepcopy(PRODUCT)
    index, key = path
    if value is KeyError:
        del product["flows"][index][key]
    else:
        product["flows"][index][key] = value
    return product


def test_minimal_catalog_loads_and_resolves_symbolic_ports(tmp_path):
    catalog = load_catalog(write_catalog(tmp_path))
    assert [flow.id for flow in catalog.flows] == ["citrix_cvad_001", "citrix_cvad_002", "citrix_cvad_003"]
    ports = [str(port) for port in catalog.resolve_ports(catalog.flows[1])]
    assert ports == ["135", "49152-65535", "1024-1030"]
    overridden = catalog.resolve_ports(catalog.flows[1], {"dynamic_rpc": "5000-5100"})
    assert [str(port) for port in overridden] == ["135", "5000-5100", "1024-1030"]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ((0, "to"), "citrix_nothing", r"flow 'citrix_cvad_001' \(entry 1\): unknown component 'citrix_nothing' in 'to'"),
        ((0, "from"), "nobody", r"flow 'citrix_cvad_001' \(entry 1\): unknown component 'nobody' in 'from'"),
        ((0, "ports"), [1494, 70000], r"flow 'citrix_cvad_001' \(entry 1\): port: '70000' is not a port number \(1-65535\)"),
        ((0, "ports"), [-1], r"port: '-1' is not a port number"),
        ((0, "ports"), ["2000-1000"], r"port: '2000-1000' is outside 1-65535 or reversed"),
        ((0, "ports"), ["some_port"], r"port 'some_port' is neither a number"),
        ((0, "ports"), [True], r"port: expected a port or an 'a-b' range, got the boolean True"),
        ((0, "protocols"), ["tcp", "sctp"], r"flow 'citrix_cvad_001' \(entry 1\): unknown protocol 'sctp'"),
        ((0, "protocols"), [], r"'protocols' is required"),
        ((1, "id"), "citrix_cvad_001", r"flow 'citrix_cvad_001' \(entry 2\): duplicate id"),
        ((1, "references"), KeyError, r"flow 'citrix_cvad_002' \(entry 2\): 'references' is required"),
        ((1, "references"), [], r"flow 'citrix_cvad_002' \(entry 2\): 'references' is required"),
        ((1, "references"), [{"document": "003_test.txt"}], r"each reference needs 'document' and 'section'"),
        ((1, "references"), [{"document": "999.txt", "section": "x"}], r"reference to unknown document '999.txt'"),
        ((0, "feature"), "citrix_magic", r"flow 'citrix_cvad_001' \(entry 1\): unknown feature 'citrix_magic'"),
        ((2, "ports"), [7], r"flow 'citrix_cvad_003' \(entry 3\): icmp carries no ports"),
        ((1, "ports"), KeyError, r"flow 'citrix_cvad_002' \(entry 2\): tcp needs 'ports'"),
        ((1, "colour"), "red", r"unknown key\(s\) colour"),
        ((1, "id"), "Citrix-CVAD", r"'id' must be snake_case"),
        ((1, "to_addresses"), "example.com", r"'to_addresses' must be a list of strings"),
    ],
)
def test_bad_flow_names_file_and_entry(tmp_path, path, value, message):
    directory = write_catalog(tmp_path, product=mutated(path, value))
    with pytest.raises(VdiFirewallError, match=message) as excinfo:
        load_catalog(directory)
    assert str(tmp_path / "citrix" / "flows.yml") in str(excinfo.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.update(colour="red"), r"citrix/product.yml: unknown top-level key\(s\) colour"),
        (lambda p: p["features"].update(citrix_x={"description": "x"}), r"feature 'citrix_x' needs a boolean 'default'"),
        (lambda p: p["components"].update(user_device={"name": "again"}), r"component 'user_device' is already defined in .*infrastructure/components.yml"),
        (lambda p: p["documents"]["003_test.txt"].update(language="de"), r"document '003_test.txt' language must be one of"),
        (lambda p: p.update(flows={"id": "x"}), r"citrix/flows.yml: 'flows' must be a list"),
        (lambda p: p.update(symbolic_ports={"odd": {"description": "x", "default": "abc"}}), r"symbolic port 'odd': 'abc' is not a port number"),
    ],
)
def test_bad_file_names_file(tmp_path, change, message):
    product = copy.deepcopy(PRODUCT)
    change(product)
    with pytest.raises(VdiFirewallError, match=message):
        load_catalog(write_catalog(tmp_path, product=product))


def test_unparsable_yaml_names_file(tmp_path):
    directory = write_catalog(tmp_path, raw="flows: [unclosed\n")
    with pytest.raises(VdiFirewallError, match=r"citrix/flows.yml: cannot be read as YAML"):
        load_catalog(directory)


def test_non_mapping_file_names_file(tmp_path):
    directory = write_catalog(tmp_path, raw="- just\n- a list\n")
    with pytest.raises(VdiFirewallError, match=r"citrix/flows.yml: a catalog file must be a mapping"):
        load_catalog(directory)


def test_missing_directory_is_reported(tmp_path):
    with pytest.raises(VdiFirewallError, match=r"cannot be read"):
        load_catalog(str(tmp_path / "nowhere"))


def test_unknown_product_subset_is_reported(tmp_path):
    with pytest.raises(VdiFirewallError, match=r"unknown product\(s\) vmware; the catalog has citrix"):
        load_catalog(write_catalog(tmp_path), ["vmware"])


def test_catalog_reloads_after_a_change(tmp_path):
    directory = write_catalog(tmp_path)
    assert len(load_catalog(directory).flows) == 3
    (tmp_path / "citrix" / "flows.yml").write_text(yaml.safe_dump({"flows": PRODUCT["flows"][:1]}) + "\n# changed\n")
    assert len(load_catalog(directory).flows) == 1


def test_product_id_is_its_directory(tmp_path):
    directory = write_catalog(tmp_path)
    (tmp_path / "citrix" / "product.yml").write_text(yaml.safe_dump(dict(id="vmware", title="Citrix")))
    with pytest.raises(VdiFirewallError, match=r"citrix/product.yml: id 'vmware' must be the directory's name 'citrix'"):
        load_catalog(directory)


def test_a_product_is_a_directory_with_a_product_file(tmp_path):
    directory = write_catalog(tmp_path)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "flows.yml").write_text("flows: []\n")
    (tmp_path / "flow_ids.lock.yml").write_text("ids: []\n")
    assert discover_products(directory) == ("citrix", "infrastructure")
    assert set(load_catalog(directory).products) == {"citrix"}
    assert set(load_catalog(directory).shared) == {"infrastructure"}


def test_a_stray_file_in_a_product_directory_is_refused(tmp_path):
    directory = write_catalog(tmp_path)
    (tmp_path / "citrix" / "extra.yml").write_text("flows: []\n")
    with pytest.raises(VdiFirewallError, match=r"citrix/extra.yml: not a file of a product directory"):
        load_catalog(directory)


def test_an_empty_catalog_directory_is_reported(tmp_path):
    with pytest.raises(VdiFirewallError, match=r"holds no product directory"):
        load_catalog(str(tmp_path))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.update(group_map={"broker": ["citrix_nothing"]}),
         r"citrix/product.yml: group 'broker': unknown component 'citrix_nothing'"),
        (lambda p: p.update(edge_components=["nobody"]), r"citrix/product.yml: edge_components: unknown component 'nobody'"),
        (lambda p: p["documents"]["003_test.txt"].update(date="21 December 2023"),
         r"citrix/product.yml: document '003_test.txt' 'date': '21 December 2023' does not match"),
        (lambda p: p["documents"]["003_test.txt"].pop("url"), r"citrix/product.yml: document '003_test.txt': 'url' is required"),
        (lambda p: p.update(secure_alternatives=[{"protocol": "tcp", "plaintext_port": 80, "secure_port": 443,
                                                  "plaintext": "HTTP", "secure": "HTTPS",
                                                  "between": [["user_device", "citrix_vda", "x"]]}]),
         r"secure alternative 1: 'between' holds \[source, destination\] pairs"),
        (lambda p: p["components"]["citrix_vda"].update(colour="red"),
         r"citrix/components.yml: component 'citrix_vda': unknown key\(s\) colour"),
        (lambda p: p["flows"][0].update(protocols=["tcp", "tcp"]), r"'protocols' lists a protocol twice"),
    ],
)
def test_the_schema_and_the_product_tables_name_file_and_entry(tmp_path, change, message):
    product = copy.deepcopy(PRODUCT)
    product["documents"]["003_test.txt"].update(url=None, product_version=None, date=None)
    change(product)
    write_product(tmp_path, INFRASTRUCTURE)
    folder = write_product(tmp_path, product)
    if "url" not in product["documents"]["003_test.txt"]:  # the helper fills in what is left out
        meta = yaml.safe_load((folder / "product.yml").read_text())
        del meta["documents"]["003_test.txt"]["url"]
        (folder / "product.yml").write_text(yaml.safe_dump(meta))
    with pytest.raises(VdiFirewallError, match=message):
        load_catalog(str(tmp_path))


# The shipped catalog -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return load_catalog()


def test_shipped_catalog_has_every_product(shipped):
    assert set(shipped.products) == set(PRODUCTS) == {"citrix", "microsoft_rds", "parallels_ras"}
    assert set(shipped.shared) == {"infrastructure"}


@pytest.mark.parametrize(
    ("product", "documents"),
    [
        ("citrix", {"003_661a4aab3c5f7bd6.txt", "004_07d3d939ef6365e4.txt"}),
        ("parallels_ras", {"000_4a96bc54d1e1cace.txt", "001_0ef04d596a44873d.txt"}),
        ("microsoft_rds", {"002_010c8f95df5cf3e1.txt"}),
    ],
)
def test_every_document_contributes_flows(shipped, product, documents):
    referenced = {ref["document"] for flow in shipped.flows if flow.product == product and not flow.supplement
                  for ref in flow.references}
    assert referenced == documents


def test_every_flow_references_a_document_of_its_own_product(shipped):
    for flow in shipped.flows:
        for reference in flow.references:
            if "document" in reference or not flow.supplement:
                assert shipped.documents[reference["document"]]["product"] == flow.product, flow.id


def test_every_feature_and_component_is_used(shipped):
    used_features = {name for flow in shipped.flows if flow.feature for name in feature_names(flow.feature)}
    assert set(shipped.features) == used_features
    used_components = {flow.source for flow in shipped.flows} | {flow.destination for flow in shipped.flows}
    assert set(shipped.components) - used_components == set()


def _flows(shipped, source, destination, protocol, port):
    found = []
    for flow in shipped.flows:
        if flow.source != source or flow.destination != destination or protocol not in flow.protocols:
            continue
        if port is None or any(r.start <= port <= r.end for r in shipped.resolve_ports(flow)):
            found.append(flow)
    return found


@pytest.mark.parametrize(
    ("source", "destination", "protocol", "port", "document"),
    [
        # English rows
        ("citrix_adc_nsip", "citrix_adc_nsip", "udp", 7000, "003_661a4aab3c5f7bd6.txt"),
        ("user_device", "citrix_vda", "tcp", 1494, "003_661a4aab3c5f7bd6.txt"),
        ("user_device", "citrix_vda", "udp", 1494, "003_661a4aab3c5f7bd6.txt"),
        ("citrix_storefront", "citrix_delivery_controller", "tcp", 443, "003_661a4aab3c5f7bd6.txt"),
        ("citrix_delivery_controller", "sql_server", "tcp", 1433, "003_661a4aab3c5f7bd6.txt"),
        ("citrix_pvs_target", "citrix_pvs_server", "udp", 6910, "003_661a4aab3c5f7bd6.txt"),
        ("ras_halb", "ras_halb", "vrrp", None, "000_4a96bc54d1e1cace.txt"),
        ("user_device", "ras_halb", "tcp", 443, "000_4a96bc54d1e1cace.txt"),
        ("ras_connection_broker", "ras_rdsh_agent", "tcp", 30004, "000_4a96bc54d1e1cace.txt"),
        ("rds_web_access", "rds_connection_broker", "tcp", 5504, "002_010c8f95df5cf3e1.txt"),
        ("user_device", "rds_gateway", "udp", 3391, "002_010c8f95df5cf3e1.txt"),
        ("rds_licensing", "microsoft_clearinghouse", "tcp", 443, "002_010c8f95df5cf3e1.txt"),
        # rows only the Japanese edition has
        ("ras_console", "ras_performance_monitor", "tcp", 3000, "001_0ef04d596a44873d.txt"),
        ("ras_provider_agent", "avd_services", "tcp", 443, "001_0ef04d596a44873d.txt"),
        # rows only the French edition has
        ("admin_workstation", "citrix_sdx_svm", "tcp", 443, "004_07d3d939ef6365e4.txt"),
        ("citrix_connector_appliance", "domain_controller", "tcp", 464, "004_07d3d939ef6365e4.txt"),
        ("citrix_vda", "citrix_universal_print_server", "udp", 7229, "004_07d3d939ef6365e4.txt"),
        ("citrix_delivery_controller", "citrix_license_server", "tcp", 8083, "004_07d3d939ef6365e4.txt"),
        ("admin_workstation", "citrix_remote_pc", "udp", 9, "004_07d3d939ef6365e4.txt"),
    ],
)
def test_known_rows_are_in_the_catalog(shipped, source, destination, protocol, port, document):
    flows = _flows(shipped, source, destination, protocol, port)
    assert flows, f"no flow {source} -> {destination} {protocol}/{port}"
    assert any(ref["document"] == document for flow in flows for ref in flow.references)


def test_fqdn_destinations_are_kept_as_address_objects(shipped):
    addresses = {address for flow in shipped.flows for address in flow.to_addresses}
    for expected in ("clearinghouse.one.microsoft.com", "*.wvd.microsoft.com", "*.nssvc.net"):
        assert any(address.endswith(expected) for address in addresses), expected


def test_non_numeric_ports_are_modelled(shipped):
    symbolic = {name for flow in shipped.flows for name in flow.symbolic_ports}
    assert {"dynamic_rpc", "ntds_rpc", "wmi_fixed_port", "legacy_dynamic_rpc"} <= symbolic
