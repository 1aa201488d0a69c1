"""The sandbox's shared loopback HTTP server under a burst of connections, over real sockets.

The bot opens many connections at once (a cold /versions fans out ~20 GitHub reads; urllib3 pools
hold 10+ per host). With the standard library's listen backlog of 5, the kernel drops the SYNs of
a burst beyond the accept queue and the client retries them after its 1 s SYN timeout: a whole
second added to some answers. The server's backlog must absorb a burst like that.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from slackbot.sandbox.loopback import LoopbackHandler, LoopbackHTTPServer, LoopbackServer

BURST = 50
# A dropped SYN is retried after 1 s (Linux's initial RTO); a burst without one takes milliseconds.
BOUND = 0.5


class _Hello(LoopbackHandler):
    server: LoopbackHTTPServer[_HelloServer]

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        self.read_request()
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True


class _HelloServer(LoopbackServer):
    def __init__(self) -> None:
        super().__init__("127.0.0.1", 0, _Hello, thread_name="hello-server")


@pytest.fixture
def server() -> Iterator[_HelloServer]:
    with _HelloServer() as running:
        yield running


def _ask(port: int, start: threading.Barrier, took: list[float], answers: list[bytes]) -> None:
    start.wait()
    began = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := conn.recv(4096):
            received += chunk
    took.append(time.perf_counter() - began)
    answers.append(received)


def _burst(port: int) -> tuple[list[float], list[bytes]]:
    """Open BURST connections at the same moment; how long each took to be answered, and what."""
    start = threading.Barrier(BURST)
    took: list[float] = []
    answers: list[bytes] = []
    threads = [threading.Thread(target=_ask, args=(port, start, took, answers)) for _ in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return took, answers


def test_a_burst_of_fifty_connections_is_answered_without_a_syn_retry(server: _HelloServer) -> None:
    port = int(server.base_url.rsplit(":", 1)[1])
    for _ in range(3):  # every burst, not just a lucky one
        took, answers = _burst(port)

        assert len(answers) == BURST
        assert all(a.startswith(b"HTTP/1.1 200 ") and a.endswith(b"hello") for a in answers)
        assert max(took) < BOUND, f"slowest of {BURST}: {max(took) * 1000:.0f} ms"
