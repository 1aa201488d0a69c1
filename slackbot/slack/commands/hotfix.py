"""`/hotfix …`: start and steer hot-fixes from an incident channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from slackbot.domain.hotfix_commands import parse_hotfix
from slackbot.render.hotfix_blocks import answer_message, start_modal
from slackbot.services.access import Actor
from slackbot.services.commands import HotfixCommands
from slackbot.services.outcome import StartForm
from slackbot.slack.errors import answers_errors


def register(app: App, hotfixes: HotfixCommands) -> None:
    @app.command("/hotfix")
    @answers_errors
    def hotfix_command(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        actor = Actor(
            user_id=command["user_id"],
            channel_id=command["channel_id"],
            channel_name=command.get("channel_name"),
        )
        answer = hotfixes.handle(parse_hotfix(command.get("text", ""), hotfixes.ticket_pattern), actor)
        if isinstance(answer, StartForm):
            client.views_open(trigger_id=command["trigger_id"], view=start_modal(answer, actor.channel_id))
            return
        respond(**answer_message(answer).as_kwargs())
