"""The scheduled follow-up, as conversations over time: a hot-fix followed to its roll-out in every
environment and chased until ``main`` has it, without anyone typing a command.

Time is a manual clock: the bot, the simulated clusters and GitHub's timestamps all read it, and a
test moves it on instead of sleeping. The jobs are run the way the scheduler runs them:
``box.bot.followup.watch()`` (the watcher and roll-out checks, every minute) and
``box.bot.followup.remind()`` (the back-merge reminders, on weekday mornings); ``box.tick_clusters()``
lets each simulated Flux look at git once.

The world (see ``slackbot/sandbox/world.py``): prod and stg pin jupyter_hub's ``release/0.2.105``;
dev pins ``release/0.2.106``; prod and stg are read through their Kubernetes API (prod with
``reconcile: true``), dev through Flux's commit statuses on GitHub, uat is not watched. Two release
branches are already ahead of main (hot-fixes made by hand): jupyter's ``release/0.2.105`` and
guacamole's ``release/0.1.21-patched-20241010``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from github import Github
from typer.testing import CliRunner

from slackbot.bootstrap import build_bot
from slackbot.cli import app
from slackbot.domain.hotfix import Stage
from slackbot.render.terminal import render_message
from slackbot.sandbox.harness import SANDBOX_GITHUB_TOKEN, TEAM, ManualClock, Sandbox
from slackbot.sandbox.world import open_pulls
from tests.scenario.helpers import JUPYTER, RELEASE, hotfix, push_fix, replies, thread_root, together
from tests.slack_contract import assert_contract_kept

GUACAMOLE = "lsc-sde/iac-flux-guacamole"
PATCHED = "release/0.1.21-patched-20241010"  # guacamole's hand-made hot-fix, never merged back
HEALTH_CHECK_FAILED = (
    "Health check failed after 5m0s: timeout waiting for: "
    "[Deployment/lscsde-config/jupyter status: 'InProgress']"
)


# -- the world and its clock ---------------------------------------------------------------------


class Clock(ManualClock):
    """The manual clock, and the time of the reminder job's run each morning."""

    def __init__(self) -> None:
        super().__init__(datetime.now(UTC).replace(microsecond=0))  # a whole second, as GitHub's times
        self.first_morning = self.now() + timedelta(hours=1)  # after any test's setting up

    def to_next_morning(self) -> None:
        now = self.now()
        mornings = max(0, math.floor((now - self.first_morning) / timedelta(days=1)) + 1)
        self.advance(seconds=(self.first_morning + timedelta(days=mornings) - now).total_seconds())


@pytest.fixture
def clock() -> Clock:
    """One clock for everybody, GitHub included (it stamps merges with it): "in 4m12s" is exact."""
    return Clock()


@pytest.fixture
def box(tmp_path: Path, clock: Clock) -> Iterator[Sandbox]:
    """A bot with simulated clusters that apply a change 60 s after they first see it."""
    with Sandbox(tmp_path, clusters=True, clock=clock, apply_delay=60) as box:
        yield box
        assert_contract_kept(box.slack.received())


def clock_of(box: Sandbox) -> Clock:
    assert isinstance(box.clock, Clock)
    return box.clock


def said(box: Sandbox, ticket: str, fragment: str) -> int:
    """How many replies in the hot-fix's thread contain ``fragment``."""
    return sum(fragment in reply for reply in replies(box, ticket))


def team_channel(box: Sandbox) -> list[str]:
    return [render_message(m.text, m.blocks) for m in box.slack.messages(TEAM[0])]


def start(box: Sandbox, ticket: str, environment: str = "prod", component: str = "jupyter_hub") -> None:
    answer = box.ask(f"/hotfix {environment} {component} {ticket} spawner times out").text
    assert f"Hot-fix {ticket} started" in answer, answer


def merged(box: Sandbox, ticket: str, environment: str = "prod", component: str = "jupyter_hub") -> str:
    """Start a hot-fix, push a fix, let the watcher open the pull request, merge it; the merge sha."""
    start(box, ticket, environment, component)
    push_fix(box, ticket, hotfix(box, ticket).repository)
    box.bot.followup.watch()
    pull = hotfix(box, ticket).pull
    assert pull is not None
    return box.merge(hotfix(box, ticket).repository, pull.number)


