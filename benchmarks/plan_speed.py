"""Planning speed: the plan playbook beside ansible-inventory on one synthetic Citrix site, and the planner alone.

Usage: python benchmarks/plan_speed.py [--sizes 500,1000,2000,5000,10000] [--repeat 3] [--in-process 10000]
                                      [--scratch DIR]
Run it from the checkout with the project's virtual environment (make setup) active.

For each size, one generated inventory file (all.vars: product and endpoints; one group per role, VDAs
making up the rest) is given to

    ansible-inventory -i INV --list
    ansible-playbook -i INV playbooks/plan.yml -e vdi_firewall_output_dir=TMP

the second as a user runs it, writing every output file into an empty directory. Beside them, the floor
of any playbook that plans from the inventory: the plan playbook's shape (a play over `hosts: all` whose
first batch is one host, one run_once task, then the end of the play) with a task that reads one variable
of every host (Ansible works out each host's variables to do so) and does nothing else. The commands run
one after the other, --repeat times, and the fastest run of each counts (the machine's other load only
ever adds). The table gives the times, the plan's and the floor's ratio to ansible-inventory, each one's
milliseconds per host, the milliseconds each adds per host from the size before (the cost per host once
the fixed costs are paid: flat when it stays the same), the megabytes written, how long the collection's
writer takes to write the same files into an empty directory beside them (the part of the plan's time
that is the disk's, not the plan's), and the plan's ratio without that part.
Then the planner alone, in process (build_topology and plan_hosts, then the per-host files' encoding).
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = ROOT / ".build" / "collections"
sys.path.insert(0, str(COLLECTIONS))

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog  # noqa: E402
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import (  # noqa: E402
    HostInput,
    build_topology,
    plan_hosts,
    summarise,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._outputs import write_outputs  # noqa: E402
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.files import plan_files  # noqa: E402

SIZES = "500,1000,2000,5000,10000"
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


def write_inventory(count: int, path: Path) -> None:
    children: dict[str, dict] = {}
    for name, group, address in site(count):
        children.setdefault(group, {"hosts": {}})["hosts"][name] = {"ansible_host": address}
    inventory = {"all": {"vars": {"vdi_firewall_product": "citrix", "vdi_firewall_endpoints": ENDPOINTS},
                         "children": children}}
    path.write_text(yaml.safe_dump(inventory))


FLOOR_PLAYBOOK = """\
- name: Read every host's variables once, and nothing else
  hosts: all
  gather_facts: false
  serial: 1
  tasks:
    - name: One variable of every host
      ansible.builtin.debug:
        msg: "{{ ansible_play_hosts_all | map('extract', hostvars, 'inventory_hostname') | list | length }} hosts read"
      run_once: true
      delegate_to: localhost

    - name: End the play
      ansible.builtin.meta: end_play
"""


def _environment() -> dict[str, str]:
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))


def _timed(command: list[str]) -> float:
    """Wall seconds of one run; exits with its output when it fails."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=_environment(), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(command)}")
    return elapsed


def _megabytes(directory: Path) -> float:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file()) / 1e6


def _creation_seconds(directory: Path, scratch: Path) -> float:
    """Seconds the collection's writer takes to write copies of the files under directory into a new directory."""
    files = {str(path.relative_to(directory)): path.read_bytes() for path in directory.rglob("*") if path.is_file()}
    copies = Path(tempfile.mkdtemp(prefix="files-", dir=scratch)) / "out"
    start = time.perf_counter()
    write_outputs(str(copies), files)
    elapsed = time.perf_counter() - start
    shutil.rmtree(copies.parent)
    return elapsed


