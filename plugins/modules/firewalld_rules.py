#!/usr/bin/python
# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apply a host's whole rule set to firewalld in one call."""

from __future__ import annotations

DOCUMENTATION = r"""
module: firewalld_rules
author: vdi.firewall contributors (@vdi-firewall)
short_description: Apply a host's rule set to firewalld as rich rules in two owned policies
version_added: 1.0.0
description:
  - Applies a whole rule list (as the planner of this collection produces it) to firewalld in one
    call, through firewalld's own Python API (C(firewall.client), package C(python3-firewall)).
  - Everything it manages lives in two firewalld policies that the collection owns.
    C(vdi_firewall_in) (ingress zones C(ANY), egress zone C(HOST), target C(CONTINUE)) holds the
    inbound rules and the O(management) entries. C(vdi_firewall_out) (ingress C(HOST), egress
    C(ANY), target C(REJECT)) holds the outbound rules and exists only while O(restrict_outbound) is
    true. Zones, their services and interfaces, and every other policy are never touched; rich rules
    that are in an owned policy but not in the rule set are removed.
  - Each rule becomes one rich rule per address family, remote address and port range, for
    example C(rule family="ipv4" source address="10.0.0.0/24" port port="443" protocol="tcp" accept).
  - Changes are written to the permanent configuration and then made the running one with a single
    firewalld reload (far faster than runtime edits, one rich rule at a time, for large rule sets).
    Any other change that exists only in firewalld's runtime configuration is lost on that reload,
    as on every firewalld reload.
  - Nothing is written when the owned policies already match, both permanent and runtime.
  - If firewalld refuses a policy, the policies written so far are restored and the runtime is not
    touched; if the reload fails, the previous policies are restored and reloaded. The host keeps
    its previous rules either way.
extends_documentation_fragment:
  - vdi.firewall.linux_rules
options:
  service_status:
    description:
      - Also read the state of C(firewalld.service) from systemd (one C(systemctl show)) and return
        it as RV(service), so that a caller starts or enables firewalld only when it needs to.
    type: bool
    default: false
  restrict_outbound:
    description:
      - When false (the default), outbound traffic is not restricted - outbound rules are left out and
        the C(vdi_firewall_out) policy is removed if it exists. firewalld itself lets every outbound
        packet through.
      - When true, C(vdi_firewall_out) accepts the outbound rules and rejects every other new
        outbound connection. Replies (established and related traffic) and loopback stay allowed;
        DNS, NTP, package mirrors and the like need rules of their own.
    type: bool
    default: false
  state:
    description:
      - V(present) applies the rules; V(absent) removes both owned policies.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Needs a running firewalld (1.0 or later, for policies) and its Python bindings for the Python
    that runs the module (C(python3-firewall) on Debian, Ubuntu and RHEL 9); without either it fails,
    says which is missing and returns RV(unavailable).
  - Zones keep what they already allow (for example the C(ssh) and C(dhcpv6-client) services of the
    C(public) zone); the owned policies add the rules on top. Remove services from zones yourself if
    they should not be reachable.
  - A rule with both local and remote ports cannot be expressed as a rich rule and fails (O(rules)).
attributes:
  check_mode:
    support: full
    description: Predicts exactly the change a real run makes, with the same validation.
  diff_mode:
    support: full
    description: Shows both owned policies before and after, one rich rule per line.
seealso:
  - module: vdi.firewall.nftables_rules
  - module: ansible.posix.firewalld
"""

EXAMPLES = r"""
- name: Apply the host's rules, SSH kept open from the controller
  vdi.firewall.firewalld_rules:
    rules:
      - name: vdi-in-tcp-web_store+clients
        direction: in
        protocol: tcp
        local_ports: ["80", "443"]
        remote_ports: []
        remote_addresses: ["10.0.10.0/24", "fd00:10::/64"]
        flows: [citrix_cvad_001]
        description: from StoreFront and user devices
    management:
      - protocol: tcp
        port: 22
        remote_addresses: ["192.0.2.10/32"]

- name: Also restrict outbound traffic to the outbound rules
  vdi.firewall.firewalld_rules:
    rules: "{{ vdi_firewall_rules }}"
    management: "{{ management_entries }}"
    restrict_outbound: true

- name: Remove everything the collection added to firewalld
  vdi.firewall.firewalld_rules:
    state: absent
"""

