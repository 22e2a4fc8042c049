# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to vdi.firewall (use plugin_utils._acl's exports): port numbers the ACL modules would rename.

cisco.ios.ios_acls turns a destination 'eq <number>' into the TCP keyword whatever the protocol (UDP 80
becomes 'eq www', which IOS has no UDP keyword for); cisco.nxos.nxos_acls does the same for eq and
range, and names 12, 13 and 14 exec, login and cmd (the keywords of 512-514); arista.eos.eos_acls names
every eq port after the controller's /etc/services. The text rendered here always carries numbers; the
module data says a single port in a way the module leaves alone where there is one (see each platform).
"""

from __future__ import annotations

import socket

# the destination ports cisco.ios.ios_acls renames (config/acls/acls.py, port_protocl_no_to_protocol)
IOS_RENAMED = frozenset((7, 9, 13, 19, 20, 21, 23, 25, 37, 43, 49, 53, 70, 79, 101, 109, 110, 111, 113, 119,
                         179, 194, 496, 512, 513, 514, 515, 517, 540, 543, 544, 3949, 5001, 5002, 80))
# those whose keyword is also the IOS UDP keyword of the same port
IOS_UDP_KEYWORDS = frozenset((7, 9, 37, 49, 53, 111, 496, 517))


def ios_renames(protocol: str, port: int) -> bool:
    """Whether ios_acls would render this single destination port as a keyword the protocol lacks."""
    return protocol == "udp" and port in IOS_RENAMED and port not in IOS_UDP_KEYWORDS and port != 135


def eos_renames(port: int) -> bool:
    """Whether eos_acls would render this single port by an /etc/services name."""
    try:
        socket.getservbyport(port)
    except (OSError, OverflowError):
        return False
    return True
