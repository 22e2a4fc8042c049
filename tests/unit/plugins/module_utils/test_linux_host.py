# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Linux modules read from the host: the controller's address and systemd units."""

from __future__ import annotations

import pytest

from ansible_collections.vdi.firewall.plugins.module_utils._linux_host import (
    controller_management,
    exec_start_file,
    has_line,
    parse_show,
    read_units,
    show_command,
    unit_state,
    with_line,
    without_line,
)
from ansible_collections.vdi.firewall.plugins.module_utils._linux_rules import RuleError
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._management import management_entries

SHOW = """\
ExecStart={ path=/usr/sbin/firewalld ; argv[]=/usr/sbin/firewalld --nofork --nopid ; ignore_errors=no ; pid=31 ; code=(null) ; status=0/0 }
Id=firewalld.service
LoadState=loaded
ActiveState=active
UnitFileState=enabled

ExecStart={ path=/usr/sbin/nft ; argv[]=/usr/sbin/nft -f /etc/nftables.conf ; ignore_errors=no ; pid=0 ; code=(null) ; status=0/0 }
Id=nftables.service
LoadState=loaded
ActiveState=inactive
UnitFileState=disabled
"""
UNITS = ["firewalld.service", "nftables.service"]


@pytest.mark.parametrize(
    "ssh_client",
    ["192.0.2.10 50000 22", "2001:db8::5 50000 22", "::ffff:192.0.2.7 1 22", "fe80::1%eth0 1 22", "", None],
)
@pytest.mark.parametrize("fallback", ["any", "none"])
@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_the_controller_entry_is_what_the_filter_gives(ssh_client, fallback, protocol):
    environ = {"SSH_CLIENT": ssh_client} if ssh_client is not None else {}
    spec = {"port": 2222, "protocol": protocol, "fallback": fallback}
    expected = management_entries([], 2222, protocol=protocol, ssh_client=ssh_client, fallback=fallback)
    assert controller_management(spec, environ) == expected


def test_fallback_fail_fails_like_the_filter():
    with pytest.raises(VdiFirewallError) as filter_error:
        management_entries([], 22, ssh_client="", fallback="fail")
    with pytest.raises(RuleError) as module_error:
        controller_management({"port": 22, "protocol": "tcp", "fallback": "fail"}, {})
    assert str(module_error.value) == str(filter_error.value)
    assert controller_management({"port": 22, "fallback": "fail"}, {"SSH_CLIENT": "192.0.2.1 1 22"}) == [
        {"protocol": "tcp", "port": 22, "remote_addresses": ["192.0.2.1/32"]}
    ]


def test_no_spec_no_entry_and_bad_input_fails():
    assert controller_management(None, {"SSH_CLIENT": "192.0.2.1 1 22"}) == []
    with pytest.raises(RuleError, match="does not start with an IP address"):
        controller_management({"port": 22}, {"SSH_CLIENT": "somewhere 1 22"})
    with pytest.raises(RuleError, match="not a port number"):
        controller_management({"port": 0}, {})
    with pytest.raises(RuleError, match="tcp or udp"):
        controller_management({"port": 22, "protocol": "sctp"}, {})


def test_systemctl_show_is_read_per_unit():
    units = parse_show(SHOW, UNITS)
    assert unit_state(units["firewalld.service"]) == {"active": True, "enabled": True}
    assert unit_state(units["nftables.service"]) == {"active": False, "enabled": False}
    assert exec_start_file(units["nftables.service"]) == "/etc/nftables.conf"
    assert exec_start_file(units["firewalld.service"]) is None
    assert unit_state(None) == {"active": None, "enabled": None}
    assert show_command("/bin/systemctl", UNITS)[:2] == ["/bin/systemctl", "show"]


@pytest.mark.parametrize(
    ("state", "enabled"),
    [("enabled", True), ("static", True), ("disabled", False), ("masked", False), ("enabled-runtime", False),
     ("indirect", False), ("alias", False), ("", False)],
)
def test_enabled_means_systemd_service_would_change_nothing(state, enabled):
    assert unit_state({"LoadState": "loaded", "ActiveState": "active", "UnitFileState": state})["enabled"] is enabled


def test_a_missing_unit_is_neither_active_nor_enabled():
    units = parse_show("Id=nosuch.service\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n", ["nosuch.service"])
    assert unit_state(units["nosuch.service"]) == {"active": False, "enabled": False}
    assert exec_start_file(units["nosuch.service"]) is None


@pytest.mark.parametrize(
    ("exec_start", "path"),
    [
        ("{ path=/sbin/nft ; argv[]=/sbin/nft -f /etc/sysconfig/nftables.conf ; ignore_errors=no }", "/etc/sysconfig/nftables.conf"),
        ("{ path=/usr/bin/nft ; argv[]=/usr/bin/nft --file=/etc/nft.conf ; ignore_errors=no }", "/etc/nft.conf"),
        ("{ path=/usr/bin/nft ; argv[]=/usr/bin/nft --file /etc/nft.conf ; ignore_errors=no }", "/etc/nft.conf"),
        ("{ path=/usr/bin/nft ; argv[]=/usr/bin/nft list ruleset ; ignore_errors=no }", None),
        ("", None),
    ],
)
def test_the_boot_ruleset_is_the_file_after_f(exec_start, path):
    assert exec_start_file({"ExecStart": exec_start}) == path


def test_lines_compare_as_lineinfile_does():
    line = 'include "/etc/nftables.d/vdi_firewall.nft"'
    assert has_line(f"flush ruleset\n{line}\n", line)
    assert has_line(f"flush ruleset\r\n{line}\r\n", line)
    assert not has_line(f"# {line}\n", line)
    assert not has_line(f"{line} \n", line)
    assert not has_line(None, line)


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("", "LINE\n"),
        ("flush ruleset\n", "flush ruleset\nLINE\n"),
        ("flush ruleset", "flush ruleset\nLINE\n"),
        ("flush ruleset\r", "flush ruleset\rLINE\n"),
        ("a\r\nb\r\n", "a\r\nb\r\nLINE\n"),
        ("# LINE\n", "# LINE\nLINE\n"),
        ("a\x0bLINE\n", "a\x0bLINE\nLINE\n"),
        ("x\nLINE\ny\n", None),
        ("x\nLINE\r\n", None),
    ],
)
def test_a_missing_line_is_added_at_the_end_as_lineinfile_adds_it(text, after):
    assert with_line(text, "LINE") == after


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("x\nLINE\ny\nLINE", "x\ny\n"),
        ("LINE\r\nx\n", "x\n"),
        ("LINE\n", ""),
        ("x\n# LINE\nLINE \n", None),
        ("", None),
        (None, None),
    ],
)
def test_every_copy_of_the_line_is_removed_as_lineinfile_removes_them(text, after):
    assert without_line(text, "LINE") == after


class FakeModule:
    def __init__(self, systemctl, rc=0, out=SHOW):
        self.systemctl, self.rc, self.out, self.commands = systemctl, rc, out, []

    def get_bin_path(self, name):
        return self.systemctl if name == "systemctl" else None

    def run_command(self, command):
        self.commands.append(command)
        return self.rc, self.out, ""


def test_units_are_read_with_one_command_and_none_without_systemd():
    module = FakeModule("/bin/systemctl")
    assert read_units(module, UNITS)["nftables.service"]["UnitFileState"] == "disabled"
    assert len(module.commands) == 1
    assert read_units(FakeModule(None), UNITS) is None
    assert read_units(FakeModule("/bin/systemctl", rc=1, out=""), UNITS) is None
