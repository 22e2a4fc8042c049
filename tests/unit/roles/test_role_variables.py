# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One naming scheme for the roles' variables, each with its default in one place.

Every public variable of a role has its default in the role's defaults/main.yml (null when unset has a
meaning of its own) and is an option of its meta/argument_specs.yml with the same default; every option
has a default there or is required. The names are the collection's: collection-wide variables
(vdi_firewall_*, shared by roles, or read by the planner and the playbooks) and the role's own, with the
prefix its argument spec documents. The roles' vars/ and tasks/ give public variables no defaults of
their own, and renamed variables are still read under their old names.
"""

from __future__ import annotations

import re
from pathlib import Path
from unittest.mock import patch

import pytest
import yaml

from ansible_collections.vdi.firewall.plugins.filter import renamed_variable as renamed
from ansible_collections.vdi.firewall.plugins.plugin_utils._variables import PLANNER_VARIABLES

ROOT = Path(__file__).resolve().parents[3]
COLLECTION = "vdi_firewall_"
# role -> the prefix of its own variables
OWN_PREFIX = {
    "firewalld": "vdi_firewall_firewalld_",
    "nftables": "vdi_firewall_nftables_",
    "nftables_zones": "vdi_firewall_nftables_zones_",
    "windows": "vdi_firewall_windows_",
    "network_acl": "vdi_firewall_acl_",
}
# the device entries' options (vdi.firewall.device_acls), shared by the roles that work the entries out
SHARED_PREFIXES = ("vdi_firewall_acl_",)
ROLES = list(OWN_PREFIX)
# a default of a public variable in vars/ or tasks/ (omit is no default: the module's own applies)
VARIABLE_DEFAULT = re.compile(r"\b(vdi_firewall_\w+)\s*\|\s*default\((?!omit\b)")
RENAMED = re.compile(r"renamed_variable\('(\w+)',\s*'(\w+)'\)")


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None


def spec_of(role: str) -> dict:
    return load(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]


def options_of(role: str) -> dict:
    return spec_of(role).get("options") or {}


def defaults_of(role: str) -> dict:
    defaults = load(ROOT / "roles" / role / "defaults" / "main.yml")
    assert isinstance(defaults, dict), f"roles/{role}/defaults/main.yml holds no variables"
    return defaults


def collection_wide() -> set[str]:
    """Variables of more than one role, and those the planner and the playbooks read (see also SHARED_PREFIXES)."""
    seen: dict[str, int] = {}
    for role in OWN_PREFIX:
        for name in options_of(role):
            seen[name] = seen.get(name, 0) + 1
    return {name for name, count in seen.items() if count > 1} | set(PLANNER_VARIABLES)


def role_texts(role: str):
    for folder in ("vars", "tasks"):
        for path in sorted((ROOT / "roles" / role / folder).glob("*.yml")):
            yield path, path.read_text(encoding="utf-8")


def test_every_role_is_covered():
    assert sorted(path.name for path in (ROOT / "roles").iterdir() if path.is_dir()) == sorted(OWN_PREFIX)


@pytest.mark.parametrize("role", ROLES)
def test_every_default_is_an_option_and_every_option_has_a_default_or_is_required(role):
    options, defaults = options_of(role), defaults_of(role)
    assert sorted(set(defaults) - set(options)) == [], "defaults that the argument spec does not document"
    missing = sorted(name for name, option in options.items() if name not in defaults and not option.get("required"))
    assert missing == [], "options with no default in defaults/main.yml that are not required"


@pytest.mark.parametrize("role", ROLES)
def test_the_argument_spec_states_the_defaults_of_defaults_main(role):
    options, defaults = options_of(role), defaults_of(role)
    for name, value in defaults.items():
        option = options.get(name) or {}
        if value is None or (isinstance(value, str) and "{{" in value):
            # unset, or worked out from other variables: the description says what applies
            assert option.get("default") is None, f"{name}: the spec's default is not the role's ({value!r})"
        else:
            assert option.get("default") == value, f"{name}: spec default {option.get('default')!r}, role default {value!r}"


@pytest.mark.parametrize("role", ROLES)
def test_every_name_is_collection_wide_or_has_the_roles_prefix(role):
    shared, own = collection_wide(), OWN_PREFIX[role]
    names = set(options_of(role)) | set(defaults_of(role))
    assert sorted(name for name in names if not name.startswith(COLLECTION)) == []
    assert sorted(name for name in names
                  if not name.startswith((own,) + SHARED_PREFIXES) and name not in shared) == []
    assert f"C({own}*)" in " ".join(spec_of(role).get("description") or []), "the spec does not document the prefix"


@pytest.mark.parametrize("role", ROLES)
def test_vars_and_tasks_give_public_variables_no_defaults(role):
    found = [f"{path.relative_to(ROOT)}: {match.group(1)}" for path, text in role_texts(role)
             for match in VARIABLE_DEFAULT.finditer(text)]
    assert found == []


@pytest.mark.parametrize("role", ROLES)
def test_renamed_variables_are_still_read_under_their_old_names(role):
    options = options_of(role)
    pairs = [match.groups() for _path, text in role_texts(role) for match in RENAMED.finditer(text)]
    for old, new in pairs:
        assert new in options and old not in options
        vars_text = (ROOT / "roles" / role / "vars" / "main.yml").read_text(encoding="utf-8")
        assert f"if {old} is defined else {new}" in vars_text
    # the variables the roles had under their names before
    before = {"firewalld": 2, "nftables": 3, "nftables_zones": 6, "windows": 0, "network_acl": 0}
    assert len(pairs) == before[role]


def test_renamed_variable_returns_the_value_and_warns_once_with_the_new_name():
    with patch.object(renamed, "Display") as display:
        assert renamed.renamed_variable([1], "old_name", "vdi_firewall_new_name") == [1]
    display.return_value.deprecated.assert_called_once_with(
        "The variable old_name is deprecated: set vdi_firewall_new_name instead (while old_name is set, its value is used)",
        version="2.0.0", collection_name="vdi.firewall")
    assert renamed.FilterModule().filters() == {"renamed_variable": renamed.renamed_variable}