def side_by_side(count: int, repeat: int, scratch: Path) -> dict:
    """The fastest of `repeat` runs of ansible-inventory and of the plan playbook on one inventory."""
    inventory = scratch / f"inventory-{count}.yml"
    write_inventory(count, inventory)
    binaries = Path(sys.executable).parent
    floor = scratch / "floor.yml"
    floor.write_text(FLOOR_PLAYBOOK)
    inventory_runs, plan_runs, creation_runs, floor_runs, written = [], [], [], [], 0.0
    for number in range(repeat):
        inventory_runs.append(_timed([str(binaries / "ansible-inventory"), "-i", str(inventory), "--list"]))
        floor_runs.append(_timed([str(binaries / "ansible-playbook"), "-i", str(inventory), str(floor)]))
        output = scratch / f"out-{count}-{number}"
        plan_runs.append(_timed([str(binaries / "ansible-playbook"), "-i", str(inventory), "playbooks/plan.yml",
                                 "-e", f"vdi_firewall_output_dir={output}"]))
        written = _megabytes(output)
        creation_runs.append(_creation_seconds(output, scratch))
        shutil.rmtree(output)
    return {"hosts": count, "inventory": min(inventory_runs), "plan": min(plan_runs), "written": written,
            "files": min(creation_runs), "floor": min(floor_runs)}


def print_table(rows: list[dict]) -> None:
    print(f"{'hosts':>6}  {'inventory s':>11}  {'plan s':>7}  {'ratio':>5}  {'floor s':>7}  {'floor ratio':>11}  "
          f"{'inventory ms/host':>17}  {'plan ms/host':>12}  {'added ms/host inv | plan':>24}  {'MB written':>10}  "
          f"{'files s':>7}  {'ratio without files':>19}")
    previous = None
    for row in rows:
        added = ""
        if previous is not None and row["hosts"] > previous["hosts"]:
            more = row["hosts"] - previous["hosts"]
            added = (f"{(row['inventory'] - previous['inventory']) / more * 1000:.3f} | "
                     f"{(row['plan'] - previous['plan']) / more * 1000:.3f}")
        print(f"{row['hosts']:>6}  {row['inventory']:>11.2f}  {row['plan']:>7.2f}  "
              f"{row['plan'] / row['inventory']:>5.2f}  {row['floor']:>7.2f}  {row['floor'] / row['inventory']:>11.2f}  "
              f"{row['inventory'] / row['hosts'] * 1000:>17.3f}  "
              f"{row['plan'] / row['hosts'] * 1000:>12.3f}  {added:>24}  {row['written']:>10.1f}  {row['files']:>7.2f}  "
              f"{(row['plan'] - row['files']) / row['inventory']:>19.2f}")
        previous = row


def in_process(count: int) -> None:
    """The planner alone on `count` hosts, then the encoding of their files (without journeys)."""
    catalog = load_catalog()
    hosts = [HostInput(name, groups=(group,), product="citrix", ansible_host=address)
             for name, group, address in site(count)]
    start = time.perf_counter()
    plans = plan_hosts(build_topology(catalog, hosts, endpoints=ENDPOINTS))
    planned = time.perf_counter() - start
    start = time.perf_counter()
    files = plan_files(plans, [])
    encoded = time.perf_counter() - start
    summary = summarise(plans)
    print(f"in process: {len(plans)} hosts, {summary['rules']} rules, {summary['warnings']} warnings planned in "
          f"{planned:.3f} s ({planned / len(plans) * 1e6:.1f} us/host); their files encoded in {encoded:.3f} s "
          f"({sum(len(text) for text in files.values()) / 1e6:.1f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=SIZES, help=f"comma-separated numbers of hosts (default {SIZES})")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command per size; the fastest counts")
    parser.add_argument("--scratch", default=None, metavar="DIR",
                        help="where the inventories and outputs go (default: a new directory in the system's temp)")
    parser.add_argument("--in-process", type=int, default=10000, metavar="HOSTS",
                        help="hosts for the in-process planner figures (0: none)")
    args = parser.parse_args()
    sizes = [int(item) for item in args.sizes.split(",") if item.strip()]
    with tempfile.TemporaryDirectory(prefix="plan_speed-", dir=args.scratch) as scratch:
        rows = []
        for count in sizes:
            rows.append(side_by_side(count, max(1, args.repeat), Path(scratch)))
            print(f"  {count} hosts measured", file=sys.stderr)
        print_table(rows)
    if args.in_process:
        in_process(args.in_process)


if __name__ == "__main__":
    main()
