# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options and attributes of the modules that apply a Linux host's planned rules."""

from __future__ import annotations


class ModuleDocFragment:
    """Used by vdi.firewall.firewalld_rules and vdi.firewall.nftables_rules."""

    DOCUMENTATION = r"""
options:
  rules:
    description:
      - The host's rules. Each is a dictionary with C(name) (unique, characters C([a-z0-9_+.-])),
        C(direction) (C(in) or C(out)), C(protocol) (C(tcp), C(udp), C(icmp), C(icmpv6), C(vrrp),
        C(gre) or C(esp)), C(local_ports) and C(remote_ports) (lists of ports and C(a-b) ranges;
        empty means any port), C(remote_addresses) (IPv4 and IPv6 addresses or CIDRs; never empty,
        C(0.0.0.0/0) and C(::/0) for any address), and optionally C(flows) and C(description).
        Other keys are ignored.
      - Inbound rules match C(local_ports) as destination ports; outbound rules match
        C(remote_ports) as destination ports. The notes say how the other ports are matched.
      - C(icmp) rules apply to their IPv4 addresses only, C(icmpv6) rules to their IPv6 addresses only.
    type: list
    elements: dict
    default: []
  management:
    description:
      - Management access that is always allowed, before any rule, for example the SSH port from the
        Ansible controller. Each entry is C(protocol) (C(tcp) or C(udp), default C(tcp)), C(port) and
        C(remote_addresses) (never empty).
    type: list
    elements: dict
    default: []
  management_controller:
    description:
      - Management access from the Ansible controller, allowed like O(management) and in addition
        to it. The address is the controller's as this host sees it - the first field of
        C(SSH_CLIENT) in the module's environment, as a /32 or /128 - so that no facts need to be
        gathered for it.
      - Without C(SSH_CLIENT) (a local, container or other connection that is not SSH)
        O(management_controller.fallback) decides.
      - The same outcome as the P(vdi.firewall.management_entries#filter) filter without CIDRs and
        with C(ssh_client=ansible_facts.env.SSH_CLIENT); the P(vdi.firewall.firewalld#role) and
        P(vdi.firewall.nftables#role) roles use it when no management CIDRs are set and the host's
        facts were not gathered.
    type: dict
    suboptions:
      port:
        description: The management port.
        type: int
        required: true
      protocol:
        description: Its transport.
        type: str
        choices: [tcp, udp]
        default: tcp
      fallback:
        description:
          - Without C(SSH_CLIENT) - V(any) allows the port from every IPv4 and IPv6 address,
            V(none) adds no entry, V(fail) fails before anything is applied.
        type: str
        choices: [any, none, fail]
        default: any
attributes:
  platform:
    support: full
    platforms: posix
    description: Runs on the Linux host whose firewall it manages.
"""
