"""HTTP mode: Slack's requests at POST /slack/events, plus health and metrics, served by waitress."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Given the Slack handler, the application that also answers /healthz, /readyz and /metrics.
WithHealth = Callable[[WsgiApp], WsgiApp]


def _alive(slack: WsgiApp) -> WsgiApp:
    """Only `GET /healthz`, for an app built without readiness and metrics (the tests' own)."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in {"GET", "HEAD"}:
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        return slack(environ, start_response)

    return application


def wsgi_app(app: App, health: WithHealth = _alive) -> WsgiApp:
    """Bolt's WSGI handler (which verifies Slack's signatures) behind the health paths."""
    return health(SlackRequestHandler(app, path="/slack/events"))


def wsgi_server(application: WsgiApp, *, host: str, port: int, threads: int) -> BaseWSGIServer:
    """A waitress server; call ``run()`` to serve and ``close()`` to stop."""
    server = create_server(application, host=host, port=port, threads=threads, ident="slackbot")
    if isinstance(server, MultiSocketServer):  # only when several listen addresses are configured
        raise TypeError("expected a single listening socket")
    return server


def http_server(
    app: App, *, host: str = "127.0.0.1", port: int = 3000, threads: int = 32, health: WithHealth = _alive
) -> BaseWSGIServer:
    """A waitress server for the app."""
    return wsgi_server(wsgi_app(app, health), host=host, port=port, threads=threads)


def bound_port(server: BaseWSGIServer) -> int:
    """The port the server listens on (the one the OS picked when asked for port 0)."""
    if server.socket is None:
        raise RuntimeError("the server is closed")
    return int(server.socket.getsockname()[1])
