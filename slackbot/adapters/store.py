"""The bot's database: hot-fixes, the audit trail, small key-value state and leases (SQLAlchemy 2).

SQLite by default (one file, WAL mode) and PostgreSQL when a ``postgresql+psycopg://`` URL is given.
The schema is versioned with Alembic (``slackbot/migrations``); :meth:`Store.migrate` brings any
database to the latest revision and is safe to call at every start, from several processes at once.

Every method runs in its own short transaction, so one :class:`Store` can be shared by all threads.
Uniqueness and compare-and-set rules are enforced by the database itself (a partial unique index,
``UPDATE ... WHERE``, ``INSERT ... ON CONFLICT``), never by reading first and writing after, so two
threads or two copies of the bot cannot both win.

Timestamps are timezone-aware UTC in both directions; a naive ``datetime`` is refused rather than
guessed at.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, cast, overload

from sqlalchemy import (
    Connection,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Result,
    String,
    Text,
    create_engine,
    delete,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, CursorResult, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from slackbot.domain.hotfix import (
    AuditEntry,
    DuplicateHotfix,  # raised here; the domain's own classes, re-exported for callers of the store
    Hotfix,
    Kind,
    PinChange,
    PinField,
    PullRequestRef,
    Stage,
    StaleHotfix,
)

__all__ = [
    "Base",
    "DuplicateHotfix",
    "StaleHotfix",
    "Store",
    "include_name",
    "lock_for_migration",
    "normalise_url",
]

# How long a SQLite connection waits for another writer before giving up ("database is locked").
SQLITE_BUSY_TIMEOUT_MS: Final = 30_000
# pg_advisory_xact_lock key serialising migrations across processes: b"slackbot" as a 64-bit number.
MIGRATION_LOCK_KEY: Final = 0x736C_6163_6B62_6F74
# The stages in which a hot-fix no longer blocks a new one for the same ticket and repository.
INACTIVE_STAGES: Final = (Stage.DONE.value, Stage.CANCELLED.value)
_ACTIVE_WHERE: Final = "stage NOT IN ('done', 'cancelled')"
_ADD_ATTEMPTS: Final = 5
_MIGRATING: Final = threading.Lock()


# -- schema -------------------------------------------------------------------------------------


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC ``datetime``: stored as UTC, read back aware (SQLite returns naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing a naive datetime ({value.isoformat()}): use an aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime(), str: String()}  # noqa: RUF012


class HotfixRow(Base):
    __tablename__ = "hotfixes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket: Mapped[str]
    ticket_key: Mapped[str] = mapped_column(index=True)  # lower-cased ticket: the uniqueness key
    kind: Mapped[str]
    environment: Mapped[str]
    component: Mapped[str]
    repository: Mapped[str]
    base_branch: Mapped[str]
    branch: Mapped[str]
    started_by: Mapped[str]
    channel_id: Mapped[str]
    summary: Mapped[str] = mapped_column(Text)
    base_sha: Mapped[str | None]
    stage: Mapped[str]
    thread_ts: Mapped[str | None]
    pull_number: Mapped[int | None]
    pull_url: Mapped[str | None]
    merge_sha: Mapped[str | None]
    merged_at: Mapped[datetime | None]  # revision 0002
    backmerge_number: Mapped[int | None]
    backmerge_url: Mapped[str | None]
    rollout_environments: Mapped[str] = mapped_column(Text)  # a JSON list of environment names
    pin_field: Mapped[str | None]
    pin_path: Mapped[str | None]
    pin_old: Mapped[str | None] = mapped_column(Text)
    pin_new: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        # One active hot-fix per ticket and repository. Partial, so finished ones don't block.
        Index(
            "uq_hotfixes_active_ticket",
            "ticket_key",
            "repository",
            unique=True,
            sqlite_where=text(_ACTIVE_WHERE),
            postgresql_where=text(_ACTIVE_WHERE),
        ),
        Index("ix_hotfixes_stage", "stage"),
    )


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str]
    action: Mapped[str]
    ticket: Mapped[str] = mapped_column(index=True)
    hotfix_id: Mapped[int | None] = mapped_column(ForeignKey("hotfixes.id", ondelete="SET NULL"))
    result: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)


class StateRow(Base):
    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class LeaseRow(Base):
    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(primary_key=True)
    holder: Mapped[str]
    expires_at: Mapped[datetime]


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic filter: compare and migrate only our own tables.

    The database also holds ``alembic_version`` and APScheduler's ``apscheduler_jobs``; without this
    filter autogenerate would propose dropping them."""
    if type_ == "table":
        return name in Base.metadata.tables
    return True


