# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin turning a host's planned rules into community.windows.win_firewall_rule parameters."""

from __future__ import annotations

DOCUMENTATION = r"""
name: win_firewall_params
author: vdi.firewall contributors (@vdi-firewall)
short_description: Planned rules to community.windows.win_firewall_rule parameters
version_added: 1.0.0
description:
  - Takes a host's planned rules (the C(rules) of the host in the result of P(vdi.firewall.plan_rules#module))
    and returns one parameter set per rule for M(community.windows.win_firewall_rule), in plan order,
    preceded by a WinRM rule when O(management_cidrs) is given.
  - Each rule keeps the plan's name, is an C(allow) rule in the group O(group) and the profiles
    O(profiles), with C(localip=any).
  - C(remoteip) is the plan's remote addresses joined with commas (the module's C(remoteip) is a
    string that Windows splits on commas). Windows rejects a C(/0) prefix, so C(0.0.0.0/0) becomes
    the range C(0.0.0.0-255.255.255.255) and C(::/0) the whole IPv6 range; both together become C(any).
  - Protocols map to what the module accepts - C(tcp), C(udp), C(icmp) to C(icmpv4), C(icmpv6), and
    by IANA number C(vrrp) to C(112), C(gre) to C(47), C(esp) to C(50).
  - TCP and UDP rules get C(localport) (inbound) or C(remoteport) (outbound) from the plan and C(any)
    on the other side. ICMP rules get C(icmp_type_code) from O(icmp_type_codes).
  - The description is the plan's, followed by the ids of the flows the rule serves.
  - Fails with a message naming the host and the rule on a rule without ports for TCP/UDP, an unknown
    protocol or direction, an invalid address, or a name used twice.
options:
  _input:
    description: The host's planned rules.
    type: list
    elements: dict
    required: true
  group:
    description: The firewall rule group the collection owns.
    type: str
    default: vdi.firewall
  profiles:
    description: Firewall profiles the rules apply to.
    type: list
    elements: str
    choices: [domain, private, public]
    default: [domain, private]
  icmp_type_codes:
    description:
      - C(icmp) / C(icmpv6) to a list of C(type:code) (C(*) as code for every code). C(*) or an empty
        list allows every type.
      - 'Defaults to echo request only: C({"icmp": ["8:*"], "icmpv6": ["128:*"]}).'
    type: dict
  management_cidrs:
    description:
      - Addresses/CIDRs of the Ansible controller. When given, the first parameter set is the rule
        C(vdi-in-tcp-management-winrm), allowing O(management_ports) from them.
    type: list
    elements: str
  management_ports:
    description: WinRM ports allowed from O(management_cidrs).
    type: list
    elements: int
    default: [5985, 5986]
  host:
    description: The host's name, used in error messages.
    type: str
"""

EXAMPLES = r"""
- name: Apply the planned rules of this host
  community.windows.win_firewall_rule:
    name: "{{ item.name }}"
    group: "{{ item.group }}"
    direction: "{{ item.direction }}"
    action: "{{ item.action }}"
    protocol: "{{ item.protocol }}"
    localport: "{{ item.localport | default(omit) }}"
    remoteport: "{{ item.remoteport | default(omit) }}"
    remoteip: "{{ item.remoteip }}"
    profiles: "{{ item.profiles }}"
    state: present
  loop: "{{ plan.hosts[inventory_hostname].rules | vdi.firewall.win_firewall_params(host=inventory_hostname) }}"
  loop_control:
    label: "{{ item.name }}"
"""

RETURN = r"""
_value:
  description: One dictionary of M(community.windows.win_firewall_rule) parameters per rule.
  type: list
  elements: dict
  sample:
    - name: vdi-in-tcp-web_store
      group: vdi.firewall
      description: "from Citrix StoreFront server (vdi.firewall; flows: citrix_storefront_001)"
      direction: in
      action: allow
      enabled: true
      profiles: [domain, private]
      protocol: tcp
      localip: any
      remoteip: 192.0.2.31/32,192.0.2.32/32
      localport: "80,443"
      remoteport: any
      state: present
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.vdi.firewall.plugins.plugin_utils._ansible_errors import reraise_as
from ansible_collections.vdi.firewall.plugins.plugin_utils._windows import win_firewall_params


def _win_firewall_params(rules, group="vdi.firewall", profiles=None, icmp_type_codes=None, management_cidrs=None,
                         management_ports=None, host=""):
    with reraise_as(AnsibleFilterError, "vdi.firewall.win_firewall_params"):
        return win_firewall_params(
            rules,
            group=group,
            profiles=["domain", "private"] if profiles is None else profiles,
            icmp_type_codes=icmp_type_codes,
            management_cidrs=management_cidrs,
            management_ports=[5985, 5986] if management_ports is None else management_ports,
            host=host or "",
        )


class FilterModule:
    """vdi.firewall.win_firewall_params"""

    def filters(self):
        return {"win_firewall_params": _win_firewall_params}
