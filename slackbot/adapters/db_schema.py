"""The database's tables as SQLAlchemy 2 models, and the hooks Alembic migrates them with.

This module only describes the schema: the hot-fix, audit-log, key-value state and lease tables
(:class:`HotfixRow`, :class:`AuditRow`, :class:`StateRow`, :class:`LeaseRow`) on one
:class:`Base` with a fixed constraint naming convention, the :class:`UTCDateTime` column type that
keeps every timestamp timezone-aware UTC, and the two functions the migrations use:
:func:`include_name` (compare and migrate only these tables) and :func:`lock_for_migration` (one
migration at a time per database). It never opens a connection of its own; reading and writing
rows is :mod:`slackbot.adapters.store`'s job, and the history of the schema is
``slackbot/migrations``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from sqlalchemy import (
    Connection,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from slackbot.domain.hotfix import Stage

__all__ = [
    "INACTIVE_STAGES",
    "MIGRATION_LOCK_KEY",
    "AuditRow",
    "Base",
    "HotfixRow",
    "LeaseRow",
    "StateRow",
    "UTCDateTime",
    "include_name",
    "lock_for_migration",
]

# pg_advisory_xact_lock key serialising migrations across processes: b"slackbot" as a 64-bit number.
MIGRATION_LOCK_KEY: Final = 0x736C_6163_6B62_6F74
# The stages in which a hot-fix no longer blocks a new one for the same ticket and repository.
INACTIVE_STAGES: Final = (Stage.DONE.value, Stage.CANCELLED.value)
_ACTIVE_WHERE: Final = "stage NOT IN ('done', 'cancelled')"


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
    # revision 0003: a hot-fix's further pins (the first stays in pin_*), a JSON list of
    # {"field", "path", "old", "new"}; NULL for none, as in every row written before it.
    pin_more: Mapped[str | None] = mapped_column(Text)
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
    transaction was begun ``IMMEDIATE`` (see :class:`slackbot.adapters.store.Store`), which already
    holds the write lock.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
