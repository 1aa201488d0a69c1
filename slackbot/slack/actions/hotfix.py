"""The buttons on a hot-fix thread's parent message: Open PR, Promote to main, Cancel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, Respond

from slackbot.domain.hotfix_commands import Cancel, HotfixCommand, OpenPr, Promote
from slackbot.services.hotfix import Actor, HotfixService
from slackbot.slack import hotfix_blocks
from slackbot.slack.commands.hotfix import dispatch
from slackbot.slack.errors import answers_errors

_COMMANDS: dict[str, type[OpenPr | Promote | Cancel]] = {
    hotfix_blocks.OPEN_PR: OpenPr,
    hotfix_blocks.PROMOTE: Promote,
    hotfix_blocks.CANCEL: Cancel,
}


def register(app: App, hotfixes: HotfixService) -> None:
    for action_id, command_type in _COMMANDS.items():
        app.action(action_id)(answers_errors(_handler(hotfixes, command_type)))

    @app.action(hotfix_blocks.SNOOZE)
    @answers_errors
    def on_snooze(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        actor = Actor(user_id=body["user"]["id"], channel_id=(body.get("channel") or {}).get("id", ""))
        outcome = hotfixes.snooze(action["value"], timedelta(days=1), actor)
        respond(response_type="ephemeral", replace_original=False, text=outcome.message)


def _handler(hotfixes: HotfixService, command_type: type[OpenPr | Promote | Cancel]) -> Any:
    def on_click(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        channel = body.get("channel") or {}
        actor = Actor(
            user_id=body["user"]["id"], channel_id=channel.get("id", ""), channel_name=channel.get("name")
        )
        command: HotfixCommand = command_type(ticket=action["value"])
        respond(
            response_type="ephemeral",
            replace_original=False,
            **dispatch(hotfixes, command, actor).as_kwargs(),
        )

    return on_click
