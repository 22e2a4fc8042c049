#!/usr/bin/python
# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the device_acls action plugin (it runs on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: device_acls
author: vdi.firewall contributors (@vdi-firewall)
short_description: ACLs for the network devices between VDI zones, in the ACL resource modules' shape
version_added: 1.0.0
description:
  - Works out, on the controller and in one pass, the ACLs of every network device of the play (or
    O(devices)) from the deployment's planned flows (the same planning as M(vdi.firewall.plan_rules)).
    Connects to no device.
  - A device's C(ansible_network_os) must be C(cisco.ios.ios), C(arista.eos.eos), C(cisco.nxos.nxos)
    or C(junipernetworks.junos.junos) (the short names C(ios), C(eos), C(nxos), C(junos) work too).
  - A Linux router between zones has no C(ansible_network_os); C(vdi_firewall_zone_firewall=nftables)
    makes it a device of platform C(nftables), whose entries M(vdi.firewall.nftables_zones) loads as a
    stateful forward ruleset. Connection tracking replaces return entries there (O(return_traffic) does
    not apply), and its aces are plain data (kind, protocol, source, destination, ports, zones, flows).
  - "A device joins the zones of C(vdi_firewall_zones) (zone name to C(cidrs), and optionally C(acl),
    C(interface), C(direction) C(in)/C(out), C(description)), all of them or those
    C(vdi_firewall_device_zones) lists (a list of zone names, or zone name to C(interface), C(acl),
    C(direction) for this device). Zones of one device must not overlap, and every zone needs CIDRs."
  - Every planned flow whose source addresses lie in one zone of the device and whose destination
    addresses lie in another crosses the device. It becomes a C(permit) entry (protocol, source and
    destination CIDRs, destination port or range) in the ACL of the source zone when that ACL is
    applied C(in), and in the ACL of the destination zone when that ACL is applied C(out).
  - Device ACLs do not track connections, so with O(return_traffic) each permitted flow also gets
    its return entry - TCP from the flow's port with C(established) (C(tcp-established) in the Junos set
    text), UDP from the flow's port to the peers' ephemeral ports 1024-65535, ICMP echo replies.
  - With C(vdi_firewall_management_cidrs) on the device, management entries come first - the
    controller keeps SSH or WinRM (O(management_host_ports)) to every planned host and its management
    port (O(management_device_ports)) to the device itself.
  - Flows become rules - address sets times port sets - merged along one dimension at a time (the ports
    of the same peers, the peers of the same ports), which keeps exactly what is permitted. On IOS an
    IPv4 address set of more than one CIDR becomes an C(object-group network) (its definition in
    C(object_group_lines)), on Junos a C(prefix-list) (C(prefix_lists), for
    M(junipernetworks.junos.junos_prefix_lists)); NX-OS and EOS list the CIDRs. Each rule's first entry
    carries remarks naming its flows and their documents. Rules are ordered (management, flows, return
    traffic, the ICMP and ICMPv6 the network needs, then an explicit deny), numbered by 10 and returned
    in the data shape of the platform's ACL resource module (C(afi)/C(acls)/C(aces)), with the
    interface bindings in the shape of its C(acl_interfaces) module, and as configuration text
    (C(text) - the lines as the device shows them; Junos C(set) commands).
  - An ACL exists for each address family the zone has CIDRs of (and that O(afis) lists).
