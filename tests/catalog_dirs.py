# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write catalog product directories for tests from one mapping per product (product.yml keys,
components, features, flows), as a catalog author would split them into files."""

from __future__ import annotations

from pathlib import Path

import yaml

PRODUCT_KEYS = ("title", "shared", "documents", "symbolic_ports", "group_map", "edge_components",
                "secure_alternatives", "not_secure_alternatives")
ROOT = Path(__file__).resolve().parents[1]
DOCUMENT_DEFAULTS = {"url": None, "product_version": None, "date": None}


def write_product(directory, data: dict, supplement: dict | None = None, raw: dict | None = None) -> Path:
    """Write directory/<product>/ from data (its 'product' is the id); supplement: supplements.yml.

    raw: file name -> text written as is (after the others), for unparsable or odd files."""
    data = dict(data)
    product = data.pop("product")
    folder = Path(directory) / product
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"id": product}
    meta.update({key: data.pop(key) for key in PRODUCT_KEYS if key in data})
    meta.setdefault("title", product)
    if isinstance(meta.get("documents"), dict):
        meta["documents"] = {key: dict(DOCUMENT_DEFAULTS, **value) if isinstance(value, dict) else value
                             for key, value in meta["documents"].items()}
    files = {"product.yml": meta}
    for key in ("components", "features", "flows"):
        if key in data:
            files[f"{key}.yml"] = {key: data.pop(key)}
    if data:  # keys no file of a product directory has: they stay in product.yml (and are refused there)
        meta.update(data)
    if supplement is not None:
        files["supplements.yml"] = {key: value for key, value in supplement.items() if key not in ("product", "layer")}
    for name, content in files.items():
        (folder / name).write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True), encoding="utf-8")
    for name, text in (raw or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def write_catalog(directory, *products: dict, supplements: dict | None = None) -> str:
    """Write every product (and supplements: product id -> its supplements.yml) and return the directory."""
    for data in products:
        write_product(directory, data, (supplements or {}).get(data["product"]))
    return str(directory)


def shipped_tables(product: str, components) -> dict:
    """The shipped product.yml's group map, edge components and port alternatives of a product, kept to
    the given components: for small catalogs built in tests that plan like the shipped one."""
    meta = yaml.safe_load((ROOT / "vars" / "catalog" / product / "product.yml").read_text(encoding="utf-8"))
    known = set(components)
    tables: dict = {}
    groups = {group: items for group, items in (meta.get("group_map") or {}).items() if set(items) <= known}
    if groups:
        tables["group_map"] = groups
    edge = [item for item in meta.get("edge_components") or () if item in known]
    if edge:
        tables["edge_components"] = edge
    alternatives = []
    for entry in meta.get("secure_alternatives") or ():
        pairs = [pair for pair in entry["between"] if set(pair) <= known]
        if pairs:
            alternatives.append(dict(entry, between=pairs))
    if alternatives:
        tables["secure_alternatives"] = alternatives
    return tables
