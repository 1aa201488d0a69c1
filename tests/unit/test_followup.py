"""The follow-up services, wired as in the bot, against in-memory fakes: a merged hot-fix followed to
its roll-out in each environment, and chased until ``main`` has it.

Time is a small manual clock the tests move on; each environment's Flux is a :class:`FakeProbe`
the test tells what it shows. The jobs run as the scheduler runs them: ``followup.watch()`` and
``followup.remind()``.

The world: prod and stg pin jupyter_hub's ``release/0.2.105``, which is one hand-made hot-fix
ahead of ``main``; dev pins ``release/0.2.106``, cut from ``main`` and level with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from slackbot.adapters.ledger import StateLedger
from slackbot.domain.core_files import ComponentSpec, CorePaths
from slackbot.domain.errors import NotFound, Unavailable
from slackbot.domain.followup import RolloutState, RolloutTarget
from slackbot.domain.hotfix import Hotfix, Stage
from slackbot.domain.hotfix_commands import Start
from slackbot.domain.snooze import SnoozeSubject
from slackbot.services.access import Actor, HotfixPolicy
from slackbot.services.reminders import ReminderPolicy
from slackbot.services.report import Report
from slackbot.services.rollouts import EnvironmentFollowup
from slackbot.services.versions import EnvironmentSpec, VersionService
from slackbot.services.watcher import GIVE_UP_AFTER
from slackbot.services.wiring import wire_services
from tests.unit.fakes import FakeDirectory, FakeForge, FakeHotfixStore, FakeProbe, FakeThreads

CORE = "acme/core"
JUPYTER = "acme/flux-jupyter"
RELEASE = "release/0.2.105"
NEXT_RELEASE = "release/0.2.106"
RELEASE_HEAD = "e" * 40  # the hand-made hot-fix main lacks
MAIN_HEAD = "f" * 40
TEAM = "C0PLATFORM"
DEADLINE = timedelta(minutes=10)
ALICE = Actor(user_id="U0ALICE", channel_id="C0INC123", channel_name="inc-123-jupyter")
OPERATOR = Actor(user_id="alice", via="cli")  # at a terminal: no channel, so no thread


def flux(**branches: str) -> str:
    lines = ["components:"]
    for name, branch in branches.items():
        lines += [f"  {name}:", "    repository:", f"      branch: {branch}"]
    return "\n".join(lines) + "\n"


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday morning

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def world() -> FakeForge:
    forge = FakeForge()
    forge.add_branch(CORE, "prod", "a" * 40, {"core/flux-config.yaml": flux(jupyter_hub=RELEASE)})
    forge.add_branch(CORE, "stg", "b" * 40, {"core/flux-config.yaml": flux(jupyter_hub=RELEASE)})
    forge.add_branch(CORE, "dev", "c" * 40, {"core/flux-config.yaml": flux(jupyter_hub=NEXT_RELEASE)})
    forge.add_branch(JUPYTER, "main", MAIN_HEAD)
    forge.add_branch(JUPYTER, RELEASE, RELEASE_HEAD)
    forge.history[(JUPYTER, RELEASE)] = [MAIN_HEAD, RELEASE_HEAD]  # cut from main, one hot-fix ahead
    forge.add_branch(JUPYTER, NEXT_RELEASE, MAIN_HEAD)  # cut from main, nothing ahead
    return forge


class Bot:
    """The bot's services over fakes, with a clock the test moves."""

    def __init__(self, *environments: EnvironmentFollowup, escalate_after: int = 3) -> None:
        self.clock = Clock()
        self.forge = world()
        self.store = FakeHotfixStore()
        self.threads = FakeThreads()
        self.ledger = StateLedger(self.store)
        self.environments = {environment.name: environment for environment in environments}
        versions = VersionService(
            self.forge,
            core_repository=CORE,
            environments={name: EnvironmentSpec(name, name) for name in ("prod", "stg", "dev")},
            catalog={"jupyter_hub": ComponentSpec("jupyter_hub", repository=JUPYTER, flux_name="jupyter")},
        )
        self.service = wire_services(
            forge=self.forge,
            store=self.store,
            ledger=self.ledger,
            slack=self.threads,
            directory=FakeDirectory(),
            versions=versions,
            policy=HotfixPolicy(core_repository=CORE, allowed_users=("U0ALICE",)),
            reminder_policy=ReminderPolicy(team_channel=TEAM, escalate_after=escalate_after),
            environments=self.environments,
            paths=CorePaths(),
            core_flux_name="flux-system",
            clock=self.clock,
        )

    def probe(self, environment: str) -> FakeProbe:
        probe = self.environments[environment].probe
        assert isinstance(probe, FakeProbe)
        return probe

    # -- people and GitHub

    def start(self, ticket: str = "INC-1", actor: Actor = ALICE) -> None:
        command = Start(environment="prod", component="jupyter_hub", ticket=ticket, summary="hub is down")
        self.service.starter.start(command, actor)

    def merged(self, ticket: str = "INC-1", actor: Actor = ALICE) -> str:
        """A hot-fix started, fixed, pull-requested and merged, and the watcher seeing it: the merge sha."""
        self.start(ticket, actor)
        self.forge.push(JUPYTER, f"hotfix/{ticket}", {"values/hub.yaml": "timeout: 90\n"})
        self.service.pulls.open_pr(ticket, actor)
        assert self.hotfix(ticket).pull is not None
        sha = self.forge.merge(JUPYTER, self.hotfix(ticket).pull.number)  # type: ignore[union-attr]
        self.watch()
        assert self.hotfix(ticket).stage is Stage.MERGED
        return sha

    def backmerged(self, ticket: str = "INC-1") -> None:
        """Promoted, and the back-merge pull request merged on GitHub."""
        self.service.backmerges.promote(ticket, ALICE)
        backmerge = self.hotfix(ticket).backmerge
        assert backmerge is not None
        self.forge.merge(JUPYTER, backmerge.number)

    def main_gets_the_release_branch_by_hand(self) -> None:
        self.forge.history[(JUPYTER, "main")] = list(self.forge.history[(JUPYTER, RELEASE)])

    # -- the jobs

    def watch(self, times: int = 1) -> Report:
        report = Report()
        for _ in range(times):
            report = self.service.followup.watch()
        return report

    def later(self, **delta: float) -> Report:
        """Time passes and the watcher runs, as the scheduler would."""
        self.clock.advance(**delta)
        return self.watch()

    def next_day(self) -> Report:
        self.clock.advance(days=1)
        return self.service.followup.remind()

    # -- what people see

    def hotfix(self, ticket: str = "INC-1") -> Hotfix:
        [found] = self.store.find(ticket, active_only=False)
        return found

    def state(self, environment: str, ticket: str = "INC-1") -> RolloutState | None:
        return self.service.rollouts.state(self.hotfix(ticket), environment)

    def said(self, fragment: str, ticket: str = "INC-1") -> int:
        """How many replies in the hot-fix's thread contain ``fragment``."""
        return sum(fragment in text for text in self.threads.said(ticket))

    def team_channel(self) -> list[str]:
        return [text for channel, text in self.threads.channel_posts if channel == TEAM]


