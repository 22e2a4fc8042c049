# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vdi.firewall.network_acl with state rendered on the Citrix example, for all four platforms.

The ACLs are rendered by the platforms' own resource modules (cisco.ios.ios_acls, arista.eos.eos_acls,
cisco.nxos.nxos_acls, junipernetworks.junos.junos_acls), which connect to no device in state rendered.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from .test_export_matrix import ROOT, run
from .test_windows_role import recap

PLAYBOOK = ROOT / "tests/integration/playbooks/network_acl.yml"
CITRIX = ROOT / "examples/citrix/inventory.yml"
NETWORK = ROOT / "examples/citrix_network/inventory.yml"
DEVICES = {"ios": "fw-ios", "eos": "fw-eos", "nxos": "fw-nxos", "junos": "fw-junos"}
# users -> VDA ctx-vda1, HDX (ICA) over TCP 1494: crosses every device from zone users to zone vdi
KNOWN = {
    "ios": "permit tcp 198.51.100.0 0.0.0.255 (host 192.0.2.101|object-group \\S+) eq 1494",
    "eos": "permit tcp 198.51.100.0/24 host 192.0.2.101 eq 1494",
    "nxos": "permit tcp 198.51.100.0/24 192.0.2.101/32 eq 1494",
}
NC = "{urn:ietf:params:xml:ns:netconf:base:1.0}"


def play(out: Path | None, *extra: str, inventories=(CITRIX, NETWORK)):
    sources = [argument for inventory in inventories for argument in ("-i", str(inventory))]
    output = ["-e", f"vdi_firewall_acl_output_dir={out}"] if out else []
    return run("ansible-playbook", *sources, str(PLAYBOOK), *output, *extra, env={"ANSIBLE_FORKS": "8"})


@pytest.fixture(scope="module", name="rendered")
def fixture_rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("network")
    checked = play(out / "check", "--check", "-l", "fw-ios,fw-junos")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert not (out / "check").exists(), "check mode wrote files"
    result = play(out / "acl")
    assert result.returncode == 0, result.stdout + result.stderr
    again = play(out / "acl")
    assert again.returncode == 0 and all(counts["changed"] == 0 for counts in recap(again.stdout).values()), again.stdout
    return out / "acl" / "acls", result.stdout


def acl_blocks(text: str) -> dict[str, list[str]]:
    """CLI ACL blocks ('ip access-list NAME' / 'ipv6 access-list NAME' -> their entries)."""
    blocks: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"^(ip|ipv6) access-list (?:extended )?(\S+)$", line)
        if match:
            current = blocks.setdefault(f"{match.group(1)} {match.group(2)}", [])
        elif line.startswith("interface "):
            current = None
        elif current is not None and line.strip():
            current.append(line.strip())
    return blocks


def junos_filters(text: str) -> dict[str, list]:
    """Junos filters ('inet NAME' / 'inet6 NAME' -> their terms) from the rendered XML."""
    root = ElementTree.fromstring([line for line in text.splitlines() if "<nc:firewall" in line][0])
    filters = {}
    for family in root.find(f"{NC}family"):
        for filter_node in family.findall(f"{NC}filter"):
            name = filter_node.find(f"{NC}name").text
            filters[f"{family.tag.replace(NC, '')} {name}"] = filter_node.findall(f"{NC}term")
    return filters


def term_matches(term) -> dict[str, list[str]]:
    source = term.find(f"{NC}from")
    result: dict[str, list[str]] = {}
    for child in (source if source is not None else []):
        result.setdefault(child.tag.replace(NC, ""), []).append(child.text or "")
    return result


