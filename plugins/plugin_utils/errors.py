# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Error type of the pure-Python core; plugins turn it into Ansible errors."""

from __future__ import annotations


class VdiFirewallError(Exception):
    """Bad catalog, inventory or option: the message names the file, host or entry at fault."""
