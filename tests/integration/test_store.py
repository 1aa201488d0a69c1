"""The SQLAlchemy store against real databases: SQLite always, PostgreSQL when
``SLACKBOT_TEST_DATABASE_URL`` is set (``.ci/run`` sets it; locally, for example
``export SLACKBOT_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test``).

Each PostgreSQL test gets a schema of its own, dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import bindparam, inspect, text
from sqlalchemy.engine import make_url

from slackbot.adapters.store import (
    Base,
    DuplicateHotfix,
    StaleHotfix,
    Store,
    UTCDateTime,
    include_name,
    normalise_url,
)
from slackbot.domain import hotfix as domain
from slackbot.domain.hotfix import AuditEntry, Hotfix, Kind, PinChange, PinField, PullRequestRef, Stage
from slackbot.migrations import alembic_config

T0 = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]

T = TypeVar("T")


class FakeClock:
    """A clock the test moves by hand; never sleeps."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def open_store(database_url: str, clock: FakeClock) -> Iterator[Callable[[], Store]]:
    """Open (and later close) more stores on the same database, as more copies of the bot would."""
    stores: list[Store] = []

    def make() -> Store:
        store = Store(database_url, clock=clock)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def store(open_store: Callable[[], Store]) -> Store:
    store = open_store()
    store.migrate()
    return store


def a_hotfix(ticket: str = "INC-123", **changes: Any) -> Hotfix:
    hotfix = Hotfix(
        ticket=ticket,
        kind=Kind.COMPONENT,
        environment="prod",
        component="jupyter_hub",
        repository="lscsde/iac-flux-jupyter",
        base_branch="release/0.2.105",
        branch=f"hotfix/{ticket}",
        started_by="U0ALICE",
        channel_id="C0INC123",
        summary="spawner times out",
        base_sha="a" * 40,
    )
    return replace(hotfix, **changes)


def a_full_hotfix() -> Hotfix:
    """Every field set to something other than its default."""
    return a_hotfix(
        stage=Stage.BACKMERGE_OPEN,
        thread_ts="1712345678.000100",
        pull=PullRequestRef(number=42, url="https://github.com/lscsde/iac-flux-jupyter/pull/42"),
        merge_sha="b" * 40,
        merged_at=T0 - timedelta(minutes=5),
        backmerge=PullRequestRef(number=43, url="https://github.com/lscsde/iac-flux-jupyter/pull/43"),
        rollout_environments=("prod", "stg"),
        summary="spawner times out — “quoted” ünïcode",
    )


def a_pin_hotfix(ticket: str = "INC-7") -> Hotfix:
    return a_hotfix(
        ticket,
        kind=Kind.PIN,
        component="jupyter_hub",
        repository="lscsde/flux-core",
        base_branch="prod",
        pin=PinChange(field=PinField.CHART, path="core/helm-config.yaml", old=None, new="3.2.2"),
    )


def in_threads(count: int, action: Callable[[int], T]) -> list[T | BaseException]:
    """Run ``action(i)`` in ``count`` threads released at the same moment; results or exceptions."""
    barrier = threading.Barrier(count)
    outcomes: list[T | BaseException] = [RuntimeError("did not run")] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = action(index)
        except BaseException as error:  # collected and asserted on by the test
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def stored_as(original: Hotfix, stored: Hotfix) -> Hotfix:
    """``original`` with the fields the store fills in taken from ``stored``."""
    return replace(original, id=stored.id, created_at=stored.created_at, updated_at=stored.updated_at)


# -- hot-fixes ----------------------------------------------------------------------------------


def test_add_returns_the_hotfix_with_id_and_times(store: Store) -> None:
    hotfix = a_full_hotfix()

    stored = store.add(hotfix)

    assert stored.id is not None
    assert stored.created_at == T0
    assert stored.updated_at == T0
    assert stored == stored_as(hotfix, stored)


