"""The hot-fix report, as conversations: a hot-fix followed to its end gets its timeline in its thread
once (two copies of the bot watching or not); anyone asks for it from any channel; an operator prints
it for a review document or a script.

Time is a manual clock the bot, the simulated clusters and GitHub all read (see test_followup.py):
the times and durations in the report are exact. A reviewer merges on GitHub as ``demo-reviewer``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slackbot.bootstrap import build_bot
from slackbot.cli import app
from slackbot.domain.hotfix import Stage
from slackbot.sandbox.harness import GENERAL, SANDBOX_GITHUB_TOKEN, Sandbox
from tests.scenario.helpers import JUPYTER, hotfix, push_fix, replies, together
from tests.scenario.test_followup import Clock, clock_of, later, start
from tests.slack_contract import assert_contract_kept

TICKET = "INC-40"
REPORTED = f":clipboard: *{TICKET} is complete: its timeline for the post-incident review*"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def box(tmp_path: Path, clock: Clock) -> Iterator[Sandbox]:
    """A bot with simulated clusters that apply a change 60 s after they first see it."""
    with Sandbox(tmp_path, clusters=True, clock=clock, apply_delay=60) as box:
        yield box
        assert_contract_kept(box.slack.received())


def reports_in_thread(box: Sandbox) -> list[str]:
    return [r for r in replies(box, TICKET) if r.startswith(REPORTED)]


def followed_to_the_back_merge(box: Sandbox) -> str:
    """Started in the incident channel, fixed, the pull request opened by the bot, merged by a
    reviewer, rolled out in prod (4m12s) and stg (5m12s), promoted, and the back-merge merged on
    GitHub — not yet noticed by the bot. The merge sha."""
    start(box, TICKET)
    push_fix(box, TICKET)
    box.bot.followup.watch()  # the bot opens the pull request
    clock_of(box).advance(minutes=3)
    pull = hotfix(box, TICKET).pull
    assert pull is not None
    sha = box.merge(JUPYTER, pull.number)
    box.bot.followup.watch()
    later(box, minutes=4, seconds=12)  # prod reconciles when asked
    later(box, minutes=1)  # stg 60 s after it saw the merge
    clock_of(box).advance(minutes=20)
    assert "Back-merge pull request" in box.ask(f"/hotfix promote {TICKET}").text
    backmerge = hotfix(box, TICKET).backmerge
    assert backmerge is not None
    clock_of(box).advance(minutes=40)
    box.merge(JUPYTER, backmerge.number)
    assert reports_in_thread(box) == []  # not complete until the bot sees main has the fix
    return sha


def test_a_hotfix_followed_to_its_end_gets_its_timeline_in_its_thread_once(box: Sandbox) -> None:
    sha = followed_to_the_back_merge(box)
    box.github.clear_log()

    later(box, minutes=1)

    assert hotfix(box, TICKET).stage is Stage.DONE
    [report] = reports_in_thread(box)
    assert replies(box, TICKET)[-2] == "Back-merged into `main`: hot-fix complete. :white_check_mark:"
    lines = report.splitlines()
    assert lines[1].startswith(
        ":white_check_mark: *Started* by <@U0ALICE> in <#C0INC2291|inc-2291-jupyter> · 20"
    )
    assert f"*Pull request* <{box.github.base_url}/{JUPYTER}/pull/1|#1> *opened* by the bot" in lines[3]
    assert (
        f"as <{box.github.base_url}/{JUPYTER}/commit/{sha}|`{sha[:7]}`> by demo-reviewer on GitHub"
        in lines[4]
    )
    assert "3m00s after the pull request" in lines[4]
    assert lines[5].startswith(":white_check_mark: *prod* rolled out · ")
    assert lines[5].endswith(" · 4m12s after the merge")
    assert lines[6].endswith(" · 5m12s after the merge")
    assert "*Back-merge pull request* " in lines[7]
    assert "*opened* by <@U0ALICE>" in lines[7]
    assert "*Back-merged* into `main` by demo-reviewer on GitHub · " in lines[8]
    assert lines[8].endswith(" · 1h05m after the merge")
    assert "merge → last roll-out 5m12s (stg) · merge → back-merge 1h05m" in lines[9]
    # What it cost GitHub: each of its two pull requests read once, for who merged it and when it
    # was opened (the watcher's listing of pull requests leaves who merged out).
    pulls = [r.path for r in box.github.requests if "/pulls/" in r.path]
    assert sorted(pulls) == [f"/repos/{JUPYTER}/pulls/1", f"/repos/{JUPYTER}/pulls/2"]

    for _ in range(3):
        later(box, minutes=1)
    box.restart_bot()
    later(box, minutes=1)
    assert len(reports_in_thread(box)) == 1  # told once, restarts or not


def test_two_copies_of_the_bot_noticing_the_end_at_once_post_the_report_once(box: Sandbox) -> None:
    followed_to_the_back_merge(box)
    other = build_bot(box.config, box.secrets, clock=clock_of(box).now)  # a second copy, same database
    try:
        clock_of(box).advance(minutes=1)
        together(box.bot.followup.watch, other.followup.watch)
        together(box.bot.followup.watch, other.followup.watch)
    finally:
        other.close()

    assert len(reports_in_thread(box)) == 1
    assert sum("Back-merged into `main`" in r for r in replies(box, TICKET)) == 1


def test_anyone_asks_for_the_report_from_another_channel_and_nothing_changes(box: Sandbox) -> None:
    followed_to_the_back_merge(box)
    later(box, minutes=1)
    told = replies(box, TICKET)
    bob = box.conversation_with(box.person("U0BOB", "bob", channel=GENERAL))
    box.github.clear_log()

    answer = bob.ask(f"/hotfix report {TICKET.lower()}").text

    assert "HOT-FIX INC-40 — JUPYTER_HUB IN PROD: TIMELINE" in answer
    assert "*Complete*: 1h" in answer
    assert "*prod* rolled out · " in answer
    assert "4m12s after the merge" in answer
    assert "by demo-reviewer on GitHub" in answer
    assert "The thread (" in answer  # a link back to the incident's thread
    assert replies(box, TICKET) == told  # asking posts nothing
    # What it cost GitHub: each pull request read once (the refresh of a finished hot-fix reads nothing).
    assert sorted(r.path for r in box.github.requests) == [
        f"/repos/{JUPYTER}/pulls/1",
        f"/repos/{JUPYTER}/pulls/2",
    ]


def test_a_report_asked_for_midway_shows_what_is_still_to_come(box: Sandbox) -> None:
    start(box, TICKET)
    bob = box.conversation_with(box.person("U0BOB", "bob", channel=GENERAL))

    answer = bob.ask(f"/hotfix report {TICKET}").text

    assert "*In progress* (branched)." in answer
    assert ":hourglass_flowing_sand: *Pull request*" in answer
    assert ":hourglass_flowing_sand: *prod* rolling out" in answer
    assert "start → pull request unknown" in answer


def test_an_unknown_ticket_is_one_sentence_with_the_ticket_it_may_mean(box: Sandbox) -> None:
    start(box, TICKET)

    answer = box.ask("/hotfix report INC-04").text

    assert answer == (
        ":warning: No hot-fix has the ticket `INC-04`. Did you mean `INC-40`? `/hotfix status` lists the active ones."
    )
    assert "report" in box.ask("/hotfix help").text


# -- the terminal ------------------------------------------------------------------------------------


@pytest.fixture
def operator_env(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "SLACKBOT_CONFIG": str(box.world.config_path),
        "SLACKBOT_DATABASE_URL": f"sqlite:///{box.root / 'slackbot.db'}",
        "GITHUB_TOKEN": SANDBOX_GITHUB_TOKEN,
        "GITHUB_API_URL": box.github.base_url,
        "SLACK_BOT_TOKEN": box.slack.bot_token,
        "SLACK_API_URL": box.slack.api_url,
        "KUBECONFIG": str(box.root / "kubeconfig"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)


@pytest.mark.usefixtures("operator_env")
def test_the_terminal_prints_the_json_document_and_markdown_for_a_review(box: Sandbox) -> None:
    sha = followed_to_the_back_merge(box)
    later(box, minutes=1)

    result = CliRunner().invoke(app, ["hotfix", "report", TICKET, "--json"])
    assert result.exit_code == 0, result.output
    [document] = json.loads(result.stdout)
    assert (document["ticket"], document["stage"], document["complete"]) == (TICKET, "done", True)
    assert (document["merge_sha"], document["channel_name"]) == (sha, "inc-2291-jupyter")
    assert [(e["step"], e["environment"], e["status"]) for e in document["timeline"]] == [
        ("started", None, "done"),
        ("branch_created", None, "done"),
        ("pull_opened", None, "done"),
        ("merged", None, "done"),
        ("rolled_out", "prod", "done"),
        ("rolled_out", "stg", "done"),
        ("backmerge_opened", None, "done"),
        ("backmerged", None, "done"),
    ]
    assert document["timeline"][3]["actor"] == "github:demo-reviewer"
    durations = document["durations"]
    assert (durations["pull_request_to_merge"], durations["merge_to_rollout"]) == (
        180,
        {"prod": 252, "stg": 312},
    )
    assert durations["merge_to_backmerge"] == 3912

    result = CliRunner().invoke(app, ["hotfix", "report", TICKET, "--markdown"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"## Hot-fix {TICKET} — jupyter_hub in prod: timeline\n\n> spawner times out\n"
    )
    assert "| Time | Step | Notes |" in result.stdout
    assert " | prod rolled out | 4m12s after the merge |" in result.stdout
    assert "Started by @U0ALICE in #inc-2291-jupyter ([thread](" in result.stdout

    result = CliRunner().invoke(app, ["hotfix", "report", TICKET])
    assert result.exit_code == 0, result.output
    assert "HOT-FIX INC-40 — JUPYTER_HUB IN PROD: TIMELINE" in result.stdout


@pytest.mark.usefixtures("operator_env")
def test_the_terminal_says_in_one_line_what_it_cannot_report(box: Sandbox) -> None:
    start(box, TICKET)

    unknown = CliRunner().invoke(app, ["hotfix", "report", "INC-04", "--json"])
    both = CliRunner().invoke(app, ["hotfix", "report", TICKET, "--json", "--markdown"])

    assert unknown.exit_code == 1
    assert unknown.stdout == ""
    assert unknown.stderr.strip() == (
        "No hot-fix has the ticket `INC-04`. Did you mean `INC-40`? `/hotfix status` lists the active ones."
    )
    assert both.exit_code == 2
    assert "Give `--json` or `--markdown`, not both." in both.stderr
