"""Planner speed: in-process on a synthetic 10,000-host Citrix site, and through ansible-playbook.

Usage: python benchmarks/plan_speed.py [--hosts 10000] [--playbook-sizes 500,1000,2000]
Run it from the checkout with the project's virtual environment (make setup) active.
Prints one line per measurement; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = ROOT / ".build" / "collections"
sys.path.insert(0, str(COLLECTIONS))

from ansible_collections.vdi.firewall.plugins.plugin_utils.catalog import load_catalog  # noqa: E402
from ansible_collections.vdi.firewall.plugins.plugin_utils.planner import (  # noqa: E402
    HostInput,
    build_topology,
    plan_hosts,
)

ROLES = (("broker", 4), ("storefront", 4), ("gateway", 4), ("license_server", 2), ("sql", 2), ("director", 2),
         ("pvs", 4), ("fas", 2))
ENDPOINTS = {"user_device": ["198.51.100.0/24"], "domain_controller": ["192.0.2.10", "192.0.2.11"],
             "dns_server": ["192.0.2.10"], "admin_workstation": ["192.0.2.250"]}


def site(count: int) -> list[tuple[str, str, str]]:
    """(host, group, address) for a site of `count` hosts, VDAs making up the rest."""
    hosts = []
    for group, number in ROLES:
        for index in range(number):
            hosts.append((f"{group}{index + 1}", group, None))
    for index in range(count - len(hosts)):
        hosts.append((f"vda{index + 1}", "vda", None))
    return [(name, group, f"10.{20 + position // 65000}.{(position // 250) % 256}.{position % 250 + 1}")
            for position, (name, group, _unused) in enumerate(hosts)]


def in_process(count: int) -> None:
    catalog = load_catalog()
    hosts = [HostInput(name, groups=(group,), product="citrix", ansible_host=address) for name, group, address in site(count)]
    start = time.perf_counter()
    topology = build_topology(catalog, hosts, endpoints=ENDPOINTS)
    plans = plan_hosts(topology)
    elapsed = time.perf_counter() - start
    rules = sum(len(plan["rules"]) for plan in plans.values())
    print(f"in-process: {len(plans)} hosts, {rules} rules planned in {elapsed:.3f} s "
          f"({elapsed / len(plans) * 1e6:.1f} us/host)")


def through_playbook(count: int) -> None:
    children = {}
    for name, group, address in site(count):
        children.setdefault(group, {"hosts": {}})["hosts"][name] = {"ansible_host": address}
    inventory = {"all": {"vars": {"vdi_firewall_product": "citrix", "vdi_firewall_endpoints": ENDPOINTS},
                         "children": children}}
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "inventory.yml"
        path.write_text(yaml.safe_dump(inventory))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
                   ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")
        command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(path), "vdi.firewall.plan",
                   "-e", f"vdi_firewall_output_dir={scratch}/out"]
        start = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            print(result.stdout[-2000:], result.stderr[-2000:])
            raise SystemExit(f"ansible-playbook failed at {count} hosts")
        task = [line for line in result.stdout.splitlines() if "Plan every host's rules" in line and "-----" in line]
        task_seconds = float(task[-1].rsplit("-", 1)[-1].strip().rstrip("s")) if task else float("nan")
        print(f"ansible-playbook: {count} hosts in {elapsed:.2f} s wall, plan task {task_seconds:.2f} s "
              f"= {task_seconds / count * 1000:.2f} ms/host")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10000)
    parser.add_argument("--playbook-sizes", default="500,1000,2000")
    args = parser.parse_args()
    in_process(args.hosts)
    for size in (int(item) for item in args.playbook_sizes.split(",") if item):
        through_playbook(size)


if __name__ == "__main__":
    main()
