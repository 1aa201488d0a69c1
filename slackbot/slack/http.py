"""HTTP mode: Slack's requests at POST /slack/events, plus health and metrics, served by waitress.

Sized for Slack's traffic, which is small requests from a few connections: a request (its headers
and its body) must arrive whole within :data:`REQUEST_DEADLINE` seconds of its first byte, however
slowly it trickles (waitress's own ``channel_timeout`` only counts silence, so a header every two
seconds would hold a connection for ever); bodies over :data:`MAX_BODY` are refused with 413 from
their ``Content-Length``, before they are read; headers over :data:`MAX_HEADERS` with 431. The
connection limit is well above what slow clients can fill within one deadline, so the probes and
Slack keep getting answers. In front of Bolt, :mod:`slackbot.slack.guard` refuses requests that
are not shaped as Slack's are (400) and exact replays of signed ones (409).
"""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, TcpWSGIServer

from slackbot.slack.guard import MAX_BODY, guarded

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Given the Slack handler, the application that also answers /healthz, /readyz and /metrics.
WithHealth = Callable[[WsgiApp], WsgiApp]

REQUEST_DEADLINE = 10.0  # seconds from a request's first byte to its last (Slack sends it at once)
IDLE_TIMEOUT = 30  # seconds a kept-alive connection may sit silent between requests
MAX_HEADERS = 32 * 1024
CONNECTION_LIMIT = 1000  # open connections; a few are Slack's and the probes'
_SPARE_FILES = 64  # file descriptors kept for the database, logs, GitHub and Slack clients


def _alive(slack: WsgiApp) -> WsgiApp:
    """Only `GET /healthz`, for an app built without readiness and metrics (the tests' own)."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in {"GET", "HEAD"}:
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        return slack(environ, start_response)

    return application


def wsgi_app(app: App, health: WithHealth = _alive) -> WsgiApp:
    """Bolt's WSGI handler (which verifies Slack's signatures) behind the guard and the health paths."""
    return health(guarded(SlackRequestHandler(app, path="/slack/events")))


class _DeadlineChannel(HTTPChannel):
    """A connection that remembers when the request it is receiving began."""

    request_started = 0.0

    def received(self, data: bytes) -> bool:
        if self.request is None:  # the first bytes of a new request
            self.request_started = time.time()
        return bool(super().received(data))


class _DeadlineServer(TcpWSGIServer):
    """waitress's TCP server, which also closes connections whose request is overdue."""

    channel_class = _DeadlineChannel
    request_deadline = REQUEST_DEADLINE

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # type: ignore[arg-type]  # (the stubs say int: it is time.time())
        overdue = now - self.request_deadline
        channels: dict[int, _DeadlineChannel] = self.active_channels  # type: ignore[assignment]  # a dict
        for channel in list(channels.values()):
            # Only a request still arriving: one being answered is the application's to finish.
            if channel.request is not None and not channel.requests and channel.request_started < overdue:
                channel.will_close = True


def _connection_limit() -> int:
    """:data:`CONNECTION_LIMIT`, or fewer when the process may not open that many files."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return CONNECTION_LIMIT
    return max(16, min(CONNECTION_LIMIT, soft - _SPARE_FILES))


def wsgi_server(
    application: WsgiApp, *, host: str, port: int, threads: int, request_deadline: float = REQUEST_DEADLINE
) -> BaseWSGIServer:
    """A waitress server with the limits above; call ``run()`` to serve and ``close()`` to stop."""
    adjustments = Adjustments(
        host=host,
        port=port,
        threads=threads,
        ident="slackbot",
        connection_limit=_connection_limit(),
        asyncore_use_poll=True,  # select() cannot watch more than 1024 sockets
        channel_timeout=IDLE_TIMEOUT,
        cleanup_interval=1,  # how often overdue and idle connections are looked for
        max_request_header_size=MAX_HEADERS,
        max_request_body_size=MAX_BODY + 1,  # waitress refuses at this size, the guard above it
        inbuf_overflow=MAX_BODY + 1,  # a body that fits is kept in memory, never spooled to disk
    )
    server = _DeadlineServer(application, adj=adjustments)
    server.request_deadline = request_deadline
    return server


def http_server(
    app: App, *, host: str = "127.0.0.1", port: int = 3000, threads: int = 32, health: WithHealth = _alive
) -> BaseWSGIServer:
    """A waitress server for the app."""
    return wsgi_server(wsgi_app(app, health), host=host, port=port, threads=threads)


def serve_until(server: BaseWSGIServer, stopping: threading.Event) -> None:
    """Run the server's loop until ``stopping`` is set (it notices within a poll, 1 s at most).

    Unlike ``server.run()``, nothing has to be raised into the loop to leave it: waitress's loop
    catches every exception raised while it handles a socket, so a signal handler's would be lost.
    """
    while not stopping.is_set():
        server.asyncore.loop(
            timeout=server.adj.asyncore_loop_timeout,
            map=server._map,  # type: ignore[attr-defined]  # wasyncore.dispatcher's socket map
            use_poll=server.adj.asyncore_use_poll,
            count=1,
        )


def bound_port(server: BaseWSGIServer) -> int:
    """The port the server listens on (the one the OS picked when asked for port 0)."""
    if server.socket is None:
        raise RuntimeError("the server is closed")
    return int(server.socket.getsockname()[1])
