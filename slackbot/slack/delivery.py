"""Getting an answer to the person who asked, even when Slack refuses the usual way.

Listeners answer through the request's ``response_url`` (Bolt's ``respond``), which never raises
on a refusal: slack_sdk's WebhookClient returns Slack's HTTP answer — 404 ``expired_url`` or
``used_url`` for a URL past its 30 minutes or 5 uses, 400 ``invalid_blocks``, ``msg_too_long``,
``msg_blocks_too_long``... for content Slack will not show. :func:`deliver` looks at every answer.
When the URL refused, the same answer goes to the same person in the same channel with
``chat.postEphemeral``; when Slack refused the content, its plain-text short form goes instead
(through the URL, else ephemerally), saying why. Each refusal is one line in the log, with Slack's
error code, never the URL (it lets anyone post as the bot). :func:`post_ephemeral` is the ephemeral
way alone (the modal's answers): a refusal there (``user_not_in_channel``...) is logged, not raised.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, NamedTuple

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slackbot.render.blocks import Message, short_form

log = logging.getLogger(__name__)

# Refusals of the content itself: sent another way as it is, it would be refused the same.
CONTENT_ERRORS = frozenset(
    {
        "invalid_attachments",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_payload",
        "msg_blocks_too_long",
        "msg_too_long",
        "no_text",
    }
)


class Refused(NamedTuple):
    """Slack's refusal of a response_url post: its error code and the HTTP status (0: no answer)."""

    code: str
    status: int

    def __str__(self) -> str:
        return f"{self.code}, HTTP {self.status}" if self.status else self.code


# Every answer is the asker's alone and a new message: said outright, because a response_url from a
# button click would otherwise show the answer to the whole channel, in place of the clicked message.
_AS_AN_ANSWER = {"response_type": "ephemeral", "replace_original": False}


def deliver(message: Message, *, respond: Respond, client: WebClient, body: Mapping[str, Any]) -> None:
    """Show ``message`` to whoever sent ``body`` alone: through the response_url, else with
    chat.postEphemeral."""
    options = _AS_AN_ANSWER
    refused = _respond(respond, message, options)
    if refused is None:
        return
    if refused.code in CONTENT_ERRORS:
        message = short_form(message, refused.code)
        if _respond(respond, message, options) is None:
            log.warning("the response_url refused an answer (%s); its short form went through", refused)
            return
    user, channel = _asker(body)
    failed = post_ephemeral(client, channel, user, message, log_failure=False)
    if failed is None:
        log.warning(
            "the response_url refused an answer (%s); sent it to %s in %s with chat.postEphemeral",
            refused,
            user,
            channel,
        )
    else:
        log.error(
            "the response_url refused an answer (%s) and chat.postEphemeral did too (%s); %s in %s saw nothing",
            refused,
            failed,
            user,
            channel,
        )


def post_ephemeral(
    client: WebClient, channel: str, user: str, message: Message, *, log_failure: bool = True
) -> str | None:
    """Show ``message`` to ``user`` alone in ``channel``; Slack's error code when it refused (and
    that refusal logged, unless ``log_failure`` is off), else None."""
    if not channel or not user:
        failed = "no channel or user to answer"
    else:
        try:
            client.chat_postEphemeral(channel=channel, user=user, **message.as_kwargs())
        except SlackApiError as error:
            response = error.response
            failed = (
                str(response.get("error") or "unknown_error") if response is not None else "unknown_error"
            )
        except Exception as error:  # Slack unreachable: the log has to do
            failed = f"unreachable: {type(error).__name__}"
        else:
            return None
    if log_failure:
        log.error("chat.postEphemeral refused an answer (%s); %s in %s saw nothing", failed, user, channel)
    return failed


def _respond(respond: Respond, message: Message, options: Mapping[str, Any]) -> Refused | None:
    """Post to the response_url; None when Slack took it."""
    try:
        response = respond(**message.as_kwargs(), **options)
    except Exception as error:  # no response_url, or Slack unreachable
        return Refused(f"unreachable: {type(error).__name__}", 0)
    if response.status_code == 200:
        return None
    return Refused(_error_code(response.body), response.status_code)


def _error_code(body: str | None) -> str:
    """Slack's error code from a refusal's body: JSON ``{"error": ...}`` or the bare code."""
    text = (body or "").strip()
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = None
    if isinstance(decoded, dict) and decoded.get("error"):
        return str(decoded["error"])
    return text if text.replace("_", "").isalnum() and len(text) <= 64 else "unknown_error"


def _asker(body: Mapping[str, Any]) -> tuple[str, str]:
    """(user id, channel id) of whoever sent a slash command's or an interaction's ``body``."""
    user = body.get("user_id") or (body.get("user") or {}).get("id") or ""
    channel = (
        body.get("channel_id")
        or (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
        or ""
    )
    return str(user), str(channel)
