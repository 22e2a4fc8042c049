#!/usr/bin/python
# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apply a host's whole rule set as one owned nftables table."""

from __future__ import annotations

DOCUMENTATION = r"""
module: nftables_rules
author: vdi.firewall contributors (@vdi-firewall)
short_description: Apply a host's rule set as one owned nftables table, atomically and persistently
version_added: 1.0.0
description:
  - Renders a whole rule list (as the planner of this collection produces it) as the nftables table
    C(inet vdi_firewall), loads it with C(nft -f) in one transaction that deletes and recreates the
    table (in check mode, checks it with C(nft -c)), and persists it in O(path).
  - Other tables are never touched. The table's C(input) chain drops by default and accepts
    established and related traffic, loopback, IPv6 neighbour discovery, the O(management) entries
    and the inbound rules. Its C(output) chain accepts everything unless O(restrict_outbound) is true.
  - Addresses and ports of a rule go into anonymous sets, one statement per address family; the
    rule's name is the statement's comment.
  - Idempotent. After loading, the module records a digest of the table as the kernel lists it at
    the end of O(path). A later run changes nothing when O(path) holds the same ruleset and the live
    table still has that digest; a table changed by hand, or missing (not loaded after a reboot), is
    loaded again.
  - A ruleset that nft rejects is never loaded - the previous table and O(path) stay as they were.
    The kernel applies the load as one transaction, so it applies whole or not at all; check mode
    checks the ruleset with C(nft -c), so that it fails where a real run would.
extends_documentation_fragment:
  - vdi.firewall.linux_rules
  - vdi.firewall.nftables_table
options:
  fail_beside_firewalld:
    description:
      - Fail before anything else, changing nothing, when C(firewalld.service) is active - firewalld
        manages nftables itself. Read with C(systemctl show); a host without systemd passes.
    type: bool
    default: false
  boot_status:
    description:
      - Also tell whether the ruleset is loaded at boot, as RV(boot) - whether C(nftables.service) is
        enabled, which ruleset it loads (the file after C(-f) in its C(ExecStart)) and whether that
        file includes O(path). Read only; O(load_at_boot) acts on it.
    type: bool
    default: false
  load_at_boot:
    description:
      - Also make the ruleset load at boot, in the same run, and return RV(boot) as O(boot_status) does.
      - With O(state=present), adds the line C(include "PATH") for O(path) at the end of the ruleset
        that C(nftables.service) loads (the file after C(-f) in its C(ExecStart)) when that file lacks
        it, as M(ansible.builtin.lineinfile) would, and enables C(nftables.service) when it is not
        enabled, as M(ansible.builtin.systemd_service) with C(enabled=true) would. With
        O(state=absent), removes that line. RV(boot_changes) tells what changed.
      - Fails, nothing applied, when the ruleset that C(nftables.service) loads does not exist or
        cannot be read. Does nothing for the boot when systemd cannot tell which ruleset
        C(nftables.service) loads (no C(systemctl), no such unit, no C(-f) in its C(ExecStart)) -
        RV(boot) then has no C(ruleset), and the caller decides (the P(vdi.firewall.nftables#role)
        role then uses its platform's file).
    type: bool
    default: false
  restrict_outbound:
    description:
      - When false (the default), the output chain accepts everything and outbound rules are left out.
      - When true, the output chain accepts established and related traffic, loopback, IPv6 neighbour
        discovery and the outbound rules, and rejects every other new outbound connection. DNS, NTP,
        package mirrors and the like need rules of their own.
    type: bool
    default: false
  path:
    description:
      - Where the ruleset is persisted. Include it from the ruleset that C(nftables.service) loads at
        boot (C(/etc/nftables.conf) on Debian and Ubuntu, C(/etc/sysconfig/nftables.conf) on RHEL);
        O(load_at_boot) does that.
      - Its directory is created when missing.
    type: path
    default: /etc/nftables.d/vdi_firewall.nft
notes:
  - Fails and returns RV(unavailable) when the C(nft) command is missing.
  - Inbound rules match C(remote_ports) as source ports, outbound rules C(local_ports) (O(rules)).
  - Do not run it on a host where firewalld is running - firewalld manages nftables itself
    (O(fail_beside_firewalld) refuses to).
seealso:
  - module: vdi.firewall.firewalld_rules
"""

