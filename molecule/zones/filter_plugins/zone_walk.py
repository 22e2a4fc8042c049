# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper of the zones scenario: walk the journeys hop by hop through the router, and probe the rest.

``zone_walk`` works out, from the plan (vdi.firewall.plan_rules: the hosts' rules and the journeys
with each hop's sources and destinations) and the router's entries (vdi.firewall.device_acls), what
every probe between the containers must find:

- open when the router lets it through (same zone, or an entry of the pair of zones permits it) and
  the destination host accepts it (one of its inbound rules, or its management port from the
  management CIDRs; a container without planned rules has no host firewall);
- closed otherwise.

Probes: from every container but the router, to every other one, each of the destination's
listeners (the ends of its inbound rules' port ranges, the ports of the journey hops towards it, the
management port and tcp/udp 8999, which no flow needs), over IPv4 and IPv6. A journey hop is walked
as legs - one per source container, destination container and address family - and each leg's
probes must find what the hop needs (every port, or any one of its alternatives); the plan itself
must let every leg through, else the walk fails before any packet is sent.

``zone_walk_report`` judges the probe results: false allows (open where the plan says closed), false
denies (closed where it says open), and the legs of every hop.
"""

from __future__ import annotations

import ipaddress

MANAGEMENT_PORT = 22
UNNEEDED_PORT = 8999
WALKED_STATUSES = ("open", "missing", "unchecked")


def _network(value):
    return ipaddress.ip_network(str(value), strict=False)


def _contains(networks, address) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip.version == network.version and ip in network for network in networks)


def _ranges(values):
    pairs = []
    for value in values or ():
        for item in str(value).split(","):
            item = item.strip()
            if item:
                low, _dash, high = item.partition("-")
                pairs.append((int(low), int(high or low)))
    return pairs


def _in_ports(port, values) -> bool:
    """Whether port is in the port list (an empty list is every port)."""
    ranges = _ranges(values)
    return not ranges or any(low <= port <= high for low, high in ranges)


class _Model:
    """What the plan says about one packet: does the router, does the destination host let it through."""

    def __init__(self, plan, router, hostvars, planned, extra_rules):
        self.zones = [(zone["name"], [_network(cidr) for cidr in zone["cidrs"]]) for zone in router["zones"]]
        self.entries = [
            ace for group in router["acls"] for acl in group["acls"] for ace in acl["aces"]
            if ace["kind"] in ("management", "flow") and ace.get("destination_zone") != "(device)"
        ]
        self.parsed = [(ace, _network(ace["source"]), _network(ace["destination"])) for ace in self.entries]
        self.rules = {}
        self.management = {}
        for host in planned:
            rules = list((plan["hosts"].get(host) or {}).get("rules") or []) + list(extra_rules)
            self.rules[host] = [(rule, [_network(item) for item in rule["remote_addresses"]])
                                for rule in rules if rule["direction"] == "in"]
            self.management[host] = [_network(item) for item in hostvars[host].get("vdi_firewall_management_cidrs") or []]

    def zone(self, address):
        for name, networks in self.zones:
            if _contains(networks, address):
                return name
        return None

    def router(self, source, destination, protocol, port):
        """(allowed, crossing) for a packet between two addresses."""
        source_zone, destination_zone = self.zone(source), self.zone(destination)
        if source_zone is None or destination_zone is None or source_zone == destination_zone:
            return True, False
        for ace, source_net, destination_net in self.parsed:
            if (ace["source_zone"], ace["destination_zone"]) != (source_zone, destination_zone):
                continue
            if ace["protocol"] not in (protocol, "ip"):
                continue
            if not (_contains([source_net], source) and _contains([destination_net], destination)):
                continue
            if ace["protocol"] == "ip" or ace.get("destination_ports") in (None, "") or \
                    _in_ports(port, [ace["destination_ports"]]):
                return True, True
        return False, True

    def host(self, destination_host, source, protocol, port):
        if destination_host not in self.rules:
            return True  # no host firewall
        if protocol == "tcp" and port == MANAGEMENT_PORT and _contains(self.management[destination_host], source):
            return True
        return any(rule["protocol"] == protocol and _in_ports(port, rule.get("local_ports")) and _contains(networks, source)
                   for rule, networks in self.rules[destination_host])


def _addresses(hostvars, host):
    values = hostvars[host].get("vdi_firewall_address") or []
    values = values if isinstance(values, list) else [values]
    return {ipaddress.ip_address(str(value)).version: str(value) for value in values}


def _containers(name, hostvars, names):
    """Containers of a hop end: a host, or 'endpoint:<component>' played by the containers that say so."""
    if name.startswith("endpoint:"):
        component = name.split(":", 1)[1]
        return [host for host in names if hostvars[host].get("zones_test_endpoint") == component]
    return [name] if name in names else []


def _port_ends(spec):
    return sorted({end for low, high in _ranges([spec]) for end in (low, high)})


def zone_walk(plan, router, hostvars, names, planned, extra_rules, router_name):
    """The probes of every container and the journey legs they walk (see the module docstring)."""
    names = sorted(name for name in names if name != router_name)
    model = _Model(plan, router, hostvars, planned, extra_rules)
    addresses = {name: _addresses(hostvars, name) for name in names}
    listeners = {name: {("tcp", MANAGEMENT_PORT), ("tcp", UNNEEDED_PORT), ("udp", UNNEEDED_PORT)} for name in names}
    for host in planned:
        for rule, _networks in model.rules[host]:
            if rule["protocol"] in ("tcp", "udp"):
                for low, high in _ranges(rule.get("local_ports")):
                    listeners[host].update({(rule["protocol"], low), (rule["protocol"], high)})
    legs = []
    hops = []
    for journey in plan.get("journeys") or []:
        if journey["status"] == "not_applicable":
            continue
        for hop in journey["hops"]:
            if hop["status"] not in WALKED_STATUSES or hop["protocol"] not in ("tcp", "udp"):
                continue
            sources = [item for name in hop["sources"] for item in _containers(name, hostvars, names)]
            destinations = [item for name in hop["destinations"] for item in _containers(name, hostvars, names)]
            hop_id = f"{journey['id']}#{hop['hop']}"
            hop_legs = []
            for source in sources:
                for destination in destinations:
                    if source == destination:
                        continue
                    for family in sorted(set(addresses[source]) & set(addresses[destination])):
                        alternatives = [_port_ends(spec) for spec in hop["ports"]]
                        for ports in alternatives:
                            listeners[destination].update((hop["protocol"], port) for port in ports)
                        hop_legs.append({"hop": hop_id, "source": source, "destination": destination,
                                         "family": family, "protocol": hop["protocol"], "match": hop["match"],
                                         "alternatives": alternatives})
            if hop_legs:
                hops.append({"hop": hop_id, "label": f"{hop['from']} -> {hop['to']} {hop['protocol']}/"
                             + ("|" if hop["match"] == "any" else ",").join(hop["ports"]), "legs": len(hop_legs)})
                legs.extend(hop_legs)
    targets = {name: [] for name in names}
    verdicts = {name: [] for name in names}  # per target: what the router and the destination host say
    index = {}
    for source in names:
        for destination in names:
            if destination == source:
                continue
            for family in sorted(set(addresses[source]) & set(addresses[destination])):
                source_address, destination_address = addresses[source][family], addresses[destination][family]
                for protocol, port in sorted(listeners[destination]):
                    allowed, crossing = model.router(source_address, destination_address, protocol, port)
                    accepted = model.host(destination, source_address, protocol, port)
                    expect = allowed and accepted
                    verdicts[source].append({"router": allowed, "host": accepted, "crossing": crossing})
                    index[(source, destination, family, protocol, port)] = (source, len(targets[source]))
                    targets[source].append({
                        "host": destination_address, "port": port, "protocol": protocol,
                        "expect": "open" if expect else "closed",
                        "name": f"{source}->{destination} ipv{family}{' via router' if crossing else ''}",
                    })
    for leg in legs:
        leg["probes"] = [[index[(leg["source"], leg["destination"], leg["family"], leg["protocol"], port)]
                          for port in ports] for ports in leg["alternatives"]]
        leg["crossing"] = model.zone(addresses[leg["source"]][leg["family"]]) != \
            model.zone(addresses[leg["destination"]][leg["family"]])
    # the plan must let every leg through: all its ports, or all ports of one of its alternatives
    unplanned = []
    for leg in legs:
        opens = [all(targets[source][position]["expect"] == "open" for source, position in probes)
                 for probes in leg["probes"]]
        if not (all(opens) if leg["match"] == "all" else any(opens)):
            unplanned.append(f"{leg['hop']} {leg['source']}->{leg['destination']} ipv{leg['family']}")
    return {
        "targets": targets,
        "verdicts": verdicts,
        "listeners": {name: [f"{protocol}/{port}" for protocol, port in sorted(ports)] for name, ports in listeners.items()},
        "legs": legs,
        "hops": hops,
        "unplanned": unplanned,
    }


def zone_walk_report(walk, results):
    """Judge the probes: results is source container -> the probe module's results, in the order of its targets."""
    false_allows, false_denies = [], []
    states = {}
    # closed: by the router alone (the host would accept), by the host alone (same zone, or the router
    # lets it through), or by both
    counts = {"probes": 0, "open": 0, "closed": 0, "closed_router_only": 0, "closed_host_only": 0, "closed_both": 0,
              "through_router": 0}
    for source, targets in walk["targets"].items():
        found = results.get(source) or []
        if len(found) != len(targets):
            raise ValueError(f"{source}: {len(found)} probe results for {len(targets)} targets")
        for position, (target, result) in enumerate(zip(targets, found)):
            verdict = walk["verdicts"][source][position]
            states[(source, position)] = result["state"]
            counts["probes"] += 1
            counts["through_router"] += verdict["crossing"]
            line = f"{target['name']} {target['protocol']}/{target['host']}:{target['port']} found {result['state']}"
            if target["expect"] == "open":
                counts["open"] += 1
                if result["state"] != "open":
                    false_denies.append(line)
            else:
                counts["closed"] += 1
                key = "closed_both" if not verdict["router"] and not verdict["host"] else \
                    ("closed_router_only" if not verdict["router"] else "closed_host_only")
                counts[key] += 1
                if result["state"] == "open":
                    false_allows.append(line)
    walked = {"legs": 0, "legs_through_router": 0, "legs_open": 0, "hops": len(walk["hops"])}
    broken = []
    for leg in walk["legs"]:
        walked["legs"] += 1
        walked["legs_through_router"] += bool(leg["crossing"])
        opens = [all(states[(source, position)] == "open" for source, position in probes) for probes in leg["probes"]]
        if all(opens) if leg["match"] == "all" else any(opens):
            walked["legs_open"] += 1
        else:
            broken.append(f"{leg['hop']} {leg['source']}->{leg['destination']} ipv{leg['family']}")
    return {
        "counts": counts,
        "walked": walked,
        "false_allows": false_allows,
        "false_denies": false_denies,
        "broken_legs": broken,
        "passed": not false_allows and not false_denies and not broken and not walk["unplanned"],
    }


class FilterModule:
    """Filters of the zones scenario."""

    def filters(self):
        return {"zone_walk": zone_walk, "zone_walk_report": zone_walk_report}
