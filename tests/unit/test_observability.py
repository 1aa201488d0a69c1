"""Readiness, metrics and JSON log lines, each on its own."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slackbot.domain.errors import UsageError
from slackbot.observability.health import Readiness, health_app
from slackbot.observability.logs import JsonFormatter, about_ticket, handling
from slackbot.observability.metrics import Metrics


def call(app: Callable[..., Any], path: str, method: str = "GET") -> tuple[str, bytes]:
    seen: list[str] = []
    body = b"".join(
        app({"PATH_INFO": path, "REQUEST_METHOD": method}, lambda status, _headers: seen.append(status))
    )
    return seen[0], body


def broken() -> None:
    raise RuntimeError("the database does not answer")


def test_readiness_names_every_check_that_fails_and_answers_503() -> None:
    app = health_app(Readiness({"config": lambda: None, "database": broken}), Metrics())

    status, body = call(app, "/readyz")

    assert status == "503 Service Unavailable"
    assert json.loads(body) == {
        "ready": False,
        "checks": {"config": "ok", "database": "the database does not answer"},
    }
    assert call(app, "/healthz") == ("200 OK", b"ok\n")  # alive all the same: not a reason to restart


def test_only_the_three_paths_are_served_without_a_fallback() -> None:
    app = health_app(Readiness({}), Metrics())
    assert call(app, "/slack/events", "POST")[0] == "404 Not Found"
    assert call(app, "/readyz", "POST")[0] == "404 Not Found"


def test_commands_are_counted_by_outcome_and_open_hotfixes_read_when_scraped() -> None:
    metrics = Metrics()
    metrics.command_handled("/hotfix", None, 0.2)
    metrics.command_handled("/hotfix", UsageError("typo"), 0.1)
    metrics.command_handled("/hotfix", RuntimeError("bug"), 0.1)
    metrics.github_answered("GET", 304, {"x-ratelimit-remaining": "4999"})
    metrics.count_open_hotfixes(lambda: {"pr_open": 2, "merged": 1})

    text = metrics.exposition().decode()

    for outcome in ("ok", "refused", "failed"):
        assert f'slackbot_commands_total{{command="/hotfix",outcome="{outcome}"}} 1.0' in text
    assert 'slackbot_github_requests_total{counted="false",method="GET",status="304"} 1.0' in text
    assert "slackbot_github_rate_limit_remaining 4999.0" in text
    assert 'slackbot_hotfixes_open{stage="pr_open"} 2.0' in text


def test_a_json_line_names_the_command_its_ticket_and_request_while_one_is_handled() -> None:
    record = logging.LogRecord("slackbot.x", logging.INFO, __file__, 1, "told the user: %s", ("nope",), None)
    outside = json.loads(JsonFormatter().format(record))
    with handling("/hotfix") as request_id:
        about_ticket("INC-7")
        inside = json.loads(JsonFormatter().format(record))

    assert set(outside) == {"time", "level", "logger", "message"}
    assert inside["message"] == "told the user: nope"
    assert (inside["command"], inside["ticket"], inside["request_id"]) == ("/hotfix", "INC-7", request_id)
