"""The Slack emulator's App Home, against Slack's own clients: views.publish refuses what Slack
refuses, the ``app_home_opened`` event is shaped as Slack documents it, and a real Bolt app receives
it (and a click on its Home tab) over signed HTTP and over Socket Mode."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import Ack, App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from waitress.server import create_server

from slackbot.sandbox.slack_emulator import SlackEmulator
from slackbot.sandbox.slack_payloads import SlackUser
from slackbot.sandbox.slack_user import Conversation, HttpDelivery, SocketDelivery
from tests.slack_contract import contract_problems

SIGNING_SECRET = "test-signing-secret"


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    with SlackEmulator() as running:
        running.add_user("U0ALICE", "alice")
        running.add_user("U0BOB", "bob")
        running.add_user("U0ROBOT", "robot", is_bot=True)
        yield running


@pytest.fixture
def client(emulator: SlackEmulator) -> WebClient:
    return WebClient(base_url=emulator.api_url, token=emulator.bot_token)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def home(*blocks: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"type": "home", "blocks": list(blocks) or [section("Hello")], **fields}


def refusal(call: Any) -> tuple[str, list[str]]:
    """Slack's error code and its reasons (``response_metadata.messages``)."""
    with pytest.raises(SlackApiError) as raised:
        call()
    response = raised.value.response
    return str(response["error"]), list((response.get("response_metadata") or {}).get("messages") or [])


# ---------------------------------------------------------------------- views.publish


def test_a_published_home_tab_is_kept_per_person_with_a_stable_id(
    emulator: SlackEmulator, client: WebClient
) -> None:
    first = client.views_publish(user_id="U0ALICE", view=home(section("one")))["view"]
    again = client.views_publish(user_id="U0ALICE", view=home(section("two")))["view"]
    client.views_publish(user_id="U0BOB", view=home(section("bob's")))

    assert first["type"] == "home"
    assert (first["team_id"], first["app_id"], first["bot_id"]) == (
        emulator.team_id,
        emulator.app_id,
        emulator.bot_id,
    )
    assert (first["submit"], first["close"], first["state"]) == (None, None, {"values": {}})
    assert again["id"] == first["id"]  # a person's Home tab keeps its view id
    assert again["hash"] != first["hash"]  # and gets a new hash with each publish
    shown = emulator.home_view("U0ALICE")
    assert shown is not None
    assert shown["blocks"] == [section("two")]
    assert [p.user_id for p in emulator.home_publishes()] == ["U0ALICE", "U0ALICE", "U0BOB"]
    assert emulator.home_view("U0CAROL") is None


@pytest.mark.parametrize("user_id", [None, "", "U0NOBODY", "C0CHANNEL", "U0ROBOT"])
def test_views_publish_needs_a_person_of_the_workspace(client: WebClient, user_id: str | None) -> None:
    arguments: dict[str, Any] = {"view": home()} | ({} if user_id is None else {"user_id": user_id})
    assert refusal(lambda: client.api_call("views.publish", json=arguments)) == (
        "invalid_arguments",
        ["invalid `user_id`"],
    )