def lock_for_migration(connection: Connection) -> None:
    """Serialise migrations across processes, inside the migration's transaction.

    PostgreSQL: a transaction-scoped advisory lock (released at commit or rollback). SQLite: the
    transaction was begun ``IMMEDIATE`` (see :class:`Store`), which already holds the write lock.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


# -- the store ----------------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(UTC)


def normalise_url(url: str | URL) -> URL:
    """``postgres://`` and ``postgresql://`` mean psycopg 3 here (psycopg2 is not a dependency)."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _is_sqlite_memory(url: URL) -> bool:
    database = url.database or ""
    return database in {"", ":memory:"} or url.query.get("mode") == "memory"


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
        options: dict[str, Any] = {"echo": echo}
        if self._dialect == "sqlite":
            options["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            if _is_sqlite_memory(parsed):
                options["poolclass"] = StaticPool
                self._serial = threading.RLock()
            elif parsed.database and not parsed.query.get("uri"):
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        else:
            options["pool_pre_ping"] = True
        self._engine = create_engine(parsed, **options)
        if self._dialect == "sqlite":
            _configure_sqlite(self._engine)
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
        now = _aware(self._clock(), "the clock's time")
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
                version=1, created_at=_aware(hotfix.created_at, "created_at") or now, updated_at=now
            )
            _fill(row, hotfix)
            try:
                with self._session(write=True) as session:
                    session.add(row)
                    session.flush()
                    return _hotfix(row)
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
                    HotfixRow.ticket_key == _ticket_key(ticket),
                    HotfixRow.repository == repository,
                    HotfixRow.stage.not_in(INACTIVE_STAGES),
                )
            ).first()
            return None if row is None else _hotfix(row)

    def get(self, hotfix_id: int) -> Hotfix | None:
        with self._session(write=False) as session:
            row = session.get(HotfixRow, hotfix_id)
            return None if row is None else _hotfix(row)

    def find(self, ticket: str, *, active_only: bool = True) -> list[Hotfix]:
        """Hot-fixes for a ticket (case-insensitive), oldest first."""
        query = select(HotfixRow).where(HotfixRow.ticket_key == _ticket_key(ticket))
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
            return [_hotfix(row) for row in session.scalars(query)]

    def save(self, hotfix: Hotfix) -> Hotfix:
        """Write a changed hot-fix back, if nobody saved it since it was read (else :class:`StaleHotfix`).

        The hot-fix's ``updated_at`` is the version it was read at; the new one is strictly later.
        """
        if hotfix.id is None or hotfix.updated_at is None:
            raise ValueError(f"hot-fix {hotfix.ticket} was never stored: add() it first")
        seen = _aware(hotfix.updated_at, "updated_at")
        _aware(hotfix.created_at, "created_at")
        now = max(self._now(), seen + timedelta(microseconds=1))
        values = _columns(hotfix)
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
                return _hotfix(row)
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
            at=_aware(entry.at, "at") or self._now(),
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
            return [
                AuditEntry(
                    actor=row.actor,
                    action=row.action,
                    ticket=row.ticket,
                    result=row.result,
                    detail=row.detail,
                    at=row.at,
                    hotfix_id=row.hotfix_id,
                )
                for row in session.scalars(query)
            ]

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


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        # Let SQLAlchemy emit BEGIN (below) instead of the sqlite3 module's legacy transaction
        # control, which skips BEGIN before DDL and SELECT (so migrations weren't transactional).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")  # readers never block the writer, nor it them
            cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough with WAL, much faster
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


