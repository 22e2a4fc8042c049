# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin: the closing summary of vdi.firewall.apply."""

from __future__ import annotations

DOCUMENTATION = r"""
name: apply_summary
author: vdi.firewall contributors (@vdi-firewall)
short_description: The closing summary of vdi.firewall.apply, one line per backend
version_added: 1.1.0
description:
  - Takes C(hostvars) and returns one line per backend the run used - its hosts, how many changed (in check
    mode, would change), and the rules added and removed where the backend's module reports them
    (C(firewalld_rules)) - plus the hosts left alone and those that failed or were unreachable.
  - Reads the backend each host got (C(__vdi_firewall_apply_chosen), set by the apply playbook) and the
    result its role registers (C(firewalld_result), C(nftables_result), C(windows_rules_result),
    C(network_acl_acls_result), C(nftables_zones_result)).
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: Every host of the play (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  active:
    description: The hosts still active (C(ansible_play_hosts)); the others failed or were unreachable.
    type: list
    elements: str
    required: true
  check_mode:
    description: Whether the run is in check mode (C(ansible_check_mode)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Summarise the apply
  ansible.builtin.debug:
    msg: "{{ hostvars | vdi.firewall.apply_summary(hosts=ansible_play_hosts_all, active=ansible_play_hosts,
                                                  check_mode=ansible_check_mode) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: "One line per backend, for example C(firewalld: 3 host(s), 2 changed (rules added 5, removed 1))."
  type: list
  elements: str
"""

from ansible_collections.vdi.firewall.plugins.plugin_utils._summaries import apply_summary


def _apply_summary(hostvars, hosts, active, check_mode=False):
    return apply_summary(hostvars, list(hosts or []), set(active or []), bool(check_mode))


class FilterModule:
    """vdi.firewall.apply_summary"""

    def filters(self):
        return {"apply_summary": _apply_summary}
