"""The history of the core files: the emulator's commit listing as GitHub answers it (filters,
history simplification, pages, refusals, 304s, the schema), and the adapter reading it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import githubkit_schemas.v2022_11_28.models as gh
import pytest
import requests

from slackbot.adapters.github import GitHubForge
from slackbot.domain.core_files import CorePaths
from slackbot.domain.errors import NotFound
from slackbot.sandbox.github_emulator import GitHubEmulator
from slackbot.sandbox.gitrepo import Identity
from slackbot.sandbox.world import World
from tests.integration.conftest import EMULATOR_TOKEN
from tests.integration.test_github_adapter import make_source
from tests.integration.test_github_schema import conforms

CORE = "lsc-sde/iac-flux-lscsde"
PATHS = CorePaths()
FLUX, HELM, IMAGE = PATHS.flux, PATHS.helm, PATHS.image
CORE_FILES = (FLUX, HELM, IMAGE, PATHS.legacy, *PATHS.releases)
AUTH = {"Authorization": f"token {EMULATOR_TOKEN}"}
WEEK_START = datetime(2024, 11, 1, 12, 0, tzinfo=UTC)  # the world's present is 2024-11-08 12:00


def listing(emulator: GitHubEmulator, query: str, status: int = 200, **headers: str) -> requests.Response:
    answer = requests.get(
        f"{emulator.base_url}/repos/{CORE}/commits?{query}", headers={**AUTH, **headers}, timeout=10
    )
    assert answer.status_code == status, answer.text
    return answer


def titles(answer: requests.Response) -> list[str]:
    return [c["commit"]["message"].splitlines()[0] for c in answer.json()]


@pytest.fixture
def source(github_emulator: GitHubEmulator) -> Iterator[GitHubForge]:
    adapter = make_source(github_emulator)
    yield adapter
    adapter.close()


def merged_hotfix(world: World) -> tuple[str, str]:
    """A pin hot-fix on prod as GitHub merges one: a branch with one commit, and a merge commit
    whose tree is the branch's. Returns (the branch's commit, the merge commit)."""
    git = world.repo(CORE)
    prod = git.ref("refs/heads/prod")
    assert prod is not None
    assert git.create_ref("refs/heads/hotfix/INC-7", prod)
    helm = git.text("show", f"{prod}:{HELM}").replace('"3.2.1"', '"3.2.2"')
    fix = git.commit_file(
        "hotfix/INC-7", HELM, helm, "Pin jupyter_hub's chart to 3.2.2 (INC-7)", timestamp=1731060000
    )
    tree = git.text("rev-parse", f"{fix}^{{tree}}")
    merge = git.commit_tree(
        tree,
        [prod, fix],
        "Merge pull request #7 from hotfix/INC-7",
        author=Identity("GitHub", "noreply@github.test"),
        timestamp=1731063600,
    )
    git.update_ref("refs/heads/prod", merge, prod)
    return fix, merge


# -- the emulator ---------------------------------------------------------------------------------


def test_one_path_on_one_branch_lists_the_commits_that_touched_it_newest_first(
    github_emulator: GitHubEmulator,
) -> None:
    answer = listing(github_emulator, f"sha=prod&path={FLUX}")
    assert titles(answer) == [
        "Move ingress_nginx to release/0.1.61 (PLAT-398)",
        "Pin guacamole to the emergency patch (INC-2187)",
        "Production configuration",
        "Split deployment-config.yaml into flux, helm and image configuration",
    ]
    conforms(gh.Commit, answer.json())
    assert "Link" not in answer.headers


def test_since_and_until_bound_the_committer_date_inclusively(github_emulator: GitHubEmulator) -> None:
    assert titles(listing(github_emulator, f"sha=prod&path={FLUX}&since=2024-11-04T10:15:00Z")) == [
        "Move ingress_nginx to release/0.1.61 (PLAT-398)"
    ]
    assert titles(listing(github_emulator, f"sha=prod&path={FLUX}&since=2024-11-04T10:15:01Z")) == []
    assert titles(
        listing(github_emulator, "sha=prod&since=2024-10-01T00:00:00%2B00:00&until=2024-10-31T00:00:00Z")
    ) == [
        "Upgrade the core chart lscsde-flux to 0.1.97",
        "Pin guacamole to the emergency patch (INC-2187)",
    ]


def test_pages_link_to_the_next_one_without_counting_them_all(github_emulator: GitHubEmulator) -> None:
    first = listing(github_emulator, f"sha=prod&path={FLUX}&per_page=3")
    assert len(first.json()) == 3
    assert first.links["next"]["url"].endswith("page=2")
    second = listing(github_emulator, f"sha=prod&path={FLUX}&per_page=3&page=2")
    assert titles(second) == ["Split deployment-config.yaml into flux, helm and image configuration"]
    assert "next" not in second.links
    assert {"prev", "first"} <= set(second.links)


def test_a_merged_branch_shows_as_its_commit_as_git_log_simplifies_it(
    github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    fix, merge = merged_hotfix(sandbox_world)
    of_helm = [c["sha"] for c in listing(github_emulator, f"sha=prod&path={HELM}").json()]
    assert of_helm[0] == fix
    assert merge not in of_helm  # the merge's file is the branch's: git follows that parent
    everything = [c["sha"] for c in listing(github_emulator, "sha=prod").json()]
    assert everything[:2] == [merge, fix]


def test_asking_again_with_the_etag_is_a_free_304(github_emulator: GitHubEmulator) -> None:
    query = f"sha=prod&path={HELM}&since=2024-11-01T12:00:00Z&per_page=30"
    etag = listing(github_emulator, query).headers["ETag"]
    github_emulator.clear_log()
    assert listing(github_emulator, query, 304, **{"If-None-Match": etag}).content == b""
    assert github_emulator.rate_limited_count() == 0


@pytest.mark.parametrize(
    ("query", "status", "model", "message"),
    [
        ("sha=nope", 404, gh.BasicError, "No commit found for SHA: nope"),
        ("sha=prod&since=last-tuesday", 422, gh.ValidationError, "Validation Failed"),
        ("sha=prod&until=2024-13-01T00:00:00Z", 422, gh.ValidationError, "Validation Failed"),
    ],
    ids=["unknown-sha", "bad-since", "bad-until"],
)
def test_refusals_are_githubs(
    github_emulator: GitHubEmulator, query: str, status: int, model: type[gh.BasicError], message: str
) -> None:
    body = listing(github_emulator, query, status).json()
    assert body["message"] == message
    conforms(model, body)


# -- the adapter ----------------------------------------------------------------------------------


def test_the_history_of_the_core_files_is_one_listing_per_file_merged(
    source: GitHubForge, github_emulator: GitHubEmulator
) -> None:
    github_emulator.clear_log()
    history = source.file_history(CORE, "prod", CORE_FILES, since=WEEK_START, limit=30)
    assert [(c.title, c.author) for c in history.commits] == [
        ("Say why keda's chart is held back", "Aisha Okafor"),
        ("Keycloak image 0.1.8 with the redirect URI fix (INC-2120)", "Tom Whitfield"),
        ("Upgrade JupyterHub to chart 3.2.1 and image 4.1.5", "Priya Raman"),
        ("Move ingress_nginx to release/0.1.61 (PLAT-398)", "Aisha Okafor"),
    ]
    assert [set(c.paths) for c in history.commits] == [{HELM}, {IMAGE}, {HELM, IMAGE}, {FLUX}]
    newest = history.commits[0]
    assert newest.url == f"{github_emulator.base_url}/{CORE}/commit/{newest.sha}"
    assert newest.date == datetime(2024, 11, 7, 8, 50, tzinfo=UTC)
    assert len(newest.parents) == 1
    assert not history.more
    asked = [r for r in github_emulator.requests if r.path.endswith("/commits")]
    assert len(asked) == len(github_emulator.requests) == len(CORE_FILES)  # nothing else


def test_asked_again_the_listings_are_free_304s(source: GitHubForge, github_emulator: GitHubEmulator) -> None:
    first = source.file_history(CORE, "prod", CORE_FILES, since=WEEK_START, limit=30)
    github_emulator.clear_log()
    again = source.file_history(CORE, "prod", CORE_FILES, since=WEEK_START.replace(minute=40), limit=30)
    assert again == first
    assert {r.status for r in github_emulator.requests} == {304}
    assert github_emulator.rate_limited_count() == 0


def test_since_is_sent_by_the_hour_and_applied_to_the_minute(
    source: GitHubForge, github_emulator: GitHubEmulator
) -> None:
    history = source.file_history(
        CORE, "prod", [FLUX], since=datetime(2024, 11, 4, 10, 16, tzinfo=UTC), limit=30
    )
    assert history.commits == ()  # the 10:15 commit came with the hour's listing, and was dropped
    [asked] = github_emulator.requests
    assert "since=2024-11-04T10:00:00Z" in asked.query


def test_more_commits_than_the_limit_say_so(source: GitHubForge) -> None:
    history = source.file_history(CORE, "prod", CORE_FILES, since=None, limit=3)
    assert len(history.commits) == 3
    assert history.more


def test_a_merged_pin_hotfix_is_a_commit_of_the_history(source: GitHubForge, sandbox_world: World) -> None:
    fix, _ = merged_hotfix(sandbox_world)
    history = source.file_history(CORE, "prod", CORE_FILES, since=WEEK_START, limit=30)
    assert history.commits[0].sha == fix
    assert history.commits[0].paths == {HELM}


def test_files_at_commits_are_read_once_and_kept(
    source: GitHubForge, github_emulator: GitHubEmulator
) -> None:
    history = source.file_history(CORE, "prod", [HELM], since=WEEK_START, limit=30)
    newest = history.commits[0]
    wanted = {newest.sha: [HELM], newest.parents[0]: [HELM, PATHS.legacy]}
    github_emulator.clear_log()
    files = source.read_commits(CORE, wanted)
    assert "held back" in (files[newest.sha][HELM] or "")
    assert "held back" not in (files[newest.parents[0]][HELM] or "")
    assert files[newest.parents[0]][PATHS.legacy] is None
    assert len(github_emulator.requests) == 3
    github_emulator.clear_log()
    assert source.read_commits(CORE, wanted) == files
    assert github_emulator.requests == []


def test_a_branch_that_does_not_exist_is_said_plainly(source: GitHubForge) -> None:
    with pytest.raises(NotFound, match=r"`lsc-sde/iac-flux-lscsde` has no branch `qa`"):
        source.file_history(CORE, "qa", CORE_FILES, since=WEEK_START, limit=30)
