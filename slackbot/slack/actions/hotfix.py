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
from slackbot.domain.tickets import ticket_problem
from slackbot.render import hotfix_blocks
from slackbot.render.hotfix_blocks import answer_message
from slackbot.services.commands import HotfixCommands
from slackbot.slack.actions import clicked_by
from slackbot.slack.delivery import deliver
from slackbot.slack.errors import CommandHandled, answers_errors

_OUT_OF_DATE = "That button is out of date or was not made by me; nothing was changed."


def _snooze_for_a_day(value: str, pattern: str) -> SnoozeReminders:
    try:
        return SnoozeReminders(SnoozeSubject.parse(value, pattern), timedelta(days=1))
    except ValueError:
        raise UsageError(_OUT_OF_DATE) from None


def _ticket(value: str, pattern: str) -> str:
    """A ticket button's value, as the bot issues them: one valid ticket."""
    if ticket_problem(value, pattern) is not None:
        raise UsageError(_OUT_OF_DATE)
    return value


# Each button's action id, and the command its value (a ticket, or what to snooze) stands for,
# checked against what the bot itself puts on its buttons (the configured ticket pattern).
_COMMANDS: dict[str, Callable[[str, str], HotfixCommand]] = {
    hotfix_blocks.OPEN_PR: lambda value, pattern: OpenPr(ticket=_ticket(value, pattern)),
    hotfix_blocks.PROMOTE: lambda value, pattern: Promote(ticket=_ticket(value, pattern)),
    hotfix_blocks.CANCEL: lambda value, pattern: Cancel(ticket=_ticket(value, pattern)),
    hotfix_blocks.SNOOZE: _snooze_for_a_day,
}


def register(app: App, hotfixes: HotfixCommands, handled: CommandHandled | None = None) -> None:
    for action_id, command_for in _COMMANDS.items():
        app.action(action_id)(answers_errors(f"button:{action_id}", handled)(_handler(hotfixes, command_for)))


def _handler(hotfixes: HotfixCommands, command_for: Callable[[str, str], HotfixCommand]) -> Any:
    def on_click(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        actor = clicked_by(body)
        command = command_for(str(action.get("value", "")), hotfixes.ticket_pattern)
        answer = hotfixes.handle(command, actor)
        deliver(answer_message(answer), respond=respond, client=client, body=body)

    return on_click
