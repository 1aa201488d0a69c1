"""The "Make prod like stg" button of `/versions diff`: a pin hot-fix, as `/hotfix` would start it.

The value names the environment to change, the one to copy and the component
(:mod:`slackbot.domain.make_like`); a value the bot could not have drawn is refused before anything
is read. The command bus checks the channel and the person as for `/hotfix`, reads both
environments again and runs the Start; the answer is the one `/hotfix` gives.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from slackbot.domain.hotfix_commands import MakeLike
from slackbot.domain.make_like import MAKE_LIKE_ACTION, parse_make_like_value
from slackbot.render.hotfix_blocks import answer_message
from slackbot.services.commands import HotfixCommands
from slackbot.slack.actions import clicked_by
from slackbot.slack.delivery import deliver
from slackbot.slack.errors import CommandHandled, answers_errors


def register(app: App, hotfixes: HotfixCommands, handled: CommandHandled | None = None) -> None:
    @app.action(MAKE_LIKE_ACTION)
    @answers_errors(f"button:{MAKE_LIKE_ACTION}", handled)
    def make_like(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        actor = clicked_by(body)
        target, source, component = parse_make_like_value(str(action.get("value", "")))
        answer = hotfixes.handle(MakeLike(target, source, component), actor)
        deliver(answer_message(answer), respond=respond, client=client, body=body)
