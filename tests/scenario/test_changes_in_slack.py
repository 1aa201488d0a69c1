"""Conversations about what changed in an environment's pins lately (`/versions changes`).

The sandbox's world is dated: prod's recent commits fall between 2024-10-10 and 2024-11-07, so
these conversations run the bot's (and GitHub's) clock from the world's present, 2024-11-08 12:00.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slackbot.cli import app
from slackbot.sandbox.harness import SANDBOX_GITHUB_TOKEN, ManualClock, Sandbox
from slackbot.sandbox.world import open_pulls
from tests.scenario.helpers import CORE
from tests.slack_contract import assert_contract_kept

PRESENT = datetime(2024, 11, 8, 12, 0, tzinfo=UTC)
JUPYTER_COMMIT = "Upgrade JupyterHub to chart 3.2.1 and image 4.1.5"
KEYCLOAK_COMMIT = "Keycloak image 0.1.8 with the redirect URI fix (INC-2120)"
NGINX_COMMIT = "Move ingress_nginx to release/0.1.61 (PLAT-398)"


@pytest.fixture(scope="module")
def world_box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """The bot in the world's present, for conversations that only read."""
    with Sandbox(tmp_path_factory.mktemp("changes"), clock=ManualClock(PRESENT)) as box:
        yield box
        assert_contract_kept(box.slack.received())


@pytest.fixture
def own_box(tmp_path: Path) -> Iterator[Sandbox]:
    """The bot in the world's present, with a world of its own to change."""
    with Sandbox(tmp_path, clock=ManualClock(PRESENT)) as box:
        yield box
        assert_contract_kept(box.slack.received())


def sha_of(box: Sandbox, title: str) -> str:
    log = box.world.repo(CORE).text("log", "--format=%H %s", "prod")
    return next(line.split(" ", 1)[0] for line in log.splitlines() if line.endswith(title))


def test_the_last_week_of_prod_newest_first_with_who_when_and_what(world_box: Sandbox) -> None:
    text = world_box.ask("/versions changes prod").text
    assert text.splitlines()[0] == "PROD — PIN CHANGES IN THE LAST 7 DAYS"
    assert "3 commits on `lsc-sde/iac-flux-lscsde` @ prod" in text
    assert text.index(KEYCLOAK_COMMIT) < text.index(JUPYTER_COMMIT) < text.index(NGINX_COMMIT)
    assert f"{KEYCLOAK_COMMIT} — Tom Whitfield, 2024-11-06 16:20 UTC" in text
    assert "• `keycloak` image `lscsde/awms-keycloak:0.1.7` → `lscsde/awms-keycloak:0.1.8`" in text
    assert (
        "• `jupyter_hub` chart `3.2.0` → `3.2.1`, image `lscsde/jupyterhub:4.1.4` → `lscsde/jupyterhub:4.1.5`"
        in text
    )
    assert "• `ingress_nginx` branch `release/0.1.55` → `release/0.1.61`" in text
    keycloak = sha_of(world_box, KEYCLOAK_COMMIT)
    assert f"{keycloak[:7]} ({world_box.github.base_url}/{CORE}/commit/{keycloak})" in text
    assert "1 more commit touched the core files without changing a pin." in text  # keda's comment
    assert "guacamole" not in text  # 10 October: outside the week


def test_one_component_by_its_alias(world_box: Sandbox) -> None:
    text = world_box.ask("/versions changes production jupyter").text
    assert text.splitlines()[0] == "JUPYTER_HUB IN PROD — PIN CHANGES IN THE LAST 7 DAYS"
    assert JUPYTER_COMMIT in text
    assert KEYCLOAK_COMMIT not in text
    assert "`jupyter_hub` chart `3.2.0` → `3.2.1`" in text


def test_a_longer_window_reaches_the_core_chart_and_the_emergency_patch(world_box: Sandbox) -> None:
    text = world_box.ask("/versions changes prod --since 5w").text
    assert "PIN CHANGES IN THE LAST 5 WEEKS" in text
    assert "• `lscsde-flux` core chart `0.1.96` → `0.1.97`" in text
    assert "• `guacamole` branch `release/0.1.21` → `release/0.1.21-patched-20241010`" in text


def test_a_quiet_day_says_so_and_shows_the_latest_changes_before_it(world_box: Sandbox) -> None:
    text = world_box.ask("/versions changes prod --since 1d").text
    assert "No pin changed in prod in the last 1 day" in text
    assert "The latest changes before that:" in text
    assert KEYCLOAK_COMMIT in text


def test_an_environment_with_no_change_in_the_window(world_box: Sandbox) -> None:
    text = world_box.ask("/versions changes dev").text
    assert "No pin changed in dev in the last 7 days" in text
    assert "Development: follow the newest release branches" in text  # the latest change, in June
    assert "`jupyter_hub` branch `main` → `release/0.2.106`" in text