EXAMPLES = r"""
- name: Apply the host's rules, SSH kept open from the controller
  vdi.firewall.nftables_rules:
    rules:
      - name: vdi-in-tcp-clients
        direction: in
        protocol: tcp
        local_ports: ["1494", "2598"]
        remote_ports: []
        remote_addresses: ["10.0.20.0/24", "fd00:20::/64"]
    management:
      - protocol: tcp
        port: 22
        remote_addresses: ["192.0.2.10/32"]

- name: Apply the host's rules and load them at boot (the include, nftables.service enabled)
  vdi.firewall.nftables_rules:
    rules: "{{ vdi_firewall_rules }}"
    management_controller: {port: 22}
    load_at_boot: true

- name: Remove the table, its file and its include from the boot ruleset
  vdi.firewall.nftables_rules:
    state: absent
    load_at_boot: true
"""

RETURN = r"""
ruleset:
  description: The rendered ruleset (what O(path) holds, without the trailing digest line); empty for O(state=absent).
  returned: always
  type: str
  sample: |
    table inet vdi_firewall
    delete table inet vdi_firewall
    table inet vdi_firewall {
    ...
path:
  description: The file the ruleset is persisted in.
  returned: always
  type: str
  sample: /etc/nftables.d/vdi_firewall.nft
loaded:
  description: Whether the table was loaded (or would be, in check mode).
  returned: always
  type: bool
  sample: true
live_table_matched:
  description: Whether the live table was the one recorded in O(path) before the run.
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
  description: The management entries accepted - O(management) and the one from O(management_controller).
  returned: success
  type: list
  elements: dict
  sample: [{protocol: tcp, port: 22, remote_addresses: [192.0.2.10/32]}]
boot:
  description:
    - Whether the ruleset is loaded at boot, as it was before the run - C(enabled) (C(nftables.service)
      is enabled, in a state that systemd_service with C(enabled=true) leaves as it is; null when
      systemd could not be asked), C(ruleset) (the file C(nftables.service) loads, null when unknown)
      and C(included) (whether that file has the line C(include "PATH") for O(path)).
  returned: when O(boot_status) or O(load_at_boot) is true and the rules are valid
  type: dict
  sample: {enabled: true, ruleset: /etc/nftables.conf, included: true}
boot_changes:
  description:
    - What the run changed (or would, in check mode) so that the ruleset is loaded at boot -
      V(include) (the include line added to the boot ruleset, or removed for O(state=absent)) and
      V(enable) (C(nftables.service) enabled). Empty when nothing was needed, or when the boot
      ruleset is unknown (RV(boot) has no C(ruleset)).
  returned: when O(load_at_boot) is true and the rules are valid
  type: list
  elements: str
  sample: [include, enable]
unavailable:
  description: V(nft) when the module failed because the C(nft) command is missing.
  returned: on that failure
  type: str
  sample: nft
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vdi.firewall.plugins.module_utils._linux_host import (
    controller_management,
    exec_start_file,
    has_line,
    read_units,
    unit_state,
    with_line,
    without_line,
)
from ansible_collections.vdi.firewall.plugins.module_utils._linux_rules import (
    RuleError,
    normalize_management,
    normalize_rules,
)
from ansible_collections.vdi.firewall.plugins.module_utils._nftables_ruleset import (
    TABLE_FAMILY,
    TABLE_NAME,
    live_digest,
    persisted,
    render_ruleset,
    split_persisted,
)

PREFIX = "vdi.firewall.nftables_rules"
FIREWALLD = "firewalld.service"
NFTABLES = "nftables.service"


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _read_boot_ruleset(path):
    """The boot ruleset's text, its bytes kept as they are, or None when it cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            return handle.read()
    except OSError:
        return None


def _live_table(module, nft):
    """The owned table as `nft -s list table` prints it, or None when it does not exist."""
    rc, out, err = module.run_command([nft, "-s", "list", "table", TABLE_FAMILY, TABLE_NAME])
    if rc == 0:
        return out
    if "No such file or directory" in err or "does not exist" in err:
        return None
    module.fail_json(msg=f"{PREFIX}: cannot read the nftables ruleset (rc={rc}): {err.strip()}; nothing was applied")
    return None


def _write(module, path, content):
    """Write the file atomically (temporary file in the same directory, then rename)."""
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=0o755)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".vdi_firewall.")
    with os.fdopen(handle, "w", encoding="utf-8", errors="surrogateescape", newline="") as stream:
        stream.write(content)
    # A file that exists keeps its mode and owner (atomic_move copies them).
    os.chmod(temporary, 0o644)
    module.atomic_move(temporary, path)


