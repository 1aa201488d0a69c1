"""Slack's Web API for the services: hot-fix threads and the workspace directory.

The Bolt app answers people; this adapter is what the services use to post on their own (thread
replies, parent-message edits) and to look people and channels up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slackbot.domain.errors import NotPermitted, Unavailable
from slackbot.domain.followup import PendingBackmerge
from slackbot.domain.hotfix import Hotfix
from slackbot.slack.hotfix_blocks import digest_message, reminder_message, thread_message

T = TypeVar("T")
THREAD_EVENT = "hotfix_thread"
_HISTORY_PAGES = 5  # how far back (x200 messages) to look for a thread posted before a crash


def _slack_call(call: Callable[[], T], what: str) -> T:
    try:
        return call()
    except SlackApiError as error:
        code = error.response.get("error", "unknown_error") if error.response is not None else "unknown_error"
        if code in {"not_in_channel", "channel_not_found"}:
            raise NotPermitted(
                f"I can't post in that channel ({code}); invite me with `/invite @fluxbot` and try again."
            ) from error
        raise Unavailable(f"Slack refused to {what} ({code}); try again shortly.") from error


class SlackThreads:
    """One parent message per hot-fix, found again by its metadata after a crash."""

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._permalinks: dict[tuple[str, str], str] = {}

    def open_thread(self, hotfix: Hotfix, links: Mapping[str, str]) -> str:
        found = self._find_thread(hotfix)
        if found:
            return found
        message = thread_message(hotfix, links)
        response = _slack_call(
            lambda: self._client.chat_postMessage(
                channel=hotfix.channel_id,
                metadata={
                    "event_type": THREAD_EVENT,
                    "event_payload": {"hotfix_id": hotfix.id, "ticket": hotfix.ticket},
                },
                **message.as_kwargs(),
            ),
            "start the hot-fix thread",
        )
        return str(response["ts"])

    def update_thread(self, hotfix: Hotfix, links: Mapping[str, str]) -> None:
        if not hotfix.thread_ts:
            return
        message = thread_message(hotfix, links)
        _slack_call(
            lambda: self._client.chat_update(
                channel=hotfix.channel_id, ts=hotfix.thread_ts or "", **message.as_kwargs()
            ),
            "update the hot-fix thread",
        )

    def reply(self, hotfix: Hotfix, text: str) -> None:
        if not hotfix.thread_ts:
            return
        _slack_call(
            lambda: self._client.chat_postMessage(
                channel=hotfix.channel_id, thread_ts=hotfix.thread_ts, text=text
            ),
            "reply in the hot-fix thread",
        )

    def remind_in_thread(self, hotfix: Hotfix, text: str) -> None:
        if not hotfix.thread_ts:
            return
        message = reminder_message(text, f"hotfix:{hotfix.ticket}")
        _slack_call(
            lambda: self._client.chat_postMessage(
                channel=hotfix.channel_id, thread_ts=hotfix.thread_ts, **message.as_kwargs()
            ),
            "remind in the hot-fix thread",
        )

    def post_to_channel(self, channel: str, text: str, items: Sequence[PendingBackmerge]) -> None:
        message = digest_message(text, items)
        _slack_call(
            lambda: self._client.chat_postMessage(channel=channel, **message.as_kwargs()), "post the digest"
        )

    def link(self, hotfix: Hotfix) -> str | None:
        if not hotfix.thread_ts:
            return None
        key = (hotfix.channel_id, hotfix.thread_ts)
        if key not in self._permalinks:
            try:
                response = self._client.chat_getPermalink(channel=key[0], message_ts=key[1])
            except SlackApiError:
                return None  # a link is a nicety; never fail a command for it
            self._permalinks[key] = str(response["permalink"])
        return self._permalinks[key]

    def _find_thread(self, hotfix: Hotfix) -> str | None:
        cursor = None
        for _ in range(_HISTORY_PAGES):
            response = _slack_call(
                lambda page=cursor: self._client.conversations_history(  # type: ignore[misc]
                    channel=hotfix.channel_id, limit=200, include_all_metadata=True, cursor=page
                ),
                "read the channel",
            )
            messages: list[dict[str, Any]] = response.get("messages", [])
            for message in messages:
                metadata: dict[str, Any] = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == THREAD_EVENT and payload.get("hotfix_id") == hotfix.id:
                    return str(message["ts"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None


class SlackDirectory:
    """User groups and channel names, cached for a minute (permission checks run on every command)."""

    def __init__(self, client: WebClient, *, ttl: float = 60.0) -> None:
        self._client = client
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Any]] = {}

    def _cached(self, key: str, load: Callable[[], T]) -> T:
        with self._lock:
            hit = self._cache.get(key)
        if hit and time.monotonic() - hit[0] < self._ttl:
            value: T = hit[1]
            return value
        value = load()
        with self._lock:
            self._cache[key] = (time.monotonic(), value)
        return value

    def usergroup_members(self, usergroup: str) -> frozenset[str]:
        handle = usergroup.lstrip("@")

        def load() -> frozenset[str]:
            groups = _slack_call(self._client.usergroups_list, "list user groups")
            found: list[dict[str, Any]] = groups.get("usergroups", [])
            ids = [g["id"] for g in found if handle in (g.get("id"), g.get("handle"))]
            if not ids:
                return frozenset()
            users = _slack_call(
                lambda: self._client.usergroups_users_list(usergroup=ids[0]), "list a user group"
            )
            return frozenset(users.get("users", []))

        return self._cached(f"group:{handle}", load)

    def channel_name(self, channel_id: str) -> str | None:
        def load() -> str | None:
            try:
                info = self._client.conversations_info(channel=channel_id)
            except SlackApiError:
                return None
            name = (info.get("channel") or {}).get("name")
            return str(name) if name else None

        return self._cached(f"channel:{channel_id}", load)
