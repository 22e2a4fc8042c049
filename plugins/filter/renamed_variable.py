# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin that keeps a renamed role variable working, with a deprecation warning."""

from __future__ import annotations

DOCUMENTATION = r"""
name: renamed_variable
author: vdi.firewall contributors (@vdi-firewall)
short_description: The value of a renamed variable, with a deprecation warning naming the new name
version_added: 1.0.0
description:
  - Returns its input unchanged and warns, once per run, that the variable O(old) is deprecated in
    favour of O(new).
  - The roles of the collection use it for their variables that were renamed to the collection's
    prefix (C(vdi_firewall_)) - while the old name is set, its value is used.
options:
  _input:
    description: The value of the old variable.
    type: raw
    required: true
  old:
    description: The old, deprecated name.
    type: str
    required: true
  new:
    description: The name to set instead.
    type: str
    required: true
  version:
    description: The collection version that stops reading the old name.
    type: str
    default: 2.0.0
"""

EXAMPLES = r"""
# in a role's vars/main.yml: the old name wins while it is set
__firewalld_install: >-
  {{ firewalld_install | vdi.firewall.renamed_variable('firewalld_install', 'vdi_firewall_firewalld_install')
     if firewalld_install is defined else vdi_firewall_firewalld_install }}
"""

RETURN = r"""
_value:
  description: The input, unchanged.
  type: raw
"""

from ansible.utils.display import Display

REMOVED_IN = "2.0.0"


def deprecation_message(old: str, new: str) -> str:
    """The warning for a variable that was renamed."""
    return f"The variable {old} is deprecated: set {new} instead (while {old} is set, its value is used)"


def renamed_variable(value, old: str, new: str, version: str = REMOVED_IN):
    Display().deprecated(deprecation_message(old, new), version=version, collection_name="vdi.firewall")
    return value


class FilterModule:
    """vdi.firewall.renamed_variable"""

    def filters(self):
        return {"renamed_variable": renamed_variable}
