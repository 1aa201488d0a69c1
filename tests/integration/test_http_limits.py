"""The HTTP server's limits, on a real waitress server over loopback: a request must arrive whole
within its deadline however it trickles, while a kept-alive connection may idle; oversized bodies
and headers are refused before they are read; the replay memory forgets in order and stays bounded.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from slackbot.slack.guard import MAX_BODY, RecentSignatures
from slackbot.slack.http import MAX_HEADERS, bound_port, serve_until, wsgi_server

DEADLINE = 1.0


def hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
    return [b"hi\n"]


@pytest.fixture
def port() -> Iterator[int]:
    server = wsgi_server(hello, host="127.0.0.1", port=0, threads=2, request_deadline=DEADLINE)
    stopping = threading.Event()
    loop = threading.Thread(target=serve_until, args=(server, stopping), daemon=True)
    loop.start()
    try:
        yield bound_port(server)
    finally:
        stopping.set()
        loop.join(timeout=5)
        server.close()
    assert not loop.is_alive()  # serve_until left its loop once told to


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def closed_within(connection: socket.socket, seconds: float, trickle: bytes) -> float | None:
    """Send ``trickle`` every 0.2 s until the server closes the connection; how long that took."""
    started = time.monotonic()
    connection.settimeout(0.2)
    while time.monotonic() - started < seconds:
        try:
            if connection.recv(1024) == b"":
                return time.monotonic() - started
        except TimeoutError:
            pass
        except ConnectionResetError:
            return time.monotonic() - started
        try:
            connection.sendall(trickle)
        except OSError:
            return time.monotonic() - started
    return None


def whole_answer(connection: socket.socket) -> bytes:
    """One answer of :func:`hello`'s, however the network splits it."""
    received = b""
    while not received.endswith(b"hi\n"):
        chunk = connection.recv(1024)
        if not chunk:
            break
        received += chunk
    return received


def test_headers_trickling_in_are_cut_off_at_the_deadline(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        took = closed_within(connection, 6 * DEADLINE, b"X-Slow: 1\r\n")
    assert took is not None
    assert took < DEADLINE + 2.5


def test_a_body_trickling_in_is_cut_off_at_the_deadline(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        took = closed_within(connection, 6 * DEADLINE, b"x")
    assert took is not None
    assert took < DEADLINE + 2.5


def test_a_kept_alive_connection_may_idle_past_the_deadline(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert whole_answer(connection).startswith(b"HTTP/1.1 200")
        time.sleep(DEADLINE + 2)  # no request under way: only the idle timeout applies
        connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert whole_answer(connection).startswith(b"HTTP/1.1 200")


def test_a_body_over_the_limit_is_refused_from_its_length_before_it_is_sent(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n".encode())
        assert connection.recv(1024).startswith(b"HTTP/1.1 413")


def test_a_body_at_the_limit_is_read(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_BODY}\r\n\r\n".encode())
        connection.sendall(b"x" * MAX_BODY)
        assert connection.recv(1024).startswith(b"HTTP/1.1 200")


def test_headers_over_the_limit_are_refused(port: int) -> None:
    with connect(port) as connection:
        padding = b"X-Pad: " + b"p" * MAX_HEADERS + b"\r\n"
        connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + padding + b"\r\n")
        assert connection.recv(1024).split()[1] == b"431"


def test_recent_signatures_refuse_a_second_sight_until_forgotten() -> None:
    now = [0.0]
    recent = RecentSignatures(remember=600, capacity=10, clock=lambda: now[0])
    assert recent.first_time("v0=a")
    assert not recent.first_time("v0=a")
    now[0] = 599
    assert not recent.first_time("v0=a")
    now[0] = 600.5  # past any timestamp Bolt would still accept
    assert recent.first_time("v0=a")


def test_recent_signatures_stay_bounded_forgetting_the_oldest_first() -> None:
    recent = RecentSignatures(remember=600, capacity=3, clock=lambda: 0.0)
    for name in "abcd":
        assert recent.first_time(name)
    assert recent.first_time("a")  # forgotten to make room
    assert not recent.first_time("d")
