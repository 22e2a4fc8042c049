# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin: the probes that prove a host's required outbound TCP flows."""

from __future__ import annotations

DOCUMENTATION = r"""
name: probe_targets
author: vdi.firewall contributors (@vdi-firewall)
short_description: The TCP probes that prove a host's required outbound flows pass
version_added: 1.0.0
description:
  - From the plans returned by M(vdi.firewall.plan_rules) (its RV(vdi.firewall.plan_rules#module:hosts)),
    works out which TCP connections a host must be able to open to its peers that are hosts of the
    plan, for input to M(vdi.firewall.probe).
  - One target per peer address and port, labelled C(peer_host|flow_a,flow_b) with every flow that
    needs it. Port ranges wider than O(max_range) ports (dynamic RPC) are not probed; they are
    listed under C(skipped).
options:
  _input:
    description: The C(hosts) dictionary returned by M(vdi.firewall.plan_rules).
    type: dict
    required: true
  host:
    description: The host whose outbound flows are probed (usually C(inventory_hostname)).
    type: str
    required: true
  symbolic_ports:
    description: The run's values for symbolic ports (C(vdi_firewall_symbolic_ports)).
    type: dict
  max_range:
    description: Widest port range probed port by port.
    type: int
    default: 16
"""

EXAMPLES = r"""
- name: Probe this host's required flows
  vdi.firewall.probe:
    targets: "{{ (plan.hosts | vdi.firewall.probe_targets(inventory_hostname)).targets }}"
    fail_on_mismatch: false
"""

RETURN = r"""
_value:
  description: C(targets) (host, port, protocol, expect, name) and C(skipped) (flow, peer, reason).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.vdi.firewall.plugins.plugin_utils.ansible_errors import reraise_as
from ansible_collections.vdi.firewall.plugins.plugin_utils.catalog import load_catalog
from ansible_collections.vdi.firewall.plugins.plugin_utils.verify import MAX_PROBED_RANGE, probe_targets


def _probe_targets(plans, host, symbolic_ports=None, max_range=MAX_PROBED_RANGE):
    with reraise_as(AnsibleFilterError, "vdi.firewall.probe_targets"):
        return probe_targets(load_catalog(), plans, host, symbolic_ports or None, int(max_range))


class FilterModule:
    """vdi.firewall.probe_targets"""

    def filters(self):
        return {"probe_targets": _probe_targets}
