"""Buttons on the bot's messages: Open PR, Promote to main, Cancel, Snooze, Make A like B."""

from __future__ import annotations

from typing import Any

from slackbot.services.access import Actor


def clicked_by(body: dict[str, Any]) -> Actor:
    """Who clicked, and in which channel.

    A click in a private channel or a DM names it "privategroup"/"directmessage": Access looks it up."""
    channel = body.get("channel") or {}
    return Actor(
        user_id=body["user"]["id"], channel_id=channel.get("id", ""), channel_name=channel.get("name")
    )
