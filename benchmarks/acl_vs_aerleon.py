"""Device ACLs of a synthetic 2,000-host Citrix site: ours beside Aerleon's (enable_dsmo, cisco generator).

Usage: python benchmarks/acl_vs_aerleon.py [--hosts 2000] [--no-role]
Run it from the checkout with the project's virtual environment (make setup) active; needs aerleon
(requirements/dev.txt). One IOS device joins the zones users, infrastructure, servers and vda. The same
rules - every flow crossing the device with its return traffic, the ICMP the network needs, the deny -
go to both renderers; each ACL's IOS text is parsed back and expanded into the packets it permits.
Prints entries per ACL and in total, render times, and whether the permitted sets are identical; then
(unless --no-role) times the whole vdi.firewall.network_acl role (state rendered) on the same site
with the plan of vdi.firewall.plan_rules handed over, in ansible-playbook.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".build" / "collections"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from netaddr import IPSet  # noqa: E402

from ansible_collections.vdi.firewall.plugins.plugin_utils._acl import (  # noqa: E402
    DeviceInput,
    build_device_acls,
    normalise_options,
    normalise_zones,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.entries import (  # noqa: E402
    _Collector,
    finish,
    flow_rows,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._acl.permitted import parse_ios, same_permitted  # noqa: E402
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog  # noqa: E402
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import (  # noqa: E402
    HostInput,
    build_topology,
    deployment_flows,
    plan_hosts,
)
from plan_speed import ENDPOINTS, site  # noqa: E402

ICMP_TYPES = {"unreachable": "unreachable", "echo_reply": "echo-reply"}


def deployment(count: int):
    hosts = [HostInput(name, groups=(group,), product="citrix", ansible_host=address) for name, group, address in site(count)]
    topology = build_topology(load_catalog(), hosts, endpoints=ENDPOINTS)
    rows = deployment_flows(topology, plan_hosts(topology))
    servers = IPSet([f"{address}/32" for _name, group, address in site(count) if group != "vda"])
    server_cidrs = [str(cidr) for cidr in IPSet([f"{cidr.network}/27" for cidr in servers.iter_cidrs()]).iter_cidrs()]
    vda = IPSet(["10.20.0.0/16", "10.21.0.0/16"]) - IPSet(server_cidrs)
    zones = {"users": {"cidrs": ["198.51.100.0/24"], "interface": "Gi0/1"},
             "infrastructure": {"cidrs": ["192.0.2.0/24"], "interface": "Gi0/2"},
             "servers": {"cidrs": server_cidrs, "interface": "Gi0/3"},
             "vda": {"cidrs": [str(cidr) for cidr in vda.iter_cidrs()], "interface": "Gi0/4"}}
    return rows, DeviceInput("fw-ios", "cisco.ios.ios", zones, management_cidrs=["192.0.2.250/32"])


def raw_rules(device: DeviceInput, rows, options) -> dict:
    """Every ACL's rules before merging, as the builder collects them (the input both renderers get)."""
    zones = normalise_zones(device.name, device.zones)
    collector = _Collector(zones, options)
    for flow in flow_rows(rows):
        collector.flow(flow)
    result = {}
    for zone in zones:
        rules = list(collector.rules.get((zone.name, "ipv4"), {}).values())
        result[zone.acl] = finish(rules, "ipv4", replace_merge(options))
    return result


def replace_merge(options):
    from dataclasses import replace
    return replace(options, merge_flows=False)


def _ports(ports) -> list[str]:
    return [f"{port.start}-{port.end}" if port.start != port.end else str(port.start) for port in ports]


def aerleon_policy(acls: dict) -> tuple[dict, dict]:
    """One Aerleon policy (a cisco filter per ACL, enable_dsmo) and its definitions, term by rule."""
    networks, services, filters = {}, {}, []
    for acl, rules in acls.items():
        terms = []
        for index, rule in enumerate(rules):
            term = {"name": f"t{index}", "action": "deny" if rule.kind == "deny" else "accept"}
            if rule.kind != "deny":
                term["protocol"] = rule.protocol
            for side, cidrs in (("source", rule.sources), ("destination", rule.destinations)):
                if cidrs != ("0.0.0.0/0",):
                    name = f"{acl}_{index}_{side}".replace("-", "_")
                    networks[name] = {"values": [{"address": cidr} for cidr in cidrs]}
                    term[f"{side}-address"] = name
            for side, ports in (("source", rule.source_ports), ("destination", rule.destination_ports)):
                if ports:
                    name = f"{acl}_{index}_{side}_port".replace("-", "_")
                    services[name] = [{"port": port, "protocol": rule.protocol} for port in _ports(ports)]
                    term[f"{side}-port"] = name
            if rule.established:
                term["option"] = "tcp-established"
            if rule.icmp_types:
                term["icmp-type"] = " ".join(ICMP_TYPES[name] for name in rule.icmp_types)
            terms.append(term)
        filters.append({"header": {"targets": {"cisco": f"{acl} extended enable_dsmo"}}, "terms": terms})
    return {"filename": "site", "filters": filters}, {"networks": networks, "services": services}


def run_aerleon(acls: dict) -> tuple[str, float]:
    from aerleon import api
    from aerleon.lib import naming
    logging.getLogger().setLevel(logging.ERROR)
    start = time.perf_counter()
    policy, data = aerleon_policy(acls)
    definitions = naming.Naming()
    definitions.ParseDefinitionsObject(data, "")
    output = api.Generate([policy], definitions)
    return output["site.acl"], time.perf_counter() - start