def watched(name: str, **options: object) -> EnvironmentFollowup:
    """An environment whose Flux is read through a fake probe."""
    return EnvironmentFollowup(name, deadline=DEADLINE, probe=FakeProbe(f"the {name} cluster"), **options)  # type: ignore[arg-type]


@pytest.fixture
def bot() -> Bot:
    return Bot(watched("prod"), watched("stg"))


@pytest.fixture
def make_bot() -> Callable[..., Bot]:
    return Bot


# -- roll-outs -------------------------------------------------------------------------------------


def test_a_merge_applied_and_ready_is_announced_once_per_environment_and_settles(bot: Bot) -> None:
    sha = bot.merged()
    assert bot.state("prod") is RolloutState.WAITING
    assert bot.said("rolled out") == 0

    bot.probe("prod").shows(sha)
    report = bot.later(minutes=4, seconds=12)
    bot.watch()

    assert bot.said(f":white_check_mark: prod rolled out `{sha[:7]}` in 4m12s.") == 1
    assert "rollout:prod" in report.announced
    assert bot.state("prod") is RolloutState.ROLLED_OUT
    assert not bot.service.rollouts.settled(bot.hotfix())  # stg has not applied it yet

    bot.probe("stg").shows(sha)
    bot.later(minutes=1)
    asked = len(bot.probe("prod").observed)
    bot.watch(times=2)

    assert bot.said(f"stg rolled out `{sha[:7]}` in 5m12s.") == 1
    assert bot.said("prod rolled out") == 1
    assert bot.service.rollouts.settled(bot.hotfix())
    assert len(bot.probe("prod").observed) == asked  # a rolled-out environment is not asked again


