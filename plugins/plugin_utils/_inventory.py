# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the planner's inputs out of Ansible's task variables (groups and hostvars), once per run.

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import PRODUCTS
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import HostInput, with_topology

_TRUE = frozenset(("true", "yes", "on", "1", "y", "t"))
_FALSE = frozenset(("false", "no", "off", "0", "n", "f", ""))

HOST_VARIABLES = ("vdi_firewall_product", "vdi_firewall_components", "vdi_firewall_address", "ansible_host",
                  "vdi_firewall_features", "vdi_firewall_feature_list")


def survey_answer(task_vars: dict, variable: str):
    """An AWX survey's answer (a vdi_firewall_survey_* extra var), or None when it is empty or missing.

    Survey answers only add to the inventory: they fill in what it leaves unset, or go over it, and never
    replace an inventory value by a default.
    """
    value = task_vars.get(variable)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value.strip() if isinstance(value, str) else value


def feature_list(value) -> dict:
    """Parse vdi_firewall_feature_list: names to switch on, '!name' to switch off.

    A list, or a string of names separated by commas, spaces or new lines (as an AWX survey's
    text area gives it).
    """
    if value in (None, ""):
        return {}
    items = value if isinstance(value, (list, tuple)) else str(value).replace(",", " ").split()
    result = {}
    for item in items:
        name = str(item).strip()
        if name:
            result[name.lstrip("!")] = not name.startswith("!")
    return result


def host_groups(groups: dict) -> dict[str, list[str]]:
    """Invert Ansible's `groups` (group -> hosts) into host -> groups, skipping all/ungrouped."""
    result: dict[str, list[str]] = {}
    for group, members in groups.items():
        if group in ("all", "ungrouped"):
            continue
        for host in members:
            result.setdefault(host, []).append(group)
    return result


def plain(value):
    """Turn Ansible's lazy containers into plain Python data."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def _features(features, listed, sources=None, variable="vdi_firewall_feature_list"):
    """features with the names of a feature list over them; sources (if given) records which variable set each."""
    overlay = feature_list(listed)
    if not overlay:
        return features
    merged = dict(features) if isinstance(features, dict) else {}
    merged.update(overlay)
    if sources is not None:
        sources.update(dict.fromkeys(overlay, variable))
    return merged


def read_hostvars(task_vars: dict) -> dict:
    """task_vars with "hostvars" read once: a plain dict of every inventory host's variables.

    Ansible's ``hostvars[host]`` works a host's variables out afresh on every access (inventory, group
    and vars plugin data, facts, extra vars); reading each host once here lets every later reader of
    the run (host_inputs, vdi_variable_names, the zone devices) look them up for free. The variables
    stay lazy: a value is templated when it is read, as with ``hostvars`` itself.
    """
    hostvars = task_vars.get("hostvars") or {}
    if isinstance(hostvars, _ReadHostvars):
        return task_vars
    read = _ReadHostvars()
    for host in (task_vars.get("groups") or {}).get("all", ()):
        if host not in read and host in hostvars:
            read[host] = hostvars[host]
    return dict(task_vars, hostvars=read)


class _ReadHostvars(dict):
    """hostvars already read (see read_hostvars)."""


def host_inputs(task_vars: dict, products=None) -> list[HostInput]:
    """One HostInput per inventory host, read from hostvars.

    products: the products of the catalog the run plans with (an AWX survey's product must be one of
    them); default: the collection's own catalog's.
    """
    known = tuple(sorted(products)) if products is not None else PRODUCTS
    groups = task_vars.get("groups") or {}
    hostvars = task_vars.get("hostvars") or {}
    memberships = host_groups(groups)
    # from an AWX survey: the product of hosts that set none, features over every host's
    survey_product = survey_answer(task_vars, "vdi_firewall_survey_product")
    if survey_product is not None and survey_product not in known:
        raise VdiFirewallError(
            f"vdi_firewall_survey_product {survey_product!r} is not one of {', '.join(known)}")
    survey_features = survey_answer(task_vars, "vdi_firewall_survey_features")
    inputs = []
    for host in groups.get("all", []):
        variables = hostvars[host]
        values = {}
        sources: dict[str, str] = {}
        for name in HOST_VARIABLES:
            values[name] = plain(variables.get(name)) if name in variables else None
        inputs.append(HostInput(
            name=host,
            groups=tuple(sorted(memberships.get(host, ()))),
            product=values["vdi_firewall_product"] or survey_product,
            components=values["vdi_firewall_components"],
            address=values["vdi_firewall_address"],
            ansible_host=values["ansible_host"],
            features=_features(_features(values["vdi_firewall_features"], values["vdi_firewall_feature_list"], sources),
                               survey_features, sources, "vdi_firewall_survey_features"),
            feature_sources=sources,
        ))
    return inputs


def as_bool(value, where: str) -> bool:
    """A boolean from a bool or the strings Ansible accepts (an AWX survey gives 'true'/'false')."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise VdiFirewallError(f"{where}: {value!r} is not true or false")


