#!/usr/bin/python
# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the plan_rules action plugin (it runs on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: plan_rules
author: vdi.firewall contributors (@vdi-firewall)
short_description: Plan least-privilege firewall rules for VDI hosts from inventory groups
version_added: 1.0.0
description:
  - Works out, on the controller and in one pass, every host's inbound and outbound rules from the
    port catalog and the inventory. Connects to no host.
  - A host's components come from its groups (C(broker), C(gateway), C(halb), C(vda),
    C(storefront), ... mapped per C(vdi_firewall_product); a group named after a component id maps
    to it; C(vdi_firewall_group_map) adds or overrides) and from C(vdi_firewall_components).
  - A host's address is C(vdi_firewall_address), else C(ansible_host) when it is an IP address
    (IPv4 or IPv6).
  - Peers outside the inventory come from C(vdi_firewall_endpoints) (component to CIDRs, C(any) for
    every address). A flow whose peer has neither hosts nor endpoints is listed under
    C(unresolved), and fails the task when O(strict) is on.
  - Each host gets inbound rules for flows whose destination is one of its components (remote =
    the source peers) and outbound rules for flows whose source is one of its components. Ports
    are merged into ranges and addresses into CIDRs, one rule per direction, protocol and remote
    address set, named deterministically (C(vdi-<in|out>-<protocol>-<peer components>)), each
    with the ids of the flows it serves. Flows from or to the loopback component (C(loopback) true
    in the catalog) are never rules.
  - Flows switched by a feature follow C(vdi_firewall_features) of the host over the feature's
    documented default.
  - Run it once per play (C(run_once=true)); it plans every host of the play (or O(hosts)) while
    seeing the whole inventory for peer addresses, so sliced runs plan only their own hosts.
  - "Least-privilege lint: every host's plan lists C(warnings): inbound rules to an internal
    component (anything but the user-facing Gateway, StoreFront, HALB, Secure Gateway, RD Gateway
    and RD Web Access; see O(tiers)) that admit any address (C(open_to_any)) or a source wider than
    a /16 of IPv4 or a /48 of IPv6 (C(wide_source)); plaintext ports planned while the document
    offers a secure alternative between the same components (C(plaintext): HTTP/HTTPS, LDAP/LDAPS,
    Global Catalog/over SSL, ADC HA synchronisation and MEP non-secure/secure, ICA/ICA over TLS);
    rules that open a whole dynamic RPC range, 49152-65535 or 1024-65535 (C(dynamic_rpc_range))."
  - With O(secure_only), the plaintext port of such a pair is left out of the rules (and listed
    under C(omitted_plaintext)); only where the secure alternative is planned too.
  - Journeys (see O(journeys)) - the paths users and administrators depend on, shipped per product
    under C(vars/journeys/) - are checked against the plans - every hop open outbound at the source
    host and inbound at the destination host - and returned in RV(journeys) as complete, broken (with
    the first missing hop and end) or not applicable; O(strict) fails on a broken journey.
