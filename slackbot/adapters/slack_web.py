"""Slack's Web API for the services: hot-fix threads and the workspace directory.

The Bolt app answers people; this adapter is what the services use to post on their own (thread
replies, parent-message edits, reminders) and to look people and channels up. What it posts is
worded by :mod:`slackbot.render`. Without a Slack token, :class:`NoThreads` and
:class:`NoDirectory` stand in.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from slackbot.domain.errors import NotPermitted, Unavailable
from slackbot.domain.events import BackmergeReminder, ChannelPost, Keyed, ThreadEvent
from slackbot.domain.hotfix import Hotfix
from slackbot.domain.views import ThreadView
from slackbot.observability.metrics import Metrics
from slackbot.render.blocks import Message
from slackbot.render.hotfix_blocks import channel_message, reminder_message, thread_message
from slackbot.render.words import sentence

T = TypeVar("T")
THREAD_EVENT = "hotfix_thread"  # the metadata of a hot-fix's parent message
NEWS_EVENT = "hotfix_news"  # the metadata of a reply telling news once (its key)
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

    def __init__(self, client: WebClient, *, metrics: Metrics | None = None) -> None:
        self._client = client
        self._metrics = metrics
        self._permalinks: dict[tuple[str, str], str] = {}

    def _posted(self, kind: str) -> None:
        if self._metrics is not None:
            self._metrics.announcements.labels(kind).inc()

    def open_thread(self, view: ThreadView) -> str:
        hotfix = view.hotfix
        found = self.find_thread(hotfix)
        if found:
            return found
        message = thread_message(view)
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

    def update_thread(self, view: ThreadView) -> None:
        hotfix = view.hotfix
        if not hotfix.thread_ts:
            return
        message = thread_message(view)
        _slack_call(
            lambda: self._client.chat_update(
                channel=hotfix.channel_id, ts=hotfix.thread_ts or "", **message.as_kwargs()
            ),
            "update the hot-fix thread",
        )

    def tell(self, hotfix: Hotfix, event: ThreadEvent) -> None:
        # News told once names itself in the reply's metadata, so a later run can see it was told.
        metadata = (
            {"event_type": NEWS_EVENT, "event_payload": {"hotfix_id": hotfix.id, "key": event.key}}
            if isinstance(event, Keyed)
            else None
        )
        message = Message(text=sentence(event))
        if self._in_thread(hotfix, message, "reply in the hot-fix thread", metadata=metadata):
            self._posted(type(event).__name__)

    def told(self, hotfix: Hotfix, event_key: str) -> bool:
        if not hotfix.thread_ts:
            return False
        replies = self._paged(
            lambda cursor: self._client.conversations_replies(
                channel=hotfix.channel_id,
                ts=hotfix.thread_ts or "",
                limit=200,
                include_all_metadata=True,
                cursor=cursor,
            ),
            "read the hot-fix thread",
        )
        return any(_event_payload(m, NEWS_EVENT).get("key") == event_key for m in replies)

    def remind_in_thread(self, reminder: BackmergeReminder) -> None:
        if self._in_thread(reminder.hotfix, reminder_message(reminder), "remind in the hot-fix thread"):
            self._posted("BackmergeReminder")

    def _in_thread(
        self, hotfix: Hotfix, message: Message, what: str, *, metadata: dict[str, Any] | None = None
    ) -> bool:
        """Post in the hot-fix's thread; False when it has none."""
        if not hotfix.thread_ts:
            return False
        kwargs: dict[str, Any] = message.as_kwargs() if message.blocks else {"text": message.text}
        if metadata is not None:
            kwargs["metadata"] = metadata
        _slack_call(
            lambda: self._client.chat_postMessage(
                channel=hotfix.channel_id, thread_ts=hotfix.thread_ts, **kwargs
            ),
            what,
        )
        return True

    def post_to_channel(self, channel: str, post: ChannelPost) -> None:
        message = channel_message(post)
        _slack_call(
            lambda: self._client.chat_postMessage(channel=channel, **message.as_kwargs()),
            "post to the team channel",
        )
        self._posted(type(post).__name__)

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

    def find_thread(self, hotfix: Hotfix) -> str | None:
        history = self._paged(
            lambda cursor: self._client.conversations_history(
                channel=hotfix.channel_id, limit=200, include_all_metadata=True, cursor=cursor
            ),
            "read the channel",
        )
        found = (m for m in history if _event_payload(m, THREAD_EVENT).get("hotfix_id") == hotfix.id)
        return next((str(m["ts"]) for m in found), None)

    def _paged(self, read: Callable[[str | None], SlackResponse], what: str) -> Iterator[dict[str, Any]]:
        """The messages of a paged read (history, a thread), page by page, at most _HISTORY_PAGES."""
        cursor = None
        for _ in range(_HISTORY_PAGES):
            response = _slack_call(lambda page=cursor: read(page), what)  # type: ignore[misc]
            yield from response.get("messages", [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return


def _event_payload(message: dict[str, Any], event_type: str) -> dict[str, Any]:
    """The payload of a message's metadata of that type; empty for any other message."""
    metadata: dict[str, Any] = message.get("metadata") or {}
    payload = metadata.get("event_payload") if metadata.get("event_type") == event_type else None
    return payload if isinstance(payload, dict) else {}


class SlackDirectory:
    """User groups and channel names, cached for a minute (permission checks run on every command);
    a channel whose name could not be read is asked about again next time."""

    def __init__(self, client: WebClient, *, ttl: float = 60.0) -> None:
        self._client = client
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Any]] = {}

    def _cached(self, key: str, load: Callable[[], T], *, keep: Callable[[T], bool] = bool) -> T:
        """``load()``'s value, kept for the ttl when ``keep`` says so (by default, when truthy)."""
        with self._lock:
            hit = self._cache.get(key)
        if hit and time.monotonic() - hit[0] < self._ttl:
            value: T = hit[1]
            return value
        value = load()
        if keep(value):
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

        return self._cached(f"group:{handle}", load, keep=lambda _members: True)

    def channel_name(self, channel_id: str) -> str | None:
        """The channel's name, or None (a DM; a private channel the bot was not invited to, which
        Slack calls ``channel_not_found``). Not-found is not cached: once someone invites the bot,
        the next command sees the name."""

        def load() -> str | None:
            try:
                info = self._client.conversations_info(channel=channel_id)
            except SlackApiError:
                return None
            name = (info.get("channel") or {}).get("name")
            return str(name) if name else None

        return self._cached(f"channel:{channel_id}", load)


class NoThreads:
    """Threads when no Slack token is configured (a terminal-only operator): nothing is posted."""

    def open_thread(self, view: ThreadView) -> str:
        return ""

    def find_thread(self, hotfix: Hotfix) -> str | None:
        return None

    def update_thread(self, view: ThreadView) -> None:
        return None

    def tell(self, hotfix: Hotfix, event: ThreadEvent) -> None:
        # Not posted: refusing keeps the announcement for a copy of the bot that can post it.
        raise Unavailable("SLACK_BOT_TOKEN is not set, so nothing can be posted to the hot-fix's thread.")

    def told(self, hotfix: Hotfix, event_key: str) -> bool:
        raise Unavailable("SLACK_BOT_TOKEN is not set, so the hot-fix's thread cannot be read.")

    def link(self, hotfix: Hotfix) -> str | None:
        return None

    def remind_in_thread(self, reminder: BackmergeReminder) -> None:
        return None

    def post_to_channel(self, channel: str, post: ChannelPost) -> None:
        return None


class NoDirectory:
    """The directory without a Slack token: nobody is in any user group, no channel has a name."""

    def usergroup_members(self, usergroup: str) -> frozenset[str]:
        return frozenset()

    def channel_name(self, channel_id: str) -> str | None:
        return None
