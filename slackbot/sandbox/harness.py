"""The whole bot in a box: seeded repositories, both emulators, and the real bot between them.

Used by `slackbot demo`, the scenario tests and the benchmarks. The bot is built by the same
composition root as production and served over HTTP by the same server; only Slack's and
GitHub's servers are the loopback emulators.
"""

from __future__ import annotations

import secrets as random_secrets
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import SecretStr
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from slackbot.bootstrap import Bot, build_bot, build_scheduler, build_slack_app
from slackbot.sandbox.clusters import SimulatedCluster, write_kubeconfig
from slackbot.sandbox.github_emulator import GitHubEmulator
from slackbot.sandbox.kube_emulator import KubeEmulator
from slackbot.sandbox.slack_emulator import SlackEmulator
from slackbot.sandbox.slack_payloads import SlackUser
from slackbot.sandbox.slack_user import Conversation, Delivery, HttpDelivery, Reply, SocketDelivery
from slackbot.sandbox.world import World, merge_pull, seed_world
from slackbot.settings import BotConfig, SchedulerConfig, Secrets, load_config
from slackbot.slack.http import bound_port, http_server

GENERAL = ("C0GENERAL", "general")
INCIDENT = ("C0INC2291", "inc-2291-jupyter")  # an incident channel: its name carries the ticket
# A private incident channel the bot was invited to: Slack calls it "privategroup" in what it sends.
PRIVATE_INCIDENT = ("C0PRIV125", "inc-125-kc")
SANDBOX_GITHUB_TOKEN = "sandbox-github-token"  # noqa: S105 -- the emulator's, not a secret


TEAM = ("C0PLATFORM", "platform-team")  # where back-merge digests and escalations go


class ManualClock:
    """Time that moves only when told to: tests advance it instead of sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        # Starts at the real time, so what git stamps by itself (commits) agrees with it.
        self._now = start or datetime.now(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        return self.now().timestamp()

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now


class Sandbox:
    """Start with ``with Sandbox(folder) as box: box.ask("/versions prod")``.

    ``clusters=True`` adds a simulated Flux cluster per watched environment (Kubernetes API
    emulators, or commit statuses for commit-status environments); ``clock`` makes the bot's and
    the clusters' time controllable; ``scheduler_poll`` runs the real scheduler with that interval.
    """

    def __init__(
        self,
        root: Path,
        *,
        github_delay: float = 0.0,
        config: BotConfig | None = None,
        socket_mode: bool = False,
        database_url: str | None = None,
        clusters: bool = False,
        apply_delay: float = 5.0,
        clock: ManualClock | None = None,
        scheduler_poll: float | None = None,
    ) -> None:
        self.root = root
        self.with_clusters = clusters
        self.apply_delay = apply_delay
        self.clock = clock
        self.scheduler_poll = scheduler_poll
        self.clusters: dict[str, SimulatedCluster] = {}
        self.kube: dict[str, KubeEmulator] = {}
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
            self.world.repos_dir,
            delay=self.github_delay,
            token=SANDBOX_GITHUB_TOKEN,
            clock=self.clock.now if self.clock else None,
        ).start()
        self._closers.append(self.github.stop)
        self.slack = SlackEmulator().start()
        self._closers.append(self.slack.stop)
        self.config = self._config or load_config(self.world.config_path)
        kubeconfig = self._start_clusters() if self.with_clusters else None
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
            kubeconfig=str(kubeconfig) if kubeconfig else None,
        )
        self.slack.add_channel(GENERAL[0], GENERAL[1])
        self.slack.add_channel(INCIDENT[0], INCIDENT[1])
        self.slack.add_channel(TEAM[0], TEAM[1])
        self.slack.add_channel(*PRIVATE_INCIDENT, is_private=True)
        self.slack.add_user("U0CAROL", "carol")
        self.slack.add_usergroup("S0PLATFORM", "platform", ["U0CAROL"])
        self._start_bot()
        self.user = self.person()
        self.conversation = Conversation(self.slack, self.delivery, self.user)

    def _start_clusters(self) -> Path | None:
        """One simulated Flux per watched environment; returns the kubeconfig for their APIs."""
        for name, environment in self.config.environments.items():
            flux = environment.flux
            if flux is None:
                continue
            kube = None
            if flux.kube_context:
                kube = KubeEmulator().start()
                self._closers.append(kube.stop)
                self.kube[flux.kube_context] = kube
            cluster = SimulatedCluster(
                name,
                environment.branch,
                self.world,
                self.config,
                kube=kube,
                github_api_url=self.github.base_url,
                github_token=SANDBOX_GITHUB_TOKEN,
                namespace=flux.namespace,
                apply_delay=self.apply_delay,
                cluster_id=flux.status_id,
                clock=self.clock.monotonic if self.clock else time.monotonic,
            )
            self.clusters[name] = cluster
            self._closers.append(cluster.stop)
        for cluster in self.clusters.values():
            cluster.tick()  # a cluster starts in step with git
        if not self.kube:
            return None
        return write_kubeconfig(self.root / "kubeconfig", self.kube)

    def tick_clusters(self) -> None:
        """Let every simulated Flux look at git once (tests; the demo runs them in threads)."""
        for cluster in self.clusters.values():
            cluster.tick()

    def _start_bot(self) -> None:
        self.bot: Bot = build_bot(self.config, self.secrets, clock=self.clock.now if self.clock else None)
        self._bot_closers = [self.bot.close]
        if self.scheduler_poll is not None:
            config = self.config.model_copy(
                update={"scheduler": SchedulerConfig(poll_interval=timedelta(seconds=self.scheduler_poll))}
            )
            self.scheduler = build_scheduler(replace(self.bot, config=config))
            self.scheduler.start()
            self._bot_closers.append(self.scheduler.stop)
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

    def merge(self, repository: str, number: int) -> str:
        """A reviewer presses Merge on GitHub; the merge is stamped with the sandbox's clock."""
        return merge_pull(
            self.world.repos_dir, repository, number, clock=self.clock.now if self.clock else None
        )

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
        """Someone in the workspace, typing in ``channel`` (id, name): an incident channel by default.
        They are in that channel (added to its members when those are modelled)."""
        self.slack.add_user(user_id, user_name)
        if self.slack.name_in_payloads(channel[0]) is not None:
            self.slack.invite(channel[0], user_id)
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
