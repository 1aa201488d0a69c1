"""One error handler for every listener: a sentence for the person, the stack trace for the log."""

from __future__ import annotations

import logging
import uuid

from slack_bolt import App, Respond

from slackbot.domain.errors import BotError
from slackbot.domain.names import UnknownName
from slackbot.slack.blocks import error_message

log = logging.getLogger(__name__)


def user_sentence(error: Exception) -> str:
    """What to tell the person about an error; unexpected ones get a reference to find in the log."""
    if isinstance(error, BotError | UnknownName):
        return str(error)
    reference = uuid.uuid4().hex[:8]
    log.exception("unexpected error (reference %s)", reference, exc_info=error)
    return f"Something went wrong on my side (reference {reference}); nothing was changed. Please try again."


def register(app: App) -> None:
    @app.error
    def handle_error(error: Exception, respond: Respond) -> None:
        sentence = user_sentence(error)
        if isinstance(error, BotError | UnknownName):
            log.info("told the user: %s", sentence)
        try:
            respond(**error_message(sentence).as_kwargs())
        except Exception:  # the response_url may be gone; the log has the error already
            log.warning("could not deliver an error message to Slack", exc_info=True)
