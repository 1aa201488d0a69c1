"""Pin hot-fixes of several pins in the real databases (SQLite, and PostgreSQL when
``SLACKBOT_TEST_DATABASE_URL`` is set): the round trip, and revision 0003 keeping every row
written before it a one-pin hot-fix as it was."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import bindparam, inspect, text

from slackbot.adapters.store import Store, UTCDateTime
from slackbot.domain.hotfix import Hotfix, Kind, PinChange, PinField, Stage
from slackbot.migrations import alembic_config

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
BRANCH = PinChange(PinField.BRANCH, "core/flux-config.yaml", "release/0.1.40", "release/0.1.41")
CHART = PinChange(PinField.CHART, "core/helm-config.yaml", "v1.14.2", "v1.14.4")
IMAGE = PinChange(PinField.IMAGE, "core/image-config.yaml", None, "quay.io/jetstack/cert-manager:1.14.4")


@pytest.fixture
def open_store(database_url: str) -> Iterator[Callable[[], Store]]:
    stores: list[Store] = []

    def make() -> Store:
        store = Store(database_url, clock=lambda: AT)
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


def a_pin_hotfix(*pins: PinChange, ticket: str = "INC-9") -> Hotfix:
    return Hotfix(
        ticket=ticket,
        kind=Kind.PIN,
        environment="prod",
        component="cert_manager",
        repository="lsc-sde/iac-flux-lscsde",
        base_branch="prod",
        branch=f"hotfix/{ticket}",
        started_by="U0ALICE",
        channel_id="C0INC9",
        summary="Make prod like stg",
        base_sha="a" * 40,
        rollout_environments=("prod",),
    ).with_pins(pins)


def pin_more_column(store: Store, hotfix_id: int) -> str | None:
    with store.engine.connect() as connection:
        stored: str | None = connection.execute(
            text("SELECT pin_more FROM hotfixes WHERE id = :id"), {"id": hotfix_id}
        ).scalar_one()
    return stored


def test_several_pins_round_trip_in_order(store: Store) -> None:
    stored = store.add(a_pin_hotfix(BRANCH, CHART, IMAGE))
    assert stored.id is not None

    for read in (store.get(stored.id), *store.find("INC-9"), *store.active(), *store.all()):
        assert read is not None
        assert read.pins == (BRANCH, CHART, IMAGE)
        assert read == stored
    assert json.loads(pin_more_column(store, stored.id) or "") == [
        {"field": "chart", "path": "core/helm-config.yaml", "old": "v1.14.2", "new": "v1.14.4"},
        {
            "field": "image",
            "path": "core/image-config.yaml",
            "old": None,
            "new": "quay.io/jetstack/cert-manager:1.14.4",
        },
    ]


def test_one_pin_is_stored_as_it_always_was(store: Store) -> None:
    stored = store.add(a_pin_hotfix(CHART))
    assert stored.id is not None

    assert pin_more_column(store, stored.id) is None
    with store.engine.connect() as connection:
        row = connection.execute(
            text("SELECT pin_field, pin_path, pin_old, pin_new FROM hotfixes WHERE id = :id"),
            {"id": stored.id},
        ).one()
    assert tuple(row) == ("chart", "core/helm-config.yaml", "v1.14.2", "v1.14.4")
    read = store.get(stored.id)
    assert read is not None
    assert (read.pin, read.more_pins) == (CHART, ())


def test_saving_keeps_every_pin(store: Store) -> None:
    stored = store.add(a_pin_hotfix(BRANCH, IMAGE))

    saved = store.save(stored.moved_to(Stage.PR_OPEN))

    assert saved.pins == (BRANCH, IMAGE)
    assert saved.id is not None
    assert store.get(saved.id) == saved


def test_rows_from_before_revision_0003_read_as_one_pin_hotfixes(open_store: Callable[[], Store]) -> None:
    store = open_store()
    with store.engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), "0002")
        assert "pin_more" not in {c["name"] for c in inspect(connection).get_columns("hotfixes")}
        connection.execute(
            text(
                "INSERT INTO hotfixes (ticket, ticket_key, kind, environment, component, repository,"
                " base_branch, branch, started_by, channel_id, summary, stage, rollout_environments,"
                " pin_field, pin_path, pin_old, pin_new, version, created_at, updated_at) VALUES"
                " ('INC-1', 'inc-1', 'pin', 'prod', 'jupyter_hub', 'lsc-sde/iac-flux-lscsde', 'prod',"
                " 'hotfix/INC-1', 'U0ALICE', 'C0INC', '', 'pr_open', '[\"prod\"]', 'chart',"
                " 'core/helm-config.yaml', '3.2.1', '3.2.2', 1, :at, :at)"
            ).bindparams(bindparam("at", type_=UTCDateTime())),
            {"at": AT},
        )

    store.migrate()

    (old,) = store.all()
    assert old.pin == PinChange(PinField.CHART, "core/helm-config.yaml", "3.2.1", "3.2.2")
    assert old.more_pins == ()
    assert old.stage is Stage.PR_OPEN
    several = store.add(a_pin_hotfix(BRANCH, CHART, ticket="INC-2"))
    assert several.id is not None
    assert store.get(several.id) == several


def test_downgrading_0003_keeps_each_hotfix_and_its_first_pin(store: Store) -> None:
    stored = store.add(a_pin_hotfix(BRANCH, CHART, IMAGE))
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "0002")
        columns = {c["name"] for c in inspect(connection).get_columns("hotfixes")}
        first = connection.execute(text("SELECT ticket, pin_field, pin_new FROM hotfixes")).one()
    assert "pin_more" not in columns
    assert tuple(first) == ("INC-9", "branch", "release/0.1.41")

    store.migrate()

    (read,) = store.all()
    assert read == replace(stored, more_pins=())  # what a downgraded bot kept: the first pin
