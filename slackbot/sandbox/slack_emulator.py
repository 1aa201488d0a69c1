"""A loopback stand-in for Slack's servers.

Production, the demo and the tests run the same Bolt app; only Slack is replaced. The bot's
``WebClient(base_url=emulator.api_url)`` talks to the Web API served here, ``respond()`` posts to
the ``response_url`` handed out here, and ``SocketModeHandler`` connects to the websocket served
here. The emulator keeps a small model of the workspace (channels, users, user groups, messages,
threads, views) so tests can assert on what a person would see.

Decisions worth knowing (all documented in ``SlackEmulator``'s docstring as well):

* Channels and users are *permissive until modelled*: while no channel was added, any channel id
  is accepted (and remembered); once one was added, unknown channels answer ``channel_not_found``.
  The same rule applies to users (``user_not_found``).
* ``thread_ts`` must name an existing top-level message in that channel, else
  ``thread_not_found``. Real Slack sometimes accepts a bad ``thread_ts`` and files the reply where
  nobody sees it; failing loudly here catches that bug in tests.
* Block Kit limits are enforced as Slack does (``invalid_blocks``, ``msg_blocks_too_long``,
  ``msg_too_long``); views answer ``invalid_arguments``.
* A ``response_url`` takes at most 5 posts and lives 30 minutes; afterwards it answers HTTP 404
  with ``used_url`` / ``expired_url``. Invalid content answers HTTP 400 (``invalid_blocks`` ...).
  Bodies are JSON ``{"ok": ...}``. Slack documents the 5-in-30-minutes rule but not these error
  names; they are our best knowledge.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

logger = logging.getLogger(__name__)

T = TypeVar("T")
JsonDict = dict[str, Any]

# Block Kit and message limits, as documented by Slack (and observed, for the ~13k total).
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ID_CHARS = 255
MAX_MARKDOWN_TEXT = 12_000
MAX_SELECT_OPTIONS = 100
MAX_BLOCKS_JSON_CHARS = 13_000
MAX_TEXT_CHARS = 40_000
MAX_VIEW_TITLE = 24
MAX_VIEW_STACK = 3

RESPONSE_URL_MAX_POSTS = 5
RESPONSE_URL_TTL = 30 * 60.0
TRIGGER_TTL = 3.0

# Methods that take the app-level token (xapp-...) instead of the bot token.
_APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
# Arguments that WebClient sends JSON-encoded inside form bodies.
_JSON_ARGS = ("blocks", "attachments", "view", "metadata")


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
    source: str = "chat.postMessage"  # or chat.postEphemeral, response_url, user
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

    def to_api(self, bot_id: str | None = None) -> JsonDict:
        """The message as Slack's APIs and interaction payloads show it."""
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
        if self.metadata is not None:
            data["metadata"] = self.metadata
        return data


@dataclass(frozen=True)
class Post:
    """Something the bot made Slack display: a Web API post/update or a response_url post."""

    seq: int
    # chat.postMessage | chat.postEphemeral | chat.update | chat.delete | response_url | ack
    # | views.open | views.push | views.update (text is the modal's title)
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
    id: str
    name: str
    is_private: bool = False

    def to_api(self) -> JsonDict:
        if self.id.startswith("D"):
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
            "is_member": True,
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


@dataclass
class _ResponseUrl:
    created: float
    channel: str | None
    user: str | None
    original: tuple[str, str] | None  # (channel, ts) of the message an interaction came from
    bodies: list[JsonDict] = field(default_factory=list)
    last_message: tuple[str, str] | None = None  # what replace_original replaces for commands


@dataclass
class _Trigger:
    created: float
    used: bool = False


@dataclass
class _PendingAck:
    event: threading.Event = field(default_factory=threading.Event)
    ack: JsonDict | None = None


class _HttpReply(NamedTuple):
    status: int
    body: JsonDict
    headers: dict[str, str]


def _text_of(obj: Any) -> str | None:
    """The text of a Block Kit text object, or None when it is not one."""
    if isinstance(obj, dict) and obj.get("type") in ("plain_text", "mrkdwn"):
        text = obj.get("text")
        if isinstance(text, str):
            return text
    return None


def _valid_text(obj: Any, limit: int) -> bool:
    text = _text_of(obj)
    return text is not None and 0 < len(text) <= limit


def _element_is_valid(element: Any) -> bool:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        return False
    action_id = element.get("action_id")
    if action_id is not None and (not isinstance(action_id, str) or len(action_id) > MAX_ID_CHARS):
        return False
    kind = element["type"]
    if kind == "button":
        value = element.get("value")
        return _valid_text(element.get("text"), MAX_BUTTON_TEXT) and (
            value is None or (isinstance(value, str) and len(value) <= MAX_BUTTON_VALUE)
        )
    if kind in ("static_select", "multi_static_select", "overflow", "radio_buttons", "checkboxes"):
        options = element.get("options", element.get("option_groups", []))
        return isinstance(options, list) and len(options) <= MAX_SELECT_OPTIONS
    return True


def _section_is_valid(block: JsonDict) -> bool:
    text, fields, accessory = block.get("text"), block.get("fields"), block.get("accessory")
    if text is None and fields is None:
        return False  # Slack: "must provide either text or fields"
    if text is not None and not _valid_text(text, MAX_SECTION_TEXT):
        return False
    if fields is not None and (
        not isinstance(fields, list)
        or not 0 < len(fields) <= MAX_SECTION_FIELDS
        or not all(_valid_text(f, MAX_FIELD_TEXT) for f in fields)
    ):
        return False
    return accessory is None or _element_is_valid(accessory)


