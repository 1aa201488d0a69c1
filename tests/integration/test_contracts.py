"""The fakes the unit tests use and the real adapters obey the same contracts.

Each check is written once, against a port, and runs against both: the in-memory fake of
``tests/unit/fakes.py`` and the production adapter over the real thing (SQLite, the Slack emulator,
the GitHub emulator). A check failing for the fake only means the unit tests believe something
untrue about the world.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import pytest
from slack_sdk import WebClient

from slackbot.adapters.github import GitHubForge, web_base_from_api
from slackbot.adapters.ledger import KeyValues, StateLedger
from slackbot.adapters.slack_web import SlackThreads
from slackbot.adapters.store import Store
from slackbot.domain.errors import NotFound
from slackbot.domain.events import BackmergeReminder, BranchCut, Digest
from slackbot.domain.followup import PendingBackmerge, RolloutState
from slackbot.domain.forge import BranchNameBlocked, NothingToMerge
from slackbot.domain.hotfix import DuplicateHotfix, Hotfix, Kind, Stage, StaleHotfix
from slackbot.domain.snooze import SnoozeSubject
from slackbot.domain.views import ThreadView
from slackbot.render.words import channel_post_text, reminder_text, sentence
from slackbot.sandbox.github_emulator import GitHubEmulator
from slackbot.sandbox.slack_emulator import SlackEmulator
from slackbot.services.access import HotfixPolicy
from slackbot.services.announcer import Announcer
from slackbot.services.ports import Forge, HotfixStore, Ledger, ReminderPoster, Threads
from tests.unit.fakes import FakeForge, FakeHotfixStore, FakeSource, FakeThreads

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
JUPYTER = "lsc-sde/iac-flux-jupyter"
RELEASE = "release/0.2.105"
INCIDENT = "C0INC123"
TEAM = "C0PLATFORM"


def a_hotfix(ticket: str = "INC-1", repository: str = JUPYTER, **changes: object) -> Hotfix:
    hotfix = Hotfix(
        ticket=ticket,
        kind=Kind.COMPONENT,
        environment="prod",
        component="jupyter_hub",
        repository=repository,
        base_branch=RELEASE,
        branch=f"hotfix/{ticket}",
        started_by="U0ALICE",
        channel_id=INCIDENT,
        summary="hub is down",
        base_sha="e" * 40,
        stage=Stage.BRANCHED,
        rollout_environments=("prod", "stg"),
    )
    return replace(hotfix, **changes)  # type: ignore[arg-type]


# == HotfixStore and the key-value table ==========================================================


class StoreWithState(HotfixStore, KeyValues, Protocol):
    """The database: hot-fixes, and the key-value table the ledger keeps its facts in."""


def fake_store(tmp_path: Path) -> Iterator[StoreWithState]:
    yield FakeHotfixStore()


def sqlite_store(tmp_path: Path) -> Iterator[StoreWithState]:
    store = Store(f"sqlite:///{tmp_path / 'state' / 'slackbot.db'}")
    store.migrate()
    yield store
    store.close()


@pytest.fixture(params=[fake_store, sqlite_store], ids=["fake", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreWithState]:
    yield from request.param(tmp_path)


def test_adding_a_hotfix_gives_it_an_id_and_its_times(store: StoreWithState) -> None:
    added = store.add(a_hotfix())

    assert added.id is not None
    assert added.created_at is not None
    assert added.updated_at is not None
    assert store.get(added.id) == added
    assert replace(added, id=None, created_at=None, updated_at=None) == a_hotfix()
    assert store.get(added.id + 1000) is None


def test_an_active_hotfix_blocks_another_with_its_ticket_and_repository(store: StoreWithState) -> None:
    first = store.add(a_hotfix("INC-1"))

    with pytest.raises(DuplicateHotfix) as duplicate:
        store.add(a_hotfix("inc-1"))  # tickets compare without case
    assert duplicate.value.existing == first

    elsewhere = store.add(a_hotfix("INC-1", repository="lsc-sde/iac-flux-nginx"))
    assert elsewhere.id != first.id


def test_a_cancelled_hotfix_makes_way_for_a_new_one(store: StoreWithState) -> None:
    first = store.add(a_hotfix())
    cancelled = store.save(first.cancelled())

    second = store.add(a_hotfix())

    assert second.id != first.id
    assert store.find("inc-1") == [second]
    assert store.find("INC-1", active_only=False) == [cancelled, second]  # oldest first
    assert store.active() == [second]
    stored = store.get(first.id or 0)
    assert stored is not None
    assert stored.stage is Stage.CANCELLED


def test_all_lists_the_most_recent_hotfixes_of_any_stage_newest_first(store: StoreWithState) -> None:
    one = store.add(a_hotfix("INC-1"))
    two = store.save(store.add(a_hotfix("INC-2")).completed())
    three = store.add(a_hotfix("INC-3"))

    assert store.all() == [three, two, one]
    assert store.all(limit=2) == [three, two]
    assert store.active() == [one, three]


def test_saving_a_stale_copy_is_refused_and_a_fresh_one_moves_the_version_on(store: StoreWithState) -> None:
    read = store.add(a_hotfix())

    saved = store.save(replace(read, stage=Stage.PR_OPEN))
    assert saved.updated_at is not None
    assert read.updated_at is not None
    assert saved.updated_at > read.updated_at
    assert saved.created_at == read.created_at
    assert store.get(read.id or 0) == saved

    with pytest.raises(StaleHotfix):
        store.save(replace(read, summary="someone else's idea"))  # read before the save above
    assert store.get(read.id or 0) == saved

    again = store.save(replace(saved, summary="spawner times out"))
    assert again.summary == "spawner times out"


def test_put_state_if_is_compare_and_set(store: StoreWithState) -> None:
    assert store.get_state("claim") is None
    assert not store.put_state_if("claim", "mine", expected="someone")  # absent is not "someone"
    assert store.get_state("claim") is None

    assert store.put_state_if("claim", "mine", expected=None)  # None: only if absent
    assert not store.put_state_if("claim", "theirs", expected=None)
    assert not store.put_state_if("claim", "theirs", expected="not mine")
    assert store.get_state("claim") == "mine"

    assert store.put_state_if("claim", "", expected="mine")  # an empty value is a value, not absence
    assert store.get_state("claim") == ""
    assert not store.put_state_if("claim", "theirs", expected=None)
    assert store.put_state_if("claim", "theirs", expected="")
    assert store.get_state("claim") == "theirs"


def test_put_state_writes_whatever_was_there(store: StoreWithState) -> None:
    store.put_state("count", "1")
    store.put_state("count", "2")

    assert store.get_state("count") == "2"
    assert store.get_state("other") is None


# == Ledger ===========================================================================================


@pytest.fixture
def ledger(store: StoreWithState) -> Ledger:
    return StateLedger(store)


def test_an_announcement_is_claimed_once_until_its_claim_is_released(ledger: Ledger) -> None:
    claim = ledger.claim_announcement(1, "merged", NOW)
    assert claim is not None
    assert ledger.claim_announcement(1, "merged", NOW + timedelta(hours=1)) is None  # never lapses
    assert ledger.claim_announcement(2, "merged", NOW) is not None  # another hot-fix
    assert ledger.claim_announcement(1, "pr:1", NOW) is not None  # another piece of news

    ledger.release_announcement(1, "merged", "not the claim")
    assert ledger.claim_announcement(1, "merged", NOW) is None
    ledger.release_announcement(1, "merged", claim)  # the post failed
    assert ledger.claim_announcement(1, "merged", NOW + timedelta(seconds=1)) is not None


def test_a_thread_claim_lapses_after_a_while_and_at_once_when_released(ledger: Ledger) -> None:
    lapse = timedelta(seconds=60)
    claim = ledger.claim_thread(1, NOW, lapse_after=lapse)
    assert claim is not None
    assert ledger.claim_thread(1, NOW + timedelta(seconds=59), lapse_after=lapse) is None

    taken_over = ledger.claim_thread(1, NOW + timedelta(seconds=61), lapse_after=lapse)  # left by a crash
    assert taken_over is not None
    assert ledger.claim_thread(1, NOW + timedelta(seconds=62), lapse_after=lapse) is None

    ledger.release_thread(1, taken_over)
    assert ledger.claim_thread(1, NOW + timedelta(seconds=63), lapse_after=lapse) is not None


def test_a_reconcile_is_claimed_once_per_hotfix_and_environment(ledger: Ledger) -> None:
    claim = ledger.claim_reconcile(1, "prod", NOW)
    assert claim is not None
    assert ledger.claim_reconcile(1, "prod", NOW) is None
    assert ledger.claim_reconcile(1, "stg", NOW) is not None

    ledger.release_reconcile(1, "prod", claim)  # the cluster could not take the request
    assert ledger.claim_reconcile(1, "prod", NOW) is not None


def test_recording_a_rollout_says_whether_it_changed(ledger: Ledger) -> None:
    assert ledger.rollout(1, "prod") is None

    assert ledger.record_rollout(1, "prod", RolloutState.WAITING)
    assert not ledger.record_rollout(1, "prod", RolloutState.WAITING)
    assert ledger.record_rollout(1, "prod", RolloutState.ROLLED_OUT)

    assert ledger.rollout(1, "prod") is RolloutState.ROLLED_OUT
    assert ledger.rollout(1, "stg") is None


def test_an_outage_is_marked_once_and_its_end_once(ledger: Ledger) -> None:
    assert not ledger.mark_reachable(1, "GitHub")  # never down: nothing to say

    assert ledger.mark_unreachable(1, "GitHub", NOW)
    assert not ledger.mark_unreachable(1, "GitHub", NOW + timedelta(minutes=1))
    assert ledger.mark_unreachable(2, "GitHub", NOW)  # told per hot-fix
    assert ledger.mark_unreachable(1, "the prod cluster", NOW)  # and per system

    assert ledger.mark_reachable(1, "GitHub")
    assert not ledger.mark_reachable(1, "GitHub")
    assert ledger.mark_unreachable(1, "GitHub", NOW + timedelta(hours=1))  # down again: told again


def test_a_snooze_is_remembered_per_subject(ledger: Ledger) -> None:
    hotfix, branch = SnoozeSubject.of_hotfix("INC-1"), SnoozeSubject.of_branch(JUPYTER, RELEASE)
    assert ledger.snoozed_until(hotfix) is None

    ledger.snooze_until(hotfix, NOW + timedelta(days=2))
    ledger.snooze_until(branch, NOW + timedelta(days=1))
    ledger.snooze_until(branch, NOW + timedelta(days=3))  # snoozed again: the later one holds

    assert ledger.snoozed_until(hotfix) == NOW + timedelta(days=2)
    assert ledger.snoozed_until(branch) == NOW + timedelta(days=3)


def test_reminders_are_claimed_once_a_day_and_counted(ledger: Ledger) -> None:
    today, tomorrow = NOW.date(), (NOW + timedelta(days=1)).date()
    assert ledger.claim_daily_reminder(1, today)
    assert not ledger.claim_daily_reminder(1, today)
    assert ledger.claim_daily_reminder(1, tomorrow)
    assert [ledger.count_reminder(1), ledger.count_reminder(1), ledger.count_reminder(2)] == [1, 2, 1]

    assert ledger.claim_escalation(1, today)
    assert not ledger.claim_escalation(1, tomorrow)  # escalated once, ever

    assert ledger.claim_digest(today)
    assert not ledger.claim_digest(today)
    assert ledger.claim_digest(tomorrow)


def test_a_closed_pull_request_is_remembered(ledger: Ledger) -> None:
    assert ledger.closed_pull(1) is None
    ledger.note_closed_pull(1, 12)
    assert ledger.closed_pull(1) == 12
    assert ledger.closed_pull(2) is None


# == Threads and ReminderPoster ========================================================================


class Slack(Threads, ReminderPoster, Protocol):
    """Where the services post."""


@dataclass
class SlackSide:
    """A Slack the services post to, and how a person would see what was posted."""

    slack: Slack
    parents: Callable[[str], int]  # how many messages a channel shows at its top level
    thread: Callable[[Hotfix], list[str]]  # the replies in a hot-fix's thread, oldest first
    channel: Callable[[str], list[str]]  # the texts a channel shows at its top level


def fake_slack() -> Iterator[SlackSide]:
    threads = FakeThreads()
    yield SlackSide(
        threads,
        parents=lambda channel: (  # every thread here is in INCIDENT
            len(threads.posted) * (channel == INCIDENT)
            + len([c for c, _ in threads.channel_posts if c == channel])
        ),
        thread=lambda hotfix: threads.said(hotfix.ticket),
        channel=lambda channel: [text for c, text in threads.channel_posts if c == channel],
    )


def emulated_slack() -> Iterator[SlackSide]:
    with SlackEmulator() as emulator:
        emulator.add_channel(INCIDENT, "inc-123-jupyter")
        emulator.add_channel(TEAM, "platform-team")
        yield SlackSide(
            SlackThreads(WebClient(base_url=emulator.api_url, token=emulator.bot_token)),
            parents=lambda channel: len(emulator.messages(channel)),
            thread=lambda hotfix: [
                m.text for m in emulator.thread(hotfix.channel_id, hotfix.thread_ts or "")
            ],
            channel=lambda channel: [m.text for m in emulator.messages(channel)],
        )


@pytest.fixture(params=[fake_slack, emulated_slack], ids=["fake", "slack-emulator"])
def slack(request: pytest.FixtureRequest) -> Iterator[SlackSide]:
    yield from request.param()


def view_of(hotfix: Hotfix, slack: Slack) -> ThreadView:
    """What the thread's parent message shows, drawn by the announcer as in the bot."""
    store = FakeHotfixStore()
    return Announcer(
        threads=slack,
        ledger=StateLedger(store),
        store=store,
        forge=FakeSource(),
        policy=HotfixPolicy(core_repository="lsc-sde/iac-flux-lscsde"),
        clock=lambda: NOW,
    ).view(hotfix)


