# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: plan every host's least-privilege rules once, on the controller."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any

from ansible.utils.display import Display

from ansible_collections.vdi.firewall.plugins.module_utils._argspecs import PLAN_RULES_ARGUMENT_SPEC
from ansible_collections.vdi.firewall.plugins.plugin_utils._action_base import VdiActionBase
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog
from ansible_collections.vdi.firewall.plugins.plugin_utils._devices import (
    device_checks,
    device_plan,
    device_results,
    inventory_devices,
)
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._inventory import (
    host_inputs,
    journeys_setting,
    plan_settings,
    planner_settings,
    read_hostvars,
    strict_setting,
    vdi_variable_names,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._journeys import (
    check_journeys,
    load_journeys,
    strict_failure,
    summarise_journeys,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import (
    build_topology,
    deployment_flows,
    feature_notices,
    deployment_topology,
    plan_hosts,
    summarise,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.files import (
    REPORT_FILES,
    host_texts,
    plan_files,
    report_files,
    stale_host_files,
    write_files,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._summaries import plan_summary
from ansible_collections.vdi.firewall.plugins.plugin_utils._variables import unknown_variables, variable_notices
from ansible_collections.vdi.firewall.plugins.plugin_utils._verify import all_probe_targets

display = Display()


class ActionModule(VdiActionBase):
    """Plan the rules of the play's hosts from the whole inventory, in one pass."""

    TRANSFERS_FILES = False
    _requires_connection = False
    ARGUMENT_SPEC = PLAN_RULES_ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        with _collector_paused():
            return super().run(tmp, task_vars)

    def act(self, result, args, task_vars):
        # every host's variables read once, for every reader below
        task_vars = read_hostvars(task_vars)
        strict = strict_setting(task_vars, args)
        catalog = load_catalog(args.get("catalog_dir"))
        settings = planner_settings(task_vars, args)
        topology = build_topology(catalog, host_inputs(task_vars, catalog.products), **settings)
        journeys_on = journeys_setting(task_vars, args)
        if "output_dir" in self._task.args and not args.get("output_dir"):
            raise VdiFirewallError("output_dir (vdi_firewall_output_dir) is empty: give a directory to write to")
        inventory_hosts = list((task_vars.get("groups") or {}).get("all", ()))
        wanted = args.get("hosts") or task_vars.get("ansible_play_hosts_all") or None
        # a run limited to some of the inventory's hosts (--limit, or the hosts option)
        limited = wanted is not None and bool(set(inventory_hosts) - set(wanted))
        plans = plan_hosts(topology, wanted, strict=strict)
        # nothing the inventory says is silently dropped: hosts in no VDI group, unknown variables
        unknown = unknown_variables(vdi_variable_names(task_vars))
        # the whole deployment, once: a limited run's journeys and reports still see every host and device
        whole = plan_hosts(topology, None) if limited else plans
        device_names = inventory_devices(task_vars)
        flow_rows = deployment_flows(topology, whole) if device_names or args.get("output_dir") else []
        devices = device_results(task_vars, catalog, topology, flow_rows, device_names) if device_names else None
        summary = _summary(topology, plans, limited, inventory_hosts, unknown, device_names)
        journeys = _journeys(topology, whole, catalog, args, devices) if journeys_on else None
        summary.update(summarise_journeys(journeys or []))
        failure = strict_failure(journeys or []) if strict else None
        if failure:
            raise VdiFirewallError(failure)
        probes = all_probe_targets(catalog, plans, topology.symbolic_ports or None) if args["probes"] else {}
        changes, notices = self._write(args, topology, plans, whole, flow_rows, journeys, devices,
                                       set(inventory_hosts) if limited else set(plans))
        notices = list(topology.notices) + variable_notices(unknown) + feature_notices(topology, plans) + notices
        if notices:
            result["warnings"] = [f"{self.plugin_name}: {notice}" for notice in notices]
        result.update(
            changed=bool(changes["written"] or changes["removed"]),
            hosts=plans if args["return_hosts"] else {},
            summary=summary,
            products=list(topology.products),
            topology=deployment_topology(topology),
            # what the plan was made with: the probes and the roles read the plan, never the variables again
            settings=plan_settings(settings, strict, journeys_on, args.get("catalog_dir")),
            files_written=changes["written"],
            files_removed=changes["removed"],
            report_notices=notices,
            probes=probes,
            journeys=journeys or [],
            # the zone devices' part of this plan, for vdi.firewall.device_acls (its option plan)
            device_plan=device_plan(task_vars, topology, flow_rows) if device_names else {},
        )
        self._hand_on(result, args)
        return result

    def _hand_on(self, result: dict, args: dict[str, Any]) -> None:
        """The summary shown (option summary) and the topology handed on as a custom statistic (stats)."""
        if args["summary"]:
            for line in plan_summary(result, args.get("output_dir"), self._task.check_mode):
                display.display(line)
        if args["stats"]:
            # what ansible.builtin.set_stats returns with per_host=false: the run keeps it (AWX: an artifact)
            result["ansible_stats"] = {"data": {"vdi_firewall_topology": result["topology"]},
                                       "per_host": False, "aggregate": True}

    def _write(self, args: dict[str, Any], topology, plans: dict[str, dict], whole: dict[str, dict],
               flow_rows: list[dict], journeys: list[dict] | None, devices: dict[str, dict] | None,
               keep: set[str]) -> tuple[dict[str, list[str]], list[str]]:
        """The plan's files written to output_dir (when given), the stale ones removed; the reports' notices.

        keep: the hosts whose plans stay: another host's plan is removed only when that host has left the
        inventory (or, unlimited, the plan)."""
        if not args.get("output_dir"):
            return {"written": [], "removed": []}, []
        # the deployment-wide files describe the whole deployment, its zone devices included (a
        # network-only inventory still gets a report of its devices)
        # every host's file made once: written for the planned hosts, the whole deployment's fingerprinted
        texts = host_texts(whole, journeys)
        files = plan_files(plans, flow_rows, journeys, texts)
        reports, notices = report_files(topology, whole, flow_rows, journeys=journeys,
                                        output_dir=args["output_dir"], devices=devices, texts=texts)
        files.update(reports)
        remove = stale_host_files(args["output_dir"], keep) + [name for name in REPORT_FILES if name not in files]
        changes = write_files(args["output_dir"], files, check_mode=self._task.check_mode, remove=remove)
        return changes, list(notices)


def _journeys(topology, whole: dict[str, dict], catalog, args: dict[str, Any],
              devices: dict[str, dict] | None) -> list[dict]:
    """The catalog's journeys checked: every hop at both host ends and on every zone device between them."""
    return check_journeys(topology, whole, load_journeys(catalog, args.get("journeys_dir")),
                          devices=device_checks(devices) if devices else None)


def _summary(topology, plans: dict[str, dict], limited: bool, inventory_hosts: list[str], unknown: dict[str, dict],
             device_names: list[str]) -> dict[str, Any]:
    """The plan's summary (planner.summarise) with what the run covered and what it could not plan."""
    summary = summarise(plans)
    summary["limited"] = limited
    summary["inventory_hosts"] = len(inventory_hosts)
    summary["not_planned"] = topology.not_planned
    summary["unknown_variables"] = unknown
    summary["zone_devices"] = device_names
    return summary


@contextmanager
def _collector_paused():
    """No cyclic garbage collection while planning.

    The plan makes no reference cycles to speak of, while each of the collector's passes walks the whole
    heap of the worker, every inventory host's objects with it: a fifth of the run on a large site.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
