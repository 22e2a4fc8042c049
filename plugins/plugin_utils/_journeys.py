# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""User and administrator journeys: the paths a session depends on, and whether a plan lets them through.

Internal to vdi.firewall, not a public interface: it may change in any release.

A journey (``vars/journeys/<product>.yml``) is a list of hops written from the product's architecture,
independently of the port catalog's flows: a hop is (from component, to component, protocol, ports,
optional feature, references). ``check_journeys`` tests every journey of the deployment's products
against the planned rules, so that a flow the documents leave out shows as a broken journey.

Pure Python, no Ansible. The shapes below are stable; other checks (zone devices, verify) build on them.

API: ``load_journeys(catalog, directory=None) -> JourneySet``, ``build_journeys([(path, data)], catalog)``,
``check_journeys(topology, plans, journeys=None, devices=None) -> [JOURNEY]``, and views of its result:
``summarise_journeys`` (counts for the run summary), ``journeys_by_host`` (host -> its journeys),
``strict_failure`` (the message strict mode fails with, or None) and ``hop_label``.

Result of ``check_journeys`` - one dict per journey of the deployment's products::

    {"id": "<journey id>", "title": "...", "product": "<product id>", "description": "...",
     "status": "complete" | "broken" | "not_applicable",
     "reason": None | "hop 1 <from> -> <to> tcp/443: not open at the destination host ...",
     "first_missing": None | {"hop": 1, "from": ..., "to": ..., "protocol": ..., "ports": [...],
                              "ends": ["source host", "device", "destination host"], "hosts": [...], "devices": [...]},
     "hosts": ["gw1", ...],                # inventory hosts that take part in a checked hop
     "hops": [HOP, ...]}

A journey is ``not_applicable`` when its own feature is off, or when a hop that is not switched off
has a from- or to-component with no host and no endpoint (``reason`` says which).

HOP - one dict per hop, in journey order::

    {"hop": 1, "from": "<component>", "to": "<component>", "protocol": "tcp", "ports": ["443"],
     "match": "all" | "any",               # every port, or any one of them (the same one at every end)
     "feature": None | "<feature>", "description": "...", "references": [{"id", "title", "url"}],
     "status": "open" | "missing" | "off" | "unchecked" | "not_applicable",
     "missing": [{"end": "source host" | "device" | "destination host",
                  "host": "gw1",            # for host ends ("device": name for device ends)
                  "ports": ["443"],         # the hop's ports that end does not open
                  "addresses": ["198.51.100.0/24"]}],   # the peer addresses it does not cover
     "sources": ["gw1", "endpoint:<component>"], "destinations": [...],
     "source_addresses": [CIDR, ...], "destination_addresses": [CIDR, ...]}

``off``: the hop's feature is off at every host of its components (the catalog default when none is a
host). ``unchecked``: no end of the hop is a planned host (both are endpoints) and no device check
reported on it. ``missing`` lists the ends that do not let the hop through, source host first.