def opened(slack: Slack, hotfix: Hotfix) -> Hotfix:
    ts = slack.open_thread(view_of(hotfix, slack))
    return replace(hotfix, thread_ts=ts)


def test_a_thread_is_posted_once_and_found_again(slack: SlackSide) -> None:
    hotfix = a_hotfix(id=7)

    first = slack.slack.open_thread(view_of(hotfix, slack.slack))
    again = slack.slack.open_thread(view_of(hotfix, slack.slack))  # after a crash
    other = slack.slack.open_thread(view_of(a_hotfix("INC-8", id=8), slack.slack))

    assert first
    assert again == first
    assert other != first
    assert slack.parents(INCIDENT) == 2


def test_news_is_told_in_the_hotfix_s_thread(slack: SlackSide) -> None:
    hotfix = opened(slack.slack, a_hotfix(id=7))
    news = BranchCut(hotfix, adopted=False)

    slack.slack.tell(hotfix, news)

    assert slack.thread(hotfix) == [sentence(news)]
    assert slack.parents(INCIDENT) == 1  # a reply, not a new message


def test_without_a_thread_nothing_is_told_and_there_is_no_link(slack: SlackSide) -> None:
    hotfix = a_hotfix(id=7)
    assert hotfix.thread_ts is None

    slack.slack.tell(hotfix, BranchCut(hotfix, adopted=False))

    assert slack.slack.link(hotfix) is None
    assert slack.thread(hotfix) == []
    assert slack.parents(INCIDENT) == 0


