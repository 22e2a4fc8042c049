#!/usr/bin/python
# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the verify_report action plugin (it runs on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: verify_report
author: vdi.firewall contributors (@vdi-firewall)
short_description: Gather the play's probe results into a verification report, failing when a required flow failed
version_added: 1.0.0
description:
  - Reads the probe results each host of the play registered (from M(vdi.firewall.probe), or its
    Windows equivalent in the C(vdi.firewall.verify) playbook), maps every probe back to the flows
    it proves, and reports per flow whether every probe passed.
  - Writes C(verify.json) (summary, per-flow outcome, every probe) and C(verify.csv) (one row per
    flow and probe) into O(output_dir) when given.
  - Fails, listing the failed flows and probes, when a required flow failed and
    O(fail_on_failure) is on, so that the playbook's outcome is non-zero.
  - With O(journeys), also reports per journey what the probes proved - complete, or the first hop
    whose probes failed and between which source host and destination host - in RV(journeys),
    the summary and C(verify.json).
  - Run it once (C(run_once=true)) after the probes.
options:
  hosts:
    description: Hosts whose results are gathered. Defaults to the play's hosts.
    type: list
    elements: str
  results_vars:
    description:
      - Registered variables holding a host's probe results; the first one that holds results
        (is not skipped) is used.
    type: list
    elements: str
    default: [vdi_firewall_probe, vdi_firewall_probe_windows]
  output_dir:
    description: Directory for C(verify.json) and C(verify.csv). Nothing is written in check mode.
    type: path
  fail_on_failure:
    description: Fail when a required flow failed.
    type: bool
    default: true
  journeys:
    description:
      - The journeys the plan checked, as M(vdi.firewall.plan_rules) returns them in C(journeys). The
        C(vdi.firewall.verify) playbook passes them.
    type: list
    elements: dict
attributes:
  check_mode:
    support: full
    description: Gathers and judges as usual, writes nothing.
  diff_mode:
    support: none
    description: The written files are the record.
  platform:
    support: full
    platforms: all
    description: Runs on the controller only.
seealso:
  - module: vdi.firewall.probe
  - plugin: vdi.firewall.probe_targets
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Gather the results and fail when a required flow failed
  vdi.firewall.verify_report:
    output_dir: /srv/reports/verify
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
summary:
  description: Hosts probed and not probed, probes, failed probes, flows and failed flows.
  returned: always
  type: dict
  sample: {hosts_probed: 3, hosts_not_probed: [], probes: 12, probes_failed: 1, flows: 7, flows_failed: [citrix_cvad_004]}
flows:
  description: Flow id to its outcome (passed, number of probes, failed probes).
  returned: always
  type: dict
  sample: {citrix_cvad_004: {passed: false, probes: 2, failed: ["ddc1 -> sql1 10.0.4.10:1433 timeout"]}}
journeys:
  description:
    - Per journey (empty without O(journeys)) its C(status) as the probes proved it - C(complete) (no
      probed hop failed), C(broken) (C(first_failure) - hop, source host, destination host, address,
      port, state), C(not_probed) (no hop between two inventory hosts) or C(not_applicable) - and
      its C(hops) with C(verified) (C(passed), C(failed), C(not_probed), C(off)) and the plan's
      status of the hop (C(plan)).
  returned: always
  type: list
  elements: dict
  sample:
    - id: citrix_site_database
      status: broken
      reason: "hop 1 broker -> database tcp/1433: ddc1 -> sql1 10.0.4.10:1433 timeout"
failure:
  description: Why the verification failed (the required flows that failed and the broken journeys); empty when
    every required flow passed. With O(fail_on_failure) it is also the task's C(msg).
  returned: always
  type: str
  sample: "1 required flow(s) failed: citrix_cvad_004: ddc1 -> sql1 10.0.4.10:1433 timeout"
summary_lines:
  description: The closing summary - hosts probed, probes, flows passed and failed, journeys proved.
  returned: always
  type: list
  elements: str
  sample: ["3 host(s) probed, 12 probe(s), 1 failed", "flows: 6 passed, 1 failed (citrix_cvad_004)"]
files_written:
  description: Files written into O(output_dir) (or that would be, in check mode).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vdi.firewall.plugins.module_utils._argspecs import VERIFY_REPORT_ARGUMENT_SPEC


def main():
    """Only reached when called as a module: the work is done by the action plugin."""
    module = AnsibleModule(argument_spec=VERIFY_REPORT_ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg="vdi.firewall.verify_report runs on the controller as an action plugin")


if __name__ == "__main__":
    main()