RETURN = r"""
policies:
  description: The owned policies after the run (as they will be, in check mode); absent ones are left out.
  returned: always
  type: dict
  sample:
    vdi_firewall_in:
      ingress_zones: [ANY]
      egress_zones: [HOST]
      target: CONTINUE
      priority: -1
      rich_rules:
        - rule family="ipv4" source address="10.0.10.0/24" port port="443" protocol="tcp" accept
rich_rules:
  description: For each rule (and management entry, named C(management-PROTOCOL-PORT)) the rich rules it became.
  returned: always
  type: dict
  sample:
    management-tcp-22:
      - rule family="ipv4" source address="192.0.2.10/32" port port="22" protocol="tcp" accept
added:
  description: Rich rules added, per policy.
  returned: always
  type: dict
  sample: {vdi_firewall_in: ['rule family="ipv4" source address="10.0.10.0/24" port port="80" protocol="tcp" accept']}
removed:
  description: Rich rules removed, per policy.
  returned: always
  type: dict
  sample: {}
reloaded:
  description: Whether firewalld was reloaded (or would be, in check mode).
  returned: always
  type: bool
  sample: true
ignored_rules:
  description: Outbound rules left out because O(restrict_outbound) is false.
  returned: always
  type: list
  elements: str
  sample: [vdi-out-tcp-broker]
management:
  description: The management entries applied - O(management) and the one from O(management_controller).
  returned: success
  type: list
  elements: dict
  sample: [{protocol: tcp, port: 22, remote_addresses: [192.0.2.10/32]}]
service:
  description:
    - The state of C(firewalld.service) - C(active) (running) and C(enabled) (started at boot, in a
      state that systemd_service with C(enabled=true) leaves as it is); both null when systemd could
      not be asked.
  returned: when O(service_status) is true and the rules are valid
  type: dict
  sample: {active: true, enabled: true}
unavailable:
  description:
    - Why the module failed before it could read firewalld - V(bindings) (no C(firewall.client) for
      the Python that runs the module) or V(firewalld) (firewalld not running or not reachable on
      D-Bus). The P(vdi.firewall.firewalld#role) role then installs or starts firewalld and applies
      again.
  returned: on those failures
  type: str
  sample: firewalld
"""

import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.vdi.firewall.plugins.module_utils._firewalld_policy import (
    ApplyError,
    desired_policies,
    plan_changes,
    policies_text,
    read_states,
    apply_plan,
)
from ansible_collections.vdi.firewall.plugins.module_utils._linux_host import (
    controller_management,
    read_units,
    unit_state,
)
from ansible_collections.vdi.firewall.plugins.module_utils._linux_rules import (
    RuleError,
    normalize_management,
    normalize_rules,
)

try:
    import dbus
    from firewall.client import FirewallClient, FirewallClientPolicySettings
    from firewall.core.rich import Rich_Rule
    from firewall.errors import FirewallError
except ImportError:
    HAS_FIREWALL = False
    FIREWALL_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_FIREWALL = True
    FIREWALL_IMPORT_ERROR = None


SERVICE = "firewalld.service"


class FirewalldClient:
    """firewalld's Python API behind the small interface that firewalld_policy.apply_plan uses."""

    def __init__(self):
        self.client = FirewallClient()
        if not self.client.connected:
            raise ConnectionError("no answer from firewalld on D-Bus")
        self.config = self.client.config()

    def permanent_settings(self, name):
        if name not in self.config.getPolicyNames():
            return None
        return self.config.getPolicyByName(name).getSettings().getSettingsDict()

    def runtime_settings(self, name):
        if name not in self.client.getPolicies():
            return None
        return self.client.getPolicySettings(name).getSettingsDict()

    def write_permanent(self, name, settings, exists):
        if settings is None:
            if exists:
                self.config.getPolicyByName(name).remove()
            return
        policy_settings = FirewallClientPolicySettings(settings)
        if exists:
            self.config.getPolicyByName(name).update(policy_settings)
        else:
            self.config.addPolicy(name, policy_settings)

    def reload(self):
        self.client.reload()


def _check_rich_rules(rich_rules_by_rule):
    """Validate every rich rule with firewalld's own parser; the error names the rule."""
    for name, rendered in rich_rules_by_rule.items():
        for rich_rule in rendered:
            try:
                parsed = str(Rich_Rule(rule_str=rich_rule))
            except FirewallError as exc:
                raise RuleError(f"rule {name!r}: firewalld rejects {rich_rule!r}: {exc}") from exc
            if parsed != rich_rule:
                raise RuleError(f"rule {name!r}: firewalld reads {rich_rule!r} as {parsed!r}")


