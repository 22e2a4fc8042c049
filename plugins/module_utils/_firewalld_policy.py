# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""firewalld backend: rules as rich rules in two owned policies, planning, and a transactional apply.

Internal to vdi.firewall, not a public interface: it may change in any release.

Rendering and planning are pure. Applying goes through a small client interface
(permanent/runtime reads, permanent writes, reload) so that it can be tested without firewalld;
`FirewalldClient` in the module wraps firewalld's own Python API behind that interface.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from ansible_collections.vdi.firewall.plugins.module_utils._linux_rules import Rule, RuleError

IN_POLICY = "vdi_firewall_in"
OUT_POLICY = "vdi_firewall_out"
OWNED_POLICIES = (IN_POLICY, OUT_POLICY)
PRIORITY = -1
# Settings of a policy that the collection never uses: owned policies keep them empty.
UNUSED_LISTS = ("services", "ports", "protocols", "source_ports", "icmp_blocks", "forward_ports")
RICH_PROTOCOL = {"icmp": "icmp", "icmpv6": "ipv6-icmp", "vrrp": "vrrp", "gre": "gre", "esp": "esp"}
FAMILY = {4: "ipv4", 6: "ipv6"}


def _natural(text: str) -> list:
    """Sort key that orders numbers by value: port 80 before 443, 10.0.0.9 before 10.0.0.10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _sorted_rules(rules) -> tuple[str, ...]:
    return tuple(sorted(set(rules), key=_natural))


class ApplyError(RuntimeError):
    """firewalld refused a change; the message says what was rolled back."""


@dataclass(frozen=True)
class PolicyState:
    """What the collection manages in one policy (permanent or runtime view)."""

    ingress_zones: tuple[str, ...]
    egress_zones: tuple[str, ...]
    target: str
    priority: int
    rich_rules: tuple[str, ...]
    unused: tuple[tuple[str, int], ...] = ()
    short: str = ""
    description: str = ""

    def same_runtime(self, other: PolicyState | None) -> bool:
        """Equal as far as the running firewall is concerned (short and description are permanent only)."""
        return other is not None and (
            self.ingress_zones, self.egress_zones, self.target, self.priority, self.rich_rules, self.unused
        ) == (other.ingress_zones, other.egress_zones, other.target, other.priority, other.rich_rules, other.unused)

    def settings(self) -> dict[str, Any]:
        """firewalld's policy settings dictionary for this state."""
        settings: dict[str, Any] = {key: [] for key in UNUSED_LISTS}
        settings.update(
            ingress_zones=list(self.ingress_zones),
            egress_zones=list(self.egress_zones),
            target=self.target,
            priority=self.priority,
            rich_rules=list(self.rich_rules),
            masquerade=False,
            short=self.short,
            description=self.description,
        )
        return settings


def state_from_settings(settings: dict[str, Any] | None) -> PolicyState | None:
    """A PolicyState from firewalld's settings dictionary (None for a missing policy)."""
    if settings is None:
        return None
    unused = tuple((key, len(settings.get(key) or [])) for key in UNUSED_LISTS if settings.get(key))
    if settings.get("masquerade"):
        unused += (("masquerade", 1),)
    return PolicyState(
        ingress_zones=tuple(sorted(settings.get("ingress_zones") or [])),
        egress_zones=tuple(sorted(settings.get("egress_zones") or [])),
        target=str(settings.get("target", "")),
        priority=int(settings.get("priority", 0)),
        rich_rules=_sorted_rules(settings.get("rich_rules") or []),
        unused=unused,
        short=str(settings.get("short") or ""),
        description=str(settings.get("description") or ""),
    )