def later(box: Sandbox, **delta: float) -> None:
    """Time passes, each simulated Flux looks at git, and the watcher runs, as the scheduler would."""
    clock_of(box).advance(**delta)
    box.tick_clusters()
    box.bot.followup.watch()


def next_morning(box: Sandbox) -> None:
    """The reminder job's next run (every morning, at the same time)."""
    clock_of(box).to_next_morning()
    box.bot.followup.remind()


# -- 1. The progress watcher and the roll-out -------------------------------------------------------


def test_a_hotfix_is_followed_from_its_first_commit_to_its_roll_out_in_prod_and_stg(box: Sandbox) -> None:
    start(box, "2291")
    box.bot.followup.watch()
    assert hotfix(box, "2291").stage is Stage.BRANCHED  # no commits yet: nothing to open

    push_fix(box, "2291")
    box.bot.followup.watch()
    [pull] = open_pulls(box.world.repos_dir, JUPYTER)
    assert (pull["head"], pull["base"]) == ("hotfix/2291", RELEASE)
    assert said(box, "2291", f"Pull request <{box.github.base_url}/{JUPYTER}/pull/{pull['number']}|") == 1

    box.kube["sandbox-prod"].clear_log()
    sha = box.merge(JUPYTER, pull["number"])
    box.bot.followup.watch()
    assert said(box, "2291", f"Merged into `{RELEASE}` as `{sha[:7]}`") == 1
    rolling = ":hourglass_flowing_sand: rolling out"
    assert f"Roll-out: prod {rolling} · stg {rolling}" in thread_root(box, "2291")

    later(box, minutes=4, seconds=12)  # prod was asked to reconcile: it applies at once
    assert f":white_check_mark: prod rolled out `{sha[:7]}` in 4m12s." in replies(box, "2291")
    assert said(box, "2291", "stg rolled out") == 0  # stg saw the change just now: 60 s to go
    assert "prod :white_check_mark: rolled out · stg :hourglass_flowing_sand: rolling out" in thread_root(
        box, "2291"
    )

    later(box, minutes=1)
    assert said(box, "2291", f"stg rolled out `{sha[:7]}` in 5m12s.") == 1
    assert "prod :white_check_mark: rolled out · stg :white_check_mark: rolled out" in thread_root(
        box, "2291"
    )

    before = replies(box, "2291")
    for _ in range(3):
        later(box, minutes=1)
    assert replies(box, "2291") == before  # nothing new: nothing said

    # Reconcile was asked of prod once (the source, then the Kustomization), and of stg never.
    patches = box.kube["sandbox-prod"].patches
    assert [path.rsplit("/", 2)[-2:] for path, _ in patches] == [
        ["gitrepositories", "jupyter"],
        ["kustomizations", "jupyter"],
    ]
    for _, body in patches:
        assert "reconcile.fluxcd.io/requestedAt" in body["metadata"]["annotations"]
    assert box.kube["sandbox-stg"].patches == []


def test_the_watcher_notices_a_pull_request_closed_without_merging(box: Sandbox, github: Github) -> None:
    start(box, "INC-3")
    push_fix(box, "INC-3")
    box.bot.followup.watch()
    pull = hotfix(box, "INC-3").pull
    assert pull is not None
    github.get_repo(JUPYTER).get_pull(pull.number).edit(state="closed")

    for _ in range(3):
        later(box, minutes=1)

    assert said(box, "INC-3", f"Pull request #{pull.number} was closed without merging") == 1
    assert hotfix(box, "INC-3").stage is Stage.BRANCHED
    assert len(open_pulls(box.world.repos_dir, JUPYTER)) == 0  # not reopened behind anyone's back


def test_a_deleted_hotfix_branch_is_told_once_and_no_longer_followed(box: Sandbox) -> None:
    start(box, "INC-4")
    box.bot.followup.watch()
    box.world.repo(JUPYTER).run("update-ref", "-d", "refs/heads/hotfix/INC-4")

    later(box, minutes=1)
    box.github.clear_log()
    for _ in range(3):
        later(box, minutes=1)

    assert said(box, "INC-4", "`hotfix/INC-4` was deleted") == 1
    assert hotfix(box, "INC-4").stage is Stage.CANCELLED
    assert ":no_entry_sign: cancelled" in thread_root(box, "INC-4")
    assert not [r for r in box.github.requests if "hotfix/INC-4" in r.path]  # no longer asked about


