# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test listeners for the molecule scenarios: `listener.py tcp/80 udp/1494 ...`.

TCP: accept, send one line, close. UDP: echo every datagram back to its sender.
Each port listens on IPv6 and IPv4 (one dual-stack socket), or on IPv4 alone where IPv6 is off.
"""

from __future__ import annotations

import socket
import sys
import threading


def serve_tcp(server: socket.socket) -> None:
    """Accept connections and greet each one."""
    port = server.getsockname()[1]
    while True:
        connection, _peer = server.accept()
        with connection:
            connection.sendall(f"vdi.firewall listener tcp/{port}\n".encode())


def serve_udp(server: socket.socket) -> None:
    """Echo datagrams back to their sender."""
    while True:
        data, peer = server.recvfrom(2048)
        server.sendto(data, peer)


def bind(kind: int, port: int) -> socket.socket:
    """A socket on every address of the port: dual-stack when the host has IPv6, else IPv4 only."""
    try:
        server = socket.socket(socket.AF_INET6, kind)
    except OSError:
        server = None
    if server is not None:
        try:
            server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("::", port))
            return server
        except OSError:
            server.close()
    server = socket.socket(socket.AF_INET, kind)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", port))
    return server


def main() -> None:
    """Bind every protocol/port argument first (so the service is ready once one port answers), then serve."""
    servers = []
    for spec in sys.argv[1:]:
        protocol, port = spec.split("/")
        kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
        server = bind(kind, int(port))
        if protocol == "tcp":
            server.listen(64)
        servers.append((serve_tcp if protocol == "tcp" else serve_udp, server))
    for serve, server in servers:
        threading.Thread(target=serve, args=(server,), daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
