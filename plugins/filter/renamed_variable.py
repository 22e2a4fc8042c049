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
    favour of O(new), and that the collection's version 2.0.0 stops reading it.
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


def deprecation_message(old: str, new: str) -> str:
    """The warning for a variable that was renamed."""
    return f"The variable {old} is deprecated: set {new} instead (while {old} is set, its value is used)"


def renamed_variable(value, old: str, new: str):
    Display().deprecated(deprecation_message(old, new), version="2.0.0", collection_name="vdi.firewall")
    return value


class FilterModule:
    """vdi.firewall.renamed_variable"""

    def filters(self):
        return {"renamed_variable": renamed_variable}
