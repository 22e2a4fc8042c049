# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Linux backends' modules read from the host itself, so that their roles need no facts.

Internal to vdi.firewall, not a public interface: it may change in any release.

- The controller's address for the management access: the first field of SSH_CLIENT in the
  module's environment (the value `ansible_facts.env.SSH_CLIENT` would hold), with the same
  fallbacks as the vdi.firewall.management_entries filter.
- The state of systemd units (`systemctl show`): whether firewalld runs and is enabled, whether
  nftables.service is enabled and which ruleset it loads at boot.
- Lines of that ruleset, added and removed as ansible.builtin.lineinfile does.

Pure Python, no Ansible imports: modules call it on the target, tests call it directly.
"""

from __future__ import annotations

import shlex
from typing import Any, Mapping

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import errors_as, parse_port
from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import controller_address as _controller_address
from ansible_collections.vdi.firewall.plugins.module_utils._linux_rules import RuleError

FALLBACKS = ("any", "none", "fail")
ANY = ["0.0.0.0/0", "::/0"]
# What `systemctl is-enabled` calls enabled for good: the states in which systemd_service, asked
# for enabled=true, changes nothing. Any other state (disabled, masked, enabled-runtime, indirect,
# alias, not found, ...) means the role's service task has something to do.
ENABLED_STATES = ("enabled", "static", "generated", "transient")
UNIT_PROPERTIES = ("Id", "LoadState", "ActiveState", "UnitFileState", "ExecStart")


def controller_address(ssh_client: Any) -> str | None:
    """The controller's address as /32 or /128 from SSH_CLIENT ('ADDRESS CLIENT_PORT SERVER_PORT')."""
    with errors_as(RuleError):
        return _controller_address(ssh_client)


def controller_management(spec: Mapping[str, Any] | None, environ: Mapping[str, str]) -> list[dict]:
    """The management entry for the controller: from SSH_CLIENT in `environ`, else the fallback.

    `spec` is {port, protocol, fallback}; None gives no entry. The same outcome as the
    vdi.firewall.management_entries filter without CIDRs and with ssh_client=SSH_CLIENT.
    """
    if spec is None:
        return []
    protocol = spec.get("protocol") or "tcp"
    fallback = spec.get("fallback") or "any"
    if protocol not in ("tcp", "udp"):
        raise RuleError(f"management_controller: 'protocol' must be tcp or udp, got {protocol!r}")
    if fallback not in FALLBACKS:
        raise RuleError(f"management_controller: 'fallback' must be one of {', '.join(FALLBACKS)}, got {fallback!r}")
    port = spec.get("port")
    if isinstance(port, bool) or not isinstance(port, int):
        raise RuleError(f"management_controller: 'port' {port!r} is not a port number (1-65535)")
    with errors_as(RuleError):
        port = parse_port(port, "management_controller: 'port'")
    address = controller_address(environ.get("SSH_CLIENT"))
    if address:
        addresses = [address]
    elif fallback == "any":
        addresses = list(ANY)
    elif fallback == "none":
        return []
    else:
        raise RuleError(
            "no management CIDRs are set and the controller's address is unknown (no SSH_CLIENT: "
            "not connected over SSH); set vdi_firewall_management_cidrs"
        )
    return [{"protocol": protocol, "port": port, "remote_addresses": addresses}]


def show_command(systemctl: str, units: list[str]) -> list[str]:
    """The one `systemctl show` command that reads every unit `parse_show` needs."""
    return [systemctl, "show", "--property=" + ",".join(UNIT_PROPERTIES), "--", *units]


def parse_show(text: str, units: list[str]) -> dict[str, dict[str, str]]:
    """`systemctl show` output (one block per unit, in the order asked) as {unit: {property: value}}."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, _sep, value = line.partition("=")
        current[key] = value
    if current:
        blocks.append(current)
    by_unit: dict[str, dict[str, str]] = {}
    for unit, block in zip(units, blocks):
        by_unit[unit] = block
    return by_unit


def unit_state(properties: Mapping[str, str] | None) -> dict[str, bool | None]:
    """{active, enabled} of one unit; None for both when systemd could not be asked."""
    if properties is None:
        return {"active": None, "enabled": None}
    return {
        "active": properties.get("ActiveState") == "active",
        "enabled": properties.get("LoadState") != "not-found" and properties.get("UnitFileState") in ENABLED_STATES,
    }


def exec_start_file(properties: Mapping[str, str] | None) -> str | None:
    """The file a unit's ExecStart loads with `-f FILE` (`nft -f /etc/nftables.conf`), if any.

    systemctl prints ExecStart as `{ path=/usr/sbin/nft ; argv[]=/usr/sbin/nft -f /etc/nftables.conf ; ... }`.
    """
    if not properties:
        return None
    value = properties.get("ExecStart") or ""
    marker = "argv[]="
    if marker not in value:
        return None
    argv_text = value.split(marker, 1)[1].split(" ; ", 1)[0]
    try:
        argv = shlex.split(argv_text)
    except ValueError:
        return None
    for index, argument in enumerate(argv[:-1]):
        if argument in ("-f", "--file"):
            return argv[index + 1]
    for argument in argv:
        if argument.startswith("--file="):
            return argument.split("=", 1)[1]
    return None


def has_line(text: str | None, line: str) -> bool:
    """Whether `text` has `line` as a whole line, as ansible.builtin.lineinfile compares lines."""
    if text is None:
        return False
    return any(current.rstrip("\r") == line for current in text.split("\n"))


def _chunks(text: str) -> list[str]:
    """The lines of `text` with their line ends, split on newlines only, as lineinfile reads a file."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def with_line(text: str, line: str) -> str | None:
    """`text` with `line` added at its end, as lineinfile adds a missing line; None when it has it already."""
    if has_line(text, line):
        return None
    if text and not text.endswith(("\n", "\r")):
        text += "\n"
    return f"{text}{line}\n"


def without_line(text: str | None, line: str) -> str | None:
    """`text` without the lines that are `line`, as lineinfile removes them; None when it has none."""
    if not has_line(text, line):
        return None
    return "".join(chunk for chunk in _chunks(text or "") if chunk.rstrip("\r\n") != line)


def read_units(module: Any, units: list[str]) -> dict[str, dict[str, str]] | None:
    """{unit: properties} from one `systemctl show`; None without systemctl or when it fails.

    `module` is the AnsibleModule (get_bin_path, run_command).
    """
    systemctl = module.get_bin_path("systemctl")
    if not systemctl:
        return None
    rc, out, _err = module.run_command(show_command(systemctl, units))
    if rc != 0:
        return None
    return parse_show(out, units)
