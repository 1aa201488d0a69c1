"""How errors reach people: a sentence in Slack, the stack trace in the log.

Listeners are wrapped with :func:`answers_errors`, which turns any exception into one helpful
sentence, delivered as every answer is (:func:`slackbot.slack.delivery.deliver`: the response_url,
else an ephemeral message). A wrapped listener takes ``respond``, ``client`` and ``body`` (Bolt
passes only what a listener names). (Raising to Bolt's ``@app.error`` after ``ack()`` is racy:
Bolt resets the recorded ack when a listener fails, so an answer that fails quickly can turn the
request into a 404 that Slack shows as "dispatch_failed".) ``@app.error`` stays as the net for
errors raised before a listener runs.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec

from slack_bolt import App, Respond
from slack_sdk import WebClient

from slackbot.domain.errors import BotError
from slackbot.observability.logs import handling
from slackbot.render.blocks import error_message
from slackbot.slack.delivery import deliver

log = logging.getLogger(__name__)
P = ParamSpec("P")


def user_sentence(error: Exception) -> str:
    """What to tell the person; an unexpected error gets a reference to find in the log."""
    if isinstance(error, BotError):
        log.info("told the user: %s", error)
        return str(error)
    reference = uuid.uuid4().hex[:8]
    log.error("unexpected error (reference %s)", reference, exc_info=error)
    return f"Something went wrong on my side (reference {reference}); nothing was changed. Please try again."


def _tell(error: Exception, *, respond: Respond, client: WebClient, body: Mapping[str, Any]) -> None:
    try:
        deliver(error_message(user_sentence(error)), respond=respond, client=client, body=body)
    except Exception:  # delivery logs refusals itself; this is a bug in it, and the log has the error
        log.warning("could not deliver an error message to Slack", exc_info=True)


# Told how each command ended: its name, what it was refused or failed with (None: answered), seconds.
CommandHandled = Callable[[str, BaseException | None, float], None]


def answers_errors(
    command: str, handled: CommandHandled | None = None
) -> Callable[[Callable[P, None]], Callable[P, None]]:
    """Wrap a listener that takes ``respond``, ``client`` and ``body`` so that no exception
    escapes to the person raw; its log lines name ``command``, and ``handled`` hears how it ended."""

    def decorate(listener: Callable[P, None]) -> Callable[P, None]:
        @functools.wraps(listener)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
            started, failure = time.monotonic(), None
            with handling(command):
                try:
                    listener(*args, **kwargs)
                except Exception as error:
                    failure = error
                    given: dict[str, Any] = dict(kwargs)
                    _tell(error, respond=given["respond"], client=given["client"], body=given["body"])
            if handled is not None:
                handled(command, failure, time.monotonic() - started)

        return wrapper

    return decorate


def register(app: App) -> None:
    @app.error
    def handle_error(error: Exception, respond: Respond, client: WebClient, body: dict[str, Any]) -> None:
        _tell(error, respond=respond, client=client, body=body)