def test_staging_has_its_own_history(world_box: Sandbox) -> None:
    text = world_box.ask("/versions changes stg --since 2w").text
    assert "• `lscsde-flux` core chart `0.1.97` → `0.1.98`" in text
    assert "• `cert_manager` branch `release/0.1.40` → `release/0.1.41`" in text


@pytest.mark.parametrize(
    ("line", "fragments"),
    [
        pytest.param(
            "/versions changes prdo", ["environment", "Did you mean `prod`?"], id="a-misspelt-environment"
        ),
        pytest.param(
            "/versions changes prod jupiter", ["Did you mean `jupyter_hub`?"], id="a-misspelt-component"
        ),
        pytest.param(
            "/versions changes prod --since 7x",
            ["`--since` takes a span like `12h`, `7d` or `2w`, not `7x`."],
            id="a-span-it-cannot-read",
        ),
        pytest.param(
            "/versions changes prod --since 120d", ["`--since` goes back at most 90 days"], id="too-far-back"
        ),
        pytest.param("/versions changes", ["`/versions changes` takes an environment"], id="no-environment"),
    ],
)
def test_a_mistake_gets_a_helpful_sentence(world_box: Sandbox, line: str, fragments: list[str]) -> None:
    world_box.github.clear_log()
    text = world_box.ask(line).text
    for fragment in fragments:
        assert fragment in text, text
    assert "Traceback" not in text
    assert not any(r.path.endswith("/commits") for r in world_box.github.requests)  # no history was read


def test_a_merged_pin_hotfix_is_a_change_of_prod(own_box: Sandbox) -> None:
    assert (
        "Its pull request is open" in own_box.ask("/hotfix prod jupyter_hub --chart 3.2.2 INC-31 bump").text
    )
    assert "No pin changed in prod in the last 1 day" in own_box.ask("/versions changes prod --since 1d").text
    [pull] = open_pulls(own_box.world.repos_dir, CORE)
    own_box.merge(CORE, pull["number"])

    text = own_box.ask("/versions changes prod --since 1d").text

    assert "1 commit on `lsc-sde/iac-flux-lscsde` @ prod" in text
    assert "• `jupyter_hub` chart `3.2.1` → `3.2.2`" in text
    assert "INC-31" in text  # the pin commit's title names its ticket
    assert "No pin changed" not in text


def test_what_it_costs_github_cold_and_warm(own_box: Sandbox) -> None:
    own_box.github.clear_log()
    own_box.ask("/versions changes prod")
    cold = own_box.github.requests
    listings = [r for r in cold if r.path.endswith("/commits")]
    files = [r for r in cold if "/contents/" in r.path]
    assert len(listings) == 6  # one per core file: flux, helm, image, the legacy file, two releases
    assert len(files) == 9  # the files each of the 4 commits touched, at it and at its parent
    assert len(cold) == len(listings) + len(files)

    own_box.github.clear_log()
    own_box.ask("/versions changes prod")
    assert [r.status for r in own_box.github.requests] == [304] * 6
    assert own_box.github.rate_limited_count() == 0


def test_the_terminal_gives_the_same_answer_as_a_stable_document(
    world_box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`slackbot versions changes …` runs on the real clock: years after the world's history, so its
    window is quiet and the document carries the latest changes before it."""
    monkeypatch.setenv("SLACKBOT_CONFIG", str(world_box.world.config_path))
    monkeypatch.setenv("GITHUB_TOKEN", SANDBOX_GITHUB_TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", world_box.github.base_url)
    result = CliRunner().invoke(app, ["versions", "changes", "production", "--since", "2w", "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {
        "environment",
        "repository",
        "branch",
        "component",
        "since",
        "commits",
        "unchanged_commits",
        "more",
        "earlier",
    }
    assert (document["environment"], document["branch"], document["commits"]) == ("prod", "prod", [])
    latest = document["earlier"][0]
    assert latest["message"] == KEYCLOAK_COMMIT
    assert latest["sha"] == sha_of(world_box, KEYCLOAK_COMMIT)
    assert latest["changes"] == [
        {
            "component": "keycloak",
            "field": "image",
            "change": "changed",
            "old": "lscsde/awms-keycloak:0.1.7",
            "new": "lscsde/awms-keycloak:0.1.8",
        }
    ]
    assert latest["paths"] == ["core/image-config.yaml"]

    shown = CliRunner().invoke(app, ["versions", "changes", "prod", "jupiter"])
    assert shown.exit_code == 1
    assert "Did you mean `jupyter_hub`?" in shown.stderr
