import socket

import pytest

from tests.conftest import NetworkBlocked


def test_outbound_connection_fails() -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(NetworkBlocked):
            s.connect(("93.184.216.34", 443))
    finally:
        s.close()


def test_dns_lookup_fails() -> None:
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("api.anthropic.com", 443)


def test_loopback_allowed() -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    c = socket.socket()
    try:
        c.connect(srv.getsockname())
    finally:
        c.close()
        srv.close()


@pytest.mark.live
def test_live_tests_are_skipped_without_a_key_and_never_guarded() -> None:
    # Runs only when a key is set; then the guard must not be installed (a real call has to get through).
    assert socket.socket.connect.__name__ != "_guard_connect"