def test_a_pull_request_closed_with_its_branch_deleted_stops_the_tracking(
    box: Sandbox, github: Github
) -> None:
    start(box, "INC-5")
    push_fix(box, "INC-5")
    box.bot.followup.watch()
    pull = hotfix(box, "INC-5").pull
    assert pull is not None
    # What GitHub does when someone deletes the head branch of an open pull request: closes it.
    github.get_repo(JUPYTER).get_pull(pull.number).edit(state="closed")
    box.world.repo(JUPYTER).run("update-ref", "-d", "refs/heads/hotfix/INC-5")

    for _ in range(3):
        later(box, minutes=1)

    assert said(box, "INC-5", "`hotfix/INC-5` was deleted") == 1
    assert hotfix(box, "INC-5").stage is Stage.CANCELLED


def test_a_rollout_past_its_deadline_is_one_warning_with_what_flux_says(box: Sandbox) -> None:
    box.clusters["stg"].apply_delay = 3600  # stg's Flux is slow today
    sha = merged(box, "INC-6")
    box.bot.followup.watch()

    later(box, minutes=9, seconds=59)
    assert said(box, "INC-6", "stg has not applied") == 0  # still within the deadline
    later(box, seconds=2)
    later(box, minutes=1)
    later(box, minutes=1)

    [warning] = [r for r in replies(box, "INC-6") if "stg has not applied" in r]
    assert warning == (
        f":warning: stg has not applied `{sha[:7]}` 10m01s after the merge (deadline 10m00s). "
        "Flux says: Progressing: Reconciliation in progress."
    )
    assert "stg :warning: late" in thread_root(box, "INC-6")

    box.clusters["stg"].apply_delay = 0
    later(box, minutes=1)
    assert said(box, "INC-6", f"stg rolled out `{sha[:7]}` in 13m01s.") == 1
    assert "stg :white_check_mark: rolled out" in thread_root(box, "INC-6")


def test_a_failing_kustomization_is_reported_at_once_with_its_ready_message(box: Sandbox) -> None:
    box.clusters["prod"].fail("jupyter_hub")  # the new revision fails its health check
    sha = merged(box, "INC-7")
    box.bot.followup.watch()  # prod reconciles at once (reconcile: true) and fails
    later(box, minutes=1)

    [failure] = [r for r in replies(box, "INC-7") if r.startswith(":x:")]
    assert (
        failure
        == f":x: prod tried to apply `{sha[:7]}` but Flux reports HealthCheckFailed: {HEALTH_CHECK_FAILED}"
    )
    assert "prod :x: failed" in thread_root(box, "INC-7")
    later(box, minutes=10)  # still failing past the deadline: already told, not repeated as "late"
    assert said(box, "INC-7", ":x: prod") == 1
    assert said(box, "INC-7", "prod has not applied") == 0

    box.clusters["prod"].heal("jupyter_hub")
    later(box, minutes=1)
    assert said(box, "INC-7", f"prod rolled out `{sha[:7]}` in 12m00s.") == 1


def test_a_cluster_serving_only_the_older_flux_api_is_read_all_the_same(box: Sandbox) -> None:
    for context in ("sandbox-prod", "sandbox-stg"):
        box.kube[context].api_versions = ("v1beta2",)  # an older cluster: no v1
    sha = merged(box, "INC-8")
    box.bot.followup.watch()
    later(box, minutes=2)
    later(box, minutes=1)

    assert said(box, "INC-8", f"prod rolled out `{sha[:7]}` in 2m00s.") == 1
    assert said(box, "INC-8", f"stg rolled out `{sha[:7]}` in 3m00s.") == 1
    assert [path for path, _ in box.kube["sandbox-prod"].patches] == [
        "/apis/source.toolkit.fluxcd.io/v1beta2/namespaces/lscsde-config/gitrepositories/jupyter",
        "/apis/kustomize.toolkit.fluxcd.io/v1beta2/namespaces/lscsde-config/kustomizations/jupyter",
    ]
    served = {(r.path.split("/")[3], r.status) for r in box.kube["sandbox-stg"].requests if r.method == "GET"}
    assert ("v1beta2", 200) in served
    assert ("v1", 200) not in served


