"""The production GitHub adapter's GraphQL reads (PyGithub's requester) against the emulator.

A cold read of several branches is one GraphQL query (their heads and files) with the REST listing
of heads alongside, in one round trip; the next read is the listing's free 304 and nothing else.
Every answer is the one REST gives — git's own bytes, the same sentences — including for the files
GraphQL cannot give as REST does, which REST then reads.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pydantic import SecretStr

from slackbot.adapters.github import GitHubForge, web_base_from_api
from slackbot.adapters.github_budget import RequestBudget
from slackbot.adapters.github_graphql import MAX_FILES, GraphQLReader
from slackbot.bootstrap import github_connector
from slackbot.domain.errors import NotFound, Unavailable
from slackbot.domain.versions import BranchSnapshot, UnreadableFile
from slackbot.observability.metrics import Metrics
from slackbot.sandbox.github_emulator import GitHubEmulator, RequestRecord
from slackbot.sandbox.world import World
from slackbot.settings import Secrets
from tests.integration.conftest import EMULATOR_TOKEN

CORE = "lsc-sde/iac-flux-lscsde"
FLUX, HELM, LEGACY = "core/flux-config.yaml", "core/helm-config.yaml", "core/deployment-config.yaml"
BRANCHES = ("prod", "stg", "dev", "uat", "main")
LISTING = f"/repos/{CORE}/git/matching-refs/heads"


def make_source(
    emulator: GitHubEmulator, *, metrics: Metrics | None = None, budget: RequestBudget | None = None
) -> GitHubForge:
    secrets = Secrets(github_token=SecretStr(EMULATOR_TOKEN), github_api_url=emulator.base_url)
    return GitHubForge(
        github_connector(secrets),
        web_base=web_base_from_api(emulator.base_url),
        metrics=metrics,
        budget=budget,
    )


@pytest.fixture
def source(github_emulator: GitHubEmulator) -> Iterator[GitHubForge]:
    adapter = make_source(github_emulator)
    yield adapter
    adapter.close()


def asked(emulator: GitHubEmulator) -> list[tuple[str, str, int]]:
    return sorted((r.method, r.path, r.status) for r in emulator.requests)


def round_trips(records: Sequence[RequestRecord]) -> int:
    """The longest chain of requests each starting after the one before it answered."""
    ordered = sorted(records, key=lambda r: r.finished)
    depth: list[int] = []
    for n, record in enumerate(ordered):
        depth.append(
            1 + max((depth[k] for k in range(n) if ordered[k].finished <= record.started), default=0)
        )
    return max(depth, default=0)


def snapshot(found: BranchSnapshot | Exception) -> BranchSnapshot:
    assert isinstance(found, BranchSnapshot), found
    return found


def git_file(world: World, branch: str, path: str) -> str | None:
    git = world.repo(CORE)
    entry = git.tree_entry(f"refs/heads/{branch}", path)
    return git.read_blob(entry.sha).decode() if entry is not None and entry.type == "blob" else None


# -- cold, then warm ---------------------------------------------------------------------------------------


def test_a_cold_read_of_several_branches_is_one_query_beside_the_listing_in_one_round_trip(
    source: GitHubForge, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    github_emulator.delay = 0.05  # every request a round trip long enough to see the critical path
    wanted = {b: [FLUX, HELM, LEGACY] for b in BRANCHES}

    read = source.read_branches(CORE, {**wanted, "gone": [FLUX]})

    assert asked(github_emulator) == [("GET", LISTING, 200), ("POST", "/graphql", 200)]
    assert round_trips(github_emulator.requests) == 1
    for branch in BRANCHES:
        found = snapshot(read[branch])
        assert found.head.sha == sandbox_world.repo(CORE).resolve(f"refs/heads/{branch}")
        assert found.files == {path: git_file(sandbox_world, branch, path) for path in wanted[branch]}
    gone = read["gone"]
    assert isinstance(gone, NotFound)
    assert str(gone) == f"`{CORE}` has no branch `gone`."  # as REST says it


def test_the_read_after_a_cold_one_is_the_listings_304_and_gives_the_same_answer(
    source: GitHubForge, github_emulator: GitHubEmulator
) -> None:
    wanted = {b: [FLUX, HELM] for b in BRANCHES}
    cold = source.read_branches(CORE, wanted)
    github_emulator.clear_log()

    warm = source.read_branches(CORE, wanted)

    assert asked(github_emulator) == [("GET", LISTING, 304)]
    assert github_emulator.rate_limited_count() == 0
    assert warm == cold


def test_graphql_answers_what_rest_answers(github_emulator: GitHubEmulator, sandbox_world: World) -> None:
    wanted = {b: [FLUX, HELM, LEGACY, "core/release.yaml", "core"] for b in BRANCHES}
    # 25 files: more than one wave of 16 would be one query too; a wave of 32 keeps this one REST's.
    by_graphql = make_source(github_emulator)
    by_rest = make_source(github_emulator, budget=RequestBudget(per_scope=32))
    try:
        answer = by_graphql.read_branches(CORE, wanted)
        by_rest.read_branches(CORE, {"prod": [], "stg": []})  # cold: now it has the listing's ETag
        github_emulator.clear_log()
        assert by_rest.read_branches(CORE, wanted) == answer
        assert "/graphql" not in {r.path for r in github_emulator.requests}
    finally:
        by_graphql.close()
        by_rest.close()


# -- what GraphQL cannot give as REST does ---------------------------------------------------------------


def test_links_foreign_text_big_and_binary_files_are_read_through_rest_and_only_they(
    source: GitHubForge, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    git = sandbox_world.repo(CORE)
    big = "components: {}\n" + "#" * 600_000 + "\n"  # GraphQL cuts text at 512,000 bytes
    git.commit_file("stg", "core/shared.yaml", "components: {}\n", "Share a file")
    git.commit_file("stg", FLUX, "shared.yaml", "Link it", mode="120000")
    git.commit_file("stg", HELM, "gone.yaml", "Link to nothing", mode="120000")
    git.commit_file("dev", FLUX, "components:\n  café: {}\n".encode("latin-1"), "Latin-1")
    git.commit_file("dev", HELM, "components:\n  café: {}\n".encode("utf-16"), "UTF-16")
    git.commit_file("uat", FLUX, big, "Big")
    git.commit_file("uat", HELM, b"\x89PNG\r\n\x1a\n\0\0\0", "Binary")

    read = source.read_branches(CORE, {b: [FLUX, HELM] for b in ("prod", "stg", "dev", "uat")})

    contents = sorted(
        r.query.split("=")[1][:7] + " " + r.path.rsplit("/contents/", 1)[1]
        for r in github_emulator.requests
        if "/contents/" in r.path
    )
    heads = {b: snapshot(read[b]).head.sha[:7] for b in ("stg", "dev", "uat")}
    assert contents == sorted(f"{heads[b]} {p}" for b in ("stg", "dev", "uat") for p in (FLUX, HELM))
    stg, dev, uat = (snapshot(read[b]).files for b in ("stg", "dev", "uat"))
    assert stg[FLUX] == "components: {}\n"  # through the link, as REST does
    assert isinstance(stg[HELM], UnreadableFile)
    assert "symbolic link to `gone.yaml`" in stg[HELM].reason
    assert isinstance(dev[FLUX], UnreadableFile)
    assert "not UTF-8" in dev[FLUX].reason
    assert isinstance(dev[HELM], UnreadableFile)
    assert "UTF-16" in dev[HELM].reason
    assert uat[FLUX] == big
    assert isinstance(uat[HELM], UnreadableFile)
    assert snapshot(read["prod"]).files[FLUX] == git_file(sandbox_world, "prod", FLUX)


def test_a_folder_or_a_missing_file_is_no_file_as_rest_says(source: GitHubForge) -> None:
    read = source.read_branches(CORE, {"prod": ["core", "core/nope.yaml"], "stg": ["core"]})
    assert snapshot(read["prod"]).files == {"core": None, "core/nope.yaml": None}
    assert snapshot(read["stg"]).files == {"core": None}


# -- when GraphQL does not answer -----------------------------------------------------------------------------


def test_with_graphql_down_rest_answers_the_same_from_the_listing(
    github_emulator: GitHubEmulator, source: GitHubForge
) -> None:
    wanted = {b: [FLUX, LEGACY] for b in BRANCHES}
    expected = make_source(github_emulator)
    try:
        answer = expected.read_branches(CORE, wanted)
    finally:
        expected.close()
    github_emulator.inject_fault("POST", r"^/graphql$", 502, times=10)
    github_emulator.clear_log()

    assert source.read_branches(CORE, wanted) == answer
    paths = [r.path for r in github_emulator.requests]
    assert paths.count(LISTING) == 1  # the listing asked alongside is the one REST reads from
    assert sum("/contents/" in p for p in paths) == 2 * len(BRANCHES)


@pytest.mark.parametrize(
    "body",
    [
        {
            "errors": [
                {
                    "message": "Something went wrong while executing your query. This may be the result of a timeout."
                }
            ]
        },
        {"data": None},
        {"data": {"repository": {"b0": {"target": {"__typename": "Tree", "oid": "0" * 40}}}}},
    ],
    ids=["githubs-timeout", "no-data", "not-a-commit"],
)
def test_a_graphql_answer_the_adapter_cannot_use_is_left_to_rest(
    github_emulator: GitHubEmulator, source: GitHubForge, sandbox_world: World, body: dict[str, Any]
) -> None:
    github_emulator.inject_fault("POST", r"^/graphql$", 200, body=body)

    read = source.read_branches(CORE, {"prod": [FLUX], "stg": [FLUX]})

    assert {b: snapshot(read[b]).files[FLUX] for b in ("prod", "stg")} == {
        b: git_file(sandbox_world, b, FLUX) for b in ("prod", "stg")
    }
    assert sum("/contents/" in r.path for r in github_emulator.requests) == 2


def test_an_unknown_repository_is_the_sentence_rest_gives(source: GitHubForge) -> None:
    read = source.read_branches("lsc-sde/nope", {"prod": [FLUX], "stg": [FLUX]})
    assert {str(e) for e in read.values()} == {
        "GitHub has no repository `lsc-sde/nope` (or the bot's credentials cannot see it)."
    }


@pytest.fixture
def reader(github_emulator: GitHubEmulator) -> Iterator[GraphQLReader]:
    """The GraphQL reader on its own (one PyGithub client, as one thread has), to hear what it
    says when GitHub refuses."""
    secrets = Secrets(github_token=SecretStr(EMULATOR_TOKEN), github_api_url=github_emulator.base_url)
    client = github_connector(secrets)()
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield GraphQLReader(lambda: client.requester, pool, RequestBudget())
    client.close()


def test_graphqls_not_found_is_rests_sentence(reader: GraphQLReader) -> None:
    with pytest.raises(NotFound, match=r"^GitHub has no repository `lsc-sde/nope` \(or the bot's"):
        reader.branches("lsc-sde/nope", {"prod": [FLUX]})


def test_used_up_graphql_points_say_when_they_reset_and_rest_still_answers(
    reader: GraphQLReader, github_emulator: GitHubEmulator, source: GitHubForge, sandbox_world: World
) -> None:
    github_emulator.graphql.points_per_hour = 0

    with pytest.raises(Unavailable, match=r"^GitHub's rate limit is used up until \d\d:\d\d UTC\.$"):
        reader.branches(CORE, {"prod": [FLUX]})
    read = source.read_branches(CORE, {"prod": [FLUX], "stg": [FLUX]})

    assert snapshot(read["prod"]).files[FLUX] == git_file(sandbox_world, "prod", FLUX)


# -- many files at known commits, many branches, and the budget ---------------------------------------------


def _move(world: World, branches: Sequence[str], paths: Sequence[str]) -> None:
    git = world.repo(CORE)
    for branch in branches:
        for path in paths:
            git.commit_file(branch, path, f"# {branch} moved {path}\n", f"{branch} moves")


def test_more_moved_files_than_one_wave_are_one_query_at_the_new_commits(
    source: GitHubForge, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    paths = [FLUX, HELM, LEGACY, "core/release.yaml"]
    wanted = dict.fromkeys(BRANCHES, paths)
    source.read_branches(CORE, wanted)
    _move(sandbox_world, BRANCHES, [FLUX])  # 5 branches x 4 files at new commits: 20 > 16
    github_emulator.clear_log()

    read = source.read_branches(CORE, wanted)

    assert asked(github_emulator) == [("GET", LISTING, 200), ("POST", "/graphql", 200)]
    assert "query CommitFiles(" in github_emulator.graphql.queries()[-1][0]
    for branch in BRANCHES:
        assert snapshot(read[branch]).files[FLUX] == f"# {branch} moved {FLUX}\n"


def test_a_few_moved_files_are_rests_parallel_reads(
    source: GitHubForge, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    wanted = {b: [FLUX, LEGACY] for b in BRANCHES}
    source.read_branches(CORE, wanted)
    _move(sandbox_world, ["stg"], [FLUX])
    github_emulator.clear_log()

    source.read_branches(CORE, wanted)

    assert [r.method for r in github_emulator.requests].count("POST") == 0
    assert sum("/contents/" in r.path for r in github_emulator.requests) == 2


def test_files_at_many_commits_are_one_query_and_then_kept(
    source: GitHubForge, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    git = sandbox_world.repo(CORE)
    heads = {b: git.resolve(f"refs/heads/{b}") or "" for b in BRANCHES}
    wanted = {sha: [FLUX, HELM, LEGACY, "core/release.yaml"] for sha in heads.values()}

    found = source.read_commits(CORE, wanted)
    assert asked(github_emulator) == [("POST", "/graphql", 200)]
    github_emulator.clear_log()
    assert source.read_commits(CORE, wanted) == found
    assert github_emulator.requests == []  # a commit's files never change
    for branch, sha in heads.items():
        assert found[sha][FLUX] == git_file(sandbox_world, branch, FLUX)


def test_branches_beyond_one_querys_files_are_several_queries_at_once_within_the_budget(
    github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    git = sandbox_world.repo(CORE)
    prod = git.resolve("refs/heads/prod") or ""
    names = [f"preview-{n:03d}" for n in range(110)]  # 2 files each: 3 queries; 2 pages of heads
    for name in names:
        git.create_ref(f"refs/heads/{name}", prod)
    adapter = make_source(github_emulator, budget=RequestBudget(per_scope=2, process_limit=2))
    github_emulator.delay = 0.05
    try:
        read = adapter.read_branches(CORE, {name: [FLUX, HELM] for name in names})
        # The listing's later page is asked in the background, for the next read's ETag.
        deadline = time.monotonic() + 10
        while (
            not [r for r in github_emulator.requests if "page=2" in r.query] and time.monotonic() < deadline
        ):
            time.sleep(0.05)
    finally:
        adapter.close()
    queries = [q for q, _ in github_emulator.graphql.queries()]
    assert sorted(q.count("file(path:") for q in queries) == [20, MAX_FILES, MAX_FILES]
    assert {snapshot(read[n]).head.sha for n in names} == {prod}
    assert most_in_flight(github_emulator.requests) <= 2
    assert [r.status for r in github_emulator.requests if r.path == LISTING] == [200, 200]


def most_in_flight(records: Sequence[RequestRecord]) -> int:
    events = sorted([(r.started, 1) for r in records] + [(r.finished, -1) for r in records])
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


# -- what it costs, as the metrics say it ------------------------------------------------------------------


def _samples(metrics: Metrics) -> dict[str, Any]:
    return {
        s.name + str(sorted(s.labels.items())): s.value
        for family in metrics.registry.collect()
        for s in family.samples
        if not s.name.endswith("_created")
    }


def test_a_querys_points_are_counted_apart_from_rests_rate_limit(github_emulator: GitHubEmulator) -> None:
    github_emulator.rate_limit = 100  # REST's requests an hour, GraphQL's points stay 5,000
    metrics = Metrics()
    adapter = make_source(github_emulator, metrics=metrics)
    try:
        adapter.read_branches(CORE, {b: [FLUX] for b in BRANCHES})
    finally:
        adapter.close()
    seen = _samples(metrics)
    assert seen["slackbot_github_graphql_points_total[]"] == 1
    assert seen["slackbot_github_graphql_points_remaining[]"] == 4999
    assert (
        seen["slackbot_github_requests_total[('counted', 'true'), ('method', 'POST'), ('status', '200')]"]
        == 1
    )
    # REST's gauge is REST's: the listing's count, not GraphQL's points.
    assert seen["slackbot_github_rate_limit_remaining[]"] == 100 - 1
