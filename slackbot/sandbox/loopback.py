"""The lifecycle the sandbox's HTTP emulators share: a threaded HTTP server on loopback.

:class:`LoopbackServer` binds at construction (so ``base_url`` is known at once, port 0 picks a
free port) with a listen backlog of 128 (not the standard library's 5, which a burst of parallel
connections overflows), serves in a daemon thread from ``start()`` or in the caller's thread from
``serve_forever()``, and ``stop()`` also shuts down the connections still open, which wakes the
handler threads parked on idle keep-alive connections. :class:`LoopbackHandler` is the handler
base: HTTP/1.1 keep-alive, no access log, the request's body and lower-cased headers.

Only the standard library.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

__all__ = ["LoopbackHTTPServer", "LoopbackHandler", "LoopbackServer"]

log = logging.getLogger(__name__)

OwnerT = TypeVar("OwnerT")


class LoopbackHTTPServer(ThreadingHTTPServer, Generic[OwnerT]):
    """A threaded HTTP server that knows its owner (for its handlers) and its open connections."""

    daemon_threads = True
    # The standard library listens with a backlog of 5: a burst of parallel connections (a cold
    # /versions opens ~20) overflows the accept queue, and each dropped SYN is retried after a whole
    # second. Linux caps this at net.core.somaxconn.
    request_queue_size = 128
    owner: OwnerT

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall without DNS; not needed.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host if isinstance(host, str) else bytes(host).decode()
        self.server_port = port

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def shutdown_connections(self) -> None:
        """Wake handler threads parked on idle keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _LoopbackHTTPServer6(LoopbackHTTPServer[OwnerT]):
    address_family = socket.AF_INET6


class LoopbackHandler(BaseHTTPRequestHandler):
    """Handler base: keep-alive, as the HTTP clients' connection pools expect."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections are closed after this many seconds

    def finish(self) -> None:
        # stop() may have shut the connection down under us: flushing it then is no error.
        with contextlib.suppress(OSError):
            super().finish()

    def read_request(self) -> tuple[dict[str, str], bytes]:
        """The request's headers (names lower-cased) and body."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        return {k.lower(): v for k, v in self.headers.items()}, body

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the emulators log requests themselves, at DEBUG, without headers


class LoopbackServer:
    """Own a :class:`LoopbackHTTPServer` whose handlers reach this object as ``server.owner``.

    Subclasses (the emulators) say what they serve in :meth:`_announce`.
    """

    def __init__(
        self,
        host: str,
        port: int,
        handler: type[BaseHTTPRequestHandler],
        *,
        thread_name: str,
        poll_interval: float = 0.01,
    ) -> None:
        server_class = _LoopbackHTTPServer6 if ":" in host else LoopbackHTTPServer
        self._server: LoopbackHTTPServer[LoopbackServer] = server_class((host, port), handler)
        self._server.owner = self
        bound_host, bound_port = self._server.server_address[:2]
        if isinstance(bound_host, bytes):
            bound_host = bound_host.decode()
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.base_url = f"http://{shown}:{bound_port}"
        self._thread_name = thread_name
        # A short poll interval makes stop() quick (shutdown waits for the loop's next poll).
        self._poll_interval = poll_interval
        self._thread: threading.Thread | None = None

    def _announce(self) -> None:
        log.info("serving at %s", self.base_url)

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": self._poll_interval},
            name=self._thread_name,
            daemon=True,
        )
        self._thread.start()
        self._announce()
        return self

    def serve_forever(self) -> None:
        self._announce()
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        self._server.shutdown_connections()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