@overload
def _aware(value: datetime, what: str) -> datetime: ...
@overload
def _aware(value: None, what: str) -> None: ...
def _aware(value: datetime | None, what: str) -> datetime | None:
    """Refuse naive times up front (with a plain ValueError, not a wrapped driver error)."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{what} is a naive datetime ({value.isoformat()}): use an aware UTC time")
    return value


def _is_unique_violation(error: IntegrityError) -> bool:
    if getattr(error.orig, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return "UNIQUE constraint failed" in str(error.orig)  # SQLite


def _rowcount(result: Result[Any]) -> int:
    return cast("CursorResult[Any]", result).rowcount


def _ticket_key(ticket: str) -> str:
    return ticket.strip().lower()


def _columns(hotfix: Hotfix) -> dict[str, Any]:
    pin = hotfix.pin
    return {
        "ticket": hotfix.ticket,
        "ticket_key": _ticket_key(hotfix.ticket),
        "kind": hotfix.kind.value,
        "environment": hotfix.environment,
        "component": hotfix.component,
        "repository": hotfix.repository,
        "base_branch": hotfix.base_branch,
        "branch": hotfix.branch,
        "started_by": hotfix.started_by,
        "channel_id": hotfix.channel_id,
        "summary": hotfix.summary,
        "base_sha": hotfix.base_sha,
        "stage": hotfix.stage.value,
        "thread_ts": hotfix.thread_ts,
        "pull_number": hotfix.pull.number if hotfix.pull else None,
        "pull_url": hotfix.pull.url if hotfix.pull else None,
        "merge_sha": hotfix.merge_sha,
        "merged_at": _aware(hotfix.merged_at, "merged_at"),
        "backmerge_number": hotfix.backmerge.number if hotfix.backmerge else None,
        "backmerge_url": hotfix.backmerge.url if hotfix.backmerge else None,
        "rollout_environments": json.dumps(list(hotfix.rollout_environments)),
        "pin_field": pin.field.value if pin else None,
        "pin_path": pin.path if pin else None,
        "pin_old": pin.old if pin else None,
        "pin_new": pin.new if pin else None,
        "created_at": hotfix.created_at,
    }


def _fill(row: HotfixRow, hotfix: Hotfix) -> None:
    for name, value in _columns(hotfix).items():
        if name != "created_at":
            setattr(row, name, value)


def _pull(number: int | None, url: str | None) -> PullRequestRef | None:
    return None if number is None else PullRequestRef(number=number, url=url or "")


def _hotfix(row: HotfixRow) -> Hotfix:
    pin = None
    if row.pin_field is not None:
        pin = PinChange(
            field=PinField(row.pin_field), path=row.pin_path or "", old=row.pin_old, new=row.pin_new or ""
        )
    return Hotfix(
        ticket=row.ticket,
        kind=Kind(row.kind),
        environment=row.environment,
        component=row.component,
        repository=row.repository,
        base_branch=row.base_branch,
        branch=row.branch,
        started_by=row.started_by,
        channel_id=row.channel_id,
        summary=row.summary,
        base_sha=row.base_sha,
        stage=Stage(row.stage),
        thread_ts=row.thread_ts,
        pull=_pull(row.pull_number, row.pull_url),
        merge_sha=row.merge_sha,
        merged_at=row.merged_at,
        backmerge=_pull(row.backmerge_number, row.backmerge_url),
        rollout_environments=tuple(json.loads(row.rollout_environments)),
        pin=pin,
        id=row.id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
