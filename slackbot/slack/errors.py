"""How errors reach people: a sentence in Slack, the stack trace in the log.

Listeners are wrapped with :func:`answers_errors`, which turns any exception into one helpful
sentence through ``respond``. (Raising to Bolt's ``@app.error`` after ``ack()`` is racy: Bolt
resets the recorded ack when a listener fails, so an answer that fails quickly can turn the
request into a 404 that Slack shows as "dispatch_failed".) ``@app.error`` stays as the net for
errors raised before a listener runs.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from typing import Any, ParamSpec

from slack_bolt import App, Respond

from slackbot.domain.errors import BotError
from slackbot.render.blocks import error_message

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


def _tell(respond: Respond, error: Exception) -> None:
    try:
        respond(**error_message(user_sentence(error)).as_kwargs())
    except Exception:  # the response_url may have expired; the log has the error already
        log.warning("could not deliver an error message to Slack", exc_info=True)


def answers_errors(listener: Callable[P, None]) -> Callable[P, None]:
    """Wrap a listener that takes ``respond`` so that no exception escapes to the person raw."""

    @functools.wraps(listener)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            listener(*args, **kwargs)
        except Exception as error:
            respond: Any = kwargs["respond"]
            _tell(respond, error)

    return wrapper


def register(app: App) -> None:
    @app.error
    def handle_error(error: Exception, respond: Respond) -> None:
        _tell(respond, error)