def _refuse_beside_firewalld(module):
    """The units firewalld and nftables (read when asked for), failing when firewalld runs and that is refused."""
    units = None
    if module.params["fail_beside_firewalld"] or module.params["boot_status"] or module.params["load_at_boot"]:
        units = read_units(module, [FIREWALLD, NFTABLES])
    if module.params["fail_beside_firewalld"] and unit_state((units or {}).get(FIREWALLD))["active"]:
        module.fail_json(
            msg=f"{PREFIX}: firewalld is running on this host and manages nftables itself; use the "
            "vdi.firewall.firewalld role on this host, or stop and disable firewalld first. Nothing was changed."
        )
    return units


def _normalized(module, present):
    """(rules, management, entries): the rules and the management entries, checked (none for state=absent)."""
    entries = []
    try:
        rules = normalize_rules(module.params["rules"]) if present else []
        if present:
            entries = list(module.params["management"] or [])
            entries += controller_management(module.params["management_controller"], os.environ)
        management = normalize_management(entries)
    except RuleError as exc:
        module.fail_json(msg=f"{PREFIX}: {exc}; nothing was applied")
    return rules, management, entries


def _boot_status(module, units, path):
    """(extra, text): whether the ruleset is loaded at boot (read before any change), and the boot ruleset's text."""
    extra, text = {}, None
    if module.params["boot_status"] or module.params["load_at_boot"]:
        service = (units or {}).get(NFTABLES)
        boot_ruleset = exec_start_file(service)
        text = _read_boot_ruleset(boot_ruleset) if boot_ruleset else None
        extra["boot"] = {
            "enabled": unit_state(service if units is not None else None)["enabled"],
            "ruleset": boot_ruleset,
            "included": bool(boot_ruleset) and has_line(text, f'include "{path}"'),
        }
    return extra, text


def _boot_plan(module, extra, text, path, present):
    """(boot ruleset, its new text or None, enable): what load_at_boot changes; nothing when the ruleset is unknown."""
    boot = extra.get("boot") or {}
    boot_ruleset = boot.get("ruleset")
    if not module.params["load_at_boot"] or not boot_ruleset:
        return None, None, False
    line = f'include "{path}"'
    if not present:
        return boot_ruleset, without_line(text, line), False
    if text is None:
        module.fail_json(
            msg=f"{PREFIX}: {boot_ruleset}, the ruleset nftables.service loads at boot, does not exist or "
            "cannot be read, so the table's ruleset cannot be included from it; nothing was applied",
            **extra,
        )
    return boot_ruleset, with_line(text, line), boot["enabled"] is not True


def _load_at_boot(module, boot_ruleset, boot_text, enable, result):
    """Write the boot ruleset's new text and enable nftables.service, as planned (after the table is applied)."""
    if boot_text is not None:
        _write(module, os.path.realpath(boot_ruleset), boot_text)
    if enable:
        rc, out, err = module.run_command([module.get_bin_path("systemctl", required=True), "enable", NFTABLES])
        if rc != 0:
            module.fail_json(
                msg=f"{PREFIX}: systemctl could not enable {NFTABLES}: {(out + err).strip()}; the table is "
                "applied, but it is not loaded at boot",
                **result,
            )


def _nft(module, extra):
    """The nft command, or a failure that says it is missing."""
    nft = module.get_bin_path("nft")
    if not nft:
        module.fail_json(
            msg=f"{PREFIX}: the nft command was not found; install the nftables package", unavailable="nft", **extra
        )
    return nft


def _compare(module, nft, path, present, ruleset):
    """(file_ruleset, listing, live_matched, changed): the persisted and the live table against the ruleset."""
    file_ruleset, recorded_digest = split_persisted(_read(path))
    listing = _live_table(module, nft)
    live_matched = listing is not None and recorded_digest == live_digest(listing)
    if present:
        changed = file_ruleset != ruleset or not live_matched
    else:
        changed = file_ruleset is not None or listing is not None
    return file_ruleset, listing, live_matched, changed


def _file_diff(path, file_ruleset, live_matched, ruleset):
    """The file before and the ruleset after, with a note when the live table differs from the file."""
    before = file_ruleset or ""
    if file_ruleset is not None and not live_matched:
        before = "# the live table differs from this file (changed by hand, or not loaded)\n" + before
    return {"before": before, "after": ruleset, "before_header": path, "after_header": path}


