"""The terminal side: `slackbot versions`, `check-config`, `serve` and `demo`, as scripts use them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slackbot.cli import app
from slackbot.sandbox.harness import SANDBOX_GITHUB_TOKEN, Sandbox
from slackbot.sandbox.slack_emulator import SlackEmulator
from slackbot.sandbox.slack_payloads import SlackUser
from slackbot.sandbox.slack_user import HttpDelivery

SLACKBOT = [sys.executable, "-m", "slackbot"]


@pytest.fixture
def github_env(shared_box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "SLACKBOT_CONFIG": str(shared_box.world.config_path),
        "GITHUB_TOKEN": SANDBOX_GITHUB_TOKEN,
        "GITHUB_API_URL": shared_box.github.base_url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@contextmanager
def started(command: list[str], announcement: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run a long-lived `slackbot` command until the test ends; yields its base URL, read from the
    line on stderr that contains ``announcement``."""
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line = ""
        deadline = time.monotonic() + 30
        while announcement not in line and time.monotonic() < deadline:
            line = process.stderr.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        assert match, line
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def demo(script: str, timeout: float) -> str:
    """Type ``script`` into `slackbot demo`, a line at a time; what it printed."""
    result = subprocess.run(
        [*SLACKBOT, "demo"], input=script, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.usefixtures("github_env")
def test_versions_json_is_the_documented_document(shared_box: Sandbox) -> None:
    code, out, _ = run("versions", "production", "--json")
    assert code == 0
    document = json.loads(out)
    assert set(document) == {
        "environment",
        "repository",
        "branch",
        "commit",
        "layout",
        "components",
        "core_charts",
        "problems",
    }
    assert (document["environment"], document["branch"], document["layout"]) == ("prod", "prod", "split")
    assert document["commit"] == shared_box.world.repo("lsc-sde/iac-flux-lscsde").resolve("refs/heads/prod")
    jupyter = next(c for c in document["components"] if c["name"] == "jupyter_hub")
    assert jupyter == {
        "name": "jupyter_hub",
        "repository": "lsc-sde/iac-flux-jupyter",
        "branch": "release/0.2.105",
        "chart_version": "3.2.1",
        "image": "lscsde/jupyterhub:4.1.5",
        "extra": {},
    }
    keda = next(c for c in document["components"] if c["name"] == "keda")
    assert keda["chart_version"] == "2.10"  # the text written, not the float 2.1
    assert keda["repository"] is None  # mentioned by the files, not configured
    assert {"name": "lscsde-flux", "chart": "lscsde-flux", "version": "0.1.97"} in document["core_charts"]


@pytest.mark.usefixtures("github_env")
def test_versions_json_for_one_component_adds_its_head_and_sharing(shared_box: Sandbox) -> None:
    code, out, _ = run("versions", "prod", "jupyter", "--json")
    assert code == 0
    [component] = json.loads(out)["components"]
    assert component["name"] == "jupyter_hub"
    assert component["shared_with"] == ["stg"]
    head = shared_box.world.repo("lsc-sde/iac-flux-jupyter").resolve("refs/heads/release/0.2.105")
    assert component["branch_head"] == head


@pytest.mark.usefixtures("github_env")
def test_versions_in_a_terminal_reads_like_slack() -> None:
    code, out, _ = run("versions", "prod", "jupyter_hub")
    assert code == 0
    assert "release/0.2.105" in out
    assert "rolls out to *prod* and *stg*" in out


@pytest.mark.usefixtures("github_env")
def test_an_unknown_name_exits_non_zero_with_a_helpful_message() -> None:
    code, out, err = run("versions", "prod", "jupiter", "--json")
    assert code == 1
    assert out == ""
    assert "Did you mean `jupyter_hub`?" in err


def test_check_config_accepts_the_sandbox_config(shared_box: Sandbox) -> None:
    code, out, _ = run("check-config", str(shared_box.world.config_path))
    assert code == 0
    assert "OK" in out
    assert "5 environments" in out


def test_check_config_names_each_mistake_with_its_line(tmp_path: Path) -> None:
    config = tmp_path / "slackbot.yml"
    config.write_text("core:\n  repository: not-a-repo\nenvironments:\n  prod: {brnch: prod}\n")
    code, _, err = run("check-config", str(config))
    assert code == 2
    assert "line 2: core.repository: 'not-a-repo' is not a repository name" in err
    assert "line 4: environments.prod.brnch: Extra inputs are not permitted" in err


def test_serve_in_http_mode_answers_health_checks_and_signed_commands(
    shared_box: Sandbox, tmp_path: Path
) -> None:
    with SlackEmulator() as slack:
        env = {
            **os.environ,
            "SLACKBOT_CONFIG": str(shared_box.world.config_path),
            "GITHUB_TOKEN": SANDBOX_GITHUB_TOKEN,
            "GITHUB_API_URL": shared_box.github.base_url,
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": "serve-test-secret",
            "SLACK_API_URL": slack.api_url,
            "SLACK_APP_TOKEN": "",
        }
        env.pop("SLACK_APP_TOKEN")
        with started([*SLACKBOT, "serve", "--http", "--port", "0"], "Serving HTTP on", env) as base:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as health:  # noqa: S310
                assert health.status == 200
            user = SlackUser(slack)
            payload = user.slash_command_payload("/versions prod jupyter_hub")
            assert HttpDelivery(base, "serve-test-secret").send_command(payload).status == 200
            [answer] = slack.wait_for(lambda: slack.responses(payload["response_url"]), timeout=15)
            assert "release/0.2.105" in json.dumps(answer)
            assert HttpDelivery(base, "wrong-secret").send_command(payload).status == 401


def test_the_demo_runs_a_scripted_conversation() -> None:
    out = demo("/versions\n/versions prod jupyter_hub\n/versions prod jupiter\nhelp\nquit\n", timeout=120)
    assert "> /versions prod jupyter_hub" in out
    assert "rolls out to *prod* and *stg*" in out
    assert "Did you mean `jupyter_hub`?" in out
    assert out.rstrip().endswith("Sandbox stopped.")


def test_the_sandbox_github_command_serves_a_seeded_world(tmp_path: Path) -> None:
    command = [*SLACKBOT, "sandbox", "github", "--repos", str(tmp_path / "world"), "--seed", "--port", "0"]
    with started(command, "GitHub emulator on") as base:
        url = f"{base}/repos/lsc-sde/iac-flux-lscsde/branches/prod"
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310
            assert json.load(answer)["name"] == "prod"


@pytest.mark.usefixtures("github_env")
def test_hotfixes_from_a_terminal_and_their_status_as_json(
    box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACKBOT_CONFIG", str(box.world.config_path))
    monkeypatch.setenv("GITHUB_API_URL", box.github.base_url)
    monkeypatch.setenv("SLACKBOT_DATABASE_URL", f"sqlite:///{box.root / 'slackbot.db'}")
    code, out, err = run("hotfix", "start", "prod", "jupyter", "INC-77", "--summary", "from a terminal")
    assert code == 0, err
    assert "Hot-fix INC-77 started" in out
    jupyter = box.world.repo("lsc-sde/iac-flux-jupyter")
    assert jupyter.resolve("refs/heads/hotfix/INC-77") == jupyter.resolve("refs/heads/release/0.2.105")
    code, out, _ = run("hotfix", "status", "INC-77", "--json")
    assert code == 0
    [document] = json.loads(out)
    assert document["stage"] == "branched"
    assert document["branch"] == "hotfix/INC-77"
    assert document["rollout_environments"] == ["prod", "stg"]
    assert document["started_by"].startswith("cli:")
    code, _, err = run("hotfix", "pr", "INC-77")
    assert code == 1
    assert "has no commits yet" in err


def test_the_demo_runs_a_whole_hotfix() -> None:
    # Real time passes in the demo; the waits leave room for a loaded machine.
    script = "/hotfix prod jupyter_hub spawner times out\npush\nwait 8\nmerge\nwait 25\n/hotfix promote 2291\nmerge\nwait 8\nquit\n"
    out = demo(script, timeout=180)
    assert "Hot-fix 2291 started" in out
    assert "Pull request #1" in out
    assert "prod rolled out" in out
    assert "stg rolled out" in out
    assert "Back-merged into `main`: hot-fix complete" in out