def test_an_unreachable_cluster_is_one_note_per_hotfix_and_one_when_it_is_back(box: Sandbox) -> None:
    box.kube["sandbox-prod"].unreachable = True
    sha = merged(box, "INC-9")
    other = merged(box, "INC-10", "prod", "ingress_nginx")
    box.bot.followup.watch()
    for _ in range(4):
        later(box, minutes=1)

    for ticket in ("INC-9", "INC-10"):
        assert said(box, ticket, "Can't reach the prod cluster") == 1, replies(box, ticket)
        assert said(box, ticket, "reachable again") == 0
    assert (
        ":warning: Can't reach the prod cluster: 503 the server is currently unable to handle the request. "
        "I'll keep trying and say when it's back."
    ) in replies(box, "INC-9")
    assert said(box, "INC-9", f"stg rolled out `{sha[:7]}`") == 1  # stg is fine meanwhile
    assert box.kube["sandbox-prod"].patches == []  # the reconcile request could not be made

    box.kube["sandbox-prod"].unreachable = False
    for _ in range(3):
        later(box, minutes=1)

    for ticket in ("INC-9", "INC-10"):
        assert said(box, ticket, "The prod cluster is reachable again.") == 1, replies(box, ticket)
        assert said(box, ticket, "Can't reach the prod cluster") == 1
    assert said(box, "INC-9", f"prod rolled out `{sha[:7]}`") == 1
    assert said(box, "INC-10", f"prod rolled out `{other[:7]}`") == 1
    # Asked once it could be: the reconcile request is not lost to the outage.
    assert {p.rsplit("/", 1)[-1] for p, _ in box.kube["sandbox-prod"].patches} == {"jupyter", "nginx"}


def test_github_failing_for_a_while_is_one_note_and_one_all_clear(box: Sandbox) -> None:
    start(box, "INC-14")
    push_fix(box, "INC-14")
    box.bot.followup.watch()
    box.github.inject_fault("GET", r"/pulls(/\d+)?$", 502, times=9)  # three cycles' worth, with retries
    for _ in range(8):
        later(box, minutes=1)

    assert said(box, "INC-14", "Can't reach GitHub: GitHub is having trouble (HTTP 502)") == 1, replies(
        box, "INC-14"
    )
    assert said(box, "INC-14", "GitHub is reachable again.") == 1
    assert replies(box, "INC-14")[-1] == "GitHub is reachable again."


def test_dev_s_roll_out_is_read_from_flux_s_commit_statuses(box: Sandbox, github: Github) -> None:
    sha = merged(box, "INC-11", "dev")
    box.bot.followup.watch()
    box.tick_clusters()  # dev's Flux sees the new head: applies it 60 s later
    later(box, seconds=30)
    assert said(box, "INC-11", "dev rolled out") == 0
    later(box, seconds=30)

    assert said(box, "INC-11", f"dev rolled out `{sha[:7]}` in 1m00s.") == 1
    statuses = github.get_repo(JUPYTER).get_commit(sha).get_statuses()
    assert [(s.context, s.state) for s in statuses] == [("kustomization/jupyter/ef260e9a", "success")]
    assert "dev :white_check_mark: rolled out" in thread_root(box, "INC-11")


def test_a_failure_status_from_flux_is_reported_at_once_with_its_reason(box: Sandbox) -> None:
    box.clusters["dev"].fail("jupyter_hub")
    sha = merged(box, "INC-12", "dev")
    box.bot.followup.watch()
    box.tick_clusters()
    later(box, minutes=1)
    later(box, minutes=1)

    [failure] = [r for r in replies(box, "INC-12") if r.startswith(":x:")]
    assert (
        failure == f":x: dev applied `{sha[:7]}` but Flux reports ReconciliationFailed: health check failed"
    )
    assert "dev :x: failed" in thread_root(box, "INC-12")


def test_nothing_is_announced_twice_after_a_restart(box: Sandbox) -> None:
    sha = merged(box, "INC-13")
    box.bot.followup.watch()
    box.restart_bot()  # between the merge and the roll-out
    later(box, minutes=1)
    box.restart_bot()
    for _ in range(3):
        later(box, minutes=1)
    box.bot.followup.remind()
    box.restart_bot()
    box.bot.followup.remind()

    assert said(box, "INC-13", "Merged into") == 1
    assert said(box, "INC-13", f"prod rolled out `{sha[:7]}` in 1m00s.") == 1
    assert said(box, "INC-13", f"stg rolled out `{sha[:7]}` in 2m00s.") == 1
    assert said(box, "INC-13", "Reminder <@U0ALICE>") == 1
    assert len(box.kube["sandbox-prod"].patches) == 2  # one reconcile request (source + Kustomization)
    assert len(team_channel(box)) == 1  # one digest


