"""The report service wired as in the bot, over fakes: a report gathered from the audit trail, the
ledger and GitHub; asked for from anywhere; posted once in the thread when the hot-fix completes.

The world is the follow-up tests' (prod and stg pin jupyter_hub's ``release/0.2.105``); time is
their manual clock, which the fake database, the ledger and GitHub's answers all read here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from slackbot.adapters.ledger import StateLedger
from slackbot.domain.core_files import ComponentSpec, CorePaths
from slackbot.domain.errors import NotFound, Unavailable, UsageError
from slackbot.domain.events import ReportReady, ThreadEvent
from slackbot.domain.hotfix import Hotfix, PinField, Stage
from slackbot.domain.hotfix_commands import OpenPr, PinRequest, Report, Start
from slackbot.domain.hotfix_report import Note, Status, Step
from slackbot.services.access import Actor, HotfixPolicy
from slackbot.services.hotfix_report import POST_WITHIN
from slackbot.services.outcome import ReportAnswer
from slackbot.services.reminders import ReminderPolicy
from slackbot.services.rollouts import EnvironmentFollowup
from slackbot.services.versions import EnvironmentSpec, VersionService
from slackbot.services.watcher import GIVE_UP_AFTER
from slackbot.services.wiring import Services, wire_services
from tests.unit.fakes import FakeDirectory, FakeHotfixStore, FakeProbe, FakeThreads
from tests.unit.test_followup import ALICE, CORE, JUPYTER, OPERATOR, TEAM, Clock, watched, world

GENERAL = Actor(user_id="U0BOB", channel_id="C0GENERAL", channel_name="general")  # not the incident's
REPORTED = ":clipboard: *INC-1 is complete"


@dataclass
class ClockedStore(FakeHotfixStore):
    """The fake database, stamping hot-fixes with the test's clock (as the bot's database does its own)."""

    clock: Callable[[], datetime] = field(default_factory=Clock)
    _last: datetime | None = None

    def _now(self) -> datetime:
        """The clock's time; a microsecond on when it has not moved (each save is a new version)."""
        now = self.clock()
        self._last = now if self._last is None or now > self._last else self._last + timedelta(microseconds=1)
        return self._last


class Bot:
    """The services over fakes, with a clock everything reads; ``copy()`` is a second bot on the same
    database, GitHub and Slack."""

    def __init__(
        self,
        *environments: EnvironmentFollowup,
        shared: Bot | None = None,
        threads: FakeThreads | None = None,
    ) -> None:
        self.clock = shared.clock if shared else Clock()
        self.forge = shared.forge if shared else world()
        self.forge.clock = self.clock  # GitHub stamps pull requests with the same time
        self.store = shared.store if shared else ClockedStore(clock=self.clock)
        self.threads = shared.threads if shared else threads or FakeThreads()
        self.directory = FakeDirectory(channels={"C0INC123": "inc-123-jupyter"})
        self.environments = shared.environments if shared else {e.name: e for e in environments}
        versions = VersionService(
            self.forge,
            core_repository=CORE,
            environments={name: EnvironmentSpec(name, name) for name in ("prod", "stg", "dev")},
            catalog={"jupyter_hub": ComponentSpec("jupyter_hub", repository=JUPYTER, flux_name="jupyter")},
        )
        self.service: Services = wire_services(
            forge=self.forge,
            store=self.store,
            ledger=StateLedger(self.store, clock=self.clock),
            slack=self.threads,
            directory=self.directory,
            versions=versions,
            policy=HotfixPolicy(core_repository=CORE, allowed_users=("U0ALICE", "alice")),
            reminder_policy=ReminderPolicy(team_channel=TEAM),
            environments=self.environments,
            paths=CorePaths(),
            core_flux_name="flux-system",
            clock=self.clock,
        )

    def copy(self) -> Bot:
        return Bot(shared=self)

    def probe(self, environment: str) -> FakeProbe:
        probe = self.environments[environment].probe
        assert isinstance(probe, FakeProbe)
        return probe

    def hotfix(self, ticket: str = "INC-1") -> Hotfix:
        [found] = self.store.find(ticket, active_only=False)
        return found

    def watch(self) -> None:
        self.service.followup.watch()

    def later(self, **delta: float) -> None:
        self.clock.advance(**delta)
        self.watch()

    def start(self, actor: Actor = ALICE, pin: PinRequest | None = None) -> None:
        self.service.hotfixes.handle(Start("prod", "jupyter_hub", "INC-1", "hub is down", pin), actor)

    def opened(self, actor: Actor = ALICE) -> None:
        """Started, a fix pushed, and the pull request opened (GitHub stamps when)."""
        self.start(actor)
        self.clock.advance(minutes=12)
        self.forge.push(JUPYTER, "hotfix/INC-1", {"values/hub.yaml": "timeout: 90\n"})
        self.watch()  # the bot opens it by itself

    def merged(self, repository: str = JUPYTER) -> str:
        """A reviewer merges the open pull request on GitHub five minutes later; the watcher sees it."""
        self.clock.advance(minutes=5)
        pull = self.hotfix().pull
        assert pull is not None
        sha = self.forge.merge(repository, pull.number, merged_by="carol")
        self.watch()
        return sha

    def backmerged(self) -> None:
        """Promoted twenty minutes later, merged on GitHub by dave forty minutes after that."""
        self.clock.advance(minutes=20)
        self.service.backmerges.promote("INC-1", ALICE)
        backmerge = self.hotfix().backmerge
        assert backmerge is not None
        self.clock.advance(minutes=40)
        self.forge.merge(JUPYTER, backmerge.number, merged_by="dave")

    def reports_posted(self) -> list[str]:
        return [text for text in self.threads.said("INC-1") if text.startswith(REPORTED)]


