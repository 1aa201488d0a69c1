"""The Slack emulator against Slack's own clients: slack_sdk's WebClient, WebhookClient and
SocketModeClient, and a real Bolt app served over HTTP (waitress) and over Socket Mode."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import Ack, App, Respond, Say
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.webhook import WebhookClient
from waitress.server import create_server

from slackbot.sandbox.slack_emulator import SlackEmulator
from slackbot.sandbox.slack_payloads import SlackUser
from slackbot.sandbox.slack_user import Conversation, HttpDelivery, SocketDelivery

SIGNING_SECRET = "test-signing-secret"


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def echo_app(emulator: SlackEmulator) -> App:
    """A minimal Bolt app: /echo acks at once and answers through response_url."""
    app = App(
        signing_secret=SIGNING_SECRET,
        client=WebClient(base_url=emulator.api_url, token=emulator.bot_token),
    )

    @app.command("/echo")
    def echo(ack: Ack, command: dict[str, str], respond: Respond) -> None:
        ack()
        respond(f"echo: {command['text']}")

    @app.command("/approve")
    def ask_approval(ack: Ack, say: Say) -> None:
        ack()
        button = {"type": "button", "action_id": "approve", "text": {"type": "plain_text", "text": "Approve"}}
        say(text="Approve?", blocks=[{**section("Approve the hotfix?"), "accessory": button}])

    @app.action("approve")
    def approve(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        respond(replace_original=True, text=f"{body['actions'][0]['value']} by <@{body['user']['id']}>")

    @app.command("/menu")
    def menu(ack: Ack) -> None:
        button = {"type": "button", "action_id": "pick", "text": {"type": "plain_text", "text": "Pick"}}
        ack(text="Menu", blocks=[{**section("Choose"), "accessory": button}])

    @app.action("pick")
    def pick(ack: Ack, respond: Respond) -> None:
        ack()
        respond(replace_original=True, text="picked")

    @app.command("/hotfix")
    def open_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        ticket = {
            "type": "input",
            "block_id": "ticket",
            "label": {"type": "plain_text", "text": "Ticket"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
        title = {"type": "plain_text", "text": "Hotfix"}
        submit = {"type": "plain_text", "text": "Start"}
        client.views_open(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "callback_id": "hotfix",
                "title": title,
                "submit": submit,
                "blocks": [ticket],
            },
        )

    @app.view("hotfix")
    def submitted(ack: Ack, view: dict[str, Any], say: Say) -> None:
        ticket = view["state"]["values"]["ticket"]["value"]["value"]
        if not ticket:
            ack(response_action="errors", errors={"ticket": "Which ticket?"})
            return
        ack()
        say(channel="C0GENERAL", text=f"hotfix/{ticket} started")

    return app


# ---------------------------------------------------------------------- Web API


def test_auth_test_answers_what_bolt_needs(emulator: SlackEmulator, client: WebClient) -> None:
    response = client.auth_test()

    assert response["ok"] is True
    assert (response["user_id"], response["bot_id"], response["team_id"]) == ("U0BOT", "B0BOT", "T0SANDBOX")
    [call] = emulator.calls_to("auth.test")
    assert call.token == emulator.bot_token
    assert emulator.bot_token not in repr(call)


@pytest.mark.parametrize(
    ("token", "error"),
    [("xoxb-wrong", "invalid_auth"), (None, "not_authed"), ("xapp-sandbox", "not_allowed_token_type")],
)
def test_bad_tokens_are_refused(emulator: SlackEmulator, token: str | None, error: str) -> None:
    with pytest.raises(SlackApiError) as raised:
        WebClient(base_url=emulator.api_url, token=token).chat_postMessage(channel="C1", text="hi")

    assert raised.value.response["error"] == error
    assert emulator.messages("C1") == []


def test_unknown_method(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.teleport")

    assert raised.value.response["error"] == "unknown_method"


def test_messages_threads_and_edits(emulator: SlackEmulator, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="rolling out", blocks=[section("*rolling out*")])
    reply = client.chat_postMessage(channel="C1", text="step 1 done", thread_ts=parent["ts"])
    client.chat_update(channel="C1", ts=parent["ts"], text="rolled out", blocks=[section("*rolled out*")])

    assert float(reply["ts"]) > float(parent["ts"])
    assert parent["channel"] == "C1"
    assert parent["message"]["text"] == "rolling out"
    [top] = emulator.messages("C1")
    assert top.text == "rolled out"
    assert [v.text for v in top.history] == ["rolling out"]
    assert [m.text for m in emulator.thread("C1", parent["ts"])] == ["step 1 done"]
    history = client.conversations_history(channel="C1")
    assert [m["text"] for m in history["messages"]] == ["rolled out"]
    link = client.chat_getPermalink(channel="C1", message_ts=reply["ts"])["permalink"]
    assert f"thread_ts={parent['ts']}" in link


@pytest.mark.parametrize("which", ["unknown", "a reply"])
def test_thread_ts_must_be_a_parent(client: WebClient, which: str) -> None:
    parent = client.chat_postMessage(channel="C1", text="parent")
    reply = client.chat_postMessage(channel="C1", text="reply", thread_ts=parent["ts"])
    thread_ts = "1.000001" if which == "unknown" else reply["ts"]

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="lost", thread_ts=thread_ts)

    assert raised.value.response["error"] == "thread_not_found"


def test_channels_are_permissive_until_modelled(emulator: SlackEmulator, client: WebClient) -> None:
    client.chat_postMessage(channel="C0ANY", text="anything goes")
    emulator.add_channel("C0OPS", "ops")

    assert client.chat_postMessage(channel="#ops", text="by name")["channel"] == "C0OPS"
    assert client.conversations_info(channel="C0OPS")["channel"]["name"] == "ops"
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0NOPE", text="nobody here")
    assert raised.value.response["error"] == "channel_not_found"


@pytest.mark.parametrize(
    ("blocks", "text", "error"),
    [
        ([section("x")] * 51, "fallback", "invalid_blocks"),
        ([section("x" * 3001)], "fallback", "invalid_blocks"),
        (
            [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            "fallback",
            "invalid_blocks",
        ),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            "fallback",
            "invalid_blocks",
        ),
        ([section("y" * 2900)] * 5, "fallback", "msg_blocks_too_long"),
        (None, "t" * 40_001, "msg_too_long"),
    ],
    ids=["51-blocks", "long-section", "long-header", "11-fields", "13k-total", "40k-text"],
)
def test_block_kit_limits(
    emulator: SlackEmulator, client: WebClient, blocks: list[dict[str, Any]] | None, text: str, error: str
) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text=text, blocks=blocks)

    assert raised.value.response["error"] == error
    assert emulator.messages("C1") == []


def test_limits_are_not_exceeded_at_the_limit(client: WebClient) -> None:
    fields = [{"type": "mrkdwn", "text": "f"}] * 10
    blocks = [section("x" * 3000), {"type": "section", "fields": fields}, *[section("x")] * 48]

    assert client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)["ok"] is True


def test_rate_limits_are_retried_by_the_retry_handler(
    emulator: SlackEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(random, "random", lambda: 0.0)  # no jitter: a fast test
    emulator.inject_rate_limit("chat.postMessage", retry_after=0, times=1)
    client = WebClient(
        base_url=emulator.api_url,
        token=emulator.bot_token,
        retry_handlers=[builtin_handlers.RateLimitErrorRetryHandler(max_retry_count=1)],
    )

    assert client.chat_postMessage(channel="C1", text="eventually")["ok"] is True
    assert [c.status for c in emulator.calls_to("chat.postMessage")] == [429, 200]
    assert len(emulator.messages("C1")) == 1


def test_rate_limit_without_retry_handler_raises(emulator: SlackEmulator, client: WebClient) -> None:
    emulator.inject_rate_limit("reactions.add", retry_after=7)

    with pytest.raises(SlackApiError) as raised:
        client.reactions_add(channel="C1", name="eyes", timestamp="1.000001")

    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"


def test_ephemeral_users_groups_and_reactions(emulator: SlackEmulator, client: WebClient) -> None:
    emulator.add_user("U0ALICE", "alice", is_admin=True)
    emulator.add_usergroup("S0PLAT", "platform", ["U0ALICE"])
    posted = client.chat_postMessage(channel="C1", text="hello")

    client.reactions_add(channel="C1", name="eyes", timestamp=posted["ts"])
    ephemeral = client.chat_postEphemeral(channel="C1", user="U0ALICE", text="just for you")

    assert emulator.messages("C1")[0].reactions == {"eyes": ["U0BOT"]}
    assert [m.ts for m in emulator.ephemeral_messages("C1", "U0ALICE")] == [ephemeral["message_ts"]]
    assert client.users_info(user="U0ALICE")["user"]["is_admin"] is True
    assert client.usergroups_users_list(usergroup="S0PLAT")["users"] == ["U0ALICE"]
    assert client.usergroups_list(include_users=True)["usergroups"][0]["handle"] == "platform"
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.users_info(user="U0BOB")


def test_views_need_a_fresh_trigger(emulator: SlackEmulator, client: WebClient) -> None:
    trigger = emulator.new_trigger_id()
    view = {
        "type": "modal",
        "callback_id": "hotfix",
        "title": {"type": "plain_text", "text": "Hotfix"},
        "blocks": [section("Which ticket?")],
    }

    opened = client.views_open(trigger_id=trigger, view=view)["view"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=view)["view"]

    assert updated["id"] == opened["id"]
    assert [v["callback_id"] for v in emulator.views()] == ["hotfix"]
    for bad_trigger, error in [(trigger, "exchanged_trigger_id"), ("123.456.abc", "invalid_trigger_id")]:
        with pytest.raises(SlackApiError) as raised:
            client.views_open(trigger_id=bad_trigger, view=view)
        assert raised.value.response["error"] == error


# ---------------------------------------------------------------------- response_url


def test_response_url_posts_are_recorded_and_limited(emulator: SlackEmulator) -> None:
    url = emulator.new_response_url(channel="C1", user="U0ALICE")
    hook = WebhookClient(url)

    first = hook.send(text="only you see this")
    hook.send(text="everyone sees this", response_type="in_channel")
    invalid = hook.send(text="too many", blocks=[section("x")] * 51)
    for n in range(3):
        hook.send(text=f"more {n}")
    sixth = hook.send(text="one too many")

    assert first.status_code == 200
    assert (invalid.status_code, "invalid_blocks" in invalid.body) == (400, True)
    assert (sixth.status_code, "used_url" in sixth.body) == (404, True)
    assert [r["text"] for r in emulator.responses(url)] == [
        "only you see this",
        "everyone sees this",
        "more 0",
        "more 1",
        "more 2",
    ]
    assert [m.text for m in emulator.messages("C1")] == ["everyone sees this"]
    assert [m.text for m in emulator.ephemeral_messages("C1", "U0ALICE")] == [
        "only you see this",
        "more 0",
        "more 1",
        "more 2",
    ]


def test_replace_original_edits_the_clicked_message(emulator: SlackEmulator, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C1", text="Approve?")
    url = emulator.new_response_url(channel="C1", user="U0ALICE", original=("C1", posted["ts"]))

    WebhookClient(url).send(text="Approved by alice", replace_original=True)

    [message] = emulator.messages("C1")
    assert (message.text, [v.text for v in message.history]) == ("Approved by alice", ["Approve?"])


def test_wait_for_times_out_with_a_dump(emulator: SlackEmulator, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="something else")

    with pytest.raises(TimeoutError, match=r"chat\.postMessage"):
        emulator.wait_for(lambda: emulator.messages("C2"), timeout=0.05)


# ---------------------------------------------------------------------- a Bolt app over HTTP


@pytest.fixture
def http_bot(emulator: SlackEmulator) -> Iterator[str]:
    server: Any = create_server(
        SlackRequestHandler(echo_app(emulator)), host="127.0.0.1", port=0, asyncore_loop_timeout=0.05
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    # Close from inside waitress's loop: closing from here races its select() (EBADF).
    server.trigger.pull_trigger(server.close)
    thread.join(timeout=2)
    server.task_dispatcher.shutdown()
    assert not thread.is_alive()


def test_signed_command_is_acked_and_answered(emulator: SlackEmulator, http_bot: str) -> None:
    bot = Conversation(emulator, HttpDelivery(http_bot, SIGNING_SECRET), SlackUser(emulator))

    reply = bot.ask("/echo hello  world", settle=0.1)

    assert reply.ack.status == 200
    assert reply.ack.acked_in_time
    assert "echo: hello  world" in reply.text
    assert [p["kind"] for p in reply.posts] == ["response_url"]
    assert reply.posts[0]["response_type"] == "ephemeral"


def test_a_click_on_the_bots_message_replaces_it(emulator: SlackEmulator, http_bot: str) -> None:
    bot = Conversation(emulator, HttpDelivery(http_bot, SIGNING_SECRET), SlackUser(emulator))

    asked = bot.ask("/approve", settle=0.1)
    clicked = bot.click("approve", "approved", settle=0.1)

    assert "Approve the hotfix?  [ Approve ]" in asked.text
    assert clicked.ack.status == 200
    assert clicked.text == "approved by @U0ALICE"
    [message] = emulator.messages("C0GENERAL")
    assert (message.text, message.edited) == ("approved by <@U0ALICE>", True)


def test_an_ack_is_shown_and_its_buttons_work(emulator: SlackEmulator, http_bot: str) -> None:
    bot = Conversation(emulator, HttpDelivery(http_bot, SIGNING_SECRET), SlackUser(emulator))

    menu = bot.ask("/menu", settle=0.05)
    picked = bot.click("pick", "x", settle=0.1)

    assert [(p["kind"], p["response_type"]) for p in menu.posts] == [("ack", "ephemeral")]
    assert menu.text == "Choose  [ Pick ]"
    assert picked.text == "picked"
    [shown] = emulator.ephemeral_messages("C0GENERAL", "U0ALICE")
    assert (shown.text, shown.blocks, shown.edited) == ("picked", [], True)


def test_a_modal_is_opened_and_submitted(emulator: SlackEmulator, http_bot: str) -> None:
    bot = Conversation(emulator, HttpDelivery(http_bot, SIGNING_SECRET), SlackUser(emulator))

    modal = bot.ask("/hotfix", settle=0.05)
    refused = bot.submit("hotfix", {"ticket": {"value": ""}}, settle=0.05)
    accepted = bot.submit("hotfix", {"ticket": {"value": "PLAT-1"}}, settle=0.05)

    assert [v["callback_id"] for v in emulator.views()] == ["hotfix"]
    assert [p["kind"] for p in modal.posts] == ["views.open"]
    assert modal.text == "Ticket: [ ____ ]"
    assert refused.ack.json == {"response_action": "errors", "errors": {"ticket": "Which ticket?"}}
    assert refused.text == "⚠ ticket: Which ticket?"
    assert accepted.ack.status == 200
    assert accepted.text == "hotfix/PLAT-1 started"


@pytest.mark.parametrize(
    ("overrides"),
    [{"signature": ""}, {"signature": "v0=" + "0" * 64}, {"timestamp": int(time.time()) - 301}],
    ids=["unsigned", "badly-signed", "stale"],
)
def test_unverified_requests_get_401(
    emulator: SlackEmulator, http_bot: str, overrides: dict[str, Any]
) -> None:
    user = SlackUser(emulator)
    payload = user.slash_command_payload("/echo sneaky")

    result = HttpDelivery(http_bot, SIGNING_SECRET).send_command(payload, **overrides)

    assert result.status == 401
    time.sleep(0.05)
    assert emulator.responses(payload["response_url"]) == []


# ---------------------------------------------------------------------- a Bolt app over Socket Mode


def test_socket_mode_command_is_acked_and_the_handler_closes_cleanly(emulator: SlackEmulator) -> None:
    handler = SocketModeHandler(echo_app(emulator), emulator.app_token)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        assert emulator.socket_connected(timeout=2)
        session = handler.client.current_session
        assert session is not None
        # slack_sdk pings on connect; the pong proves the framing works both ways.
        emulator.wait_for(lambda: session.last_ping_pong_time, timeout=2)

        bot = Conversation(emulator, SocketDelivery(emulator), SlackUser(emulator))
        reply = bot.ask("/echo over the socket", settle=0.1)

        assert reply.ack.status == 200
        assert "echo: over the socket" in reply.text
        assert emulator.socket_messages[-1]["envelope_id"]
    finally:
        handler.close()  # type: ignore[no-untyped-call]

    assert emulator.socket_disconnected(timeout=1)
    assert not handler.client.is_connected()
    assert len(emulator.calls_to("apps.connections.open")) == 1  # closed, not reconnected