def test_two_copies_of_the_bot_watching_at_the_same_moment_announce_each_change_once(box: Sandbox) -> None:
    other = build_bot(box.config, box.secrets, clock=clock_of(box).now)  # a second copy, same database
    try:
        start(box, "INC-15")
        push_fix(box, "INC-15")
        for step in range(4):
            together(box.bot.followup.watch, other.followup.watch)
            if step == 0:
                pull = hotfix(box, "INC-15").pull
                assert pull is not None
                sha = box.merge(JUPYTER, pull.number)
            clock_of(box).advance(minutes=1)
            box.tick_clusters()
    finally:
        other.close()

    assert len(open_pulls(box.world.repos_dir, JUPYTER, include_closed=True)) == 1
    for event in (
        "Pull request <",
        f"Merged into `{RELEASE}` as `{sha[:7]}`",
        "prod rolled out",
        "stg rolled out",
    ):
        assert said(box, "INC-15", event) == 1, (event, replies(box, "INC-15"))


# -- 2. Back-merge reminders ------------------------------------------------------------------------


def test_the_reminder_job_finds_hotfixes_made_by_hand_and_posts_a_digest(
    box: Sandbox, github: Github
) -> None:
    next_morning(box)
    box.bot.followup.remind()  # run again the same morning (an operator): nothing more

    [digest] = team_channel(box)
    assert "2 release branch(es) have commits `main` lacks" in digest
    assert (
        f"*{GUACAMOLE}* `{PATCHED}` (pinned by prod)\n1 commit(s) ahead of main, oldest from 2024-10-10"
        in (digest)
    )
    assert (
        f"*{JUPYTER}* `{RELEASE}` (pinned by prod, stg)\n1 commit(s) ahead of main, oldest from 2024-10-"
        in (digest)
    )
    assert digest.count("no back-merge PR yet") == 2
    assert digest.count("[ Snooze 1 day ]") == 2

    # The guacamole branch is snoozed with its button; someone opens the jupyter back-merge by hand.
    clock_of(box).advance(minutes=5)
    snooze = f"branch:{GUACAMOLE}:{PATCHED}"
    clicked = box.conversation.click("reminder_snooze", snooze, box.slack.messages(TEAM[0])[0])
    assert f"Back-merge reminders for {GUACAMOLE}:{PATCHED} are snoozed until" in clicked.text
    pull = github.get_repo(JUPYTER).create_pull(base="main", head=RELEASE, title="Back-merge")
    next_morning(box)
    latest = team_channel(box)[-1]
    assert "1 release branch(es)" in latest
    assert f"`{RELEASE}` (pinned by prod, stg)\n1 commit(s) ahead of main" in latest
    assert f"back-merge PR #{pull.number} ({box.github.base_url}/{JUPYTER}/pull/{pull.number})" in latest
    assert PATCHED not in latest

    # Jupyter's merged back: main has its commits, so it is no longer mentioned; the snooze is over.
    box.merge(JUPYTER, pull.number)
    next_morning(box)
    latest = team_channel(box)[-1]
    assert "1 release branch(es)" in latest
    assert PATCHED in latest
    assert JUPYTER not in latest

    # Both merged back: the reminders stop by themselves.
    guacamole = github.get_repo(GUACAMOLE).create_pull(base="main", head=PATCHED, title="Back")
    box.merge(GUACAMOLE, guacamole.number)
    next_morning(box)
    assert len(team_channel(box)) == 3


def test_a_branch_github_cannot_read_does_not_stop_the_other_reminders(box: Sandbox) -> None:
    box.github.inject_fault("GET", f"^/repos/{GUACAMOLE}/pulls$", 404)  # its pull requests, once
    next_morning(box)

    [digest] = team_channel(box)
    assert "1 release branch(es)" in digest
    assert f"*{JUPYTER}* `{RELEASE}`" in digest


