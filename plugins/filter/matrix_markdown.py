# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin rendering the catalog as a Markdown flow matrix."""

from __future__ import annotations

DOCUMENTATION = r"""
name: matrix_markdown
author: vdi.firewall contributors (@vdi-firewall)
short_description: Render the port catalog as a Markdown flow matrix
version_added: 1.0.0
description:
  - Takes the catalog returned by P(vdi.firewall.catalog#lookup) and returns a Markdown document
    with one table per product section, one row per flow and protocol, each with its flow id and
    document reference.
options:
  _input:
    description: The catalog dictionary from P(vdi.firewall.catalog#lookup).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Write the matrix
  ansible.builtin.copy:
    content: "{{ lookup('vdi.firewall.catalog') | vdi.firewall.matrix_markdown }}"
    dest: /tmp/matrix.md
    mode: "0644"
"""

RETURN = r"""
_value:
  description: Markdown text.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.vdi.firewall.plugins.plugin_utils._ansible_errors import reraise_as
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.export import matrix_markdown


def _matrix_markdown(catalog):
    with reraise_as(AnsibleFilterError, "vdi.firewall.matrix_markdown"):
        return matrix_markdown(catalog)


class FilterModule:
    """vdi.firewall.matrix_markdown"""

    def filters(self):
        return {"matrix_markdown": _matrix_markdown}
