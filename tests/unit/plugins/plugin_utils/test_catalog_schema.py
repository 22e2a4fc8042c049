# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The published JSON Schemas of the product directory files: valid schemas, the shipped catalog valid
against them (checked with the jsonschema package), and the loader's own validator agreeing with it."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

try:
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover - libyaml is optional
    from yaml import SafeLoader as Loader  # type: ignore[assignment]

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import PRODUCT_FILES, catalog_schemas
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._schema import errors

ROOT = Path(__file__).resolve().parents[4]
CATALOG = ROOT / "vars" / "catalog"
SCHEMAS = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in (CATALOG / "schema").glob("*.schema.json")}
REGISTRY = Registry().with_resources(
    (schema["$id"], Resource.from_contents(schema)) for schema in SCHEMAS.values())
FILES = sorted(path for path in CATALOG.glob("*/*.yml") if (path.parent / "product.yml").is_file())


@functools.lru_cache(maxsize=None)
def validator(name: str):
    schema = SCHEMAS[name.replace(".yml", ".schema.json")]
    return jsonschema.Draft202012Validator(schema, registry=REGISTRY)


def test_every_product_file_has_a_valid_schema():
    assert {name.replace(".yml", ".schema.json") for name in PRODUCT_FILES} == set(SCHEMAS)
    for name, schema in SCHEMAS.items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$id"] == f"urn:vdi.firewall:catalog:{name.split('.')[0]}", name


@pytest.mark.parametrize("path", FILES, ids=[f"{path.parent.name}/{path.name}" for path in FILES])
def test_the_shipped_catalog_is_valid_against_the_schemas(path):
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506 - safe loader
    problems = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator(path.name).iter_errors(data)]
    assert not problems, problems
    assert errors(data, catalog_schemas()[path.name], registry=catalog_schemas()) == []


@functools.lru_cache(maxsize=None)
def _citrix(name: str) -> dict:
    """A shipped file of citrix/, its flows cut to the first two (jsonschema takes its time over them all)."""
    data = yaml.load((CATALOG / "citrix" / name).read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506 - safe
    if "flows" in data:
        data["flows"] = data["flows"][:2]
    return data


BAD = [
    ("flows.yml", lambda d: d["flows"][0].update(ports=[70000])),
    ("flows.yml", lambda d: d["flows"][0].update(ports=[True])),
    ("flows.yml", lambda d: d["flows"][0].update(protocols=["sctp"])),
    ("flows.yml", lambda d: d["flows"][0].update(protocols=[])),
    ("flows.yml", lambda d: d["flows"][0].update(colour="red")),
    ("flows.yml", lambda d: d["flows"][0].pop("references")),
    ("flows.yml", lambda d: d["flows"][0].update(feature={"all": []})),
    ("flows.yml", lambda d: d["flows"][0].update(feature={"some": ["a"]})),
    ("flows.yml", lambda d: d["flows"][0].update(feature={"all": ["a", {"not": {"any": ["b", 3]}}]})),
    ("flows.yml", lambda d: d["flows"][0].update(supplement=True)),
    ("flows.yml", lambda d: d.update(flows={})),
    ("components.yml", lambda d: d["components"]["citrix_vda"].update(domain_member="yes")),
    ("components.yml", lambda d: d["components"].update({"Citrix-VDA": {"name": "VDA"}})),
    ("components.yml", lambda d: d["components"]["citrix_vda"].pop("name")),
    ("features.yml", lambda d: d["features"]["citrix_edt"].update(default="on")),
    ("product.yml", lambda d: d["documents"]["003_661a4aab3c5f7bd6.txt"].update(date="2023-12")),
    ("product.yml", lambda d: d["documents"]["003_661a4aab3c5f7bd6.txt"].update(language="de")),
    ("product.yml", lambda d: d["documents"]["003_661a4aab3c5f7bd6.txt"].pop("product_version")),
    ("product.yml", lambda d: d.update(group_map={"vda": []})),
    ("product.yml", lambda d: d["secure_alternatives"][0]["between"].append(["a", "b", "c"])),
    ("product.yml", lambda d: d["not_secure_alternatives"][0].update(plaintext_port=0)),
    ("product.yml", lambda d: d.update(shared="yes")),
    ("supplements.yml", lambda d: d["flows"][0].pop("reason")),
    ("supplements.yml", lambda d: d["flows"][0]["references"].append({"title": "x", "url": "ftp://x"})),
]
GOOD = [
    ("flows.yml", lambda d: d["flows"][0].update(feature={"all": ["a", {"not": {"any": ["b", "c"]}}]})),
    ("flows.yml", lambda d: d["flows"][0].update(ports=["dynamic_rpc", "1-2", 0, "80"])),
    ("product.yml", lambda d: d["documents"]["003_661a4aab3c5f7bd6.txt"].update(date="2023-12-21", url="https://x.example")),
]


@pytest.mark.parametrize(("name", "change"), BAD + GOOD)
def test_the_loader_s_validator_agrees_with_jsonschema(name, change):
    data = copy.deepcopy(_citrix(name))  # a copy: the parsed file is shared
    change(data)
    expected = not list(validator(name).iter_errors(data))
    assert (not errors(data, catalog_schemas()[name], registry=catalog_schemas())) is expected
    assert expected is ((name, change) in GOOD)


def test_an_unsupported_keyword_is_refused_rather_than_ignored():
    with pytest.raises(VdiFirewallError, match=r"unsupported keyword\(s\) format"):
        errors("x", {"type": "string", "format": "email"})
