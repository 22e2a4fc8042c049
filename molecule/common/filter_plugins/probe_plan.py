# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper for the molecule scenarios: which listeners to start, and what each probe must find."""

from __future__ import annotations

import ipaddress

# A port no rule allows, listened on by every host: probes to it must always fail.
UNRULED_PORT = 8999
MANAGEMENT_PORT = 22


def _ports(values):
    """Port strings and ranges as (low, high) pairs."""
    pairs = []
    for value in values:
        low, _dash, high = str(value).partition("-")
        pairs.append((int(low), int(high or low)))
    return pairs


def _port_matches(port, values):
    return not values or any(low <= port <= high for low, high in _ports(values))


def _address_in(address, networks):
    ip = ipaddress.ip_address(address)
    return any(ip in ipaddress.ip_network(network) for network in networks)


def _allows(rules, direction, protocol, port, address):
    ports_key = "local_ports" if direction == "in" else "remote_ports"
    return any(
        rule["direction"] == direction
        and rule["protocol"] == protocol
        and _port_matches(port, rule.get(ports_key) or [])
        and _address_in(address, rule["remote_addresses"])
        for rule in rules
    )


def probe_listeners(rules):
    """Listeners for a host: the ends of its inbound TCP/UDP port ranges, management, an unruled port."""
    listeners = {("tcp", MANAGEMENT_PORT), ("tcp", UNRULED_PORT), ("udp", UNRULED_PORT)}
    for rule in rules:
        if rule["direction"] == "in" and rule["protocol"] in ("tcp", "udp"):
            for low, high in _ports(rule.get("local_ports") or []):
                listeners.update({(rule["protocol"], low), (rule["protocol"], high)})
    return [{"protocol": protocol, "port": port, "spec": f"{protocol}/{port}"} for protocol, port in sorted(listeners)]


def probe_plan(names, hostvars, addresses, rules_by_host):
    """Per source host, the probe targets and the outcome each must have.

    A probe from S to T on protocol/port must pass when T accepts it inbound (one of T's rules or,
    for the management port, T's management CIDRs - every address when none are set) and S lets it
    out (S does not restrict egress, or one of S's outbound rules allows it).
    """
    hosts = {}
    for name in names:
        variables = hostvars[name]
        hosts[name] = {
            "address": addresses[name],
            "rules": rules_by_host.get(name) or [],
            "management_cidrs": variables.get("vdi_firewall_management_cidrs") or ["0.0.0.0/0", "::/0"],
            "restrict_outbound": bool(variables.get("vdi_firewall_restrict_outbound", False)),
        }
    plan = {}
    for source, source_host in sorted(hosts.items()):
        targets = []
        for target, target_host in sorted(hosts.items()):
            if target == source:
                continue
            for listener in probe_listeners(target_host["rules"]):
                protocol, port = listener["protocol"], listener["port"]
                inbound = _allows(target_host["rules"], "in", protocol, port, source_host["address"])
                if protocol == "tcp" and port == MANAGEMENT_PORT:
                    inbound = inbound or _address_in(source_host["address"], target_host["management_cidrs"])
                outbound = not source_host["restrict_outbound"] or _allows(
                    source_host["rules"], "out", protocol, port, target_host["address"]
                )
                targets.append(
                    {
                        "host": target_host["address"],
                        "port": port,
                        "protocol": protocol,
                        "expect": "open" if inbound and outbound else "closed",
                        "name": f"{source}->{target}",
                    }
                )
        plan[source] = targets
    return plan


class FilterModule:
    """Filters of the molecule test helper."""

    def filters(self):
        return {"probe_listeners": probe_listeners, "probe_plan": probe_plan}