options:
  hosts:
    description: Hosts to plan. Defaults to the play's hosts (C(ansible_play_hosts_all)).
    type: list
    elements: str
  output_dir:
    description:
      - Write C(hosts/<inventory_hostname>.json) for every planned host and C(flows.csv) (the
        deployment's flows between real peers) into this directory. Files are only rewritten when
        their content changes; stale host files are removed. Nothing is written in check mode.
      - Also writes C(report.html), one self-contained page for a change board (summary, warnings,
        a diagram of components and flows drawn by Graphviz C(dot), the flow matrix to filter and
        sort, every host's rules), and C(change_request.csv) and C(change_request.xlsx), one row per
        rule a firewall team enters (source and destination addresses, protocol, ports, flow ids,
        references, description, warnings).
      - Without Graphviz C(dot) on the controller the page says that the diagram was not drawn and
        the task warns; without the Python library C(openpyxl) the XLSX file is not written (a
        stale one is removed) and the task warns. Nothing else changes.
    type: path
  strict:
    description: Fail when a flow has no peer. Defaults to C(vdi_firewall_strict), else false.
    type: bool
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
    description:
      - Values for symbolic ports such as C(dynamic_rpc) or C(wmi_fixed_port). Defaults to
        C(vdi_firewall_symbolic_ports).
    type: dict
  secure_only:
    description:
      - Leave out a plaintext port (HTTP, LDAP, non-secure HA synchronisation, ICA without TLS, ...)
        wherever the document offers a secure alternative between the same components and that
        alternative is planned. Defaults to C(vdi_firewall_secure_only), else false.
    type: bool
  supplements:
    description:
      - Plan the supplement layer (C(vars/catalog/supplements/)) as well as the documents' rows - flows
        a working deployment needs that the documents leave out or refer elsewhere for (the user
        device to Citrix Gateway front door, Active Directory domain membership, ...), each with its
        reason and public reference. V(false) plans the documents literally. Defaults to
        C(vdi_firewall_supplements), else true.
      - Each rule lists the supplement flows behind it in C(supplement_flows) and says where its flows
        come from in C(layer) (V(document), V(supplement) or V(document+supplement)).
    type: bool
  tiers:
    description:
      - Component id to C(edge) or C(internal), over the defaults (user-facing Gateway, StoreFront,
        HALB, Secure Gateway, RD Gateway and RD Web Access are C(edge), everything else
        C(internal)). Only internal components are warned about when open to any address. Defaults
        to C(vdi_firewall_tiers).
    type: dict
  topology:
    description:
      - Component to addresses of the whole deployment, as an earlier, unsliced run returned it in
        RV(topology). Its addresses count as peers like O(endpoints), so that a run that sees only
        part of the inventory (an AWX job slice) plans its hosts exactly as the whole run would.
      - Defaults to C(vdi_firewall_topology); the C(vdi.firewall.plan) playbook hands it on with
        O(stats=true), so AWX workflows pass it to the next job.
    type: dict
  return_hosts:
    description:
      - Return every planned host's plan in RV(hosts). Turn it off when only the written files are
        wanted (on large inventories, passing the plans back through Ansible costs more than
        planning them).
    type: bool
    default: true
  probes:
    description:
      - Also work out, for every planned host, the TCP probes that prove its outbound flows to
        peers that are hosts of the plan (see P(vdi.firewall.probe_targets#filter)), in one pass,
        and return them in RV(probes). The C(vdi.firewall.verify) playbook uses it.
    type: bool
    default: false
  summary:
    description:
      - Show the plan's summary (hosts and rules planned, flows without a peer, least-privilege
        warnings, plaintext ports left out, journeys, the files written or, in check mode, that would
        be, a limited run's scope, hosts in no VDI group) in the task's output, one line each, as the
        C(vdi.firewall.plan) playbook ends with it. Shown as the task runs, before its status line.
    type: bool
    default: false
  stats:
    description:
      - Hand the deployment's topology (RV(topology)) on as the custom statistic
        C(vdi_firewall_topology), as M(ansible.builtin.set_stats) with O(ansible.builtin.set_stats#module:per_host=false)
        would. AWX and ansible-runner keep it as an artifact, and an AWX workflow passes it to its
        next job as an extra variable (O(topology) of a sliced run).
    type: bool
    default: false
  journeys:
    description:
      - Check the journeys of the deployment's products against the plans, count them in
        RV(summary), list each host's journeys in its C(hosts/<host>.json), and show them in
        C(report.html) and in the C(Journeys) sheet of C(change_request.xlsx).
      - Defaults to C(vdi_firewall_journeys), else true.
    type: bool
  journeys_dir:
    description: Load the journeys from this directory instead of the collection's C(vars/journeys/).
    type: path
attributes:
  check_mode:
    support: full
    description: Plans as usual and reports which files would change, writing nothing.
  diff_mode:
    support: none
    description: The written files are the record of the plan.
  platform:
    support: full
    platforms: all
    description: Runs on the controller only.
notes:
  - Requires the Python library C(netaddr) on the controller; the reports use Graphviz C(dot) and
    the Python library C(openpyxl) when they are there.
seealso:
  - plugin: vdi.firewall.catalog
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Plan the rules of every host of the play and write the reports
  vdi.firewall.plan_rules:
    output_dir: "{{ playbook_dir }}/out"
  run_once: true
  delegate_to: localhost
  register: plan

- name: Show the rules of one host
  ansible.builtin.debug:
    var: plan.hosts['ctx-ddc1'].rules

- name: Plan without plaintext alternatives, StoreFront reachable from the internal network only
  vdi.firewall.plan_rules:
    output_dir: "{{ playbook_dir }}/out"
    secure_only: true
    tiers: "{{ store_tiers }}"  # component id -> edge or internal, here the store's component: internal
  run_once: true
  delegate_to: localhost
  register: plan

- name: Show the least-privilege warnings of one host
  ansible.builtin.debug:
    var: plan.hosts['ctx-vda1'].warnings
"""

RETURN = r"""
hosts:
  description: Host name to its plan (empty when O(return_hosts=false)).
  returned: success
  type: dict
  sample:
    ctx-ddc1:
      host: ctx-ddc1
      product: citrix
      components: [broker, member]
      addresses: [10.10.1.11/32]
      rules:
        - name: vdi-in-tcp-web_store
          direction: in
          protocol: tcp
          local_ports: ["80", "443"]
          remote_ports: []
          remote_addresses: [10.10.2.21/32, 10.10.2.22/32]
          peers: [web_store]
          flows: [citrix_storefront_001]
          supplement_flows: []
          layer: document
          description: from Citrix StoreFront server
        - name: vdi-out-udp-directory
          direction: out
          protocol: udp
          local_ports: []
          remote_ports: ["53", "88", "123", "389", "464"]
          remote_addresses: [10.10.9.10/31]
          peers: [directory]
          flows: [infra_sup_dm_001, infra_sup_dm_002, infra_sup_dm_003, infra_sup_dm_004, infra_sup_dm_007]
          supplement_flows: [infra_sup_dm_001, infra_sup_dm_002, infra_sup_dm_003, infra_sup_dm_004, infra_sup_dm_007]
          layer: supplement
          description: to Active Directory domain controller
      unresolved: []
      warnings:
        - code: plaintext
          rule: vdi-in-tcp-web_store
          flows: [citrix_storefront_007]
          message: >-
            vdi-in-tcp-web_store allows tcp/80 (HTTP) from Citrix StoreFront while the document
            offers tcp/443 (HTTPS) between the same components; set vdi_firewall_secure_only: true to drop it
      omitted_plaintext: []
summary:
  description:
    - Counts of planned hosts, rules and unresolved flows, and the peers without addresses.
    - Warnings in all (C(warnings)), per code (C(warning_counts)), hosts with at least one warning,
      and plaintext ports left out by O(secure_only) (C(omitted_plaintext)).
    - Supplement flows planned (C(supplement_flows), 0 with O(supplements=false)).
    - Journeys checked, complete, broken and not applicable, and one line per broken journey
      naming its first missing hop (C(broken_journeys)).
  returned: success
  type: dict
  sample:
    hosts: 12
    rules: 140
    unresolved: 3
    unresolved_peers: [cloud_service]
    warnings: 5
    warning_counts: {dynamic_rpc_range: 2, open_to_any: 1, plaintext: 2}
    hosts_with_warnings: 4
    omitted_plaintext: 0
    supplement_flows: 14
    journeys: 8
    journeys_complete: 7
    journeys_broken: 1
    journeys_not_applicable: 0
    broken_journeys: ["citrix_director_admin (hop 2 console -> broker tcp/443|80: ...)"]
probes:
  description: Host name to its probes (C(targets) and C(skipped)); empty unless O(probes=true).
  returned: success
  type: dict
  sample: {ctx-sf1: {targets: [{host: 192.0.2.21, port: 443, protocol: tcp, expect: open, name: "ctx-ddc1|citrix_storefront_007"}], skipped: []}}
settings:
  description:
    - What the plan was made with, read once from the options and the C(vdi_firewall_*) variables - O(strict),
      O(secure_only), O(supplements), O(tiers), O(symbolic_ports), O(group_map), C(vdi_firewall_resolve_names),
      C(vdi_firewall_allow_loopback), O(journeys), O(catalog_dir) (the endpoints are in the inventory, the
      deployment's addresses in RV(topology)).
    - Whatever reads the plan later reads these, never the variables again - P(vdi.firewall.probe_targets#filter)
      given the whole result, and the C(vdi.firewall.windows) role given it as C(vdi_firewall_plan).
  returned: success
  type: dict
  sample: {strict: false, secure_only: true, supplements: true, tiers: {}, symbolic_ports: {dynamic_rpc: "50000-50100"},
           group_map: null, resolve_names: true, allow_loopback: false, journeys: true, catalog_dir: null}
topology:
  description: Component to the merged addresses of its inventory hosts (input for O(topology) of a sliced run).
  returned: success
  type: dict
  sample: {broker: [192.0.2.21/32, 192.0.2.22/32], desktop: [192.0.2.100/30]}
ansible_stats:
  description:
    - RV(topology) as the custom statistic C(vdi_firewall_topology), in the form M(ansible.builtin.set_stats)
      returns; Ansible keeps it for the run (AWX, as an artifact).
  returned: success, when O(stats=true)
  type: dict
  sample: {data: {vdi_firewall_topology: {broker: [192.0.2.21/32]}}, per_host: false, aggregate: true}
products:
  description: Products of the deployment whose flows were considered.
  returned: success
  type: list
  elements: str
files_written:
  description: Files (relative to O(output_dir)) written, or that would be written in check mode.
  returned: success
  type: list
  elements: str
files_removed:
  description: Stale host files (and report files no longer produced) removed from O(output_dir).
  returned: success
  type: list
  elements: str
report_notices:
  description: What the reports lack and why (no Graphviz C(dot), no C(openpyxl)); also shown as warnings.
  returned: success
  type: list
  elements: str
  sample: ["report.html has no diagram: Graphviz 'dot' was not found on the controller (install the package 'graphviz', ...)"]
journeys:
  description:
    - One entry per journey of the deployment's products (empty when O(journeys=false)), with its
      C(status) (C(complete), C(broken), C(not_applicable)), C(reason), C(first_missing) and C(hops);
      each hop with its C(status) (C(open), C(missing), C(off), C(unchecked), C(not_applicable)) and the
      C(missing) ends. The shape is documented in C(plugins/plugin_utils/_journeys.py) and docs/journeys.md.
  returned: success
  type: list
  elements: dict
  sample:
    - id: citrix_site_database
      title: Site database
      product: citrix
      status: complete
      reason: null
      first_missing: null
      hosts: [ctx-ddc1, ctx-ddc2, ctx-sql1]
      hops:
        - {hop: 1, from: broker, to: database, protocol: tcp, ports: ["1433"], match: all,
           status: open, missing: [], sources: [ctx-ddc1, ctx-ddc2], destinations: [ctx-sql1]}
device_plan:
  description:
    - What M(vdi.firewall.device_acls) needs of this plan to build the network devices' ACLs without
      planning again - give it as that module's O(vdi.firewall.device_acls#module:plan) (the role
      C(vdi.firewall.network_acl) takes the whole result as C(vdi_firewall_acl_plan)). Empty when the
      inventory has no network device or zone firewall.
    - C(flows) - the deployment's flows between real peers, each with C(flow_id), C(protocol),
      C(source_addresses) and C(destination_addresses) (CIDRs separated by spaces), C(ports) (as in the
      catalog, empty for portless protocols), C(source) and C(destination) (the components).
    - C(hosts) - every planned host to its C(addresses) and C(platform) (C(windows), C(linux),
      C(network), C(appliance)), for the controller's management entries.
  returned: success
  type: dict
  sample:
    flows:
      - {flow_id: citrix_cvad_018, protocol: tcp, source_addresses: 198.51.100.0/24,
         destination_addresses: 192.0.2.101/32 192.0.2.102/31, ports: "1494", source: ..., destination: ...}
    hosts:
      ctx-vda1: {addresses: [192.0.2.101/32], platform: windows}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vdi.firewall.plugins.module_utils._argspecs import PLAN_RULES_ARGUMENT_SPEC


def main():
    """Only reached when called as a module: the work is done by the action plugin."""
    module = AnsibleModule(argument_spec=PLAN_RULES_ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg="vdi.firewall.plan_rules runs on the controller as an action plugin")


if __name__ == "__main__":
    main()
