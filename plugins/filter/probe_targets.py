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
  - From the plan returned by M(vdi.firewall.plan_rules), works out which TCP connections a host must be
    able to open to its peers that are hosts of the plan, for input to M(vdi.firewall.probe).
  - Given the whole result of M(vdi.firewall.plan_rules) (with O(vdi.firewall.plan_rules#module:return_hosts=true)),
    the filter reads the plan as it was made - its RV(vdi.firewall.plan_rules#module:probes) when it has them,
    else its hosts with the symbolic ports and catalog of its RV(vdi.firewall.plan_rules#module:settings) -
    and plans nothing again. Given only the C(hosts) dictionary, it takes O(symbolic_ports) and the
    collection's catalog.
  - One target per peer address and port, labelled C(peer_host|flow_a,flow_b) with every flow that
    needs it. Port ranges wider than O(max_range) ports (dynamic RPC) are not probed; they are
    listed under C(skipped).
options:
  _input:
    description: The result of M(vdi.firewall.plan_rules), or its C(hosts) dictionary.
    type: dict
    required: true
  host:
    description: The host whose outbound flows are probed (usually C(inventory_hostname)).
    type: str
    required: true
  symbolic_ports:
    description:
      - The run's values for symbolic ports (C(vdi_firewall_symbolic_ports)), with the C(hosts) dictionary only.
      - A whole plan brings the values it was made with; giving others fails.
    type: dict
  max_range:
    description: Widest port range probed port by port.
    type: int
    default: 16
"""

EXAMPLES = r"""
- name: Probe this host's required flows
  vdi.firewall.probe:
    targets: "{{ (plan | vdi.firewall.probe_targets(inventory_hostname)).targets }}"
    fail_on_mismatch: false
"""

RETURN = r"""
_value:
  description: C(targets) (host, port, protocol, expect, name) and C(skipped) (flow, peer, reason).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.vdi.firewall.plugins.plugin_utils._ansible_errors import reraise_as
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._verify import (
    MAX_PROBED_RANGE,
    is_plan,
    plan_probe_targets,
    probe_targets,
)


def _probe_targets(plans, host, symbolic_ports=None, max_range=MAX_PROBED_RANGE):
    with reraise_as(AnsibleFilterError, "vdi.firewall.probe_targets"):
        if is_plan(plans):
            planned = plans["settings"].get("symbolic_ports") or None
            if symbolic_ports and dict(symbolic_ports) != dict(planned or {}):
                raise VdiFirewallError("symbolic_ports differ from the ones the plan was made with "
                                       "(its settings.symbolic_ports): leave them out, the plan brings its own")
            return plan_probe_targets(plans, host, int(max_range))
        return probe_targets(load_catalog(), plans, host, symbolic_ports or None, int(max_range))


class FilterModule:
    """vdi.firewall.probe_targets"""

    def filters(self):
        return {"probe_targets": _probe_targets}
