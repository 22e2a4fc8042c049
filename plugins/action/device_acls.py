# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: every network device's ACLs between zones, once, on the controller."""

from __future__ import annotations

from ansible.utils.display import Display

from ansible_collections.vdi.firewall.plugins.module_utils._device_acls_argspec import DEVICE_ACLS_ARGUMENT_SPEC
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl import (
    acl_files,
    build_device_acls,
    catalog_texts,
    normalise_options,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._action_base import VdiActionBase
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog
from ansible_collections.vdi.firewall.plugins.plugin_utils._devices import PLAN_FLOW_KEYS, device_input, is_device
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._inventory import host_inputs, planner_settings
from ansible_collections.vdi.firewall.plugins.plugin_utils._platforms import host_platform
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import build_topology, deployment_flows, plan_hosts
from ansible_collections.vdi.firewall.plugins.plugin_utils._outputs import stale_files
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.files import write_files

display = Display()


def _stale(output_dir: str, inventory_hosts) -> list[str]:
    """acls/<device>.csv, .rendered.txt and .rendered.xml of devices no longer in the inventory (a sliced run keeps the others')."""
    return stale_files(output_dir, "acls", (".rendered.txt", ".rendered.xml", ".csv"), set(inventory_hosts))


def _plan_input(plan) -> tuple[list[dict], dict]:
    """The deployment flows and planned hosts of vdi.firewall.plan_rules' device_plan, checked."""
    flows, hosts = plan.get("flows"), plan.get("hosts")
    if not isinstance(flows, list) or not isinstance(hosts, dict):
        raise VdiFirewallError("plan must be the device_plan that vdi.firewall.plan_rules returns ({flows: [...], hosts: {...}})")
    for index, row in enumerate(flows):
        missing = [key for key in PLAN_FLOW_KEYS[:5] if not isinstance(row, dict) or key not in row]
        if missing:
            raise VdiFirewallError(f"plan: flow #{index} lacks {', '.join(missing)}")
    return flows, hosts


def _planned(catalog, task_vars: dict, args: dict) -> tuple[list[dict], dict]:
    """Used alone (no plan): plan the deployment here, with the settings plan_rules reads."""
    hostvars = task_vars.get("hostvars") or {}
    topology = build_topology(catalog, host_inputs(task_vars, catalog.products), **planner_settings(task_vars, args))
    rows = deployment_flows(topology, plan_hosts(topology))
    hosts = {host: {"addresses": list(addresses), "platform": host_platform(hostvars[host], host)}
             for host, addresses in topology.host_addresses.items()}
    return rows, hosts


class ActionModule(VdiActionBase):
    """Work out the ACLs of the play's network devices from the whole inventory, in one pass."""

    TRANSFERS_FILES = False
    _requires_connection = False
    ARGUMENT_SPEC = DEVICE_ACLS_ARGUMENT_SPEC
    ERRORS = (VdiFirewallError, OSError)

    def act(self, result, args, task_vars):
        hostvars = task_vars.get("hostvars") or {}
        names = args.get("devices")
        if not names:
            # hosts and devices share a play (one inventory of both): only the devices get ACLs
            names = [name for name in task_vars.get("ansible_play_hosts_all") or []
                     if name in hostvars and is_device(hostvars[name], name)]
        unknown = [name for name in names if name not in hostvars]
        if unknown:
            raise VdiFirewallError(f"device '{unknown[0]}' is not in the inventory")
        options = normalise_options(
            return_traffic=args["return_traffic"],
            log_deny=args["log_deny"],
            afis=args["afis"],
            icmpv6_essential=args["icmpv6_essential"],
            icmp_essential=args["icmp_essential"],
            management_host_ports=args.get("management_host_ports"),
            management_device_ports=args.get("management_device_ports"),
        )
        catalog = load_catalog(args.get("catalog_dir"))
        if args.get("plan"):
            rows, hosts = _plan_input(args["plan"])  # the one plan of vdi.firewall.plan_rules
        else:
            rows, hosts = _planned(catalog, task_vars, args)
        references, descriptions = catalog_texts(catalog)
        devices = build_device_acls(
            [device_input(name, hostvars[name]) for name in names],
            rows, hosts, options, references, descriptions,
        )
        changes: dict[str, list[str]] = {"written": [], "removed": []}
        if args.get("output_dir"):
            files = acl_files(devices)
            inventory_hosts = set((task_vars.get("groups") or {}).get("all", ())) | set(hostvars)
            changes = write_files(args["output_dir"], files, check_mode=self._task.check_mode,
                                  remove=_stale(args["output_dir"], inventory_hosts))
        warnings = [warning for device in devices.values() for warning in device["warnings"]]
        for warning in warnings:
            display.warning(f"{self.plugin_name}: {warning}")
        result.update(
            changed=bool(changes["written"] or changes["removed"]),
            devices=devices,
            summary={
                "devices": len(devices),
                "acls": sum(len(group["acls"]) for device in devices.values() for group in device["acls"]),
                "entries": sum(len(device["entries"]) for device in devices.values()),
                "flows": len(rows),
            },
            files_written=changes["written"],
            files_removed=changes["removed"],
        )
        return result
