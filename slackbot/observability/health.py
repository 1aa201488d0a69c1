"""``/healthz`` (the process answers), ``/readyz`` (it can do its job) and ``/metrics``, as WSGI.

Served on the HTTP port in HTTP mode, and on a small listener of its own (``--health-port``) in
Socket Mode, where the bot has no inbound port otherwise. Readiness asks each check afresh: the
configuration loaded (it did, or nothing would run), the database answers, Slack is connected.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from slackbot.observability.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Check = Callable[[], None]  # raises (any exception) when not ready; its message says why
PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class Readiness:
    def __init__(self, checks: Mapping[str, Check]) -> None:
        self._checks = dict(checks)

    def report(self) -> tuple[bool, dict[str, str]]:
        """Whether every check passes, and each one's answer ("ok" or why not)."""
        answers: dict[str, str] = {}
        for name, check in self._checks.items():
            try:
                check()
            except Exception as error:  # each check's own failure is the answer, never a crash
                answers[name] = str(error) or type(error).__name__
            else:
                answers[name] = "ok"
        return all(answer == "ok" for answer in answers.values()), answers


def health_app(readiness: Readiness, metrics: Metrics, *, fallback: WsgiApp | None = None) -> WsgiApp:
    """The three paths (GET or HEAD), and ``fallback`` (or 404) for everything else."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path not in PATHS or method not in {"GET", "HEAD"}:
            if fallback is not None:
                return fallback(environ, start_response)
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"not found\n"]
        if path == "/healthz":
            return _answer(start_response, "200 OK", "text/plain; charset=utf-8", b"ok\n")
        if path == "/metrics":
            return _answer(start_response, "200 OK", CONTENT_TYPE, metrics.exposition())
        ready, answers = readiness.report()
        if not ready:
            log.warning("not ready: %s", ", ".join(f"{k}: {v}" for k, v in answers.items() if v != "ok"))
        body = json.dumps({"ready": ready, "checks": answers}).encode() + b"\n"
        return _answer(
            start_response, "200 OK" if ready else "503 Service Unavailable", "application/json", body
        )

    return application


def _answer(start_response: Callable[..., Any], status: str, content_type: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
