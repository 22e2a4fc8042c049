#!/usr/bin/python
# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter the traffic a Linux router forwards between zones with one owned nftables table."""

from __future__ import annotations

DOCUMENTATION = r"""
module: nftables_zones
author: vdi.firewall contributors (@vdi-firewall)
short_description: Filter what a Linux router forwards between zones with one owned nftables table
version_added: 1.0.0
description:
  - Renders the entries that M(vdi.firewall.device_acls) works out for a router between zones (a device
    with C(vdi_firewall_zone_firewall=nftables)) as the nftables table C(inet vdi_firewall_zones), checks
    it with C(nft -c), loads it with C(nft -f) in one transaction that deletes and recreates the table,
    and persists it in O(path).
  - The table has one base chain, C(forward). It accepts established and related traffic (connection
    tracking replaces the return entries of stateless ACLs) and sends each zone's traffic - selected by
    the zone's C(interface) when it has one, else by its C(cidrs) - to a chain per pair of zones. A pair's
    chain drops invalid packets, accepts the pair's entries (the controller's management access first,
    then the planned flows, then the ICMPv6 the network needs) and counts and drops everything else.
  - Traffic that stays in one zone, or that comes from or goes to no listed zone, is not filtered by
    this table (O(forward_policy=drop) drops it too). Traffic to and from the router itself (the input
    and output hooks) is never filtered by this table, so the controller's access to the router is kept;
    entries towards the router itself are left out.
  - Other tables are never touched. An entry given twice is rendered once; entries that differ only
    in their destination ports are one statement with a set of ports, then those that differ only in
    their destination one statement with a set of destinations; the entries' flow ids are the
    statements' comments.
  - Idempotent. After loading, the module records a digest of the table as the kernel lists it at the
    end of O(path). A later run changes nothing when O(path) holds the same ruleset and the live table
    still has that digest; a table changed by hand, or missing (not loaded after a reboot), is loaded again.
  - A ruleset that C(nft -c) rejects is never loaded - the previous table and O(path) stay as they were.
extends_documentation_fragment:
  - vdi.firewall.nftables_table
options:
  zones:
    description:
      - The router's zones, as C(devices[<router>].zones) of M(vdi.firewall.device_acls). Each is a
        dictionary with C(name), C(cidrs) (IPv4 and IPv6 CIDRs, never empty) and optionally C(interface),
        the router's interface towards the zone (C(eth1); C(vlan*) matches every name with that prefix).
      - A zone's packets are told by its interface when it has one, else by its CIDRs
        (C(ip saddr)/C(ip daddr)).
      - Other keys (C(acl), C(direction), C(acl_names), ...) are ignored; the router tracks connections,
        so a zone's direction does not matter.
      - Zones must not overlap, nor share an interface. Required for O(state=present).
    type: list
    elements: dict
    default: []
  acls:
    description:
      - The router's entries, as C(devices[<router>].acls) of M(vdi.firewall.device_acls) -
        a list of C({afi, acls}) whose C(acls) are C({name, aces}).
      - Each ace is a dictionary with C(kind) (C(management), C(flow), C(icmpv6); C(return) and C(deny)
        are left out), C(protocol) (C(tcp), C(udp), C(icmp), C(icmpv6), C(vrrp), C(gre), C(esp), C(ip)),
        C(source) and C(destination) (CIDRs of one address family), C(destination_ports) and
        C(source_ports) (V(null), C(443) or C(1000-2000)), C(icmp_type) (an nft ICMPv6 type name),
        C(source_zone) and C(destination_zone) (zone names; C((device)) for entries towards the router
        itself, which are left out; none for ICMPv6 entries, which apply to every pair) and C(flows).
    type: list
    elements: dict
    default: []
  forward_policy:
    description:
      - V(accept) (the default) leaves forwarded traffic that is not between two listed zones to the rest
        of the ruleset. V(drop) drops it as well - the router forwards only what the entries accept.
    type: str
    choices: [accept, drop]
    default: accept
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
        file includes O(path). Read only; the P(vdi.firewall.nftables_zones#role) role acts on it.
    type: bool
    default: false
  log_drop:
    description: Log the packets each pair's chain drops (prefix C(vdi_firewall_zones <from>><to> drop:)).
    type: bool
    default: false
  path:
    description:
      - Where the ruleset is persisted. Include it from the ruleset that C(nftables.service) loads at
        boot; the P(vdi.firewall.nftables_zones#role) role does that.
      - Its directory is created when missing.
    type: path
    default: /etc/nftables.d/vdi_firewall_zones.nft
notes:
  - Fails and returns RV(unavailable) when the C(nft) command is missing.
  - Does not switch IP forwarding on (C(net.ipv4.ip_forward), C(net.ipv6.conf.all.forwarding)).
  - Do not run it on a router where firewalld is running - firewalld manages nftables itself
    (O(fail_beside_firewalld) refuses to).
  - It can run beside M(vdi.firewall.nftables_rules) (the table C(inet vdi_firewall) filters the
    router's own input and output); each module owns its own table.
attributes:
  platform:
    support: full
    platforms: posix
    description: Runs on the Linux router whose forwarding it filters.
seealso:
  - module: vdi.firewall.device_acls
  - module: vdi.firewall.nftables_rules
"""

