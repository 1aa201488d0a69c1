"""What lets the Home tab reach the bot: the Slack app's manifest declares the tab and its event,
and the guard in front of Bolt lets the Events API's JSON through in Slack's shape only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from slackbot.slack.guard import Refused, check

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
JSON = "application/json"
CALLBACK = {
    "type": "event_callback",
    "team_id": "T0",
    "api_app_id": "A0",
    "event_id": "Ev0001",
    "event_time": 1,
    "event": {"type": "app_home_opened", "user": "U0ALICE", "channel": "D0ALICE", "tab": "home"},
}


def manifest() -> Any:
    return YAML(typ="safe").load(MANIFEST.read_text(encoding="utf-8"))


def test_the_manifest_declares_the_home_tab_and_subscribes_to_its_event() -> None:
    found = manifest()

    assert found["features"]["app_home"]["home_tab_enabled"] is True
    events = found["settings"]["event_subscriptions"]
    assert events["bot_events"] == ["app_home_opened"]
    assert events["request_url"] == found["settings"]["interactivity"]["request_url"]


def test_the_home_tab_needs_no_new_scope() -> None:
    # views.publish and app_home_opened need no OAuth scope of their own (Slack's method page).
    assert manifest()["oauth_config"]["scopes"]["bot"] == [
        "commands",
        "chat:write",
        "chat:write.public",
        "channels:read",
        "channels:history",
        "groups:history",
        "groups:read",
        "usergroups:read",
        "users:read",
    ]


@pytest.mark.parametrize(
    "document",
    [CALLBACK, {"type": "url_verification", "token": "t", "challenge": "3eZbrw1aB"}],
    ids=["event_callback", "url_verification"],
)
def test_the_events_api_s_json_passes_the_guard(document: dict[str, Any]) -> None:
    check("1700000000", JSON, json.dumps(document).encode())


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"command=%2Fversions", "not JSON"),
        (b"[1, 2]", "not an Events API callback"),
        (json.dumps({**CALLBACK, "type": "block_actions"}).encode(), "not an Events API callback"),
        (json.dumps({k: v for k, v in CALLBACK.items() if k != "event"}).encode(), "event is not an object"),
        (json.dumps({**CALLBACK, "event": {"user": "U0"}}).encode(), "event.type is not a string"),
        (json.dumps({**CALLBACK, "event_id": 5}).encode(), "event_id is not a string"),
        (json.dumps({"type": "url_verification"}).encode(), "challenge is not a string"),
        (b'{"type": "event_callback", "x": "\xff"}', "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
    ],
)
def test_json_that_is_not_slack_s_is_refused_with_a_reason_of_our_own(body: bytes, reason: str) -> None:
    with pytest.raises(Refused) as refused:
        check("1700000000", JSON, body)
    assert refused.value.status.startswith("400")
    assert reason in refused.value.reason


def test_other_media_types_are_still_refused() -> None:
    with pytest.raises(Refused) as refused:
        check("1700000000", "text/plain", json.dumps(CALLBACK).encode())
    assert refused.value.status.startswith("415")
