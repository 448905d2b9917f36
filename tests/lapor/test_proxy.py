"""The fault-injection proxy (tests/proxy.py) against a plain echo server."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from typing import Callable, Iterator

import psycopg2
import pytest

from tests.conftest import POSTGRES_ADMIN_URL
from tests.proxy import Proxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.request.sendall(data)


class _Shout(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.request.sendall(data.upper())


@pytest.fixture(scope="module")
def echo() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(echo: int) -> Iterator[Proxy]:
    with Proxy("127.0.0.1", echo) as proxy:
        yield proxy


def _connect(proxy: Proxy) -> socket.socket:
    return socket.create_connection(("127.0.0.1", proxy.port), timeout=5)


def _echoes(sock: socket.socket, data: bytes = b"halo") -> bool:
    sock.sendall(data)
    return sock.recv(4096) == data


def _wait_for(condition: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_bytes_go_through_both_ways(proxy: Proxy) -> None:
    with _connect(proxy) as sock:
        assert _echoes(sock, b"lampu mati")
        payload = b"y" * 300_000  # more than one chunk
        sock.sendall(payload)
        received = b""
        while len(received) < len(payload):
            received += sock.recv(65536)
        assert received == payload
    assert proxy.accepted == 1


def test_a_cut_closes_live_connections_and_refuses_new_ones(proxy: Proxy) -> None:
    live = _connect(proxy)
    assert _echoes(live)
    _wait_for(lambda: proxy.live == 1)
    proxy.cut()
    assert proxy.live == 0
    live.settimeout(5)
    with contextlib.suppress(ConnectionResetError):  # closed under the client's feet
        assert live.recv(10) == b""
    live.close()
    with pytest.raises(ConnectionRefusedError):
        _connect(proxy)


def test_restore_listens_again_on_the_same_port(proxy: Proxy) -> None:
    port = proxy.port
    proxy.cut()
    proxy.restore()
    assert proxy.port == port
    with _connect(proxy) as sock:
        assert _echoes(sock)


def test_a_reset_aborts_live_connections_with_rst_and_keeps_accepting(proxy: Proxy) -> None:
    live = _connect(proxy)
    assert _echoes(live)
    _wait_for(lambda: proxy.live == 1)
    proxy.reset()
    with pytest.raises(ConnectionResetError):
        live.recv(10)
    live.close()
    with _connect(proxy) as sock:
        assert _echoes(sock)


def test_a_delay_holds_every_chunk_and_restore_lifts_it(proxy: Proxy) -> None:
    proxy.delay(0.5)
    with _connect(proxy) as sock:
        started = time.monotonic()
        assert _echoes(sock)
        assert time.monotonic() - started >= 1.0  # held on the way there and back
    proxy.cut()
    proxy.restore()
    with _connect(proxy) as sock:
        started = time.monotonic()
        assert _echoes(sock)
        assert time.monotonic() - started < 0.5


def test_new_connections_go_where_the_proxy_is_pointed(proxy: Proxy) -> None:
    other = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Shout)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        proxy.point_at("127.0.0.1", other.server_address[1])
        with _connect(proxy) as sock:
            sock.sendall(b"halo")
            assert sock.recv(10) == b"HALO"
    finally:
        other.shutdown()
        other.server_close()


def test_a_target_that_is_down_looks_down_through_the_proxy() -> None:
    with Proxy("127.0.0.1", _closed_port()) as proxy, _connect(proxy) as sock:
        sock.settimeout(5)
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(10) == b""


@pytest.mark.postgres
def test_postgresql_speaks_through_the_proxy_and_a_cut_breaks_its_session() -> None:
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_ADMIN_URL)
    with Proxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        conn = psycopg2.connect(str(url.set(host="127.0.0.1", port=proxy.port)))
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        proxy.cut()
        with pytest.raises(psycopg2.OperationalError), conn.cursor() as cursor:
            cursor.execute("SELECT 1")
        conn.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
