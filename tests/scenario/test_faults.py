"""Faults whose outcome the bot cannot see at once: GitHub applying a write and losing its answer,
rate limits that last minutes, the bot killed between a post and its record, the database down at
start-up.

Each ends in a state the same command (or the watch job) finishes, and each sentence says only what
is known.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from slackbot.adapters.ledger import StateLedger
from slackbot.bootstrap import SetupError, build_bot
from slackbot.domain.events import PullOpened
from slackbot.domain.hotfix import PullRequestRef, Stage
from slackbot.domain.news_record import news_record
from slackbot.sandbox.github_emulator import SECONDARY_RATE_LIMIT_MESSAGE
from slackbot.sandbox.harness import INCIDENT, ManualClock, Sandbox
from tests.scenario.helpers import JUPYTER, RELEASE, hotfix, push_fix
from tests.scenario.test_hotfix_failures import (
    ask,
    assert_one_of_each,
    assert_plain,
    branches,
    merged,
    pulls,
    replies,
    threads,
    told,
    writes,
)

LOST = 500  # GitHub applied the request, then failed to answer it


def lose_the_answer(box: Sandbox, method: str, path: str, *, retried_too: bool = True) -> None:
    """GitHub applies the next matching write and answers 500; PyGithub's two retries get 502s."""
    box.github.inject_fault(method, path, LOST, after_applying=True)
    if retried_too:
        box.github.inject_fault(method, path, 502, times=2)


# -- 1. a write applied whose answer was lost ----------------------------------------------------------


def test_a_branch_created_whose_answer_was_lost_is_read_back_and_the_start_finishes(box: Sandbox) -> None:
    lose_the_answer(box, "POST", r"/git/refs$")

    answer = told(ask(box, "/hotfix prod jupyter_hub INC-40"))

    assert "was not created" not in answer
    assert "Hot-fix INC-40 started" in answer
    found = assert_one_of_each(box, "INC-40")
    assert found.stage is Stage.BRANCHED
    assert writes(box, "POST", "/git/refs") == 3


def test_a_lost_answer_and_a_failed_read_back_say_it_is_not_known_whether_the_branch_exists(
    box: Sandbox,
) -> None:
    lose_the_answer(box, "POST", r"/git/refs$")
    box.github.inject_fault("GET", r"/branches/hotfix/INC-41$", 502, times=3)

    failed = told(ask(box, "/hotfix prod jupyter_hub INC-41"))

    assert_plain(failed, "did not confirm whether `hotfix/INC-41` was created", "same command")
    assert "was not created" not in failed
    assert branches(box, "INC-41") == ["hotfix/INC-41"]  # it was
    assert hotfix(box, "INC-41").stage is Stage.STARTING

    assert "Hot-fix INC-41 started" in told(ask(box, "/hotfix prod jupyter_hub INC-41"))
    assert_one_of_each(box, "INC-41")


def test_a_branch_github_refused_is_said_to_be_not_created(box: Sandbox) -> None:
    box.github.inject_fault("POST", r"/git/refs$", 502, times=3)  # answered 502, nothing applied

    failed = told(ask(box, "/hotfix prod jupyter_hub INC-42"))

    assert_plain(failed, "HTTP 502", "`hotfix/INC-42` was not created", "again")
    assert branches(box, "INC-42") == []


def test_a_pull_request_opened_whose_answer_was_lost_is_read_back_and_announced_once(box: Sandbox) -> None:
    ask(box, "/hotfix prod jupyter_hub INC-43")
    push_fix(box, "INC-43")
    lose_the_answer(box, "POST", r"/pulls$")

    answer = told(ask(box, "/hotfix pr INC-43"))

    assert "No pull request was opened" not in answer
    assert "Pull request opened" in answer
    found = assert_one_of_each(box, "INC-43", pull=True)
    assert found.stage is Stage.PR_OPEN
    assert sum("Pull request <" in r for r in replies(box, "INC-43")) == 1


def test_a_back_merge_opened_whose_answer_was_lost_is_read_back(box: Sandbox) -> None:
    merged(box, "INC-44")
    lose_the_answer(box, "POST", r"/pulls$")

    answer = told(ask(box, "/hotfix promote INC-44"))

    assert "No back-merge pull request was opened" not in answer
    assert "Back-merge pull request" in answer
    assert len(pulls(box, RELEASE, "main")) == 1
    assert hotfix(box, "INC-44").stage is Stage.BACKMERGE_OPEN


# -- 2. rate limits that last longer than a person waits -------------------------------------------------


def test_a_used_up_rate_limit_on_creating_the_branch_says_when_it_resets(box: Sandbox) -> None:
    reset = int(time.time()) + 600
    box.github.inject_fault(
        "POST",
        r"/git/refs$",
        403,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
        body={"message": "API rate limit exceeded for user ID 1."},
    )

    failed = told(ask(box, "/hotfix prod jupyter_hub INC-45"))

    assert_plain(
        failed, f"{time.strftime('%H:%M', time.gmtime(reset))} UTC", "`hotfix/INC-45` was not created"
    )
    assert "in a minute" not in failed
    assert branches(box, "INC-45") == []