def _port_element(rule: Rule) -> list[str]:
    """The rich-rule elements that match a rule's protocol and ports (one element per rich rule)."""
    if rule.protocol in RICH_PROTOCOL:
        return [f'protocol value="{RICH_PROTOCOL[rule.protocol]}"']
    if rule.destination_ports and rule.source_ports:
        # A rich rule holds one port element: source and destination ports at once cannot be expressed.
        raise RuleError(
            f"rule {rule.name!r}: firewalld rich rules match either local or remote ports, not both "
            f"(local {', '.join(rule.local_ports)}; remote {', '.join(rule.remote_ports)})"
        )
    if rule.destination_ports:
        return [f'port port="{port}" protocol="{rule.protocol}"' for port in rule.destination_ports]
    if rule.source_ports:
        return [f'source-port port="{port}" protocol="{rule.protocol}"' for port in rule.source_ports]
    return [f'protocol value="{rule.protocol}"']


def rich_rules(rule: Rule) -> list[str]:
    """A rule as firewalld rich rules in firewalld's canonical text: family x address x port element."""
    side = "source" if rule.direction == "in" else "destination"
    elements = _port_element(rule)
    rendered = []
    for family in (4, 6):
        for address in rule.addresses(family):
            for element in elements:
                rendered.append(f'rule family="{FAMILY[family]}" {side} address="{address}" {element} accept')
    return rendered


@dataclass
class Desired:
    """The owned policies as they should be, and which rule made which rich rules."""

    policies: dict[str, PolicyState | None]
    rich_rules_by_rule: dict[str, list[str]] = field(default_factory=dict)
    ignored_rules: list[str] = field(default_factory=list)


def desired_policies(
    rules: list[Rule], management: list[Rule], restrict_outbound: bool, present: bool = True
) -> Desired:
    """The owned policies for a rule set. Outbound rules only count when egress is restricted."""
    if not present:
        return Desired({name: None for name in OWNED_POLICIES})
    by_rule: dict[str, list[str]] = {}
    ignored = []
    inbound: set[str] = set()
    outbound: set[str] = set()
    for rule in [*management, *rules]:
        if rule.direction == "out" and not restrict_outbound:
            ignored.append(rule.name)
            continue
        rendered = rich_rules(rule)
        by_rule[rule.name] = rendered
        (inbound if rule.direction == "in" else outbound).update(rendered)
    policies: dict[str, PolicyState | None] = {
        IN_POLICY: PolicyState(
            ingress_zones=("ANY",),
            egress_zones=("HOST",),
            target="CONTINUE",
            priority=PRIORITY,
            rich_rules=_sorted_rules(inbound),
            short="vdi.firewall inbound",
            description="Managed by the vdi.firewall collection: traffic this host accepts. Changes here are overwritten.",
        ),
        OUT_POLICY: None,
    }
    if restrict_outbound:
        policies[OUT_POLICY] = PolicyState(
            ingress_zones=("HOST",),
            egress_zones=("ANY",),
            target="REJECT",
            priority=PRIORITY,
            rich_rules=_sorted_rules(outbound),
            short="vdi.firewall outbound",
            description="Managed by the vdi.firewall collection: traffic this host may send. Changes here are overwritten.",
        )
    return Desired(policies, by_rule, ignored)


def policy_text(name: str, state: PolicyState | None) -> str:
    """A policy as text for diffs: a header line, then one rich rule per line."""
    if state is None:
        return ""
    lines = [
        f"policy {name}: ingress {' '.join(state.ingress_zones)} -> egress {' '.join(state.egress_zones)}, "
        f"target {state.target}, priority {state.priority}"
    ]
    lines += [f"  {key}: {count} entries (not managed by vdi.firewall, removed)" for key, count in state.unused]
    lines += [f"  {rule}" for rule in state.rich_rules]
    return "\n".join(lines) + "\n"


def policies_text(states: dict[str, PolicyState | None]) -> str:
    """All owned policies as text, in a fixed order."""
    return "".join(policy_text(name, states.get(name)) for name in OWNED_POLICIES)


@dataclass
class Plan:
    """What an apply does: which policies' permanent settings change, and whether to reload."""

    permanent: list[str]
    reload: bool
    added: dict[str, list[str]]
    removed: dict[str, list[str]]

    @property
    def changed(self) -> bool:
        return bool(self.permanent) or self.reload


