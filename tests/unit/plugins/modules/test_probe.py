# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe module's probing against listeners on the loopback address only."""

from __future__ import annotations

import socket
import threading

import pytest

from ansible_collections.vdi.firewall.plugins.modules.probe import probe

LOOPBACK = "127.0.0.1"


@pytest.fixture
def tcp_listener():
    server = socket.socket()
    server.bind((LOOPBACK, 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def udp_echo():
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((LOOPBACK, 0))
    server.settimeout(5)

    def echo():
        try:
            data, peer = server.recvfrom(2048)
            server.sendto(data, peer)
        except OSError:
            pass

    thread = threading.Thread(target=echo, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.close()


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def target(port, protocol="tcp", expect=None):
    return {"host": LOOPBACK, "port": port, "protocol": protocol, "expect": expect, "name": "flow"}


def test_tcp_open(tcp_listener):
    result = probe(target(tcp_listener, expect="open"), 2, b"x")
    assert (result["state"], result["passed"]) == ("open", True)


def test_tcp_refused_passes_closed():
    result = probe(target(free_port(), expect="closed"), 2, b"x")
    assert (result["state"], result["passed"]) == ("refused", True)


def test_tcp_refused_fails_open():
    result = probe(target(free_port(), expect="open"), 2, b"x")
    assert result["passed"] is False


def test_udp_echo_open(udp_echo):
    result = probe(target(udp_echo, "udp", "open"), 2, b"hello")
    assert (result["state"], result["passed"], result["detail"]) == ("open", True, "answered 5 bytes")


def test_udp_without_listener_is_refused():
    result = probe(target(free_port(socket.SOCK_DGRAM), "udp", "closed"), 2, b"x")
    assert result["state"] == "refused"
    assert result["passed"] is True


def test_no_expectation_is_only_reported(tcp_listener):
    result = probe(target(tcp_listener), 2, b"x")
    assert (result["state"], result["passed"]) == ("open", None)
