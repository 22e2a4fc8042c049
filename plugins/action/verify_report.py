# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: gather every host's probe results into one verification report."""

from __future__ import annotations

from typing import Any

from ansible_collections.vdi.firewall.plugins.module_utils._argspecs import VERIFY_REPORT_ARGUMENT_SPEC
from ansible_collections.vdi.firewall.plugins.plugin_utils._action_base import VdiActionBase
from ansible_collections.vdi.firewall.plugins.plugin_utils._journeys import summarise_verified, verify_journeys
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.files import write_files
from ansible_collections.vdi.firewall.plugins.plugin_utils._verify import flow_outcomes, report_files, result_rows


def _results_of(registered):
    """Probe results of a registered task: vdi.firewall.probe's `results`, or win_powershell's `result.results`."""
    if not isinstance(registered, dict) or registered.get("skipped"):
        return None
    if isinstance(registered.get("results"), list):
        return registered["results"]
    inner = registered.get("result")
    if isinstance(inner, dict) and isinstance(inner.get("results"), list):
        return inner["results"]
    return None


class ActionModule(VdiActionBase):
    """Collect the probe results of the play's hosts, write them, and fail when a flow failed."""

    ARGUMENT_SPEC = VERIFY_REPORT_ARGUMENT_SPEC

    def act(self, result, args, task_vars):
        hostvars = task_vars.get("hostvars") or {}
        hosts = args["hosts"] or task_vars.get("ansible_play_hosts_all") or []
        results_by_host, not_probed = {}, []
        for host in hosts:
            variables = hostvars[host] if host in hostvars else {}
            probed = [_results_of(variables.get(name)) for name in args["results_vars"] if name in variables]
            probed = [item for item in probed if item is not None]
            if not probed:
                not_probed.append(host)
                continue
            results_by_host[host] = list(probed[0])
        rows = result_rows(results_by_host)
        outcomes = flow_outcomes(rows)
        failed_flows = sorted(flow for flow, outcome in outcomes.items() if not outcome["passed"])
        summary: dict[str, Any] = {
            "hosts_probed": len(results_by_host),
            "hosts_not_probed": not_probed,
            "probes": len(rows),
            "probes_failed": sum(1 for row in rows if not row["passed"]),
            "flows": len(outcomes),
            "flows_failed": failed_flows,
        }
        # the journeys the plan checked, as the probes proved them (hops between two inventory hosts)
        journeys = verify_journeys(args["journeys"], rows) if args.get("journeys") is not None else None
        if journeys is not None:
            summary.update(summarise_verified(journeys))
        changes: dict[str, list[str]] = {"written": [], "removed": []}
        if args.get("output_dir"):
            # a file that cannot be written fails the task (VdiActionBase)
            changes = write_files(args["output_dir"], report_files(rows, outcomes, summary, journeys),
                                  check_mode=self._task.check_mode)
        result.update(changed=bool(changes["written"]), summary=summary, flows=outcomes, files_written=changes["written"],
                      journeys=journeys or [])
        failure = ""
        if failed_flows:
            details = "; ".join(f"{flow}: {', '.join(outcomes[flow]['failed'][:3])}" for flow in failed_flows[:10])
            broken = "; ".join(summary.get("broken_journeys", [])[:5])
            failure = f"{len(failed_flows)} required flow(s) failed: {details}" + (f"; broken journeys: {broken}" if broken else "")
        result.update(failure=failure, summary_lines=_summary_lines(summary, self._task.check_mode))
        if failure and args["fail_on_failure"]:
            result.update(failed=True, msg=failure)
        return result


def _summary_lines(summary: dict, check_mode: bool) -> list[str]:
    """The closing summary of a verification, like the plan's."""
    probed = "would probe" if check_mode else "probed"
    lines = [f"{summary['hosts_probed']} host(s) {probed}, {summary['probes']} probe(s), "
             f"{summary['probes_failed']} failed",
             f"flows: {summary['flows'] - len(summary['flows_failed'])} passed, {len(summary['flows_failed'])} failed"
             + (f" ({', '.join(summary['flows_failed'][:10])})" if summary["flows_failed"] else "")]
    if summary["hosts_not_probed"]:
        lines.append(f"not probed: {', '.join(summary['hosts_not_probed'][:10])}")
    if "journeys" in summary:
        lines.append(f"journeys: {summary['journeys_complete']} proved complete, {summary['journeys_broken']} broken, "
                     f"{summary['journeys_not_probed']} not probed, {summary['journeys_not_applicable']} not applicable"
                     + (f": {'; '.join(summary['broken_journeys'][:3])}" if summary["broken_journeys"] else ""))
    return lines
