# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the firewalld and nftables roles against their modules alone and against plain tasks.

In one container of the molecule image (scripts/build-image.sh), applies a rule set of N inbound
rules (one address and one port each, so N rich rules or nft statements) and a single rule, each
twice: a first run that adds everything, and a second that finds nothing to do. For each backend:

- the role (vdi.firewall.firewalld, then vdi.firewall.nftables with firewalld stopped), as a play
  without gathered facts runs it;
- its module alone (vdi.firewall.firewalld_rules, vdi.firewall.nftables_rules), one task;
- one plain task for the single rule: ansible.posix.firewalld (the rich rule in zone public,
  permanent and immediate), and ansible.builtin.command running `nft -f` with a one-rule table;
- once, unless --no-loop: a loop of one ansible.posix.firewalld task per rich rule for the N rules.

Prints the wall-clock seconds of each ansible-playbook run, side by side for both backends (the
median of --repeat runs, taken in turns so that a busy machine slows every method alike), and the
ratios. A run that should change nothing and reports a change fails the benchmark.

    python benchmarks/firewalld_apply.py [--rules 150] [--repeat 3] [--backend both] [--no-loop]
                                         [--image localhost/vdi-firewall-debian:12]

Needs root and podman (scripts/podman-setup.sh), and the collection resolvable (make setup;
ANSIBLE_COLLECTIONS_PATH, when set, says where). The container is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CONTAINER = "vdi-firewall-bench"
BACKENDS = ("firewalld", "nftables")
PLAIN = {
    "firewalld": "ansible.posix.firewalld",
    "nftables": "ansible.builtin.command: nft -f (a one-rule table)",
}


def rules(count: int) -> list[dict]:
    """`count` inbound TCP rules, each from one /32 in 10.77.0.0/16 to one port from 20000 on."""
    return [
        {
            "name": f"vdi-in-tcp-bench{index:04d}",
            "direction": "in",
            "protocol": "tcp",
            "local_ports": [str(20000 + index)],
            "remote_ports": [],
            "remote_addresses": [f"10.77.{index // 250}.{index % 250 + 1}/32"],
            "flows": [f"bench_{index:04d}"],
        }
        for index in range(count)
    ]


def rich_rule(rule: dict) -> str:
    """The rich rule ansible.posix.firewalld gets for a rule (the same one the module makes)."""
    return (
        f'rule family="ipv4" source address="{rule["remote_addresses"][0]}" '
        f'port port="{rule["local_ports"][0]}" protocol="tcp" accept'
    )


def nft_table(rule: dict) -> str:
    """A table of its own with the one rule, as a plain `nft -f` task would load it."""
    return (
        "table inet vdi_bench\ndelete table inet vdi_bench\n"
        "table inet vdi_bench {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n"
        f'\t\tip saddr {rule["remote_addresses"][0]} tcp dport {rule["local_ports"][0]} accept\n\t}}\n}}\n'
    )


