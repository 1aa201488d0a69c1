"""How the store connects: database URLs, and an SQLAlchemy engine set up for each dialect.

``postgres://`` and ``postgresql://`` URLs are read as psycopg 3 (:func:`normalise_url`).
:func:`create_store_engine` builds the engine: for PostgreSQL a pre-pinged pool; for SQLite one
shared connection when the database is in memory, the file's folder created otherwise, and every
connection configured by :func:`configure_sqlite` (WAL, a busy timeout, foreign keys, and ``BEGIN``
issued by SQLAlchemy in the mode a connection's ``sqlite_begin`` execution option asks for). What
runs on the engine is :mod:`slackbot.adapters.store`'s business.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "configure_sqlite",
    "create_store_engine",
    "is_sqlite_memory",
    "normalise_url",
]

# How long a SQLite connection waits for another writer before giving up ("database is locked").
SQLITE_BUSY_TIMEOUT_MS: Final = 30_000


def normalise_url(url: str | URL) -> URL:
    """``postgres://`` and ``postgresql://`` mean psycopg 3 here (psycopg2 is not a dependency)."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def is_sqlite_memory(url: URL) -> bool:
    """Whether a SQLite URL names a private in-memory database rather than a file."""
    database = url.database or ""
    return database in {"", ":memory:"} or url.query.get("mode") == "memory"


def create_store_engine(url: URL, *, echo: bool = False) -> Engine:
    """The engine for ``url`` (already normalised), configured for its dialect.

    A private in-memory SQLite database is one connection shared by every thread (SQLite can't run
    two transactions on it at once, so its user must serialise them).
    """
    sqlite = url.get_backend_name() == "sqlite"
    options: dict[str, Any] = {"echo": echo}
    if sqlite:
        options["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        if is_sqlite_memory(url):
            options["poolclass"] = StaticPool
        elif url.database and not url.query.get("uri"):
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    else:
        options["pool_pre_ping"] = True
    engine = create_engine(url, **options)
    if sqlite:
        configure_sqlite(engine)
    return engine


def configure_sqlite(engine: Engine) -> None:
    """Set every new connection's pragmas, and begin transactions as ``sqlite_begin`` asks."""

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
