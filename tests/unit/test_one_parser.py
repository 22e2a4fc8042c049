# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ports and addresses are parsed in one place: module_utils/_netvalues.py.

Every stage and backend reads ports and addresses through that library, so that a value means the
same and is refused for the same reason everywhere. This test fails, naming file:line, when plugin
code parses them another way again (a regular expression for ports, a range split on '-', a range
check against 65535, a lenient network parse that widens host bits, an interface parse).
"""

from __future__ import annotations

import re
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
LIBRARY = PLUGINS / "module_utils" / "_netvalues.py"
# reads vendor ACL syntax (wildcard masks, 'eq'/'range' operators) back, for the round-trip tests
DEVICE_SYNTAX_READERS = {PLUGINS / "plugin_utils" / "_acl" / "permitted.py"}

SECOND_PARSER = re.compile(
    r"ip_network\(str\(|strict=False|ip_interface\(|partition\([\"']-[\"']\)|split\([\"']-[\"']\)"
    r"|\\d\{1,5\}|<= *65535|65535 *>=|int\(port\)"
)


def test_no_plugin_parses_ports_or_addresses_outside_the_library():
    offenders = []
    for path in sorted(PLUGINS.rglob("*.py")):
        if path == LIBRARY or path in DEVICE_SYNTAX_READERS:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SECOND_PARSER.search(line):
                offenders.append(f"{path.relative_to(PLUGINS.parent)}:{number}: {line.strip()}")
    assert not offenders, "parse ports and addresses with module_utils/_netvalues.py:\n" + "\n".join(offenders)


def test_the_check_finds_a_second_parser():
    assert SECOND_PARSER.search('start, _sep, end = text.partition("-")')
    assert SECOND_PARSER.search("network = ipaddress.ip_network(str(value).strip(), strict=False)")
    assert SECOND_PARSER.search('re.compile(r"^(\\d{1,5})(?:-(\\d{1,5}))?$")')
    assert not SECOND_PARSER.search("ports = parse_ports(value, where)")