def test_reminders_in_the_thread_stop_once_main_has_the_commits(box: Sandbox) -> None:
    merged(box, "INC-20")
    later(box, minutes=2)
    next_morning(box)
    [reminder] = [r for r in replies(box, "INC-20") if r.startswith("Reminder")]
    assert reminder.startswith(f"Reminder <@U0ALICE>: `{RELEASE}` still has 3 commit(s) `main` lacks")
    assert "`/hotfix promote INC-20` opens one" in reminder
    assert JUPYTER not in team_channel(box)[0]  # the thread is reminded; the digest does not repeat it

    box.ask("/hotfix promote INC-20")
    backmerge = hotfix(box, "INC-20").backmerge
    assert backmerge is not None
    next_morning(box)
    assert said(box, "INC-20", f"Back-merge pull request <{backmerge.url}|#{backmerge.number}> is open.") == 1

    box.merge(JUPYTER, backmerge.number)
    next_morning(box)
    assert said(box, "INC-20", "Reminder") == 2  # none once main has the commits
    later(box, minutes=1)
    assert said(box, "INC-20", "Back-merged into `main`: hot-fix complete.") == 1
    assert hotfix(box, "INC-20").stage is Stage.DONE


def test_snoozing_by_command_and_by_the_button(box: Sandbox) -> None:
    merged(box, "INC-21")
    later(box, minutes=2)
    next_morning(box)
    assert said(box, "INC-21", "Reminder") == 1

    clock_of(box).advance(minutes=5)  # read a little after it was posted
    answer = box.ask("/hotfix snooze INC-21 2d").text
    assert "Back-merge reminders for INC-21 are snoozed until" in answer
    next_morning(box)
    next_morning(box)
    assert said(box, "INC-21", "Reminder") == 1  # two quiet mornings
    next_morning(box)
    assert said(box, "INC-21", "Reminder") == 2

    clock_of(box).advance(minutes=5)
    clicked = box.conversation.click("reminder_snooze", "hotfix:INC-21")
    assert "Back-merge reminders for INC-21 are snoozed until" in clicked.text
    next_morning(box)
    assert said(box, "INC-21", "Reminder") == 2  # one quiet morning
    next_morning(box)
    assert said(box, "INC-21", "Reminder") == 3


def test_the_third_reminder_is_escalated_to_the_team_once(box: Sandbox) -> None:
    merged(box, "INC-22")
    later(box, minutes=2)
    next_morning(box)
    box.bot.followup.remind()  # the same morning again: reminders are once a day
    assert said(box, "INC-22", "Reminder") == 1
    next_morning(box)
    assert not [m for m in box.slack.messages(TEAM[0]) if ":rotating_light:" in m.text]
    next_morning(box)
    next_morning(box)

    assert said(box, "INC-22", "Reminder <@U0ALICE>") == 4
    [escalation] = [m for m in box.slack.messages(TEAM[0]) if ":rotating_light:" in m.text]
    assert escalation.text.startswith(
        ":rotating_light: INC-22's back-merge into `main` is still pending after 3 reminders (<@U0ALICE>)."
    )
    assert f"*{JUPYTER}* `{RELEASE}`" in render_message(escalation.text, escalation.blocks)


# -- 3. The operator's commands -----------------------------------------------------------------------


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
    assert Path(env["KUBECONFIG"]).exists()  # the sandbox's clusters, for the roll-out probes


@pytest.mark.usefixtures("operator_env")
def test_slackbot_jobs_lists_both_jobs_and_runs_one_now(box: Sandbox) -> None:
    result = CliRunner().invoke(app, ["jobs"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("watch      next run 20")
    assert "move hot-fixes along and confirm Flux roll-outs" in lines[0]
    assert lines[1].startswith("reminders  next run 20")
    assert "remind about back-merges main still lacks" in lines[1]

    start(box, "INC-30")
    push_fix(box, "INC-30")
    result = CliRunner().invoke(app, ["jobs", "run", "watch"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "watch: checked 1, announced 1"  # the pull request, opened
    assert hotfix(box, "INC-30").stage is Stage.PR_OPEN
    assert said(box, "INC-30", "Pull request <") == 1

    result = CliRunner().invoke(app, ["jobs", "run", "nothing"])
    assert result.exit_code == 2
    assert "the jobs are `watch` and `reminders`" in result.stderr
