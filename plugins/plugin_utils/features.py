# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Features that follow the inventory: a feature whose component is there defaults to on.

A feature's components are the components that, within its product, only flows behind features
need, and that every one of the feature's flows involves (``ras_reporting`` -> ``ras_reporting``,
``ras_ssrs``, ``sql_server``; ``ras_enrollment_server`` -> ``ras_enrollment_server``;
``ras_vdi_hyperv`` -> ``hyperv_host``; ``rds_connection_broker_ha`` -> ``sql_server``). A feature
whose components are a part of another's (``ras_reporting_sql_dynamic_port``) is a variant of it
and stays as documented. A catalog feature may also list ``components`` itself.

When an inventory host of one of the deployment's products has one of those components, the
feature defaults to on; a ``vdi_firewall_features`` / ``vdi_firewall_feature_list`` value of false
still switches it off.
"""

from __future__ import annotations

_CACHE: dict[int, tuple] = {}


def _feature_components(catalog) -> dict[str, frozenset]:
    involved: dict[tuple[str, str], list] = {}
    by_feature: dict[str, list] = {}
    for flow in catalog.flows:
        for component in sorted({flow.source, flow.destination}):
            involved.setdefault((flow.product, component), []).append(flow)
        if flow.feature:
            by_feature.setdefault(flow.feature, []).append(flow)
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
    or switched on). present: the components the deployment has; a flow whose peer is absent is left out."""
    off = set()
    for flow in catalog.flows:
        if flow.source not in components and flow.destination not in components:
            continue
        peer = flow.destination if flow.source in components else flow.source
        if present is not None and peer not in present:
            continue
        if flow.feature is None:
            return []
        enabled = (features or {}).get(flow.feature, catalog.features[flow.feature]["default"])
        if enabled:
            return []
        off.add(flow.feature)
    return sorted(off)