def test_the_probe_is_asked_about_the_component_s_kustomization_and_the_merge_commit(bot: Bot) -> None:
    sha = bot.merged()

    assert bot.probe("prod").observed[-1] == RolloutTarget(
        environment="prod",
        flux_name="jupyter",
        namespace="flux-system",
        repository=JUPYTER,
        branch=RELEASE,
        merge_sha=sha,
    )


def test_a_merge_applied_but_not_ready_is_a_failure_told_at_once_with_flux_s_words(bot: Bot) -> None:
    sha = bot.merged()
    bot.probe("prod").shows(
        sha, ready=False, reason="HealthCheckFailed", message="Health check failed after 5m0s"
    )

    bot.later(seconds=30)
    bot.later(seconds=30)

    assert (
        bot.said(
            f":x: prod applied `{sha[:7]}` but Flux reports HealthCheckFailed: Health check failed after 5m0s"
        )
        == 1
    )
    assert bot.state("prod") is RolloutState.FAILED
    assert not bot.service.rollouts.settled(bot.hotfix())


def test_a_merge_flux_only_tried_to_apply_is_a_failure_too(bot: Bot) -> None:
    sha = bot.merged()
    bot.probe("prod").shows(
        RELEASE_HEAD, ready=False, reason="BuildFailed", message="kustomize build failed", attempted=sha
    )

    bot.later(minutes=1)

    assert (
        bot.said(f":x: prod tried to apply `{sha[:7]}` but Flux reports BuildFailed: kustomize build failed")
        == 1
    )


def test_a_merge_not_applied_by_the_deadline_is_one_warning_naming_the_deadline(bot: Bot) -> None:
    sha = bot.merged()
    bot.probe("prod").shows(RELEASE_HEAD)  # still the commit before the merge

    bot.later(minutes=9)
    assert bot.said(":warning:") == 0  # within the deadline: waiting quietly
    bot.later(minutes=2)
    bot.later(minutes=5)

    assert (
        bot.said(
            f":warning: prod has not applied `{sha[:7]}` 11m00s after the merge (deadline 10m00s). "
            "Flux says: ReconciliationSucceeded."
        )
        == 1
    )
    assert bot.said("stg has not applied") == 1
    assert bot.state("prod") is RolloutState.LATE


def test_an_environment_without_a_probe_is_unknown_silent_and_settled(make_bot: Callable[..., Bot]) -> None:
    bot = make_bot(EnvironmentFollowup("prod"), watched("stg"))  # nobody can read prod's Flux
    sha = bot.merged()

    assert bot.state("prod") is RolloutState.UNKNOWN
    before = bot.threads.said("INC-1")
    assert len(before) == 3  # branch, pull request, merge: nothing about prod's roll-out
    bot.probe("stg").shows(sha)
    bot.later(minutes=3)
    bot.later(minutes=30)  # long past the deadline

    assert bot.threads.said("INC-1") == [*before, f":white_check_mark: stg rolled out `{sha[:7]}` in 3m00s."]
    assert bot.service.rollouts.settled(bot.hotfix())


def test_an_environment_missing_from_the_followed_ones_counts_as_settled(
    make_bot: Callable[..., Bot],
) -> None:
    bot = make_bot()  # no environment is watched at all
    bot.merged()

    assert (bot.state("prod"), bot.state("stg")) == (RolloutState.UNKNOWN, RolloutState.UNKNOWN)
    assert bot.service.rollouts.settled(bot.hotfix())
    before = bot.threads.said("INC-1")
    assert len(before) == 3  # branch, pull request, merge
    bot.later(hours=1)
    assert bot.threads.said("INC-1") == before  # nothing to say, not even "late"


