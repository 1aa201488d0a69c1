"""The changes of an environment's pins in a window: what is read, and what the answer holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from slackbot.domain.core_files import ComponentSpec, CorePaths
from slackbot.domain.errors import NotFound
from slackbot.domain.names import UnknownName
from slackbot.domain.pin_history import Change, PinChange
from slackbot.domain.versions_commands import ChangesQuery
from slackbot.services.pin_changes import PinChanges
from slackbot.services.versions import EnvironmentSpec, VersionService
from tests.unit.fakes import FakeSource

CORE = "lsc-sde/iac-flux-lscsde"
PATHS = CorePaths()
NOW = datetime(2024, 11, 8, 12, 0, tzinfo=UTC)
ALIASES = {"prod": ("production",)}
CATALOG = {"jupyter_hub": ComponentSpec("jupyter_hub"), "keycloak": ComponentSpec("keycloak")}


def helm(jupyter: str, keycloak: str = "2.4.0") -> str:
    return f'components:\n  jupyter_hub:\n    chart_version: "{jupyter}"\n  keycloak:\n    chart_version: "{keycloak}"\n'


def flux(jupyter: str) -> str:
    return f"components:\n  jupyter_hub:\n    repository:\n      branch: {jupyter}\n"


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture
def source() -> FakeSource:
    """prod: seeded long ago, then four commits in the last week (one only a comment)."""
    fake = FakeSource()
    start = {PATHS.flux: flux("release/0.2.104"), PATHS.helm: helm("3.2.0"), "README.md": "core\n"}
    fake.add_commit(CORE, "prod", start, date=days_ago(200), message="Production configuration")
    fake.add_commit(
        CORE, "prod", {PATHS.helm: helm("3.2.1")}, date=days_ago(6), author="Priya", message="Chart"
    )
    fake.add_commit(CORE, "prod", {"README.md": "docs\n"}, date=days_ago(5), message="Docs only")
    fake.add_commit(CORE, "prod", {PATHS.helm: "# ok\n" + helm("3.2.1")}, date=days_ago(4), message="Comment")
    fake.add_commit(
        CORE,
        "prod",
        {PATHS.flux: flux("release/0.2.105"), PATHS.helm: helm("3.2.1", keycloak="2.4.1")},
        date=days_ago(1),
        author="Tom",
        message="Move jupyter_hub to 0.2.105",
    )
    fake.add_commit(CORE, "dev", start, date=days_ago(30), message="Development configuration")
    return fake


def service(
    source: FakeSource, *, limit: int = 30, branches: tuple[str, ...] = ("prod", "dev")
) -> PinChanges:
    environments = {name: EnvironmentSpec(name, name, aliases=ALIASES.get(name, ())) for name in branches}
    names = VersionService(
        source, core_repository=CORE, environments=environments, catalog=CATALOG, paths=PATHS
    )
    return PinChanges(
        source,
        core_repository=CORE,
        branches={name: name for name in branches},
        catalog=CATALOG,
        paths=PATHS,
        clock=lambda: NOW,
        names=names,
        limit=limit,
    )


def test_the_changes_of_the_week_come_newest_first_with_who_and_what(source: FakeSource) -> None:
    answer = service(source).changes("prod", None, timedelta(days=7))
    assert [c.commit.title for c in answer.commits] == ["Move jupyter_hub to 0.2.105", "Chart"]
    newest, oldest = answer.commits
    assert newest.commit.author == "Tom"
    assert newest.changes == (
        PinChange("jupyter_hub", "branch", "release/0.2.104", "release/0.2.105"),
        PinChange("keycloak", "chart_version", "2.4.0", "2.4.1"),
    )
    assert oldest.changes == (PinChange("jupyter_hub", "chart_version", "3.2.0", "3.2.1"),)
    assert answer.unchanged == 1  # the comment; the docs commit never touched a core file
    assert (answer.since, answer.more, answer.earlier) == (days_ago(7), False, ())
    assert answer.branch_url == f"https://forge.test/{CORE}/tree/prod"


def test_only_the_files_each_commit_touched_are_read_at_it_and_its_parent(source: FakeSource) -> None:
    service(source).changes("prod", None, timedelta(days=7))
    [(_, branch, paths, since)] = source.listings
    assert (branch, since) == ("prod", days_ago(7))
    assert set(paths) == {PATHS.flux, PATHS.helm, PATHS.image, PATHS.legacy, *PATHS.releases}
    read = {(sha, path) for _, sha, path in source.commit_reads}
    assert len(read) == len(source.commit_reads)  # nothing asked twice
    assert {path for _, path in read} == {PATHS.flux, PATHS.helm}
    assert len(read) == 7  # helm at 3 commits and their parents (2 shared), flux at the newest and its parent


def test_one_component_narrows_the_answer_and_leaves_core_charts_out(source: FakeSource) -> None:
    answer = service(source).changes("prod", "keycloak", timedelta(days=7))
    [only] = answer.commits
    assert only.changes == (PinChange("keycloak", "chart_version", "2.4.0", "2.4.1"),)
    assert answer.unchanged == 2
    assert answer.component == "keycloak"
    [(_, _, paths, _)] = source.listings
    assert not set(paths) & set(PATHS.releases)


def test_a_shorter_window_sees_less(source: FakeSource) -> None:
    answer = service(source).changes("prod", None, timedelta(hours=36))
    assert [c.commit.title for c in answer.commits] == ["Move jupyter_hub to 0.2.105"]


def test_more_commits_than_the_limit_are_said_to_be_more(source: FakeSource) -> None:
    answer = service(source, limit=2).changes("prod", None, timedelta(days=7))
    assert answer.more
    assert [c.commit.title for c in answer.commits] == ["Move jupyter_hub to 0.2.105"]  # the comment was 2nd


def test_a_quiet_window_shows_the_latest_changes_before_it(source: FakeSource) -> None:
    answer = service(source).changes("dev", None, timedelta(days=7))
    assert answer.commits == ()
    [earlier] = answer.earlier
    assert earlier.commit.title == "Development configuration"
    assert PinChange("jupyter_hub", "branch", None, "release/0.2.104", Change.ADDED) in earlier.changes
    assert [since for *_, since in source.listings] == [days_ago(7), None]


def test_a_branch_that_does_not_exist_is_said_plainly(source: FakeSource) -> None:
    with pytest.raises(NotFound, match="has no branch `stg`"):
        service(source, branches=("stg",)).changes("stg", None, timedelta(days=7))


def test_names_are_forgiving_before_anything_is_read(source: FakeSource) -> None:
    answer = service(source).answer(ChangesQuery("Production", "KEYCLOAK", timedelta(days=7)))
    assert (answer.environment, answer.component) == ("prod", "keycloak")
    with pytest.raises(UnknownName, match="Did you mean `keycloak`"):
        service(source).answer(ChangesQuery("prod", "keycloack"))
    assert len(source.listings) == 1  # the typo read no history


def test_a_component_the_files_deploy_without_configuring_it_is_found_there(source: FakeSource) -> None:
    source.add_branch(
        CORE, "dev", "d" * 40, {PATHS.helm: 'components:\n  keda:\n    chart_version: "2.10"\n'}
    )
    answer = service(source).answer(ChangesQuery("dev", "keda"))
    assert answer.component == "keda"
