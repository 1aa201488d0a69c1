"""The bot's database: hot-fixes, the audit trail, small key-value state and leases (SQLAlchemy 2).

This module is the :class:`Store`, the persistence adapter the rest of the bot talks to; the tables
are in :mod:`slackbot.adapters.db_schema`, connecting in :mod:`slackbot.adapters.db_engine` and
row conversion in :mod:`slackbot.adapters.db_rows`. SQLite by default (one file, WAL mode) and
PostgreSQL when a ``postgresql+psycopg://`` URL is given. The schema is versioned with Alembic
(``slackbot/migrations``); :meth:`Store.migrate` brings any database to the latest revision and is
safe to call at every start, from several processes at once. Every method runs in its own short
transaction, so one :class:`Store` can be shared by all threads. Uniqueness and compare-and-set
rules are enforced by the database itself (a partial unique index, ``UPDATE ... WHERE``,
``INSERT ... ON CONFLICT``), never by reading first and writing after, so two threads or two copies
of the bot cannot both win. Timestamps are timezone-aware UTC in both directions; a naive
``datetime`` is refused rather than guessed at.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import Engine, Result, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from slackbot.adapters.db_engine import create_store_engine, is_sqlite_memory, normalise_url
from slackbot.adapters.db_rows import (
    audit_entry_from_row,
    aware,
    fill_hotfix_row,
    hotfix_columns,
    hotfix_from_row,
    ticket_key,
)
from slackbot.adapters.db_schema import (
    INACTIVE_STAGES,
    AuditRow,
    Base,
    HotfixRow,
    LeaseRow,
    StateRow,
    UTCDateTime,
    include_name,
    lock_for_migration,
)
from slackbot.domain.hotfix import (
    AuditEntry,
    DuplicateHotfix,  # raised here; the domain's own classes, re-exported for callers of the store
    Hotfix,
    StaleHotfix,
)

__all__ = [  # the schema and URL names are re-exported for older importers of this module
    "Base",
    "DuplicateHotfix",
    "StaleHotfix",
    "Store",
    "UTCDateTime",
    "include_name",
    "lock_for_migration",
    "normalise_url",
]

_ADD_ATTEMPTS: Final = 5
_MIGRATING: Final = threading.Lock()


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Store:
    """The persistence adapter. Thread-safe; each method is one short transaction.

    ``clock`` (default: the wall clock in UTC) stamps ``created_at``/``updated_at``, audit entries
    without a time, state changes and lease expiry; tests pass a controllable one.
    """

    def __init__(self, url: str, *, echo: bool = False, clock: Callable[[], datetime] | None = None) -> None:
        parsed = normalise_url(url)
        self._clock = clock or _utcnow
        self._dialect = parsed.get_backend_name()
        # A private in-memory SQLite database is one connection shared by every thread; SQLite
        # can't run two transactions on one connection, so the store serialises its own use of it.
        self._serial: AbstractContextManager[Any] = nullcontext()
        if self._dialect == "sqlite" and is_sqlite_memory(parsed):
            self._serial = threading.RLock()
        self._engine = create_store_engine(parsed, echo=echo)
        # Writers on SQLite begin IMMEDIATE: they take the write lock up front (waiting up to the
        # busy timeout) instead of failing when a read transaction tries to become a write one.
        self._write_engine = self._engine.execution_options(sqlite_begin="IMMEDIATE")
        self._reads = sessionmaker(self._engine, expire_on_commit=False)
        self._writes = sessionmaker(self._write_engine, expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        """The engine, for APScheduler's ``SQLAlchemyJobStore`` (its table is ignored by migrations)."""
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def migrate(self) -> None:
        """Bring the schema to the latest revision (``alembic upgrade head``); a no-op when it is."""
        from alembic import command  # noqa: PLC0415 - only needed here, and alembic is slow to import

        from slackbot.migrations import alembic_config  # noqa: PLC0415 - it imports this module

        # Alembic's ``context`` and ``op`` are process-wide proxies: one migration at a time per
        # process, then one per database (the database's own lock) across processes.
        with _MIGRATING, self._serial, self._write_engine.begin() as connection:
            lock_for_migration(connection)
            command.upgrade(alembic_config(connection=connection), "head")

    def _now(self) -> datetime:
        now = aware(self._clock(), "the clock's time")
        return now.astimezone(UTC)

    @contextmanager
    def _session(self, *, write: bool) -> Iterator[Session]:
        with self._serial, (self._writes if write else self._reads).begin() as session:
            yield session

    # -- hot-fixes --------------------------------------------------------------------------------

    def add(self, hotfix: Hotfix) -> Hotfix:
        """Store a new hot-fix; :class:`DuplicateHotfix` when an active one has its ticket and repository."""
        if hotfix.id is not None:
            raise ValueError(f"hot-fix {hotfix.ticket} is already stored (#{hotfix.id})")
        for _ in range(_ADD_ATTEMPTS):
            now = self._now()
            row = HotfixRow(
                version=1, created_at=aware(hotfix.created_at, "created_at") or now, updated_at=now
            )
            fill_hotfix_row(row, hotfix)
            try:
                with self._session(write=True) as session:
                    session.add(row)
                    session.flush()
                    return hotfix_from_row(row)
            except IntegrityError as error:
                if not _is_unique_violation(error):
                    raise
                existing = self._active_for(hotfix.ticket, hotfix.repository)
                if existing is not None:
                    raise DuplicateHotfix(existing) from None
                # The hot-fix that was in the way finished in between: try again.
        raise RuntimeError(f"could not store hot-fix {hotfix.ticket}: it kept colliding with another")

    def _active_for(self, ticket: str, repository: str) -> Hotfix | None:
        with self._session(write=False) as session:
            row = session.scalars(
                select(HotfixRow).where(
                    HotfixRow.ticket_key == ticket_key(ticket),
                    HotfixRow.repository == repository,
                    HotfixRow.stage.not_in(INACTIVE_STAGES),
                )
            ).first()
            return None if row is None else hotfix_from_row(row)

    def get(self, hotfix_id: int) -> Hotfix | None:
        with self._session(write=False) as session:
            row = session.get(HotfixRow, hotfix_id)
            return None if row is None else hotfix_from_row(row)

    def find(self, ticket: str, *, active_only: bool = True) -> list[Hotfix]:
        """Hot-fixes for a ticket (case-insensitive), oldest first."""
        query = select(HotfixRow).where(HotfixRow.ticket_key == ticket_key(ticket))
        if active_only:
            query = query.where(HotfixRow.stage.not_in(INACTIVE_STAGES))
        return self._hotfixes(query.order_by(HotfixRow.created_at, HotfixRow.id))

    def active(self) -> list[Hotfix]:
        """Every hot-fix that is not done or cancelled, oldest first."""
        query = select(HotfixRow).where(HotfixRow.stage.not_in(INACTIVE_STAGES))
        return self._hotfixes(query.order_by(HotfixRow.created_at, HotfixRow.id))

    def all(self, *, limit: int = 100) -> list[Hotfix]:
        """The most recent hot-fixes in any stage, newest first."""
        query = select(HotfixRow).order_by(HotfixRow.created_at.desc(), HotfixRow.id.desc())
        return self._hotfixes(query.limit(limit))

    def _hotfixes(self, query: Any) -> list[Hotfix]:
        with self._session(write=False) as session:
            return [hotfix_from_row(row) for row in session.scalars(query)]

    def save(self, hotfix: Hotfix) -> Hotfix:
        """Write a changed hot-fix back, if nobody saved it since it was read (else :class:`StaleHotfix`).

        The hot-fix's ``updated_at`` is the version it was read at; the new one is strictly later.
        """
        if hotfix.id is None or hotfix.updated_at is None:
            raise ValueError(f"hot-fix {hotfix.ticket} was never stored: add() it first")
        seen = aware(hotfix.updated_at, "updated_at")
        aware(hotfix.created_at, "created_at")
        now = max(self._now(), seen + timedelta(microseconds=1))
        values = hotfix_columns(hotfix)
        values.pop("created_at", None)
        statement = (
            update(HotfixRow)
            .where(HotfixRow.id == hotfix.id, HotfixRow.updated_at == seen)
            .values(**values, version=HotfixRow.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        try:
            with self._session(write=True) as session:
                if _rowcount(session.execute(statement)) != 1:
                    raise StaleHotfix(
                        f"hot-fix {hotfix.ticket} (#{hotfix.id}) changed since it was read; read it again"
                    )
                row = session.get(HotfixRow, hotfix.id, populate_existing=True)
                if row is None:  # pragma: no cover - updated in this very transaction
                    raise StaleHotfix(f"hot-fix {hotfix.ticket} (#{hotfix.id}) vanished while saving")
                return hotfix_from_row(row)
        except IntegrityError:
            existing = self._active_for(hotfix.ticket, hotfix.repository)
            if existing is not None and existing.id != hotfix.id:
                raise DuplicateHotfix(existing) from None
            raise

    # -- audit ------------------------------------------------------------------------------------

    def audit(self, entry: AuditEntry) -> None:
        """Append to the audit log in a transaction of its own, so it stays even if the action fails.

        An entry naming a hot-fix that was never stored (its insert failed) is kept without the link.
        """
        row = AuditRow(
            at=aware(entry.at, "at") or self._now(),
            actor=entry.actor,
            action=entry.action,
            ticket=entry.ticket,
            hotfix_id=entry.hotfix_id,
            result=entry.result,
            detail=entry.detail,
        )
        try:
            with self._session(write=True) as session:
                session.add(row)
        except IntegrityError:
            if entry.hotfix_id is None:
                raise
            note = f"(hot-fix #{entry.hotfix_id} was not stored)"
            detail = f"{entry.detail} {note}" if entry.detail else note
            with self._session(write=True) as session:
                session.add(
                    AuditRow(
                        at=row.at,
                        actor=row.actor,
                        action=row.action,
                        ticket=row.ticket,
                        hotfix_id=None,
                        result=row.result,
                        detail=detail,
                    )
                )

    def audit_log(self, *, ticket: str | None = None, limit: int = 200) -> list[AuditEntry]:
        """Audit entries, newest first; for one ticket (case-insensitive) when given."""
        query = select(AuditRow)
        if ticket is not None:
            query = query.where(func.lower(AuditRow.ticket) == ticket.lower())
        query = query.order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
        with self._session(write=False) as session:
            return [audit_entry_from_row(row) for row in session.scalars(query)]

    def audit_trail(self, hotfix_id: int) -> list[AuditEntry]:
        """The audit entries of one hot-fix, oldest first (what its report is built from)."""
        query = (
            select(AuditRow)
            .where(AuditRow.hotfix_id == hotfix_id)
            .order_by(AuditRow.at, AuditRow.id)
            .limit(1000)  # a hot-fix has a handful; a bound all the same
        )
        with self._session(write=False) as session:
            return [audit_entry_from_row(row) for row in session.scalars(query)]

    # -- key-value state --------------------------------------------------------------------------

    def get_state(self, key: str) -> str | None:
        with self._session(write=False) as session:
            return session.scalar(select(StateRow.value).where(StateRow.key == key))

    def put_state(self, key: str, value: str) -> None:
        now = self._now()
        statement = self._insert(StateRow).values(key=key, value=value, updated_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=[StateRow.key], set_={"value": value, "updated_at": now}
        )
        with self._session(write=True) as session:
            session.execute(statement)

    def put_state_if(self, key: str, value: str, *, expected: str | None) -> bool:
        """Compare-and-set: write ``value`` only if the current value is ``expected`` (None: absent)."""
        now = self._now()
        statement: Any
        if expected is None:
            statement = (
                self._insert(StateRow)
                .values(key=key, value=value, updated_at=now)
                .on_conflict_do_nothing(index_elements=[StateRow.key])
                .returning(StateRow.key)
            )
        else:
            statement = (
                update(StateRow)
                .where(StateRow.key == key, StateRow.value == expected)
                .values(value=value, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        with self._session(write=True) as session:
            result = session.execute(statement)
            return (result.first() is not None) if expected is None else _rowcount(result) == 1

    def states_with_prefix(self, key_prefix: str, value_prefix: str) -> dict[str, str]:
        """Every key starting ``key_prefix`` whose value starts ``value_prefix`` (prefixes are literal)."""
        query = select(StateRow.key, StateRow.value).where(
            StateRow.key.startswith(key_prefix, autoescape=True),
            StateRow.value.startswith(value_prefix, autoescape=True),
        )
        with self._session(write=False) as session:
            return {row.key: row.value for row in session.execute(query)}

    def forget_states(self, key_prefix: str, updated_before: datetime) -> int:
        """Remove the keys starting ``key_prefix`` last written before ``updated_before``; how many."""
        statement = delete(StateRow).where(
            StateRow.key.startswith(key_prefix, autoescape=True), StateRow.updated_at < updated_before
        )
        with self._session(write=True) as session:
            return _rowcount(session.execute(statement))

    # -- leases -----------------------------------------------------------------------------------

    def acquire_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        """Take the lease if it is free, expired or already ours (which renews it). One statement."""
        now = self._now()
        expires_at = now + timedelta(seconds=ttl_seconds)
        table = LeaseRow.__table__
        statement = (
            self._insert(LeaseRow)
            .values(name=name, holder=holder, expires_at=expires_at)
            .on_conflict_do_update(
                index_elements=[LeaseRow.name],
                set_={"holder": holder, "expires_at": expires_at},
                where=(table.c.holder == holder) | (table.c.expires_at <= now),
            )
            .returning(LeaseRow.holder)  # a row only if this holder now has the lease
        )
        with self._session(write=True) as session:
            return session.execute(statement).first() is not None

    def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up, if ``holder`` has it (releasing someone else's is a no-op)."""
        statement = delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == holder)
        with self._session(write=True) as session:
            session.execute(statement.execution_options(synchronize_session=False))

    def ping(self) -> None:
        """Ask the database for nothing; raises when it does not answer (for readiness)."""
        with self._session(write=False) as session:
            session.execute(text("SELECT 1"))

    def open_by_stage(self) -> dict[str, int]:
        """How many active hot-fixes are at each stage (for the metrics)."""
        return dict(Counter(hotfix.stage.value for hotfix in self.active()))

    def lease_holder(self, name: str) -> str | None:
        """Who holds the lease now; None when it is free or has expired."""
        query = select(LeaseRow.holder).where(LeaseRow.name == name, LeaseRow.expires_at > self._now())
        with self._session(write=False) as session:
            return session.scalar(query)

    def _insert(self, model: type[Base]) -> Any:
        """``INSERT`` with the dialect's ``ON CONFLICT`` clauses (both dialects spell them alike)."""
        if self._dialect == "postgresql":
            return postgresql.insert(model)
        return sqlite.insert(model)


def _is_unique_violation(error: IntegrityError) -> bool:
    if getattr(error.orig, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return "UNIQUE constraint failed" in str(error.orig)  # SQLite


def _rowcount(result: Result[Any]) -> int:
    return cast("CursorResult[Any]", result).rowcount