options:
  devices:
    description: The network devices. Defaults to the play's hosts (C(ansible_play_hosts_all)) that are network
      devices - C(ansible_network_os) set, C(vdi_firewall_platform=network), C(vdi_firewall_backend=network_acl) or
      C(vdi_firewall_zone_firewall) set -, so
      that one play over hosts and devices gives ACLs to the devices only.
    type: list
    elements: str
  output_dir:
    description:
      - Write the change-request view C(acls/<device>.csv) for every device - one row per entry with
        its ACL, sequence, protocol, addresses, ports, zones, the ids of the flows it serves and their
        document references. Files are only rewritten when their content changes; files of devices
        no longer in the inventory are removed. Nothing is written in check mode.
    type: path
  return_traffic:
    description: Add the return entry of every permitted flow (device ACLs are stateless).
    type: bool
    default: true
  log_deny:
    description: Log the final deny (not expressible with C(junipernetworks.junos.junos_acls)).
    type: bool
    default: false
  afis:
    description: Address families to make ACLs for.
    type: list
    elements: str
    choices: [ipv4, ipv6]
    default: [ipv4, ipv6]
  icmpv6_essential:
    description:
      - In IPv6 ACLs, permit neighbour solicitation and advertisement, router solicitation and
        advertisement and packet-too-big before the deny (an explicit deny would otherwise break
        neighbour discovery and path MTU discovery), one entry per type. The Junos set text says the
        types; M(junipernetworks.junos.junos_acls) cannot, so its XML term permits all ICMPv6.
    type: bool
    default: true
  icmp_essential:
    description:
      - In IPv4 ACLs with flows, permit ICMP unreachable before the deny (path MTU discovery's
        fragmentation needed, and the quick failure of a refused connection).
    type: bool
    default: true
  plan:
    description:
      - The C(device_plan) that M(vdi.firewall.plan_rules) returns (C(flows), the deployment's flows, and
        C(hosts), the planned hosts' addresses and platforms). The ACLs are then built from that one plan,
        without planning again; O(group_map), O(endpoints) and O(symbolic_ports) do not apply.
      - Without it the module plans the deployment itself, with the settings M(vdi.firewall.plan_rules)
        reads (the C(vdi_firewall_*) variables of the inventory), so that it can be used on its own.
    type: dict
  management_host_ports:
    description:
      - TCP ports the controller keeps to every planned host.
      - Default - by the host's platform (P(vdi.firewall.host_platform#filter)) - C(windows) WinRM
        5985 and 5986, C(linux) and C(network) SSH 22, C(appliance) 22 and 443, and all of 22, 5985
        and 5986 when the platform is unknown.
    type: list
    elements: int
  management_device_ports:
    description:
      - TCP ports the controller keeps to the device itself. Default - C(ansible_port), else by
        C(ansible_connection) (C(network_cli) 22, C(netconf) 830, C(httpapi) 443).
    type: list
    elements: int
  catalog_dir:
    description: Load the catalog from this directory instead of the collection's C(vars/catalog/).
    type: path
  group_map:
    description: Group to component(s). Defaults to C(vdi_firewall_group_map).
    type: dict
  endpoints:
    description: Component to addresses/CIDRs of peers outside the inventory. Defaults to C(vdi_firewall_endpoints).
    type: dict
  symbolic_ports:
    description: Values for symbolic ports. Defaults to C(vdi_firewall_symbolic_ports).
    type: dict
attributes:
  check_mode:
    support: full
    description: Works out the ACLs as usual and reports which files would change, writing nothing.
  diff_mode:
    support: none
    description: The CSV files are the record; the resource modules show the device diff.
  platform:
    support: full
    platforms: all
    description: Runs on the controller only.
notes:
  - Requires the Python library C(netaddr) on the controller.
  - Fails with a message naming the device or zone on an unsupported or missing C(ansible_network_os),
    overlapping zones, a zone without CIDRs, an unknown zone setting, two zones sharing an ACL name.
seealso:
  - module: vdi.firewall.plan_rules
  - module: cisco.ios.ios_acls
  - module: arista.eos.eos_acls
  - module: cisco.nxos.nxos_acls
  - module: junipernetworks.junos.junos_acls
  - module: vdi.firewall.nftables_zones
"""

EXAMPLES = r"""
- name: Plan once, then work out the ACLs from that plan
  vdi.firewall.plan_rules:
    return_hosts: false
    journeys: false
  run_once: true
  delegate_to: localhost
  register: plan

- name: Work out the ACLs of the play's devices from the plan
  vdi.firewall.device_acls:
    plan: "{{ plan.device_plan }}"
  run_once: true
  delegate_to: localhost
  register: acl_plan

- name: Work out the ACLs of every device of the play and write the change-request CSVs
  vdi.firewall.device_acls:
    output_dir: "{{ playbook_dir }}/out"
  run_once: true
  delegate_to: localhost
  register: acl_plan

- name: Render this device's ACLs offline
  cisco.ios.ios_acls:
    config: "{{ acl_plan.devices[inventory_hostname].acls }}"
    state: rendered
  when: acl_plan.devices[inventory_hostname].platform == 'ios'
"""

RETURN = r"""
devices:
  description: Device name to its ACLs.
  returned: success
  type: dict
  sample:
    fw-ios:
      device: fw-ios
      network_os: cisco.ios.ios
      platform: ios
      modules: {acls: cisco.ios.ios_acls, acl_interfaces: cisco.ios.ios_acl_interfaces}
      zones: [{name: users, cidrs: [198.51.100.0/24], acl: VDI-USERS-IN, interface: GigabitEthernet0/1, direction: in}]
      acls:
        - afi: ipv4
          acls:
            - name: VDI-USERS-IN
              acl_type: extended
              aces:
                - sequence: 10
                  grant: permit
                  protocol: tcp
                  source: {address: 198.51.100.0, wildcard_bits: 0.0.0.255}
                  destination: {host: 203.0.113.11, port_protocol: {eq: "443"}}
                - sequence: 20
                  grant: deny
                  protocol: ip
                  source: {any: true}
                  destination: {any: true}
      interfaces:
        - name: GigabitEthernet0/1
          access_groups: [{afi: ipv4, acls: [{name: VDI-USERS-IN, direction: in}]}]
      text: ["ip access-list extended VDI-USERS-IN", " remark flows: citrix_gateway_001", " 10 permit tcp ..."]
      address_groups: {VDI-VDA: [192.0.2.101/32, 192.0.2.102/32]}
      object_group_lines: [object-group network VDI-VDA, " host 192.0.2.101", " host 192.0.2.102"]
      entries:
        - {device: fw-ios, acl: VDI-USERS-IN, afi: ipv4, sequence: 10, action: permit, protocol: tcp,
           source: 198.51.100.0/24, destination: 203.0.113.11/32, destination_port: "443", kind: flow,
           flows: citrix_gateway_001, references: "Communication Ports Used by Citrix Technologies (003_661a4aab3c5f7bd6.txt) § Citrix Gateway"}
      warnings: []
summary:
  description: Counts of devices, ACLs, entries and deployment flows considered.
  returned: success
  type: dict
  sample: {devices: 4, acls: 40, entries: 620, flows: 180}
files_written:
  description: Files (relative to O(output_dir)) written, or that would be written in check mode.
  returned: success
  type: list
  elements: str
files_removed:
  description: Files of devices no longer in the inventory removed from O(output_dir).
  returned: success
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vdi.firewall.plugins.module_utils._device_acls_argspec import DEVICE_ACLS_ARGUMENT_SPEC


def main():
    """Only reached when called as a module: the work is done by the action plugin."""
    module = AnsibleModule(argument_spec=DEVICE_ACLS_ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg="vdi.firewall.device_acls runs on the controller as an action plugin")


if __name__ == "__main__":
    main()
