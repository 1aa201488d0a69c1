"""The buttons on hot-fix messages: Open PR, Promote to main, Cancel; Snooze on reminders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from slackbot.domain.errors import UsageError
from slackbot.domain.hotfix_commands import Cancel, HotfixCommand, OpenPr, Promote, SnoozeReminders
from slackbot.domain.snooze import SnoozeSubject
from slackbot.render import hotfix_blocks
from slackbot.render.hotfix_blocks import answer_message
from slackbot.services.access import Actor
from slackbot.services.commands import HotfixCommands
from slackbot.slack.delivery import deliver
from slackbot.slack.errors import CommandHandled, answers_errors


def _snooze_for_a_day(value: str) -> SnoozeReminders:
    try:
        return SnoozeReminders(SnoozeSubject.parse(value), timedelta(days=1))
    except ValueError:
        raise UsageError("That button is out of date; nothing was snoozed.") from None


# Each button's action id, and the command its value (a ticket, or what to snooze) stands for.
_COMMANDS: dict[str, Callable[[str], HotfixCommand]] = {
    hotfix_blocks.OPEN_PR: lambda ticket: OpenPr(ticket=ticket),
    hotfix_blocks.PROMOTE: lambda ticket: Promote(ticket=ticket),
    hotfix_blocks.CANCEL: lambda ticket: Cancel(ticket=ticket),
    hotfix_blocks.SNOOZE: _snooze_for_a_day,
}


def register(app: App, hotfixes: HotfixCommands, handled: CommandHandled | None = None) -> None:
    for action_id, command_for in _COMMANDS.items():
        app.action(action_id)(answers_errors(f"button:{action_id}", handled)(_handler(hotfixes, command_for)))


def _handler(hotfixes: HotfixCommands, command_for: Callable[[str], HotfixCommand]) -> Any:
    def on_click(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        # A click in a private channel or a DM names it "privategroup"/"directmessage": Access looks it up.
        channel = body.get("channel") or {}
        actor = Actor(
            user_id=body["user"]["id"], channel_id=channel.get("id", ""), channel_name=channel.get("name")
        )
        answer = hotfixes.handle(command_for(action["value"]), actor)
        deliver(answer_message(answer), respond=respond, client=client, body=body)

    return on_click
