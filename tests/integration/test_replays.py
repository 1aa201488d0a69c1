"""Replays refused across copies of the bot: the signatures seen are kept in the shared database.

Two stores on one database stand for two copies of the bot behind a load balancer; each has its
own memory of what it saw, and the database decides for both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from slackbot.adapters.replays import REMEMBER, SharedSignatures
from slackbot.adapters.store import Store
from slackbot.slack.guard import RecentSignatures
from tests.integration.test_store import FakeClock

Copies = Callable[[], SharedSignatures]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def copy_of_the_bot(database_url: str, clock: FakeClock) -> Iterator[Copies]:
    """Start another copy of the bot on the same database: its own store and its own memory."""
    stores: list[Store] = []

    def start() -> SharedSignatures:
        stores.append(Store(database_url, clock=clock))
        if len(stores) == 1:
            stores[0].migrate()
        return SharedSignatures(stores[-1], clock, local=RecentSignatures().first_time)

    yield start
    for store in stores:
        store.close()


def test_a_request_replayed_to_another_copy_is_refused_there(copy_of_the_bot: Copies) -> None:
    first, second = copy_of_the_bot(), copy_of_the_bot()

    assert first.first_time("v0=abc") is True
    assert second.first_time("v0=abc") is False  # the replay went to the other copy
    assert first.first_time("v0=abc") is False  # and back to the first
    assert second.first_time("v0=def") is True


def test_many_copies_receiving_one_request_at_once_accept_it_once(copy_of_the_bot: Copies) -> None:
    copies = [copy_of_the_bot() for _ in range(6)]
    with ThreadPoolExecutor(len(copies)) as pool:
        accepted = list(pool.map(lambda copy: copy.first_time("v0=same"), copies))

    assert accepted.count(True) == 1, accepted


def test_signatures_too_old_to_verify_are_forgotten(copy_of_the_bot: Copies, clock: FakeClock) -> None:
    memory = copy_of_the_bot()
    assert memory.first_time("v0=old") is True
    clock.advance(REMEMBER.total_seconds() + 120)

    assert memory.first_time("v0=new") is True  # forgetting runs at most once a minute: here

    other = copy_of_the_bot()  # a copy that never saw it asks the database alone
    assert other.first_time("v0=old") is True  # forgotten: long past any valid timestamp
    assert other.first_time("v0=new") is False
