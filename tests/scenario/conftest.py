"""The whole bot on the sandbox: signed Slack requests in, emulated Slack and GitHub out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from github import Auth, Github

from slackbot.sandbox.harness import SANDBOX_GITHUB_TOKEN, Sandbox


@pytest.fixture(scope="module")
def shared_box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A running bot shared by a module's read-only conversations."""
    with Sandbox(tmp_path_factory.mktemp("sandbox")) as box:
        yield box


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Sandbox]:
    """A bot with a world of its own, for conversations that change the repositories."""
    with Sandbox(tmp_path) as box:
        yield box


@pytest.fixture
def github(box: Sandbox) -> Iterator[Github]:
    """Someone on GitHub, pressing its buttons."""
    with Github(auth=Auth.Token(SANDBOX_GITHUB_TOKEN), base_url=box.github.base_url) as client:
        yield client
