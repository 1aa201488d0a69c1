"""The whole bot on the sandbox: signed Slack requests in, emulated Slack and GitHub out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from slackbot.sandbox.harness import Sandbox


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A running bot shared by a module's read-only conversations."""
    with Sandbox(tmp_path_factory.mktemp("sandbox")) as box:
        yield box


@pytest.fixture
def fresh_bot(tmp_path: Path) -> Iterator[Sandbox]:
    """A bot with a world of its own, for conversations that change the repositories."""
    with Sandbox(tmp_path) as box:
        yield box