def run_ours(device: DeviceInput, rows, options) -> tuple[list[str], float]:
    start = time.perf_counter()
    result = build_device_acls([device], rows, {}, options)[device.name]
    return result["text"], time.perf_counter() - start


# the role, timed inside the play between two timestamps: the plan is made before, and handed over
ROLE_PLAY = """
- name: Plan once, then time the network_acl role with that plan
  hosts: network_devices
  gather_facts: false
  tasks:
    - name: Plan the deployment once
      vdi.firewall.plan_rules: {return_hosts: false, journeys: false}
      run_once: true
      delegate_to: localhost
      register: benchmark_plan
    - name: Start the clock
      ansible.builtin.set_fact: {benchmark_start: "{{ now().timestamp() }}"}
    - name: Render the device's ACLs with the role
      ansible.builtin.include_role: {name: vdi.firewall.network_acl}
      vars: {vdi_firewall_acl_plan: "{{ benchmark_plan }}"}
    - name: Stop the clock
      ansible.builtin.debug: {msg: "ROLE_SECONDS={{ now().timestamp() - benchmark_start | float }}"}
"""


def role_inventory(count: int, device: DeviceInput, path: Path) -> None:
    """The site's hosts (as plan_speed writes them) and the IOS device with its zones."""
    children: dict[str, dict] = {}
    for name, group, address in site(count):
        children.setdefault(group, {"hosts": {}})["hosts"][name] = {"ansible_host": address}
    children["network_devices"] = {"hosts": {device.name: {
        "ansible_network_os": "cisco.ios.ios", "ansible_connection": "ansible.netcommon.network_cli",
        "vdi_firewall_zones": device.zones, "vdi_firewall_management_cidrs": list(device.management_cidrs)}}}
    inventory = {"all": {"vars": {"vdi_firewall_product": "citrix", "vdi_firewall_endpoints": ENDPOINTS},
                         "children": children}}
    path.write_text(yaml.safe_dump(inventory))


def run_role(count: int, device: DeviceInput) -> tuple[float, float]:
    """(seconds of the role, seconds of the whole ansible-playbook run) on the site, state rendered."""
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
                       ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    with tempfile.TemporaryDirectory() as directory:
        inventory, playbook = Path(directory) / "inventory.yml", Path(directory) / "play.yml"
        role_inventory(count, device, inventory)
        playbook.write_text(ROLE_PLAY)
        start = time.perf_counter()
        result = subprocess.run(["ansible-playbook", "-i", str(inventory), str(playbook)], cwd=ROOT, env=environment,
                                capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
    found = re.search(r"ROLE_SECONDS=([0-9.]+)", result.stdout)
    if result.returncode != 0 or not found:
        sys.exit(f"the network_acl role failed:\n{result.stdout}\n{result.stderr}")
    return float(found.group(1)), elapsed


def entry_counts(acls: dict) -> dict[str, int]:
    return {name: len(boxes) for name, boxes in acls.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--no-role", action="store_true", help="do not time the network_acl role")
    args = parser.parse_args()
    options = normalise_options(afis=["ipv4"])
    rows, device = deployment(args.hosts)
    ours_text, ours_time = run_ours(device, rows, options)
    aerleon_text, aerleon_time = run_aerleon(raw_rules(device, rows, options))
    ours, theirs = parse_ios(ours_text), parse_ios(aerleon_text.splitlines())
    ours_entries = {name: 0 for name in ours}
    current = None
    for line in ours_text:
        if line.startswith("ip access-list"):
            current = line.split()[-1]
        elif current and line.split()[1:2] in (["permit"], ["deny"]):
            ours_entries[current] += 1
    theirs_entries = {name: 0 for name in theirs}
    current = None
    for line in aerleon_text.splitlines():
        if line.startswith("ip access-list"):
            current = line.split()[-1]
        elif current and line.split()[:1] in (["permit"], ["deny"]):
            theirs_entries[current] += 1
    print(f"{args.hosts} hosts, {len(rows)} deployment flows, IOS device with {len(ours)} IPv4 ACLs")
    print(f"{'ACL':<22} {'ours':>8} {'aerleon':>8}  permitted sets identical")
    for name in sorted(ours):
        identical = same_permitted(ours[name], theirs.get(name, []))
        print(f"{name:<22} {ours_entries[name]:>8} {theirs_entries.get(name, 0):>8}  {'yes' if identical else 'NO'}")
    print(f"{'total entries':<22} {sum(ours_entries.values()):>8} {sum(theirs_entries.values()):>8}")
    print(f"{'render time (s)':<22} {ours_time:>8.3f} {aerleon_time:>8.3f}  (ours: flows to text; aerleon: policy to text)")
    if not args.no_role:
        role_time, playbook_time = run_role(args.hosts, device)
        print(f"{'network_acl role (s)':<22} {role_time:>8.3f} {aerleon_time:>8.3f}  (role, state rendered, plan handed "
              f"over, beside aerleon's policy to text)")
        print(f"{'whole playbook (s)':<22} {playbook_time:>8.3f} {'':>8}  (ansible-playbook: inventory, plan_rules, role)")


if __name__ == "__main__":
    main()
