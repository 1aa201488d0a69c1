"""`/versions …`: what an environment runs, and where else a component's branch goes."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond

from slackbot.domain.versions_commands import parse_versions
from slackbot.render.versions_blocks import versions_message
from slackbot.services.version_queries import VersionQueries
from slackbot.slack.errors import answers_errors


def register(app: App, queries: VersionQueries) -> None:
    @app.command("/versions")
    @answers_errors
    def versions_command(ack: Ack, command: dict[str, str], respond: Respond) -> None:
        ack()  # within Slack's 3 seconds; the answer follows through response_url
        respond(**versions_message(queries.answer(parse_versions(command.get("text", "")))).as_kwargs())
