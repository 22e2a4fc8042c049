# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Features: combined feature expressions, and features that follow the inventory.

Internal to vdi.firewall, not a public interface: it may change in any release.

A flow's ``feature`` is a feature name or a combination of them: ``{all: [...]}`` (on when every
expression is on), ``{any: [...]}`` (when one is) and ``{not: ...}`` (when it is off), nested at
will. ``feature_on`` evaluates one, ``feature_names`` lists the names it uses.

A feature's components are the components that, within its product, only flows behind features
need, and that every one of the feature's flows involves (a reporting feature -> its reporting
service, report server and SQL Server; a hypervisor feature -> the hypervisor host). A feature
whose components are a part of another's (a port choice of the same service) is a variant of it
and stays as documented. A catalog feature may also list ``components`` itself.

When an inventory host of one of the deployment's products has one of those components, the
feature defaults to on; a ``vdi_firewall_features`` / ``vdi_firewall_feature_list`` value of false
still switches it off.
"""

from __future__ import annotations

_CACHE: dict[int, tuple] = {}
_COMBINATIONS = ("all", "any", "not")


def feature_names(expression, positive_only: bool = False) -> tuple[str, ...]:
    """The feature names an expression uses, in order (positive_only: not those under a ``not``).

    Raises ValueError for something that is no feature expression."""
    if isinstance(expression, str):
        return (expression,)
    if not isinstance(expression, dict) or len(expression) != 1 or next(iter(expression)) not in _COMBINATIONS:
        raise ValueError(f"{expression!r} is neither a feature name nor one of {{all: [...]}}, {{any: [...]}}, {{not: ...}}")
    (operator, operand), = expression.items()
    if operator == "not":
        return () if positive_only else feature_names(operand)
    if not isinstance(operand, list) or not operand:
        raise ValueError(f"'{operator}' needs a non-empty list of feature expressions, got {operand!r}")
    names: list[str] = []
    for item in operand:
        names.extend(name for name in feature_names(item, positive_only) if name not in names)
    return tuple(names)


def feature_on(expression, features: dict | None, catalog_features: dict) -> bool:
    """Whether a (validated) feature expression is on: features (name -> bool) over the catalog defaults."""
    if expression is None:
        return True
    if isinstance(expression, str):
        if features and expression in features:
            return features[expression]
        return catalog_features[expression]["default"]
    (operator, operand), = expression.items()
    if operator == "not":
        return not feature_on(operand, features, catalog_features)
    results = (feature_on(item, features, catalog_features) for item in operand)
    return all(results) if operator == "all" else any(results)


def feature_text(expression) -> str:
    """An expression as text: 'a', 'a and b', 'a or b', 'not a' (parenthesised when nested)."""
    if expression is None:
        return ""
    if isinstance(expression, str):
        return expression
    (operator, operand), = expression.items()
    if operator == "not":
        inner = feature_text(operand)
        return f"not {inner}" if isinstance(operand, str) else f"not ({inner})"
    words = [feature_text(item) if isinstance(item, str) else f"({feature_text(item)})" for item in operand]
    return f" {'and' if operator == 'all' else 'or'} ".join(words)


def _feature_components(catalog) -> dict[str, frozenset]:
    involved: dict[tuple[str, str], list] = {}
    by_feature: dict[str, list] = {}
    for flow in catalog.flows:
        for component in sorted({flow.source, flow.destination}):
            involved.setdefault((flow.product, component), []).append(flow)
        for name in feature_names(flow.feature, positive_only=True) if flow.feature else ():
            by_feature.setdefault(name, []).append(flow)
    candidates: dict[str, frozenset] = {}
    for name, flows in by_feature.items():
        product = catalog.features.get(name, {}).get("product")
        gated = {component for flow in flows for component in (flow.source, flow.destination)
                 if all(other.feature for other in involved.get((product, component), ()))}
        # the product's own components first; shared infrastructure (a Hyper-V host, SQL) only when none is
        own = {component for component in gated if catalog.components.get(component, {}).get("product") == product}
        own = own or gated
        if own and all(flow.source in own or flow.destination in own for flow in flows):
            candidates[name] = frozenset(own)
    # a feature whose components are a part of another's is a variant of it (a port choice, not a component)
    result = {name: own for name, own in candidates.items()
              if not any(other != name and own < others for other, others in candidates.items())}
    for name, feature in catalog.features.items():
        if feature.get("components"):
            result[name] = frozenset(feature["components"])
    return result


def feature_components(catalog) -> dict[str, frozenset]:
    """Feature -> the components that only it needs (see the module's docstring); once per catalog."""
    cached = _CACHE.get(id(catalog))
    if cached is None or cached[0] is not catalog:
        cached = (catalog, _feature_components(catalog))
        _CACHE.clear()
        _CACHE[id(catalog)] = cached
    return cached[1]


def features_by_presence(catalog, component_hosts: dict, products=()) -> dict[str, list[str]]:
    """Features of these products that default to on because an inventory host has one of their components:
    feature -> hosts."""
    result = {}
    for name, components in feature_components(catalog).items():
        if catalog.features[name]["default"] or catalog.features[name].get("product") not in products:
            continue
        hosts = sorted({host for component in components for host in component_hosts.get(component, ())})
        if hosts:
            result[name] = hosts
    return dict(sorted(result.items()))


def gated_off(catalog, components, features: dict | None, present=None) -> list[str]:
    """The switched-off features behind which the flows of these components sit (empty if any flow is ungated
    or switched on; for a combined feature, the names that keep it off, a switched-on one under a ``not``
    too). present: the components the deployment has; a flow whose peer is absent is left out."""
    off = set()
    for flow in catalog.flows:
        if flow.source not in components and flow.destination not in components:
            continue
        peer = flow.destination if flow.source in components else flow.source
        if present is not None and peer not in present:
            continue
        if flow.feature is None or feature_on(flow.feature, features, catalog.features):
            return []
        off.update(_blocking(flow.feature, features, catalog.features))
    return sorted(off)


def _blocking(expression, features: dict | None, catalog_features: dict, negated: bool = False) -> set[str]:
    """The names whose values keep an expression off: switched off, or switched on under a ``not``."""
    if isinstance(expression, str):
        return {expression} if feature_on(expression, features, catalog_features) is negated else set()
    (operator, operand), = expression.items()
    if operator == "not":
        return _blocking(operand, features, catalog_features, not negated)
    return {name for item in operand for name in _blocking(item, features, catalog_features, negated)}
