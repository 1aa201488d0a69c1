"""`/versions [ENV [COMPONENT]]`: what an environment runs. Open to everyone."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import Ack, App, Respond

from slackbot.domain.errors import UsageError
from slackbot.domain.rollout import ClusterView
from slackbot.domain.versions import ComponentReport
from slackbot.services.versions import VersionService
from slackbot.slack import blocks
from slackbot.slack.blocks import Message
from slackbot.slack.errors import answers_errors

ClusterLookup = Callable[[ComponentReport], ClusterView | None]


def register(app: App, versions: VersionService, clusters: ClusterLookup | None = None) -> None:
    @app.command("/versions")
    @answers_errors
    def versions_command(ack: Ack, command: dict[str, str], respond: Respond) -> None:
        ack()  # within Slack's 3 seconds; the answer follows through response_url
        respond(**answer(versions, command.get("text", ""), clusters).as_kwargs())


def answer(versions: VersionService, text: str, clusters: ClusterLookup | None = None) -> Message:
    """The reply to `/versions` with the given arguments (also used by the terminal)."""
    words = text.split()
    if not words or words[0].lower() in {"help", "-h", "--help"}:
        return blocks.versions_help(
            {name: env.aliases for name, env in versions.environments.items()}, list(versions.catalog)
        )
    if len(words) > 2:
        raise UsageError(
            f"`/versions` takes an environment and optionally one component, "
            f"for example `/versions {words[0]} {words[1]}`."
        )
    environment = versions.resolve_environment(words[0])
    if len(words) == 1:
        deployed = versions.environment(environment)
        url = versions.source.web_url(deployed.repository, commit=deployed.commit)
        return blocks.environment_versions(deployed, commit_url=url)
    report = versions.component(environment, words[1])
    c = report.component
    source = versions.source
    return blocks.component_detail(
        report,
        cluster=clusters(report) if clusters else None,
        repo_url=source.web_url(c.repository) if c.repository else None,
        branch_url=source.web_url(c.repository, branch=c.branch) if c.repository and c.branch else None,
        commit_url=source.web_url(report.environment.repository, commit=report.environment.commit),
    )
