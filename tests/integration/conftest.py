"""Fixtures for tests against the sandbox: a seeded world (copied per test) and the GitHub emulator."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from github import Auth, Github
from slack_sdk import WebClient
from sqlalchemy import create_engine, text
from urllib3.util.retry import Retry

from slackbot.adapters.kubernetes import KubernetesFluxProbe
from slackbot.adapters.store import normalise_url
from slackbot.sandbox.clusters import write_kubeconfig
from slackbot.sandbox.github_emulator import GitHubEmulator
from slackbot.sandbox.gitrepo import GitRepo
from slackbot.sandbox.kube_emulator import KubeEmulator
from slackbot.sandbox.slack_emulator import SlackEmulator
from slackbot.sandbox.world import World, seed_world

EMULATOR_TOKEN = "test-token"
OLDEST = 1_735_689_600  # 2025-01-01T00:00:00Z, the first of the commits add_commits makes
PG_URL_VARIABLE = "SLACKBOT_TEST_DATABASE_URL"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file in a folder that does not exist yet, or a fresh PostgreSQL
    schema (through ``search_path``, so tests never see each other's rows) dropped afterwards.
    PostgreSQL needs SLACKBOT_TEST_DATABASE_URL (CI sets it); without it that half is skipped."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'slackbot.db'}"
        return
    base = os.environ.get(PG_URL_VARIABLE)
    if not base:
        pytest.skip(
            f"PostgreSQL tests need {PG_URL_VARIABLE}, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(base))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = normalise_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Seeded once per session; never written to (copy it with the ``sandbox_world`` fixture)."""
    return seed_world(tmp_path_factory.mktemp("world-template"))


@pytest.fixture
def sandbox_world(world_template: World, tmp_path: Path) -> World:
    """A private copy of the seeded world, free to write to."""
    root = tmp_path / "world"
    # Hard links are safe: git never rewrites a file in place (objects are immutable, refs and
    # the emulator's state are replaced by rename), and they make the copy nearly free.
    shutil.copytree(world_template.repos_dir, root / "repos", copy_function=os.link)
    shutil.copy2(world_template.config_path, root / "slackbot.yml")
    return seed_world(root)  # reuses the copied repositories


@pytest.fixture
def github_emulator(sandbox_world: World) -> Iterator[GitHubEmulator]:
    with GitHubEmulator(sandbox_world.repos_dir, token=EMULATOR_TOKEN) as emulator:
        yield emulator


ClientFactory = Callable[..., Github]


@pytest.fixture
def github_factory(github_emulator: GitHubEmulator) -> Iterator[ClientFactory]:
    """Build PyGithub clients as production does, minus throttling.

    ``retry=None`` (the default here) shows raw errors; pass ``retry=GithubRetry()`` or an int to
    see PyGithub's own retrying. Other keywords go to ``Github`` (``per_page=3``).
    """
    clients: list[Github] = []

    def make(*, retry: int | Retry | None = None, token: str = EMULATOR_TOKEN, **options: Any) -> Github:
        client = Github(
            base_url=github_emulator.base_url,
            auth=Auth.Token(token),
            seconds_between_requests=0,
            seconds_between_writes=0,
            retry=retry,
            **options,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def github_client(github_factory: ClientFactory) -> Github:
    return github_factory()


def add_commits(
    git: GitRepo, branch: str, count: int, *, base_branch: str = "release/0.2.105", start: int = OLDEST
) -> list[str]:
    """``count`` commits on a new ``branch`` cut from ``base_branch``, an hour apart from ``start``
    (later than the seeded history: git's walks trust commit dates); their shas, oldest first."""
    base = git.ref(f"refs/heads/{base_branch}")
    assert base is not None
    stream = bytearray(f"reset refs/heads/{branch}\nfrom {base}\n\n".encode())
    for n in range(1, count + 1):
        stamp = f"Dev <dev@example.test> {start + 3600 * (n - 1)} +0000"
        message, data = f"Commit {n}\n".encode(), f"n: {n}\n".encode()
        stream += f"commit refs/heads/{branch}\nmark :{n}\nauthor {stamp}\ncommitter {stamp}\n".encode()
        stream += f"data {len(message)}\n".encode() + message
        stream += f"M 100644 inline values/counter.yaml\ndata {len(data)}\n".encode() + data + b"\n\n"
    git.fast_import(bytes(stream + b"done\n"))
    return [c.sha for c in reversed(git.log(f"refs/heads/{branch}", max_count=count))]


# -- a cluster's Kubernetes API, and the probe reading it ---------------------------------------------


@pytest.fixture
def kube() -> Iterator[KubeEmulator]:
    with KubeEmulator() as emulator:
        yield emulator


@pytest.fixture
def kubeconfig(tmp_path: Path, kube: KubeEmulator) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", {"prod": kube})


@pytest.fixture
def probe(kubeconfig: Path) -> Iterator[KubernetesFluxProbe]:
    made = KubernetesFluxProbe(kube_context="prod", kubeconfig=str(kubeconfig))
    yield made
    made.close()


# -- Slack's Web API, and a client of it as the bot's ----------------------------------------------------


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    with SlackEmulator() as running:
        yield running


@pytest.fixture
def client(emulator: SlackEmulator) -> WebClient:
    return WebClient(base_url=emulator.api_url, token=emulator.bot_token)