@pytest.mark.parametrize(
    ("view", "reason"),
    [
        pytest.param({"type": "modal", "blocks": [section("x")]}, "/view/type", id="a-modal"),
        pytest.param(home(*[section("x")] * 101), "/view/blocks", id="101-blocks"),
        pytest.param({"type": "home", "blocks": []}, "/view/blocks", id="no-blocks"),
        pytest.param(home(submit={"type": "plain_text", "text": "Go"}), "/view/submit", id="a-submit"),
        pytest.param(home(close={"type": "plain_text", "text": "Bye"}), "/view/close", id="a-close"),
        pytest.param(
            home({"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}),
            "/view/blocks/0/text",
            id="a-mrkdwn-header",
        ),
        pytest.param(home(section("x" * 3001)), "/view/blocks/0/text/text", id="a-long-section"),
        pytest.param(home(private_metadata="m" * 3001), "/view/private_metadata", id="long-metadata"),
    ],
)
def test_views_publish_refuses_what_slack_refuses(
    client: WebClient, view: dict[str, Any], reason: str
) -> None:
    code, messages = refusal(lambda: client.views_publish(user_id="U0ALICE", view=view))
    assert code == "invalid_arguments"
    assert len(messages) == 1
    assert f"[json-pointer:{reason}]" in messages[0]


def test_a_hundred_blocks_fit_a_home_tab(emulator: SlackEmulator, client: WebClient) -> None:
    client.views_publish(user_id="U0ALICE", view=home(*[section(f"line {n}") for n in range(100)]))
    shown = emulator.home_view("U0ALICE")
    assert shown is not None
    assert len(shown["blocks"]) == 100


def test_a_view_over_250_kb_is_too_large(client: WebClient) -> None:
    heavy = home(*[section("é" * 2999) for _ in range(50)])  # 50 sections of ~6 KB in UTF-8: about 300 KB
    assert refusal(lambda: client.views_publish(user_id="U0ALICE", view=heavy))[0] == "view_too_large"


def test_a_stale_hash_is_a_conflict(emulator: SlackEmulator, client: WebClient) -> None:
    first = client.views_publish(user_id="U0ALICE", view=home(section("one")))["view"]
    client.views_publish(user_id="U0ALICE", view=home(section("two")), hash=first["hash"])

    code, _ = refusal(lambda: client.views_publish(user_id="U0ALICE", view=home(), hash=first["hash"]))

    assert code == "hash_conflict"
    assert (
        refusal(lambda: client.views_publish(user_id="U0BOB", view=home(), hash="1.x"))[0] == "hash_conflict"
    )
    shown = emulator.home_view("U0ALICE")
    assert shown is not None
    assert shown["blocks"] == [section("two")]  # the refused publish changed nothing


def test_a_home_tab_not_enabled_in_the_manifest_cannot_be_published(
    emulator: SlackEmulator, client: WebClient
) -> None:
    emulator.home_tab_enabled = False
    assert refusal(lambda: client.views_publish(user_id="U0ALICE", view=home()))[0] == "not_enabled"
    assert emulator.home_publishes() == []


def test_every_publish_is_received_and_home_views_keep_the_contract(
    emulator: SlackEmulator, client: WebClient
) -> None:
    client.views_publish(user_id="U0ALICE", view=home())
    with pytest.raises(SlackApiError):
        client.views_publish(user_id="U0ALICE", view=home(submit={"type": "plain_text", "text": "Go"}))

    received = emulator.received()

    assert [(r.via, r.error) for r in received] == [
        ("views.publish", None),
        ("views.publish", "invalid_arguments"),
    ]
    assert contract_problems(received[:1]) == []  # a Home tab needs no title
    assert "home view cannot have submit and close" in contract_problems(received[1:])[0]
    [post] = [p for p in emulator.posts_since(0) if p.kind == "views.publish"]
    assert (post.user, post.blocks) == ("U0ALICE", [section("Hello")])


# ---------------------------------------------------------------------- app_home_opened


def test_the_event_is_an_event_callback_as_slack_documents_it(
    emulator: SlackEmulator, client: WebClient
) -> None:
    before = emulator.app_home_opened_event("U0ALICE")
    client.views_publish(user_id="U0ALICE", view=home())
    after = emulator.app_home_opened_event("U0ALICE")
    messages = emulator.app_home_opened_event("U0ALICE", tab="messages")

    assert before["type"] == "event_callback"
    assert (before["team_id"], before["api_app_id"]) == (emulator.team_id, emulator.app_id)
    assert before["event_id"].startswith("Ev")
    assert before["event_id"] != after["event_id"]
    assert isinstance(before["event_time"], int)
    assert before["authorizations"][0]["user_id"] == emulator.bot_user_id
    assert before["event"] == {
        "type": "app_home_opened",
        "user": "U0ALICE",
        "channel": "D0ALICE",  # the person's DM with the app
        "tab": "home",
        "event_ts": before["event"]["event_ts"],
    }  # no view before one was published
    assert float(before["event"]["event_ts"]) > 0
    assert after["event"]["view"] == emulator.home_view("U0ALICE")  # the tab's current view
    assert messages["event"]["tab"] == "messages"
    assert "view" not in messages["event"]


def publishing_app(emulator: SlackEmulator, seen: list[dict[str, Any]]) -> App:
    """A minimal Bolt app: its Home tab says who opened it; its button opens a modal."""
    app = App(
        signing_secret=SIGNING_SECRET, client=WebClient(base_url=emulator.api_url, token=emulator.bot_token)
    )

    @app.event("app_home_opened")
    def opened(event: dict[str, Any], client: WebClient) -> None:
        seen.append(event)
        if event["tab"] == "home":
            button = {
                "type": "button",
                "action_id": "more",
                "value": "v1",
                "text": {"type": "plain_text", "text": "More"},
            }
            view = home({**section(f"Hello <@{event['user']}>"), "block_id": "hello", "accessory": button})
            client.views_publish(user_id=event["user"], view=view)

    @app.action("more")
    def more(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        seen.append(body)
        title = {"type": "plain_text", "text": "More"}
        client.views_open(
            trigger_id=body["trigger_id"], view={"type": "modal", "title": title, "blocks": [section("more")]}
        )

    return app


@pytest.fixture
def http_app(emulator: SlackEmulator) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    server: Any = create_server(
        SlackRequestHandler(publishing_app(emulator, seen)),
        host="127.0.0.1",
        port=0,
        asyncore_loop_timeout=0.05,
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}", seen
    server.trigger.pull_trigger(server.close)
    thread.join(timeout=2)
    server.task_dispatcher.shutdown()


def test_a_signed_event_over_http_reaches_bolt_and_the_tab_is_published(
    emulator: SlackEmulator, http_app: tuple[str, list[dict[str, Any]]]
) -> None:
    url, seen = http_app
    person = Conversation(emulator, HttpDelivery(url, SIGNING_SECRET), SlackUser(emulator))

    tab = person.open_home()

    assert (tab.status, tab.timed_out) == (200, False)
    assert tab.text == "Hello @U0ALICE  [ More ]"
    assert seen[0]["user"] == "U0ALICE"
    reopened = person.open_home()
    assert reopened.view is not None
    assert tab.view is not None
    assert seen[1]["view"]["id"] == tab.view["id"]  # the second event carries the tab's view


@pytest.mark.parametrize(
    "overrides",
    [{"signature": ""}, {"signature": "v0=" + "0" * 64}, {"timestamp": int(time.time()) - 301}],
    ids=["unsigned", "badly-signed", "stale"],
)
def test_an_unverified_event_gets_401(
    emulator: SlackEmulator, http_app: tuple[str, list[dict[str, Any]]], overrides: dict[str, Any]
) -> None:
    url, seen = http_app
    result = HttpDelivery(url, SIGNING_SECRET).send_event(
        emulator.app_home_opened_event("U0ALICE"), **overrides
    )
    assert result.status == 401
    time.sleep(0.1)
    assert (seen, emulator.home_publishes()) == ([], [])


def test_a_click_on_the_home_tab_carries_the_view_and_no_channel(
    emulator: SlackEmulator, http_app: tuple[str, list[dict[str, Any]]]
) -> None:
    url, seen = http_app
    person = Conversation(emulator, HttpDelivery(url, SIGNING_SECRET), SlackUser(emulator))
    tab = person.open_home()
    assert tab.options("more") == ["v1"]

    reply = person.choose_in_home("more", "v1", timeout=2, settle=0.1)

    assert [p["kind"] for p in reply.posts] == ["views.open"]
    click = seen[-1]
    assert click["type"] == "block_actions"
    assert tab.view is not None
    assert click["container"] == {"type": "view", "view_id": tab.view["id"]}
    assert click["view"]["type"] == "home"
    assert "channel" not in click
    assert "response_url" not in click
    assert click["actions"][0] | {"action_ts": ""} == {
        "action_id": "more",
        "block_id": "hello",
        "type": "button",
        "value": "v1",
        "text": {"type": "plain_text", "text": "More"},
        "action_ts": "",
    }
    with pytest.raises(LookupError):
        person.choose_in_home("more", "not offered")


def test_events_arrive_over_socket_mode_as_events_api_envelopes(emulator: SlackEmulator) -> None:
    seen: list[dict[str, Any]] = []
    handler = SocketModeHandler(publishing_app(emulator, seen), emulator.app_token)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        assert emulator.socket_connected(timeout=2)
        person = Conversation(emulator, SocketDelivery(emulator), SlackUser(emulator))

        tab = person.open_home()

        assert (tab.status, tab.text) == (200, "Hello @U0ALICE  [ More ]")
        [ack] = [m for m in emulator.socket_messages if "envelope_id" in m]
        assert set(ack) == {"envelope_id"}  # an event's ack carries no response payload
    finally:
        handler.close()  # type: ignore[no-untyped-call]
    assert emulator.socket_disconnected(timeout=1)


def test_the_messages_tab_publishes_nothing(
    emulator: SlackEmulator, http_app: tuple[str, list[dict[str, Any]]]
) -> None:
    url, seen = http_app
    person = Conversation(emulator, HttpDelivery(url, SIGNING_SECRET), SlackUser(emulator))

    tab = person.open_home(tab="messages", timeout=0.5)

    assert (tab.status, tab.view, tab.timed_out) == (200, None, True)
    assert seen[0]["tab"] == "messages"