@dataclass
class ReportsRefused(FakeThreads):
    """Slack refusing the next ``refusals`` reports (and only those)."""

    refusals: int = 0

    def tell(self, hotfix: Hotfix, event: ThreadEvent) -> None:
        if isinstance(event, ReportReady) and self.refusals:
            self.refusals -= 1
            raise Unavailable(
                "Slack refused to reply in the hot-fix thread (ratelimited); try again shortly."
            )
        super().tell(hotfix, event)


@pytest.fixture
def bot() -> Bot:
    return Bot(watched("prod"), watched("stg"))


def rolled_out(bot: Bot, sha: str, *, prod: float = 4.2, stg: float = 5.2) -> None:
    """prod's and stg's Flux apply the merge ``prod`` and ``stg`` minutes after it."""
    bot.probe("prod").shows(sha)
    bot.later(minutes=prod)
    bot.probe("stg").shows(sha)
    bot.later(minutes=stg - prod)


# -- posted once when complete -----------------------------------------------------------------------


def test_the_report_is_posted_once_after_the_back_merge_with_every_step_and_duration(bot: Bot) -> None:
    bot.opened()
    rolled_out(bot, bot.merged())
    bot.backmerged()
    assert bot.reports_posted() == []  # rolled out, but main lacks the fix yet

    bot.watch()
    bot.watch()
    bot.copy().watch()  # a second copy of the bot, on the same database

    [report] = bot.reports_posted()
    assert bot.threads.said("INC-1")[-2] == "Back-merged into `main`: hot-fix complete. :white_check_mark:"
    assert "*Merged* into `release/0.2.105` as" in report
    assert "by carol on GitHub · 09:17 UTC · 5m00s after the pull request" in report
    assert ":white_check_mark: *prod* rolled out · 09:21 UTC · 4m12s after the merge" in report
    assert ":white_check_mark: *stg* rolled out · 09:22 UTC · 5m12s after the merge" in report
    assert (
        "*Back-merge pull request* <https://forge.test/acme/flux-jupyter/pull/2|#2> *opened* by <@U0ALICE>"
        in report
    )
    assert "*Back-merged* into `main` by dave on GitHub · 10:22 UTC · 1h05m after the merge" in report
    assert "merge → last roll-out 5m12s (stg) · merge → back-merge 1h05m · total 1h22m" in report


def test_a_pin_is_reported_once_rolled_out_everywhere_it_goes(bot: Bot) -> None:
    bot.forge.add_branch(
        CORE,
        "prod",
        "a" * 40,
        {"core/helm-config.yaml": "components:\n  jupyter_hub:\n    chart_version: 3.2.1\n"},
    )
    bot.start(pin=PinRequest(PinField.CHART, "3.2.2"))
    pull = bot.hotfix().pull
    assert pull is not None
    bot.clock.advance(minutes=5)
    sha = bot.forge.merge(CORE, pull.number, merged_by="carol")
    bot.watch()
    assert bot.hotfix().stage is Stage.DONE  # a pin is done once merged…
    assert bot.reports_posted() == []  # …and complete once rolled out
    assert bot.hotfix().rollout_environments == ("prod",)  # the environments on its core branch

    bot.probe("prod").shows(sha)
    bot.later(minutes=3)
    bot.later(minutes=1)

    [report] = bot.reports_posted()
    assert ":heavy_minus_sign: *No back-merge needed*: a pin changes an environment branch" in report
    assert "total 8m00s" in report


def test_a_rollout_never_confirmed_is_reported_a_day_after_the_merge_as_unconfirmed(bot: Bot) -> None:
    bot.opened()
    sha = bot.merged()
    bot.probe("prod").shows(sha)
    bot.later(minutes=3)  # stg never applies it
    bot.backmerged()
    bot.watch()
    assert bot.reports_posted() == []  # stg is still being watched

    merged_at = bot.hotfix().merged_at
    assert merged_at is not None
    bot.later(seconds=(merged_at + GIVE_UP_AFTER - bot.clock()).total_seconds() - 60)
    assert bot.reports_posted() == []  # a minute before the watcher gives up on stg
    bot.later(minutes=2)

    [report] = bot.reports_posted()
    assert ":warning: *stg* late since" in report  # past its deadline, as the watcher last saw it
    assert "merge → last roll-out unknown (stg not confirmed)" in report
    assert "total unknown" in report


