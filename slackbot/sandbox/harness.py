"""The whole bot in a box: seeded repositories, both emulators, and the real bot between them.

Used by `slackbot demo`, the scenario tests and the benchmarks. The bot is built by the same
composition root as production and served over HTTP by the same server; only Slack's and
GitHub's servers are the loopback emulators.
"""

from __future__ import annotations

import secrets as random_secrets
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import SecretStr
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from slackbot.bootstrap import Bot, build_bot, build_slack_app
from slackbot.sandbox.github_emulator import GitHubEmulator
from slackbot.sandbox.slack_emulator import SlackEmulator
from slackbot.sandbox.slack_user import (
    Conversation,
    Delivery,
    HttpDelivery,
    Reply,
    SlackUser,
    SocketDelivery,
)
from slackbot.sandbox.world import World, seed_world
from slackbot.settings import BotConfig, Secrets, load_config
from slackbot.slack.http import bound_port, http_server

GENERAL = ("C0GENERAL", "general")
INCIDENT = ("C0INC2291", "inc-2291-jupyter")  # an incident channel: its name carries the ticket
SANDBOX_GITHUB_TOKEN = "sandbox-github-token"  # noqa: S105 -- the emulator's, not a secret


class Sandbox:
    """Start with ``with Sandbox(folder) as box: box.ask("/versions prod")``."""

    def __init__(
        self,
        root: Path,
        *,
        github_delay: float = 0.0,
        config: BotConfig | None = None,
        socket_mode: bool = False,
        database_url: str | None = None,
    ) -> None:
        self.root = root
        self.database_url = database_url
        self.socket_mode = socket_mode
        self.github_delay = github_delay
        self._config = config
        self.signing_secret = random_secrets.token_hex(16)
        self._closers: list[Callable[[], None]] = []
        self._bot_closers: list[Callable[[], None]] = []

    def __enter__(self) -> Sandbox:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]
    ) -> None:
        self.stop()

    def start(self) -> None:
        self.world: World = seed_world(self.root)
        self.github = GitHubEmulator(
            self.world.repos_dir, delay=self.github_delay, token=SANDBOX_GITHUB_TOKEN
        ).start()
        self._closers.append(self.github.stop)
        self.slack = SlackEmulator().start()
        self._closers.append(self.slack.stop)
        self.config = self._config or load_config(self.world.config_path)
        self.secrets = Secrets(
            slackbot_config=self.world.config_path,
            slack_bot_token=SecretStr(self.slack.bot_token),
            slack_signing_secret=SecretStr(self.signing_secret),
            slack_app_token=SecretStr(self.slack.app_token) if self.socket_mode else None,
            slack_api_url=self.slack.api_url,
            github_token=SecretStr(SANDBOX_GITHUB_TOKEN),
            github_app_id=None,
            github_api_url=self.github.base_url,
            slackbot_database_url=SecretStr(self.database_url or f"sqlite:///{self.root / 'slackbot.db'}"),
        )
        self.slack.add_channel(GENERAL[0], GENERAL[1])
        self.slack.add_channel(INCIDENT[0], INCIDENT[1])
        self.slack.add_user("U0CAROL", "carol")
        self.slack.add_usergroup("S0PLATFORM", "platform", ["U0CAROL"])
        self._start_bot()
        self.user = self.person()
        self.conversation = Conversation(self.slack, self.delivery, self.user)

    def _start_bot(self) -> None:
        self.bot: Bot = build_bot(self.config, self.secrets)
        self._bot_closers = [self.bot.close]
        self.app: App = build_slack_app(self.bot)
        if self.socket_mode:
            # What `slackbot serve` does when SLACK_APP_TOKEN is set, minus blocking forever.
            handler = SocketModeHandler(self.app, self.slack.app_token)
            handler.connect()  # type: ignore[no-untyped-call]
            self._bot_closers.append(handler.close)
            self.bot_url = self.slack.socket_url
            self.delivery: Delivery = SocketDelivery(self.slack)
            return
        server = http_server(self.app, port=0)
        # Closed from its own loop: closing from another thread races waitress's select().
        trigger: Any = server.trigger  # waitress's loop waker (missing from its type stubs)
        self._bot_closers.append(lambda: trigger.pull_trigger(server.close))
        threading.Thread(target=server.run, name="bot-http", daemon=True).start()
        self.bot_url = f"http://127.0.0.1:{bound_port(server)}"
        self.delivery = HttpDelivery(self.bot_url, self.signing_secret)

    def restart_bot(self) -> None:
        """Stop the bot and start a new process-like one: empty caches, same world and emulators."""
        self._stop_bot()
        self._start_bot()
        self.conversation = Conversation(self.slack, self.delivery, self.user)

    def _stop_bot(self) -> None:
        for close in reversed(self._bot_closers):
            close()
        self._bot_closers = []

    def person(
        self, user_id: str = "U0ALICE", user_name: str = "alice", channel: tuple[str, str] = INCIDENT
    ) -> SlackUser:
        """Someone in the workspace, typing in ``channel`` (id, name): an incident channel by default."""
        self.slack.add_user(user_id, user_name)
        return SlackUser(
            self.slack, user_id=user_id, user_name=user_name, channel_id=channel[0], channel_name=channel[1]
        )

    def conversation_with(self, user: SlackUser) -> Conversation:
        return Conversation(self.slack, self.delivery, user)

    def ask(self, command_line: str, *, timeout: float = 10.0) -> Reply:
        """Type a slash command in Slack and read what the bot shows."""
        return self.conversation.ask(command_line, timeout=timeout)

    def stop(self) -> None:
        self._stop_bot()
        while self._closers:
            self._closers.pop()()