def _diff(path, file_ruleset, live_matched, ruleset, boot):
    """The diff of the owned file, then (a list of two) that of the boot ruleset when it changes."""
    diff = _file_diff(path, file_ruleset, live_matched, ruleset)
    boot_ruleset, boot_before, boot_after = boot
    if boot_after is None:
        return diff
    return [diff, {"before": boot_before or "", "after": boot_after, "before_header": boot_ruleset, "after_header": boot_ruleset}]


def _load_ruleset(module, nft, ruleset, result, check):
    """Load the ruleset (only check it, with check), failing, nothing applied, when nft rejects it.

    Check mode checks it with `nft -c`, so that it fails where a real run would. A real run loads it
    at once: `nft -f` applies the file as one transaction, so a ruleset it rejects changes nothing.
    """
    rc, _out, err = module.run_command([nft, *(["-c"] if check else []), "-f", "-"], data=ruleset, binary_data=True)
    if rc != 0:
        result.update(changed=False, loaded=False)
        module.fail_json(
            msg=f"{PREFIX}: nft rejects the ruleset: {err.strip()}; nothing was applied, "
            "the previous table and file are unchanged",
            **result,
        )


def _apply(module, nft, path, present, ruleset, listing, result):
    """Load the ruleset and persist it with the live table's digest, or delete the table and its file."""
    if present:
        _load_ruleset(module, nft, ruleset, result, check=False)
        listing = _live_table(module, nft) or ""
        _write(module, path, persisted(ruleset, live_digest(listing)))
    else:
        if listing is not None:
            rc, _out, err = module.run_command([nft, "delete", "table", TABLE_FAMILY, TABLE_NAME])
            if rc != 0:
                module.fail_json(msg=f"{PREFIX}: nft failed to delete the table: {err.strip()}", **result)
        if os.path.exists(path):
            os.remove(path)


def main():
    module = AnsibleModule(
        argument_spec={
            "rules": {"type": "list", "elements": "dict", "default": []},
            "management": {"type": "list", "elements": "dict", "default": []},
            "restrict_outbound": {"type": "bool", "default": False},
            "management_controller": {
                "type": "dict",
                "options": {
                    "port": {"type": "int", "required": True},
                    "protocol": {"type": "str", "choices": ["tcp", "udp"], "default": "tcp"},
                    "fallback": {"type": "str", "choices": ["any", "none", "fail"], "default": "any"},
                },
            },
            "fail_beside_firewalld": {"type": "bool", "default": False},
            "boot_status": {"type": "bool", "default": False},
            "load_at_boot": {"type": "bool", "default": False},
            "path": {"type": "path", "default": "/etc/nftables.d/vdi_firewall.nft"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        supports_check_mode=True,
    )
    path = module.params["path"]
    present = module.params["state"] == "present"
    restrict_outbound = module.params["restrict_outbound"]
    units = _refuse_beside_firewalld(module)
    rules, management, entries = _normalized(module, present)
    ignored = [rule.name for rule in rules if rule.direction == "out" and not restrict_outbound]
    ruleset = render_ruleset(rules, management, restrict_outbound) if present else ""
    extra, boot_text = _boot_status(module, units, path)
    nft = _nft(module, extra)
    boot_ruleset, boot_after, enable = _boot_plan(module, extra, boot_text, path, present)
    if module.params["load_at_boot"]:
        extra["boot_changes"] = ["include"] * (boot_after is not None) + ["enable"] * enable
    file_ruleset, listing, live_matched, changed = _compare(module, nft, path, present, ruleset)
    result = {
        "changed": changed or bool(extra.get("boot_changes")),
        "ruleset": ruleset,
        "path": path,
        "loaded": changed and present,
        "live_table_matched": live_matched,
        "ignored_rules": ignored,
        "management": entries,
        **extra,
    }
    if module._diff:
        result["diff"] = _diff(path, file_ruleset, live_matched, ruleset, (boot_ruleset, boot_text, boot_after))
    # Check mode checks what a real run would load; a ruleset loaded and persisted as it is loads nothing.
    if present and changed and module.check_mode:
        _load_ruleset(module, nft, ruleset, result, check=True)
    if not result["changed"] or module.check_mode:
        module.exit_json(**result)
    if changed:
        _apply(module, nft, path, present, ruleset, listing, result)
    _load_at_boot(module, boot_ruleset, boot_after, enable, result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
