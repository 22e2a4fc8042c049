# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backend registry: which role applies a host's rules, chosen from its platform.

Internal to vdi.firewall, not a public interface: it may change in any release.

Each backend declares the platforms it serves and how it is chosen when the inventory does not
name one (``vdi_firewall_backend`` unset or ``auto``):

- ``default``: the platform's backend.
- ``service``: the platform's backend while the named service is enabled or running on the host
  (checked before the platform's ``default``).
- ``zone_firewall``: a Linux router between zones that ``vdi_firewall_zone_firewall`` names
  (``ZONE_FIREWALLS``), whatever rules the router itself has.
- ``explicit``: only when ``vdi_firewall_backend`` names it.

Adding a backend is one entry here, its module and its role. ``choose_backend`` is the one
decision, used by the apply playbook through the filter ``vdi.firewall.backend``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError


@dataclass(frozen=True)
class Backend:
    """One way of applying rules: its role, the platforms it serves and how it is chosen."""

    name: str
    role: str
    platforms: tuple[str, ...]
    chosen: str  # default, service or explicit
    service: str = ""
    description: str = ""


BACKENDS: tuple[Backend, ...] = (
    Backend("firewalld", "vdi.firewall.firewalld", ("linux",), "service", service="firewalld",
            description="firewalld's owned policies, when the firewalld service is enabled or running"),
    Backend("nftables", "vdi.firewall.nftables", ("linux",), "default",
            description="the owned nftables table inet vdi_firewall"),
    Backend("windows", "vdi.firewall.windows", ("windows",), "default",
            description="Windows Defender Firewall rules through win_firewall_rule"),
    Backend("network_acl", "vdi.firewall.network_acl", ("network",), "default",
            description="ACLs of the network devices between zones, through the vendors' ACL resource modules"),
    Backend("nftables_zones", "vdi.firewall.nftables_zones", ("linux",), "zone_firewall",
            description="the forward filter of a Linux router between zones (vdi_firewall_zone_firewall: nftables)"),
)
# vdi_firewall_zone_firewall -> the backend of a Linux router between zones
ZONE_FIREWALLS = {"nftables": "nftables_zones"}

NONE = "none"
AUTO = "auto"
# appliances (a Citrix ADC, a RAS HALB appliance) keep their own firewall: nothing is applied
UNMANAGED_PLATFORMS = ("appliance",)


def backend_names() -> tuple[str, ...]:
    """Every backend's name, in the registry's order."""
    return tuple(backend.name for backend in BACKENDS)


def get_backend(name: str) -> Backend:
    """The registered backend of that name."""
    for backend in BACKENDS:
        if backend.name == name:
            return backend
    raise KeyError(name)


def services_to_check(platform: str | None) -> tuple[str, ...]:
    """The services whose state decides the backend of a host of this platform."""
    return tuple(backend.service for backend in BACKENDS if backend.chosen == "service" and platform in backend.platforms)


def choose_backend(host: str, requested, platform: str | None, has_rules: bool,
                   services_in_use=(), zone_firewall=None) -> dict:
    """The backend that applies the host's rules: {name, role}; name ``none`` applies nothing.

    requested: ``vdi_firewall_backend`` (None, '' or ``auto`` to choose from the platform);
    platform: the host's platform (see platforms.py), None when nothing tells it;
    has_rules: whether the plan (or vdi_firewall_extra_rules) gives the host any rule;
    services_in_use: names of the services enabled or running on the host;
    zone_firewall: ``vdi_firewall_zone_firewall`` (a router between zones).
    """
    requested = "" if requested is None else str(requested).strip()
    if requested in ("", AUTO) and zone_firewall not in (None, ""):
        if str(zone_firewall) not in ZONE_FIREWALLS:
            raise VdiFirewallError(
                f"host '{host}': vdi_firewall_zone_firewall '{zone_firewall}' is not one of {', '.join(ZONE_FIREWALLS)}")
        requested = ZONE_FIREWALLS[str(zone_firewall)]
    if requested not in ("", AUTO):
        if requested == NONE:
            return {"name": NONE, "role": ""}
        if requested not in backend_names():
            raise VdiFirewallError(
                f"host '{host}': vdi_firewall_backend '{requested}' is not one of "
                f"{', '.join(backend_names() + (NONE, AUTO))}")
        backend = get_backend(requested)
        if platform is not None and platform not in backend.platforms and platform not in UNMANAGED_PLATFORMS:
            raise VdiFirewallError(
                f"host '{host}': vdi_firewall_backend '{requested}' serves {', '.join(backend.platforms)} hosts, "
                f"and this host is {platform}")
        return {"name": backend.name, "role": backend.role}
    candidates = [backend for backend in BACKENDS if platform in backend.platforms]
    # network devices get their ACLs from the deployment's flows, not from rules of their own
    if platform != "network" and (not has_rules or platform in UNMANAGED_PLATFORMS):
        return {"name": NONE, "role": ""}
    if not candidates:
        raise VdiFirewallError(
            f"host '{host}': its platform is unknown ({platform or 'nothing tells it'}), so no backend can be "
            "chosen; set vdi_firewall_platform (windows, linux, network, appliance) or vdi_firewall_backend "
            f"({', '.join(backend_names() + (NONE,))})")
    in_use = set(services_in_use or ())
    for backend in candidates:
        if backend.chosen == "service" and backend.service in in_use:
            return {"name": backend.name, "role": backend.role}
    for backend in candidates:
        if backend.chosen == "default":
            return {"name": backend.name, "role": backend.role}
    raise VdiFirewallError(f"host '{host}': no backend serves {platform} hosts by default; set vdi_firewall_backend")
