# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load and validate the vendor port catalog shipped under the collection's vars/catalog/.

Internal to vdi.firewall, not a public interface: it may change in any release.

A product is a directory of data: every subdirectory of the catalog with a ``product.yml`` is one
(nothing in the code lists them). Its files: ``product.yml`` (id, title, documents, symbolic
ports, inventory group map, edge components, secure and not-secure port alternatives; ``shared:
true`` for the infrastructure every product talks to), ``components.yml``, ``features.yml``,
``flows.yml`` (the documents' rows, ``layer: document``) and ``supplements.yml`` (the supplement
layer, ``layer: supplement``): flows a working deployment needs that the documents leave out,
refer elsewhere for or get wrong. Every supplement flow says ``supplement: true``, why (``reason``)
and a public reference (vendor article or URL); a document row never does.

Every load checks each file against its JSON Schema (``vars/catalog/schema/*.schema.json``, with
the small validator of schema.py) and the references between files (components, features,
documents, symbolic ports); an error names the file and the entry.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

import yaml

try:
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - libyaml is optional
    from yaml import SafeLoader as _YamlLoader

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import (
    PortRange,
    is_port_text,
    parse_port_range,
    parse_ports,
)
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._features import feature_names
from ansible_collections.vdi.firewall.plugins.plugin_utils._lint import SecureAlternative, secure_alternatives_index
from ansible_collections.vdi.firewall.plugins.plugin_utils._schema import errors as schema_errors

PROTOCOLS = ("tcp", "udp", "icmp", "icmpv6", "vrrp", "gre", "esp")
PORTLESS_PROTOCOLS = frozenset(("icmp", "icmpv6", "vrrp", "gre", "esp"))
LANGUAGES = ("en", "fr", "ja")
LAYERS = ("document", "supplement")
PRODUCT_FILE = "product.yml"
# the files of a product directory, in load order, and the schema each is checked against
PRODUCT_FILES = ("product.yml", "components.yml", "features.yml", "flows.yml", "supplements.yml")
SUPPLEMENTS_FILE = "supplements.yml"

_FLOW_KEYS = frozenset((
    "id", "from", "to", "protocols", "ports", "description", "section", "references", "feature",
    "service", "to_addresses", "from_addresses", "note", "supplement", "reason", "corrects",
))
_FLOW_REQUIRED = ("id", "from", "to", "protocols", "description", "section", "references")
_FILE_KEYS = frozenset((
    "product", "title", "layer", "documents", "components", "features", "symbolic_ports", "flows",
    "shared", "group_map", "edge_components", "secure_alternatives", "not_secure_alternatives",
))
_PRODUCT_KEYS = ("shared", "group_map", "edge_components", "secure_alternatives", "not_secure_alternatives")
_URL = re.compile(r"^https?://\S+$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def collection_path(*parts: str) -> str:
    """A path inside the collection this file belongs to (Ansible does not load a collection's vars/)."""
    collection_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(collection_root, *parts)


def default_catalog_dir() -> str:
    """Return vars/catalog of the collection this file belongs to."""
    return collection_path("vars", "catalog")


def schema_dir() -> str:
    """The published JSON Schemas of the product directory files (vars/catalog/schema/)."""
    return collection_path("vars", "catalog", "schema")


@lru_cache(maxsize=1)
def catalog_schemas() -> dict[str, dict]:
    """File name (product.yml, ...) -> its JSON Schema; and '$id' -> schema for references."""
    schemas: dict[str, dict] = {}
    for name in PRODUCT_FILES:
        path = os.path.join(schema_dir(), name.replace(".yml", ".schema.json"))
        try:
            with open(path, encoding="utf-8") as handle:
                schemas[name] = json.load(handle)
        except (OSError, ValueError) as exc:
            raise VdiFirewallError(f"{path}: the catalog schema cannot be read: {exc}") from exc
    schemas.update({schema["$id"]: schema for schema in list(schemas.values())})
    return schemas


def discover_products(directory: str | None = None) -> tuple[str, ...]:
    """The product directories of a catalog (subdirectories with a product.yml), shared ones included."""
    directory = directory or default_catalog_dir()
    try:
        entries = sorted(os.listdir(directory))
    except OSError as exc:
        raise VdiFirewallError(f"catalog directory {directory} cannot be read: {exc}") from exc
    return tuple(entry for entry in entries if os.path.isfile(os.path.join(directory, entry, PRODUCT_FILE)))


def _shipped_products() -> tuple[str, ...]:
    """The products (not shared infrastructure) of the collection's own catalog."""
    products: list[str] = []
    try:
        names = discover_products()
    except VdiFirewallError:
        return ()  # reported, with its directory, when the catalog is loaded
    for name in names:
        try:
            with open(os.path.join(default_catalog_dir(), name, PRODUCT_FILE), encoding="utf-8") as handle:
                data = yaml.load(handle, Loader=_YamlLoader)  # noqa: S506 - safe loader
        except (OSError, yaml.YAMLError):
            continue  # reported, with its file, when the catalog is loaded
        if isinstance(data, dict) and data.get("shared") is not True:
            products.append(name)
    return tuple(products)


# The products of the collection's own catalog, discovered from its directories (a catalog loaded
# from elsewhere has its own: Catalog.products).
PRODUCTS = _shipped_products()


@dataclass(frozen=True)
class Flow:
    """One documented flow between two components."""

    id: str
    product: str
    source: str
    destination: str
    protocols: tuple[str, ...]
    ports: tuple[int | str, ...]
    description: str
    section: str
    references: tuple[dict, ...]
    # a feature name, or {all: [...]}, {any: [...]}, {not: ...} of them (features.feature_on)
    feature: str | dict | None = None
    service: str | None = None
    to_addresses: tuple[str, ...] = ()
    from_addresses: tuple[str, ...] = ()
    note: str | None = None
    file: str = ""
    supplement: bool = False
    reason: str | None = None
    corrects: tuple[str, ...] = ()
    # from or to a component marked loopback: true (the host itself): documented, never a rule
    loopback: bool = False

    @property
    def layer(self) -> str:
        """'supplement' for a flow of the supplement layer, 'document' for a document row."""
        return "supplement" if self.supplement else "document"

    @property
    def symbolic_ports(self) -> tuple[str, ...]:
        return tuple(port for port in self.ports if isinstance(port, str) and not is_port_text(port))

    @property
    def is_loopback(self) -> bool:
        return self.loopback


@dataclass
class Catalog:
    """The validated catalog: components, features, symbolic ports, documents and flows."""

    components: dict[str, dict] = field(default_factory=dict)
    features: dict[str, dict] = field(default_factory=dict)
    symbolic_ports: dict[str, dict] = field(default_factory=dict)
    documents: dict[str, dict] = field(default_factory=dict)
    products: dict[str, dict] = field(default_factory=dict)
    flows: list[Flow] = field(default_factory=list)
    # product (shared ones too) -> the file of its supplement layer
    supplement_files: dict[str, str] = field(default_factory=dict)
    # shared products (product.yml says shared: true): id -> {"title", "file"}
    shared: dict[str, dict] = field(default_factory=dict)
    # product -> inventory group -> components (product.yml group_map)
    group_maps: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    # component -> "edge" for the components product.yml lists as edge_components
    tiers: dict[str, str] = field(default_factory=dict)
    secure_alternatives: tuple[SecureAlternative, ...] = ()
    # (protocol, plaintext port, secure port, source, destination) -> why it is no such pair
    not_secure_alternatives: dict[tuple, str] = field(default_factory=dict)
    alternatives_index: dict = field(default_factory=dict)

    def implied_components(self) -> dict[str, frozenset]:
        """Component -> the components that imply it (``implied_by: <attribute>``: every component whose
        attribute of that name is true). A host with one of them also has the implied component."""
        result = {}
        for key, value in self.components.items():
            attribute = value.get("implied_by")
            if attribute:
                result[key] = frozenset(other for other, data in self.components.items() if data.get(attribute) is True)
        return result

    def resolve_ports(self, flow: Flow, overrides: dict | None = None) -> list[PortRange]:
        """Return the flow's ports as ranges, symbolic names replaced by their values."""
        ranges: list[PortRange] = []
        for port in flow.ports:
            if is_port_text(port):
                ranges.append(parse_port_range(port, f"flow {flow.id}: port"))
                continue
            name = str(port)
            value = (overrides or {}).get(name, self.symbolic_ports[name]["default"])
            ranges.extend(parse_ports(value, f"symbolic port '{port}'"))
        return ranges

    def subset(self, products: list[str] | tuple[str, ...]) -> Catalog:
        """Return a catalog with the flows of the given products only (components stay whole)."""
        wanted = set(products)
        kept = wanted | set(self.shared)
        return Catalog(
            components=self.components,
            features={k: v for k, v in self.features.items() if v["product"] in kept},
            symbolic_ports=self.symbolic_ports,
            documents={k: v for k, v in self.documents.items() if v["product"] in wanted},
            products={k: v for k, v in self.products.items() if k in wanted},
            supplement_files={k: v for k, v in self.supplement_files.items() if k in kept},
            flows=[flow for flow in self.flows if flow.product in kept],
            shared=self.shared,
            group_maps={k: v for k, v in self.group_maps.items() if k in wanted},
            tiers=self.tiers,
            secure_alternatives=self.secure_alternatives,
            not_secure_alternatives=self.not_secure_alternatives,
            alternatives_index=self.alternatives_index,
        )


def _port_spec(port):
    """A flow row's port as the catalog keeps it: a number, an 'a-b' range text or a symbolic name."""
    if is_port_text(port) and not isinstance(port, int):
        port_range = parse_port_range(port, "port")
        return port_range.start if port_range.is_single else port
    return port


def parse_port_value(value, where: str) -> list[PortRange]:
    """A port, an 'a-b' range, a list or a comma-separated string of them as port ranges (see _netvalues)."""
    return list(parse_ports(value, where))


def _catalog_files(directory: str) -> list[str]:
    """The catalog's files as '<product>/<file>' names: every product directory's files, in load order."""
    names: list[str] = []
    for product in discover_products(directory):
        folder = os.path.join(directory, product)
        try:
            present = set(os.listdir(folder))
        except OSError as exc:
            raise VdiFirewallError(f"catalog directory {folder} cannot be read: {exc}") from exc
        strays = sorted(name for name in present - set(PRODUCT_FILES) if name.endswith((".yml", ".yaml")))
        if strays:
            raise VdiFirewallError(f"{os.path.join(folder, strays[0])}: not a file of a product directory "
                                   f"(these are {', '.join(PRODUCT_FILES)})")
        names.extend(f"{product}/{name}" for name in PRODUCT_FILES if name in present)
    return names


def _file_signature(directory: str) -> tuple:
    names = _catalog_files(directory)
    signature = []
    for name in names:
        stat = os.stat(os.path.join(directory, name))
        signature.append((name, stat.st_mtime_ns, stat.st_size))
    return tuple(signature)


def load_catalog(directory: str | None = None, products=None) -> Catalog:
    """Load and validate the catalog in directory (default: the collection's), optionally a subset."""
    directory = os.path.abspath(directory or default_catalog_dir())
    catalog = _load_cached(directory, _file_signature(directory))
    if products:
        unknown = sorted(set(products) - set(catalog.products))
        if unknown:
            raise VdiFirewallError(
                f"unknown product(s) {', '.join(unknown)}; the catalog has {', '.join(sorted(catalog.products))}"
            )
        return catalog.subset(products)
    return catalog


def _read_yaml(path: str):
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_YamlLoader)  # noqa: S506 - safe loader
    except UnicodeDecodeError as exc:
        raise VdiFirewallError(f"{path}: is not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8") from exc
    except (OSError, yaml.YAMLError) as exc:
        raise VdiFirewallError(f"{path}: cannot be read as YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise VdiFirewallError(f"{path}: a catalog file must be a mapping")
    return data


def _as_part(path: str, product: str, name: str, data: dict) -> dict:
    """One file of a product directory as the part build_catalog validates (product and layer named)."""
    if name == PRODUCT_FILE:
        part = {key: value for key, value in data.items() if key != "id"}
        part["product"] = product
        return part
    part = dict(data, product=product)
    if name == SUPPLEMENTS_FILE:
        part["layer"] = "supplement"
    return part


@lru_cache(maxsize=8)
def _load_cached(directory: str, signature: tuple) -> Catalog:
    if not signature:
        raise VdiFirewallError(f"catalog directory {directory} holds no product directory "
                               f"(a subdirectory with a {PRODUCT_FILE})")
    files = []
    for name, _mtime, _size in signature:
        path = os.path.join(directory, name)
        files.append((path, name.split("/")[0], name.split("/")[1], _read_yaml(path)))
    shared = set()
    for path, product, name, data in files:
        if name == PRODUCT_FILE:
            if data.get("id") != product:
                raise VdiFirewallError(f"{path}: id {data.get('id')!r} must be the directory's name '{product}'")
            if data.get("shared") is True:
                shared.add(product)
    parts = [(path, _as_part(path, product, name, data)) for path, product, name, data in files]
    # documents before supplements, shared infrastructure first in each layer: what a file refers to is known
    order = {path: index for index, (path, _part) in enumerate(parts)}
    parts.sort(key=lambda item: (item[1].get("layer") == "supplement", item[1]["product"] not in shared, order[item[0]]))
    catalog = build_catalog(parts)
    schemas = catalog_schemas()
    for path, _product, name, data in files:
        check_schema(path, data, schemas[name], schemas)
    return catalog


def check_schema(path: str, data, schema: dict, registry: dict | None = None) -> None:
    """Raise VdiFirewallError naming the file and the entry for the first violation of the schema."""
    found = schema_errors(data, schema, registry=registry)
    if found:
        where, message = found[0]
        raise VdiFirewallError(f"{path}: {_entry_label(data, where)}{message}")


_ENTRY_KINDS = {
    "components": "component", "features": "feature", "documents": "document", "symbolic_ports": "symbolic port",
    "group_map": "group", "secure_alternatives": "secure alternative", "not_secure_alternatives": "not-secure alternative",
    "edge_components": "edge component",
}


def _entry_label(data, where: tuple) -> str:
    """'flow 'x' (entry 3): ports item 2: ' for a path ('flows', 2, 'ports', 1) into a file."""
    if not where:
        return ""
    section, rest = where[0], list(where[1:])
    if section == "flows" and rest and isinstance(rest[0], int):
        entry = data["flows"][rest[0]]
        flow_id = entry.get("id", "?") if isinstance(entry, dict) else "?"
        label, rest = f"flow '{flow_id}' (entry {rest[0] + 1})", rest[1:]
    elif section in _ENTRY_KINDS and rest:
        key = rest.pop(0)
        label = f"{_ENTRY_KINDS[section]} {key + 1}" if isinstance(key, int) else f"{_ENTRY_KINDS[section]} '{key}'"
    else:
        label = f"'{section}'"
    for key in rest:
        label += f" item {key + 1}" if isinstance(key, int) else f" '{key}'"
    return f"{label}: "


def build_catalog(documents: list[tuple[str, dict]]) -> Catalog:
    """Validate parsed catalog parts [(path, data), ...] and assemble the catalog.

    A part is one file of a product directory with its ``product`` (and ``layer: supplement`` for
    supplements.yml) named; the part with a ``title`` (product.yml) declares the product.
    """
    catalog = Catalog()
    origins: dict[tuple[str, str], str] = {}
    # the part with a title declares its product (product.yml); a catalog built in memory may leave it out
    declared = {data.get("product"): path for path, data in documents
                if isinstance(data, dict) and data.get("layer", "document") == "document"}
    titled = {data.get("product") for path, data in documents if isinstance(data, dict) and "title" in data
              and data.get("layer", "document") == "document"}
    for path, data in documents:
        _load_part(path, data, catalog, origins, declared, titled)
    _check_implied_by(catalog, origins)
    seen_flows = _load_flows(documents, catalog)
    _check_corrects(catalog, seen_flows)
    for path, data in documents:
        if data.get("layer", "document") == "document":
            _product_tables(path, data, catalog)
    catalog.alternatives_index = secure_alternatives_index(catalog.secure_alternatives)
    return catalog


def _load_part(path: str, data: dict, catalog: Catalog, origins: dict[tuple[str, str], str],
               declared: dict, titled: set) -> None:
    """One part's product (or supplements) declaration and its entries, checked and registered."""
    unknown_keys = sorted(set(data) - _FILE_KEYS)
    if unknown_keys:
        raise VdiFirewallError(f"{path}: unknown top-level key(s) {', '.join(unknown_keys)}")
    if data.get("product") not in declared:
        raise VdiFirewallError(f"{path}: product {data.get('product')!r} is not one of "
                               f"{', '.join(sorted(map(str, declared)))}")
    product = str(data["product"])
    layer = data.get("layer", "document")
    if layer not in LAYERS:
        raise VdiFirewallError(f"{path}: layer {layer!r} is not one of {', '.join(LAYERS)}")
    if layer == "supplement":
        _declare_supplements(path, data, product, catalog)
    elif "title" in data or (product not in titled and product not in catalog.products | catalog.shared.keys()):
        _declare_product(path, data, product, catalog)
    else:
        _refuse_product_keys(path, data)
    for section, kind in (("components", "component"), ("features", "feature"),
                          ("symbolic_ports", "symbolic port"), ("documents", "document")):
        entries = data.get(section) or {}
        if not isinstance(entries, dict):
            raise VdiFirewallError(f"{path}: '{section}' must be a mapping")
        for key, value in entries.items():
            _register(catalog, origins, kind, key, value, path, product)
    _check_components(path, data, layer)
    _check_entries(path, data)


def _declare_supplements(path: str, data: dict, product: str, catalog: Catalog) -> None:
    """A product's supplements.yml: one per product, defining no documents nor product tables."""
    if product in catalog.supplement_files:
        raise VdiFirewallError(f"{path}: the supplements of '{product}' are already defined in "
                               f"{catalog.supplement_files[product]}")
    if data.get("documents"):
        raise VdiFirewallError(f"{path}: a supplement file cites documents, it does not define them "
                               "(move 'documents' to the product's product.yml)")
    _refuse_product_keys(path, data)
    catalog.supplement_files[product] = path


def _declare_product(path: str, data: dict, product: str, catalog: Catalog) -> None:
    """The part that declares a product (product.yml), once, as a product or shared infrastructure."""
    if product in catalog.products or product in catalog.shared:
        known = (catalog.products.get(product) or catalog.shared[product])["file"]
        raise VdiFirewallError(f"{path}: product '{product}' is already defined in {known}")
    if "shared" in data and not isinstance(data["shared"], bool):
        raise VdiFirewallError(f"{path}: 'shared' must be true or false")
    store = catalog.shared if data.get("shared") else catalog.products
    store[product] = {"title": data.get("title", product), "file": path}


def _refuse_product_keys(path: str, data: dict) -> None:
    """Only the product's product.yml holds the product tables."""
    for key in _PRODUCT_KEYS:
        if key in data:
            raise VdiFirewallError(f"{path}: '{key}' belongs to the product's product.yml")


def _register(catalog: Catalog, origins: dict[tuple[str, str], str], kind: str, key: str, value: dict,
              path: str, product: str) -> None:
    """Add one component, feature, symbolic port or document, defined once in the whole catalog."""
    if not isinstance(key, str) or not (_ID.match(key) or kind == "document"):
        raise VdiFirewallError(f"{path}: {kind} id {key!r} must be snake_case (a-z, 0-9, _)")
    if (kind, key) in origins:
        raise VdiFirewallError(f"{path}: {kind} '{key}' is already defined in {origins[(kind, key)]}")
    if not isinstance(value, dict):
        raise VdiFirewallError(f"{path}: {kind} '{key}' must be a mapping")
    origins[(kind, key)] = path
    store = {
        "component": catalog.components, "feature": catalog.features,
        "symbolic port": catalog.symbolic_ports, "document": catalog.documents,
    }[kind]
    store[key] = dict(value, product=product)


def _check_components(path: str, data: dict, layer: str) -> None:
    """A part's components: a name, boolean flags, and 'implied_by' only in the supplement layer."""
    for key, value in (data.get("components") or {}).items():
        if not isinstance(value.get("name"), str) or not value["name"].strip():
            raise VdiFirewallError(f"{path}: component '{key}' needs a 'name' (text)")
        for flag in ("loopback",):
            if flag in value and not isinstance(value[flag], bool):
                raise VdiFirewallError(f"{path}: component '{key}': '{flag}' must be true or false")
        if "implied_by" in value and layer != "supplement":
            raise VdiFirewallError(f"{path}: component '{key}': 'implied_by' belongs to the supplement layer "
                                   f"({SUPPLEMENTS_FILE})")


def _check_entries(path: str, data: dict) -> None:
    """A part's documents (a known language), features (a boolean default) and symbolic ports (a port default)."""
    for key, value in (data.get("documents") or {}).items():
        if value.get("language") not in LANGUAGES:
            raise VdiFirewallError(f"{path}: document '{key}' language must be one of {', '.join(LANGUAGES)}")
    for key, value in (data.get("features") or {}).items():
        if not isinstance(value.get("default"), bool):
            raise VdiFirewallError(f"{path}: feature '{key}' needs a boolean 'default'")
    for key, value in (data.get("symbolic_ports") or {}).items():
        if "default" not in value:
            raise VdiFirewallError(f"{path}: symbolic port '{key}' needs a 'default'")
        parse_port_value(value["default"], f"{path}: symbolic port '{key}'")


def _check_implied_by(catalog: Catalog, origins: dict[tuple[str, str], str]) -> None:
    """The attribute a component is implied by is true or false wherever a component sets it."""
    for key, value in catalog.components.items():
        attribute = value.get("implied_by")
        if attribute is None:
            continue
        for other, data in catalog.components.items():
            if attribute in data and not isinstance(data[attribute], bool):
                raise VdiFirewallError(f"{origins[('component', other)]}: component '{other}': '{attribute}' must be "
                                       f"true or false (it implies component '{key}')")


def _load_flows(documents: list[tuple[str, dict]], catalog: Catalog) -> dict[str, str]:
    """Validate and add every part's flows, each id once; return flow id -> the file defining it."""
    seen_flows: dict[str, str] = {}
    for path, data in documents:
        flows = data.get("flows") or []
        if not isinstance(flows, list):
            raise VdiFirewallError(f"{path}: 'flows' must be a list")
        layer = data.get("layer", "document")
        for index, raw in enumerate(flows, start=1):
            flow = _validate_flow(raw, index, path, data["product"], catalog, layer)
            if flow.id in seen_flows:
                raise VdiFirewallError(f"{path}: flow '{flow.id}' (entry {index}): duplicate id, first defined in {seen_flows[flow.id]}")
            seen_flows[flow.id] = path
            catalog.flows.append(flow)
    return seen_flows


def _check_corrects(catalog: Catalog, seen_flows: dict[str, str]) -> None:
    """A supplement flow corrects document rows of the catalog only."""
    layers = {flow.id: flow.layer for flow in catalog.flows}
    for flow in catalog.flows:
        for corrected in flow.corrects:
            if layers.get(corrected) != "document":
                raise VdiFirewallError(f"{seen_flows[flow.id]}: flow '{flow.id}': 'corrects' names '{corrected}', "
                                       "which is not a document row of the catalog")


def _product_tables(path: str, data: dict, catalog: Catalog) -> None:
    """product.yml's group map, edge components and port alternatives, their components checked."""
    product = data["product"]

    def component(value, where: str) -> str:
        if not isinstance(value, str) or value not in catalog.components:
            raise VdiFirewallError(f"{path}: {where}: unknown component {value!r}")
        return value

    group_map = data.get("group_map") or {}
    if not isinstance(group_map, dict):
        raise VdiFirewallError(f"{path}: 'group_map' must be a mapping of inventory group to component ids")
    groups = {}
    for group, components in group_map.items():
        if not isinstance(components, list) or not components:
            raise VdiFirewallError(f"{path}: group '{group}': give a list of component ids")
        groups[str(group)] = tuple(component(item, f"group '{group}'") for item in components)
    if groups:
        catalog.group_maps[product] = groups
    edge = data.get("edge_components") or []
    if not isinstance(edge, list):
        raise VdiFirewallError(f"{path}: 'edge_components' must be a list of component ids")
    for item in edge:
        catalog.tiers[component(item, "edge_components")] = "edge"
    alternatives = list(catalog.secure_alternatives)
    for index, entry in enumerate(data.get("secure_alternatives") or [], start=1):
        where = f"secure alternative {index}"
        if not isinstance(entry, dict) or not isinstance(entry.get("between"), list):
            raise VdiFirewallError(f"{path}: {where}: must be a mapping with 'between' pairs")
        pairs = []
        for pair in entry["between"]:
            if not isinstance(pair, list) or len(pair) != 2:
                raise VdiFirewallError(f"{path}: {where}: 'between' holds [source, destination] pairs, got {pair!r}")
            pairs.append((component(pair[0], where), component(pair[1], where)))
        try:
            alternatives.append(SecureAlternative(
                str(entry["protocol"]), int(entry["plaintext_port"]), int(entry["secure_port"]),
                str(entry["plaintext"]), str(entry["secure"]), tuple(pairs)))
        except (KeyError, TypeError, ValueError) as exc:
            raise VdiFirewallError(f"{path}: {where}: needs protocol, plaintext_port, secure_port, plaintext, "
                                   f"secure and between ({exc})") from exc
    catalog.secure_alternatives = tuple(alternatives)
    for index, entry in enumerate(data.get("not_secure_alternatives") or [], start=1):
        where = f"not-secure alternative {index}"
        if not isinstance(entry, dict):
            raise VdiFirewallError(f"{path}: {where}: must be a mapping")
        try:
            key = (str(entry["protocol"]), int(entry["plaintext_port"]), int(entry["secure_port"]),
                   component(entry["from"], where), component(entry["to"], where))
            catalog.not_secure_alternatives[key] = str(entry["reason"])
        except (KeyError, TypeError, ValueError) as exc:
            raise VdiFirewallError(f"{path}: {where}: needs protocol, plaintext_port, secure_port, from, to and "
                                   f"reason ({exc})") from exc


def _validate_flow(raw, index: int, path: str, product: str, catalog: Catalog, layer: str = "document") -> Flow:
    if not isinstance(raw, dict):
        raise VdiFirewallError(f"{path}: flow entry {index} must be a mapping")
    label = f"{path}: flow '{raw.get('id', '?')}' (entry {index})"

    def fail(message: str):
        raise VdiFirewallError(f"{label}: {message}")

    _check_flow_keys(raw, catalog, fail)
    protocols = _check_protocols(raw, fail)
    ports = _check_ports(raw, protocols, catalog, fail)
    feature = _check_feature(raw, catalog, fail)
    supplement = layer == "supplement"
    references = _check_references(raw, catalog, supplement, fail)
    corrects = _check_flow_lists(raw, fail)
    return Flow(
        id=raw["id"],
        product=product,
        source=raw["from"],
        destination=raw["to"],
        protocols=tuple(protocols),
        ports=tuple(_port_spec(port) for port in ports),
        description=raw["description"].strip(),
        section=raw["section"],
        references=tuple(dict(reference) for reference in references),
        feature=feature,
        service=raw.get("service"),
        to_addresses=tuple(raw.get("to_addresses") or ()),
        from_addresses=tuple(raw.get("from_addresses") or ()),
        note=raw.get("note"),
        file=_relative_file(path),
        supplement=supplement,
        reason=raw["reason"].strip() if supplement else None,
        corrects=tuple(corrects),
        loopback=any(catalog.components[raw[key]].get("loopback") is True for key in ("from", "to")),
    )


def _check_flow_keys(raw: dict, catalog: Catalog, fail) -> None:
    """Known keys, the required ones given, a snake_case id, and known components at both ends."""
    unknown_keys = sorted(set(raw) - _FLOW_KEYS)
    if unknown_keys:
        fail(f"unknown key(s) {', '.join(unknown_keys)}")
    for key in _FLOW_REQUIRED:
        if raw.get(key) in (None, "", []):
            fail(f"'{key}' is required")
    if not isinstance(raw["id"], str) or not _ID.match(raw["id"]):
        fail("'id' must be snake_case (a-z, 0-9, _)")
    for key in ("from", "to"):
        if not isinstance(raw[key], str) or raw[key] not in catalog.components:
            fail(f"unknown component '{raw[key]}' in '{key}'")


def _check_protocols(raw: dict, fail) -> list:
    """The flow's protocols: a non-empty list of known protocols, each once."""
    protocols = raw["protocols"]
    if not isinstance(protocols, list) or not protocols:
        fail("'protocols' must be a non-empty list")
    for protocol in protocols:
        if protocol not in PROTOCOLS:
            fail(f"unknown protocol {protocol!r} (known: {', '.join(PROTOCOLS)})")
    if len(set(protocols)) != len(protocols):
        fail("'protocols' lists a protocol twice")
    return protocols


def _check_ports(raw: dict, protocols: list, catalog: Catalog, fail) -> list:
    """The flow's ports: given exactly when a protocol carries ports, each a number, range or symbolic port."""
    ports = raw.get("ports") or []
    if not isinstance(ports, list):
        fail("'ports' must be a list")
    port_protocols = [protocol for protocol in protocols if protocol not in PORTLESS_PROTOCOLS]
    if port_protocols and not ports:
        fail(f"{'/'.join(port_protocols)} needs 'ports'")
    if ports and not port_protocols:
        fail(f"{'/'.join(protocols)} carries no ports")
    for port in ports:
        if isinstance(port, str) and port in catalog.symbolic_ports:
            continue
        if not is_port_text(port) and not isinstance(port, bool):
            fail(f"port {port!r} is neither a number, an 'a-b' range nor a known symbolic port")
        try:
            parse_port_range(port, "port")
        except VdiFirewallError as exc:
            fail(str(exc))
    return ports


def _check_feature(raw: dict, catalog: Catalog, fail):
    """The flow's feature expression, when it has one, naming known features only."""
    feature = raw.get("feature")
    if feature is not None:
        try:
            names = feature_names(feature)
        except ValueError as exc:
            fail(f"'feature': {exc}")
        for name in names:
            if name not in catalog.features:
                fail(f"unknown feature '{name}'")
    return feature


def _check_references(raw: dict, catalog: Catalog, supplement: bool, fail) -> list:
    """The flow's references (documents of the catalog; public ones too in a supplement) and its layer's keys."""
    references = raw["references"]
    if not isinstance(references, list):
        fail("'references' must be a list")
    public = 0
    for reference in references:
        if supplement and isinstance(reference, dict) and "document" not in reference:
            _check_public_reference(reference, fail)
            public += 1
            continue
        if not isinstance(reference, dict) or not reference.get("document") or not reference.get("section"):
            fail("each reference needs 'document' and 'section'" + (
                " (or, in a supplement, 'title' and a public 'url' or vendor article 'id')" if supplement else ""))
        if reference["document"] not in catalog.documents:
            fail(f"reference to unknown document '{reference['document']}'")
    _check_layer_keys(raw, supplement, public, fail)
    return references


def _check_layer_keys(raw: dict, supplement: bool, public: int, fail) -> None:
    """A supplement flow says so, why and where publicly; a document row has none of those keys."""
    if supplement:
        if raw.get("supplement") is not True:
            fail("a flow of a supplement file must say 'supplement: true'")
        if not isinstance(raw.get("reason"), str) or not raw["reason"].strip():
            fail("a supplement flow needs a 'reason': why a working deployment needs it")
        if not public:
            fail("a supplement flow needs a public reference ({title, url} or {title, id} such as a vendor "
                 "article), not only the document it completes")
    else:
        for key in ("supplement", "reason", "corrects"):
            if key in raw:
                fail(f"'{key}' belongs to the supplement layer (the product's {SUPPLEMENTS_FILE}), not to a document row")


def _check_flow_lists(raw: dict, fail) -> list:
    """The flow's corrected ids and address lists (lists of strings) and its text fields; return its corrects."""
    corrects = raw.get("corrects") or []
    if not isinstance(corrects, list) or not all(isinstance(item, str) and item for item in corrects):
        fail("'corrects' must be a list of flow ids")
    for key in ("to_addresses", "from_addresses"):
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            fail(f"'{key}' must be a list of strings")
    for key in ("description", "section"):
        if not isinstance(raw[key], str):
            fail(f"'{key}' must be a string")
    return corrects


def _relative_file(path: str) -> str:
    """A catalog file's name as the catalog directory sees it ('<product>/flows.yml')."""
    return f"{os.path.basename(os.path.dirname(path))}/{os.path.basename(path)}"


def _check_public_reference(reference: dict, fail) -> None:
    """A supplement's public reference: {title, url} and/or a vendor article {id} (CTX113250, KB 832017)."""
    unknown = sorted(set(reference) - {"id", "title", "url", "section"})
    if unknown:
        fail(f"public reference: unknown key(s) {', '.join(unknown)}")
    if not isinstance(reference.get("title"), str) or not reference["title"].strip():
        fail("a public reference needs a 'title'")
    url, article = reference.get("url"), reference.get("id")
    if not url and not article:
        fail(f"public reference '{reference['title']}' needs a 'url' or a vendor article 'id'")
    if url is not None and (not isinstance(url, str) or not _URL.match(url)):
        fail(f"public reference '{reference['title']}': 'url' must be an http(s) URL, got {url!r}")
    if article is not None and (not isinstance(article, str) or not article.strip()):
        fail(f"public reference '{reference['title']}': 'id' must be a non-empty string")


def reference_label(reference: dict, documents: dict | None = None, files: bool = True) -> str:
    """One reference as text: 'Title (file) § section' for a document, 'id Title <url>' for a public one.

    documents: the catalog's documents (for their titles; without it the file name stands alone);
    files: whether a document reference names its file as well as its title.
    """
    if "document" in reference:
        name = reference["document"]
        title = (documents or {}).get(name, {}).get("title")
        head = name if not title else (f"{title} ({name})" if files else title)
        return f"{head} § {reference['section']}"
    parts = [reference.get("id"), reference.get("title")]
    text = " ".join(part for part in parts if part)
    if reference.get("section"):
        text += f" § {reference['section']}"
    return text + (f" <{reference['url']}>" if reference.get("url") else "")


def reference_text(flow: Flow, documents: dict | None = None, files: bool = True) -> str:
    """Render a flow's references as 'document § section; ...' (see reference_label)."""
    return "; ".join(reference_label(ref, documents, files) for ref in flow.references)


def flow_as_dict(catalog: Catalog, flow: Flow) -> dict:
    """Return a flow as a plain dict for Ansible, with resolved ports."""
    result = {
        "id": flow.id,
        "product": flow.product,
        "from": flow.source,
        "to": flow.destination,
        "protocols": list(flow.protocols),
        "ports": [str(port_range) for port_range in catalog.resolve_ports(flow)],
        "port_specs": list(flow.ports),
        "description": flow.description,
        "section": flow.section,
        "references": [dict(reference) for reference in flow.references],
        "feature": flow.feature,
        "service": flow.service,
        "to_addresses": list(flow.to_addresses),
        "from_addresses": list(flow.from_addresses),
        "note": flow.note,
        "layer": flow.layer,
        "supplement": flow.supplement,
        "reason": flow.reason,
        "corrects": list(flow.corrects),
    }
    return result


def catalog_as_dict(catalog: Catalog) -> dict:
    """Return the whole catalog as plain data for Ansible."""
    return {
        "products": {key: {"title": value["title"]} for key, value in catalog.products.items()},
        "shared": {key: {"title": value["title"]} for key, value in catalog.shared.items()},
        "documents": catalog.documents,
        "components": catalog.components,
        "features": catalog.features,
        "symbolic_ports": catalog.symbolic_ports,
        "flows": [flow_as_dict(catalog, flow) for flow in catalog.flows],
    }
