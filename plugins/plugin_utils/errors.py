# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Error type of the pure-Python core; plugins turn it into Ansible errors.

The class itself lives in module_utils (``_errors``) so that the modules on targets raise the same
error as the controller's core, through the one ports-and-addresses library (``_netvalues``).
"""

from __future__ import annotations

from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError, kind_of

__all__ = ["VdiFirewallError", "kind_of"]
