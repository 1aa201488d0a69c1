"""The emulated workspace: channels, users, user groups, messages, and what the bot displayed.

``Workspace`` holds the state every part of the emulator shares, under one re-entrant lock, with
the emulator's clock: the workspace's identity (team, bot, app), the messages by channel and the
ephemeral ones, the log of posts (what Slack showed), and the unique increasing ``ts`` values.
Its lookups answer Slack's errors (``channel_not_found``, ``user_not_found``,
``thread_not_found``, ``message_not_found``) by the permissive-until-modelled rule.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from typing import Any

from slackbot.sandbox.slack_emulator.model import (
    Channel,
    JsonDict,
    Message,
    MessageVersion,
    Post,
    Received,
    SlackApiFailure,
    User,
    Usergroup,
    blocks_of,
)


class Workspace:
    """One Slack workspace as the bot and a test see it. Thread-safe; hold ``lock`` across a
    read-check-write (the Web API handlers do)."""

    def __init__(self, *, team_id: str, bot_user_id: str, clock: Callable[[], float]) -> None:
        self.team_id = team_id
        self.team_domain = "sandbox"
        self.bot_user_id = bot_user_id
        self.bot_id = "B" + bot_user_id[1:]
        self.app_id = "A0SANDBOX"
        self.clock = clock
        self.lock = threading.RLock()
        self.channels: dict[str, Channel] = {}
        self._channels_modelled = False
        self.users: dict[str, User] = {}
        self.usergroups: dict[str, Usergroup] = {}
        self._messages: dict[str, list[Message]] = {}
        self._ephemerals: list[Message] = []
        self._posts: list[Post] = []
        self._received: list[Received] = []
        self._last_ts = (0, 0)
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ modelling

    def add_channel(
        self, channel_id: str, name: str, *, is_private: bool = False, members: Iterable[str] | None = None
    ) -> None:
        with self.lock:
            who = None if members is None else set(members)
            self.channels[channel_id] = Channel(channel_id, name.lstrip("#"), is_private, who)
            self._channels_modelled = True

    def invite(self, channel_id: str, user_id: str) -> None:
        """Add a member (the bot too: ``/invite @bot``) to a channel whose members are modelled."""
        with self.lock:
            channel = self.channels[channel_id]
            if channel.members is not None:
                channel.members.add(user_id)

    def add_user(self, user_id: str, name: str, *, is_admin: bool = False, is_bot: bool = False) -> None:
        with self.lock:
            self.users[user_id] = User(user_id, name, is_admin, is_bot)

    def add_usergroup(self, usergroup_id: str, handle: str, user_ids: list[str]) -> None:
        with self.lock:
            self.usergroups[usergroup_id] = Usergroup(usergroup_id, handle.lstrip("@"), list(user_ids))

    def user_says(self, channel: str, user_id: str, text: str) -> Message:
        """A person's message in a channel (not the bot's: not a post)."""
        with self.lock:
            message = Message(self.next_ts(), channel, text, [], user_id)
            self.store(message)
            return message

    # ------------------------------------------------------------------ reading

    def name_in_payloads(self, channel_id: str) -> str | None:
        """The channel name Slack sends the bot for this channel (None when it is not modelled)."""
        with self.lock:
            channel = self.channels.get(channel_id)
            return channel.name_in_payloads if channel is not None else None

    def messages(self, channel: str) -> list[Message]:
        """Top-level messages in a channel (and replies broadcast to it), oldest first."""
        with self.lock:
            return [
                m
                for m in self._messages.get(channel, [])
                if not m.deleted and (not m.is_reply or m.reply_broadcast)
            ]

    def thread(self, channel: str, ts: str) -> list[Message]:
        """The replies in the thread under ``ts`` (not the parent), oldest first."""
        with self.lock:
            return [
                m
                for m in self._messages.get(channel, [])
                if not m.deleted and m.is_reply and m.thread_ts == ts
            ]

    def message(self, channel: str, ts: str) -> Message | None:
        """Any message (top-level, reply or ephemeral) by channel and ts."""
        with self.lock:
            return self.find(channel, ts, include_ephemeral=True)

    def ephemeral_messages(self, channel: str | None = None, user: str | None = None) -> list[Message]:
        with self.lock:
            return [
                m
                for m in self._ephemerals
                if not m.deleted and channel in (None, m.channel) and user in (None, m.ephemeral_to)
            ]

    def all_messages(self) -> list[Message]:
        """Every visible message, ephemeral ones included, in posting order."""
        with self.lock:
            found = [m for ms in self._messages.values() for m in ms if not m.deleted]
            found += [m for m in self._ephemerals if not m.deleted]
            return sorted(found, key=lambda m: (float(m.ts), m.ts))

    def post_mark(self) -> int:
        """A bookmark for ``posts_since``."""
        with self.lock:
            return len(self._posts)

    def posts_since(self, mark: int = 0) -> list[Post]:
        with self.lock:
            return list(self._posts[mark:])

    def received_since(self, mark: int) -> list[Received]:
        """What the bot asked Slack to show (see ``SlackEmulator.received``), from ``mark`` on."""
        with self.lock:
            return list(self._received[mark:])

    def describe_posts(self, last: int) -> list[str]:
        """Lines summing up the last posts, for a dump."""
        with self.lock:
            lines = [f"last {min(last, len(self._posts))} of {len(self._posts)} posts:"]
            lines.extend(
                f"  {p.kind} channel={p.channel} text={p.text[:80]!r} blocks={len(p.blocks)}"
                for p in self._posts[-last:]
            )
            return lines

    # ------------------------------------------------------------------ writing

    def next_id(self) -> int:
        """A number unique in this workspace (for view and trigger ids)."""
        return next(self._ids)

    def next_ts(self) -> str:
        """Slack-style ts, unique and increasing: seconds.microseconds."""
        with self.lock:
            now = self.clock()
            candidate = (int(now), int((now % 1) * 1_000_000))
            if candidate <= self._last_ts:
                seconds, micros = self._last_ts
                candidate = (seconds + 1, 0) if micros >= 999_999 else (seconds, micros + 1)
            self._last_ts = candidate
            return f"{candidate[0]}.{candidate[1]:06d}"

    def store(self, message: Message) -> None:
        """Add a new message: to its channel, or to the ephemeral ones only its viewer sees."""
        with self.lock:
            if message.is_ephemeral:
                self._ephemerals.append(message)
            else:
                self._messages.setdefault(message.channel, []).append(message)

    def edit(self, message: Message, *, text: str | None, blocks: list[JsonDict] | None) -> None:
        message.history.append(MessageVersion(message.text, message.blocks, self.clock()))
        if text is not None:
            message.text = text
        if blocks is not None:
            message.blocks = blocks

    def record_post(self, kind: str, **fields: Any) -> None:
        """Log what Slack displayed (``fields`` are ``Post``'s; text and blocks may be absent)."""
        with self.lock:
            self._posts.append(
                Post(
                    seq=len(self._posts),
                    kind=kind,
                    at=self.clock(),
                    text=str(fields.pop("text", "") or ""),
                    blocks=blocks_of(fields.pop("blocks", None)),
                    **fields,
                )
            )

    def record_received(self, via: str, content: JsonDict, error: str | None) -> None:
        """Keep what the bot asked Slack to show, as sent, and Slack's refusal if it refused."""
        with self.lock:
            self._received.append(Received(via, content, error))

    def record_message(self, kind: str, message: Message, response_type: str, **extra: Any) -> None:
        """Record a post showing ``message`` as it now stands."""
        self.record_post(
            kind,
            text=message.text,
            blocks=message.blocks,
            channel=message.channel,
            ts=message.ts,
            thread_ts=message.thread_ts,
            response_type=response_type,
            **extra,
        )

    # ------------------------------------------------------------------ lookups with Slack's errors

    def find(self, channel: str, ts: str, *, include_ephemeral: bool = False) -> Message | None:
        with self.lock:
            for message in self._messages.get(channel, []):
                if message.ts == ts and not message.deleted:
                    return message
            if include_ephemeral:
                for message in self._ephemerals:
                    if message.channel == channel and message.ts == ts and not message.deleted:
                        return message
            return None

    def find_or_fail(self, args: JsonDict, ts_arg: str) -> Message:
        """The message ``args`` name by channel and ``args[ts_arg]``, or message_not_found."""
        channel = self.resolve_channel(args.get("channel"))
        message = self.find(channel, str(args.get(ts_arg) or ""))
        if message is None:
            raise SlackApiFailure("message_not_found")
        return message

    def resolve_channel(self, value: Any) -> str:
        """A channel id from an id, a #name or a user id (a DM), or channel_not_found."""
        raw = str(value or "").strip()
        if not raw:
            raise SlackApiFailure("channel_not_found")
        name = raw.lstrip("#")
        with self.lock:
            found = self.channels.get(raw) or next(
                (c for c in self.channels.values() if c.name == name), None
            )
            if found is not None:
                # A private channel is invisible to a bot that is not in it, as if it did not exist.
                if found.is_private and not found.has_member(self.bot_user_id):
                    raise SlackApiFailure("channel_not_found")
                return found.id
            if raw[0] in "UW":  # posting to a user id opens the DM with them
                if self.users and raw not in self.users:
                    raise SlackApiFailure("channel_not_found")
                dm = "D" + raw[1:]
                self.channels.setdefault(dm, Channel(dm, dm))
                return dm
            if raw.startswith("D") or not self._channels_modelled:
                self.channels.setdefault(name, Channel(name, name.lower()))
                return name
        raise SlackApiFailure("channel_not_found")

    def require_bot_in(self, channel: str) -> None:
        """Reading a channel takes membership: a public channel the bot is not in answers
        ``not_in_channel`` (a private one is not found at all: see ``resolve_channel``)."""
        with self.lock:
            found = self.channels.get(channel)
            if found is not None and not found.has_member(self.bot_user_id):
                raise SlackApiFailure("not_in_channel")

    def require_member(self, channel: str, user_id: str) -> None:
        """``user_not_in_channel`` unless the user is in the channel (an ephemeral's viewer must be)."""
        with self.lock:
            found = self.channels.get(channel)
            if found is not None and not found.is_im and not found.has_member(user_id):
                raise SlackApiFailure("user_not_in_channel")

    def require_user(self, user_id: str) -> User:
        with self.lock:
            user = self.users.get(user_id)
            if user is not None:
                return user
            if user_id == self.bot_user_id:
                return User(user_id, "bot", is_bot=True)
            if self.users:
                raise SlackApiFailure("user_not_found")
            return User(user_id, user_id.lower())

    def require_thread(self, channel: str, thread_ts: Any) -> str | None:
        """The parent's ts for a reply (None for a top-level message), or thread_not_found."""
        if thread_ts in (None, ""):
            return None
        parent = self.find(channel, str(thread_ts))
        if parent is None or parent.is_reply:
            raise SlackApiFailure("thread_not_found")
        return parent.ts