def test_an_unreachable_cluster_is_one_note_and_one_all_clear(bot: Bot) -> None:
    sha = bot.merged()
    bot.probe("prod").fail(
        "observe", Unavailable("can't reach the prod cluster: connection refused."), times=3
    )

    for _ in range(3):
        bot.later(minutes=1)
    assert bot.said(":warning: Can't reach the prod cluster: connection refused.") == 1
    assert bot.said("reachable again") == 0

    bot.probe("prod").shows(sha)
    bot.later(minutes=1)
    bot.later(minutes=1)

    assert bot.said("The prod cluster is reachable again.") == 1
    assert bot.said("Can't reach") == 1
    assert bot.said("prod rolled out") == 1


def test_flux_objects_missing_from_the_cluster_are_one_warning(bot: Bot) -> None:
    bot.merged()
    missing = "The prod cluster has no Kustomization `flux-system/jupyter`; is the component deployed there?"
    bot.probe("prod").fail("observe", NotFound(missing), times=3)

    for _ in range(3):
        bot.later(minutes=1)

    assert bot.said(f":warning: {missing}") == 1
    assert bot.said("Can't reach") == 0


def test_reconcile_is_asked_once_per_hotfix_and_environment(make_bot: Callable[..., Bot]) -> None:
    bot = make_bot(watched("prod", reconcile=True), watched("stg"))
    sha = bot.merged()

    for _ in range(3):
        bot.later(minutes=1)

    [(target, at)] = bot.probe("prod").reconcile_requests
    assert (target.environment, target.merge_sha) == ("prod", sha)
    assert at == bot.hotfix().merged_at  # asked on the watch that saw the merge
    assert bot.probe("stg").reconcile_requests == []

    bot.merged("INC-2")  # another hot-fix: asked again, for that one
    bot.watch()
    assert [t.merge_sha for t, _ in bot.probe("prod").reconcile_requests][-1] == bot.hotfix("INC-2").merge_sha
    assert len(bot.probe("prod").reconcile_requests) == 2


def test_a_reconcile_request_the_cluster_could_not_take_is_asked_again_once(
    make_bot: Callable[..., Bot],
) -> None:
    bot = make_bot(watched("prod", reconcile=True), watched("stg"))
    bot.probe("prod").fail("request_reconcile", Unavailable("the prod cluster did not answer (timed out)."))

    bot.merged()  # the request fails: the cluster is unreachable, and told so
    assert bot.said(":warning: Can't reach the prod cluster") == 1
    for _ in range(3):
        bot.later(minutes=1)

    assert len(bot.probe("prod").reconcile_requests) == 2  # the failed one, and one that worked
    assert bot.said("The prod cluster is reachable again.") == 1


def test_a_later_commit_of_the_branch_containing_the_merge_counts_as_applied(bot: Bot) -> None:
    sha = bot.merged()
    later = bot.forge.push(JUPYTER, RELEASE, {"values/hub.yaml": "timeout: 120\n"})  # someone else's fix
    assert bot.forge.compare(JUPYTER, sha, later).behind_by == 0

    bot.probe("prod").shows(later)
    bot.later(minutes=2)

    assert bot.said(f"prod rolled out `{sha[:7]}` in 2m00s.") == 1
    assert bot.state("prod") is RolloutState.ROLLED_OUT


def test_a_done_hotfix_is_watched_until_its_roll_out_is_confirmed(bot: Bot) -> None:
    sha = bot.merged()
    bot.backmerged()
    bot.watch()
    assert bot.hotfix().stage is Stage.DONE

    bot.probe("prod").shows(sha)
    bot.probe("stg").shows(sha)
    bot.later(minutes=3)
    assert bot.said("prod rolled out") == bot.said("stg rolled out") == 1

    asked = len(bot.probe("prod").observed) + len(bot.probe("stg").observed)
    bot.later(minutes=1)
    assert len(bot.probe("prod").observed) + len(bot.probe("stg").observed) == asked  # settled


