# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin computing the management entries that the Linux backends keep open."""

from __future__ import annotations

DOCUMENTATION = r"""
name: management_entries
author: vdi.firewall contributors (@vdi-firewall)
short_description: Management access to keep open, from CIDRs or the controller's SSH address
version_added: 1.0.0
description:
  - Returns the O(management) entries of P(vdi.firewall.firewalld_rules#module) and
    P(vdi.firewall.nftables_rules#module) - a list with one C({protocol, port, remote_addresses}).
  - The addresses are the input CIDRs when there are any; else the controller's address as the host
    sees it, taken from O(ssh_client) (the C(SSH_CLIENT) environment variable of an SSH connection);
    else what O(fallback) says.
options:
  _input:
    description: CIDRs allowed to reach the management port; may be empty.
    type: list
    elements: str
    required: true
  port:
    description: The management port, usually C(ansible_port) or 22.
    type: int
    required: true
  protocol:
    description: Its transport.
    type: str
    choices: [tcp, udp]
    default: tcp
  ssh_client:
    description: The value of C(SSH_CLIENT) on the host (C(ADDRESS CLIENT_PORT SERVER_PORT)), if any.
    type: str
  fallback:
    description:
      - When there are no CIDRs and no SSH client address (a local, container or WinRM connection).
      - V(any) keeps the port open from every IPv4 and IPv6 address, so that nobody is locked out;
        V(none) returns no entry; V(fail) fails.
    type: str
    choices: [any, none, fail]
    default: any
"""

EXAMPLES = r"""
- name: Keep SSH open from the controller
  vdi.firewall.firewalld_rules:
    rules: "{{ vdi_firewall_rules }}"
    management: >-
      {{ vdi_firewall_management_cidrs | vdi.firewall.management_entries(
           port=ansible_port | default(22), ssh_client=ansible_facts.env.SSH_CLIENT | default('')) }}
"""

RETURN = r"""
_value:
  description: Zero or one management entry.
  type: list
  elements: dict
  sample: [{protocol: tcp, port: 22, remote_addresses: [192.0.2.10/32]}]
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.vdi.firewall.plugins.plugin_utils._ansible_errors import reraise_as
from ansible_collections.vdi.firewall.plugins.plugin_utils._management import management_entries


def _management_entries(cidrs, port, protocol="tcp", ssh_client=None, fallback="any"):
    with reraise_as(AnsibleFilterError, "vdi.firewall.management_entries"):
        return management_entries(cidrs, port, protocol=protocol, ssh_client=ssh_client, fallback=fallback)


class FilterModule:
    """vdi.firewall.management_entries"""

    def filters(self):
        return {"management_entries": _management_entries}
