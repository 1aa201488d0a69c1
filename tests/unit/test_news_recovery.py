"""News a killed bot claimed but never posted: written down with the claim, retold by the watch job.

The bot claims each piece of thread news in the shared ledger before telling it. Killed between the
claim and Slack's answer, it leaves a *pending* claim; a later watch (after a post's worth of time)
reads the thread, and posts the news only when no reply carries its key.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import get_args

import pytest

from slackbot.domain.errors import Unavailable
from slackbot.domain.events import (
    Announcement,
    BackmergeClosed,
    BackmergeOpened,
    BranchCut,
    BranchDeleted,
    Cancelled,
    Completed,
    HowCompleted,
    Merged,
    PullClosed,
    PullOpened,
    ReportReady,
    RolledOut,
    Rollout,
    RolloutFailed,
    RolloutLate,
    RolloutUnwatchable,
)
from slackbot.domain.hotfix import Hotfix, Kind, PullRequestRef
from slackbot.domain.news_record import UnreadableNews, news_record, read_news
from tests.unit.test_followup import JUPYTER, Bot, watched

HOTFIX = Hotfix(
    ticket="INC-1",
    kind=Kind.COMPONENT,
    environment="prod",
    component="jupyter_hub",
    repository="acme/flux-jupyter",
    base_branch="release/0.2.105",
    branch="hotfix/INC-1",
    started_by="U0ALICE",
    channel_id="C0INC123",
    id=7,
)
ROLLOUT = Rollout(("prod", "stg"), timedelta(minutes=10))

EVERY_KIND: list[Announcement] = [
    BranchCut(HOTFIX, adopted=True),
    PullOpened(HOTFIX, 12, "https://github.test/pull/12", ROLLOUT),
    Merged(HOTFIX, ROLLOUT, "main"),
    PullClosed(HOTFIX, 12),
    BackmergeOpened(HOTFIX, 13, "https://github.test/pull/13", "main", None),
    BackmergeClosed(HOTFIX, 13, "main"),
    Completed(HOTFIX, HowCompleted.BY_HAND, "main"),
    Cancelled(HOTFIX, by_user="cli:alice"),
    BranchDeleted(HOTFIX, closed_pull=None),
    RolledOut("prod", "a" * 40, took=timedelta(minutes=4, seconds=12)),
    RolloutFailed("stg", "b" * 40, applied=False, revision="release@sha1:b", reason="Failed", message="x"),
    RolloutLate("prod", "c" * 40, timedelta(minutes=20), timedelta(minutes=10), None, None),
    RolloutUnwatchable("dev", "no Kustomization flux-system"),
    ReportReady(HOTFIX, {"ticket": "INC-1", "timeline": [{"at": "2026-11-02T09:00:00+00:00"}]}),
]


def test_every_kind_of_news_has_a_record() -> None:
    kinds = set(get_args(Announcement))
    assert kinds == {type(news) for news in EVERY_KIND}


@pytest.mark.parametrize("news", EVERY_KIND, ids=lambda news: type(news).__name__)
def test_every_kind_of_news_is_rebuilt_the_same_from_its_record(news: Announcement) -> None:
    record = news_record(news)

    assert "hotfix" not in json.loads(record)["fields"]  # read again from the store, not copied
    assert read_news(record, HOTFIX) == news


@pytest.mark.parametrize(
    "record", ["", "not json", '{"kind": "Unheard", "fields": {}}', '{"kind": "Merged"}']
)
def test_a_record_this_version_cannot_read_is_refused_plainly(record: str) -> None:
    with pytest.raises(UnreadableNews):
        read_news(record, HOTFIX)


def _claimed_and_killed(bot: Bot) -> PullOpened:
    """A hot-fix's pull request opened and recorded, its news claimed, and the bot killed before the
    post: what the pull-request step leaves behind when it dies inside ``threads.tell``."""
    bot.start()
    started = bot.hotfix()
    bot.forge.push(JUPYTER, started.branch, {"values/hub.yaml": "timeout: 90\n"})
    pull = bot.forge.open_pull(JUPYTER, started.branch, started.base_branch, "Hot-fix INC-1", "")
    hotfix = bot.store.save(started.pull_opened(PullRequestRef(pull.number, pull.url)))
    news = PullOpened(hotfix, pull.number, pull.url, bot.service.announcer.rollout(hotfix))
    assert hotfix.id is not None
    assert bot.ledger.claim_announcement(hotfix.id, news.key, bot.clock(), news_record(news)) is not None
    return news


def test_news_left_pending_by_a_killed_bot_is_told_once_after_a_minute() -> None:
    bot = Bot(watched("prod"))
    news = _claimed_and_killed(bot)

    bot.watch()  # at once: the claim may be a post still in flight
    assert bot.said("Pull request") == 0

    report = bot.later(seconds=61)
    bot.later(minutes=5)

    assert bot.said("Pull request") == 1
    assert report.retold == 1
    assert bot.threads.told_keys.count(("INC-1", news.key)) == 1


def test_news_that_reached_slack_before_the_bot_died_is_only_confirmed() -> None:
    bot = Bot(watched("prod"))
    news = _claimed_and_killed(bot)
    bot.threads.tell(news.hotfix, news)  # Slack took the post; the bot died before confirming it

    report = bot.later(minutes=2)
    bot.later(minutes=2)

    assert bot.said("Pull request") == 1
    assert report.retold == 0
    assert bot.ledger.pending_announcements(bot.clock() + timedelta(days=1)) == []


def test_a_thread_slack_cannot_read_keeps_the_news_pending_until_it_can() -> None:
    bot = Bot(watched("prod"))
    _claimed_and_killed(bot)
    bot.threads.fail("told", Unavailable("Slack is down"))

    bot.later(minutes=2)
    assert bot.said("Pull request") == 0
    bot.later(minutes=2)

    assert bot.said("Pull request") == 1


def test_two_copies_of_the_bot_retelling_at_once_tell_it_once() -> None:
    bot = Bot(watched("prod"))
    _claimed_and_killed(bot)
    bot.clock.advance(minutes=2)
    [pending] = bot.ledger.pending_announcements(bot.clock())

    first = bot.ledger.reclaim_announcement(pending, bot.clock())
    second = bot.ledger.reclaim_announcement(pending, bot.clock())

    assert first is not None
    assert second is None


def test_news_an_older_version_left_pending_without_a_record_is_not_guessed() -> None:
    bot = Bot(watched("prod"))
    news = _claimed_and_killed(bot)
    assert news.hotfix.id is not None
    key = f"announced:{news.hotfix.id}:{news.key}"
    bot.store.put_state(key, "pending:" + bot.clock().isoformat())

    bot.later(minutes=2)

    assert bot.said("Pull request") == 0  # nothing to say it with; logged instead
    assert not (bot.store.get_state(key) or "").startswith("pending:")
