"""The whole bot on the sandbox: signed Slack requests in, emulated Slack and GitHub out.

Every conversation is also a contract test: when a sandbox stops, everything the bot sent Slack
(messages, answers, views) must have kept the contract of :mod:`tests.slack_contract`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from github import Auth, Github

from slackbot.sandbox.harness import SANDBOX_GITHUB_TOKEN, Sandbox
from tests.slack_contract import assert_contract_kept


@pytest.fixture(scope="module")
def shared_box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A running bot shared by a module's read-only conversations."""
    with Sandbox(tmp_path_factory.mktemp("sandbox")) as box:
        yield box
        assert_contract_kept(box.slack.received())


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Sandbox]:
    """A bot with a world of its own, for conversations that change the repositories."""
    with Sandbox(tmp_path) as box:
        yield box
        assert_contract_kept(box.slack.received())


@pytest.fixture
def github(box: Sandbox) -> Iterator[Github]:
    """Someone on GitHub, pressing its buttons."""
    with Github(auth=Auth.Token(SANDBOX_GITHUB_TOKEN), base_url=box.github.base_url) as client:
        yield client