def test_a_thread_has_a_link(slack: SlackSide) -> None:
    hotfix = opened(slack.slack, a_hotfix(id=7))

    link = slack.slack.link(hotfix)

    assert link is not None
    assert link.startswith("https://")


def test_a_reminder_goes_in_the_thread_and_a_digest_to_the_channel(slack: SlackSide) -> None:
    hotfix = opened(slack.slack, a_hotfix(id=7, stage=Stage.MERGED))
    item = PendingBackmerge(JUPYTER, RELEASE, ahead_by=2, oldest_commit_at=NOW, hotfix=hotfix)
    reminder = BackmergeReminder(item, hotfix, "main")
    digest = Digest((replace(item, hotfix=None, environments=("prod", "stg")),), "main")

    slack.slack.remind_in_thread(reminder)
    slack.slack.post_to_channel(TEAM, digest)

    assert slack.thread(hotfix) == [reminder_text(reminder)]
    [posted] = slack.channel(TEAM)
    assert posted.startswith(channel_post_text(digest))
    assert f"{JUPYTER} {RELEASE}: 2 ahead" in posted  # each branch is named, even in the plain text


# == Forge ==========================================================================================


@dataclass
class ForgeSide:
    """A forge holding ``repository`` with ``main`` and ``base`` (a release branch), and a file on ``base``."""

    forge: Forge
    repository: str
    base: str
    path: str


