"""Operating `slackbot serve` as a cluster would: probes, metrics, JSON logs and a SIGTERM hand-over.

Each test runs the real process against the sandbox's emulators and talks to it over HTTP.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from threading import Thread

import pytest

from slackbot.adapters.store import Store
from slackbot.sandbox.harness import SANDBOX_GITHUB_TOKEN, Sandbox
from slackbot.sandbox.slack_emulator import SlackEmulator
from slackbot.sandbox.slack_payloads import SlackUser
from slackbot.sandbox.slack_user import HttpDelivery
from slackbot.scheduler import LEASE

SECRET = "operating-test-signing-secret"


@dataclass
class Running:
    """A `slackbot serve` process, its address and everything it wrote to stderr."""

    process: subprocess.Popen[str]
    base: str
    lines: list[str] = field(default_factory=list)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"{self.base}{path}", timeout=5) as answer:  # noqa: S310 - loopback
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read().decode()

    def metrics_once_counted(self, sample: str, timeout: float = 5.0) -> tuple[int, str]:
        """``/metrics`` once it holds ``sample``: a command is counted when its listener returns,
        which may be just after the person already sees its answer."""
        deadline = time.monotonic() + timeout
        status, metrics = self.get("/metrics")
        while sample not in metrics and time.monotonic() < deadline:
            time.sleep(0.05)
            status, metrics = self.get("/metrics")
        return status, metrics

    def stop(self, timeout: float = 30) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


@contextmanager
def serving(env: dict[str, str], *args: str, announcement: str) -> Iterator[Running]:
    process = subprocess.Popen(
        [sys.executable, "-m", "slackbot", "serve", *args], env=env, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while not any(announcement in line for line in lines) and time.monotonic() < deadline:
        lines.append(process.stderr.readline())
    match = re.search(r"(http://127\.0\.0\.1:\d+)", next(line for line in lines if announcement in line))
    assert match, lines
    running = Running(process, match.group(1), lines)
    reader = Thread(target=lambda: lines.extend(process.stderr or []), daemon=True)
    reader.start()
    try:
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture
def env(shared_box: Sandbox, slack: SlackEmulator, tmp_path: Path) -> dict[str, str]:
    environment = {
        **os.environ,
        "SLACKBOT_CONFIG": str(shared_box.world.config_path),
        "SLACKBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "GITHUB_TOKEN": SANDBOX_GITHUB_TOKEN,
        "GITHUB_API_URL": shared_box.github.base_url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
    }
    environment.pop("SLACK_APP_TOKEN", None)
    return environment


def ask(bot: Running, slack: SlackEmulator, text: str) -> str:
    payload = SlackUser(slack).slash_command_payload(text)
    assert HttpDelivery(bot.base, SECRET).send_command(payload).status == 200
    [answer] = slack.wait_for(lambda: slack.responses(payload["response_url"]), timeout=15)
    return json.dumps(answer)


def test_the_probes_and_metrics_answer_on_the_http_port(env: dict[str, str], slack: SlackEmulator) -> None:
    with serving(env, "--http", "--port", "0", announcement="Serving HTTP on") as bot:
        assert bot.get("/healthz") == (200, "ok\n")
        status, ready = bot.get("/readyz")
        assert status == 200
        assert json.loads(ready) == {
            "ready": True,
            "checks": {"config": "ok", "database": "ok", "slack": "ok"},
        }

        assert "release/0.2.105" in ask(bot, slack, "/versions prod jupyter_hub")
        assert "Did you mean" in ask(bot, slack, "/versions prod jupiter")

        status, metrics = bot.metrics_once_counted('slackbot_command_seconds_count{command="/versions"} 2.0')
        assert status == 200
        assert 'slackbot_commands_total{command="/versions",outcome="ok"} 1.0' in metrics
        assert 'slackbot_commands_total{command="/versions",outcome="refused"} 1.0' in metrics
        assert 'slackbot_command_seconds_count{command="/versions"} 2.0' in metrics
        assert re.search(
            r'slackbot_github_requests_total\{counted="true",method="GET",status="200"\} \d', metrics
        )
        assert "slackbot_github_rate_limit_remaining " in metrics
        assert "# TYPE slackbot_hotfixes_open gauge" in metrics
        assert bot.stop() == 0


def test_json_logs_are_one_object_a_line_naming_the_command_and_never_a_secret(
    env: dict[str, str], slack: SlackEmulator
) -> None:
    with serving(
        {**env, "SLACKBOT_LOG_FORMAT": "json"}, "--http", "--port", "0", announcement="Serving HTTP on"
    ) as bot:
        ask(bot, slack, "/versions prod jupiter")  # refused: a line saying what the user was told
        assert bot.stop() == 0
    logged = [json.loads(line) for line in bot.lines if line.startswith("{")]
    told = [line for line in logged if line["message"].startswith("told the user")]
    assert told
    assert told[0]["command"] == "/versions"
    assert re.fullmatch(r"[0-9a-f]{12}", told[0]["request_id"])
    assert {"time", "level", "logger", "message"} <= set(told[0])
    everything = "".join(bot.lines)
    for secret in (SECRET, slack.bot_token, SANDBOX_GITHUB_TOKEN):
        assert secret not in everything


def test_sigterm_finishes_the_command_in_flight_and_frees_the_scheduler_lease_at_once(
    env: dict[str, str], slack: SlackEmulator, tmp_path: Path
) -> None:
    database = env["SLACKBOT_DATABASE_URL"]
    with serving(env, "--http", "--port", "0", announcement="Serving HTTP on") as bot:
        with Store(database) as store:
            holder: str | None = None
            deadline = time.monotonic() + 15
            while holder is None and time.monotonic() < deadline:
                holder = store.lease_holder(LEASE)
                time.sleep(0.1)
            assert holder is not None  # this copy runs the jobs
        payload = SlackUser(slack).slash_command_payload("/versions prod jupyter_hub")
        assert HttpDelivery(bot.base, SECRET).send_command(payload).status == 200
        assert bot.stop() == 0  # at once: the answer may still be on its way
        assert "release/0.2.105" in json.dumps(slack.responses(payload["response_url"]))
    with Store(database) as store:
        assert store.lease_holder(LEASE) is None  # another copy may take the jobs now, not in 30 s
    assert "Stopped." in "".join(bot.lines)


def test_socket_mode_serves_the_probes_on_a_health_port(env: dict[str, str], slack: SlackEmulator) -> None:
    socket_env = {**env, "SLACK_APP_TOKEN": slack.app_token}
    with serving(socket_env, "--health-port", "0", announcement="Health checks on") as bot:
        assert slack.socket_connected(timeout=15)
        assert bot.get("/healthz") == (200, "ok\n")
        status, ready = bot.get("/readyz")
        deadline = time.monotonic() + 10
        while status != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
            status, ready = bot.get("/readyz")
        assert (status, json.loads(ready)["checks"]["slack"]) == (200, "ok")
        assert bot.get("/slack/events")[0] == 404  # nothing but the probes on this port
        assert bot.stop() == 0
