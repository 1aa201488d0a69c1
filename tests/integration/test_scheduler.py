"""The scheduler and its lease against real databases: SQLite always, PostgreSQL when
``SLACKBOT_TEST_DATABASE_URL`` is set (for example
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), each PostgreSQL test in a schema of its own.

Two copies of the bot share one database. Only the holder of the ``scheduler`` lease runs an
APScheduler (whose job store is the same database); the other takes over once the holder stops
renewing. The lease's expiry is read from the store's clock, which most tests move by hand.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import column, select, table

from slackbot.adapters.store import Store
from slackbot.scheduler import (
    JOB_TABLE,
    LEASE,
    BotScheduler,
    JobSpec,
    Lease,
    job_specs,
    run_job,
    run_reminders,
    run_watch,
    scheduled_jobs,
)
from slackbot.services.followup import FollowupService, Report

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# What the test jobs did: (executor thread name, monotonic time), appended by the jobs themselves.
RUNS: list[tuple[str, float]] = []


def record_run() -> str:
    """A job APScheduler can store (a module-level function): notes which scheduler's pool ran it."""
    RUNS.append((threading.current_thread().name.rsplit("_", 1)[0], time.monotonic()))
    return "recorded"


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeFollowup:
    """What the jobs call, recording the calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def watch(self) -> Report:
        self.calls.append("watch")
        return Report(checked=2)

    def remind(self) -> Report:
        self.calls.append("remind")
        return Report(checked=1, announced=["digest"])


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def open_store(database_url: str) -> Iterator[Callable[..., Store]]:
    """Stores on the one database, as each copy of the bot opens its own."""
    stores: list[Store] = []

    def make(clock: Callable[[], datetime] | None = None) -> Store:
        store = Store(database_url, clock=clock)
        store.migrate()
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def schedulers() -> Iterator[list[BotScheduler]]:
    """Every scheduler a test makes, stopped afterwards."""
    made: list[BotScheduler] = []
    yield made
    for scheduler in made:
        scheduler.stop()


@pytest.fixture(autouse=True)
def _no_runs() -> None:
    RUNS.clear()


def specs(interval: float = 3600) -> list[JobSpec]:
    return [
        JobSpec("watch", "record a run", record_run, IntervalTrigger(seconds=interval, timezone="UTC")),
        JobSpec("reminders", "record a run", record_run, CronTrigger.from_crontab("30 9 * * mon-fri", "UTC")),
    ]


def copy_of_the_bot(
    store: Store, holder: str, made: list[BotScheduler], *, jobs: list[JobSpec] | None = None, ttl: float = 30
) -> BotScheduler:
    scheduler = BotScheduler(
        cast(FollowupService, FakeFollowup()),
        engine=store.engine,
        lease=Lease(store.acquire_lease, store.release_lease),
        specs=jobs or specs(),
        lease_ttl=ttl,
        holder=holder,
    )
    made.append(scheduler)
    return scheduler


def stored_jobs(store: Store) -> list[tuple[str, float | None]]:
    with store.engine.connect() as connection:
        jobs = table(JOB_TABLE, column("id"), column("next_run_time"))
        rows = connection.execute(select(jobs.c.id, jobs.c.next_run_time).order_by(jobs.c.id))
        return [(str(row[0]), row[1]) for row in rows]


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


# -- the lease decides who runs jobs -----------------------------------------------------------------


def test_only_the_lease_holder_runs_a_scheduler_and_another_copy_takes_over_when_it_stops_renewing(
    open_store: Callable[..., Store], clock: FakeClock, schedulers: list[BotScheduler]
) -> None:
    first = copy_of_the_bot(open_store(clock), "bot-a", schedulers)
    second = copy_of_the_bot(open_store(clock), "bot-b", schedulers)

    assert first.tick() is True
    assert second.tick() is False
    assert (first.leading, second.leading) == (True, False)
    assert [job for job, _ in stored_jobs(open_store())] == ["reminders", "watch"]

    clock.advance(20)
    assert first.tick() is True  # renewed: now held until t+50
    clock.advance(20)
    assert second.tick() is False  # t+40: still bot-a's
    assert open_store(clock).lease_holder(LEASE) == "bot-a"

    clock.advance(11)  # bot-a stopped renewing at t+20; its lease ran out at t+50
    assert second.tick() is True
    assert second.leading
    assert first.tick() is False  # it notices and stops its jobs
    assert not first.leading
    assert open_store(clock).lease_holder(LEASE) == "bot-b"
    assert [job for job, _ in stored_jobs(open_store())] == ["reminders", "watch"]  # the same two jobs


def test_stopping_releases_the_lease_at_once(
    open_store: Callable[..., Store], clock: FakeClock, schedulers: list[BotScheduler]
) -> None:
    first = copy_of_the_bot(open_store(clock), "bot-a", schedulers)
    second = copy_of_the_bot(open_store(clock), "bot-b", schedulers)
    assert first.tick() is True
    first.stop()  # a clean shutdown: no need to wait for the lease to run out
    assert second.tick() is True


def test_a_copy_that_cannot_reach_the_database_stops_running_jobs(
    open_store: Callable[..., Store], clock: FakeClock, schedulers: list[BotScheduler]
) -> None:
    store = open_store(clock)
    reachable = True

    def acquire(name: str, holder: str, ttl: float) -> bool:
        if not reachable:
            raise ConnectionError("the database went away")
        return store.acquire_lease(name, holder, ttl)

    scheduler = BotScheduler(
        cast(FollowupService, FakeFollowup()),
        engine=store.engine,
        lease=Lease(acquire, store.release_lease),
        specs=specs(),
        holder="bot-a",
    )
    schedulers.append(scheduler)
    assert scheduler.tick() is True
    reachable = False
    assert scheduler.tick() is False
    assert not scheduler.leading
    reachable = True
    assert scheduler.tick() is True  # its own lease, still unexpired: taken up again


def test_restarts_and_takeovers_keep_one_copy_of_each_job(
    open_store: Callable[..., Store], clock: FakeClock, schedulers: list[BotScheduler]
) -> None:
    for n in range(3):  # three restarts of the bot, each with a new holder id
        scheduler = copy_of_the_bot(open_store(clock), f"bot-{n}", schedulers)
        assert scheduler.tick() is True
        scheduler.stop()
    leader = copy_of_the_bot(open_store(clock), "bot-last", schedulers)
    assert leader.tick() is True

    assert [job for job, _ in stored_jobs(open_store())] == ["reminders", "watch"]
    rows = scheduled_jobs(open_store().engine, specs(), "UTC")
    assert [(job, stored) for job, _, _, stored in rows] == [("watch", True), ("reminders", True)]
    next_runs = {job: when for job, _, when, _ in rows}
    assert next_runs["watch"] is not None
    assert next_runs["watch"].tzinfo is not None
    assert next_runs["reminders"] is not None
    assert (next_runs["reminders"].hour, next_runs["reminders"].minute) == (9, 30)


def test_jobs_are_stored_coalescing_one_instance_at_a_time_in_the_configured_time_zone(
    open_store: Callable[..., Store], clock: FakeClock, schedulers: list[BotScheduler]
) -> None:
    jobs = job_specs(poll_seconds=60, reminder_cron="30 9 * * mon-fri", timezone="Europe/London")
    scheduler = copy_of_the_bot(open_store(clock), "bot-a", schedulers, jobs=jobs)
    assert scheduler.tick() is True
    running: Any = scheduler._scheduler
    watch, reminders = running.get_job("watch"), running.get_job("reminders")

    for job in (watch, reminders):
        assert (job.coalesce, job.max_instances) == (True, 1)
        assert 0 < job.misfire_grace_time <= 300
    assert watch.trigger.interval == timedelta(seconds=60)
    assert reminders.trigger.timezone == ZoneInfo("Europe/London")
    when = reminders.next_run_time.astimezone(ZoneInfo("Europe/London"))
    assert (when.hour, when.minute, when.weekday() < 5) == (9, 30, True)


def test_two_running_copies_run_each_due_job_once_and_hand_over_without_overlap(
    open_store: Callable[..., Store], schedulers: list[BotScheduler]
) -> None:
    """Real threads and the real clock: both copies keep their lease keepers running."""
    jobs = specs(interval=0.2)
    first = copy_of_the_bot(open_store(), "bot-a", schedulers, jobs=jobs, ttl=1.0)
    second = copy_of_the_bot(open_store(), "bot-b", schedulers, jobs=jobs, ttl=1.0)
    first.start()
    assert wait_until(lambda: first.leading, 5)
    second.start()
    both = False
    began = time.monotonic()
    while time.monotonic() - began < 2.0:
        both = both or (first.leading and second.leading)
        time.sleep(0.01)
    assert not both
    assert not second.leading
    runs_by_first = len(RUNS)
    assert 5 <= runs_by_first <= 16, RUNS  # about one run per 0.2 s, not two
    assert len({pool for pool, _ in RUNS}) == 1  # all by the leader's pool

    # The first copy dies without releasing its lease: the second takes over once it expires.
    first._stop.set()
    assert first._keeper is not None
    first._keeper.join(timeout=5)
    first._step_down()
    died = time.monotonic()
    assert wait_until(lambda: second.leading, 5)
    took_over = time.monotonic() - died
    assert 0.3 < took_over < 2.5, took_over  # after the lease ran out (1 s), within a renewal period
    assert wait_until(lambda: len({pool for pool, _ in RUNS}) == 2, 3)
    pools = [pool for pool, _ in RUNS]
    handover = pools.index(pools[-1])
    assert set(pools[:handover]) == {pools[0]}  # the first copy's runs all came before the second's
    assert set(pools[handover:]) == {pools[-1]}
    assert [job for job, _ in stored_jobs(open_store())] == ["reminders", "watch"]


# -- the jobs themselves ------------------------------------------------------------------------------


def test_the_stored_jobs_reach_the_running_bot(
    open_store: Callable[..., Store], schedulers: list[BotScheduler]
) -> None:
    followup = FakeFollowup()
    scheduler = BotScheduler(
        cast(FollowupService, followup),
        engine=open_store().engine,
        lease=Lease(lambda *_: False, lambda *_: None),  # never leads: only the jobs are tried here
        specs=specs(),
        holder="bot-a",
    )
    schedulers.append(scheduler)
    scheduler.start()
    assert run_watch() == "checked 2, announced 0"
    assert run_reminders() == "checked 1, announced 1"
    assert followup.calls == ["watch", "remind"]
    scheduler.stop()
    with pytest.raises(RuntimeError, match="no bot is running"):
        run_watch()


def test_run_job_runs_a_job_by_name() -> None:
    followup = FakeFollowup()
    assert str(run_job(cast(FollowupService, followup), "watch")) == "checked 2, announced 0"
    assert str(run_job(cast(FollowupService, followup), "reminders")) == "checked 1, announced 1"
    with pytest.raises(KeyError):
        run_job(cast(FollowupService, followup), "nothing")
    assert followup.calls == ["watch", "remind"]