EXAMPLES = r"""
- name: Work out the entries of the devices between zones, once, on the controller
  vdi.firewall.device_acls:
  run_once: true
  delegate_to: localhost
  register: zone_plan

- name: Filter what this router forwards between the zones
  vdi.firewall.nftables_zones:
    zones: "{{ zone_plan.devices[inventory_hostname].zones }}"
    acls: "{{ zone_plan.devices[inventory_hostname].acls }}"

- name: Two zones written by hand
  vdi.firewall.nftables_zones:
    zones:
      - {name: users, cidrs: [198.51.100.0/24], interface: eth1}
      - {name: dmz, cidrs: [203.0.113.0/24], interface: eth2}
    acls:
      - afi: ipv4
        acls:
          - name: VDI-USERS-IN
            aces:
              - {kind: flow, protocol: tcp, source: 198.51.100.0/24, destination: 203.0.113.11/32,
                 destination_ports: "443", source_zone: users, destination_zone: dmz, flows: [citrix_gateway_001]}

- name: Remove the table and its file
  vdi.firewall.nftables_zones:
    state: absent
"""

RETURN = r"""
ruleset:
  description: The rendered ruleset (what O(path) holds, without the trailing digest line); empty for O(state=absent).
  returned: always
  type: str
  sample: |
    table inet vdi_firewall_zones
    delete table inet vdi_firewall_zones
    table inet vdi_firewall_zones {
    ...
path:
  description: The file the ruleset is persisted in.
  returned: always
  type: str
  sample: /etc/nftables.d/vdi_firewall_zones.nft
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
summary:
  description:
    - Counts - C(zones), C(pairs) (ordered pairs of zones, one chain each), C(rules) (accepting
      statements) and C(skipped) (entries left out - C(return), C(deny), C(device) for entries towards the router).
  returned: always
  type: dict
  sample: {zones: 4, pairs: 12, rules: 17, skipped: {return: 0, deny: 6, device: 4}}
boot:
  description:
    - Whether the ruleset is loaded at boot, as it was before the run - C(enabled) (C(nftables.service)
      is enabled, in a state that systemd_service with C(enabled=true) leaves as it is; null when
      systemd could not be asked), C(ruleset) (the file C(nftables.service) loads, null when unknown)
      and C(included) (whether that file has the line C(include "PATH") for O(path)).
  returned: when O(boot_status) is true and the zones and entries are valid
  type: dict
  sample: {enabled: true, ruleset: /etc/nftables.conf, included: true}
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
    exec_start_file,
    has_line,
    read_units,
    unit_state,
)
from ansible_collections.vdi.firewall.plugins.module_utils._nftables_ruleset import (
    live_digest,
    persisted,
    split_persisted,
)
from ansible_collections.vdi.firewall.plugins.module_utils._nftables_zones import (
    DEFAULT_PATH,
    POLICIES,
    TABLE_FAMILY,
    TABLE_NAME,
    ZoneError,
    render_zones,
    summary,
)

PREFIX = "vdi.firewall.nftables_zones"
FIREWALLD = "firewalld.service"
NFTABLES = "nftables.service"


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _read_if_readable(path):
    """A file's text, or None when it cannot be read (the caller then acts as if the line were missing)."""
    try:
        return _read(path)
    except (OSError, UnicodeDecodeError):
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
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".vdi_firewall_zones.")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(content)
    os.chmod(temporary, 0o644)
    module.atomic_move(temporary, path)