def _elements_are_valid(block: JsonDict, limit: int, *, interactive: bool) -> bool:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 0 < len(elements) <= limit:
        return False
    return not interactive or all(_element_is_valid(e) for e in elements)


def _header_is_valid(block: JsonDict) -> bool:
    return _valid_text(block.get("text"), MAX_HEADER_TEXT)


def _markdown_is_valid(block: JsonDict) -> bool:
    text = block.get("text")
    return isinstance(text, str) and 0 < len(text) <= MAX_MARKDOWN_TEXT


_BLOCK_RULES: dict[str, Callable[[JsonDict], bool]] = {
    "section": _section_is_valid,
    "header": _header_is_valid,
    "context": lambda b: _elements_are_valid(b, MAX_CONTEXT_ELEMENTS, interactive=False),
    "actions": lambda b: _elements_are_valid(b, MAX_ACTIONS_ELEMENTS, interactive=True),
    "markdown": _markdown_is_valid,
    "rich_text": lambda b: isinstance(b.get("elements"), list),
}


def _block_is_valid(block: Any) -> bool:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return False
    block_id = block.get("block_id")
    if block_id is not None and (not isinstance(block_id, str) or len(block_id) > MAX_ID_CHARS):
        return False
    rule = _BLOCK_RULES.get(block["type"])
    return rule is None or rule(block)  # other block types are accepted as they are


def check_blocks(blocks: Any, *, max_blocks: int = MAX_MESSAGE_BLOCKS) -> str | None:
    """The error Slack would answer for these message blocks, or None when they are fine."""
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) > max_blocks:
        return "invalid_blocks"
    if not all(_block_is_valid(b) for b in blocks):
        return "invalid_blocks"
    if len(json.dumps(blocks, ensure_ascii=False, separators=(",", ":"))) > MAX_BLOCKS_JSON_CHARS:
        return "msg_blocks_too_long"
    return None


def check_message(text: str, blocks: Any, attachments: Any = None) -> str | None:
    """The error Slack would answer for this message content, or None."""
    if len(text) > MAX_TEXT_CHARS:
        return "msg_too_long"
    if not text and not blocks and not attachments:
        return "no_text"
    return check_blocks(blocks)


def _truthy(value: Any) -> bool:
    # WebClient turns booleans into "1"/"0" in form bodies; JSON bodies carry real booleans.
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _blocks_of(value: Any) -> list[JsonDict]:
    return list(value) if isinstance(value, list) else []


