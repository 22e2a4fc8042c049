#!/usr/bin/python
# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probe TCP and UDP ports from the target host, in parallel."""

from __future__ import annotations

DOCUMENTATION = r"""
module: probe
author: vdi.firewall contributors (@vdi-firewall)
short_description: Probe TCP and UDP ports from the target host, in parallel, and compare with expectations
version_added: 1.0.0
description:
  - Connects from the host the module runs on to each target, many at a time, each within
    O(timeout) seconds, and reports what it found. It proves from the hosts themselves which flows
    a firewall lets through.
  - TCP is V(open) when the handshake completes. UDP is V(open) when the target answers the payload
    (an echo service); a UDP port whose service never answers cannot be told from a blocked one.
  - Other states are V(refused) (TCP reset or ICMP port unreachable - the host was reached but nothing
    listens, or a firewall rejects with a reset), V(unreachable) (ICMP host or administratively
    prohibited - typically a firewall that rejects), V(timeout) (no answer - typically a firewall
    that drops) and V(error) (for example a name that does not resolve).
  - Never changes anything on any host.
options:
  targets:
    description: What to probe.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: Address or name to connect to.
        type: str
        required: true
      port:
        description: Port number.
        type: int
        required: true
      protocol:
        description: Transport.
        type: str
        choices: [tcp, udp]
        default: tcp
      expect:
        description:
          - V(open) passes when the state is V(open); V(closed) passes for every other state.
          - Without it the target is only reported.
        type: str
        choices: [open, closed]
      name:
        description: A label for the report, for example the flow id.
        type: str
  timeout:
    description: Seconds to wait for each target.
    type: float
    default: 2.0
  parallel:
    description: How many targets are probed at the same time.
    type: int
    default: 32
  payload:
    description: What is sent to UDP targets.
    type: str
    default: vdi.firewall probe
  fail_on_mismatch:
    description: Fail when a target's state does not meet its O(targets[].expect).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Probing changes nothing, so it also runs in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
  platform:
    support: full
    platforms: posix
    description: Runs on the host the probes start from.
"""

EXAMPLES = r"""
- name: The user device reaches StoreFront over HTTPS, not the Delivery Controller
  vdi.firewall.probe:
    targets:
      - {host: 10.0.0.11, port: 443, expect: open, name: citrix_cvad_001}
      - {host: 10.0.0.10, port: 80, expect: closed}
      - {host: 10.0.0.12, port: 1494, protocol: udp, expect: open}
"""

RETURN = r"""
results:
  description: One entry per target, in the order given.
  returned: always
  type: list
  elements: dict
  sample:
    - {host: 10.0.0.11, port: 443, protocol: tcp, name: citrix_cvad_001, expect: open, state: open,
       passed: true, seconds: 0.002, detail: connected}
passed:
  description: Whether every target with an expectation met it.
  returned: always
  type: bool
  sample: true
mismatches:
  description: The results whose state did not meet the expectation.
  returned: always
  type: list
  elements: dict
  sample: []
summary:
  description: Counts per state, and of targets that passed and failed their expectation.
  returned: always
  type: dict
  sample: {open: 3, timeout: 1, passed: 4, failed: 0}
"""

import errno
import socket
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import VdiFirewallError, parse_port

UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM}


def _state_of(exc: OSError) -> str:
    if isinstance(exc, socket.timeout):
        return "timeout"
    if isinstance(exc, socket.gaierror):
        return "error"
    if exc.errno == errno.ECONNREFUSED:
        return "refused"
    if exc.errno in UNREACHABLE:
        return "unreachable"
    return "error"


def _probe_tcp(host: str, port: int, timeout: float) -> tuple[str, str]:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return "open", "connected"
    except OSError as exc:
        return _state_of(exc), str(exc) or type(exc).__name__


def _probe_udp(host: str, port: int, timeout: float, payload: bytes) -> tuple[str, str]:
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.settimeout(timeout)
            # A connected UDP socket receives the ICMP errors for its peer as socket errors.
            sock.connect(address)
            sock.send(payload)
            answer = sock.recv(2048)
            return "open", f"answered {len(answer)} bytes"
    except OSError as exc:
        return _state_of(exc), str(exc) or type(exc).__name__


def probe(target: dict, timeout: float, payload: bytes) -> dict:
    """Probe one target and judge it against its expectation."""
    started = time.monotonic()
    if target["protocol"] == "udp":
        state, detail = _probe_udp(target["host"], target["port"], timeout, payload)
    else:
        state, detail = _probe_tcp(target["host"], target["port"], timeout)
    expect = target.get("expect")
    passed = None if expect is None else (state == "open") == (expect == "open")
    return {
        "host": target["host"],
        "port": target["port"],
        "protocol": target["protocol"],
        "name": target.get("name"),
        "expect": expect,
        "state": state,
        "passed": passed,
        "seconds": round(time.monotonic() - started, 3),
        "detail": detail,
    }


def main():
    module = AnsibleModule(
        argument_spec={
            "targets": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "host": {"type": "str", "required": True},
                    "port": {"type": "int", "required": True},
                    "protocol": {"type": "str", "choices": ["tcp", "udp"], "default": "tcp"},
                    "expect": {"type": "str", "choices": ["open", "closed"]},
                    "name": {"type": "str"},
                },
            },
            "timeout": {"type": "float", "default": 2.0},
            "parallel": {"type": "int", "default": 32},
            "payload": {"type": "str", "default": "vdi.firewall probe"},
            "fail_on_mismatch": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    targets = module.params["targets"]
    for target in targets:
        try:
            parse_port(target["port"], f"port of {target['host']}")
        except VdiFirewallError as exc:
            module.fail_json(msg=f"vdi.firewall.probe: {exc}")
    if module.params["timeout"] <= 0 or module.params["parallel"] < 1:
        module.fail_json(msg="vdi.firewall.probe: timeout must be above 0 and parallel at least 1")
    payload = module.params["payload"].encode()
    with ThreadPoolExecutor(max_workers=min(module.params["parallel"], max(len(targets), 1))) as pool:
        results = list(pool.map(lambda target: probe(target, module.params["timeout"], payload), targets))

    mismatches = [result for result in results if result["passed"] is False]
    summary: dict[str, int] = {}
    for result in results:
        summary[result["state"]] = summary.get(result["state"], 0) + 1
    summary["passed"] = sum(1 for result in results if result["passed"] is True)
    summary["failed"] = len(mismatches)
    outcome = {"changed": False, "results": results, "passed": not mismatches, "mismatches": mismatches, "summary": summary}
    if mismatches and module.params["fail_on_mismatch"]:
        described = "; ".join(
            f"{m['protocol']}/{m['host']}:{m['port']}{' (' + m['name'] + ')' if m['name'] else ''} "
            f"expected {m['expect']}, got {m['state']}"
            for m in mismatches
        )
        module.fail_json(msg=f"vdi.firewall.probe: {len(mismatches)} of {len(results)} targets failed: {described}", **outcome)
    module.exit_json(**outcome)


if __name__ == "__main__":
    main()
