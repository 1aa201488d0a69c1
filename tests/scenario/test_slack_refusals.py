"""When Slack refuses the usual way to answer: a response_url that expired, was used up, or would not
show the answer, and an ephemeral message that cannot reach the person. The person still hears back
another way, and the log says what happened, in one line."""

from __future__ import annotations

import logging

import pytest
from slack_sdk.webhook import WebhookClient

from slackbot.sandbox.harness import INCIDENT, Sandbox
from slackbot.sandbox.slack_emulator import Message
from tests.scenario.helpers import hotfix

DELIVERY = "slackbot.slack.delivery"


def logged(caplog: pytest.LogCaptureFixture, fragment: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == DELIVERY and fragment in r.getMessage()]


def ephemerals(box: Sandbox, user: str = "U0ALICE") -> list[Message]:
    """What the bot posted to ``user`` alone with chat.postEphemeral in the incident channel."""
    return [m for m in box.slack.ephemeral_messages(INCIDENT[0], user) if m.source == "chat.postEphemeral"]


def test_an_expired_response_url_is_answered_with_an_ephemeral_message(
    box: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    box.slack.response_url_ttl = 0  # every response_url has expired by the time the bot answers

    reply = box.ask("/versions prod jupyter_hub")

    assert [p["kind"] for p in reply.posts] == ["chat.postEphemeral"]
    assert "release/0.2.105" in reply.text
    [line] = logged(caplog, "expired_url, HTTP 404")
    assert "sent it to U0ALICE in C0INC2291 with chat.postEphemeral" in line
    assert "/response/" not in line  # the URL lets anyone answer as the bot: never logged


def test_a_used_up_response_url_is_answered_with_an_ephemeral_message(box: Sandbox) -> None:
    payload = box.user.slash_command_payload("/hotfix status")
    hook = WebhookClient(payload["response_url"])
    for n in range(5):  # Slack takes five posts per response_url
        assert hook.send(text=f"earlier answer {n}").status_code == 200

    assert box.delivery.send_command(payload).ok

    [answer] = box.slack.wait_for(lambda: ephemerals(box), timeout=10)
    assert answer.text == "No active hot-fixes."


def test_an_answer_slack_will_not_show_comes_in_its_short_form(
    box: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    box.slack.inject_response_url_error("msg_blocks_too_long")

    text = box.ask("/versions prod").text

    assert text.startswith(":warning: Slack would not show my whole answer (msg_blocks_too_long)")
    assert "prod runs" in text
    assert logged(caplog, "its short form went through")


def test_an_error_sentence_takes_the_same_way_round(box: Sandbox) -> None:
    box.slack.response_url_ttl = 0

    text = box.ask("/hotfix frobnicate jupyter_hub INC-1").text

    assert text == (
        ":warning: I don't know an environment called `frobnicate`. Known environments: dev, prod, sandbox, stg, uat."
    )
    assert len(ephemerals(box)) == 1


def test_when_every_way_is_refused_the_log_says_who_saw_nothing_and_the_bot_carries_on(
    box: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    box.slack.add_channel(*INCIDENT, members=[box.slack.bot_user_id])  # alice has left the channel
    box.slack.response_url_ttl = 0

    silent = box.ask("/hotfix status", timeout=2)
    box.slack.response_url_ttl = 30 * 60
    again = box.ask("/hotfix status").text

    assert silent.posts == []
    [line] = logged(caplog, "chat.postEphemeral did too (user_not_in_channel)")
    assert "(expired_url, HTTP 404)" in line
    assert "U0ALICE in C0INC2291 saw nothing" in line
    assert again.startswith("No active hot-fixes.")


def test_an_answer_to_the_start_form_that_cannot_be_shown_is_logged_and_the_hotfix_still_starts(
    box: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    box.ask("/hotfix")
    box.slack.add_channel(*INCIDENT, members=[box.slack.bot_user_id])  # alice left while filling it in

    submitted = box.conversation.submit(
        "hotfix_start",
        {
            "environment": {"value": "prod"},
            "component": {"value": "jupyter_hub"},
            "ticket": {"value": "INC-61"},
        },
        timeout=15,
        settle=1.0,
    )

    assert submitted.ack.status == 200
    box.slack.wait_for(lambda: logged(caplog, "chat.postEphemeral refused an answer (user_not_in_channel)"))
    assert hotfix(box, "INC-61").thread_ts is not None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("slack_bolt")]
