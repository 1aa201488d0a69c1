"""The GitHub emulator where GitHub's answers change shape: comparisons beyond 250 commits, files
over 1 MB (and 100 MB), symbolic links, and pull requests whose mergeability is still being
computed. Each behaviour follows GitHub's published API description (quoted where it matters)."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator

import pytest
import requests

from slackbot.sandbox.github_emulator import GitHubEmulator, contents
from slackbot.sandbox.world import World, seed_world
from tests.integration.conftest import EMULATOR_TOKEN, add_commits

CORE = "lsc-sde/iac-flux-lscsde"
JUPYTER = "lsc-sde/iac-flux-jupyter"
RELEASE = "release/0.2.105"
AUTH = {"Authorization": f"token {EMULATOR_TOKEN}"}
SYMLINK = "120000"


def get(emulator: GitHubEmulator, path: str, **headers: str) -> requests.Response:
    return requests.get(emulator.base_url + path, headers={**AUTH, **headers}, timeout=10)


# -- compare: at most 250 commits, the most recent last ----------------------------------------------


@pytest.fixture(scope="module")
def long_world(world_template: World, tmp_path_factory: pytest.TempPathFactory) -> tuple[World, list[str]]:
    """A world whose jupyter repository has ``long``: 260 commits the release branch lacks."""
    root = tmp_path_factory.mktemp("long-world")
    shutil.copytree(world_template.repos_dir, root / "repos")
    shutil.copy2(world_template.config_path, root / "slackbot.yml")
    world = seed_world(root)
    return world, add_commits(world.repo(JUPYTER), "long", 260)


@pytest.fixture
def long_emulator(long_world: tuple[World, list[str]]) -> Iterator[GitHubEmulator]:
    with GitHubEmulator(long_world[0].repos_dir, token=EMULATOR_TOKEN) as emulator:
        yield emulator


def test_a_comparison_without_paging_lists_the_250_most_recent_commits(
    long_emulator: GitHubEmulator, long_world: tuple[World, list[str]]
) -> None:
    shas = long_world[1]

    answer = get(long_emulator, f"/repos/{JUPYTER}/compare/{RELEASE}...long")

    body = answer.json()
    # "the returned list is limited to 250 commits, and the last commit in the list is the most
    # recent of the entire comparison"
    assert [c["sha"] for c in body["commits"]] == shas[-250:]
    assert (body["ahead_by"], body["total_commits"], body["status"]) == (260, 260, "ahead")
    assert "Link" not in answer.headers
    assert [f["filename"] for f in body["files"]] == ["values/counter.yaml"]


def test_a_paged_comparison_lists_every_commit_oldest_first(
    long_emulator: GitHubEmulator, long_world: tuple[World, list[str]]
) -> None:
    shas = long_world[1]
    url = f"/repos/{JUPYTER}/compare/{RELEASE}...long"

    first = get(long_emulator, f"{url}?per_page=100")
    last = get(long_emulator, f"{url}?per_page=100&page=3")

    assert [c["sha"] for c in first.json()["commits"]] == shas[:100]
    assert [c["sha"] for c in last.json()["commits"]] == shas[200:]
    assert 'page=2>; rel="next"' in first.headers["Link"]
    assert 'page=3>; rel="last"' in first.headers["Link"]
    assert first.json()["total_commits"] == 260
    # "The list of changed files is only shown on the first page of results"
    assert [f["filename"] for f in first.json()["files"]] == ["values/counter.yaml"]
    assert last.json()["files"] == []
    one = get(long_emulator, f"{url}?per_page=1").json()["commits"]
    assert [c["sha"] for c in one] == shas[:1]


# -- contents: over 1 MB, over 100 MB -------------------------------------------------------------


BIG = "# padding\n" * 120_000 + "components: {}\n"  # 1.2 MB: more than the 1 MB served inline


def test_a_file_over_1_mb_comes_without_its_content_but_raw_and_as_a_blob(
    github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    sandbox_world.repo(CORE).commit_file("prod", "core/big.yaml", BIG, "A big file")

    answer = get(github_emulator, f"/repos/{CORE}/contents/core/big.yaml?ref=prod").json()
    raw = get(
        github_emulator, f"/repos/{CORE}/contents/core/big.yaml?ref=prod", Accept="application/vnd.github.raw"
    )
    blob = get(github_emulator, f"/repos/{CORE}/git/blobs/{answer['sha']}").json()

    # "Between 1-100 MB: ... the content field will be an empty string and the encoding field will be "none""
    assert (answer["type"], answer["encoding"], answer["content"], answer["size"]) == (
        "file",
        "none",
        "",
        len(BIG),
    )
    assert (raw.status_code, raw.content) == (200, BIG.encode())
    assert raw.headers["ETag"]
    assert base64.b64decode(blob["content"]) == BIG.encode()


def test_a_raw_read_is_conditional_like_any_other(github_emulator: GitHubEmulator) -> None:
    path = f"/repos/{CORE}/contents/core/flux-config.yaml?ref=prod"
    raw = "application/vnd.github.raw"
    first = get(github_emulator, path, Accept=raw)
    again = get(github_emulator, path, Accept=raw, **{"If-None-Match": first.headers["ETag"]})
    as_json = get(github_emulator, path, **{"If-None-Match": first.headers["ETag"]})
    assert (first.status_code, again.status_code, again.content) == (200, 304, b"")
    assert b"components:" in first.content
    assert as_json.status_code == 200  # another representation, another ETag


def test_a_file_over_100_mb_is_refused(
    github_emulator: GitHubEmulator, sandbox_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contents, "MAX_FILE_SIZE", len(BIG) - 1)  # 100 MB stands in for itself badly
    sandbox_world.repo(CORE).commit_file("prod", "core/big.yaml", BIG, "A big file")

    answer = get(github_emulator, f"/repos/{CORE}/contents/core/big.yaml?ref=prod")

    assert answer.status_code == 403
    assert answer.json()["errors"] == [{"resource": "Blob", "field": "data", "code": "too_large"}]


# -- contents: symbolic links ---------------------------------------------------------------------


def test_a_symlink_to_a_file_answers_with_the_file(
    github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    git = sandbox_world.repo(CORE)
    git.commit_file("prod", "core/shared/flux.yaml", "components: {}\n", "Share the file")
    git.commit_file("prod", "core/flux-config.yaml", "shared/flux.yaml", "Link it", mode=SYMLINK)

    answer = get(github_emulator, f"/repos/{CORE}/contents/core/flux-config.yaml?ref=prod").json()

    # "If the content is a symlink and the symlink's target is a normal file in the repository,
    # then the API responds with the content of the file."
    assert (answer["type"], answer["path"]) == ("file", "core/shared/flux.yaml")
    assert base64.b64decode(answer["content"]) == b"components: {}\n"


@pytest.mark.parametrize("target", ["nowhere.yaml", "../../outside.yaml", "/etc/passwd", "."])
def test_a_symlink_to_anything_else_answers_with_the_symlink(
    github_emulator: GitHubEmulator, sandbox_world: World, target: str
) -> None:
    git = sandbox_world.repo(CORE)
    git.commit_file("prod", "core/flux-config.yaml", target, "Link it", mode=SYMLINK)

    answer = get(github_emulator, f"/repos/{CORE}/contents/core/flux-config.yaml?ref=prod").json()

    # "Otherwise, the API responds with an object describing the symlink itself"
    assert (answer["type"], answer["target"], answer["path"]) == ("symlink", target, "core/flux-config.yaml")
    assert "content" not in answer


# -- pull requests: mergeability is computed in the background -------------------------------------


def test_mergeability_is_null_until_github_has_computed_it(
    github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    git = sandbox_world.repo(JUPYTER)
    base = git.ref(f"refs/heads/{RELEASE}")
    assert base is not None
    assert git.create_ref("refs/heads/hotfix/INC-1", base)
    git.commit_file("hotfix/INC-1", "values/fix.yaml", "fix: true\n", "Fix it")
    url = f"{github_emulator.base_url}/repos/{JUPYTER}/pulls"
    asked = {"title": "Fix", "head": "hotfix/INC-1", "base": RELEASE}

    opened = requests.post(url, json=asked, headers=AUTH, timeout=10).json()
    first = get(github_emulator, f"/repos/{JUPYTER}/pulls/{opened['number']}").json()
    second = get(github_emulator, f"/repos/{JUPYTER}/pulls/{opened['number']}").json()
    git.commit_file(RELEASE, "values/other.yaml", "other: 1\n", "The base moves on")
    moved = get(github_emulator, f"/repos/{JUPYTER}/pulls/{opened['number']}").json()
    settled = get(github_emulator, f"/repos/{JUPYTER}/pulls/{opened['number']}").json()

    # "If the value is null, then GitHub has started a background job to compute the mergeability."
    assert (opened["mergeable"], opened["mergeable_state"]) == (None, "unknown")
    assert (first["mergeable"], first["mergeable_state"]) == (None, "unknown")
    assert (second["mergeable"], second["mergeable_state"]) == (True, "clean")
    assert (moved["mergeable"], moved["mergeable_state"]) == (None, "unknown")
    assert (settled["mergeable"], settled["mergeable_state"]) == (True, "clean")
