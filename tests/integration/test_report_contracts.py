"""What the hot-fix report reads, as the fakes and the real adapters both give it: a hot-fix's audit
trail (the fake database and SQLite), when a roll-out state was first recorded and whether news was
claimed (the ledger over either), and who merged a pull request and when it was opened (the fake
forge and the PyGithub adapter against the GitHub emulator, which answers as GitHub does)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from slackbot.adapters.github import GitHubForge, web_base_from_api
from slackbot.adapters.ledger import StateLedger
from slackbot.adapters.store import Store
from slackbot.domain.followup import RolloutState
from slackbot.domain.hotfix import AuditEntry
from slackbot.sandbox.github_emulator import GitHubEmulator
from slackbot.sandbox.github_emulator.merge import merge_pull_request
from slackbot.sandbox.world import World
from slackbot.services.ports import Forge
from tests.integration.test_contracts import JUPYTER, RELEASE, StoreWithState, a_hotfix
from tests.unit.fakes import FakeForge, FakeHotfixStore

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def fake_store(tmp_path: Path) -> Iterator[StoreWithState]:
    yield FakeHotfixStore()


def sqlite_store(tmp_path: Path) -> Iterator[StoreWithState]:
    store = Store(f"sqlite:///{tmp_path / 'state' / 'slackbot.db'}")
    store.migrate()
    yield store
    store.close()


@pytest.fixture(params=[fake_store, sqlite_store], ids=["fake", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreWithState]:
    yield from request.param(tmp_path)


def test_the_audit_trail_of_a_hotfix_is_its_own_entries_oldest_first(store: StoreWithState) -> None:
    first = store.add(a_hotfix("INC-1"))
    other = store.add(a_hotfix("INC-2"))
    assert first.id is not None
    assert other.id is not None
    entries = [
        AuditEntry("U0ALICE", "start", "INC-1", "ok", "branch cut", NOW, hotfix_id=first.id),
        AuditEntry("U0BOB", "start", "INC-2", "ok", "", NOW + timedelta(minutes=1), hotfix_id=other.id),
        AuditEntry("U0EVE", "pr", "INC-1", "refused: not here", "", NOW + timedelta(minutes=2)),  # no hot-fix
        AuditEntry("U0ALICE", "promote", "INC-1", "ok", "#8", NOW + timedelta(minutes=3), hotfix_id=first.id),
    ]
    for entry in entries:
        store.audit(entry)

    trail = store.audit_trail(first.id)

    assert [(e.action, e.actor, e.detail, e.at) for e in trail] == [
        ("start", "U0ALICE", "branch cut", NOW),
        ("promote", "U0ALICE", "#8", NOW + timedelta(minutes=3)),
    ]
    assert store.audit_trail(first.id + other.id + 100) == []


def test_a_rollout_state_is_stamped_when_first_recorded(store: StoreWithState) -> None:
    now = [NOW]
    ledger = StateLedger(store, clock=lambda: now[0])

    assert ledger.record_rollout(1, "prod", RolloutState.WAITING)
    now[0] += timedelta(minutes=4, seconds=12)
    assert ledger.record_rollout(1, "prod", RolloutState.ROLLED_OUT)
    now[0] += timedelta(minutes=1)
    assert not ledger.record_rollout(1, "prod", RolloutState.ROLLED_OUT)  # unchanged: not stamped again

    assert ledger.rollout_seen(1, "prod", RolloutState.WAITING) == NOW
    assert ledger.rollout_seen(1, "prod", RolloutState.ROLLED_OUT) == NOW + timedelta(minutes=4, seconds=12)
    assert ledger.rollout_seen(1, "stg", RolloutState.ROLLED_OUT) is None
    assert ledger.rollout_seen(2, "prod", RolloutState.ROLLED_OUT) is None


def test_a_rollout_recorded_by_an_older_version_reads_as_before_without_a_time(store: StoreWithState) -> None:
    store.put_state("rollout:1:stg", "rolled_out")  # the format older versions wrote, and still read
    ledger = StateLedger(store, clock=lambda: NOW)

    assert ledger.rollout(1, "stg") is RolloutState.ROLLED_OUT
    assert ledger.rollout_seen(1, "stg", RolloutState.ROLLED_OUT) is None
    assert ledger.record_rollout(1, "prod", RolloutState.FAILED)
    assert store.get_state("rollout:1:prod") == "failed"  # the state's own value keeps its format


def test_news_claimed_is_known_until_its_claim_is_released(store: StoreWithState) -> None:
    ledger = StateLedger(store)
    assert not ledger.announcement_claimed(1, "report")

    claim = ledger.claim_announcement(1, "report", NOW)
    assert claim is not None
    assert ledger.announcement_claimed(1, "report")
    assert not ledger.announcement_claimed(2, "report")
    ledger.release_announcement(1, "report", claim)  # the post failed

    assert not ledger.announcement_claimed(1, "report")


# -- who merged, and when it was opened ---------------------------------------------------------------


@dataclass
class Merging:
    """A forge, and a reviewer pressing its merge button as ``login``."""

    forge: Forge
    merge: Callable[[int, str], None]


def fake_forge(request: pytest.FixtureRequest) -> Iterator[Merging]:
    forge = FakeForge(clock=lambda: datetime.now(UTC))
    forge.add_branch(JUPYTER, "main", "f" * 40)
    forge.add_branch(JUPYTER, RELEASE, "e" * 40, {"values/hub.yaml": "hub: {}\n"})
    forge.history[(JUPYTER, RELEASE)] = ["f" * 40, "e" * 40]

    def merge(number: int, login: str) -> None:
        forge.merge(JUPYTER, number, merged_by=login)

    yield Merging(forge, merge)


def emulated_forge(request: pytest.FixtureRequest) -> Iterator[Merging]:
    emulator: GitHubEmulator = request.getfixturevalue("github_emulator")
    world: World = request.getfixturevalue("sandbox_world")
    factory = request.getfixturevalue("github_factory")
    forge = GitHubForge(lambda: factory(lazy=True), web_base=web_base_from_api(emulator.base_url))
    repo_dir = world.repo_dir(JUPYTER)

    def merge(number: int, login: str) -> None:
        merge_pull_request(repo_dir, number, merged_by=login)  # the button, as the emulator's PUT .../merge

    yield Merging(forge, merge)
    forge.close()


@pytest.fixture(params=[fake_forge, emulated_forge], ids=["fake", "github-emulator"])
def github(request: pytest.FixtureRequest) -> Iterator[Merging]:
    yield from request.param(request)


def test_a_merged_pull_request_says_who_merged_it_and_when_it_was_opened(github: Merging) -> None:
    forge = github.forge
    head = forge.branch_head(JUPYTER, RELEASE).sha
    assert forge.create_branch(JUPYTER, "hotfix/INC-1", head)
    current = forge.read_file(JUPYTER, "values/hub.yaml", "hotfix/INC-1")
    assert current is not None
    forge.commit_file(
        JUPYTER,
        "hotfix/INC-1",
        "values/hub.yaml",
        "hub: {timeout: 90}\n",
        message="Fix",
        replaces=current.sha,
    )
    opened = forge.open_pull(JUPYTER, "hotfix/INC-1", RELEASE, "INC-1: fix", "")
    assert (opened.merged_by, opened.merged_at) == (None, None)
    assert opened.created_at is not None

    github.merge(opened.number, "carol")
    merged = forge.pull(JUPYTER, opened.number)

    assert (merged.merged, merged.merged_by) == (True, "carol")
    assert merged.created_at == opened.created_at
    assert merged.merged_at is not None
    assert merged.merged_at >= opened.created_at - timedelta(seconds=1)  # GitHub's times are whole seconds