@pytest.mark.parametrize("platform", ["ios", "eos", "nxos"])
def test_cli_platforms_render_the_known_flow_and_end_every_acl_in_deny(rendered, platform):
    acls, _stdout = rendered
    text = (acls / f"{DEVICES[platform]}.rendered.txt").read_text()
    blocks = acl_blocks(text)
    v6 = "-V6" if platform == "ios" else ""  # IOS keeps IPv4 and IPv6 ACLs in one namespace
    assert set(blocks) >= {"ip VDI-USERS-IN", "ip VDI-DMZ-IN", "ip VDI-SERVERS-IN", "ip VDI-VDI-IN", "ip VDI-ADMIN-IN",
                           f"ipv6 VDI-USERS-IN{v6}", f"ipv6 VDI-VDI-IN{v6}"}
    assert any(re.search(KNOWN[platform] + "$", line) for line in blocks["ip VDI-USERS-IN"]), blocks["ip VDI-USERS-IN"]
    for name, lines in blocks.items():
        assert re.search(r"deny (ip|ipv6) any any", lines[-1]), (name, lines[-1])
        assert not any(re.search(r"^(\S+ |sequence \S+ )?deny", line) for line in lines[:-1]), name
        assert any(re.search(r"remark (return of )?flows: ", line) for line in lines), name
    # Delivery Controller -> SQL Server (TCP 1433) stays inside the servers zone: no device sees it
    assert not re.search(r"\b(1433|ms-sql-s)\b", text)
    assert f"interface {'GigabitEthernet0/1' if platform == 'ios' else 'Ethernet1' if platform == 'eos' else 'Ethernet1/1'}" in text


def test_junos_renders_the_known_flow_and_ends_every_filter_in_discard(rendered):
    acls, _stdout = rendered
    filters = junos_filters((acls / "fw-junos.rendered.xml").read_text())
    assert "set firewall family inet filter VDI-USERS-IN term vdi-00010" in (acls / "fw-junos.rendered.txt").read_text()
    assert set(filters) >= {"inet VDI-USERS-IN", "inet VDI-VDI-IN", "inet6 VDI-USERS-IN"}
    known = {"source-address": ["198.51.100.0/24"], "destination-port": ["1494"], "protocol": ["tcp"]}
    assert any({key: value for key, value in term_matches(term).items() if key in known} == known
               for term in filters["inet VDI-USERS-IN"])
    for name, terms in filters.items():
        last = terms[-1]
        assert last.find(f"{NC}from") is None and last.find(f"{NC}then/{NC}discard") is not None, name
        assert all(term.find(f"{NC}then/{NC}accept") is not None for term in terms[:-1]), name
        assert not any("1433" in values for term in terms for values in term_matches(term).get("destination-port", [])), name


