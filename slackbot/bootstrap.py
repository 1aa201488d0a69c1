"""The composition root: settings in, wired adapters and services out. Nothing else builds them."""

from __future__ import annotations

from dataclasses import dataclass

from github import Auth, Github, GithubRetry
from slack_bolt import App

from slackbot.adapters.github import GitHubSource, web_base_from_api
from slackbot.services.versions import EnvironmentSpec, VersionService
from slackbot.settings import BotConfig, Secrets
from slackbot.slack.app import create_app


class SetupError(Exception):
    """A missing secret or setting that stops the bot from starting; the message says which."""


@dataclass
class Bot:
    config: BotConfig
    secrets: Secrets
    source: GitHubSource
    versions: VersionService

    def close(self) -> None:
        self.versions.close()
        self.source.close()


def github_auth(secrets: Secrets) -> Auth.Auth | None:
    """A token, or a GitHub App installation (whose tokens PyGithub refreshes itself)."""
    if secrets.github_token is not None:
        return Auth.Token(secrets.github_token.get_secret_value())
    if secrets.github_app_id:
        if secrets.github_app_private_key is not None:
            key = secrets.github_app_private_key.get_secret_value()
        elif secrets.github_app_private_key_file is not None:
            key = secrets.github_app_private_key_file.read_text(encoding="utf-8")
        else:
            raise SetupError("GITHUB_APP_ID is set but neither GITHUB_APP_PRIVATE_KEY nor _FILE is.")
        if secrets.github_app_installation_id is None:
            raise SetupError("GITHUB_APP_ID is set but GITHUB_APP_INSTALLATION_ID is not.")
        return Auth.AppAuth(secrets.github_app_id, key).get_installation_auth(
            secrets.github_app_installation_id
        )
    return None


def build_github(secrets: Secrets) -> Github:
    return Github(
        auth=github_auth(secrets),
        base_url=secrets.github_api_url.rstrip("/"),
        timeout=10,
        # Reads go out in parallel; PyGithub's default spacing (0.25 s) would serialise them.
        seconds_between_requests=None,
        seconds_between_writes=1.0,
        # A person is waiting: retry briefly, never sleep for an hour on a rate limit.
        retry=GithubRetry(total=2, backoff_factor=0.2, max_rate_limit_wait=5, secondary_rate_wait=5),
        pool_size=48,  # as many connections as the adapter has reading threads
    )


def build_bot(config: BotConfig, secrets: Secrets) -> Bot:
    source = GitHubSource(build_github(secrets), web_base=web_base_from_api(secrets.github_api_url))
    versions = VersionService(
        source,
        core_repository=config.core.repository,
        environments={
            name: EnvironmentSpec(name=name, branch=env.branch, aliases=env.aliases)
            for name, env in config.environments.items()
        },
        catalog=config.catalog(),
        paths=config.core.files.paths(),
    )
    return Bot(config=config, secrets=secrets, source=source, versions=versions)


def build_slack_app(bot: Bot) -> App:
    secrets = bot.secrets
    if secrets.slack_bot_token is None:
        raise SetupError("SLACK_BOT_TOKEN is not set.")
    if secrets.slack_signing_secret is None and secrets.slack_app_token is None:
        raise SetupError("SLACK_SIGNING_SECRET is not set (needed to verify Slack's requests in HTTP mode).")
    signing_secret = secrets.slack_signing_secret.get_secret_value() if secrets.slack_signing_secret else ""
    return create_app(
        bot_token=secrets.slack_bot_token.get_secret_value(),
        signing_secret=signing_secret,
        api_url=secrets.slack_api_url,
        versions_service=bot.versions,
    )