@pytest.mark.parametrize("make", [a_full_hotfix, a_hotfix, a_pin_hotfix], ids=["full", "minimal", "pin"])
def test_every_field_round_trips(store: Store, make: Callable[[], Hotfix]) -> None:
    hotfix = make()
    stored = store.add(hotfix)
    assert stored.id is not None

    for read in (store.get(stored.id), *store.find(hotfix.ticket), *store.active(), *store.all()):
        assert read == stored_as(hotfix, stored)
        assert read is not None
        assert read.created_at is not None
        assert read.created_at.tzinfo is UTC
        assert read.updated_at is not None
        assert read.updated_at.tzinfo is UTC


def test_pin_change_with_an_old_value_round_trips(store: Store) -> None:
    pin = PinChange(
        field=PinField.IMAGE, path="core/image-config.yaml", old="repo/hub:1.0", new="repo/hub:1.1"
    )
    stored = store.add(replace(a_pin_hotfix(), pin=pin))
    assert stored.id is not None
    read = store.get(stored.id)
    assert read is not None
    assert read.pin == pin


def test_times_are_stored_as_utc_and_read_back_aware(store: Store) -> None:
    in_paris = datetime(2026, 3, 2, 11, 0, 0, 500, tzinfo=timezone(timedelta(hours=2)))
    stored = store.add(a_hotfix(created_at=in_paris))
    assert stored.id is not None

    read = store.get(stored.id)

    assert read is not None
    assert read.created_at == in_paris  # the same instant...
    assert read.created_at is not None
    assert read.created_at.tzinfo is UTC  # ...in UTC
    assert read.created_at.hour == 9


def test_a_naive_time_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        store.add(a_hotfix(created_at=datetime(2026, 3, 2, 9, 0)))  # naive: the point of the test
    assert store.all() == []
    with pytest.raises(ValueError, match="naive datetime"):
        store.audit(AuditEntry(actor="a", action="b", ticket="c", result="ok", at=datetime(2026, 1, 1)))
    assert store.audit_log() == []


def test_get_of_an_unknown_id_is_none(store: Store) -> None:
    assert store.get(999) is None


def test_find_ignores_case_and_by_default_finished_hotfixes(store: Store, clock: FakeClock) -> None:
    old = store.add(a_hotfix("INC-9"))
    cancelled = store.save(old.moved_to(Stage.CANCELLED))
    clock.advance(60)
    current = store.add(a_hotfix("INC-9"))

    assert store.find("inc-9") == [current]
    assert store.find("INC-9", active_only=False) == [cancelled, current]
    assert store.find("INC-10") == []


def test_active_is_oldest_first_and_skips_done_and_cancelled(store: Store, clock: FakeClock) -> None:
    first = store.add(a_hotfix("1"))
    clock.advance(1)
    done = store.add(a_pin_hotfix("2"))
    store.save(done.moved_to(Stage.DONE))
    clock.advance(1)
    third = store.add(a_hotfix("3", repository="lscsde/iac-flux-nginx"))

    assert store.active() == [first, third]


def test_all_is_newest_first_and_limited(store: Store, clock: FakeClock) -> None:
    added = []
    for number in range(5):
        added.append(store.add(a_hotfix(str(number))))
        clock.advance(1)

    assert [h.ticket for h in store.all()] == ["4", "3", "2", "1", "0"]
    assert [h.ticket for h in store.all(limit=2)] == ["4", "3"]


def test_an_active_hotfix_for_the_same_ticket_and_repository_is_a_duplicate(store: Store) -> None:
    existing = store.add(a_hotfix("INC-123"))

    with pytest.raises(DuplicateHotfix) as raised:
        store.add(a_hotfix("inc-123", summary="typed again, other case"))

    assert raised.value.existing == existing
    assert len(store.all()) == 1


def test_the_store_raises_the_domains_exceptions() -> None:
    assert DuplicateHotfix is domain.DuplicateHotfix
    assert StaleHotfix is domain.StaleHotfix


def test_the_same_ticket_in_another_repository_is_not_a_duplicate(store: Store) -> None:
    store.add(a_hotfix("INC-123"))
    other = store.add(a_hotfix("INC-123", repository="lscsde/iac-flux-nginx"))
    assert other.id is not None
    assert len(store.active()) == 2


