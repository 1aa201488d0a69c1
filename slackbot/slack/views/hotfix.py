"""The start-a-hot-fix modal that `/hotfix` alone opens."""

from __future__ import annotations

import time
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from slackbot.domain.errors import BotError
from slackbot.domain.hotfix_commands import Start
from slackbot.domain.tickets import validate_ticket
from slackbot.observability.logs import about_ticket, handling
from slackbot.render import hotfix_blocks
from slackbot.render.blocks import Message
from slackbot.render.hotfix_blocks import answer_message
from slackbot.services.access import Actor
from slackbot.services.commands import HotfixCommands
from slackbot.slack.delivery import post_ephemeral
from slackbot.slack.errors import CommandHandled, user_sentence


def _value(values: dict[str, Any], block: str) -> str:
    element = values.get(block, {}).get("value", {})
    selected = element.get("selected_option") or {}
    return str(selected.get("value") or element.get("value") or "").strip()


FORM = f"form:{hotfix_blocks.START_MODAL}"


def register(app: App, hotfixes: HotfixCommands, handled: CommandHandled | None = None) -> None:
    @app.view(hotfix_blocks.START_MODAL)
    def start_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = view["state"]["values"]
        ticket = _value(values, "ticket") or None
        if ticket:
            try:
                validate_ticket(ticket, hotfixes.ticket_pattern)
            except BotError as error:
                ack(response_action="errors", errors={"ticket": str(error)[:150]})
                return
        ack()  # close the modal; the answer follows as an ephemeral message in the channel
        channel_id = view.get("private_metadata", "")
        user_id = body["user"]["id"]
        actor = Actor(user_id=user_id, channel_id=channel_id)  # Access looks the channel's name up
        command = Start(
            environment=_value(values, "environment"),
            component=_value(values, "component"),
            ticket=ticket,
            summary=_value(values, "summary"),
        )
        started, failure = time.monotonic(), None
        with handling(FORM):
            about_ticket(ticket)
            try:
                text = answer_message(hotfixes.handle(command, actor)).text
            except Exception as error:
                failure, text = error, user_sentence(error)
            post_ephemeral(client, channel_id, user_id, Message(text=text))  # a refusal is logged
        if handled is not None:
            handled(FORM, failure, time.monotonic() - started)
