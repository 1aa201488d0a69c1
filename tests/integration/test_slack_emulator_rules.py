"""The Slack emulator refuses what Slack refuses and sends what Slack sends, through slack_sdk's own
clients: private channels and DMs, channel membership, history pages and metadata, Block Kit's rules
for messages and modals, and response_urls that refuse."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from slackbot.sandbox.slack_emulator import SlackEmulator
from slackbot.sandbox.slack_payloads import SlackUser


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    with SlackEmulator() as running:
        running.add_channel("C0PUBLIC", "inc-1-public")
        running.add_channel("C0PRIV", "inc-2-private", is_private=True)  # the bot is in it
        running.add_channel("C0SECRET", "inc-3-secret", is_private=True, members=["U0ALICE"])
        running.add_user("U0ALICE", "alice")
        running.add_user("U0BOB", "bob")
        yield running


def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()
    return str(raised.value.response["error"])


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def options(n: int) -> list[dict[str, Any]]:
    return [{"text": plain(f"o{i}"), "value": f"o{i}"} for i in range(n)]


# ---------------------------------------------------------------------- what Slack sends


@pytest.mark.parametrize(
    ("channel", "name", "sent"),
    [
        ("C0PUBLIC", "inc-1-public", "inc-1-public"),
        ("C0PRIV", "inc-2-private", "privategroup"),
        ("D0ALICE", "alice", "directmessage"),
    ],
)
def test_commands_and_clicks_name_private_channels_and_dms_as_slack_does(
    emulator: SlackEmulator, channel: str, name: str, sent: str
) -> None:
    user = SlackUser(emulator, channel_id=channel, channel_name=name)

    command = user.slash_command_payload("/hotfix status")
    click = user.block_action_payload("hotfix_cancel", "INC-1")

    assert (command["channel_id"], command["channel_name"]) == (channel, sent)
    assert click["channel"] == {"id": channel, "name": sent}


# ---------------------------------------------------------------------- channels and members


def test_a_private_channel_exists_for_the_bot_only_once_it_is_invited(
    emulator: SlackEmulator, client: WebClient
) -> None:
    assert client.conversations_info(channel="C0PRIV")["channel"]["name"] == "inc-2-private"
    assert error_of(lambda: client.conversations_info(channel="C0SECRET")) == "channel_not_found"
    assert error_of(lambda: client.conversations_history(channel="C0SECRET")) == "channel_not_found"
    assert error_of(lambda: client.chat_postMessage(channel="C0SECRET", text="hi")) == "channel_not_found"

    emulator.invite("C0SECRET", emulator.bot_user_id)

    info = client.conversations_info(channel="C0SECRET")["channel"]
    assert (info["name"], info["is_private"], info["is_member"]) == ("inc-3-secret", True, True)


def test_reading_a_public_channel_takes_membership_posting_does_not(
    emulator: SlackEmulator, client: WebClient
) -> None:
    emulator.add_channel("C0OPS", "ops", members=["U0ALICE"])

    assert client.conversations_info(channel="C0OPS")["channel"]["is_member"] is False
    assert client.chat_postMessage(channel="C0OPS", text="chat:write.public")["ok"] is True
    assert error_of(lambda: client.conversations_history(channel="C0OPS")) == "not_in_channel"


def test_an_ephemeral_message_reaches_only_a_member_of_the_channel(
    emulator: SlackEmulator, client: WebClient
) -> None:
    emulator.invite("C0SECRET", emulator.bot_user_id)

    assert client.chat_postEphemeral(channel="C0SECRET", user="U0ALICE", text="for alice")["ok"] is True
    assert error_of(lambda: client.chat_postEphemeral(channel="C0SECRET", user="U0BOB", text="for bob")) == (
        "user_not_in_channel"
    )
    assert [m.text for m in emulator.ephemeral_messages("C0SECRET")] == ["for alice"]


# ---------------------------------------------------------------------- history


def test_history_comes_in_pages_newest_first(emulator: SlackEmulator, client: WebClient) -> None:
    for n in range(250):
        emulator.user_says("C0PUBLIC", "U0ALICE", f"message {n}")

    first = client.conversations_history(channel="C0PUBLIC", limit=200)
    second = client.conversations_history(
        channel="C0PUBLIC", limit=200, cursor=first["response_metadata"]["next_cursor"]
    )
    default = client.conversations_history(channel="C0PUBLIC")

    assert (len(first["messages"]), first["has_more"]) == (200, True)
    assert first["messages"][0]["text"] == "message 249"
    assert (len(second["messages"]), second["has_more"]) == (50, False)
    assert second["messages"][-1]["text"] == "message 0"
    assert "response_metadata" not in second
    assert len(default["messages"]) == 100  # Slack's default limit
    assert error_of(lambda: client.conversations_history(channel="C0PUBLIC", cursor="bm9wZQ==")) == (
        "invalid_cursor"
    )


def test_history_shows_metadata_only_when_asked_for_all_of_it(client: WebClient) -> None:
    metadata = {"event_type": "hotfix_thread", "event_payload": {"hotfix_id": 1}}
    client.chat_postMessage(channel="C0PUBLIC", text="thread", metadata=metadata)

    [plain_message] = client.conversations_history(channel="C0PUBLIC")["messages"]
    [with_metadata] = client.conversations_history(channel="C0PUBLIC", include_all_metadata=True)["messages"]

    assert "metadata" not in plain_message
    assert with_metadata["metadata"] == metadata


def test_a_thread_is_read_parent_first_in_pages_with_its_metadata(client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C0PUBLIC", text="thread")["ts"]
    news = {"event_type": "hotfix_news", "event_payload": {"hotfix_id": 1, "key": "pr:3"}}
    for n in range(5):
        client.chat_postMessage(channel="C0PUBLIC", thread_ts=parent, text=f"reply {n}", metadata=news)

    first = client.conversations_replies(channel="C0PUBLIC", ts=parent, limit=4, include_all_metadata=True)
    second = client.conversations_replies(
        channel="C0PUBLIC", ts=parent, limit=4, cursor=first["response_metadata"]["next_cursor"]
    )

    assert [m["text"] for m in first["messages"]] == ["thread", "reply 0", "reply 1", "reply 2"]
    assert first["has_more"] is True
    assert first["messages"][1]["metadata"] == news
    assert [m["text"] for m in second["messages"]] == ["reply 3", "reply 4"]
    assert "metadata" not in second["messages"][0]  # only when asked for all of it
    assert error_of(lambda: client.conversations_replies(channel="C0PUBLIC", ts="1.000001")) == (
        "thread_not_found"
    )


# ---------------------------------------------------------------------- Block Kit


@pytest.mark.parametrize(
    "blocks",
    [
        [{"type": "carousel_of_dreams", "text": plain("x")}],
        [{"type": "header", "text": {"type": "mrkdwn", "text": "*not plain*"}}],
        [{"type": "section", "text": {"type": "markdown", "text": "x"}}],
        [{"type": "actions", "elements": [{"type": "static_select", "action_id": "a", "options": []}]}],
        [
            {
                "type": "actions",
                "elements": [{"type": "static_select", "action_id": "a", "options": options(101)}],
            }
        ],
        [{"type": "actions", "elements": [{"type": "button", "text": {"type": "mrkdwn", "text": "b"}}]}],
        [{"type": "actions", "elements": [{"type": "teleporter", "action_id": "a"}]}],
        [{"type": "context", "elements": []}],
        [{**section("x"), "accessory": {"type": "button", "text": plain("b"), "style": "loud"}}],
    ],
    ids=[
        "unknown-block",
        "mrkdwn-header",
        "unknown-text-type",
        "select-0-options",
        "select-101-options",
        "mrkdwn-button",
        "unknown-element",
        "empty-context",
        "unknown-button-style",
    ],
)
def test_blocks_slack_refuses_are_refused_with_the_reason(
    emulator: SlackEmulator, client: WebClient, blocks: list[dict[str, Any]]
) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0PUBLIC", text="fallback", blocks=blocks)

    assert raised.value.response["error"] == "invalid_blocks"
    [reason] = raised.value.response["response_metadata"]["messages"]
    assert reason.startswith("[ERROR] ")
    assert "[json-pointer:/blocks/0" in reason
    assert emulator.messages("C0PUBLIC") == []


def test_blocks_as_slack_takes_them_are_taken(client: WebClient) -> None:
    select = {"type": "static_select", "action_id": "a", "options": options(100), "placeholder": plain("p")}
    blocks = [
        {"type": "header", "text": plain("h" * 150)},
        {
            **section("x"),
            "accessory": {"type": "button", "action_id": "b", "text": plain("b"), "style": "danger"},
        },
        {"type": "actions", "elements": [select]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}]},
        {"type": "divider"},
    ]

    assert client.chat_postMessage(channel="C0PUBLIC", text="fallback", blocks=blocks)["ok"] is True


def modal(**changes: Any) -> dict[str, Any]:
    ticket = {
        "type": "input",
        "block_id": "t",
        "label": plain("Ticket"),
        "element": {"type": "plain_text_input"},
    }
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "c",
        "title": plain("Start"),
        "submit": plain("Go"),
        "blocks": [ticket],
    }
    view.update(changes)
    return {k: v for k, v in view.items() if v is not None}


@pytest.mark.parametrize(
    "view",
    [
        modal(submit=None),
        modal(title=plain("a title far longer than 24")),
        modal(title={"type": "mrkdwn", "text": "T"}),
        modal(blocks=[]),
        modal(blocks=[{"type": "divider"}] * 101),
        modal(
            blocks=[
                {"type": "input", "label": plain("L"), "element": {"type": "static_select", "options": []}}
            ]
        ),
    ],
    ids=["input-without-submit", "long-title", "mrkdwn-title", "no-blocks", "101-blocks", "empty-select"],
)
def test_modals_slack_refuses_are_refused(
    emulator: SlackEmulator, client: WebClient, view: dict[str, Any]
) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.views_open(trigger_id=emulator.new_trigger_id(), view=view)

    assert raised.value.response["error"] == "invalid_arguments"
    assert raised.value.response["response_metadata"]["messages"][0].startswith("[ERROR] ")
    assert emulator.views() == []


def test_a_modal_as_slack_takes_it_is_opened(emulator: SlackEmulator, client: WebClient) -> None:
    assert client.views_open(trigger_id=emulator.new_trigger_id(), view=modal())["ok"] is True


# ---------------------------------------------------------------------- response_url


def test_a_response_url_refuses_as_slack_does(emulator: SlackEmulator) -> None:
    hook = WebhookClient(emulator.new_response_url(channel="C0PUBLIC", user="U0ALICE"))

    too_long = hook.send(text="x" * 40_001)
    too_big = hook.send(text="fallback", blocks=[section("y" * 2900)] * 5)
    emulator.inject_response_url_error("invalid_blocks")
    injected = hook.send(text="fine, but refused")
    fine = hook.send(text="fine")
    emulator.response_url_ttl = 0
    expired = hook.send(text="too late")

    assert (too_long.status_code, "msg_too_long" in too_long.body) == (400, True)
    assert (too_big.status_code, "msg_blocks_too_long" in too_big.body) == (400, True)
    assert (injected.status_code, "invalid_blocks" in injected.body) == (400, True)
    assert fine.status_code == 200
    assert (expired.status_code, "expired_url" in expired.body) == (404, True)
    assert [m.text for m in emulator.ephemeral_messages("C0PUBLIC", "U0ALICE")] == ["fine"]


def test_everything_the_bot_asked_to_show_is_kept_refused_or_not(
    emulator: SlackEmulator, client: WebClient
) -> None:
    client.chat_postMessage(channel="C0PUBLIC", text="shown")
    error_of(lambda: client.chat_postMessage(channel="C0PUBLIC", text="x", blocks=[{"type": "nope"}]))
    WebhookClient(emulator.new_response_url(channel="C0PUBLIC", user="U0ALICE")).send(text="answer")
    client.views_open(trigger_id=emulator.new_trigger_id(), view=modal())

    received = emulator.received()

    assert [(r.via, r.error) for r in received] == [
        ("chat.postMessage", None),
        ("chat.postMessage", "invalid_blocks"),
        ("response_url", None),
        ("views.open", None),
    ]
    assert received[2].content["text"] == "answer"
    assert received[3].content["view"]["callback_id"] == "c"