@pytest.mark.parametrize("finished", [Stage.DONE, Stage.CANCELLED])
def test_a_finished_hotfix_does_not_block_a_new_one(store: Store, finished: Stage) -> None:
    first = store.add(a_hotfix())
    store.save(first.moved_to(finished))

    second = store.add(a_hotfix())

    assert second.id != first.id
    assert store.active() == [second]


def test_concurrent_adds_of_the_same_hotfix_store_exactly_one(store: Store) -> None:
    outcomes = in_threads(8, lambda i: store.add(a_hotfix(summary=f"attempt {i}")))

    winners = [o for o in outcomes if isinstance(o, Hotfix)]
    duplicates = [o for o in outcomes if isinstance(o, DuplicateHotfix)]
    assert len(winners) == 1, outcomes
    assert len(duplicates) == 7, outcomes
    assert all(d.existing == winners[0] for d in duplicates)
    assert store.active() == winners


def test_concurrent_adds_from_separate_stores_store_exactly_one(open_store: Callable[[], Store]) -> None:
    stores = [open_store() for _ in range(4)]
    stores[0].migrate()

    outcomes = in_threads(8, lambda i: stores[i % 4].add(a_hotfix()))

    assert sum(isinstance(o, Hotfix) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, DuplicateHotfix) for o in outcomes) == 7, outcomes


def test_save_writes_changes_and_moves_updated_at(store: Store, clock: FakeClock) -> None:
    stored = store.add(a_hotfix())
    clock.advance(5)
    pull = PullRequestRef(number=7, url="https://github.com/lscsde/iac-flux-jupyter/pull/7")

    saved = store.save(stored.moved_to(Stage.PR_OPEN, pull=pull, thread_ts="1.2"))

    assert saved.updated_at == T0 + timedelta(seconds=5)
    assert saved.created_at == stored.created_at
    assert saved.stage is Stage.PR_OPEN
    assert saved.pull == pull
    assert saved.id is not None
    assert store.get(saved.id) == saved


def test_save_of_a_stale_copy_is_refused(store: Store) -> None:
    stored = store.add(a_hotfix())
    store.save(stored.moved_to(Stage.BRANCHED))  # someone else saved first (same clock tick, too)

    with pytest.raises(StaleHotfix):
        store.save(stored.moved_to(Stage.CANCELLED))

    assert stored.id is not None
    current = store.get(stored.id)
    assert current is not None
    assert current.stage is Stage.BRANCHED
    assert store.save(current.moved_to(Stage.CANCELLED)).stage is Stage.CANCELLED  # re-read, then fine


def test_concurrent_saves_of_one_copy_let_exactly_one_win(store: Store) -> None:
    stored = store.add(a_hotfix())

    outcomes = in_threads(8, lambda i: store.save(replace(stored, summary=f"edit {i}")))

    winners = [o for o in outcomes if isinstance(o, Hotfix)]
    assert len(winners) == 1, outcomes
    assert sum(isinstance(o, StaleHotfix) for o in outcomes) == 7, outcomes
    assert stored.id is not None
    assert store.get(stored.id) == winners[0]


def test_save_of_a_hotfix_that_was_never_added_is_an_error(store: Store) -> None:
    with pytest.raises(ValueError, match="add"):
        store.save(a_hotfix())


def test_save_of_a_missing_hotfix_is_stale(store: Store) -> None:
    with pytest.raises(StaleHotfix):
        store.save(a_hotfix(id=404, created_at=T0, updated_at=T0))


def test_save_cannot_reopen_a_duplicate(store: Store) -> None:
    first = store.add(a_hotfix())
    cancelled = store.save(first.moved_to(Stage.CANCELLED))
    second = store.add(a_hotfix())

    with pytest.raises(DuplicateHotfix) as raised:
        store.save(replace(cancelled, stage=Stage.BRANCHED))

    assert raised.value.existing == second