def plan_changes(
    desired: dict[str, PolicyState | None],
    permanent: dict[str, PolicyState | None],
    runtime: dict[str, PolicyState | None],
) -> Plan:
    """Compare the owned policies with firewalld's permanent and runtime configuration."""
    to_write = [name for name in OWNED_POLICIES if desired.get(name) != permanent.get(name)]
    runtime_differs = False
    for name in OWNED_POLICIES:
        want = desired.get(name)
        have = runtime.get(name)
        if want is None:
            runtime_differs = runtime_differs or have is not None
        elif not want.same_runtime(have):
            runtime_differs = True
    added: dict[str, list[str]] = {}
    removed: dict[str, list[str]] = {}
    for name in OWNED_POLICIES:
        wanted = desired.get(name)
        kept = permanent.get(name)
        want_rules = set(wanted.rich_rules) if wanted else set()
        have_rules = set(kept.rich_rules) if kept else set()
        if want_rules - have_rules:
            added[name] = list(_sorted_rules(want_rules - have_rules))
        if have_rules - want_rules:
            removed[name] = list(_sorted_rules(have_rules - want_rules))
    # A reload makes the permanent configuration the running one: needed after any permanent write,
    # and on its own when someone changed the owned policies at runtime only.
    return Plan(to_write, bool(to_write) or runtime_differs, added, removed)


class Client(Protocol):
    """The firewalld operations an apply needs; settings are firewalld's settings dictionaries."""

    def permanent_settings(self, name: str) -> dict[str, Any] | None: ...

    def runtime_settings(self, name: str) -> dict[str, Any] | None: ...

    def write_permanent(self, name: str, settings: dict[str, Any] | None, exists: bool) -> None: ...

    def reload(self) -> None: ...


def read_states(client: Client) -> tuple[dict[str, PolicyState | None], dict[str, PolicyState | None]]:
    """The owned policies' permanent and runtime states."""
    permanent = {name: state_from_settings(client.permanent_settings(name)) for name in OWNED_POLICIES}
    runtime = {name: state_from_settings(client.runtime_settings(name)) for name in OWNED_POLICIES}
    return permanent, runtime


def apply_plan(
    client: Client,
    plan: Plan,
    desired: dict[str, PolicyState | None],
    permanent: dict[str, PolicyState | None],
) -> None:
    """Write the permanent policies, then reload once; on any refusal restore what was there before.

    firewalld checks each permanent write; a refused write restores the policies already written
    and leaves the runtime untouched. A failed reload restores the permanent policies and reloads
    them, so the host keeps its previous rules either way.
    """
    written: list[str] = []

    def restore() -> list[str]:
        problems = []
        for name in reversed(written):
            old = permanent.get(name)
            try:
                client.write_permanent(name, old.settings() if old else None, client.permanent_settings(name) is not None)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                problems.append(f"restoring policy {name} failed: {exc}")
        return problems

    for name in plan.permanent:
        state = desired.get(name)
        try:
            client.write_permanent(name, state.settings() if state else None, permanent.get(name) is not None)
        except Exception as exc:
            problems = restore()
            raise ApplyError(
                f"firewalld refused the permanent policy {name}: {exc}. Nothing was applied: "
                + ("; ".join(problems) if problems else "the permanent configuration is as before and the runtime untouched")
            ) from exc
        written.append(name)
    if not plan.reload:
        return
    try:
        client.reload()
    except Exception as exc:
        problems = restore()
        try:
            client.reload()
        except Exception as again:  # pylint: disable=broad-exception-caught
            problems.append(f"reloading the previous configuration failed: {again}")
        raise ApplyError(
            f"firewalld failed to reload with the new policies: {exc}. "
            + ("; ".join(problems) if problems else "The previous policies were restored and reloaded")
        ) from exc