class SlackEmulator:
    """Slack's Web API, response_url hooks and Socket Mode on loopback, with a tiny workspace.

    Use as a context manager (or ``start()``/``stop()``). Thread-safe: the bot calls in from its
    own threads while a test inspects ``calls``, ``messages()`` or ``posts_since()``.

    Strictness: channels and users are permissive until modelled (see the module docstring);
    ``thread_ts`` must be an existing parent; Block Kit limits are enforced; a response_url takes
    5 posts in 30 minutes; trigger ids are single-use and expire after ``trigger_ttl`` seconds.

    Close a ``SocketModeHandler`` before ``stop()``: a client still connected when the socket
    server goes away reconnects (slack_sdk's auto-reconnect) and logs errors until it is closed.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_token: str = "xoxb-sandbox",  # noqa: S107 - sandbox credentials, not secrets
        app_token: str = "xapp-sandbox",  # noqa: S107 - sandbox credentials, not secrets
        team_id: str = "T0SANDBOX",
        bot_user_id: str = "U0BOT",
    ) -> None:
        self.host = host
        self.port = port
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.team_domain = "sandbox"
        self.bot_user_id = bot_user_id
        self.bot_id = "B" + bot_user_id[1:]
        self.app_id = "A0SANDBOX"
        self.trigger_ttl = TRIGGER_TTL
        self.response_url_ttl = RESPONSE_URL_TTL
        self.socket_ping_interval: float | None = 0.2  # read at start(); see start()

        self._lock = threading.RLock()
        self.calls: list[ApiCall] = []
        self._posts: list[Post] = []
        self._channels: dict[str, Channel] = {}
        self._channels_modelled = False
        self._users: dict[str, User] = {}
        self._usergroups: dict[str, Usergroup] = {}
        self._messages: dict[str, list[Message]] = {}
        self._ephemerals: list[Message] = []
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._views: dict[str, JsonDict] = {}
        self._view_stack: list[str] = []
        self._home_views: dict[str, JsonDict] = {}
        self._rate_limits: dict[str, list[int]] = {}
        self._last_ts = (0, 0)
        self._ids = itertools.count(1)

        self._http: ThreadingHTTPServer | None = None
        self._http_thread: threading.Thread | None = None
        self._ws: Server | None = None
        self._ws_thread: threading.Thread | None = None
        self._tickets: set[str] = set()
        self._sockets: list[ServerConnection] = []
        self._pending: dict[str, _PendingAck] = {}
        self.socket_messages: list[JsonDict] = []  # everything the bot sent over the socket
        self.socket_closes: list[tuple[int | None, str | None]] = []  # (code, reason) per closed socket
        self._socket_changed = threading.Condition(self._lock)

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        if self._http is None:
            raise RuntimeError("SlackEmulator is not started")
        return f"http://{self.host}:{self._http.server_address[1]}"

    @property
    def api_url(self) -> str:
        """What to give ``WebClient(base_url=...)`` (the trailing slash matters)."""
        return self.base_url + "/api/"

    @property
    def socket_url(self) -> str:
        if self._ws is None:
            raise RuntimeError("SlackEmulator is not started")
        return f"ws://{self.host}:{self._ws.socket.getsockname()[1]}/link/"

    def start(self) -> SlackEmulator:
        if self._http is not None:
            return self
        self._http = ThreadingHTTPServer((self.host, self.port), _make_http_handler(self))
        self._http.daemon_threads = True
        # A short poll interval keeps stop() quick (shutdown waits for the next poll).
        self._http_thread = threading.Thread(
            target=self._http.serve_forever, args=(0.02,), name="slack-emulator-http", daemon=True
        )
        self._http_thread.start()
        # Frequent pings wake slack_sdk's builtin client, which holds its receive lock during a
        # blocking recv (3 s timeout): without them its close() takes ~3 s longer.
        self._ws = serve(
            self._ws_handler,
            self.host,
            0,
            process_request=self._ws_process_request,
            compression=None,
            ping_interval=self.socket_ping_interval,
            close_timeout=1,
        )
        self._ws_thread = threading.Thread(
            target=self._ws.serve_forever, name="slack-emulator-socket", daemon=True
        )
        self._ws_thread.start()
        return self

    def stop(self) -> None:
        # Sockets first, so a connected bot sees "going away" while the Web API still answers.
        if self._ws is not None:
            self._ws.shutdown()
            if self._ws_thread is not None:
                self._ws_thread.join(timeout=5)
            self._ws = None
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            if self._http_thread is not None:
                self._http_thread.join(timeout=5)
            self._http = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ workspace model

    def add_channel(self, channel_id: str, name: str, *, is_private: bool = False) -> None:
        with self._lock:
            self._channels[channel_id] = Channel(channel_id, name.lstrip("#"), is_private)
            self._channels_modelled = True

    def add_user(self, user_id: str, name: str, *, is_admin: bool = False, is_bot: bool = False) -> None:
        with self._lock:
            self._users[user_id] = User(user_id, name, is_admin, is_bot)

    def add_usergroup(self, usergroup_id: str, handle: str, user_ids: list[str]) -> None:
        with self._lock:
            self._usergroups[usergroup_id] = Usergroup(usergroup_id, handle.lstrip("@"), list(user_ids))

    def post_user_message(
        self, channel: str, text: str, *, user: str, thread_ts: str | None = None
    ) -> Message:
        """A person's message (for threads the bot should answer in); returns it."""
        with self._lock:
            message = Message(self._next_ts(), channel, text, [], user, thread_ts, source="user")
            self._messages.setdefault(channel, []).append(message)
            return message

    def messages(self, channel: str) -> list[Message]:
        """Top-level messages in a channel (and replies broadcast to it), oldest first."""
        with self._lock:
            return [
                m
                for m in self._messages.get(channel, [])
                if not m.deleted and (not m.is_reply or m.reply_broadcast)
            ]

    def thread(self, channel: str, ts: str) -> list[Message]:
        """The replies in the thread under ``ts`` (not the parent), oldest first."""
        with self._lock:
            return [
                m
                for m in self._messages.get(channel, [])
                if not m.deleted and m.is_reply and m.thread_ts == ts
            ]

    def message(self, channel: str, ts: str) -> Message | None:
        """Any message (top-level, reply or ephemeral) by channel and ts."""
        with self._lock:
            return self._find(channel, ts, include_ephemeral=True)

    def ephemeral_messages(self, channel: str | None = None, user: str | None = None) -> list[Message]:
        with self._lock:
            return [
                m
                for m in self._ephemerals
                if not m.deleted and channel in (None, m.channel) and user in (None, m.ephemeral_to)
            ]

    def all_messages(self) -> list[Message]:
        """Every visible message, ephemeral ones included, in posting order."""
        with self._lock:
            found = [m for ms in self._messages.values() for m in ms if not m.deleted]
            found += [m for m in self._ephemerals if not m.deleted]
            return sorted(found, key=lambda m: (float(m.ts), m.ts))

    def views(self) -> list[JsonDict]:
        """Modal views opened, pushed or updated, current state, in opening order."""
        with self._lock:
            return [dict(v) for v in self._views.values()]

    def home_view(self, user_id: str) -> JsonDict | None:
        with self._lock:
            return self._home_views.get(user_id)

    def calls_to(self, method: str) -> list[ApiCall]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def inject_rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429 and ``Retry-After``."""
        with self._lock:
            self._rate_limits.setdefault(method, []).extend([retry_after] * times)

    # ------------------------------------------------------------------ posts (what was displayed)

    def post_mark(self) -> int:
        """A bookmark for ``posts_since``."""
        with self._lock:
            return len(self._posts)

    def posts_since(self, mark: int = 0) -> list[Post]:
        with self._lock:
            return list(self._posts[mark:])

    # ------------------------------------------------------------------ response_url and triggers

    def new_response_url(
        self,
        *,
        channel: str | None = None,
        user: str | None = None,
        original: tuple[str, str] | None = None,
    ) -> str:
        """A fresh URL standing in for hooks.slack.com's; ``original`` is (channel, ts) of the
        message an interaction came from, which ``replace_original``/``delete_original`` act on."""
        key = uuid.uuid4().hex
        with self._lock:
            self._response_urls[key] = _ResponseUrl(time.time(), channel, user, original)
        return f"{self.base_url}/response/{key}"

    def show_command_ack(self, response_url: str, body: JsonDict) -> Message | None:
        """Display a slash command's ack body as Slack does (ephemeral unless in_channel).

        HTTP acks never pass through the emulator, so the Slack side (``Conversation``) reports
        them here; the message can then be clicked and replaced like any response. Raises
        ValueError with Slack's error code when the content would be refused.
        """
        text, blocks = str(body.get("text") or ""), body.get("blocks")
        error = check_message(text, blocks, body.get("attachments"))
        if error:
            raise ValueError(error)
        response_type = "in_channel" if body.get("response_type") == "in_channel" else "ephemeral"
        key = response_url.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            entry = self._response_urls.get(key)
            if entry is None:
                return None
            ts = self._store_response_message(entry, text, _blocks_of(blocks), response_type, None)
            self._record_post(
                "ack",
                text=text,
                blocks=blocks,
                channel=entry.channel,
                ts=ts,
                response_type=response_type,
                user=entry.user if response_type == "ephemeral" else None,
                response_url=response_url,
            )
            return self._find(entry.channel, ts, include_ephemeral=True) if entry.channel and ts else None

    def responses(self, response_url: str) -> list[JsonDict]:
        """JSON bodies accepted at that response_url, in order."""
        key = response_url.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            entry = self._response_urls.get(key)
            return [dict(b) for b in entry.bodies] if entry else []

    def new_trigger_id(self) -> str:
        """A trigger id as Slack puts in interactions; views.open accepts it once, for 3 s."""
        trigger_id = f"{int(time.time())}.{next(self._ids)}.{secrets.token_hex(10)}"
        with self._lock:
            self._triggers[trigger_id] = _Trigger(time.time())
        return trigger_id

    # ------------------------------------------------------------------ waiting

    def wait_for(self, predicate: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Poll ``predicate`` until it returns something truthy; return that.

        Raises TimeoutError with a dump of recent calls and posts, to show what happened instead.
        """
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout:.1f}s\n{self.dump()}")
            time.sleep(0.01)

    def dump(self, last: int = 20) -> str:
        """A readable summary of recent traffic (never tokens)."""
        with self._lock:
            lines = [f"last {min(last, len(self.calls))} of {len(self.calls)} Web API calls:"]
            for call in self.calls[-last:]:
                outcome = "ok" if call.ok else f"error={call.error}"
                lines.append(f"  {call.method} [{call.status} {outcome}] {_short(call.args)}")
            lines.append(f"last {min(last, len(self._posts))} of {len(self._posts)} posts:")
            lines.extend(
                f"  {p.kind} channel={p.channel} text={p.text[:80]!r} blocks={len(p.blocks)}"
                for p in self._posts[-last:]
            )
            lines.append(f"sockets open: {len(self._sockets)}; closed: {self.socket_closes}")
            return "\n".join(lines)

    # ------------------------------------------------------------------ socket mode

    def socket_connected(self, timeout: float = 5.0) -> bool:
        """Wait until a bot holds an open Socket Mode connection."""
        with self._socket_changed:
            return self._socket_changed.wait_for(lambda: bool(self._sockets), timeout)

    def socket_disconnected(self, timeout: float = 5.0) -> bool:
        """Wait until no Socket Mode connection is open."""
        with self._socket_changed:
            return self._socket_changed.wait_for(lambda: not self._sockets, timeout)

    @property
    def socket_count(self) -> int:
        with self._lock:
            return len(self._sockets)

    def send_envelope(
        self,
        type: str,  # Slack's own field name
        payload: JsonDict,
        *,
        accepts_response_payload: bool = True,
        timeout: float = 5.0,
    ) -> JsonDict:
        """Send an envelope to the connected bot and return the ack it sent back.

        Raises RuntimeError when no bot is connected, TimeoutError when the bot does not ack.
        """
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        pending = _PendingAck()
        with self._lock:
            if not self._sockets:
                raise RuntimeError("no bot is connected over Socket Mode")
            connection = self._sockets[-1]  # like Slack, any one connection gets each envelope
            self._pending[envelope_id] = pending
        try:
            connection.send(json.dumps(envelope))
            if not pending.event.wait(timeout):
                raise TimeoutError(f"bot did not ack envelope {type} within {timeout:.1f}s\n{self.dump()}")
        finally:
            with self._lock:
                self._pending.pop(envelope_id, None)
        assert pending.ack is not None
        return pending.ack

    def request_socket_refresh(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message; a bot is expected to reconnect."""
        message = json.dumps(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-sandbox"}}
        )
        with self._lock:
            connections = list(self._sockets)
        for connection in connections:
            connection.send(message)

    def _ws_process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        ticket = parse_qs(urlsplit(request.path).query).get("ticket", [""])[0]
        with self._lock:
            if ticket in self._tickets:
                self._tickets.discard(ticket)  # single use, like Slack's
                return None
        return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")

    def _ws_handler(self, connection: ServerConnection) -> None:
        with self._socket_changed:
            self._sockets.append(connection)
            count = len(self._sockets)
            self._socket_changed.notify_all()
        hello = {
            "type": "hello",
            "num_connections": count,
            "debug_info": {
                "host": "applink-sandbox",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }
        try:
            connection.send(json.dumps(hello))
            for raw in connection:
                self._on_socket_message(raw)
        except ConnectionClosed:
            pass  # slack_sdk's builtin client closes the TCP socket without a close frame
        finally:
            with self._socket_changed:
                self._sockets.remove(connection)
                self.socket_closes.append((connection.close_code, connection.close_reason))
                self._socket_changed.notify_all()

    def _on_socket_message(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            logger.warning("bot sent a non-JSON socket message")
            return
        if not isinstance(message, dict):
            return
        with self._lock:
            self.socket_messages.append(message)
            pending = self._pending.get(str(message.get("envelope_id")))
        if pending is not None:
            pending.ack = message
            pending.event.set()

    # ------------------------------------------------------------------ HTTP entry points

    def handle_http(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> _HttpReply:
        """Route one HTTP request (used by the server; callable directly for unit tests)."""
        parts = urlsplit(path)
        if parts.path.startswith("/api/"):
            return self._handle_api(parts.path[len("/api/") :], parts.query, headers, body)
        if parts.path.startswith("/response/") and method == "POST":
            return self._handle_response_url(parts.path[len("/response/") :], body)
        return _HttpReply(404, {"ok": False, "error": "not_found"}, {})

    def _handle_api(self, method: str, query: str, headers: Mapping[str, str], body: bytes) -> _HttpReply:
        args, parse_error = _parse_args(query, headers.get("Content-Type", ""), body)
        token = _bearer(headers.get("Authorization")) or args.pop("token", None)
        status, extra_headers = 200, {}
        try:
            response = self._call_api(method, args, token, parse_error)
        except SlackApiFailure as failure:
            response = {"ok": False, "error": failure.code, **failure.extra}
            status, extra_headers = failure.status, failure.headers
        with self._lock:
            self.calls.append(ApiCall(method, args, token, time.time(), status, response))
        return _HttpReply(status, response, extra_headers)

    def _call_api(self, method: str, args: JsonDict, token: str | None, parse_error: str | None) -> JsonDict:
        handler = _API_METHODS.get(method)
        if handler is None:
            raise SlackApiFailure("unknown_method", req_method=method)
        self._authenticate(method, token)
        if parse_error:
            raise SlackApiFailure(parse_error)
        retry_after = self._take_rate_limit(method)
        if retry_after is not None:
            raise SlackApiFailure("ratelimited", status=429, headers={"Retry-After": str(retry_after)})
        return handler(self, args)

    def _authenticate(self, method: str, token: str | None) -> None:
        if not token:
            raise SlackApiFailure("not_authed")
        wanted, other = (
            (self.app_token, self.bot_token)
            if method in _APP_TOKEN_METHODS
            else (self.bot_token, self.app_token)
        )
        if token == other:
            raise SlackApiFailure("not_allowed_token_type")
        if not secrets.compare_digest(token, wanted):
            raise SlackApiFailure("invalid_auth")

    def _take_rate_limit(self, method: str) -> int | None:
        with self._lock:
            queue = self._rate_limits.get(method)
            return queue.pop(0) if queue else None

    # ------------------------------------------------------------------ helpers

    def _next_ts(self) -> str:
        """Slack-style ts, unique and increasing: seconds.microseconds."""
        with self._lock:
            now = time.time()
            candidate = (int(now), int((now % 1) * 1_000_000))
            if candidate <= self._last_ts:
                seconds, micros = self._last_ts
                candidate = (seconds + 1, 0) if micros >= 999_999 else (seconds, micros + 1)
            self._last_ts = candidate
            return f"{candidate[0]}.{candidate[1]:06d}"

    def _record_post(self, kind: str, **fields: Any) -> None:
        with self._lock:
            self._posts.append(
                Post(
                    seq=len(self._posts),
                    kind=kind,
                    at=time.time(),
                    text=str(fields.pop("text", "") or ""),
                    blocks=_blocks_of(fields.pop("blocks", None)),
                    **fields,
                )
            )

    def _find(self, channel: str, ts: str, *, include_ephemeral: bool = False) -> Message | None:
        for message in self._messages.get(channel, []):
            if message.ts == ts and not message.deleted:
                return message
        if include_ephemeral:
            for message in self._ephemerals:
                if message.channel == channel and message.ts == ts and not message.deleted:
                    return message
        return None

    def _resolve_channel(self, value: Any) -> str:
        """A channel id from an id, a #name or a user id (a DM), or channel_not_found."""
        raw = str(value or "").strip()
        if not raw:
            raise SlackApiFailure("channel_not_found")
        name = raw.lstrip("#")
        with self._lock:
            if raw in self._channels:
                return raw
            for channel in self._channels.values():
                if channel.name == name:
                    return channel.id
            if raw[0] in "UW":  # posting to a user id opens the DM with them
                if self._users and raw not in self._users:
                    raise SlackApiFailure("channel_not_found")
                dm = "D" + raw[1:]
                self._channels.setdefault(dm, Channel(dm, dm))
                return dm
            if raw.startswith("D") or not self._channels_modelled:
                self._channels.setdefault(name, Channel(name, name.lower()))
                return name
        raise SlackApiFailure("channel_not_found")

    def _require_user(self, user_id: str) -> User:
        with self._lock:
            user = self._users.get(user_id)
            if user is not None:
                return user
            if user_id == self.bot_user_id:
                return User(user_id, "bot", is_bot=True)
            if self._users:
                raise SlackApiFailure("user_not_found")
            return User(user_id, user_id.lower())

    def _require_thread(self, channel: str, thread_ts: Any) -> str | None:
        if thread_ts in (None, ""):
            return None
        parent = self._find(channel, str(thread_ts))
        if parent is None or parent.is_reply:
            raise SlackApiFailure("thread_not_found")
        return parent.ts

    def _edit(self, message: Message, *, text: str | None, blocks: list[JsonDict] | None) -> None:
        message.history.append(MessageVersion(message.text, message.blocks, time.time()))
        if text is not None:
            message.text = text
        if blocks is not None:
            message.blocks = blocks

    # ------------------------------------------------------------------ Web API methods

    def _api_auth_test(self, args: JsonDict) -> JsonDict:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": "Sandbox",
            "user": "bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _api_apps_connections_open(self, args: JsonDict) -> JsonDict:
        ticket = uuid.uuid4().hex
        with self._lock:
            self._tickets.add(ticket)
        return {"ok": True, "url": f"{self.socket_url}?ticket={ticket}&app_id={self.app_id}"}

    def _new_bot_message(self, channel: str, args: JsonDict, **extra: Any) -> Message:
        """The bot's message from chat.post* arguments, once Slack's checks pass (not stored yet)."""
        text = str(args.get("text") or "")
        error = check_message(text, args.get("blocks"), args.get("attachments"))
        if error:
            raise SlackApiFailure(error)
        thread_ts = self._require_thread(channel, args.get("thread_ts"))
        blocks = _blocks_of(args.get("blocks"))
        return Message(self._next_ts(), channel, text, blocks, self.bot_user_id, thread_ts, **extra)

    def _record_message(self, kind: str, message: Message, response_type: str, **extra: Any) -> None:
        """Record a post showing ``message`` as it now stands."""
        self._record_post(
            kind,
            text=message.text,
            blocks=message.blocks,
            channel=message.channel,
            ts=message.ts,
            thread_ts=message.thread_ts,
            response_type=response_type,
            **extra,
        )

    def _find_or_fail(self, args: JsonDict, ts_arg: str) -> Message:
        """The message ``args`` name by channel and ``args[ts_arg]``, or message_not_found."""
        channel = self._resolve_channel(args.get("channel"))
        message = self._find(channel, str(args.get(ts_arg) or ""))
        if message is None:
            raise SlackApiFailure("message_not_found")
        return message

    def _api_chat_post_message(self, args: JsonDict) -> JsonDict:
        with self._lock:
            channel = self._resolve_channel(args.get("channel"))
            message = self._new_bot_message(
                channel,
                args,
                metadata=args.get("metadata") if isinstance(args.get("metadata"), dict) else None,
            )
            # Only a reply can be broadcast to the channel; Slack ignores the flag elsewhere.
            message.reply_broadcast = message.thread_ts is not None and _truthy(args.get("reply_broadcast"))
            self._messages.setdefault(channel, []).append(message)
            self._record_message("chat.postMessage", message, "in_channel")
            return {"ok": True, "channel": channel, "ts": message.ts, "message": message.to_api(self.bot_id)}

    def _api_chat_post_ephemeral(self, args: JsonDict) -> JsonDict:
        with self._lock:
            channel = self._resolve_channel(args.get("channel"))
            user = str(args.get("user") or "")
            if not user:
                raise SlackApiFailure("user_not_found")
            self._require_user(user)
            message = self._new_bot_message(channel, args, ephemeral_to=user, source="chat.postEphemeral")
            self._ephemerals.append(message)
            self._record_message("chat.postEphemeral", message, "ephemeral", user=user)
            return {"ok": True, "message_ts": message.ts}

    def _api_chat_update(self, args: JsonDict) -> JsonDict:
        with self._lock:
            message = self._find_or_fail(args, "ts")
            if message.user != self.bot_user_id:
                raise SlackApiFailure("cant_update_message")
            text = str(args["text"]) if args.get("text") is not None else None
            blocks = _blocks_of(args["blocks"]) if args.get("blocks") is not None else None
            error = check_message(
                text if text is not None else message.text,
                blocks if blocks is not None else message.blocks,
                args.get("attachments"),
            )
            if error:
                raise SlackApiFailure(error)
            self._edit(message, text=text, blocks=blocks)
            self._record_message("chat.update", message, "in_channel")
            return {
                "ok": True,
                "channel": message.channel,
                "ts": message.ts,
                "text": message.text,
                "message": message.to_api(self.bot_id),
            }

    def _api_chat_delete(self, args: JsonDict) -> JsonDict:
        with self._lock:
            message = self._find_or_fail(args, "ts")
            if message.user != self.bot_user_id:
                raise SlackApiFailure("cant_delete_message")
            message.deleted = True
            self._record_post(
                "chat.delete", channel=message.channel, ts=message.ts, thread_ts=message.thread_ts
            )
            return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _api_chat_get_permalink(self, args: JsonDict) -> JsonDict:
        with self._lock:
            message = self._find_or_fail(args, "message_ts")
            channel = message.channel
            link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{message.ts.replace('.', '')}"
            if message.is_reply:
                link += f"?thread_ts={message.thread_ts}&cid={channel}"
            return {"ok": True, "channel": channel, "permalink": link}

    def _api_conversations_info(self, args: JsonDict) -> JsonDict:
        with self._lock:
            channel = self._resolve_channel(args.get("channel"))
            return {"ok": True, "channel": self._channels[channel].to_api()}

    def _api_conversations_history(self, args: JsonDict) -> JsonDict:
        channel = self._resolve_channel(args.get("channel"))
        limit = int(args.get("limit") or 100)
        newest_first = list(reversed(self.messages(channel)))[:limit]
        return {"ok": True, "messages": [m.to_api() for m in newest_first], "has_more": False}

    def _api_conversations_replies(self, args: JsonDict) -> JsonDict:
        with self._lock:
            channel = self._resolve_channel(args.get("channel"))
            parent = self._find(channel, str(args.get("ts") or ""))
            if parent is None:
                raise SlackApiFailure("thread_not_found")
            root = parent.thread_ts or parent.ts
            head = self._find(channel, root)
            thread = ([head] if head else []) + self.thread(channel, root)
            return {"ok": True, "messages": [m.to_api() for m in thread], "has_more": False}

    def _api_users_info(self, args: JsonDict) -> JsonDict:
        user = self._require_user(str(args.get("user") or ""))
        return {"ok": True, "user": user.to_api(self.team_id)}

    def _api_usergroups_list(self, args: JsonDict) -> JsonDict:
        include_users = _truthy(args.get("include_users"))
        with self._lock:
            groups = [g.to_api(self.team_id, include_users=include_users) for g in self._usergroups.values()]
        return {"ok": True, "usergroups": groups}

    def _api_usergroups_users_list(self, args: JsonDict) -> JsonDict:
        with self._lock:
            group = self._usergroups.get(str(args.get("usergroup") or ""))
            if group is None:
                raise SlackApiFailure("no_such_subteam")
            return {"ok": True, "users": list(group.user_ids)}

    def _api_reactions_add(self, args: JsonDict) -> JsonDict:
        with self._lock:
            message = self._find_or_fail(args, "timestamp")
            name = str(args.get("name") or "").strip(":")
            if not name:
                raise SlackApiFailure("invalid_name")
            users = message.reactions.setdefault(name, [])
            if self.bot_user_id in users:
                raise SlackApiFailure("already_reacted")
            users.append(self.bot_user_id)
            return {"ok": True}

    def _take_trigger(self, trigger_id: Any) -> None:
        with self._lock:
            trigger = self._triggers.get(str(trigger_id or ""))
            if trigger is None:
                raise SlackApiFailure("invalid_trigger_id")
            if trigger.used:
                raise SlackApiFailure("exchanged_trigger_id")
            if time.time() - trigger.created > self.trigger_ttl:
                raise SlackApiFailure("expired_trigger_id")
            trigger.used = True

    def _check_view(self, view: Any, *, surface: str = "modal") -> JsonDict:
        if not isinstance(view, dict) or view.get("type") != surface:
            raise SlackApiFailure("invalid_arguments")
        title = view.get("title")
        if surface == "modal" and not _valid_text(title, MAX_VIEW_TITLE):
            raise SlackApiFailure("invalid_arguments")
        blocks = view.get("blocks")
        if (
            not isinstance(blocks, list)
            or check_blocks(blocks, max_blocks=MAX_VIEW_BLOCKS) == "invalid_blocks"
        ):
            raise SlackApiFailure("invalid_arguments")
        return view

    def _store_view(
        self, view: JsonDict, *, view_id: str | None = None, previous: str | None = None
    ) -> JsonDict:
        view_id = view_id or f"V{next(self._ids):08d}"
        stored = {
            **view,
            "id": view_id,
            "team_id": self.team_id,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "hash": secrets.token_hex(8),
            "state": {"values": {}},
            "root_view_id": self._view_stack[0] if previous and self._view_stack else view_id,
            "previous_view_id": previous,
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
        }
        self._views[view_id] = stored
        return stored

    def _show_view(self, kind: str, view: JsonDict) -> None:
        self._record_post(kind, text=_text_of(view.get("title")) or "", blocks=view.get("blocks"))

    def _api_views_open(self, args: JsonDict) -> JsonDict:
        with self._lock:
            self._take_trigger(args.get("trigger_id"))
            stored = self._store_view(self._check_view(args.get("view")))
            self._view_stack = [stored["id"]]
            self._show_view("views.open", stored)
            return {"ok": True, "view": stored}

    def _api_views_push(self, args: JsonDict) -> JsonDict:
        with self._lock:
            self._take_trigger(args.get("trigger_id"))
            view = self._check_view(args.get("view"))
            if len(self._view_stack) >= MAX_VIEW_STACK:
                raise SlackApiFailure("push_limit_reached")
            previous = self._view_stack[-1] if self._view_stack else None
            stored = self._store_view(view, previous=previous)
            self._view_stack.append(stored["id"])
            self._show_view("views.push", stored)
            return {"ok": True, "view": stored}

    def _api_views_update(self, args: JsonDict) -> JsonDict:
        with self._lock:
            view = self._check_view(args.get("view"))
            view_id = str(args.get("view_id") or "")
            external_id = args.get("external_id")
            if not view_id and external_id:
                view_id = next((k for k, v in self._views.items() if v.get("external_id") == external_id), "")
            current = self._views.get(view_id)
            if current is None:
                raise SlackApiFailure("not_found")
            if args.get("hash") and args["hash"] != current["hash"]:
                raise SlackApiFailure("hash_conflict")
            stored = self._store_view(view, view_id=view_id, previous=current.get("previous_view_id"))
            stored["root_view_id"] = current["root_view_id"]
            self._show_view("views.update", stored)
            return {"ok": True, "view": stored}

    def _api_views_publish(self, args: JsonDict) -> JsonDict:
        with self._lock:
            user = self._require_user(str(args.get("user_id") or ""))
            view = self._check_view(args.get("view"), surface="home")
            stored = {
                **view,
                "id": f"V{next(self._ids):08d}",
                "team_id": self.team_id,
                "hash": secrets.token_hex(8),
            }
            self._home_views[user.id] = stored
            return {"ok": True, "view": stored}

    # ------------------------------------------------------------------ response_url

    def _handle_response_url(self, key: str, body: bytes) -> _HttpReply:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return _HttpReply(400, {"ok": False, "error": "invalid_payload"}, {})
        with self._lock:
            entry = self._response_urls.get(key)
            if entry is None:
                return _HttpReply(404, {"ok": False, "error": "no_service"}, {})
            if time.time() - entry.created > self.response_url_ttl:
                return _HttpReply(404, {"ok": False, "error": "expired_url"}, {})
            if len(entry.bodies) >= RESPONSE_URL_MAX_POSTS:
                return _HttpReply(404, {"ok": False, "error": "used_url"}, {})
            error = self._apply_response(key, entry, data)
            if error:
                return _HttpReply(400, {"ok": False, "error": error}, {})
            entry.bodies.append(data)
            return _HttpReply(200, {"ok": True}, {})

    def _apply_response(self, key: str, entry: _ResponseUrl, data: JsonDict) -> str | None:
        """Show a response_url body in the workspace; an error code when Slack would refuse it."""
        url = f"{self.base_url}/response/{key}"
        replace, delete = _truthy(data.get("replace_original")), _truthy(data.get("delete_original"))
        target = entry.original or entry.last_message
        if delete:
            if target is not None and (message := self._find(*target, include_ephemeral=True)):
                message.deleted = True
            self._record_post("response_url", channel=entry.channel, delete_original=True, response_url=url)
            return None
        text = str(data.get("text") or "")
        blocks = data.get("blocks")
        if isinstance(blocks, str):  # WebhookClient sends lists, but a JSON string is accepted too
            try:
                blocks = json.loads(blocks)
            except ValueError:
                return "invalid_blocks_format"
        error = check_message(text, blocks, data.get("attachments"))
        if error:
            return error
        response_type = "in_channel" if data.get("response_type") == "in_channel" else "ephemeral"
        existing = self._find(*target, include_ephemeral=True) if replace and target else None
        if existing is not None:
            self._edit(existing, text=text, blocks=_blocks_of(blocks))
            ts: str | None = existing.ts
        else:
            ts = self._store_response_message(
                entry, text, _blocks_of(blocks), response_type, data.get("thread_ts")
            )
        self._record_post(
            "response_url",
            text=text,
            blocks=blocks,
            channel=entry.channel,
            ts=ts,
            thread_ts=data.get("thread_ts"),
            response_type=response_type,
            user=entry.user if response_type == "ephemeral" else None,
            replace_original=replace,
            response_url=url,
        )
        return None

    def _store_response_message(
        self, entry: _ResponseUrl, text: str, blocks: list[JsonDict], response_type: str, thread_ts: Any
    ) -> str | None:
        if entry.channel is None:
            return None
        message = Message(
            self._next_ts(),
            entry.channel,
            text,
            blocks,
            self.bot_user_id,
            str(thread_ts) if thread_ts else None,
            ephemeral_to=entry.user if response_type == "ephemeral" else None,
            source="response_url",
        )
        if message.is_ephemeral:
            self._ephemerals.append(message)
        else:
            self._messages.setdefault(entry.channel, []).append(message)
        entry.last_message = (entry.channel, message.ts)
        return message.ts


_API_METHODS: dict[str, Callable[[SlackEmulator, JsonDict], JsonDict]] = {
    "auth.test": SlackEmulator._api_auth_test,
    "apps.connections.open": SlackEmulator._api_apps_connections_open,
    "chat.postMessage": SlackEmulator._api_chat_post_message,
    "chat.postEphemeral": SlackEmulator._api_chat_post_ephemeral,
    "chat.update": SlackEmulator._api_chat_update,
    "chat.delete": SlackEmulator._api_chat_delete,
    "chat.getPermalink": SlackEmulator._api_chat_get_permalink,
    "conversations.info": SlackEmulator._api_conversations_info,
    "conversations.history": SlackEmulator._api_conversations_history,
    "conversations.replies": SlackEmulator._api_conversations_replies,
    "users.info": SlackEmulator._api_users_info,
    "usergroups.list": SlackEmulator._api_usergroups_list,
    "usergroups.users.list": SlackEmulator._api_usergroups_users_list,
    "reactions.add": SlackEmulator._api_reactions_add,
    "views.open": SlackEmulator._api_views_open,
    "views.push": SlackEmulator._api_views_push,
    "views.update": SlackEmulator._api_views_update,
    "views.publish": SlackEmulator._api_views_publish,
}


def _bearer(value: str | None) -> str | None:
    if value and value.lower().startswith("bearer "):
        return value[len("bearer ") :].strip() or None
    return None


def _parse_args(query: str, content_type: str, body: bytes) -> tuple[JsonDict, str | None]:
    """Arguments from the query string and a form or JSON body, as Slack accepts them."""
    args: JsonDict = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    if body:
        if content_type.startswith("application/json"):
            try:
                decoded = json.loads(body)
            except ValueError:
                return args, "invalid_json"
            if not isinstance(decoded, dict):
                return args, "invalid_json"
            args.update(decoded)
        elif content_type.startswith("multipart/"):
            return args, "invalid_form_data"  # file uploads are not emulated
        else:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
            args.update({k: v[-1] for k, v in form.items()})
    for key in _JSON_ARGS:
        if isinstance(args.get(key), str) and args[key]:
            try:
                args[key] = json.loads(args[key])
            except ValueError:
                return args, "invalid_blocks_format" if key == "blocks" else "invalid_arguments"
    return args, None


def _short(args: JsonDict) -> str:
    text = json.dumps(args, ensure_ascii=False, default=str)
    return text if len(text) <= 160 else text[:157] + "..."


def _make_http_handler(emulator: SlackEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "SlackEmulator/1.0"

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = dict(self.headers.items())
            reply = emulator.handle_http(method, self.path, headers, body)
            payload = json.dumps(reply.body).encode("utf-8")
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("slack emulator: " + format, *args)

    return Handler
