# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the vdi.firewall.firewalld role against a loop of ansible.posix.firewalld.

In one container of the molecule image (scripts/build-image.sh), applies a rule set of N inbound
rules (one address and one port each, so N rich rules either way) twice with each method: a first
run that adds everything, and a second that finds nothing to do. Methods: the role (facts,
package, service, then the module), the module alone, and one ansible.posix.firewalld task per rich
rule (zone public, permanent and immediate). Also a single rule. Prints the wall-clock seconds of
each ansible-playbook run and the ratios.

    python benchmarks/firewalld_apply.py [--rules 150] [--image localhost/vdi-firewall-debian:12]

Needs root and podman (scripts/podman-setup.sh), and the collection resolvable (make setup).
The container is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CONTAINER = "vdi-firewall-bench"


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


PLAYBOOKS = {
    "role.yml": """
- name: Apply the rules with the vdi.firewall.firewalld role
  hosts: bench
  gather_facts: false
  roles:
    - role: vdi.firewall.firewalld
""",
    "module.yml": """
- name: Apply the rules with the vdi.firewall.firewalld_rules module alone
  hosts: bench
  gather_facts: false
  tasks:
    - name: One call for the whole rule set
      vdi.firewall.firewalld_rules:
        rules: "{{ vdi_firewall_rules }}"
""",
    "posix.yml": """
- name: Apply the rules with a loop of ansible.posix.firewalld
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
    "reset.yml": """
- name: Remove what either method added
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
}


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, check=check)


def playbook(workdir: Path, name: str, variables: dict) -> float:
    """Run one playbook against the container; return its wall-clock seconds."""
    extra = workdir / "vars.json"
    extra.write_text(json.dumps(variables))
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
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
    return elapsed


def start_container(image: str) -> None:
    run("podman", "rm", "-f", CONTAINER, check=False)
    run("podman", "run", "-d", "--name", CONTAINER, "--cap-add", "NET_ADMIN", "--systemd", "always", image, "/lib/systemd/systemd")
    for _attempt in range(60):
        if run("podman", "exec", CONTAINER, "firewall-cmd", "--state", check=False).returncode == 0:
            return
        time.sleep(1)
    sys.exit("firewalld did not start in the benchmark container")


def measure(workdir: Path, rule_set: list[dict]) -> dict[str, float]:
    """First and second (no change) run of each method for one rule set."""
    role_vars = {"vdi_firewall_rules": rule_set, "vdi_firewall_management_fallback": "none"}
    posix_vars = {"bench_rich_rules": [rich_rule(rule) for rule in rule_set]}
    figures = {}
    playbook(workdir, "reset.yml", {})
    figures["role, first run"] = playbook(workdir, "role.yml", role_vars)
    figures["role, no change"] = playbook(workdir, "role.yml", role_vars)
    playbook(workdir, "reset.yml", {})
    figures["module, first run"] = playbook(workdir, "module.yml", role_vars)
    figures["module, no change"] = playbook(workdir, "module.yml", role_vars)
    playbook(workdir, "reset.yml", {})
    figures["posix loop, first run"] = playbook(workdir, "posix.yml", posix_vars)
    figures["posix loop, no change"] = playbook(workdir, "posix.yml", posix_vars)
    playbook(workdir, "reset.yml", {})
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=150)
    parser.add_argument("--image", default="localhost/vdi-firewall-debian:12")
    arguments = parser.parse_args()
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
        try:
            results = {
                f"{arguments.rules} rules": measure(workdir, rules(arguments.rules)),
                "1 rule": measure(workdir, rules(1)),
            }
        finally:
            run("podman", "rm", "-f", "-t", "2", CONTAINER, check=False)
    print(f"{'rule set':<10} {'method':<34} {'seconds':>8}")
    for rule_set, figures in results.items():
        for method, seconds in figures.items():
            print(f"{rule_set:<10} {method:<34} {seconds:>8.1f}")
        for run_kind in ("first run", "no change"):
            for ours in ("role", "module"):
                ratio = figures[f"posix loop, {run_kind}"] / figures[f"{ours}, {run_kind}"]
                print(f"{rule_set:<10} {f'posix loop / {ours}, {run_kind}':<34} {ratio:>7.1f}x")


if __name__ == "__main__":
    main()
