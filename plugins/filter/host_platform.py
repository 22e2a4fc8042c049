# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin telling a host's platform from its variables."""

from __future__ import annotations

DOCUMENTATION = r"""
name: host_platform
author: vdi.firewall contributors (@vdi-firewall)
short_description: The platform of a host (windows, linux, network, appliance) from its variables
version_added: 1.0.0
description:
  - Takes a host's variables (C(hostvars[host])) and returns C(windows), C(linux), C(network),
    C(appliance), or C(none) when nothing tells.
  - "In this order: C(vdi_firewall_platform) when set; C(network) when C(ansible_network_os) is set;
    C(windows) when C(ansible_connection) is C(winrm) or C(psrp), or C(ansible_shell_type) is
    C(powershell) or C(cmd); then the gathered facts: C(ansible_os_family=Windows) or
    C(ansible_system=Win32NT) is C(windows), C(ansible_system=Linux) is C(linux)."
  - The roles use it to refuse a host of another platform (for example the Windows role on a
    Citrix ADC).
options:
  _input:
    description: The host's variables, for example C(hostvars[inventory_hostname]).
    type: dict
    required: true
  host:
    description: The host's name, used in error messages.
    type: str
"""

EXAMPLES = r"""
- name: Show this host's platform
  ansible.builtin.debug:
    msg: "{{ hostvars[inventory_hostname] | vdi.firewall.host_platform(host=inventory_hostname) }}"

- name: Refuse other platforms
  ansible.builtin.assert:
    that: hostvars[inventory_hostname] | vdi.firewall.host_platform(host=inventory_hostname) == 'windows'
"""

RETURN = r"""
_value:
  description: C(windows), C(linux), C(network), C(appliance), or C(none).
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.vdi.firewall.plugins.plugin_utils._ansible_errors import reraise_as
from ansible_collections.vdi.firewall.plugins.plugin_utils._platforms import host_platform


def _host_platform(variables, host=""):
    with reraise_as(AnsibleFilterError, "vdi.firewall.host_platform"):
        return host_platform(variables, host or "")


class FilterModule:
    """vdi.firewall.host_platform"""

    def filters(self):
        return {"host_platform": _host_platform}