PLAYBOOKS = {
    "firewalld_role.yml": """
- name: Apply the rules with the vdi.firewall.firewalld role
  hosts: bench
  gather_facts: false
  roles:
    - role: vdi.firewall.firewalld
""",
    "firewalld_module.yml": """
- name: Apply the rules with the vdi.firewall.firewalld_rules module alone
  hosts: bench
  gather_facts: false
  tasks:
    - name: One call for the whole rule set
      vdi.firewall.firewalld_rules:
        rules: "{{ vdi_firewall_rules }}"
""",
    "firewalld_plain.yml": """
- name: Apply the rules with ansible.posix.firewalld, one task per rich rule
  hosts: bench
  gather_facts: false
  tasks:
    - name: One rich rule per task
      ansible.posix.firewalld:
        zone: public
        rich_rule: "{{ item }}"
        permanent: true
        immediate: true
        state: enabled
      loop: "{{ bench_rich_rules }}"
""",
    "firewalld_reset.yml": """
- name: Remove what any method added to firewalld
  hosts: bench
  gather_facts: false
  tasks:
    - name: Remove the owned policies
      vdi.firewall.firewalld_rules:
        state: absent
    - name: Remove the public zone's rich rules and reload
      ansible.builtin.shell: |
        set -e
        firewall-cmd --permanent --zone=public --list-rich-rules | while IFS= read -r rule; do
          if [ -n "$rule" ]; then firewall-cmd --permanent --zone=public --remove-rich-rule="$rule" >/dev/null; fi
        done
        firewall-cmd --reload >/dev/null
      changed_when: true
""",
    "nftables_role.yml": """
- name: Apply the rules with the vdi.firewall.nftables role
  hosts: bench
  gather_facts: false
  roles:
    - role: vdi.firewall.nftables
""",
    "nftables_module.yml": """
- name: Apply the rules with the vdi.firewall.nftables_rules module alone
  hosts: bench
  gather_facts: false
  tasks:
    - name: One call for the whole rule set
      vdi.firewall.nftables_rules:
        rules: "{{ vdi_firewall_rules }}"
""",
    "nftables_plain.yml": """
- name: Load a one-rule table with a plain command task
  hosts: bench
  gather_facts: false
  tasks:
    - name: One nft -f
      ansible.builtin.command:
        cmd: nft -f -
        stdin: "{{ bench_nft_table }}"
""",
    "nftables_reset.yml": """
- name: Remove what any method added to nftables, and the boot configuration the role made
  hosts: bench
  gather_facts: false
  tasks:
    - name: Remove the owned table and its file
      vdi.firewall.nftables_rules:
        state: absent
    - name: Remove the include, the plain task's table, and nftables.service's enablement
      ansible.builtin.shell: |
        sed -i '\\|^include "/etc/nftables.d/vdi_firewall.nft"$|d' /etc/nftables.conf
        nft delete table inet vdi_bench 2>/dev/null || true
        systemctl disable --quiet nftables
      changed_when: true
""",
    "switch_to_nftables.yml": """
- name: Stop firewalld, so that the nftables role may run
  hosts: bench
  gather_facts: false
  tasks:
    - name: Stop and disable firewalld
      ansible.builtin.systemd_service:
        name: firewalld
        state: stopped
        enabled: false
    - name: Flush what firewalld left in nftables
      ansible.builtin.command: nft flush ruleset
      changed_when: true
""",
}


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, check=check)


def playbook(workdir: Path, name: str, variables: dict, expect_no_change: bool = False) -> float:
    """Run one playbook against the container; return its wall-clock seconds."""
    extra = workdir / "vars.json"
    extra.write_text(json.dumps(variables))
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=os.environ.get("ANSIBLE_COLLECTIONS_PATH") or str(ROOT / ".build" / "collections"),
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
    )
    started = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(workdir / "inventory.yml"), str(workdir / name), "-e", f"@{extra}"],
        capture_output=True, text=True, env=env, check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}")
    changed = re.search(r"\bchanged=(\d+)", result.stdout)
    if expect_no_change and (changed is None or changed.group(1) != "0"):
        sys.exit(f"{name} should have changed nothing:\n{result.stdout[-3000:]}")
    return elapsed


def start_container(image: str) -> None:
    run("podman", "rm", "-f", CONTAINER, check=False)
    run("podman", "run", "-d", "--name", CONTAINER, "--cap-add", "NET_ADMIN", "--systemd", "always", image, "/lib/systemd/systemd")
    for _attempt in range(60):
        if run("podman", "exec", CONTAINER, "firewall-cmd", "--state", check=False).returncode == 0:
            return
        time.sleep(1)
    sys.exit("firewalld did not start in the benchmark container")