HUB_VALUES = "values/hub.yaml"


def fake_forge(request: pytest.FixtureRequest) -> Iterator[ForgeSide]:
    forge = FakeForge()
    forge.add_branch(JUPYTER, "main", "f" * 40, {"values/culler.yaml": "culler: {}\n"})
    forge.add_branch(JUPYTER, RELEASE, "e" * 40, {HUB_VALUES: "hub: {}\n"})
    forge.history[(JUPYTER, RELEASE)] = ["f" * 40, "e" * 40]
    yield ForgeSide(forge, JUPYTER, RELEASE, HUB_VALUES)


def emulated_forge(request: pytest.FixtureRequest) -> Iterator[ForgeSide]:
    emulator: GitHubEmulator = request.getfixturevalue("github_emulator")
    factory = request.getfixturevalue("github_factory")
    # A client per thread, as the bot's, without its spacing of writes.
    forge = GitHubForge(lambda: factory(lazy=True), web_base=web_base_from_api(emulator.base_url))
    yield ForgeSide(forge, JUPYTER, RELEASE, HUB_VALUES)
    forge.close()


@pytest.fixture(params=[fake_forge, emulated_forge], ids=["fake", "github-emulator"])
def github(request: pytest.FixtureRequest) -> Iterator[ForgeSide]:
    yield from request.param(request)


