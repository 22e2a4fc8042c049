# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: plan every host's least-privilege rules once, on the controller."""

from __future__ import annotations

import gc
from contextlib import contextmanager

from ansible.plugins.action import ActionBase

from ansible_collections.vdi.firewall.plugins.module_utils._argspecs import PLAN_RULES_ARGUMENT_SPEC
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
    plan_files,
    report_files,
    stale_host_files,
    write_files,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._variables import unknown_variables, variable_notices
from ansible_collections.vdi.firewall.plugins.plugin_utils._verify import all_probe_targets


class ActionModule(ActionBase):
    """Plan the rules of the play's hosts from the whole inventory, in one pass."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        with _collector_paused():
            return self._run(tmp, task_vars)

    def _run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=PLAN_RULES_ARGUMENT_SPEC)

        notices: list[str] = []
        try:
            # every host's variables read once, for every reader below
            task_vars = read_hostvars(task_vars)
            strict = strict_setting(task_vars, args)
            catalog = load_catalog(args.get("catalog_dir"))
            settings = planner_settings(task_vars, args)
            topology = build_topology(catalog, host_inputs(task_vars), **settings)
            journeys_on = journeys_setting(task_vars, args)
            if "output_dir" in self._task.args and not args.get("output_dir"):
                raise VdiFirewallError("output_dir (vdi_firewall_output_dir) is empty: give a directory to write to")
            inventory_hosts = list((task_vars.get("groups") or {}).get("all", ()))
            wanted = args.get("hosts") or task_vars.get("ansible_play_hosts_all") or None
            # a run limited to some of the inventory's hosts (--limit, or the hosts option)
            limited = wanted is not None and bool(set(inventory_hosts) - set(wanted))
            plans = plan_hosts(topology, wanted, strict=strict)
            summary = summarise(plans)
            summary["limited"] = limited
            summary["inventory_hosts"] = len(inventory_hosts)
            # nothing the inventory says is silently dropped: hosts in no VDI group, unknown variables
            unknown = unknown_variables(vdi_variable_names(task_vars))
            summary["not_planned"] = topology.not_planned
            summary["unknown_variables"] = unknown
            # the whole deployment, once: a limited run's journeys and reports still see every host and device
            whole = plan_hosts(topology, None) if limited else plans
            device_names = inventory_devices(task_vars)
            flow_rows = deployment_flows(topology, whole) if device_names or args.get("output_dir") else []
            devices = device_results(task_vars, catalog, topology, flow_rows, device_names) if device_names else None
            summary["zone_devices"] = device_names
            journeys = None
            if journeys_on:
                # every hop at both host ends and on every zone device between them
                journeys = check_journeys(topology, whole, load_journeys(catalog, args.get("journeys_dir")),
                                          devices=device_checks(devices) if devices else None)
            summary.update(summarise_journeys(journeys or []))
            failure = strict_failure(journeys or []) if strict else None
            if failure:
                raise VdiFirewallError(failure)
            probes = all_probe_targets(catalog, plans, topology.symbolic_ports or None) if args["probes"] else {}
            changes = {"written": [], "removed": []}
            if args.get("output_dir"):
                # the deployment-wide files describe the whole deployment, its zone devices included (a
                # network-only inventory still gets a report of its devices)
                files = plan_files(plans, flow_rows, journeys)
                reports, notices = report_files(topology, whole, flow_rows, journeys=journeys,
                                                output_dir=args["output_dir"], devices=devices)
                files.update(reports)
                # another host's plan stays unless that host has left the inventory (or, unlimited, the plan)
                keep = set(inventory_hosts) if limited else set(plans)
                remove = stale_host_files(args["output_dir"], keep) + [name for name in REPORT_FILES if name not in files]
                changes = write_files(args["output_dir"], files, check_mode=self._task.check_mode, remove=remove)
        except VdiFirewallError as exc:
            result.update(failed=True, msg=f"vdi.firewall.plan_rules: {exc}")
            return result
        notices = list(topology.notices) + variable_notices(unknown) + feature_notices(topology, plans) + list(notices)
        if notices:
            result["warnings"] = [f"vdi.firewall.plan_rules: {notice}" for notice in notices]
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
        return result


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
