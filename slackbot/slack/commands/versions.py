"""`/versions …`: what an environment runs, and where else a component's branch goes."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from slackbot.domain.versions_commands import parse_versions
from slackbot.render.versions_blocks import versions_message
from slackbot.services.version_queries import VersionQueries
from slackbot.slack.delivery import deliver
from slackbot.slack.errors import CommandHandled, answers_errors


def register(app: App, queries: VersionQueries, handled: CommandHandled | None = None) -> None:
    @app.command("/versions")
    @answers_errors("/versions", handled)
    def versions_command(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()  # within Slack's 3 seconds; the answer follows through response_url
        message = versions_message(queries.answer(parse_versions(body.get("text", ""))))
        deliver(message, respond=respond, client=client, body=body)
