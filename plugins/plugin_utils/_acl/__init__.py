# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to vdi.firewall: ACLs for network devices between zones, from the deployment's flows.

Not a public API: device_acls, plan_rules and devices.py use what this package exports, and may change
it together. model.py holds the zone and rule model, inputs.py checks the inventory's settings,
entries.py works out and merges a device's rules, common.py expands rules into entries (address
groups, remarks, numbering), one module per platform (ios, nxos, eos, junos, nftables) renders them
as its resource module's data and as configuration text, render.py puts a device's result together,
and permitted.py expands entries into the packets they permit (for tests and benchmarks).
"""

from __future__ import annotations

from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.entries import device_entries, flow_rows, management_targets
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.inputs import (
    NETWORK_OS,
    STATEFUL_PLATFORMS,
    SUPPORTED_NETWORK_OS,
    ZONE_FIREWALLS,
    acl_name,
    acl_names,
    device_platform,
    normalise_options,
    normalise_zones,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.model import (
    AFIS,
    MANAGEMENT_FLOW,
    AclOptions,
    DeviceInput,
    FlowRow,
    Rule,
    Zone,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.render import (
    CSV_COLUMNS,
    MODULES,
    acl_files,
    binding_interfaces,
    build_device_acls,
    catalog_texts,
    device_files,
    entries_csv,
    render_device,
)

__all__ = [
    "AFIS", "CSV_COLUMNS", "MANAGEMENT_FLOW", "MODULES", "NETWORK_OS", "STATEFUL_PLATFORMS", "SUPPORTED_NETWORK_OS",
    "ZONE_FIREWALLS", "AclOptions", "DeviceInput", "FlowRow", "Rule", "Zone", "acl_files", "acl_name", "acl_names",
    "binding_interfaces", "build_device_acls", "catalog_texts", "device_entries", "device_files", "device_platform",
    "entries_csv", "flow_rows", "management_targets", "normalise_options", "normalise_zones", "render_device",
]