def test_add_of_a_stored_hotfix_is_an_error(store: Store) -> None:
    stored = store.add(a_hotfix())
    with pytest.raises(ValueError, match="already stored"):
        store.add(stored)


# -- audit --------------------------------------------------------------------------------------


def test_audit_log_is_newest_first_and_filters_by_ticket(store: Store, clock: FakeClock) -> None:
    hotfix = store.add(a_hotfix("INC-1"))
    store.audit(AuditEntry(actor="U0ALICE", action="start", ticket="INC-1", result="ok", hotfix_id=hotfix.id))
    clock.advance(1)
    store.audit(AuditEntry(actor="U0BOB", action="start", ticket="INC-2", result="refused: not permitted"))
    clock.advance(1)
    store.audit(
        AuditEntry(actor="U0ALICE", action="pr", ticket="INC-1", result="failed: GitHub 502", detail="retry")
    )

    log = store.audit_log()
    assert [(e.action, e.ticket) for e in log] == [("pr", "INC-1"), ("start", "INC-2"), ("start", "INC-1")]
    assert log[0] == AuditEntry(
        actor="U0ALICE",
        action="pr",
        ticket="INC-1",
        result="failed: GitHub 502",
        detail="retry",
        at=T0 + timedelta(seconds=2),
    )
    assert log[2].hotfix_id == hotfix.id
    assert [e.action for e in store.audit_log(ticket="inc-1")] == ["pr", "start"]
    assert len(store.audit_log(limit=1)) == 1


def test_audit_keeps_the_time_it_is_given(store: Store) -> None:
    at = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    store.audit(AuditEntry(actor="cli:ops", action="cancel", ticket="9", result="ok", at=at))
    assert store.audit_log()[0].at == at


def test_audit_survives_the_failure_of_the_action(store: Store, open_store: Callable[[], Store]) -> None:
    store.add(a_hotfix("INC-5"))
    # The action fails (a duplicate); its audit entry names a hot-fix id that was never stored.
    with pytest.raises(DuplicateHotfix):
        store.add(a_hotfix("INC-5"))
    store.audit(
        AuditEntry(actor="U0BOB", action="start", ticket="INC-5", result="failed: duplicate", hotfix_id=999)
    )

    entries = open_store().audit_log(ticket="INC-5")  # another copy of the bot sees it: committed

    assert len(entries) == 1
    assert entries[0].result == "failed: duplicate"
    assert entries[0].hotfix_id is None
    assert "#999" in entries[0].detail


# -- key-value state ----------------------------------------------------------------------------


def test_state_get_and_put(store: Store) -> None:
    assert store.get_state("announced:1") is None
    store.put_state("announced:1", "merged")
    assert store.get_state("announced:1") == "merged"
    store.put_state("announced:1", "rolled-out:prod")
    assert store.get_state("announced:1") == "rolled-out:prod"
    assert store.get_state("announced:2") is None


def test_state_compare_and_set(store: Store) -> None:
    assert store.put_state_if("k", "one", expected=None) is True  # absent: set
    assert store.put_state_if("k", "two", expected=None) is False  # present: refused
    assert store.put_state_if("k", "two", expected="zero") is False  # wrong expectation
    assert store.get_state("k") == "one"
    assert store.put_state_if("k", "two", expected="one") is True
    assert store.get_state("k") == "two"
    assert store.put_state_if("missing", "x", expected="anything") is False
    assert store.get_state("missing") is None


def test_states_are_found_by_literal_key_and_value_prefixes(store: Store) -> None:
    store.put_state("announced:1:pr:2", "pending:2026-11-02T09:00:00+00:00\n{}")
    store.put_state("announced:1:merged", "2026-11-02T09:00:00+00:00")
    store.put_state("announced_%:1", "pending:x")  # _ and % are literal, not wildcards
    store.put_state("thread:1", "pending:y")

    found = store.states_with_prefix("announced:", "pending:")

    assert found == {"announced:1:pr:2": "pending:2026-11-02T09:00:00+00:00\n{}"}
    assert store.states_with_prefix("announced_", "") == {"announced_%:1": "pending:x"}