def test_a_secondary_rate_limit_for_ten_minutes_says_when_to_come_back(box: Sandbox) -> None:
    ask(box, "/hotfix prod jupyter_hub INC-46")
    push_fix(box, "INC-46")
    box.github.inject_fault(
        "POST",
        r"/pulls$",
        403,
        times=3,
        headers={"Retry-After": "600"},
        body={"message": SECONDARY_RATE_LIMIT_MESSAGE, "documentation_url": "https://docs.github.com"},
    )
    until = time.strftime("%H:%M", time.gmtime(time.time() + 600))

    failed = told(ask(box, "/hotfix pr INC-46"))

    assert_plain(failed, "rate limit", f"{until} UTC", "No pull request was opened")
    assert "in a minute" not in failed
    assert "still refused after waiting" not in failed
    assert pulls(box, "hotfix/INC-46") == []


# -- 3. killed between a post and its record ---------------------------------------------------------


def test_a_thread_posted_but_not_recorded_is_found_at_once_by_the_first_repeat(tmp_path: Path) -> None:
    with Sandbox(tmp_path, clock=ManualClock()) as box:
        ask(box, "/hotfix prod jupyter_hub INC-47")
        posted = hotfix(box, "INC-47")
        box.bot.store.save(replace(posted, thread_ts=None))  # killed before the ts was stored
        box.restart_bot()  # the claim on posting the thread is still fresh

        answer = told(ask(box, "/hotfix prod jupyter_hub INC-47"))

        assert "still being posted" not in answer
        assert "already being hot-fixed" in answer
        found = assert_one_of_each(box, "INC-47")
        assert found.thread_ts == posted.thread_ts
        assert len(threads(box, "INC-47")) == 1


def _killed_while_announcing_the_pull(box: Sandbox, ticket: str) -> int:
    """The pull request is opened and recorded, its announcement claimed, then the bot is killed."""
    ask(box, f"/hotfix prod jupyter_hub {ticket}")
    push_fix(box, ticket)
    found = hotfix(box, ticket)
    assert found.id is not None
    opened = box.bot.source.open_pull(JUPYTER, f"hotfix/{ticket}", RELEASE, f"Hot-fix {ticket}", "")
    box.bot.store.save(found.pull_opened(PullRequestRef(opened.number, opened.url)))
    now = box.clock.now() if box.clock else None
    assert now is not None
    news = PullOpened(found, opened.number, opened.url, box.bot.services.announcer.rollout(found))
    ledger = StateLedger(box.bot.store)
    assert ledger.claim_announcement(found.id, news.key, now, news_record(news)) is not None
    return opened.number


def test_an_announcement_claimed_by_a_killed_bot_is_posted_by_the_watch_job(tmp_path: Path) -> None:
    with Sandbox(tmp_path, clock=ManualClock()) as box:
        number = _killed_while_announcing_the_pull(box, "INC-48")
        box.restart_bot()
        assert box.clock is not None

        box.bot.followup.watch()  # too soon: the claim may be a post still in flight
        assert not any("Pull request <" in r for r in replies(box, "INC-48"))
        box.clock.advance(minutes=5)
        box.bot.followup.watch()
        box.bot.followup.watch()

        assert sum(f"#{number}>" in r for r in replies(box, "INC-48")) == 1


def test_an_announcement_posted_whose_record_was_lost_is_not_posted_again(tmp_path: Path) -> None:
    with Sandbox(tmp_path, clock=ManualClock()) as box:
        ask(box, "/hotfix prod jupyter_hub INC-49")
        push_fix(box, "INC-49")
        ask(box, "/hotfix pr INC-49")  # posted, and recorded as posted
        found = hotfix(box, "INC-49")
        assert found.id is not None
        assert found.pull is not None
        key = f"announced:{found.id}:pr:{found.pull.number}"
        # Killed after Slack took the post but before the claim was marked posted.
        box.bot.store.put_state(key, "pending:" + (box.bot.store.get_state(key) or ""))
        box.restart_bot()
        assert box.clock is not None
        box.clock.advance(minutes=5)

        box.bot.followup.watch()

        assert sum("Pull request <" in r for r in replies(box, "INC-49")) == 1
        assert not (box.bot.store.get_state(key) or "pending:").startswith("pending:")


# -- 4. the database down at start-up ------------------------------------------------------------------


def test_an_unreachable_database_at_start_up_is_one_sentence_without_the_password(tmp_path: Path) -> None:
    with Sandbox(tmp_path) as box:
        url = "postgresql://bot:s3cret@127.0.0.1:9/slackbot"  # port 9: nothing listens
        secrets = box.secrets.model_copy(update={"slackbot_database_url": None})
        config = box.config.model_copy(update={"database_url": url})

        with pytest.raises(SetupError) as raised:
            build_bot(config, secrets)

        sentence = str(raised.value)
        assert "postgresql+psycopg://bot:***@127.0.0.1:9/slackbot" in sentence
        assert "s3cret" not in sentence
        assert len(sentence.splitlines()) == 1
        assert INCIDENT  # the sandbox's own bot is untouched
