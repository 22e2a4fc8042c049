# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn catalog x inventory into each host's least-privilege rules (pure Python, no Ansible).

Internal to vdi.firewall, not a public interface: it may change in any release.

The planner, along its seams; each module imports only the ones above it:

- ``model``: what the planner knows of a host (HostInput) and of the deployment (Topology, with its caches)
- ``topology``: inventory -> topology (build_topology and the checks of its variables)
- ``selection``: which flows, peers and ports each host gets
- ``compaction``: those grouped by peer address set into named rules, ports merged
- ``plan``: each host's plan, with its lint warnings, and what is drawn from the plans

This package exports what the rest of the collection uses.
"""

from __future__ import annotations

from ansible_collections.vdi.firewall.plugins.plugin_utils._planner.model import HostInput, Topology, merge_cidrs
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner.plan import (
    deployment_flows,
    feature_notices,
    plan_host,
    plan_hosts,
    summarise,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner.topology import (
    build_topology,
    deployment_topology,
    with_topology,
)

__all__ = [
    "HostInput",
    "Topology",
    "build_topology",
    "deployment_flows",
    "deployment_topology",
    "feature_notices",
    "merge_cidrs",
    "plan_host",
    "plan_hosts",
    "summarise",
    "with_topology",
]
