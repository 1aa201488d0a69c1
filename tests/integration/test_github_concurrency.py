"""The GitHub adapter shared by many threads never mixes up answers.

PyGithub keeps a request on its connection object between sending and reading it, so one client
shared by parallel threads can hand one thread another's answer. Here the real adapter reads
hundreds of distinct files from many threads at once, with the interpreter switching threads as
often as it can, and every byte is compared with what git holds.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from slackbot.adapters.github import GitHubForge
from slackbot.sandbox.github_emulator import GitHubEmulator
from slackbot.sandbox.gitrepo import Identity
from slackbot.sandbox.world import World
from tests.integration.test_github_adapter import make_source

CORE = "lsc-sde/iac-flux-lscsde"
BRANCH = "stress"
FILES = 300
ROUNDS = 4  # each file read this many times, by different threads
THREADS = 32


@pytest.fixture
def many_files(sandbox_world: World) -> dict[str, str]:
    """A branch with FILES files, each with text found nowhere else."""
    repo = sandbox_world.repo(CORE)
    files = {
        f"stress/file-{n:03d}.yaml": f"components:\n  c{n}:\n    chart_version: 1.{n}.0\n"
        for n in range(FILES)
    }
    main = repo.ref("refs/heads/main")
    assert main is not None
    tree = repo.tree_with_files(main, {path: text.encode() for path, text in files.items()})

    commit = repo.commit_tree(tree, [main], "many files", author=Identity.parse("Dev <dev@example.com>"))
    repo.create_ref(f"refs/heads/{BRANCH}", commit)
    return files


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Switch threads as often as the interpreter allows, so races show at once."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.fixture
def source(github_emulator: GitHubEmulator) -> Iterator[GitHubForge]:
    adapter = make_source(github_emulator)
    yield adapter
    adapter.close()


@pytest.mark.usefixtures("fast_switching")
def test_thousands_of_parallel_file_reads_each_get_their_own_answer(
    source: GitHubForge, many_files: dict[str, str]
) -> None:
    paths = [path for _ in range(ROUNDS) for path in many_files]

    def read(path: str) -> tuple[str, str | None]:
        found = source.read_file(CORE, path, BRANCH)
        return path, found.text if found else None

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        answers = list(pool.map(read, paths))

    wrong = [path for path, text in answers if text != many_files[path]]
    assert len(answers) == FILES * ROUNDS
    assert wrong == []


@pytest.mark.usefixtures("fast_switching")
def test_parallel_branch_reads_pair_every_file_with_its_own_text(
    source: GitHubForge, many_files: dict[str, str], sandbox_world: World
) -> None:
    head = sandbox_world.repo(CORE).resolve(f"refs/heads/{BRANCH}")
    groups = [list(many_files)[start : start + 10] for start in range(0, FILES, 10)]

    def read(paths: list[str]) -> list[str]:
        snapshot = source.read_branch(CORE, BRANCH, paths)
        assert snapshot.head.sha == head
        return [path for path in paths if snapshot.files[path] != many_files[path]]

    with ThreadPoolExecutor(max_workers=8) as pool:
        wrong = [path for mismatched in pool.map(read, groups * 2) for path in mismatched]

    assert wrong == []