def _aces(acls):
    """Every ace of the device's ACLs ({afi, acls: [{name, aces}]}), in order."""
    aces: list = []
    for index, group in enumerate(acls or [], start=1):
        if not isinstance(group, dict) or not isinstance(group.get("acls") or [], list):
            raise ZoneError(f"acls #{index}: expected {{afi, acls: [{{name, aces}}]}}, got {group!r}")
        for acl in group.get("acls") or []:
            if not isinstance(acl, dict) or not isinstance(acl.get("aces") or [], list):
                raise ZoneError(f"acls #{index}: expected {{name, aces}}, got {acl!r}")
            aces.extend(acl.get("aces") or [])
    return aces


def _refuse_beside_firewalld(module):
    """The units firewalld and nftables (read when asked for), failing when firewalld runs and that is refused."""
    units = None
    if module.params["fail_beside_firewalld"] or module.params["boot_status"]:
        units = read_units(module, [FIREWALLD, NFTABLES])
    if module.params["fail_beside_firewalld"] and unit_state((units or {}).get(FIREWALLD))["active"]:
        module.fail_json(
            msg=f"{PREFIX}: firewalld is running on this router and manages nftables itself; stop and disable "
            "firewalld on the router first. Nothing was changed."
        )
    return units


def _rendered(module, present):
    """(ruleset, counts): the zones and entries rendered and counted (empty for state=absent)."""
    counts = {"zones": 0, "pairs": 0, "rules": 0, "skipped": {"return": 0, "deny": 0, "device": 0}}
    ruleset = ""
    if present:
        try:
            aces = _aces(module.params["acls"])
            ruleset = render_zones(module.params["zones"], aces, module.params["forward_policy"], module.params["log_drop"])
            counts = summary(module.params["zones"], aces)
        except ZoneError as exc:
            module.fail_json(msg=f"{PREFIX}: {exc}; nothing was applied")
    return ruleset, counts


def _boot_status(module, units, path):
    """Whether the ruleset is loaded at boot, for the caller to act on (read before any change)."""
    extra: dict = {}
    if module.params["boot_status"]:
        service = (units or {}).get(NFTABLES)
        boot_ruleset = exec_start_file(service)
        extra["boot"] = {
            "enabled": unit_state(service if units is not None else None)["enabled"],
            "ruleset": boot_ruleset,
            "included": bool(boot_ruleset) and has_line(_read_if_readable(boot_ruleset), f'include "{path}"'),
        }
    return extra


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


def _check_ruleset(module, nft, ruleset, result):
    """Fail, nothing applied, when nft rejects the ruleset (in check mode too, so that it fails where a real run would)."""
    rc, _out, err = module.run_command([nft, "-c", "-f", "-"], data=ruleset, binary_data=True)
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
        rc, _out, err = module.run_command([nft, "-f", "-"], data=ruleset, binary_data=True)
        if rc != 0:
            result.update(changed=False, loaded=False)
            module.fail_json(msg=f"{PREFIX}: nft failed to load the ruleset: {err.strip()}; the previous table is unchanged", **result)
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
            "zones": {"type": "list", "elements": "dict", "default": []},
            "acls": {"type": "list", "elements": "dict", "default": []},
            "forward_policy": {"type": "str", "choices": list(POLICIES), "default": "accept"},
            "log_drop": {"type": "bool", "default": False},
            "fail_beside_firewalld": {"type": "bool", "default": False},
            "boot_status": {"type": "bool", "default": False},
            "path": {"type": "path", "default": DEFAULT_PATH},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        supports_check_mode=True,
    )
    path = module.params["path"]
    present = module.params["state"] == "present"
    units = _refuse_beside_firewalld(module)
    ruleset, counts = _rendered(module, present)
    extra = _boot_status(module, units, path)
    nft = _nft(module, extra)
    file_ruleset, listing, live_matched, changed = _compare(module, nft, path, present, ruleset)
    result = {
        "changed": changed,
        "ruleset": ruleset,
        "path": path,
        "loaded": changed and present,
        "live_table_matched": live_matched,
        "summary": counts,
        **extra,
    }
    if module._diff:
        result["diff"] = _file_diff(path, file_ruleset, live_matched, ruleset)
    if present:
        _check_ruleset(module, nft, ruleset, result)
    if not changed or module.check_mode:
        module.exit_json(**result)
    _apply(module, nft, path, present, ruleset, listing, result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
