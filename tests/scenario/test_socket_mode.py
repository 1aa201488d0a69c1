"""The same conversation over Socket Mode: no inbound port, envelopes over a websocket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from slackbot.sandbox.harness import Sandbox


@pytest.fixture(scope="module")
def socket_box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(tmp_path_factory.mktemp("socket"), socket_mode=True) as box:
        assert box.slack.socket_connected()
        yield box


def test_a_slash_command_over_socket_mode_is_acked_and_answered(socket_box: Sandbox) -> None:
    reply = socket_box.ask("/versions prod jupyter_hub")
    assert reply.ack.status == 200
    assert "release/0.2.105" in reply.text
    assert "rolls out to *prod* and *stg*" in reply.text


def test_mistakes_over_socket_mode_get_the_same_sentence(socket_box: Sandbox) -> None:
    assert "Did you mean `jupyter_hub`?" in socket_box.ask("/versions prod jupiter").text


def test_socket_mode_needs_no_signing_secret(tmp_path: Path) -> None:
    with Sandbox(tmp_path, socket_mode=True) as box:
        box.secrets = box.secrets.model_copy(update={"slack_signing_secret": None})
        box.restart_bot()
        assert box.slack.socket_connected()
        assert "prod" in box.ask("/versions").text