def test_concurrent_compare_and_set_lets_exactly_one_win(store: Store) -> None:
    created = in_threads(8, lambda i: store.put_state_if("snooze", f"by-{i}", expected=None))
    assert created.count(True) == 1, created
    value = store.get_state("snooze")

    changed = in_threads(8, lambda i: store.put_state_if("snooze", f"then-{i}", expected=value))
    assert changed.count(True) == 1, changed


# -- leases -------------------------------------------------------------------------------------


def test_lease_goes_to_one_holder_until_it_expires(open_store: Callable[[], Store], clock: FakeClock) -> None:
    first, second = open_store(), open_store()  # two copies of the bot
    first.migrate()

    assert first.acquire_lease("scheduler", "bot-a", ttl_seconds=30) is True
    assert second.acquire_lease("scheduler", "bot-b", ttl_seconds=30) is False
    assert second.lease_holder("scheduler") == "bot-a"

    clock.advance(20)
    assert first.acquire_lease("scheduler", "bot-a", ttl_seconds=30) is True  # renewed until t+50
    clock.advance(20)
    assert second.acquire_lease("scheduler", "bot-b", ttl_seconds=30) is False  # t+40: still a's

    clock.advance(11)  # t+51: a stopped renewing
    assert second.lease_holder("scheduler") is None
    assert second.acquire_lease("scheduler", "bot-b", ttl_seconds=30) is True
    assert first.acquire_lease("scheduler", "bot-a", ttl_seconds=30) is False
    assert first.lease_holder("scheduler") == "bot-b"


def test_lease_release(store: Store) -> None:
    assert store.acquire_lease("scheduler", "bot-a", ttl_seconds=60) is True
    store.release_lease("scheduler", "bot-b")  # not b's: nothing happens
    assert store.lease_holder("scheduler") == "bot-a"

    store.release_lease("scheduler", "bot-a")

    assert store.lease_holder("scheduler") is None
    assert store.acquire_lease("scheduler", "bot-b", ttl_seconds=60) is True
    store.release_lease("nothing-held", "bot-b")  # releasing a lease nobody has is fine


def test_leases_are_independent_by_name(store: Store) -> None:
    assert store.acquire_lease("scheduler", "bot-a", ttl_seconds=60) is True
    assert store.acquire_lease("reminders", "bot-b", ttl_seconds=60) is True
    assert store.lease_holder("scheduler") == "bot-a"
    assert store.lease_holder("reminders") == "bot-b"


def test_concurrent_lease_attempts_have_one_winner(open_store: Callable[[], Store]) -> None:
    stores = [open_store() for _ in range(4)]
    stores[0].migrate()

    outcomes = in_threads(8, lambda i: stores[i % 4].acquire_lease("scheduler", f"bot-{i}", 30))

    assert outcomes.count(True) == 1, outcomes
    assert stores[0].lease_holder("scheduler") == f"bot-{outcomes.index(True)}"


# -- migrations ---------------------------------------------------------------------------------

TABLES = {"hotfixes", "audit_log", "bot_state", "leases"}


def current_revision(store: Store) -> str | None:
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"migrations must have one head, not {heads}"
    return heads[0]


def test_migrate_creates_the_tables_at_head(store: Store) -> None:
    assert set(inspect(store.engine).get_table_names()) >= TABLES
    assert current_revision(store) == head_revision()


def test_migrate_again_is_a_no_op(store: Store) -> None:
    stored = store.add(a_full_hotfix())
    store.put_state("k", "v")

    store.migrate()
    store.migrate()

    assert store.all() == [stored]
    assert store.get_state("k") == "v"
    assert current_revision(store) == head_revision()


def test_migrate_from_several_threads_at_once(open_store: Callable[[], Store]) -> None:
    stores = [open_store() for _ in range(4)]

    outcomes = in_threads(4, lambda i: stores[i].migrate())

    assert outcomes == [None] * 4
    assert current_revision(stores[0]) == head_revision()
    assert stores[0].add(a_hotfix()).id is not None