def _states_result(states):
    return {
        name: {
            "ingress_zones": list(state.ingress_zones),
            "egress_zones": list(state.egress_zones),
            "target": state.target,
            "priority": state.priority,
            "rich_rules": list(state.rich_rules),
        }
        for name, state in states.items()
        if state is not None
    }


def _desired(module, present):
    """(desired, entries): the policies the rules and management entries make, and those entries."""
    entries = []
    try:
        rules = normalize_rules(module.params["rules"]) if present else []
        if present:
            entries = list(module.params["management"] or [])
            entries += controller_management(module.params["management_controller"], os.environ)
        management = normalize_management(entries)
        desired = desired_policies(rules, management, module.params["restrict_outbound"], present)
    except RuleError as exc:
        module.fail_json(msg=f"vdi.firewall.firewalld_rules: {exc}; nothing was applied")
    return desired, entries


def _service_status(module):
    """What the caller may act on: firewalld's unit state (when asked for)."""
    extra = {}
    if module.params["service_status"]:
        units = read_units(module, [SERVICE])
        extra["service"] = unit_state(units.get(SERVICE) if units is not None else None)
    return extra


def _connect(module, desired, extra):
    """(client, permanent, runtime): firewalld and its policies, once the bindings and the rich rules are checked.

    A failure says why firewalld could not be read (unavailable).
    """
    if not HAS_FIREWALL:
        module.fail_json(
            msg=missing_required_lib("firewalld's Python bindings (firewall.client)", reason="to talk to firewalld")
            + " Install the python3-firewall package for the Python that runs this module.",
            exception=FIREWALL_IMPORT_ERROR,
            unavailable="bindings",
            **extra,
        )
    try:
        _check_rich_rules(desired.rich_rules_by_rule)
    except RuleError as exc:
        module.fail_json(msg=f"vdi.firewall.firewalld_rules: {exc}; nothing was applied", **extra)

    try:
        client = FirewalldClient()
        permanent, runtime = read_states(client)
    except (ConnectionError, dbus.exceptions.DBusException, FirewallError) as exc:
        module.fail_json(
            msg=f"vdi.firewall.firewalld_rules: firewalld is not running or not reachable ({exc}); "
            "start it (systemctl start firewalld) and run again. Nothing was applied.",
            unavailable="firewalld",
            **extra,
        )
    return client, permanent, runtime


def _policies_diff(plan, permanent, desired):
    """The permanent policies before and the desired ones after, with a note when firewalld is reloaded."""
    before = policies_text(permanent)
    if plan.reload and not plan.permanent:
        before = "# the running firewall differs from this permanent configuration: firewalld is reloaded\n" + before
    return {
        "before": before,
        "after": policies_text(desired.policies),
        "before_header": "firewalld policies vdi_firewall_in/out (permanent)",
        "after_header": "firewalld policies vdi_firewall_in/out",
    }


def main():
    module = AnsibleModule(
        argument_spec={
            "rules": {"type": "list", "elements": "dict", "default": []},
            "management": {"type": "list", "elements": "dict", "default": []},
            "management_controller": {
                "type": "dict",
                "options": {
                    "port": {"type": "int", "required": True},
                    "protocol": {"type": "str", "choices": ["tcp", "udp"], "default": "tcp"},
                    "fallback": {"type": "str", "choices": ["any", "none", "fail"], "default": "any"},
                },
            },
            "service_status": {"type": "bool", "default": False},
            "restrict_outbound": {"type": "bool", "default": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        supports_check_mode=True,
    )
    present = module.params["state"] == "present"
    desired, entries = _desired(module, present)
    extra = _service_status(module)
    client, permanent, runtime = _connect(module, desired, extra)
    plan = plan_changes(desired.policies, permanent, runtime)
    result = {
        "changed": plan.changed,
        "policies": _states_result(desired.policies),
        "rich_rules": desired.rich_rules_by_rule,
        "added": plan.added,
        "removed": plan.removed,
        "reloaded": plan.reload,
        "ignored_rules": desired.ignored_rules,
        "management": entries,
        **extra,
    }
    if module._diff:
        result["diff"] = _policies_diff(plan, permanent, desired)
    if plan.changed and not module.check_mode:
        try:
            apply_plan(client, plan, desired.policies, permanent)
        except ApplyError as exc:
            # The previous policies were restored (the message says so, or what could not be).
            result.update(changed=False, reloaded=False)
            module.fail_json(msg=f"vdi.firewall.firewalld_rules: {exc}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