An end is open when:
- destination host: its plan has inbound rules of the hop's protocol whose local ports cover each
  port and whose remote addresses cover every source address (sources' hosts and endpoints, less
  the host's own addresses: a hop between components of one host is loopback);
- source host: the same with its outbound rules (remote ports, destination addresses); a host whose
  plan has no outbound rule at all does not restrict egress, so its end is open.
Endpoints (vdi_firewall_endpoints) have no host end; hosts outside ``plans`` are not checked.

Devices: ``check_journeys(..., devices=[check, ...])`` calls each ``check(hop) -> [missing entry]`` for
every hop it tests (the HOP dict above, before ``status`` and ``missing`` are set); entries it returns
(``{"end": "device", "device": name, "ports": [...], "addresses": [...]}``) are listed between the
source and the destination host ends and make the hop ``missing``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import yaml

try:
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - libyaml is optional
    from yaml import SafeLoader as _YamlLoader

try:
    from netaddr import IPAddress, iprange_to_cidrs

    HAS_NETADDR = True
except ImportError:  # pragma: no cover - exercised only without netaddr
    HAS_NETADDR = False

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import (
    PORTLESS_PROTOCOLS,
    PROTOCOLS,
    Catalog,
    PortRange,
    collection_path,
)
from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import parse_network, parse_port_range, parse_ports
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError

COMPLETE = "complete"
BROKEN = "broken"
NOT_APPLICABLE = "not_applicable"
STATUSES = (COMPLETE, BROKEN, NOT_APPLICABLE)
SOURCE_END = "source host"
DEVICE_END = "device"
DESTINATION_END = "destination host"

_FILE_KEYS = frozenset(("product", "references", "journeys"))
_JOURNEY_KEYS = frozenset(("id", "title", "product", "description", "feature", "hops", "note"))
_JOURNEY_REQUIRED = ("id", "title", "description", "hops")
_HOP_KEYS = frozenset(("from", "to", "protocol", "ports", "match", "feature", "description", "references", "note"))
_HOP_REQUIRED = ("from", "to", "protocol", "description")
_REFERENCE_KEYS = frozenset(("title", "url", "note"))
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_RANGE = re.compile(r"^(\d+)-(\d+)$")
_URL = re.compile(r"^https?://\S+$")


def default_journeys_dir() -> str:
    """Return vars/journeys of the collection this file belongs to."""
    return collection_path("vars", "journeys")


@dataclass(frozen=True)
class Hop:
    """One step of a journey: a connection from one component to another."""

    source: str
    destination: str
    protocol: str
    ports: tuple[int | str, ...]
    description: str
    references: tuple[str, ...]
    match: str = "all"
    feature: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Journey:
    """A path users or administrators depend on, hop by hop."""

    id: str
    title: str
    product: str
    description: str
    hops: tuple[Hop, ...]
    feature: str | None = None
    note: str | None = None
    file: str = ""


@dataclass
class JourneySet:
    """The validated journeys and the references their hops cite."""

    journeys: list[Journey]
    references: dict[str, dict]

    def for_products(self, products) -> list[Journey]:
        wanted = set(products)
        return [journey for journey in self.journeys if journey.product in wanted]


# ---------------------------------------------------------------------------------------------- loading

def _signature(directory: str) -> tuple:
    try:
        names = sorted(name for name in os.listdir(directory) if name.endswith((".yml", ".yaml")))
    except OSError as exc:
        raise VdiFirewallError(f"journeys directory {directory} cannot be read: {exc}") from exc
    signature = []
    for name in names:
        stat = os.stat(os.path.join(directory, name))
        signature.append((name, stat.st_mtime_ns, stat.st_size))
    return tuple(signature)


@lru_cache(maxsize=8)
def _read(directory: str, signature: tuple) -> tuple:
    documents = []
    for name, _mtime, _size in signature:
        path = os.path.join(directory, name)
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.load(handle, Loader=_YamlLoader)  # noqa: S506 - safe loader
        except (OSError, yaml.YAMLError) as exc:
            raise VdiFirewallError(f"{path}: cannot be read as YAML: {exc}") from exc
        documents.append((path, data))
    return tuple(documents)


def load_journeys(catalog: Catalog, directory: str | None = None) -> JourneySet:
    """Load and validate every journey file in directory (default: the collection's vars/journeys/)."""
    directory = os.path.abspath(directory or default_journeys_dir())
    documents = _read(directory, _signature(directory))
    if not documents:
        raise VdiFirewallError(f"journeys directory {directory} holds no .yml file")
    return build_journeys(list(documents), catalog)


def build_journeys(documents: list[tuple[str, dict]], catalog: Catalog) -> JourneySet:
    """Validate parsed journey files [(path, data), ...] against the catalog's components and features."""
    journeys: list[Journey] = []
    references: dict[str, dict] = {}
    seen: dict[str, str] = {}
    products: dict[str, str] = {}
    for path, data in documents:
        if not isinstance(data, dict):
            raise VdiFirewallError(f"{path}: a journeys file must be a mapping")
        unknown = sorted(set(data) - _FILE_KEYS)
        if unknown:
            raise VdiFirewallError(f"{path}: unknown top-level key(s) {', '.join(unknown)}")
        product = data.get("product")
        if product not in catalog.products:
            raise VdiFirewallError(f"{path}: product {product!r} is not one of {', '.join(sorted(catalog.products))}")
        if product in products:
            raise VdiFirewallError(f"{path}: product '{product}' already has its journeys in {products[product]}")
        products[product] = path
        file_references = data.get("references") or {}
        if not isinstance(file_references, dict):
            raise VdiFirewallError(f"{path}: 'references' must be a mapping of reference id to title and url")
        for key, value in file_references.items():
            _check_reference(path, key, value)
            if key in references:
                raise VdiFirewallError(f"{path}: reference '{key}' is already defined in {references[key]['file']}")
            references[key] = {"id": key, "title": value["title"].strip(), "url": value["url"], "file": path}
        entries = data.get("journeys")
        if not isinstance(entries, list) or not entries:
            raise VdiFirewallError(f"{path}: 'journeys' must be a non-empty list")
        for index, raw in enumerate(entries, start=1):
            journey = _journey(raw, index, path, product, catalog, file_references)
            if journey.id in seen:
                raise VdiFirewallError(f"{path}: journey '{journey.id}' (entry {index}): duplicate id, "
                                       f"first defined in {seen[journey.id]}")
            seen[journey.id] = path
            journeys.append(journey)
    return JourneySet(journeys=journeys, references=references)


def _check_reference(path: str, key, value) -> None:
    where = f"{path}: reference {key!r}"
    if not isinstance(key, str) or not _ID.match(key):
        raise VdiFirewallError(f"{where}: id must be snake_case (a-z, 0-9, _)")
    if not isinstance(value, dict):
        raise VdiFirewallError(f"{where}: must be a mapping with 'title' and 'url'")
    unknown = sorted(set(value) - _REFERENCE_KEYS)
    if unknown:
        raise VdiFirewallError(f"{where}: unknown key(s) {', '.join(unknown)}")
    if not isinstance(value.get("title"), str) or not value["title"].strip():
        raise VdiFirewallError(f"{where}: 'title' is required")
    if not isinstance(value.get("url"), str) or not _URL.match(value["url"]):
        raise VdiFirewallError(f"{where}: 'url' must be an http(s) address of the public document")


def _journey(raw, index: int, path: str, product: str, catalog: Catalog, references: dict) -> Journey:
    if not isinstance(raw, dict):
        raise VdiFirewallError(f"{path}: journey entry {index} must be a mapping")
    label = f"{path}: journey '{raw.get('id', '?')}' (entry {index})"

    def fail(message: str):
        raise VdiFirewallError(f"{label}: {message}")

    unknown = sorted(set(raw) - _JOURNEY_KEYS)
    if unknown:
        fail(f"unknown key(s) {', '.join(unknown)}")
    for key in _JOURNEY_REQUIRED:
        if raw.get(key) in (None, "", []):
            fail(f"'{key}' is required")
    if not isinstance(raw["id"], str) or not _ID.match(raw["id"]):
        fail("'id' must be snake_case (a-z, 0-9, _)")
    for key in ("title", "description"):
        if not isinstance(raw[key], str):
            fail(f"'{key}' must be a string")
    if raw.get("product", product) != product:
        fail(f"product {raw['product']!r} differs from the file's product '{product}'")
    feature = raw.get("feature")
    if feature is not None and feature not in catalog.features:
        fail(f"unknown feature '{feature}' (not in the catalog)")
    if not isinstance(raw["hops"], list):
        fail("'hops' must be a list")
    hops = tuple(_hop(hop, number, label, catalog, references) for number, hop in enumerate(raw["hops"], start=1))
    return Journey(id=raw["id"], title=raw["title"].strip(), product=product, description=raw["description"].strip(),
                   hops=hops, feature=feature, note=raw.get("note"), file=os.path.basename(path))


def _hop(raw, number: int, label: str, catalog: Catalog, references: dict) -> Hop:
    where = f"{label}: hop {number}"

    def fail(message: str):
        raise VdiFirewallError(f"{where}: {message}")

    if not isinstance(raw, dict):
        fail("must be a mapping")
    where = f"{label}: hop {number} ({raw.get('from', '?')} -> {raw.get('to', '?')})"
    unknown = sorted(set(raw) - _HOP_KEYS)
    if unknown:
        fail(f"unknown key(s) {', '.join(unknown)}")
    for key in _HOP_REQUIRED:
        if raw.get(key) in (None, ""):
            fail(f"'{key}' is required")
    for key in ("from", "to"):
        if raw[key] not in catalog.components:
            fail(f"unknown component '{raw[key]}' in '{key}' (not in the catalog)")
    protocol = raw["protocol"]
    if protocol not in PROTOCOLS:
        fail(f"unknown protocol {protocol!r} (known: {', '.join(PROTOCOLS)})")
    ports = raw.get("ports") or []
    if not isinstance(ports, list):
        fail("'ports' must be a list")
    if protocol in PORTLESS_PROTOCOLS and ports:
        fail(f"{protocol} carries no ports")
    if protocol not in PORTLESS_PROTOCOLS and not ports:
        fail(f"{protocol} needs 'ports'")
    checked: list[int | str] = []
    for port in ports:
        if isinstance(port, str) and port in catalog.symbolic_ports:
            checked.append(port)
            continue
        if isinstance(port, str) and not _RANGE.match(port) and not port.isdigit():
            fail(f"port {port!r} is neither a number, an 'a-b' range nor a symbolic port of the catalog")
        try:
            port_range = parse_port_range(port, "port")
        except VdiFirewallError as exc:
            fail(str(exc))
        checked.append(port_range.start if port_range.is_single else port)
    match = raw.get("match", "all")
    if match not in ("all", "any"):
        fail(f"'match' must be 'all' or 'any', got {match!r}")
    feature = raw.get("feature")
    if feature is not None and feature not in catalog.features:
        fail(f"unknown feature '{feature}' (not in the catalog)")
    cited = raw.get("references")
    if cited in (None, "", []):
        fail("needs 'references': at least one public vendor document (a reference id of this file)")
    cited = [cited] if isinstance(cited, str) else cited
    if not isinstance(cited, list):
        fail("'references' must be a list of reference ids")
    for reference in cited:
        if reference not in references:
            fail(f"reference '{reference}' is missing from the file's 'references'")
    if not isinstance(raw["description"], str):
        fail("'description' must be a string")
    return Hop(source=raw["from"], destination=raw["to"], protocol=protocol, ports=tuple(checked),
               description=raw["description"].strip(), references=tuple(cited), match=match, feature=feature,
               note=raw.get("note"))


# ---------------------------------------------------------------------------------------------- checking

def _require_netaddr() -> None:
    if not HAS_NETADDR:
        raise VdiFirewallError("the Python library 'netaddr' is required on the controller (pip install netaddr)")


def hop_ports(catalog: Catalog, hop: Hop, overrides: dict | None = None) -> list[list[PortRange]]:
    """The hop's ports, one list of ranges per port spec (symbolic names resolved with the run's values)."""
    result = []
    for port in hop.ports:
        if isinstance(port, str) and port in catalog.symbolic_ports:
            value = (overrides or {}).get(port, catalog.symbolic_ports[port]["default"])
            result.append(list(parse_ports(value, f"symbolic port '{port}'")))
        else:
            result.append(list(parse_ports([port], f"hop port {port!r}")))
    return result


def _ranges_text(ranges) -> list[str]:
    return [str(item) for item in ranges]


def _parse_rule_ports(ports) -> list[tuple[int, int]]:
    """A planned rule's port texts ("443", "135,49152-65535") as (start, end) pairs; none is none."""
    texts = [text for text in ports or () if str(text).strip()]
    return [(item.start, item.end) for item in parse_ports(texts, "planned rule ports")] if texts else []


# Address sets of the check: (IPv4 intervals, IPv6 intervals), each a sorted tuple of (first, last)
# integers that neither overlap nor touch. A result lists a set as the fewest CIDRs of its intervals,
# IPv4 first and in address order, in netaddr's texts: what netaddr's IPSet.iter_cidrs() gives.

def _has(addresses: tuple[tuple, tuple]) -> bool:
    return bool(addresses[0] or addresses[1])


def _merged(intervals) -> tuple:
    """(first, last) intervals sorted, and merged where they overlap or touch."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(intervals):
        if merged and first <= merged[-1][1] + 1:
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return tuple(merged)


def _union(sets: list[tuple[tuple, tuple]]) -> tuple[tuple, tuple]:
    """One address set of several."""
    if len(sets) == 1:
        return sets[0]
    return (_merged(interval for addresses in sets for interval in addresses[0]),
            _merged(interval for addresses in sets for interval in addresses[1]))


def _subtract(have: tuple, less: tuple) -> tuple:
    """The intervals of one family without those of `less` (both sorted and merged)."""
    if not have or not less:
        return have
    result = []
    index, count = 0, len(less)
    for first, last in have:
        while index < count and less[index][1] < first:
            index += 1
        probe = index
        while probe < count and first <= last and less[probe][0] <= last:
            low, high = less[probe]
            if low > first:
                result.append((first, low - 1))
            first = max(first, high + 1)
            probe += 1
        if first <= last:
            result.append((first, last))
    return tuple(result)


def _minus(have: tuple[tuple, tuple], less: tuple[tuple, tuple]) -> tuple[tuple, tuple]:
    """The addresses of `have` that `less` leaves out."""
    return _subtract(have[0], less[0]), _subtract(have[1], less[1])


def _left_out(addresses: tuple[tuple, tuple], remotes) -> tuple[tuple, tuple]:
    """The addresses that none of the remote address sets covers (the rest are not read once none is left)."""
    for remote in remotes:
        if not _has(addresses):
            break
        addresses = _minus(addresses, remote)
    return addresses


def _cidr_texts(addresses: tuple[tuple, tuple]) -> list[str]:
    """The set as the fewest CIDRs, IPv4 first and in address order (netaddr's texts, as IPSet lists them)."""
    texts: list[str] = []
    for version, intervals in ((4, addresses[0]), (6, addresses[1])):
        for first, last in intervals:
            texts.extend(str(cidr) for cidr in iprange_to_cidrs(IPAddress(first, version), IPAddress(last, version)))
    return texts


def _missing_pieces(candidates: list, protocol: str, wanted, addresses) -> list[tuple[PortRange | None, tuple]]:
    """[(port piece, addresses)]: where the rules (candidates: [(port pairs, address set)], of the end's
    direction and protocol) leave some of the addresses out, for each piece of the wanted ports.

    The wanted ranges are cut at every rule boundary, so that each piece is inside or outside each rule;
    a portless protocol has one piece, None. Pieces are listed in the wanted ranges' order.
    """
    if not _has(addresses):
        return []
    if protocol in PORTLESS_PROTOCOLS:
        missing = _left_out(addresses, (remote for _ranges, remote in candidates))
        return [(None, missing)] if _has(missing) else []
    pieces: list[tuple[PortRange | None, tuple]] = []
    for wanted_range in wanted:
        cuts = {wanted_range.start, wanted_range.end + 1}
        for ranges, _remote in candidates:
            for start, end in ranges:
                for edge in (start, end + 1):
                    if wanted_range.start < edge <= wanted_range.end:
                        cuts.add(edge)
        edges = sorted(cuts)
        for start, after in zip(edges, edges[1:]):
            missing = _left_out(addresses, (remote for ranges, remote in candidates
                                            if any(low <= start and after - 1 <= high for low, high in ranges)))
            if _has(missing):
                pieces.append((PortRange(start, after - 1), missing))
    return pieces


def _gap(pieces: list[tuple[PortRange | None, tuple]], own=None) -> tuple[list[str], list[str]] | None:
    """(ports, addresses) the pieces leave out, less the host's own addresses; None when nothing is left out."""
    ports: list[PortRange] = []
    left_out = []
    for piece, addresses in pieces:
        if own is not None:
            addresses = _minus(addresses, own)
            if not _has(addresses):
                continue
        left_out.append(addresses)
        if piece is None:
            continue
        if ports and ports[-1].end + 1 == piece.start:
            ports[-1] = PortRange(ports[-1].start, piece.end)
        else:
            ports.append(piece)
    if not left_out:
        return None
    return _ranges_text(ports), _cidr_texts(_union(left_out))


def _feature_on(topology, feature: str | None, hosts) -> bool:
    if feature is None:
        return True
    default = topology.catalog.features[feature]["default"]
    hosts = list(hosts)
    if not hosts:
        return default
    for host in hosts:
        features = topology.host_features.get(host) or {}
        if features.get(feature, default):
            return True
    return False


def _present(topology, component: str) -> bool:
    return bool(topology.component_hosts.get(component) or topology.component_endpoints.get(component))


def _peers(topology, component: str) -> list[str]:
    names = list(topology.component_hosts.get(component, ()))
    if topology.component_endpoints.get(component):
        names.append(f"endpoint:{component}")
    return names


class _Ends:
    """Per-run caches, so that hosts with the same rules and peers (VDAs) are worked out once.

    The planner shares rule dicts between hosts with the same rules, and the check changes no plan:
    a host's rules are known by their dicts' identities (the host's rules number), each rule's ports
    and addresses are read once, and each end of a hop is worked out once per rules number among its
    hosts, so that an open end costs nothing per host. Only a host that is one of the hop's peers (a
    hop between components of one host) is worked out on its own: its own addresses are taken out of
    what it must cover, as the planner does.
    """

    def __init__(self, topology, plans: dict):
        self.topology = topology
        self.plans = plans
        self.hosts: dict[str, int] = {}  # host -> rules number
        self.numbers: dict[tuple, int] = {}  # the ids of a host's rule dicts -> rules number
        self.rules: list[tuple[list[dict], bool]] = []  # rules number -> (the rules, whether any is outbound)
        self.components: dict[str, tuple[list[str], list[int]]] = {}  # -> (planned hosts, their rules numbers)
        self.candidates: dict[tuple, list] = {}  # (rules number, direction, protocol) -> [(port pairs, addresses)]
        self.parsed: dict[int, tuple] = {}  # id(rule) -> (rule, port pairs, addresses)
        self.cidrs: dict[str, tuple[int, int, int]] = {}  # CIDR text -> (family index, first, last)
        self.peers: dict[str, tuple[frozenset, tuple]] = {}  # component -> (its hosts, its addresses)
        self.pieces: dict[tuple, list] = {}
        self.results: dict[tuple, tuple | None] = {}

    def planned(self, component: str) -> list[str]:
        """The component's hosts that have a plan, in the topology's order."""
        return self._component(component)[0]

    def _component(self, component: str) -> tuple[list[str], list[int]]:
        known = self.components.get(component)
        if known is None:
            hosts = [host for host in self.topology.component_hosts.get(component, ()) if host in self.plans]
            numbers = list(dict.fromkeys(self._number(host) for host in hosts))
            known = self.components[component] = (hosts, numbers)
        return known

    def _number(self, host: str) -> int:
        number = self.hosts.get(host)
        if number is None:
            rules = self.plans[host].get("rules") or []
            number = self.numbers.setdefault(tuple(map(id, rules)), len(self.rules))
            if number == len(self.rules):
                self.rules.append((rules, any(rule.get("direction") == "out" for rule in rules)))
            self.hosts[host] = number
        return number

    def addresses(self, cidrs, where: str) -> tuple[tuple, tuple]:
        """CIDR texts as an address set (each text read once)."""
        families: tuple[list, list] = ([], [])
        for text in cidrs or ():
            parsed = self.cidrs.get(text)
            if parsed is None:
                network = parse_network(text, where)
                first = int(network.network_address)
                parsed = self.cidrs[text] = (network.version == 6, first, first | int(network.hostmask))
            families[parsed[0]].append(parsed[1:])
        return _merged(families[0]), _merged(families[1])

    def _candidates(self, number: int, direction: str, protocol: str) -> list:
        """[(port pairs, addresses)] of the rules of that direction and protocol."""
        key = (number, direction, protocol)
        found = self.candidates.get(key)
        if found is None:
            found = self.candidates[key] = []
            for rule in self.rules[number][0]:
                if rule.get("direction") != direction or rule.get("protocol") != protocol:
                    continue
                parsed = self.parsed.get(id(rule))
                if parsed is None:
                    ports = rule.get("local_ports") if direction == "in" else rule.get("remote_ports")
                    addresses = self.addresses(rule.get("remote_addresses"), f"planned rule {rule.get('name')!r} remote_addresses")
                    parsed = (rule, _parse_rule_ports(ports), addresses)
                    self.parsed[id(rule)] = parsed
                found.append(parsed[1:])
        return found

    def _peer(self, component: str) -> tuple[frozenset, tuple]:
        known = self.peers.get(component)
        if known is None:
            members = frozenset(self.topology.component_hosts.get(component, ()))
            known = self.peers[component] = (members, self.addresses(self.topology.peer_cidrs(component), component))
        return known

    def _pieces(self, key: tuple) -> list:
        """The missing pieces of one end for hosts of one rules number: key (direction, protocol, wanted, peer, number)."""
        pieces = self.pieces.get(key)
        if pieces is None:
            direction, protocol, wanted, peer, number = key
            if direction == "out" and not self.rules[number][1]:
                pieces = []  # a plan without outbound rules does not restrict egress
            else:
                pieces = _missing_pieces(self._candidates(number, direction, protocol), protocol, wanted,
                                         self._peer(peer)[1])
            self.pieces[key] = pieces
        return pieces

    def gaps(self, component: str, direction: str, protocol: str, wanted: tuple, peer: str) -> list[tuple[str, tuple]]:
        """[(host, (ports, addresses))]: the component's planned hosts whose rules leave out some of the
        hop's ports or peer addresses (direction 'out' at the source end, 'in' at the destination), in order.

        The peer component's addresses must be covered, less the host's own when it is one of them
        (loopback: a host that is the only peer is open).
        """
        hosts, numbers = self._component(component)
        if not [number for number in numbers if self._pieces((direction, protocol, wanted, peer, number))]:
            return []  # every host of the end is open
        members = self._peer(peer)[0]
        found = []
        for host in hosts:
            key = (direction, protocol, wanted, peer, self.hosts[host])
            pieces = self.pieces[key]
            if not pieces:
                continue
            if host in members:
                gap = _gap(pieces, self.addresses(self.topology.host_addresses.get(host, ()), f"host {host!r}"))
            else:
                if key not in self.results:
                    self.results[key] = _gap(pieces)
                gap = self.results[key]
            if gap:
                found.append((host, gap))
        return found


def _hop_text(hop: dict) -> str:
    ports = ("/" + ("|" if hop["match"] == "any" else ",").join(hop["ports"])) if hop["ports"] else ""
    return f"{hop['from']} -> {hop['to']} {hop['protocol']}{ports}"


def _end_text(entries: list[dict]) -> str:
    parts = []
    for end in (SOURCE_END, DEVICE_END, DESTINATION_END):
        names = list(dict.fromkeys(str(item.get("host") or item.get("device")) for item in entries if item["end"] == end))
        if names:
            way = {SOURCE_END: "outbound", DEVICE_END: "through", DESTINATION_END: "inbound"}[end]
            shown = ", ".join(names[:4]) + (f" +{len(names) - 4} more" if len(names) > 4 else "")
            parts.append(f"{end} {shown} ({way})")
    return "; ".join(parts)


def _check_hop(ends: _Ends, hop: dict, alternatives: list[list[PortRange]], devices) -> list[dict]:
    """Missing entries of one hop, for the first port alternative that is open everywhere (or the first)."""
    choices = [[item for ranges in alternatives for item in ranges]] if hop["match"] == "all" else alternatives
    if not choices:
        choices = [[]]  # portless protocol
    first = None
    for choice in choices:
        wanted = tuple(choice)
        missing: list[dict] = [{"end": SOURCE_END, "host": host, "ports": gap[0], "addresses": gap[1]}
                               for host, gap in ends.gaps(hop["from"], "out", hop["protocol"], wanted, hop["to"])]
        for check in devices or ():
            for entry in check(hop) or ():
                missing.append(dict(entry, end=DEVICE_END))
        missing.extend({"end": DESTINATION_END, "host": host, "ports": gap[0], "addresses": gap[1]}
                       for host, gap in ends.gaps(hop["to"], "in", hop["protocol"], wanted, hop["from"]))
        if not missing:
            return []
        if first is None:
            first = missing
    return first or []


def check_journeys(topology, plans: dict[str, dict], journeys=None, devices=None) -> list[dict]:
    """Every journey of the deployment's products: complete, broken (first missing hop) or not applicable.

    topology is the planner's Topology, plans the planner's plans (host -> plan; hosts of the topology
    missing from it are not checked), journeys a JourneySet or a list of Journey (default: the
    collection's, for topology.products), devices optional hop checks (see the module docstring).
    """
    _require_netaddr()
    catalog = topology.catalog
    if journeys is None:
        journeys = load_journeys(catalog)
    if isinstance(journeys, JourneySet):
        references = journeys.references
        selected = journeys.for_products(topology.products)
    else:
        references = {}
        selected = [journey for journey in journeys if journey.product in set(topology.products)]
    ends = _Ends(topology, plans)
    return [_check_journey(ends, journey, references, devices) for journey in selected]


def _check_journey(ends: _Ends, journey: Journey, references: dict, devices) -> dict:
    topology = ends.topology
    hop_results, absent = _hop_results(topology, journey, references)
    base: dict = {"id": journey.id, "title": journey.title, "product": journey.product,
                  "description": journey.description, "status": None, "reason": None, "first_missing": None,
                  "hosts": [], "hops": [item for item, _alternatives in hop_results]}
    reason = _not_applicable_reason(topology, journey, absent)
    if reason is not None:
        for result, _alternatives in hop_results:
            if result["status"] is None:
                result["status"] = NOT_APPLICABLE
        return dict(base, status=NOT_APPLICABLE, reason=reason)
    base["hosts"] = _check_hops(ends, hop_results, devices)
    broken = next((result for result, _alternatives in hop_results if result["status"] == "missing"), None)
    if broken is None:
        return dict(base, status=COMPLETE)
    reason = f"hop {broken['hop']} {_hop_text(broken)}: not open at the {_end_text(broken['missing'])}"
    return dict(base, status=BROKEN, reason=reason, first_missing=_first_missing(broken))


def _hop_results(topology, journey: Journey, references: dict) -> tuple[list[tuple[dict, list]], list[str]]:
    """([(hop result, port alternatives), ...], absent components): the journey's hops before any check.

    A hop whose feature is off is 'off'; the components of the other hops with no host or endpoint are absent.
    """
    hop_results = []
    absent: list[str] = []
    for number, hop in enumerate(journey.hops, start=1):
        alternatives = hop_ports(topology.catalog, hop, topology.symbolic_ports)
        result = _hop_result(topology, number, hop, alternatives, references)
        hosts = chain(topology.component_hosts.get(hop.source, ()), topology.component_hosts.get(hop.destination, ()))
        if not _feature_on(topology, hop.feature, hosts):
            result["status"] = "off"
        else:
            for component in (hop.source, hop.destination):
                if not _present(topology, component) and component not in absent:
                    absent.append(component)
        hop_results.append((result, alternatives))
    return hop_results, absent


def _hop_result(topology, number: int, hop, alternatives: list[list[PortRange]], references: dict) -> dict:
    """One hop as the journey's result lists it, its status and missing entries still to be found."""
    return {
        "hop": number,
        "from": hop.source,
        "to": hop.destination,
        "protocol": hop.protocol,
        "ports": [",".join(_ranges_text(ranges)) for ranges in alternatives],
        "match": hop.match,
        "feature": hop.feature,
        "description": hop.description,
        "references": [{"id": ref, "title": references[ref]["title"], "url": references[ref]["url"]}
                       if ref in references else {"id": ref, "title": ref, "url": ""} for ref in hop.references],
        "sources": _peers(topology, hop.source),
        "destinations": _peers(topology, hop.destination),
        "source_addresses": list(topology.peer_cidrs(hop.source)),
        "destination_addresses": list(topology.peer_cidrs(hop.destination)),
        "status": None,
        "missing": [],
    }


def _not_applicable_reason(topology, journey: Journey, absent: list[str]) -> str | None:
    """Why the journey does not apply to the deployment (its feature is off, a component is absent), or None."""
    journey_hosts = (host for hop in journey.hops for component in (hop.source, hop.destination)
                     for host in topology.component_hosts.get(component, ()))
    if journey.feature and not _feature_on(topology, journey.feature, journey_hosts):
        return f"feature {journey.feature} is off"
    if absent:
        return "no host or endpoint for " + ", ".join(absent)
    return None


def _check_hops(ends: _Ends, hop_results: list[tuple[dict, list]], devices) -> list[str]:
    """Check every hop that is not off (missing, open or unchecked); return the hosts taking part, sorted."""
    taking_part: set[str] = set()
    for result, alternatives in hop_results:
        if result["status"] == "off":
            continue
        checked_hosts = ends.planned(result["from"]) + ends.planned(result["to"])
        taking_part.update(checked_hosts)
        missing = _check_hop(ends, result, alternatives, devices)
        result["missing"] = missing
        if missing:
            result["status"] = "missing"
        elif checked_hosts or devices:
            result["status"] = "open"
        else:
            result["status"] = "unchecked"
    return sorted(taking_part)


def _first_missing(broken: dict) -> dict:
    """The first broken hop as the journey's first_missing: the hop, and the ends, hosts and devices missing."""
    return {
        "hop": broken["hop"], "from": broken["from"], "to": broken["to"], "protocol": broken["protocol"],
        "ports": broken["ports"], "match": broken["match"],
        "ends": list(dict.fromkeys(item["end"] for item in broken["missing"])),
        "hosts": list(dict.fromkeys(item["host"] for item in broken["missing"] if item.get("host"))),
        "devices": list(dict.fromkeys(item["device"] for item in broken["missing"] if item.get("device"))),
    }


# ---------------------------------------------------------------------------------------------- views

def summarise_journeys(results: list[dict]) -> dict:
    """Counts per status and one line per broken journey, for the run summary."""
    counts = {status: sum(1 for item in results if item["status"] == status) for status in STATUSES}
    return {
        "journeys": len(results),
        "journeys_complete": counts[COMPLETE],
        "journeys_broken": counts[BROKEN],
        "journeys_not_applicable": counts[NOT_APPLICABLE],
        "broken_journeys": [f"{item['id']} ({item['reason']})" for item in results if item["status"] == BROKEN],
    }


def journeys_by_host(results: list[dict]) -> dict[str, list[dict]]:
    """Host -> the journeys it takes part in, with their status and the hops it is an end of.

    A broken journey also says why, and which of its missing ends are this host's.
    """
    listed: dict[str, list[dict]] = {}
    for item in results:
        hops: dict[str, list[int]] = {}
        for hop in item["hops"]:
            for host in set(hop["sources"]) | set(hop["destinations"]):
                hops.setdefault(host, []).append(hop["hop"])
        missing: dict[str, list[dict]] = {}
        for hop in item["hops"]:
            for miss in hop["missing"]:
                if miss.get("host"):
                    missing.setdefault(miss["host"], []).append(
                        {"hop": hop["hop"], "end": miss["end"], "ports": miss["ports"], "addresses": miss["addresses"]})
        # hosts at the same hops with nothing missing of their own share one entry (the files encode it once)
        shared: dict[tuple, dict] = {}
        for host in item["hosts"]:
            here = missing.get(host, [])
            key = tuple(hops.get(host, ()))
            entry = None if here else shared.get(key)
            if entry is None:
                entry = {"id": item["id"], "title": item["title"], "status": item["status"], "hops": list(key)}
                if item["status"] == BROKEN:
                    entry["reason"] = item["reason"]
                    entry["missing_here"] = here
                if not here:
                    shared[key] = entry
            listed.setdefault(host, []).append(entry)
    return listed


def strict_failure(results: list[dict]) -> str | None:
    """The message with which vdi_firewall_strict fails on broken journeys, or None."""
    broken = [item for item in results if item["status"] == BROKEN]
    if not broken:
        return None
    listed = "; ".join(f"journey '{item['id']}' ({item['title']}) is broken: {item['reason']}" for item in broken[:5])
    more = f"; and {len(broken) - 5} more" if len(broken) > 5 else ""
    return f"vdi_firewall_strict is on and {len(broken)} journey(s) are broken: {listed}{more}"


def hop_label(hop: dict) -> str:
    """'<from> -> <to> tcp/443' (component ids) for messages and reports."""
    return _hop_text(hop)


# ---------------------------------------------------------------------------------------------- verify

PROBED = "passed"
PROBE_FAILED = "failed"
NOT_PROBED = "not_probed"


def _port_sets(ports: list[str]) -> list[list[tuple[int, int]]]:
    """The hop's port texts ("443", "49152-65535", "135,49152-65535") as (start, end) lists."""
    return [_parse_rule_ports([text]) for text in ports]


def _probe_index(rows: list[dict]) -> dict[tuple[str, str, str], list[dict]]:
    """(source host, destination host, protocol) -> its probes, once each (verify rows repeat per flow)."""
    index: dict[tuple, dict[tuple, dict]] = {}
    for row in rows:
        try:
            port = int(row["port"])
        except (KeyError, TypeError, ValueError):
            continue
        key = (row.get("source_host"), row.get("destination_host"), row.get("protocol") or "tcp")
        index.setdefault(key, {})[(row.get("address"), port)] = {
            "source_host": key[0], "destination_host": key[1], "address": row.get("address"), "port": port,
            "state": row.get("state"), "passed": bool(row.get("passed")) and str(row.get("passed")) != "False"}
    return {key: list(probes.values()) for key, probes in index.items()}


def _verify_hop(hop: dict, index: dict) -> dict:
    sources = [name for name in hop["sources"] if not name.startswith("endpoint:")]
    destinations = [name for name in hop["destinations"] if not name.startswith("endpoint:")]
    probes = [probe for source in sources for destination in destinations
              for probe in index.get((source, destination, hop["protocol"]), ())]
    alternatives = _port_sets(hop["ports"])
    choices = [[item for ranges in alternatives for item in ranges]] if hop["match"] == "all" else alternatives
    verdicts = []
    for ranges in choices or [[]]:
        relevant = [probe for probe in probes if any(start <= probe["port"] <= end for start, end in ranges)]
        failed = [probe for probe in relevant if not probe["passed"]]
        verdicts.append((relevant, failed))
    probed = [(relevant, failed) for relevant, failed in verdicts if relevant]
    result = {"hop": hop["hop"], "from": hop["from"], "to": hop["to"], "protocol": hop["protocol"], "ports": hop["ports"],
              "match": hop["match"], "plan": hop["status"], "probes": 0, "failures": []}
    if not probed:
        return dict(result, verified=NOT_PROBED)
    passing = next(((relevant, failed) for relevant, failed in probed if not failed), None)
    if passing is not None:
        return dict(result, verified=PROBED, probes=len(passing[0]))
    relevant, failed = probed[0]
    failures = [{key: probe[key] for key in ("source_host", "destination_host", "address", "port", "state")}
                for probe in sorted(failed, key=lambda item: (item["source_host"], item["destination_host"], item["port"]))]
    return dict(result, verified=PROBE_FAILED, probes=len(relevant), failures=failures)


def verify_journeys(journeys: list[dict], rows: list[dict]) -> list[dict]:
    """What the probes proved of each journey the plan checked (``check_journeys`` results).

    rows are verify's probe rows (source_host, destination_host, address, protocol, port, state,
    passed). Probes run from inventory hosts to inventory hosts, so only hops between two hosts are
    proven; hops with an endpoint end are ``not_probed``. Per journey::

        {"id", "title", "product", "status": "complete" | "broken" | "not_probed" | "not_applicable",
         "reason": None | "hop 2 ...: ctx-sf1 -> ctx-ddc1 192.0.2.21:443 timeout",
         "first_failure": None | {"hop", "from", "to", "protocol", "ports", "source_host", "destination_host",
                                  "address", "port", "state", "plan"},
         "hops": [{"hop", "from", "to", "protocol", "ports", "match", "plan": the plan check's hop status,
                   "verified": "passed" | "failed" | "not_probed" | "off" | "not_applicable",
                   "probes": n, "failures": [{"source_host", "destination_host", "address", "port", "state"}]}]}

    ``complete``: no probed hop failed (``not_probed`` hops are listed as such); ``broken``: the first
    hop whose probes failed, between which source host and destination host; ``not_probed``: no hop
    of the journey could be probed. A failed probe tells that the path between the two hosts is
    closed somewhere (source host, a device between, destination host) or that nothing listens
    there; ``plan`` says whether the plan already found a host end missing.
    """
    index = _probe_index(rows or [])
    results = []
    for journey in journeys or ():
        base = {"id": journey["id"], "title": journey["title"], "product": journey["product"], "reason": None,
                "first_failure": None}
        if journey["status"] == NOT_APPLICABLE:
            hops = [{"hop": hop["hop"], "from": hop["from"], "to": hop["to"], "protocol": hop["protocol"],
                     "ports": hop["ports"], "match": hop["match"], "plan": hop["status"], "verified": NOT_APPLICABLE,
                     "probes": 0, "failures": []} for hop in journey["hops"]]
            results.append(dict(base, status=NOT_APPLICABLE, reason=journey["reason"], hops=hops))
            continue
        hops = []
        for hop in journey["hops"]:
            if hop["status"] == "off":
                hops.append({"hop": hop["hop"], "from": hop["from"], "to": hop["to"], "protocol": hop["protocol"],
                             "ports": hop["ports"], "match": hop["match"], "plan": "off", "verified": "off",
                             "probes": 0, "failures": []})
            else:
                hops.append(_verify_hop(hop, index))
        failed = next((hop for hop in hops if hop["verified"] == PROBE_FAILED), None)
        if failed is not None:
            first = failed["failures"][0]
            first_failure = dict({key: failed[key] for key in ("hop", "from", "to", "protocol", "ports", "plan")}, **first)
            reason = (f"hop {failed['hop']} {_hop_text(failed)}: {first['source_host']} -> {first['destination_host']} "
                      f"{first['address']}:{first['port']} {first['state']}"
                      + (f" (+{len(failed['failures']) - 1} more)" if len(failed["failures"]) > 1 else ""))
            results.append(dict(base, status=BROKEN, reason=reason, first_failure=first_failure, hops=hops))
        elif any(hop["verified"] == PROBED for hop in hops):
            results.append(dict(base, status=COMPLETE, hops=hops))
        else:
            results.append(dict(base, status=NOT_PROBED, reason="no hop between two inventory hosts was probed",
                                hops=hops))
    return results


def summarise_verified(results: list[dict]) -> dict:
    """Counts of verify_journeys results and one line per broken journey."""
    return {
        "journeys": len(results),
        "journeys_complete": sum(1 for item in results if item["status"] == COMPLETE),
        "journeys_broken": sum(1 for item in results if item["status"] == BROKEN),
        "journeys_not_probed": sum(1 for item in results if item["status"] == NOT_PROBED),
        "journeys_not_applicable": sum(1 for item in results if item["status"] == NOT_APPLICABLE),
        "broken_journeys": [f"{item['id']} ({item['reason']})" for item in results if item["status"] == BROKEN],
    }