def branched(side: ForgeSide, branch: str = "hotfix/INC-1") -> str:
    """A hot-fix branch cut from the base's head; the head's sha."""
    head = side.forge.branch_head(side.repository, side.base).sha
    assert side.forge.create_branch(side.repository, branch, head)
    return head


def fixed(side: ForgeSide, branch: str = "hotfix/INC-1") -> str:
    """One commit on the hot-fix branch; its sha."""
    current = side.forge.read_file(side.repository, side.path, branch)
    assert current is not None
    return side.forge.commit_file(
        side.repository, branch, side.path, "hub: {timeout: 90}\n", message="Fix INC-1", replaces=current.sha
    )


def test_a_branch_is_created_once(github: ForgeSide) -> None:
    head = branched(github)

    assert not github.forge.create_branch(github.repository, "hotfix/INC-1", head)
    assert github.forge.branch_head(github.repository, "hotfix/INC-1").sha == head


@pytest.mark.parametrize(
    ("existing", "wanted"), [("hotfix", "hotfix/INC-1"), ("hotfix/INC-1/old", "hotfix/INC-1")]
)
def test_a_branch_name_git_refuses_names_the_branch_in_the_way(
    github: ForgeSide, existing: str, wanted: str
) -> None:
    head = branched(github, existing)

    with pytest.raises(BranchNameBlocked) as blocked:
        github.forge.create_branch(github.repository, wanted, head)

    assert (blocked.value.branch, blocked.value.blocking) == (wanted, existing)
    with pytest.raises(NotFound):
        github.forge.branch_head(github.repository, wanted)


def test_a_pull_request_needs_commits_its_base_lacks(github: ForgeSide) -> None:
    branched(github)

    with pytest.raises(NothingToMerge):
        github.forge.open_pull(github.repository, "hotfix/INC-1", github.base, "INC-1", "")
    assert github.forge.find_pull(github.repository, "hotfix/INC-1", github.base) is None


def test_a_commit_moves_the_branch_and_changes_the_file(github: ForgeSide) -> None:
    branched(github)

    sha = fixed(github)

    assert github.forge.branch_head(github.repository, "hotfix/INC-1").sha == sha
    changed = github.forge.read_file(github.repository, github.path, "hotfix/INC-1")
    assert changed is not None
    assert changed.text == "hub: {timeout: 90}\n"
    unchanged = github.forge.read_file(github.repository, github.path, github.base)
    assert unchanged is not None
    assert unchanged.text != changed.text


def test_a_commit_to_a_missing_branch_is_not_found(github: ForgeSide) -> None:
    current = github.forge.read_file(github.repository, github.path, github.base)
    assert current is not None

    with pytest.raises(NotFound, match="has no branch `hotfix/INC-404`"):
        github.forge.commit_file(
            github.repository, "hotfix/INC-404", github.path, "x: 1\n", message="m", replaces=current.sha
        )


def test_a_pull_request_is_opened_once_for_a_head_and_base(github: ForgeSide) -> None:
    branched(github)
    fixed(github)

    pull = github.forge.open_pull(github.repository, "hotfix/INC-1", github.base, "INC-1: fix", "body")
    again = github.forge.open_pull(github.repository, "hotfix/INC-1", github.base, "INC-1: fix", "body")

    assert (pull.state, pull.merged, pull.head, pull.base) == ("open", False, "hotfix/INC-1", github.base)
    assert pull.url.endswith(f"/pull/{pull.number}")
    assert again.number == pull.number
    found = github.forge.find_pull(github.repository, "hotfix/INC-1", github.base)
    assert found is not None
    assert found.number == pull.number
    assert github.forge.pull(github.repository, pull.number).number == pull.number


def test_compare_counts_the_commits_each_side_lacks(github: ForgeSide) -> None:
    branched(github)
    assert github.forge.compare(github.repository, github.base, "hotfix/INC-1").status == "identical"

    fixed(github)

    ahead = github.forge.compare(github.repository, github.base, "hotfix/INC-1")
    behind = github.forge.compare(github.repository, "hotfix/INC-1", github.base)
    assert (ahead.status, ahead.ahead_by, ahead.behind_by) == ("ahead", 1, 0)
    assert (behind.status, behind.ahead_by, behind.behind_by) == ("behind", 0, 1)
    assert github.forge.compare(github.repository, "main", github.base).ahead_by >= 1  # never back-merged


def test_a_missing_file_reads_as_none_and_a_missing_branch_is_not_found(github: ForgeSide) -> None:
    assert github.forge.read_file(github.repository, "values/nothing-here.yaml", github.base) is None

    with pytest.raises(NotFound):
        github.forge.branch_head(github.repository, "release/9.9.9")
