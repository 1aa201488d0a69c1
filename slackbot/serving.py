"""`slackbot serve`: the bot's life as a long-running process — start, serve, and stop cleanly.

On SIGTERM (a rolling update) or SIGINT the process stops taking new work (the HTTP server or the
Slack socket closes), lets what is in flight finish for a bounded time, releases the scheduler
lease at once so another copy takes the jobs over within seconds, and exits 0.

Health is always on: in HTTP mode on the HTTP port; in Socket Mode (no inbound port otherwise) on a
small listener of its own (``--health-port``), loopback unless told otherwise.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import FrameType

from slack_bolt.adapter.socket_mode import SocketModeHandler

from slackbot.bootstrap import Bot, build_scheduler, build_slack_app
from slackbot.observability.health import Readiness, health_app
from slackbot.slack.http import WsgiApp, bound_port, http_server, serve_until, wsgi_server

log = logging.getLogger(__name__)

FINISH_WITHIN = 20.0  # seconds in-flight work may take after SIGTERM (Kubernetes gives 30 by default)
_LISTENER_THREADS = 64


@dataclass(frozen=True)
class Listen:
    http: bool  # serve Slack over HTTP even when a Socket Mode token is set
    host: str = "127.0.0.1"
    port: int = 3000
    health_host: str = "127.0.0.1"
    health_port: int = 8080


def serve(bot: Bot, listen: Listen, *, say: Callable[[str], None] = print) -> None:
    """Run until SIGTERM or SIGINT; then stop as described above. ``say`` tells the operator."""
    listeners = ThreadPoolExecutor(max_workers=_LISTENER_THREADS, thread_name_prefix="listener")
    app = build_slack_app(bot, listeners=listeners)
    scheduler = build_scheduler(bot) if bot.config.scheduler.enabled else None
    token = bot.secrets.slack_app_token
    socket = (
        SocketModeHandler(app, token.get_secret_value()) if token is not None and not listen.http else None
    )
    readiness = Readiness(
        {
            "config": lambda: None,  # loaded and valid, or the bot would not have started
            "database": lambda: _database_answers(bot),
            "slack": lambda: _slack_connected(socket),
        }
    )
    with_health: Callable[[WsgiApp | None], WsgiApp] = lambda slack: health_app(  # noqa: E731
        readiness, bot.metrics, fallback=slack
    )
    stopping = threading.Event()
    try:
        if scheduler is not None:
            scheduler.start()  # runs the jobs only while this copy holds the lease
        if socket is not None:
            _serve_socket_mode(socket, listen, with_health(None), stopping, say)
        else:
            _serve_http(app, listen, with_health, stopping, say)
    finally:
        say("Stopping: finishing what is in flight.")
        _finish(listeners)
        if scheduler is not None:
            scheduler.stop(finish_within=FINISH_WITHIN)  # and the lease is free at once
        bot.close()
        say("Stopped.")


def _serve_http(
    app: object,
    listen: Listen,
    with_health: Callable[[WsgiApp | None], WsgiApp],
    stopping: threading.Event,
    say: Callable[[str], None],
) -> None:
    server = http_server(app, host=listen.host, port=listen.port, health=with_health)  # type: ignore[arg-type]
    say(f"Serving HTTP on http://{listen.host}:{bound_port(server)}/slack/events")

    signalled: list[str] = []

    def leave(signum: int, _frame: FrameType | None) -> None:
        # Only flags: an exception raised here could land inside waitress's loop, which swallows it.
        signalled.append(signal.Signals(signum).name)
        stopping.set()

    _on_signals(leave)
    try:
        serve_until(server, stopping)
        log.info("%s: no new requests", signalled[0] if signalled else "stopping")
        server.task_dispatcher.shutdown(timeout=int(FINISH_WITHIN))
    finally:
        server.close()


def _serve_socket_mode(
    socket: SocketModeHandler,
    listen: Listen,
    health: WsgiApp,
    stopping: threading.Event,
    say: Callable[[str], None],
) -> None:
    checks = wsgi_server(health, host=listen.health_host, port=listen.health_port, threads=4)
    threading.Thread(target=checks.run, name="health", daemon=True).start()
    say(f"Health checks on http://{listen.health_host}:{bound_port(checks)}/healthz, /readyz, /metrics")
    _on_signals(lambda signum, _frame: stopping.set())
    socket.connect()  # type: ignore[no-untyped-call]
    say("Serving in Socket Mode (no inbound port).")
    try:
        stopping.wait()
    finally:
        socket.close()  # type: ignore[no-untyped-call]
        checks.close()


def _on_signals(handler: Callable[[int, FrameType | None], None]) -> None:
    for name in ("SIGTERM", "SIGINT"):
        signal.signal(getattr(signal, name), handler)


def _finish(listeners: ThreadPoolExecutor) -> None:
    """Let the commands already taken finish (bounded), and take no new ones."""
    waiting = threading.Thread(target=listeners.shutdown, kwargs={"wait": True}, name="finishing")
    waiting.start()
    waiting.join(timeout=FINISH_WITHIN)
    if waiting.is_alive():
        log.warning("some commands did not finish within %.0f s of stopping", FINISH_WITHIN)


def _database_answers(bot: Bot) -> None:
    try:
        bot.store.ping()
    except Exception as error:
        raise RuntimeError("the database does not answer") from error


def _slack_connected(socket: SocketModeHandler | None) -> None:
    if socket is not None and not socket.client.is_connected():
        raise RuntimeError("not connected to Slack (Socket Mode)")
