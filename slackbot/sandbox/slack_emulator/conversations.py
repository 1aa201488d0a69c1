"""The Web API methods that read channels: conversations.info, .history and .replies.

A private channel the bot is not in answers ``channel_not_found`` to both (as Slack does: the
channel does not exist for the bot); reading the history of a public channel it is not in answers
``not_in_channel``. History answers the channel's top-level messages newest first, ``limit`` at a
time (100 by default, at most 999), paged as Slack pages: ``has_more`` and an opaque
``response_metadata.next_cursor`` to pass back as ``cursor`` (an unknown cursor answers
``invalid_cursor``). Message metadata (the bot finds its hot-fix threads again by it) is shown only
with ``include_all_metadata``. Replies answer a thread (the parent first, then its replies,
oldest first; ``ts`` may name any message of it), paged the same way; an unknown ``ts`` answers
``thread_not_found``.
"""

from __future__ import annotations

import base64
import binascii

from slackbot.sandbox.slack_emulator.model import Handler, JsonDict, Message, SlackApiFailure, truthy
from slackbot.sandbox.slack_emulator.state import Workspace

DEFAULT_HISTORY_LIMIT = 100
MAX_HISTORY_LIMIT = 999
_CURSOR_PREFIX = "next_ts:"  # what Slack's history cursors decode to


def _cursor(ts: str) -> str:
    return base64.b64encode(f"{_CURSOR_PREFIX}{ts}".encode()).decode()


def _cursor_ts(cursor: object) -> str | None:
    """The ts a cursor starts at (None for the first page), or ``invalid_cursor``."""
    if cursor in (None, ""):
        return None
    try:
        decoded = base64.b64decode(str(cursor), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise SlackApiFailure("invalid_cursor") from None
    if not decoded.startswith(_CURSOR_PREFIX):
        raise SlackApiFailure("invalid_cursor")
    return decoded[len(_CURSOR_PREFIX) :]


def _limit(value: object) -> int:
    try:
        asked = int(str(value)) if value not in (None, "") else DEFAULT_HISTORY_LIMIT
    except ValueError:
        raise SlackApiFailure("invalid_limit") from None
    return min(max(asked, 1), MAX_HISTORY_LIMIT)


class Conversations:
    """Channels as the bot reads them."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    def methods(self) -> dict[str, Handler]:
        return {
            "conversations.info": self.info,
            "conversations.history": self.history,
            "conversations.replies": self.replies,
        }

    def info(self, args: JsonDict) -> JsonDict:
        ws = self._workspace
        with ws.lock:
            channel = ws.channels[ws.resolve_channel(args.get("channel"))]
            return {"ok": True, "channel": channel.to_api(is_member=channel.has_member(ws.bot_user_id))}

    def history(self, args: JsonDict) -> JsonDict:
        ws = self._workspace
        with ws.lock:
            channel = ws.resolve_channel(args.get("channel"))
            ws.require_bot_in(channel)
            return self._page(list(reversed(ws.messages(channel))), args)

    def replies(self, args: JsonDict) -> JsonDict:
        """A thread: its parent then the replies, oldest first, paged like the history."""
        ws = self._workspace
        with ws.lock:
            channel = ws.resolve_channel(args.get("channel"))
            ws.require_bot_in(channel)
            if args.get("ts") in (None, ""):
                raise SlackApiFailure("invalid_arguments")
            parent = ws.find(channel, str(args["ts"]))
            if parent is None:
                raise SlackApiFailure("thread_not_found")
            root = parent.thread_ts if parent.is_reply and parent.thread_ts else parent.ts
            root_message = ws.find(channel, root)
            thread = ([root_message] if root_message is not None else []) + ws.thread(channel, root)
            return self._page(thread, args)

    def _page(self, messages: list[Message], args: JsonDict) -> JsonDict:
        """One page of ``messages`` from the ``cursor`` on, ``limit`` long, as Slack pages them."""
        ws = self._workspace
        limit, start = _limit(args.get("limit")), _cursor_ts(args.get("cursor"))
        if start is not None:
            at = next((i for i, m in enumerate(messages) if m.ts == start), None)
            if at is None:
                raise SlackApiFailure("invalid_cursor")
            messages = messages[at:]
        page, rest = messages[:limit], messages[limit:]
        with_metadata = truthy(args.get("include_all_metadata"))
        shown = [
            m.to_api(ws.bot_id if m.user == ws.bot_user_id else None, with_metadata=with_metadata)
            for m in page
        ]
        answer: JsonDict = {"ok": True, "messages": shown, "has_more": bool(rest)}
        if rest:
            answer["response_metadata"] = {"next_cursor": _cursor(rest[0].ts)}
        return answer