@pytest.mark.parametrize("device", sorted(DEVICES.values()))
def test_change_request_csv_names_flows_and_documents(rendered, device):
    acls, _stdout = rendered
    with open(acls / f"{device}.csv", newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    ica = [row for row in rows if row["acl"] == "VDI-USERS-IN" and row["afi"] == "ipv4" and row["kind"] == "flow"
           and "192.0.2.101/32" in row["destination_addresses"].split() and row["destination_port"] == "1494"
           and row["protocol"] == "tcp"]
    assert len(ica) == 1
    assert ica[0]["source"] == "198.51.100.0/24" and "citrix_" in ica[0]["flows"]
    assert "Communication Ports Used by Citrix Technologies" in ica[0]["references"]
    assert (ica[0]["source_zone"], ica[0]["destination_zone"]) == ("users", "vdi")
    by_acl: dict[tuple, list] = {}
    for row in rows:
        by_acl.setdefault((row["acl"], row["afi"]), []).append(row)
    for entries in by_acl.values():
        assert entries[-1]["kind"] == "deny" and [int(row["sequence"]) for row in entries] == sorted(int(row["sequence"]) for row in entries)
        assert all(row["flows"] and row["references"] for row in entries if row["kind"] in ("flow", "return", "management"))
    management = [row for row in rows if row["kind"] == "management" and row["destination_zone"] == "(device)"]
    assert management and management[0]["source"] == "192.0.2.240/28"


def test_all_devices_rendered_and_summarised(rendered):
    acls, stdout = rendered
    expected = {f"{device}.{suffix}" for device in DEVICES.values() for suffix in ("csv", "rendered.txt")} | {"fw-junos.rendered.xml"}
    assert {path.name for path in acls.iterdir()} == expected
    assert "Traceback" not in stdout
    summary = " ".join(stdout.split())
    assert "4 device(s)," in summary and "entries from" in summary and "rendered, no device contacted" in summary


def device_inventory(tmp_path: Path, device: dict, zones: dict) -> Path:
    path = tmp_path / "devices.yml"
    path.write_text(yaml.safe_dump({"all": {"children": {"network_devices": {
        "vars": {"vdi_firewall_zones": zones}, "hosts": {"fw9": device}}}}}))
    return path


ZONES = {"users": {"cidrs": ["198.51.100.0/24"]}, "servers": {"cidrs": ["192.0.2.0/24"]}}
IOS = {"ansible_host": "192.0.2.9", "ansible_network_os": "cisco.ios.ios", "ansible_connection": "ansible.netcommon.network_cli"}


@pytest.mark.parametrize(
    ("device", "zones", "extra", "message"),
    [
        ({**IOS, "ansible_network_os": "vyos.vyos.vyos"}, ZONES, [],
         "vdi.firewall.plan_rules: device 'fw9': ansible_network_os 'vyos.vyos.vyos' is not supported; use one of "
         "cisco.ios.ios, arista.eos.eos, cisco.nxos.nxos, junipernetworks.junos.junos"),
        (IOS, {**ZONES, "vdi": {"cidrs": ["192.0.2.96/27"]}}, [],
         "vdi.firewall.plan_rules: device 'fw9': zones 'servers' and 'vdi' overlap (192.0.2.96/27)"),
        (IOS, {**ZONES, "dmz": {"interface": "GigabitEthernet0/3"}}, [],
         "vdi.firewall.plan_rules: device 'fw9': zone 'dmz' has no cidrs"),
        ({**IOS, "ansible_network_os": "junipernetworks.junos.junos", "ansible_connection": "ansible.netcommon.netconf"},
         {**ZONES, "v6": {"cidrs": ["2001:db8::/32"]}}, ["-e", "vdi_firewall_acl_state=merged"],
         "vdi.firewall.network_acl: device 'fw9': junipernetworks.junos.junos_acls writes 'protocol' in family inet6 filters"),
    ],
)
def test_bad_input_fails_clearly(tmp_path, device, zones, extra, message):
    result = play(tmp_path / "out", *extra, inventories=(CITRIX, device_inventory(tmp_path, device, zones)))
    output = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert message in output, output
    assert "Traceback" not in result.stdout + result.stderr
    assert not list((tmp_path / "out").glob("acls/*.rendered.txt"))


def test_stale_device_files_go_and_device_names_stay_inside_the_output_directory(tmp_path):
    out = tmp_path / "a" / "out"
    (out / "acls").mkdir(parents=True)
    for name in ("fw-old.csv", "fw-old.rendered.txt", "fw%2Fgone.rendered.txt", "notes.txt"):
        (out / "acls" / name).write_text("left from an earlier run\n")
    device = {**IOS, "vdi_firewall_device_zones": {"users": {"interface": "Gi0/1"}, "servers": {"interface": "Gi0/2"}}}
    path = tmp_path / "devices.yml"
    path.write_text(yaml.safe_dump({"all": {"children": {"network_devices": {
        "vars": {"vdi_firewall_zones": ZONES}, "hosts": {"../../fw9": device}}}}}))
    result = play(out, "-l", "network_devices", inventories=(CITRIX, path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(item.name for item in (out / "acls").iterdir()) == [
        "%2E.%2F..%2Ffw9.csv", "%2E.%2F..%2Ffw9.rendered.txt", "notes.txt"]
    assert not list(tmp_path.glob("*.csv")) and not list((tmp_path / "a").glob("*.csv"))
