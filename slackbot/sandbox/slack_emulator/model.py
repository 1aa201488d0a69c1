"""The records the Slack emulator keeps and shows: messages, channels, users, calls, posts.

Plain data with their Slack API shapes (``to_api``); the ``Handler`` type of a Web API method and
the ``SlackApiFailure`` it raises to answer ``{"ok": false, "error": ...}``; the ``HttpReply``
every HTTP endpoint returns; and two argument helpers that WebClient's form encoding makes
necessary. No behaviour beyond that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

JsonDict = dict[str, Any]
# A Web API method's implementation: the call's arguments in, the ``{"ok": true, ...}`` body out.
Handler = Callable[[JsonDict], JsonDict]


class SlackApiFailure(Exception):
    """Raised inside a handler to answer ``{"ok": false, "error": code}``."""

    def __init__(
        self, code: str, *, status: int = 200, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(code)
        self.code = code
        self.status = status  # Slack answers most errors with HTTP 200; rate limits with 429
        self.headers = headers or {}
        self.extra = extra


class HttpReply(NamedTuple):
    """What an HTTP endpoint answers: a status, a JSON body and extra headers."""

    status: int
    body: JsonDict
    headers: dict[str, str]


@dataclass(frozen=True)
class ApiCall:
    """One Web API call as the emulator received it (token kept out of reprs and dumps)."""

    method: str
    args: JsonDict
    token: str | None = field(repr=False)
    at: float
    status: int = 200
    response: JsonDict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return str(error) if error is not None else None


@dataclass
class MessageVersion:
    """An earlier state of an edited message."""

    text: str
    blocks: list[JsonDict]
    at: float


@dataclass
class Message:
    """A message in the emulated workspace."""

    ts: str
    channel: str
    text: str
    blocks: list[JsonDict]
    user: str
    thread_ts: str | None = None
    reply_broadcast: bool = False
    ephemeral_to: str | None = None  # set for ephemeral messages: only that user sees them
    source: str = "chat.postMessage"  # or chat.postEphemeral, response_url
    history: list[MessageVersion] = field(default_factory=list)  # earlier versions, oldest first
    reactions: dict[str, list[str]] = field(default_factory=dict)
    deleted: bool = False
    metadata: JsonDict | None = None

    @property
    def edited(self) -> bool:
        return bool(self.history)

    @property
    def is_ephemeral(self) -> bool:
        return self.ephemeral_to is not None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_api(self, bot_id: str | None = None, *, with_metadata: bool = True) -> JsonDict:
        """The message as Slack's APIs and interaction payloads show it (conversations.history
        shows metadata only when asked to: ``include_all_metadata``)."""
        data: JsonDict = {"type": "message", "ts": self.ts, "text": self.text, "user": self.user}
        if self.blocks:
            data["blocks"] = self.blocks
        if bot_id is not None:
            data["bot_id"] = bot_id
        if self.thread_ts is not None:
            data["thread_ts"] = self.thread_ts
        if self.history:
            data["edited"] = {"user": self.user, "ts": f"{self.history[-1].at:.6f}"}
        if self.reactions:
            data["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)}
                for name, users in self.reactions.items()
            ]
        if self.metadata is not None and with_metadata:
            data["metadata"] = self.metadata
        return data


@dataclass(frozen=True)
class Received:
    """Content the bot asked Slack to show, as sent, whether Slack took it or not: a message's
    fields (``text``, ``blocks``, ...) or, for views.open/update, the view."""

    via: str  # chat.postMessage | chat.postEphemeral | chat.update | response_url | ack | views.*
    content: JsonDict
    error: str | None = None  # Slack's refusal, if it refused

    @property
    def is_view(self) -> bool:
        return self.via.startswith("views.")


@dataclass(frozen=True)
class Post:
    """Something the bot made Slack display: a Web API post/update or a response_url post."""

    seq: int
    # chat.postMessage | chat.postEphemeral | chat.update | response_url | ack
    # | views.open | views.update (text is the modal's title) | views.publish (``user``: whose Home tab)
    kind: str
    at: float
    text: str
    blocks: list[JsonDict]
    channel: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    response_type: str | None = None
    user: str | None = None  # the only viewer, for ephemeral posts
    replace_original: bool = False
    delete_original: bool = False
    response_url: str | None = None

    def as_dict(self) -> JsonDict:
        return {
            "kind": self.kind,
            "text": self.text,
            "blocks": self.blocks,
            "channel": self.channel,
            "ts": self.ts,
            "thread_ts": self.thread_ts,
            "response_type": self.response_type,
            "user": self.user,
            "replace_original": self.replace_original,
            "delete_original": self.delete_original,
            "response_url": self.response_url,
        }


@dataclass
class Channel:
    """A channel; ``members`` None means everyone is in it (permissive until modelled)."""

    id: str
    name: str
    is_private: bool = False
    members: set[str] | None = None

    @property
    def is_im(self) -> bool:
        return self.id.startswith("D")

    def has_member(self, user_id: str) -> bool:
        return self.members is None or user_id in self.members

    @property
    def name_in_payloads(self) -> str:
        """What Slack puts as the channel's name in slash commands and interactions: the real
        name of a public channel only (``privategroup`` for private ones, ``directmessage`` for DMs)."""
        if self.is_im:
            return "directmessage"
        return "privategroup" if self.is_private else self.name

    def to_api(self, *, is_member: bool = True) -> JsonDict:
        if self.is_im:
            return {"id": self.id, "is_im": True, "user": "U" + self.id[1:], "created": 0}
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": False,
            "is_general": self.name == "general",
            "is_member": is_member,
            "created": 1_700_000_000,
        }


@dataclass
class User:
    id: str
    name: str
    is_admin: bool = False
    is_bot: bool = False

    def to_api(self, team_id: str) -> JsonDict:
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.name,
            "deleted": False,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_bot": self.is_bot,
            "tz": "Europe/London",
            "profile": {"real_name": self.name, "display_name": self.name},
        }


@dataclass
class Usergroup:
    id: str
    handle: str
    user_ids: list[str]

    def to_api(self, team_id: str, *, include_users: bool) -> JsonDict:
        data: JsonDict = {
            "id": self.id,
            "team_id": team_id,
            "is_usergroup": True,
            "name": self.handle,
            "handle": self.handle,
            "date_delete": 0,
            "user_count": len(self.user_ids),
        }
        if include_users:
            data["users"] = list(self.user_ids)
        return data


def truthy(value: Any) -> bool:
    """A flag argument's value: WebClient turns booleans into "1"/"0" in form bodies; JSON bodies
    carry real booleans."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def blocks_of(value: Any) -> list[JsonDict]:
    """The blocks to store: the list given, else none."""
    return list(value) if isinstance(value, list) else []