def test_no_report_is_posted_without_a_thread_or_long_after_completion(bot: Bot) -> None:
    bot.opened(OPERATOR)  # from a terminal: no thread to post in
    rolled_out(bot, bot.merged())
    bot.backmerged()
    bot.watch()
    assert bot.hotfix().stage is Stage.DONE
    assert bot.threads.replies == []
    hotfix_id = bot.hotfix().id
    assert hotfix_id is not None
    assert not bot.service.announcer.ledger.announcement_claimed(hotfix_id, "report")

    late = Bot(watched("prod"), watched("stg"))
    late.opened()
    rolled_out(late, late.merged())
    late.backmerged()
    late.clock.advance(minutes=1)
    late.service.tracker.refresh(late.hotfix())  # done, noticed while no watcher ran…
    late.later(seconds=(POST_WITHIN + timedelta(minutes=1)).total_seconds())  # …for too long
    assert late.reports_posted() == []
    assert late.service.reports.reports("INC-1")[0].complete  # still there when asked for


def test_a_report_slack_refuses_is_posted_by_the_next_watch() -> None:
    bot = Bot(watched("prod"), watched("stg"), threads=ReportsRefused(refusals=1))
    bot.opened()
    rolled_out(bot, bot.merged())
    bot.backmerged()

    bot.watch()
    assert bot.hotfix().stage is Stage.DONE
    assert bot.reports_posted() == []  # Slack refused it: the claim is given back
    bot.watch()

    assert len(bot.reports_posted()) == 1


# -- asked for -----------------------------------------------------------------------------------------


def test_asked_for_from_another_channel_it_answers_at_any_stage_and_changes_nothing(bot: Bot) -> None:
    bot.opened()
    before = (dict(bot.store.state), list(bot.store.audits), bot.hotfix())

    answer = bot.service.hotfixes.handle(Report("inc-1"), GENERAL)

    assert isinstance(answer, ReportAnswer)
    [report] = answer.reports
    assert (report.ticket, report.stage, report.complete) == ("INC-1", Stage.PR_OPEN, False)
    assert [(e.step, e.status) for e in report.timeline][:4] == [
        (Step.STARTED, Status.DONE),
        (Step.BRANCH_CREATED, Status.DONE),
        (Step.PULL_OPENED, Status.DONE),
        (Step.MERGED, Status.PENDING),
    ]
    assert report.durations.start_to_pull_request == timedelta(minutes=12)
    assert report.channel_name == "inc-123-jupyter"
    assert (dict(bot.store.state), list(bot.store.audits), bot.hotfix()) == before


def test_asked_for_while_github_is_down_it_says_what_github_did_not_tell(bot: Bot) -> None:
    bot.opened()
    bot.merged()
    bot.forge.fail("pull", Unavailable("GitHub is having trouble (HTTP 502)."), times=2)

    [report] = bot.service.reports.reports("INC-1")

    merged = next(e for e in report.timeline if e.step is Step.MERGED)
    assert (merged.status, merged.actor, merged.note) == (Status.DONE, None, Note.GITHUB_UNANSWERED)
    assert merged.at == bot.hotfix().merged_at  # from the bot's own record of the merge


def test_an_unknown_ticket_is_one_sentence_with_the_closest_tickets(bot: Bot) -> None:
    bot.opened()

    with pytest.raises(NotFound) as unknown:
        bot.service.hotfixes.handle(Report("INC-11"), GENERAL)
    assert str(unknown.value) == (
        "No hot-fix has the ticket `INC-11`. Did you mean `INC-1`? `/hotfix status` lists the active ones."
    )
    with pytest.raises(NotFound, match=r"^No hot-fix has the ticket `ZZZ-9`\. `/hotfix status`"):
        bot.service.hotfixes.handle(Report("ZZZ-9"), GENERAL)
    with pytest.raises(UsageError):
        bot.service.hotfixes.handle(Report("../etc"), GENERAL)


def test_opening_the_pull_request_by_command_names_who_asked(bot: Bot) -> None:
    bot.start()
    bot.forge.push(JUPYTER, "hotfix/INC-1", {"values/hub.yaml": "timeout: 90\n"})
    bot.service.hotfixes.handle(OpenPr("INC-1"), ALICE)

    [report] = bot.service.reports.reports("INC-1")

    opened = next(e for e in report.timeline if e.step is Step.PULL_OPENED)
    assert (opened.status, opened.actor) == (Status.DONE, "U0ALICE")