def test_a_done_hotfix_nobody_can_confirm_is_given_up_a_day_after_the_merge(bot: Bot) -> None:
    bot.merged()
    bot.backmerged()
    bot.watch()
    assert bot.hotfix().stage is Stage.DONE

    bot.later(hours=23)
    asked = len(bot.probe("prod").observed)
    bot.later(minutes=30)
    assert len(bot.probe("prod").observed) == asked + 1  # still watched, 23h30m after the merge

    bot.later(hours=1)
    assert bot.clock() - bot.hotfix().merged_at > GIVE_UP_AFTER  # type: ignore[operator]
    bot.later(hours=1)
    assert len(bot.probe("prod").observed) == asked + 1
    assert bot.state("prod") is RolloutState.LATE


# -- back-merge reminders ---------------------------------------------------------------------------


def test_a_merged_hotfix_is_reminded_in_its_thread_once_a_day(bot: Bot) -> None:
    bot.merged()

    bot.service.followup.remind()
    bot.service.followup.remind()  # a manual run the same morning
    assert bot.said("Reminder <@U0ALICE>: `release/0.2.105` still has") == 1
    assert bot.said("`/hotfix promote INC-1` opens one") == 1
    assert bot.team_channel() == []  # followed in its thread: not in the digest

    bot.next_day()
    assert bot.said("Reminder <@U0ALICE>") == 2


def test_a_back_merge_still_pending_after_a_few_reminders_is_escalated_once(
    make_bot: Callable[..., Bot],
) -> None:
    bot = make_bot(watched("prod"), watched("stg"), escalate_after=2)
    bot.merged()

    bot.service.followup.remind()
    assert bot.team_channel() == []
    bot.next_day()
    bot.service.followup.remind()
    bot.next_day()

    assert bot.team_channel() == [
        ":rotating_light: INC-1's back-merge into `main` is still pending after 2 reminders (<@U0ALICE>). "
        "acme/flux-jupyter release/0.2.105: 3 ahead"
    ]
    assert bot.said("Reminder") == 3


def test_a_snoozed_hotfix_is_not_reminded_until_the_snooze_passes(bot: Bot) -> None:
    bot.merged()
    bot.service.snoozes.snooze(SnoozeSubject.of_hotfix("INC-1"), timedelta(hours=36), ALICE)

    bot.service.followup.remind()
    bot.next_day()
    assert bot.said("Reminder") == 0

    bot.next_day()
    assert bot.said("Reminder") == 1


def test_branches_nobody_follows_go_into_one_daily_digest_in_the_team_channel(bot: Bot) -> None:
    [pending] = bot.service.reminders.pending_backmerges()
    assert (pending.repository, pending.branch, pending.ahead_by) == (JUPYTER, RELEASE, 1)
    assert pending.environments == ("prod", "stg")
    assert pending.hotfix is None

    bot.service.followup.remind()
    bot.service.followup.remind()
    assert bot.team_channel() == [
        "1 release branch(es) have commits `main` lacks — back-merges to do: "
        "acme/flux-jupyter release/0.2.105: 1 ahead"
    ]

    bot.next_day()
    assert len(bot.team_channel()) == 2


def test_a_followed_hotfix_without_a_thread_is_listed_in_the_digest(bot: Bot) -> None:
    bot.merged(actor=OPERATOR)
    assert bot.hotfix().thread_ts is None

    bot.service.followup.remind()

    [pending] = bot.service.reminders.pending_backmerges()
    assert pending.hotfix is not None
    assert pending.hotfix.ticket == "INC-1"
    [digest] = bot.team_channel()
    assert digest.startswith("1 release branch(es) have commits `main` lacks")
    assert "acme/flux-jupyter release/0.2.105" in digest
    assert bot.threads.said("INC-1") == []


def test_a_merged_hotfix_main_got_by_hand_is_completed_not_reminded(bot: Bot) -> None:
    bot.merged()
    bot.main_gets_the_release_branch_by_hand()

    bot.service.followup.remind()
    bot.next_day()

    assert bot.hotfix().stage is Stage.DONE
    assert bot.said("`main` now has everything in `release/0.2.105`: hot-fix complete.") == 1
    assert bot.said("Reminder") == 0
    assert bot.team_channel() == []
