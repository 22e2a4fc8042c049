# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin rendering the catalog as a CSV flow matrix."""

from __future__ import annotations

DOCUMENTATION = r"""
name: matrix_csv
author: vdi.firewall contributors (@vdi-firewall)
short_description: Render the port catalog as a CSV flow matrix
version_added: 1.0.0
description:
  - Takes the catalog returned by P(vdi.firewall.catalog#lookup) and returns CSV text with a header
    row and one row per flow and protocol.
  - Columns are C(product, section, source, destination, protocol, ports, description, feature,
    reference, flow_id, source_id, destination_id, service, symbolic_ports, to_addresses,
    from_addresses, note). C(ports) holds comma-separated numbers and C(a-b) ranges.
options:
  _input:
    description: The catalog dictionary from P(vdi.firewall.catalog#lookup).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Write the matrix
  ansible.builtin.copy:
    content: "{{ lookup('vdi.firewall.catalog') | vdi.firewall.matrix_csv }}"
    dest: /tmp/matrix.csv
    mode: "0644"
"""

RETURN = r"""
_value:
  description: CSV text.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.vdi.firewall.plugins.plugin_utils._ansible_errors import reraise_as
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.export import matrix_csv


def _matrix_csv(catalog):
    with reraise_as(AnsibleFilterError, "vdi.firewall.matrix_csv"):
        return matrix_csv(catalog)


class FilterModule:
    """vdi.firewall.matrix_csv"""

    def filters(self):
        return {"matrix_csv": _matrix_csv}
