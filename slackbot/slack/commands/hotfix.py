"""`/hotfix …`: start and steer hot-fixes from an incident channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from slackbot.domain.hotfix_commands import parse_hotfix
from slackbot.observability.logs import about_ticket
from slackbot.render.hotfix_blocks import answer_message, start_modal
from slackbot.services.access import Actor
from slackbot.services.commands import HotfixCommands
from slackbot.services.outcome import StartForm
from slackbot.slack.delivery import deliver
from slackbot.slack.errors import CommandHandled, answers_errors


def register(app: App, hotfixes: HotfixCommands, handled: CommandHandled | None = None) -> None:
    @app.command("/hotfix")
    @answers_errors("/hotfix", handled)
    def hotfix_command(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        # From a private channel or a DM Slack sends a placeholder for the name; Access looks it up.
        actor = Actor(
            user_id=body["user_id"], channel_id=body["channel_id"], channel_name=body.get("channel_name")
        )
        command = parse_hotfix(body.get("text", ""), hotfixes.ticket_pattern)
        about_ticket(getattr(command, "ticket", None))
        answer = hotfixes.handle(command, actor)
        if isinstance(answer, StartForm):
            client.views_open(trigger_id=body["trigger_id"], view=start_modal(answer, actor.channel_id))
            return
        deliver(answer_message(answer), respond=respond, client=client, body=body)
