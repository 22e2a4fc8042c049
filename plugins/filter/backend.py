# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin choosing the backend that applies a host's rules (the backend registry's decision)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: backend
author: vdi.firewall contributors (@vdi-firewall)
short_description: The backend (and its role) that applies a host's planned rules
version_added: 1.1.0
description:
  - Takes a host's variables (C(hostvars[host])) and returns the backend that applies its rules, as
    C({name, role}); name C(none) (role empty) applies nothing.
  - C(vdi_firewall_backend) names one (C(firewalld), C(nftables), C(windows), C(network_acl), C(nftables_zones),
    C(none)); a host with C(vdi_firewall_zone_firewall=nftables) (a Linux router between zones) gets
    C(nftables_zones);
    unset or C(auto) chooses from the host's platform (see M(vdi.firewall.host_platform)) -
    C(network) devices get C(network_acl); a host with no rules, or an C(appliance), gets C(none);
    C(windows) gets C(windows); C(linux) gets C(firewalld) while the firewalld service is enabled or
    running (O(services)), else C(nftables).
  - A host whose platform nothing tells, or a backend that does not serve the host's platform, is an
    error naming the host - never a default rule set.
options:
  _input:
    description: The host's variables, for example C(hostvars[inventory_hostname]).
    type: dict
    required: true
  host:
    description: The host's name, used in error messages.
    type: str
    required: true
  has_rules:
    description: Whether the host has any rule to apply.
    type: bool
    default: true
  services:
    description: Names of the services enabled or running on the host (for example C([firewalld])).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Choose this host's backend
  ansible.builtin.set_fact:
    chosen: "{{ hostvars[inventory_hostname] | vdi.firewall.backend(host=inventory_hostname, services=['firewalld']) }}"

- name: Apply with it
  ansible.builtin.include_role:
    name: "{{ chosen.role }}"
  when: chosen.name != 'none'
"""

RETURN = r"""
_value:
  description: The chosen backend.
  type: dict
  contains:
    name:
      description: C(firewalld), C(nftables), C(windows), C(network_acl), C(nftables_zones) or C(none).
      type: str
    role:
      description: The role that applies it (empty for C(none)).
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.vdi.firewall.plugins.plugin_utils._ansible_errors import reraise_as
from ansible_collections.vdi.firewall.plugins.plugin_utils._backends import choose_backend
from ansible_collections.vdi.firewall.plugins.plugin_utils._platforms import host_platform


def _backend(variables, host, has_rules=True, services=None):
    with reraise_as(AnsibleFilterError, "vdi.firewall.apply"):
        platform = host_platform(variables, host)
        return choose_backend(host, variables.get("vdi_firewall_backend"), platform, bool(has_rules), services or (),
                              variables.get("vdi_firewall_zone_firewall"))


class FilterModule:
    """vdi.firewall.backend"""

    def filters(self):
        return {"backend": _backend}
