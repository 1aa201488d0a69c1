"""The hot-fix services, wired as in the bot, against in-memory fakes of their ports: the lifecycle,
its rules, and what they do when someone else (a click, another copy of the bot, GitHub or Slack
failing) gets in the way."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from slackbot.adapters.ledger import StateLedger
from slackbot.domain.core_files import ComponentSpec, CorePaths
from slackbot.domain.errors import Conflict, NotFound, NotPermitted, Unavailable, UsageError
from slackbot.domain.events import Merged, PullOpened
from slackbot.domain.hotfix import Kind, PinField, Stage
from slackbot.domain.hotfix_commands import (
    Cancel,
    HotfixCommand,
    OpenPr,
    PinRequest,
    Promote,
    Snooze,
    SnoozeReminders,
    Start,
    Status,
)
from slackbot.domain.snooze import SnoozeSubject
from slackbot.render.hotfix_blocks import answer_message
from slackbot.services import announcer as announcer_module
from slackbot.services.access import Actor, HotfixPolicy
from slackbot.services.outcome import Answer
from slackbot.services.reminders import ReminderPolicy
from slackbot.services.versions import EnvironmentSpec, VersionService
from slackbot.services.wiring import wire_services
from tests.unit.fakes import FakeDirectory, FakeForge, FakeHotfixStore, FakeThreads

CORE = "acme/core"
JUPYTER = "acme/flux-jupyter"
RELEASE = "release/0.2.105"
RELEASE_HEAD = "e" * 40
MAIN_HEAD = "f" * 40
ALICE = Actor(user_id="U0ALICE", channel_id="C0INC123", channel_name="inc-123-jupyter")
CAROL = Actor(user_id="U0CAROL", channel_id="C0INC123", channel_name="inc-123-jupyter")
HELM = "components:\n  # the hub\n  jupyter_hub:\n    chart_version: 3.2.1  # pinned\n"


def flux(**branches: str) -> str:
    lines = ["components:"]
    for name, branch in branches.items():
        lines += [f"  {name}:", "    repository:", f"      branch: {branch}"]
    return "\n".join(lines) + "\n"


class Bot:
    """One copy of the bot: a service over shared fakes (two copies may share them)."""

    def __init__(
        self,
        forge: FakeForge,
        store: FakeHotfixStore,
        threads: FakeThreads,
        directory: FakeDirectory,
        **policy: object,
    ) -> None:
        self.forge, self.store, self.threads, self.directory = forge, store, threads, directory
        versions = VersionService(
            forge,
            core_repository=CORE,
            environments={name: EnvironmentSpec(name, name) for name in ("prod", "stg", "dev")},
            catalog={"jupyter_hub": ComponentSpec("jupyter_hub", repository=JUPYTER, aliases=("jupyter",))},
        )
        self.ledger = StateLedger(store)
        self.later = timedelta(0)  # how far this copy's clock is ahead of the others'
        self.service = wire_services(
            forge=forge,
            store=store,
            ledger=self.ledger,
            slack=threads,
            directory=directory,
            versions=versions,
            policy=HotfixPolicy(
                core_repository=CORE,
                allowed_users=("U0ALICE",),
                allowed_usergroups=("platform",),
                **policy,  # type: ignore[arg-type]
            ),
            reminder_policy=ReminderPolicy(),
            environments={},
            paths=CorePaths(),
            core_flux_name="flux-system",
            clock=lambda: datetime.now(UTC) + self.later,
        )

    def start(self, ticket: str | None = "INC-1", actor: Actor = ALICE, **changes: object) -> str:
        command = Start(environment="prod", component="jupyter_hub", ticket=ticket, summary="hub is down")
        return answered(self.service.starter.start(replace(command, **changes), actor))  # type: ignore[arg-type]

    def stage(self, ticket: str = "INC-1") -> Stage:
        [found] = self.store.find(ticket, active_only=False)
        return found.stage

    def push(self, ticket: str = "INC-1") -> None:
        self.forge.push(JUPYTER, f"hotfix/{ticket}", {"values/hub.yaml": "timeout: 90\n"})

    def status(self, ticket: str = "INC-1") -> Stage:
        [found] = self.service.tracker.status(ticket).views
        return found.hotfix.stage


def answered(answer: Answer) -> str:
    """What the person who asked reads."""
    return answer_message(answer).text


@pytest.fixture
def forge() -> FakeForge:
    forge = FakeForge()
    files = {"core/flux-config.yaml": flux(jupyter_hub=RELEASE), "core/helm-config.yaml": HELM}
    forge.add_branch(CORE, "prod", "a" * 40, files)
    forge.add_branch(CORE, "stg", "b" * 40, {"core/flux-config.yaml": flux(jupyter_hub=RELEASE)})
    forge.add_branch(CORE, "dev", "c" * 40, {"core/flux-config.yaml": flux(jupyter_hub="release/0.2.106")})
    forge.add_branch(JUPYTER, "main", MAIN_HEAD)
    forge.add_branch(JUPYTER, RELEASE, RELEASE_HEAD)
    forge.history[(JUPYTER, RELEASE)] = [MAIN_HEAD, RELEASE_HEAD]  # cut from main, one hot-fix ahead
    forge.add_branch(JUPYTER, "release/0.2.106", "d" * 40)
    return forge


@pytest.fixture
def store() -> FakeHotfixStore:
    return FakeHotfixStore()


@pytest.fixture
def threads() -> FakeThreads:
    return FakeThreads()


@pytest.fixture
def bot(forge: FakeForge, store: FakeHotfixStore, threads: FakeThreads) -> Bot:
    directory = FakeDirectory(usergroups={"platform": frozenset({"U0CAROL"})}, channels={"C0WAR": "war-room"})
    return Bot(forge, store, threads, directory)


def other_copy(bot: Bot) -> Bot:
    """A second copy of the bot sharing the database and the world, with caches of its own."""
    return Bot(bot.forge, bot.store, bot.threads, bot.directory)


# -- the lifecycle ------------------------------------------------------------------------------------


def test_start_cuts_the_branch_from_the_release_head_and_opens_one_thread(bot: Bot) -> None:
    answer = bot.start(summary="spawner times out")

    assert "Hot-fix INC-1 started" in answer
    assert bot.forge.created_branches == [(JUPYTER, "hotfix/INC-1", RELEASE_HEAD)]
    [hotfix] = bot.store.find("INC-1")
    assert (hotfix.stage, hotfix.base_branch, hotfix.base_sha) == (Stage.BRANCHED, RELEASE, RELEASE_HEAD)
    assert hotfix.rollout_environments == ("prod", "stg")
    assert hotfix.thread_ts == bot.threads.posted[0][1]
    assert bot.threads.said("INC-1") == [f"Branch `hotfix/INC-1` created from `{RELEASE}` at `eeeeeee`."]
    assert bot.store.audit_log(ticket="INC-1") == [("start", "ok")]


def test_starting_again_reports_the_hotfix_and_creates_nothing(bot: Bot) -> None:
    bot.start()
    again = bot.start()

    assert "already being hot-fixed" in again
    assert len(bot.forge.created_branches) == 1
    assert len(bot.threads.posted) == 1
    assert len(bot.threads.said("INC-1")) == 1


def test_a_pull_request_needs_commits_and_says_so_plainly(bot: Bot) -> None:
    bot.start()

    with pytest.raises(UsageError, match="has no commits yet"):
        bot.service.pulls.open_pr("INC-1", ALICE)
    assert bot.stage() is Stage.BRANCHED
    assert bot.forge.created_pulls == []


def test_the_whole_lifecycle_announces_each_step_once(bot: Bot) -> None:
    bot.start()
    bot.push()
    assert "Pull request opened" in answered(bot.service.pulls.open_pr("INC-1", ALICE))
    [pull] = bot.forge.open_pulls(JUPYTER)
    assert (pull.head, pull.base) == ("hotfix/INC-1", RELEASE)
    assert "INC-1" in pull.title
    assert "prod, stg" in pull.body
    assert bot.status() is Stage.PR_OPEN

    merge_sha = bot.forge.merge(JUPYTER, pull.number)
    assert bot.status() is Stage.MERGED
    [hotfix] = bot.store.find("INC-1")
    assert hotfix.merge_sha == merge_sha

    promoted = answered(bot.service.backmerges.promote("INC-1", ALICE))
    assert "Back-merge pull request" in promoted
    assert "GitHub can merge it cleanly" in promoted
    [backmerge] = bot.forge.open_pulls(JUPYTER)
    assert (backmerge.head, backmerge.base) == (RELEASE, "main")
    assert bot.stage() is Stage.BACKMERGE_OPEN

    bot.forge.merge(JUPYTER, backmerge.number)
    assert bot.status() is Stage.DONE
    bot.status()
    said = bot.threads.said("INC-1")
    for event in (
        "Branch `hotfix/INC-1`",
        "Pull request <",
        "Merged into",
        "Back-merge pull request <",
        "Back-merged",
    ):
        assert sum(event in text for text in said) == 1, (event, said)
    assert len(said) == 5
    assert [u for u in bot.threads.updates if u[1] == "done"]  # the parent message shows it done


def test_promote_when_main_already_has_the_release_branch_completes_at_once(bot: Bot) -> None:
    bot.start()
    bot.push()
    bot.service.pulls.open_pr("INC-1", ALICE)
    bot.forge.merge(JUPYTER, 1)
    bot.forge.history[(JUPYTER, "main")] = list(bot.forge.history[(JUPYTER, RELEASE)])  # merged by hand

    answer = answered(bot.service.backmerges.promote("INC-1", ALICE))

    assert "already has every commit" in answer
    assert bot.stage() is Stage.DONE
    assert len(bot.forge.created_pulls) == 1  # no back-merge pull request
    assert sum("hot-fix complete" in text for text in bot.threads.said("INC-1")) == 1


def test_promote_before_the_merge_is_refused_and_opens_nothing(bot: Bot) -> None:
    bot.start()

    with pytest.raises(UsageError, match=r"not merged into `release/0.2.105` yet"):
        bot.service.backmerges.promote("INC-1", ALICE)
    assert bot.forge.created_pulls == []


def test_a_pin_hotfix_commits_one_value_opens_its_pull_request_and_needs_no_back_merge(bot: Bot) -> None:
    answer = bot.start("INC-31", pin=PinRequest(PinField.CHART, "3.2.2"))

    assert "Its pull request is open" in answer
    assert bot.forge.created_branches == [(CORE, "hotfix/INC-31", "a" * 40)]
    assert [(c[1], c[2]) for c in bot.forge.commits] == [("hotfix/INC-31", "core/helm-config.yaml")]
    changed = bot.forge.read_file(CORE, "core/helm-config.yaml", "hotfix/INC-31")
    assert changed is not None
    assert changed.text == HELM.replace("3.2.1", "3.2.2")  # the comments stay
    [hotfix] = bot.store.find("INC-31")
    assert hotfix.kind is Kind.PIN
    assert hotfix.stage is Stage.PR_OPEN

    bot.forge.merge(CORE, 1)
    assert bot.status("INC-31") is Stage.DONE
    with pytest.raises(UsageError, match="INC-31 is done; nothing more to do"):
        bot.service.backmerges.promote("INC-31", ALICE)
    assert sum("needs no back-merge" in text for text in bot.threads.said("INC-31")) == 1


def test_a_pin_hotfix_started_again_after_a_failed_commit_commits_once(bot: Bot) -> None:
    bot.forge.fail("commit_file", Unavailable("GitHub is having trouble (HTTP 502); try again in a minute."))
    pin = PinRequest(PinField.CHART, "3.2.2")

    with pytest.raises(Unavailable, match="the pin change was not committed"):
        bot.start("INC-31", pin=pin)
    bot.start("INC-31", pin=pin)

    assert len(bot.forge.commits) == 1
    assert len(bot.forge.created_pulls) == 1


def test_cancel_stops_tracking_and_deletes_nothing(bot: Bot) -> None:
    bot.start()

    answer = answered(bot.service.tracker.cancel("INC-1", ALICE))

    assert "no longer tracked" in answer
    assert bot.stage() is Stage.CANCELLED
    assert (JUPYTER, "hotfix/INC-1") in bot.forge.branches
    assert sum("Cancelled by <@U0ALICE>" in text for text in bot.threads.said("INC-1")) == 1
    with pytest.raises(UsageError, match="INC-1 is cancelled"):
        bot.service.pulls.open_pr("INC-1", ALICE)


def test_a_pull_request_closed_without_merging_goes_back_to_branched_and_is_reopened_only_when_asked(
    bot: Bot,
) -> None:
    bot.start()
    bot.push()
    bot.service.pulls.open_pr("INC-1", ALICE)
    bot.forge.close(JUPYTER, 1)

    assert bot.status() is Stage.BRANCHED
    assert bot.status() is Stage.BRANCHED  # not reopened behind anyone's back
    assert bot.forge.open_pulls(JUPYTER) == []
    assert sum("closed without merging" in text for text in bot.threads.said("INC-1")) == 1

    bot.service.pulls.open_pr("INC-1", ALICE)
    assert [p.number for p in bot.forge.open_pulls(JUPYTER)] == [2]
    assert bot.stage() is Stage.PR_OPEN


# -- rules -------------------------------------------------------------------------------------------


def test_hotfixes_start_only_in_incident_channels(bot: Bot) -> None:
    general = Actor(user_id="U0ALICE", channel_id="C0GENERAL", channel_name="general")

    with pytest.raises(NotPermitted, match="only in incident channels"):
        bot.start(actor=general)
    assert bot.forge.created_branches == []
    assert bot.store.hotfixes == {}


def test_a_configured_channel_id_counts_as_an_incident_channel(
    forge: FakeForge, store: FakeHotfixStore
) -> None:
    directory = FakeDirectory(channels={"C0WAR": "war-room"})
    bot = Bot(forge, store, FakeThreads(), directory, channels=("C0WAR",))
    war_room = Actor(user_id="U0ALICE", channel_id="C0WAR")  # its name is looked up: no pattern match

    assert "started" in bot.start(actor=war_room)


def test_only_permitted_people_by_id_or_user_group(bot: Bot) -> None:
    bob = Actor(user_id="U0BOB", channel_id="C0INC123", channel_name="inc-123-jupyter")

    with pytest.raises(NotPermitted, match=r"not allowed to run hot-fixes.*@platform"):
        bot.start(actor=bob)
    assert "started" in bot.start("INC-2", actor=CAROL)  # through @platform
    assert "platform" in bot.directory.asked
    bot.service.access.authorize(Actor(user_id="operator", via="cli"))  # the bot's own credentials


def test_the_ticket_defaults_to_the_incident_number_in_the_channel_name(bot: Bot) -> None:
    bot.start(ticket=None)

    assert bot.store.find("123")[0].branch == "hotfix/123"


def test_without_a_ticket_anywhere_the_bot_asks_for_one(forge: FakeForge, store: FakeHotfixStore) -> None:
    bot = Bot(forge, store, FakeThreads(), FakeDirectory(), channels=("C0WAR",))

    with pytest.raises(UsageError, match="Which ticket"):
        bot.start(ticket=None, actor=Actor(user_id="U0ALICE", channel_id="C0WAR", channel_name="war-room"))
    assert forge.created_branches == []


def test_an_existing_hotfix_branch_on_another_base_is_refused_and_left_alone(bot: Bot) -> None:
    bot.forge.create_branch(JUPYTER, "hotfix/INC-1", "d" * 40)  # cut from release/0.2.106
    bot.forge.created_branches.clear()

    with pytest.raises(Conflict, match=r"was not cut from `release/0.2.105`"):
        bot.start()
    assert bot.forge.branches[(JUPYTER, "hotfix/INC-1")][0] == "d" * 40
    assert bot.stage() is Stage.CANCELLED
    assert bot.forge.created_pulls == []


def test_a_branch_in_the_way_of_the_hotfix_branch_is_named_and_leaves_nothing_half_started(bot: Bot) -> None:
    bot.forge.create_branch(JUPYTER, "hotfix", RELEASE_HEAD)  # git cannot also hold hotfix/INC-1
    bot.forge.created_branches.clear()

    with pytest.raises(Conflict) as refused:
        bot.start()

    said = str(refused.value)
    assert "`hotfix/INC-1` cannot be created in `acme/flux-jupyter`: the branch `hotfix` exists" in said
    assert "rename `hotfix`, or set `hotfix.branch`" in said
    assert "run the same command again" not in said  # it would fail the same way
    assert bot.forge.created_branches == []
    assert bot.store.find("INC-1") == []  # nothing active: a later attempt starts afresh
    assert bot.stage() is Stage.CANCELLED
    assert bot.threads.posted == []
    assert bot.store.audit_log(ticket="INC-1")[-1][1].startswith("refused")

    del bot.forge.branches[(JUPYTER, "hotfix")]  # renamed out of the way
    assert "Hot-fix INC-1 started" in bot.start()
    assert bot.forge.created_branches == [(JUPYTER, "hotfix/INC-1", RELEASE_HEAD)]


def test_an_existing_hotfix_branch_on_the_right_base_is_adopted(bot: Bot) -> None:
    bot.forge.create_branch(JUPYTER, "hotfix/INC-1", RELEASE_HEAD)
    bot.forge.created_branches.clear()
    bot.push()

    assert "Its pull request is open" in bot.start()
    assert bot.forge.created_branches == []
    assert any("found (adopted)" in text for text in bot.threads.said("INC-1"))


# -- failures, races and restarts -------------------------------------------------------------------


def test_github_failing_to_create_the_branch_leaves_a_hotfix_the_same_command_finishes(bot: Bot) -> None:
    bot.forge.fail(
        "create_branch", Unavailable("GitHub is having trouble (HTTP 502); try again in a minute.")
    )

    with pytest.raises(Unavailable, match=r"HTTP 502.*`hotfix/INC-1` was not created.*again") as failed:
        bot.start()
    bot.service.records.audit_failure(ALICE, "start", "INC-1", failed.value)  # as the Slack layer does
    assert bot.stage() is Stage.STARTING
    assert bot.threads.posted == []

    assert "started" in bot.start()
    assert len(bot.forge.created_branches) == 1
    assert len(bot.threads.posted) == 1
    audit = bot.store.audit_log(ticket="INC-1")
    assert audit[0][1].startswith("refused: GitHub is having trouble")
    assert audit[1:] == [("start", "ok")]


def test_slack_refusing_the_thread_releases_its_claim_so_asking_again_posts_it(bot: Bot) -> None:
    bot.threads.fail("open_thread", Unavailable("Slack refused to start the hot-fix thread (ratelimited)."))

    with pytest.raises(Unavailable, match=r"was created.*thread was not posted"):
        bot.start()
    assert bot.stage() is Stage.BRANCHED

    bot.start()

    assert len(bot.threads.posted) == 1
    [hotfix] = bot.store.find("INC-1")
    assert hotfix.thread_ts == bot.threads.posted[0][1]
    assert len(bot.threads.said("INC-1")) == 1  # "branch created", announced once it had a thread
    assert bot.store.audit_log(ticket="INC-1") == [("start", "ok")]
    bot.start()  # asking once more finishes nothing new: no second "ok"
    assert bot.store.audit_log(ticket="INC-1") == [("start", "ok")]


def test_slack_refusing_to_edit_the_parent_message_does_not_undo_or_hide_the_step(bot: Bot) -> None:
    bot.start()
    bot.push()
    bot.threads.fail(
        "update_thread", Unavailable("Slack refused to update the hot-fix thread (ratelimited).")
    )

    bot.service.pulls.open_pr("INC-1", ALICE)

    assert bot.stage() is Stage.PR_OPEN
    assert sum("Pull request <" in text for text in bot.threads.said("INC-1")) == 1


def test_github_failing_while_following_says_nothing_changed(bot: Bot) -> None:
    bot.start()
    bot.forge.fail("compare", Unavailable("GitHub is having trouble (HTTP 500); try again in a minute."))

    with pytest.raises(Unavailable, match=r"HTTP 500.*Nothing was changed"):
        bot.service.tracker.status("INC-1")
    assert bot.stage() is Stage.BRANCHED


def test_github_failing_to_open_the_pull_request_says_none_was_opened(bot: Bot) -> None:
    bot.start()
    bot.push()
    bot.forge.fail("open_pull", Unavailable("GitHub's rate limit is used up (retry after 60 s)."))

    with pytest.raises(Unavailable, match="No pull request was opened; run `/hotfix pr INC-1` again"):
        bot.service.pulls.open_pr("INC-1", ALICE)
    assert bot.stage() is Stage.BRANCHED
    assert "Pull request opened" in answered(bot.service.pulls.open_pr("INC-1", ALICE))


def test_github_failing_to_open_the_back_merge_says_none_was_opened(bot: Bot) -> None:
    bot.start()
    bot.push()
    bot.service.pulls.open_pr("INC-1", ALICE)
    bot.forge.merge(JUPYTER, 1)
    bot.forge.fail("open_pull", Unavailable("GitHub is having trouble (HTTP 502); try again in a minute."))

    with pytest.raises(Unavailable, match="No back-merge pull request was opened"):
        bot.service.backmerges.promote("INC-1", ALICE)
    assert bot.stage() is Stage.MERGED
    bot.service.backmerges.promote("INC-1", ALICE)
    assert bot.stage() is Stage.BACKMERGE_OPEN


def test_a_crash_between_recording_and_branching_is_finished_after_a_restart(bot: Bot) -> None:
    bot.store.before_save = lambda: (_ for _ in ()).throw(KeyboardInterrupt)  # the process dies here
    with pytest.raises(KeyboardInterrupt):
        bot.start()  # the branch was created; "branched" was never stored
    assert bot.stage() is Stage.STARTING

    restarted = other_copy(bot)
    assert "started" in restarted.start()

    assert len(bot.forge.created_branches) == 1
    assert bot.stage() is Stage.BRANCHED
    assert len(bot.threads.posted) == 1
    assert [t for t in bot.threads.said("INC-1") if "found (adopted)" in t]


def test_two_copies_starting_at_once_make_one_hotfix(bot: Bot) -> None:
    other = other_copy(bot)
    # The other copy stores the same hot-fix between this one's look-up and its insert.
    plan = Start(environment="prod", component="jupyter_hub", ticket="INC-1", summary="")
    bot.store.before_add = lambda: other.service.starter.start(plan, CAROL) and None

    answer = bot.start()

    assert "INC-1" in answer
    assert len(bot.store.hotfixes) == 1
    assert len(bot.forge.created_branches) == 1
    assert len(bot.threads.posted) == 1
    assert len(bot.threads.said("INC-1")) == 1


def test_a_stale_copy_loses_the_race_quietly_and_announces_nothing_twice(bot: Bot) -> None:
    bot.start()
    bot.push()
    bot.service.pulls.open_pr("INC-1", ALICE)
    bot.forge.merge(JUPYTER, 1)
    [seen_by_both] = bot.store.find("INC-1")  # both copies read PR_OPEN

    merged = bot.service.tracker.refresh(seen_by_both)
    also = other_copy(bot).service.tracker.refresh(
        seen_by_both
    )  # its save is stale: it takes the stored state

    assert merged.stage is also.stage is Stage.MERGED
    assert also.updated_at == merged.updated_at
    assert sum("Merged into" in text for text in bot.threads.said("INC-1")) == 1


def test_a_second_copy_of_the_bot_never_announces_again(bot: Bot) -> None:
    bot.start()
    bot.push()
    bot.service.pulls.open_pr("INC-1", ALICE)
    bot.forge.merge(JUPYTER, 1)
    bot.status()
    before = list(bot.threads.replies)

    restarted = other_copy(bot)
    restarted.status()
    [hotfix] = bot.store.find("INC-1")
    merged = Merged(hotfix, restarted.service.announcer.rollout(hotfix), "main")
    assert not restarted.service.announcer.announce(hotfix, merged)  # the claim is in the database

    assert bot.threads.replies == before


def test_a_thread_another_request_is_posting_is_waited_for_not_posted_again(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(announcer_module, "THREAD_CLAIM_TTL", timedelta(seconds=0.6))  # waits 0.1 s
    bot.threads.fail("open_thread", Unavailable("Slack is down."))
    with pytest.raises(Unavailable):
        bot.start()
    [hotfix] = bot.store.find("INC-1")
    assert hotfix.id is not None
    someone = bot.ledger.claim_thread(hotfix.id, datetime.now(UTC), lapse_after=timedelta(seconds=0.6))
    assert someone is not None  # another request is posting it

    assert "its thread is still being posted" in bot.start()
    assert bot.threads.posted == []

    bot.later = timedelta(minutes=5)  # that attempt died long ago
    bot.start()
    assert len(bot.threads.posted) == 1


def test_a_thread_posted_before_a_crash_is_found_again_not_posted_twice(bot: Bot) -> None:
    bot.start()
    [hotfix] = bot.store.find("INC-1")
    bot.store.save(replace(hotfix, thread_ts=None))  # posted, but the ts never reached the database

    later = other_copy(bot)
    later.later = timedelta(minutes=5)  # once the claim of the dead attempt has lapsed
    later.start()

    assert len(bot.threads.posted) == 1
    assert bot.store.find("INC-1")[0].thread_ts == hotfix.thread_ts


def test_the_pull_request_commands_name_unknown_tickets(bot: Bot) -> None:
    with pytest.raises(NotFound, match="No active hot-fix has the ticket INC-9"):
        bot.service.pulls.open_pr("INC-9", ALICE)
    with pytest.raises(NotFound, match="No hot-fix has the ticket INC-9"):
        bot.service.tracker.status("INC-9")
    assert bot.store.hotfixes == {}


def test_an_announcement_slack_refused_is_posted_by_the_next_attempt_and_only_once(bot: Bot) -> None:
    bot.start()
    bot.push()
    bot.threads.fail("tell", Unavailable("Slack refused to reply in the hot-fix thread (ratelimited)."))
    bot.service.pulls.open_pr("INC-1", ALICE)  # the pull request opens; its announcement cannot be posted
    assert not [text for text in bot.threads.said("INC-1") if "Pull request" in text]

    [hotfix] = bot.store.find("INC-1")
    assert hotfix.pull is not None
    announcer = bot.service.announcer
    opened = PullOpened(hotfix, hotfix.pull.number, hotfix.pull.url, announcer.rollout(hotfix))
    assert announcer.announce(hotfix, opened)  # the next attempt (the watch job) posts it
    assert not announcer.announce(hotfix, opened)  # and nobody after that
    assert [text for text in bot.threads.said("INC-1") if "Pull request" in text] == [
        f"Pull request <{hotfix.pull.url}|#1> opened into `{RELEASE}`. "
        "Merging it rolls out to *prod and stg* within about 10 minutes."
    ]


# -- steering a hot-fix from another incident's channel ------------------------------------------

ELSEWHERE = Actor(user_id="U0ALICE", channel_id="C0INC124", channel_name="inc-124-db")
TEAM = Actor(user_id="U0ALICE", channel_id="C0PLATFORM", channel_name="platform-team")


@pytest.mark.parametrize(
    "command",
    [
        OpenPr("INC-1"),
        Promote("INC-1"),
        Cancel("INC-1"),
        Snooze("INC-1", timedelta(days=1)),
        SnoozeReminders(SnoozeSubject.of_hotfix("INC-1"), timedelta(days=1)),
    ],
    ids=["pr", "promote", "cancel", "snooze", "snooze-button"],
)
def test_another_incidents_channel_cannot_change_a_hotfix(bot: Bot, command: HotfixCommand) -> None:
    bot.start()
    before = bot.store.find("INC-1")

    with pytest.raises(NotPermitted) as refused:
        bot.service.hotfixes.handle(command, ELSEWHERE)

    assert str(refused.value) == (
        "INC-1 is steered from the channel it started in; nothing was changed. "
        "Change it from there, from the team channel or from the command line."
    )
    assert bot.store.find("INC-1") == before
    assert bot.ledger.snoozed_until(SnoozeSubject.of_hotfix("INC-1")) is None


def test_the_team_channel_and_the_command_line_may_change_it_and_anyone_may_ask(
    forge: FakeForge, store: FakeHotfixStore, threads: FakeThreads
) -> None:
    directory = FakeDirectory(channels={"C0PLATFORM": "platform-team"})
    bot = Bot(forge, store, threads, directory, team_channel="C0PLATFORM")
    bot.start()
    hotfixes = bot.service.hotfixes

    hotfixes.handle(Snooze("INC-1", timedelta(days=1)), TEAM)
    assert bot.ledger.snoozed_until(SnoozeSubject.of_hotfix("INC-1")) is not None
    assert hotfixes.handle(Status("INC-1"), ELSEWHERE)
    hotfixes.handle(Cancel("INC-1"), Actor(user_id="alice", via="cli"))
    assert bot.stage() is Stage.CANCELLED


def test_the_team_channel_may_open_the_pull_request_promote_and_cancel_but_not_start(
    forge: FakeForge, store: FakeHotfixStore, threads: FakeThreads
) -> None:
    directory = FakeDirectory(channels={"C0PLATFORM": "platform-team"})
    bot = Bot(forge, store, threads, directory, team_channel="C0PLATFORM")
    bot.start()
    bot.push()
    hotfixes = bot.service.hotfixes

    assert "Pull request opened" in answered(hotfixes.handle(OpenPr("INC-1"), TEAM))
    bot.forge.merge(JUPYTER, 1)
    assert "Back-merge pull request" in answered(hotfixes.handle(Promote("INC-1"), TEAM))
    hotfixes.handle(Cancel("INC-1"), TEAM)
    assert bot.stage() is Stage.CANCELLED
    with pytest.raises(NotPermitted, match="only in incident channels"):
        bot.start(ticket="INC-2", actor=TEAM)
