"""The production GitHub adapter (PyGithub) against the GitHub emulator over real HTTP."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from slackbot.adapters.github import GitHubForge, web_base_from_api
from slackbot.adapters.github_budget import RequestBudget
from slackbot.adapters.shared_reads import SharedReads
from slackbot.bootstrap import github_connector
from slackbot.domain.errors import Conflict, NotFound, Unavailable
from slackbot.domain.versions import UnreadableFile
from slackbot.sandbox.github_emulator import GitHubEmulator, contents
from slackbot.sandbox.world import World, commit_file, merge_pull
from slackbot.settings import Secrets
from tests.integration.conftest import EMULATOR_TOKEN, OLDEST, add_commits

CORE = "lsc-sde/iac-flux-lscsde"
JUPYTER = "lsc-sde/iac-flux-jupyter"
FLUX = "core/flux-config.yaml"
LEGACY = "core/deployment-config.yaml"


def make_source(emulator: GitHubEmulator, token: str = EMULATOR_TOKEN) -> GitHubForge:
    secrets = Secrets(github_token=SecretStr(token), github_api_url=emulator.base_url)
    return GitHubForge(github_connector(secrets), web_base=web_base_from_api(emulator.base_url))


@pytest.fixture
def source(github_emulator: GitHubEmulator) -> Iterator[GitHubForge]:
    adapter = make_source(github_emulator)
    yield adapter
    adapter.close()


def test_a_branch_is_read_with_its_head_and_files(source: GitHubForge, sandbox_world: World) -> None:
    snapshot = source.read_branch(CORE, "prod", [FLUX, LEGACY])
    assert snapshot.head.sha == sandbox_world.repo(CORE).resolve("refs/heads/prod")
    assert "release/0.2.105" in (snapshot.files[FLUX] or "")
    assert snapshot.files[LEGACY] is None  # prod uses the split layout


def test_asking_again_when_nothing_changed_costs_no_rate_limit(
    source: GitHubForge, github_emulator: GitHubEmulator
) -> None:
    source.read_branch(CORE, "prod", [FLUX, LEGACY])
    github_emulator.clear_log()
    source.read_branch(CORE, "prod", [FLUX, LEGACY])
    assert github_emulator.rate_limited_count() == 0
    assert {r.status for r in github_emulator.requests} == {304}
    # The file known to be missing is not asked for while the branch has not moved.
    assert not any("deployment-config" in r.path for r in github_emulator.requests)


def test_a_file_added_later_is_found_once_the_branch_moves(source: GitHubForge, sandbox_world: World) -> None:
    assert source.read_branch(CORE, "prod", [LEGACY]).files[LEGACY] is None
    commit_file(sandbox_world.repo_dir(CORE), "prod", LEGACY, "data: {}\n", "Add a legacy file")
    assert source.read_branch(CORE, "prod", [LEGACY]).files[LEGACY] == "data: {}\n"


def test_a_branch_head_carries_the_commit_for_people(
    source: GitHubForge, github_emulator: GitHubEmulator
) -> None:
    head = source.branch_head("lsc-sde/iac-flux-jupyter", "release/0.2.105")
    assert len(head.sha) == 40
    assert "INC-2291" in head.message
    assert head.url == f"{github_emulator.base_url}/lsc-sde/iac-flux-jupyter/commit/{head.sha}"


def test_a_missing_branch_and_a_missing_repository_are_told_apart(source: GitHubForge) -> None:
    with pytest.raises(NotFound, match=r"`lsc-sde/iac-flux-jupyter` has no branch `release/9\.9\.9`"):
        source.branch_head("lsc-sde/iac-flux-jupyter", "release/9.9.9")
    with pytest.raises(NotFound, match="GitHub has no repository `lsc-sde/nope`"):
        source.read_branch("lsc-sde/nope", "prod", [FLUX])


def test_github_errors_become_sentences(source: GitHubForge, github_emulator: GitHubEmulator) -> None:
    github_emulator.inject_fault("GET", r"/branches/", 502, times=10)
    with pytest.raises(
        Unavailable, match=r"^GitHub is having trouble \(HTTP 502\); try again in a minute\.$"
    ):
        source.branch_head(CORE, "prod")


def test_a_rate_limit_says_when_to_come_back(source: GitHubForge, github_emulator: GitHubEmulator) -> None:
    github_emulator.inject_fault(
        "GET",
        r"/branches/",
        403,
        times=10,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4102444800"},
        body={"message": "API rate limit exceeded for installation."},
    )
    with pytest.raises(Unavailable, match="rate limit is used up until 00:00 UTC") as raised:
        source.branch_head(CORE, "prod")
    assert "nothing was changed" not in str(raised.value)  # a read: nothing could have been


def test_a_rate_limit_is_logged_once_not_once_a_request(
    source: GitHubForge, github_emulator: GitHubEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    reset = str(int(time.time()) + 2532)
    github_emulator.inject_fault(
        "GET",
        r".",
        403,
        times=100,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
        body={"message": "API rate limit exceeded for user ID 1."},
    )
    caplog.set_level(logging.INFO, logger="github")

    for _ in range(3):
        with pytest.raises(Unavailable, match="rate limit"):
            source.read_branch(CORE, "prod", [FLUX, LEGACY, "core/helm-config.yaml"])

    backoffs = [r for r in caplog.records if r.getMessage().startswith("Required backoff of")]
    refusals = [r for r in caplog.records if "failed with 403" in r.getMessage()]
    assert (len(backoffs), len(refusals)) == (1, 1), [r.getMessage() for r in caplog.records]


def test_bad_credentials_are_named(github_emulator: GitHubEmulator) -> None:
    adapter = make_source(github_emulator, token="wrong")
    with pytest.raises(Unavailable, match="refused the bot's credentials"):
        adapter.branch_head(CORE, "prod")


def test_links_point_at_the_forge_web_pages() -> None:
    assert web_base_from_api("https://api.github.com") == "https://github.com"
    assert web_base_from_api("https://ghe.example.test/api/v3/") == "https://ghe.example.test"


@pytest.mark.parametrize(
    ("path", "read", "named"),
    [
        (r"/branches/prod$", lambda s: s.branch_head(CORE, "prod"), "the head of `prod`"),
        (r"/compare/", lambda s: s.compare(CORE, "main", "prod"), "the comparison of `main` and `prod`"),
        (r"/pulls/7$", lambda s: s.pull(CORE, 7), "pull request #7"),
        (r"/contents/core/flux-config", lambda s: s.read_file(CORE, FLUX, "prod"), f"`{FLUX}` on `prod`"),
    ],
    ids=["branch", "compare", "pull", "file"],
)
def test_an_answer_the_adapter_cannot_read_is_a_sentence_naming_what_was_asked(
    source: GitHubForge,
    github_emulator: GitHubEmulator,
    path: str,
    read: Callable[[GitHubForge], object],
    named: str,
) -> None:
    # A 200 whose body lacks what GitHub always sends (a proxy's answer, a half-written cache).
    github_emulator.inject_fault("GET", path, 200, body={"type": "file", "name": "prod", "content": "%%"})

    with pytest.raises(Unavailable, match=re.escape(named)) as raised:
        read(source)

    assert "in a form I cannot read; try again in a minute" in str(raised.value)


# -- what GitHub answers for large, foreign and linked files ------------------------------------------


def test_a_file_over_1_mb_is_read_in_full_and_then_for_free(
    source: GitHubForge, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    big = "components:\n" + "".join(
        f"  c{n}:\n    repository: {{branch: release/0.1.{n}}}\n" for n in range(30_000)
    )
    assert len(big) > 1024 * 1024
    commit_file(sandbox_world.repo_dir(CORE), "prod", FLUX, big, "Many components")

    assert source.read_branch(CORE, "prod", [FLUX]).files[FLUX] == big
    github_emulator.clear_log()
    assert source.read_branch(CORE, "prod", [FLUX]).files[FLUX] == big
    assert github_emulator.rate_limited_count() == 0


def test_a_file_over_100_mb_is_unreadable(
    source: GitHubForge, sandbox_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contents, "MAX_FILE_SIZE", 100)  # stands in for 100 MB
    commit_file(sandbox_world.repo_dir(CORE), "prod", FLUX, "#" * 200 + "\ncomponents: {}\n", "Padded")

    found = source.read_branch(CORE, "prod", [FLUX]).files[FLUX]

    assert isinstance(found, UnreadableFile)
    assert "too large" in found.reason


@pytest.mark.parametrize(
    ("encoding", "named"), [("latin-1", "not UTF-8"), ("utf-16", "UTF-16")], ids=["latin-1", "utf-16"]
)
def test_a_file_that_is_not_utf8_is_unreadable_and_the_others_are_read(
    source: GitHubForge, sandbox_world: World, encoding: str, named: str
) -> None:
    git = sandbox_world.repo(CORE)
    git.commit_file("prod", FLUX, "components:\n  café: {}\n".encode(encoding), "Saved by an old editor")

    files = source.read_branch(CORE, "prod", [FLUX, "core/helm-config.yaml"]).files

    found = files[FLUX]
    assert isinstance(found, UnreadableFile)
    assert named in found.reason
    assert "UTF-8" in found.reason
    assert "components:" in (files["core/helm-config.yaml"] or "")


def test_a_file_to_edit_that_is_not_utf8_is_a_conflict_naming_it(
    source: GitHubForge, sandbox_world: World
) -> None:
    sandbox_world.repo(CORE).commit_file(
        "prod", FLUX, "components: {}  # café\n".encode("latin-1"), "Latin-1"
    )

    with pytest.raises(
        Conflict, match=r"^`core/flux-config.yaml` on `prod` in `lsc-sde/iac-flux-lscsde` is not UTF-8"
    ):
        source.read_file(CORE, FLUX, "prod")


def test_a_symlinked_file_is_read_through_its_link_and_a_dangling_one_is_unreadable(
    source: GitHubForge, sandbox_world: World
) -> None:
    git = sandbox_world.repo(CORE)
    git.commit_file("prod", "core/shared/flux.yaml", "components: {}\n", "Share the flux file")
    git.commit_file("prod", FLUX, "shared/flux.yaml", "Link it", mode="120000")
    git.commit_file("prod", "core/helm-config.yaml", "gone.yaml", "Link to nothing", mode="120000")

    files = source.read_branch(CORE, "prod", [FLUX, "core/helm-config.yaml"]).files

    assert files[FLUX] == "components: {}\n"
    dangling = files["core/helm-config.yaml"]
    assert isinstance(dangling, UnreadableFile)
    assert "symbolic link to `gone.yaml`" in dangling.reason


# -- comparisons beyond GitHub's 250 commits -----------------------------------------------------------


def test_the_oldest_commit_of_a_long_comparison_is_the_real_oldest_at_one_request_more(
    source: GitHubForge, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    add_commits(sandbox_world.repo(JUPYTER), "long", 260)
    github_emulator.clear_log()

    long = source.compare(JUPYTER, "release/0.2.105", "long")
    asked_long = [r for r in github_emulator.requests if "/compare/" in r.path]
    github_emulator.clear_log()
    short = source.compare(JUPYTER, "main", "release/0.2.105")
    asked_short = [r for r in github_emulator.requests if "/compare/" in r.path]

    assert (long.ahead_by, long.oldest_commit_at) == (260, datetime.fromtimestamp(OLDEST, UTC))
    assert len(asked_long) == 2
    assert short.ahead_by == 1
    assert short.oldest_commit_at == datetime(2024, 10, 28, 14, 12, tzinfo=UTC)
    assert len(asked_short) == 1  # the oldest was on the first answer: nothing more asked


# -- many branches at once, and how many requests are in flight ---------------------------------------


def _most_in_flight(emulator: GitHubEmulator) -> int:
    events = sorted(
        [(r.started, 1) for r in emulator.requests] + [(r.finished, -1) for r in emulator.requests]
    )
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


def test_many_branches_cost_one_listing_and_files_only_where_a_branch_moved(
    source: GitHubForge, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    wanted = {"prod": [FLUX, LEGACY], "stg": [FLUX, LEGACY], "uat": [FLUX, LEGACY], "gone": [FLUX]}
    first = source.read_branches(CORE, wanted)
    prod = first["prod"]
    assert not isinstance(prod, Exception)
    assert prod.head.sha == sandbox_world.repo(CORE).resolve("refs/heads/prod")
    assert prod.files == source.read_branch(CORE, "prod", [FLUX, LEGACY]).files
    assert isinstance(first["gone"], NotFound)
    assert "has no branch `gone`" in str(first["gone"])
    listings = [r for r in github_emulator.requests if "matching-refs" in r.path]
    assert len(listings) == 1

    github_emulator.clear_log()
    again = source.read_branches(CORE, wanted)  # nothing moved: the listing's 304, nothing else
    assert {b: again[b] for b in ("prod", "stg", "uat")} == {b: first[b] for b in ("prod", "stg", "uat")}
    assert [(r.path, r.status) for r in github_emulator.requests] == [
        (f"/repos/{CORE}/git/matching-refs/heads", 304)
    ]

    commit_file(sandbox_world.repo_dir(CORE), "stg", FLUX, "components: {}\n", "stg moves")
    github_emulator.clear_log()
    moved = source.read_branches(CORE, wanted)
    stg = moved["stg"]
    assert not isinstance(stg, Exception)
    assert stg.files[FLUX] == "components: {}\n"
    assert moved["prod"] == first["prod"]
    files = sorted(
        r.path.rsplit("/contents/", 1)[1] for r in github_emulator.requests if "/contents/" in r.path
    )
    assert files == [LEGACY, FLUX]  # stg's two files at its new commit; prod's and uat's kept


def test_requests_in_flight_are_bounded_per_command_and_for_the_process(
    github_emulator: GitHubEmulator,
) -> None:
    secrets = Secrets(github_token=SecretStr(EMULATOR_TOKEN), github_api_url=github_emulator.base_url)
    adapter = GitHubForge(
        github_connector(secrets),
        web_base=web_base_from_api(github_emulator.base_url),
        budget=RequestBudget(per_scope=3, process_limit=5),
    )
    paths = [f"core/missing-{n}.yaml" for n in range(12)]
    github_emulator.delay = 0.05
    try:
        adapter.read_branch(CORE, "prod", paths)
        assert 2 <= _most_in_flight(github_emulator) <= 3  # one command: parallel, at most 3
        github_emulator.clear_log()
        with ThreadPoolExecutor(max_workers=4) as pool:  # four commands at once: at most 5 in all
            list(pool.map(lambda b: adapter.read_branch(CORE, b, paths), ["stg", "dev", "uat", "main"]))
        assert 4 <= _most_in_flight(github_emulator) <= 5
    finally:
        github_emulator.delay = 0.0
        adapter.close()


def test_a_watch_cycle_reads_pull_requests_and_heads_once_per_repository(
    source: GitHubForge, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    repo = sandbox_world.repo_dir(JUPYTER)
    first = source.open_pull(JUPYTER, _branch_with_a_commit(source, repo, "hotfix/W-1"), "main", "W-1", "")
    second = source.open_pull(JUPYTER, _branch_with_a_commit(source, repo, "hotfix/W-2"), "main", "W-2", "")
    shared = SharedReads(source)
    github_emulator.clear_log()

    with shared.cycle():
        pulls = [shared.pull(JUPYTER, pull.number) for pull in (first, second)]
        compared = [shared.compare(JUPYTER, "main", f"hotfix/W-{n}") for n in (1, 2)]

    assert [(p.number, p.state, p.head) for p in pulls] == [
        (first.number, "open", "hotfix/W-1"),
        (second.number, "open", "hotfix/W-2"),
    ]
    assert pulls[0].mergeable is None  # a listing leaves mergeability out
    assert [c.ahead_by for c in compared] == [1, 1]
    paths = [r.path for r in github_emulator.requests]
    assert paths.count(f"/repos/{JUPYTER}/pulls") == 1
    assert paths.count(f"/repos/{JUPYTER}/git/matching-refs/heads") == 1

    github_emulator.clear_log()
    with shared.cycle():  # nothing moved: two free 304s, and the comparisons of fixed commits kept
        assert shared.pull(JUPYTER, first.number).state == "open"
        assert [shared.compare(JUPYTER, "main", f"hotfix/W-{n}").ahead_by for n in (1, 2)] == [1, 1]

    assert sorted((r.path, r.status) for r in github_emulator.requests) == [
        (f"/repos/{JUPYTER}/git/matching-refs/heads", 304),
        (f"/repos/{JUPYTER}/pulls", 304),
    ]

    github_emulator.clear_log()
    shared.pull(JUPYTER, first.number)  # outside a cycle (a person asking): read alone, as asked
    assert [r.path for r in github_emulator.requests] == [f"/repos/{JUPYTER}/pulls/{first.number}"]


def test_a_merged_pull_request_is_read_whole_in_a_watch_cycle_to_know_who_merged_it(
    source: GitHubForge, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    repo = sandbox_world.repo_dir(JUPYTER)
    opened = source.open_pull(JUPYTER, _branch_with_a_commit(source, repo, "hotfix/W-3"), "main", "W-3", "")
    merge_pull(sandbox_world.repos_dir, JUPYTER, opened.number, merged_by="carol")
    shared = SharedReads(source)
    github_emulator.clear_log()

    with shared.cycle():
        merged = shared.pull(JUPYTER, opened.number)

    assert (merged.merged, merged.merged_by) == (True, "carol")
    paths = [r.path for r in github_emulator.requests]
    assert paths == [f"/repos/{JUPYTER}/pulls", f"/repos/{JUPYTER}/pulls/{opened.number}"]


def _branch_with_a_commit(source: GitHubForge, repo_dir: Path, branch: str) -> str:
    main = source.branch_head(JUPYTER, "main").sha
    source.create_branch(JUPYTER, branch, main)
    commit_file(repo_dir, branch, f"fix-{branch[-3:]}.txt", "fixed\n", f"fix for {branch}")
    return branch