def measure(workdir: Path, backend: str, count: int, repeat: int, loop: bool) -> dict[str, float]:
    """The median seconds of each case for one backend: {case: seconds}."""
    many, one = rules(count), rules(1)
    role_vars = {"vdi_firewall_management_fallback": "none"}
    plain_one = (
        {"bench_rich_rules": [rich_rule(one[0])]} if backend == "firewalld" else {"bench_nft_table": nft_table(one[0])}
    )
    # (case prefix, playbook, variables, whether its second run must change nothing)
    methods = [
        (f"role, {count} rules", "role", {**role_vars, "vdi_firewall_rules": many}, True),
        (f"module alone, {count} rules", "module", {"vdi_firewall_rules": many}, True),
        ("role, 1 rule", "role", {**role_vars, "vdi_firewall_rules": one}, True),
        ("module alone, 1 rule", "module", {"vdi_firewall_rules": one}, True),
        ("one plain task, 1 rule", "plain", plain_one, backend == "firewalld"),
    ]
    samples: dict[str, list[float]] = {}
    reset = f"{backend}_reset.yml"
    for _round in range(repeat):
        for prefix, kind, variables, idempotent in methods:
            name = f"{backend}_{kind}.yml"
            playbook(workdir, reset, {})
            samples.setdefault(f"{prefix}, first run", []).append(playbook(workdir, name, variables))
            samples.setdefault(f"{prefix}, no change", []).append(
                playbook(workdir, name, variables, expect_no_change=idempotent)
            )
    if loop and backend == "firewalld":
        variables = {"bench_rich_rules": [rich_rule(rule) for rule in many]}
        playbook(workdir, reset, {})
        samples[f"plain task loop, {count} rules, first run"] = [playbook(workdir, "firewalld_plain.yml", variables)]
        samples[f"plain task loop, {count} rules, no change"] = [
            playbook(workdir, "firewalld_plain.yml", variables, expect_no_change=True)
        ]
    playbook(workdir, reset, {})
    return {case: statistics.median(values) for case, values in samples.items()}


def table(results: dict[str, dict[str, float]], count: int, repeat: int) -> str:
    """The figures side by side, then the ratios the roles are held to."""
    backends = list(results)
    cases: list[str] = []
    for figures in results.values():
        cases += [case for case in figures if case not in cases]
    width = max(len(case) for case in cases) + 8
    lines = [f"Seconds per ansible-playbook run, median of {repeat} (loop: one run):", ""]
    lines.append(f"{'case':<{width}}" + "".join(f"{backend:>11}" for backend in backends))
    for case in cases:
        cells = "".join(
            f"{results[backend][case]:>11.1f}" if case in results[backend] else f"{'-':>11}" for backend in backends
        )
        lines.append(f"{case:<{width}}{cells}")
    ratios = [
        ("role / module alone, first run", f"role, {count} rules, first run", f"module alone, {count} rules, first run"),
        ("role / module alone, no change", f"role, {count} rules, no change", f"module alone, {count} rules, no change"),
        ("role 1 rule / one plain task, first run", "role, 1 rule, first run", "one plain task, 1 rule, first run"),
        ("role 1 rule / one plain task, no change", "role, 1 rule, no change", "one plain task, 1 rule, no change"),
        ("plain task loop / role, first run", f"plain task loop, {count} rules, first run", f"role, {count} rules, first run"),
        ("plain task loop / role, no change", f"plain task loop, {count} rules, no change", f"role, {count} rules, no change"),
    ]
    lines.append("")
    for label, numerator, denominator in ratios:
        cells = [
            f"{results[backend][numerator] / results[backend][denominator]:>10.2f}x"
            if numerator in results[backend] and denominator in results[backend] else f"{'-':>11}"
            for backend in backends
        ]
        if any(cell.strip() != "-" for cell in cells):
            lines.append(f"{label:<{width}}" + "".join(cells))
    lines.append("")
    lines += [f"one plain task, {backend}: {PLAIN[backend]}" for backend in backends]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each case; the median is printed")
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--no-loop", dest="loop", action="store_false",
                        help="leave out the loop of ansible.posix.firewalld tasks (minutes)")
    parser.add_argument("--image", default="localhost/vdi-firewall-debian:12")
    arguments = parser.parse_args()
    backends = BACKENDS if arguments.backend == "both" else (arguments.backend,)
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        (workdir / "inventory.yml").write_text(
            "all:\n  hosts:\n    bench:\n"
            f"      ansible_connection: containers.podman.podman\n      ansible_host: {CONTAINER}\n"
            "      ansible_python_interpreter: /usr/bin/python3\n"
        )
        for name, text in PLAYBOOKS.items():
            (workdir / name).write_text("---" + text)
        start_container(arguments.image)
        results = {}
        try:
            for backend in backends:
                if backend == "nftables":
                    playbook(workdir, "switch_to_nftables.yml", {})
                results[backend] = measure(workdir, backend, arguments.rules, max(arguments.repeat, 1), arguments.loop)
        finally:
            run("podman", "rm", "-f", "-t", "2", CONTAINER, check=False)
    print(table(results, arguments.rules, max(arguments.repeat, 1)))


if __name__ == "__main__":
    main()