def strict_setting(task_vars: dict, args: dict | None = None) -> bool:
    """Strict mode: the task's option, else vdi_firewall_strict; an AWX survey can switch it on, never off."""
    args = args or {}
    value = args.get("strict") if args.get("strict") is not None else task_vars.get("vdi_firewall_strict")
    return (as_bool(value, "vdi_firewall_strict")
            or as_bool(survey_answer(task_vars, "vdi_firewall_survey_strict"), "vdi_firewall_survey_strict"))


def journeys_setting(task_vars: dict, args: dict | None = None) -> bool:
    """The journeys' check: the task's option, else vdi_firewall_journeys, else on."""
    args = args or {}
    value = args.get("journeys") if args.get("journeys") is not None else task_vars.get("vdi_firewall_journeys")
    return _on_unless_false(value, "vdi_firewall_journeys")


def plan_settings(settings: dict, strict: bool, journeys: bool, catalog_dir=None) -> dict:
    """The settings a plan was made with, as plan_rules returns them in "settings": what planner_settings
    gave (but the endpoints, which the plan's "topology" and the inventory carry), strict, journeys and the
    catalog directory. Whatever reads the plan later (the probes, a role) reads them here, never the
    variables again."""
    result = {name: value for name, value in settings.items() if name != "endpoints"}
    result.update(strict=strict, journeys=journeys, catalog_dir=catalog_dir)
    return result


def _on_unless_false(value, where: str) -> bool:
    """A boolean setting that is on when unset (None)."""
    return True if value is None else as_bool(value, where)


def planner_settings(task_vars: dict, args: dict | None = None) -> dict:
    """The deployment-wide planner settings: a task's options over the vdi_firewall_* variables.

    Every action that plans (plan_rules, device_acls) reads them here, so that they plan alike.
    """
    args = args or {}

    def setting(option: str, variable: str):
        value = args.get(option)
        return value if value is not None else task_vars.get(variable)

    return {
        "group_map": setting("group_map", "vdi_firewall_group_map"),
        "endpoints": with_topology(setting("endpoints", "vdi_firewall_endpoints"),
                                   setting("topology", "vdi_firewall_topology")),
        "symbolic_ports": setting("symbolic_ports", "vdi_firewall_symbolic_ports"),
        "secure_only": as_bool(setting("secure_only", "vdi_firewall_secure_only"), "vdi_firewall_secure_only"),
        "tiers": setting("tiers", "vdi_firewall_tiers"),
        "supplements": _on_unless_false(setting("supplements", "vdi_firewall_supplements"), "vdi_firewall_supplements"),
        "resolve_names": True if setting("resolve_names", "vdi_firewall_resolve_names") is None
        else as_bool(setting("resolve_names", "vdi_firewall_resolve_names"), "vdi_firewall_resolve_names"),
        "allow_loopback": as_bool(setting("allow_loopback", "vdi_firewall_allow_loopback"), "vdi_firewall_allow_loopback"),
    }


def vdi_variable_names(task_vars: dict) -> dict[str, list[str]]:
    """Host -> the vdi_firewall_* variable names it sees (inventory, group and extra vars)."""
    hostvars = task_vars.get("hostvars") or {}
    names = {}
    for host in (task_vars.get("groups") or {}).get("all", []):
        variables = hostvars[host] if host in hostvars else {}
        names[host] = sorted(name for name in variables if str(name).lower().startswith("vdi_firewall_"))
    return names
