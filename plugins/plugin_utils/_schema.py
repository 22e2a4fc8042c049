# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small JSON Schema validator for the subset the catalog's schemas use (pure Python, no dependency).

Internal to vdi.firewall, not a public interface: it may change in any release.

Supported keywords: ``type`` (one or a list of object, array, string, integer, number, boolean,
null), ``properties``, ``required``, ``additionalProperties`` (false or a schema),
``propertyNames``, ``items``, ``minItems``, ``maxItems``, ``uniqueItems``, ``enum``, ``const``, ``pattern``,
``minLength``, ``minimum``, ``maximum``, ``anyOf``, ``oneOf``, ``not`` and local ``$ref``
(``#/$defs/<name>``, or ``<$id>#/$defs/<name>`` of another schema of the registry). Annotations (``$schema``, ``$id``, ``title``, ``description``, ``$comment``,
``examples``, ``default``) are ignored. An unsupported keyword is an error, so that a schema never
claims more than this validator checks; tests/unit/plugins/plugin_utils/test_catalog_schema.py
checks the shipped schemas and data with the jsonschema package as well.

``errors(instance, schema)`` returns [(path, message)], path a tuple of keys and list indexes.
"""

from __future__ import annotations

import re

from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError, kind_of

_ANNOTATIONS = frozenset(("$schema", "$id", "title", "description", "$comment", "examples", "default", "$defs"))
_KEYWORDS = frozenset((
    "type", "properties", "required", "additionalProperties", "propertyNames", "items", "minItems", "maxItems",
    "uniqueItems", "enum", "const", "pattern", "minLength", "minimum", "maximum", "anyOf", "oneOf", "not", "$ref",
))
_TYPE_NAMES = {
    "object": "a mapping", "array": "a list", "string": "text", "integer": "a whole number",
    "number": "a number", "boolean": "true or false", "null": "null",
}


def _is_type(value, name: str) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    raise VdiFirewallError(f"schema: unknown type {name!r}")


def _resolve(schema: dict, root: dict, registry: dict | None = None) -> tuple[dict, dict]:
    """Follow $ref: '#/$defs/<name>' in the same schema, '<$id>#/$defs/<name>' in another of registry."""
    while "$ref" in schema:
        reference = schema["$ref"]
        base, _sep, fragment = reference.partition("#")
        if base:
            if not registry or base not in registry:
                raise VdiFirewallError(f"schema: {reference!r} names an unknown schema")
            root = registry[base]
        if not fragment.startswith("/$defs/"):
            raise VdiFirewallError(f"schema: only '#/$defs/...' references are supported, not {reference!r}")
        name = fragment[len("/$defs/"):]
        if name not in root.get("$defs", {}):
            raise VdiFirewallError(f"schema: {reference!r} names no definition")
        schema = root["$defs"][name]
    return schema, root


def _types_match(schema: dict, value, root: dict, registry: dict | None) -> bool:
    """Whether a branch of anyOf/oneOf is meant for values of this type (to report its error)."""
    schema, _root = _resolve(schema, root, registry)
    types = schema.get("type")
    if types is None:
        return "const" in schema and schema["const"] == value
    types = [types] if isinstance(types, str) else types
    if isinstance(value, dict) and "required" in schema and not set(schema["required"]) <= set(value):
        return False
    return any(_is_type(value, name) for name in types)


def errors(instance, schema: dict, root: dict | None = None, path: tuple = (),
           registry: dict | None = None) -> list[tuple[tuple, str]]:
    """Every violation of schema by instance, as (path, message); registry: $id -> schema for references."""
    root = root if root is not None else schema
    schema, root = _resolve(schema, root, registry)
    unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
    if unknown:
        raise VdiFirewallError(f"schema: unsupported keyword(s) {', '.join(sorted(unknown))}")
    found: list[tuple[tuple, str]] = []
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_is_type(instance, name) for name in names):
            wanted = " or ".join(_TYPE_NAMES[name] for name in names)
            return [(path, f"must be {wanted}, got {kind_of(instance)}")]
    if "const" in schema and instance != schema["const"]:
        found.append((path, f"must be {schema['const']!r}, got {instance!r}"))
    if "enum" in schema and instance not in schema["enum"]:
        found.append((path, f"{instance!r} is not one of {', '.join(str(item) for item in schema['enum'])}"))
    if isinstance(instance, str):
        if "minLength" in schema and len(instance) < schema["minLength"]:
            found.append((path, "must not be empty"))
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            found.append((path, f"{instance!r} does not match {schema['pattern']}"))
    if isinstance(instance, (int, float)) and not isinstance(instance, bool):
        if "minimum" in schema and instance < schema["minimum"]:
            found.append((path, f"{instance} is below {schema['minimum']}"))
        if "maximum" in schema and instance > schema["maximum"]:
            found.append((path, f"{instance} is above {schema['maximum']}"))
    if isinstance(instance, dict):
        found.extend(_object_errors(instance, schema, root, path, registry))
    if isinstance(instance, list):
        if "minItems" in schema and len(instance) < schema["minItems"]:
            found.append((path, f"needs at least {schema['minItems']} item(s)"))
        if "maxItems" in schema and len(instance) > schema["maxItems"]:
            found.append((path, f"has more than {schema['maxItems']} item(s)"))
        if schema.get("uniqueItems"):
            seen = []
            for item in instance:
                if item in seen:
                    found.append((path, f"lists {item!r} twice"))
                seen.append(item)
        if "items" in schema:
            for index, item in enumerate(instance):
                found.extend(errors(item, schema["items"], root, path + (index,), registry))
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            found.extend(_choice_errors(instance, schema, keyword, root, path, registry))
    if "not" in schema and not errors(instance, schema["not"], root, path, registry):
        found.append((path, "matches a form that is not allowed"))
    return found


def _object_errors(instance: dict, schema: dict, root: dict, path: tuple, registry) -> list[tuple[tuple, str]]:
    found: list[tuple[tuple, str]] = []
    properties = schema.get("properties", {})
    missing = [key for key in schema.get("required", ()) if key not in instance]
    found.extend((path, f"'{key}' is required") for key in missing)
    additional = schema.get("additionalProperties", True)
    if additional is False:
        unknown = sorted(str(key) for key in instance if key not in properties)
        if unknown:
            found.append((path, f"unknown key(s) {', '.join(unknown)}"))
    if "propertyNames" in schema:
        for key in instance:
            for _where, message in errors(key, schema["propertyNames"], root, path, registry):
                found.append((path, f"key {key!r}: {message}"))
    for key, value in instance.items():
        if key in properties:
            found.extend(errors(value, properties[key], root, path + (key,), registry))
        elif isinstance(additional, dict):
            found.extend(errors(value, additional, root, path + (key,), registry))
    return found


def _choice_errors(instance, schema: dict, keyword: str, root: dict, path: tuple, registry) -> list[tuple[tuple, str]]:
    branches = schema[keyword]
    results = [errors(instance, branch, root, path, registry) for branch in branches]
    passing = sum(1 for result in results if not result)
    if keyword == "oneOf" and passing > 1:
        return [(path, f"matches {passing} of the allowed forms, exactly one is wanted")]
    if passing:
        return []
    meant = [result for branch, result in zip(branches, results) if _types_match(branch, instance, root, registry)]
    if len(meant) == 1:
        return meant[0]
    forms = schema.get("description") or ", ".join(
        _resolve(branch, root, registry)[0].get("description", "?") for branch in branches)
    return [(path, f"{instance!r} is none of the allowed forms ({forms})")]
