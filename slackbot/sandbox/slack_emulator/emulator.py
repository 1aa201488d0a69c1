"""``SlackEmulator``: the one object tests, the sandbox and the demo hold, composing the parts.

It builds the workspace, the Web API method families, the response_url hooks, Socket Mode and
the HTTP server, starts and stops the servers, and offers the test-facing API (modelling the
workspace, reading what was shown, handing out response_urls and trigger ids, sending envelopes,
waiting) by delegating to the part that owns each. It holds no state of its own but its knobs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TypeVar

from slackbot.sandbox.slack_emulator.auth import Auth
from slackbot.sandbox.slack_emulator.chat import Chat
from slackbot.sandbox.slack_emulator.conversations import Conversations
from slackbot.sandbox.slack_emulator.directory import Directory
from slackbot.sandbox.slack_emulator.home import HomeTabs, Published
from slackbot.sandbox.slack_emulator.model import ApiCall, HttpReply, JsonDict, Message, Post, Received
from slackbot.sandbox.slack_emulator.response_urls import ResponseUrls
from slackbot.sandbox.slack_emulator.server import SlackHttpServer
from slackbot.sandbox.slack_emulator.socket_mode import SocketMode
from slackbot.sandbox.slack_emulator.state import Workspace
from slackbot.sandbox.slack_emulator.views import Views
from slackbot.sandbox.slack_emulator.web_api import WebApi

T = TypeVar("T")


class SlackEmulator:
    """Slack's Web API, response_url hooks and Socket Mode on loopback, with a tiny workspace.

    Use as a context manager (or ``start()``/``stop()``). Thread-safe: the bot calls in from its
    own threads while a test inspects ``calls``, ``messages()`` or ``posts_since()``.

    Strictness: channels, users and members are permissive until modelled (see the package
    docstring); a private channel is hidden from a bot not in it; ``thread_ts`` must be an existing
    parent; Block Kit's rules are enforced; a response_url takes 5 posts in 30 minutes; trigger ids
    are single-use and expire after ``trigger_ttl`` seconds.
    ``clock`` (seconds since the epoch; ``time.time`` by default) stamps message ``ts`` values,
    calls, posts and edits, and times response_url and trigger expiry: advance it instead of
    sleeping. The HTTP port is bound at construction; ``stop()`` is final.

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
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.socket_ping_interval: float | None = 0.2  # read at start(); see SocketMode.start
        self._workspace = ws = Workspace(team_id=team_id, bot_user_id=bot_user_id, clock=clock or time.time)
        self._auth = Auth(ws, bot_token=bot_token, app_token=app_token)
        self._views = Views(ws)
        self._homes = HomeTabs(ws)
        self._socket = SocketMode(app_id=ws.app_id, describe=self.dump)
        self._hooks = ResponseUrls(ws, base_url=lambda: self.base_url)
        families = (
            self._auth,
            self._socket,
            Chat(ws),
            Conversations(ws),
            Directory(ws),
            self._views,
            self._homes,
        )
        self._api = WebApi(ws, self._auth, {n: h for f in families for n, h in f.methods().items()})
        self._http = SlackHttpServer(host, port, api=self._api.handle, hooks=self._hooks.post)
        self._state = "new"  # -> "running" -> "stopped"
        # Who is who (fixed at construction; tokens are the sandbox's, not secrets).
        self.bot_token, self.app_token = bot_token, app_token
        self.team_id, self.team_domain, self.app_id = ws.team_id, ws.team_domain, ws.app_id
        self.bot_user_id, self.bot_id = ws.bot_user_id, ws.bot_id

    # ------------------------------------------------------------------ knobs

    @property
    def response_url_ttl(self) -> float:
        return self._hooks.ttl

    @response_url_ttl.setter
    def response_url_ttl(self, seconds: float) -> None:
        self._hooks.ttl = seconds

    @property
    def home_tab_enabled(self) -> bool:
        """The manifest's ``features.app_home.home_tab_enabled``: off, views.publish answers
        ``not_enabled``."""
        return self._homes.home_tab_enabled

    @home_tab_enabled.setter
    def home_tab_enabled(self, enabled: bool) -> None:
        self._homes.home_tab_enabled = enabled

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return self._http.base_url

    @property
    def api_url(self) -> str:
        """What to give ``WebClient(base_url=...)`` (the trailing slash matters)."""
        return self.base_url + "/api/"

    @property
    def socket_url(self) -> str:
        return self._socket.url

    def start(self) -> SlackEmulator:
        if self._state == "running":
            return self
        if self._state == "stopped":
            raise RuntimeError("a stopped SlackEmulator cannot be started again")
        self._http.start()
        self._socket.start(self.host, self.socket_ping_interval)
        self._state = "running"
        return self

    def stop(self) -> None:
        # Sockets first, so a connected bot sees "going away" while the Web API still answers.
        self._socket.stop()
        self._http.stop()
        self._state = "stopped"

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def handle_http(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        """Route one HTTP request as the server does (for unit tests)."""
        return self._http.handle_http(method, path, headers, body)

    # ------------------------------------------------------------------ the workspace

    def add_channel(
        self, channel_id: str, name: str, *, is_private: bool = False, members: Iterable[str] | None = None
    ) -> None:
        """A channel; with ``members``, only they (and the bot only if listed) are in it.

        A private channel the bot is not in does not exist for the bot's Web API calls
        (``channel_not_found``); an ephemeral message reaches only a member (``user_not_in_channel``).
        """
        self._workspace.add_channel(channel_id, name, is_private=is_private, members=members)

    def invite(self, channel_id: str, user_id: str) -> None:
        """``/invite`` someone (the bot: ``bot_user_id``) to a channel whose members are modelled."""
        self._workspace.invite(channel_id, user_id)

    def user_says(self, channel: str, user_id: str, text: str) -> Message:
        """A person's message in a channel (it moves the bot's messages down the history)."""
        return self._workspace.user_says(channel, user_id, text)

    def name_in_payloads(self, channel_id: str) -> str | None:
        """The channel name Slack sends in slash commands and interactions from that channel:
        ``privategroup`` for a private channel, ``directmessage`` for a DM, else its name (None
        when the channel is not modelled)."""
        return self._workspace.name_in_payloads(channel_id)

    def add_user(self, user_id: str, name: str, *, is_admin: bool = False, is_bot: bool = False) -> None:
        self._workspace.add_user(user_id, name, is_admin=is_admin, is_bot=is_bot)

    def add_usergroup(self, usergroup_id: str, handle: str, user_ids: list[str]) -> None:
        self._workspace.add_usergroup(usergroup_id, handle, user_ids)

    def messages(self, channel: str) -> list[Message]:
        """Top-level messages in a channel (and replies broadcast to it), oldest first."""
        return self._workspace.messages(channel)

    def thread(self, channel: str, ts: str) -> list[Message]:
        """The replies in the thread under ``ts`` (not the parent), oldest first."""
        return self._workspace.thread(channel, ts)

    def message(self, channel: str, ts: str) -> Message | None:
        """Any message (top-level, reply or ephemeral) by channel and ts."""
        return self._workspace.message(channel, ts)

    def ephemeral_messages(self, channel: str | None = None, user: str | None = None) -> list[Message]:
        return self._workspace.ephemeral_messages(channel, user)

    def all_messages(self) -> list[Message]:
        """Every visible message, ephemeral ones included, in posting order."""
        return self._workspace.all_messages()

    def views(self) -> list[JsonDict]:
        """Modal views opened or updated, current state, in opening order."""
        return self._views.all()

    def home_view(self, user_id: str) -> JsonDict | None:
        """The Home tab view ``user_id`` sees now (None before the bot published one to them)."""
        return self._homes.current(user_id)

    def home_publishes(self, user_id: str | None = None) -> list[Published]:
        """Every views.publish Slack took (to ``user_id`` only, if given), oldest first."""
        return self._homes.published(user_id)

    def app_home_opened_event(self, user_id: str, *, tab: str = "home") -> JsonDict:
        """What Slack sends the app when ``user_id`` opens its Home (``tab``: ``home`` or
        ``messages``): the Events API's ``event_callback`` envelope around ``app_home_opened``,
        with the tab's current view once one was published. Deliver it with a ``Delivery``."""
        return self._homes.opened_event(user_id, tab=tab)

    def post_mark(self) -> int:
        """A bookmark for ``posts_since``."""
        return self._workspace.post_mark()

    def posts_since(self, mark: int = 0) -> list[Post]:
        """What Slack displayed since ``mark``, in order."""
        return self._workspace.posts_since(mark)

    # ------------------------------------------------------------------ the Web API

    @property
    def calls(self) -> list[ApiCall]:
        """Every Web API call, in order."""
        return self._api.calls

    def calls_to(self, method: str) -> list[ApiCall]:
        return self._api.calls_to(method)

    def inject_rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429 and ``Retry-After``."""
        self._api.inject_rate_limit(method, retry_after, times)

    def received(self) -> list[Received]:
        """Every message and view the bot asked Slack to show, in order, refused ones included:
        Web API posts, updates and views, response_url bodies and slash command acks."""
        return self._workspace.received_since(0)

    def inject_response_url_error(self, error: str, times: int = 1) -> None:
        """Answer the next ``times`` posts to any response_url with Slack's ``error`` (HTTP 400,
        or 404 for ``expired_url``/``used_url``/``no_service``) whatever they carry."""
        self._hooks.inject_error(error, times)

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
        return self._hooks.new(channel=channel, user=user, original=original)

    def show_command_ack(self, response_url: str, body: JsonDict) -> Message | None:
        """Display a slash command's ack body as Slack does (ephemeral unless in_channel).

        HTTP acks never pass through the emulator, so the Slack side (``Conversation``) reports
        them here; the message can then be clicked and replaced like any response. Raises
        ValueError with Slack's error code when the content would be refused.
        """
        return self._hooks.show_command_ack(response_url, body)

    def responses(self, response_url: str) -> list[JsonDict]:
        """JSON bodies accepted at that response_url, in order."""
        return self._hooks.responses(response_url)

    def new_trigger_id(self) -> str:
        """A trigger id as Slack puts in interactions; views.open accepts it once, for 3 s."""
        return self._views.new_trigger_id()

    # ------------------------------------------------------------------ socket mode

    @property
    def socket_messages(self) -> list[JsonDict]:
        """Everything the bot sent over the socket."""
        return self._socket.messages

    @property
    def socket_closes(self) -> list[tuple[int | None, str | None]]:
        """(code, reason) per closed socket."""
        return self._socket.closes

    def socket_connected(self, timeout: float = 5.0) -> bool:
        """Wait until a bot holds an open Socket Mode connection."""
        return self._socket.connected(timeout)

    def socket_disconnected(self, timeout: float = 5.0) -> bool:
        """Wait until no Socket Mode connection is open."""
        return self._socket.disconnected(timeout)

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
        return self._socket.send_envelope(
            type, payload, accepts_response_payload=accepts_response_payload, timeout=timeout
        )

    # ------------------------------------------------------------------ waiting

    def wait_for(self, predicate: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Poll ``predicate`` until it returns something truthy; return that.

        Raises TimeoutError with a dump of recent calls and posts, to show what happened instead.
        The wait is in real time (``clock`` need not move).
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
        with self._workspace.lock:
            lines = self._api.describe_calls(last) + self._workspace.describe_posts(last)
        return "\n".join([*lines, self._socket.describe()])
