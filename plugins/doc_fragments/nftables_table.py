# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options, attributes and notes of the modules that own one nftables table."""

from __future__ import annotations


class ModuleDocFragment:
    """Used by vdi.firewall.nftables_rules and vdi.firewall.nftables_zones."""

    DOCUMENTATION = r"""
options:
  state:
    description:
      - V(present) loads and persists the table; V(absent) deletes the table and O(path).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Needs the C(nft) command (package C(nftables)) and the C(CAP_NET_ADMIN) capability (root).
attributes:
  check_mode:
    support: full
    description: Predicts exactly the change a real run makes; the ruleset is checked with C(nft -c) in check mode too.
  diff_mode:
    support: full
    description: Shows the persisted ruleset before and after.
"""