def test_migrate_from_several_processes_at_once(database_url: str, open_store: Callable[[], Store]) -> None:
    start = time.time() + 3  # let every interpreter import first, then race
    script = (
        "import sys, time\n"
        "from slackbot.adapters.store import Store\n"
        "store = Store(sys.argv[1])\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "store.migrate()\n"
        "store.close()\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, database_url, str(start)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [process.communicate(timeout=120) for process in processes]

    for process, (_out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
    assert current_revision(open_store()) == head_revision()


def test_models_and_migrations_agree(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": include_name, "compare_type": True}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_alembic_check_from_the_command_line(store: Store, database_url: str) -> None:
    environment = {**os.environ, "SLACKBOT_DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "-m", "slackbot.migrations", "check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr


def test_downgrade_to_nothing_and_up_again(store: Store) -> None:
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "base")
    assert not TABLES & set(inspect(store.engine).get_table_names())

    store.migrate()

    assert store.add(a_hotfix()).id is not None


def test_upgrade_from_the_first_revision_keeps_what_was_stored(open_store: Callable[[], Store]) -> None:
    store = open_store()
    with store.engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), "0001")
        connection.execute(
            text(
                "INSERT INTO hotfixes (ticket, ticket_key, kind, environment, component, repository,"
                " base_branch, branch, started_by, channel_id, summary, stage, rollout_environments,"
                " version, created_at, updated_at) VALUES ('INC-1', 'inc-1', 'component', 'prod',"
                " 'jupyter_hub', 'lscsde/iac-flux-jupyter', 'release/0.2.105', 'hotfix/INC-1', 'U0ALICE',"
                " 'C0INC', '', 'merged', '[\"prod\"]', 1, :at, :at)"
            ).bindparams(bindparam("at", type_=UTCDateTime())),  # written as the store writes times
            {"at": datetime(2026, 3, 1, 8, 0, tzinfo=UTC)},
        )

    store.migrate()

    (old,) = store.all()
    assert (old.ticket, old.stage, old.merged_at, old.rollout_environments) == (
        "INC-1",
        Stage.MERGED,
        None,
        ("prod",),
    )
    assert old.created_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    saved = store.save(old.moved_to(Stage.MERGED, merged_at=T0))
    assert saved.merged_at == T0


def test_scheduler_job_table_lives_beside_ours(store: Store) -> None:
    """The next feature keeps APScheduler's jobs in this database; migrations must leave them be."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore  # noqa: PLC0415
    from apscheduler.schedulers.background import BackgroundScheduler  # noqa: PLC0415

    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(engine=store.engine)})
    scheduler.add_job(noop, "interval", minutes=1, id="progress", replace_existing=True)
    scheduler.start(paused=True)
    scheduler.shutdown(wait=False)

    assert "apscheduler_jobs" in inspect(store.engine).get_table_names()
    store.migrate()
    test_models_and_migrations_agree(store)
    assert "apscheduler_jobs" in inspect(store.engine).get_table_names()


def noop() -> None:
    """A job for the scheduler test (jobs must be importable by name)."""


# -- SQLite specifics ---------------------------------------------------------------------------


def test_sqlite_file_is_created_with_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "bot.db"
    with Store(f"sqlite:///{path}") as store:
        store.migrate()
        assert path.exists()
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_sqlite_in_memory_store_is_shared_between_threads() -> None:
    with Store("sqlite://") as store:
        store.migrate()

        outcomes = in_threads(8, lambda i: store.add(a_hotfix()))

        assert sum(isinstance(o, Hotfix) for o in outcomes) == 1, outcomes
        assert sum(isinstance(o, DuplicateHotfix) for o in outcomes) == 7, outcomes
        assert len(store.active()) == 1
        created = store.active()[0].created_at
        assert created is not None
        assert abs(created - datetime.now(UTC)) < timedelta(minutes=1)  # the real clock by default


def test_postgres_urls_mean_psycopg_3() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert make_url(str(normalise_url("sqlite:///x.db"))).drivername == "sqlite"
