"""The Slack side of a conversation: a person's commands and clicks, delivered to the bot.

Slack delivers slash commands and interactions to the bot either over HTTP (form-encoded, signed
with the signing secret) or as Socket Mode envelopes, and Events API callbacks (a person opening
the app's Home tab) as signed JSON or ``events_api`` envelopes. ``HttpDelivery`` and
``SocketDelivery`` do exactly that, so the bot under test runs its real request path, signature
checks included; ``Conversation`` wraps a delivery and a
:class:`~slackbot.sandbox.slack_payloads.SlackUser` (who builds the payloads) errbot-style,
collecting what the bot shows as a ``Reply``::

    bot = Conversation(emulator, HttpDelivery(url, secret), SlackUser(emulator))
    assert "release/0.2.105" in bot.ask("/versions prod jupyter_hub").text
    home = bot.open_home()                      # the Home tab the bot published, as read
    modal = bot.choose_in_home("home_versions", "prod jupyter_hub")
"""

from __future__ import annotations

import http.client
import json
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from slack_sdk.signature import SignatureVerifier

from slackbot.render.terminal import render_message
from slackbot.sandbox.slack_emulator import JsonDict, Message, SlackEmulator
from slackbot.sandbox.slack_emulator.model import Post
from slackbot.sandbox.slack_home import HomeTab, home_action_payload
from slackbot.sandbox.slack_payloads import SlackUser, find_element

# Slack gives the bot 3 seconds to acknowledge a command or an interaction.
ACK_DEADLINE = 3.0
# What Slack's requests carry as User-Agent.
_SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
# The kinds of delivery, as Socket Mode envelopes name them.
_COMMAND = "slash_commands"
_INTERACTION = "interactive"
_EVENT = "events_api"
# What a Home tab's click ends with: the tab published again, a modal's answer, or a message.
HOME_ANSWERS = ("views.publish", "views.update", "chat.postEphemeral")


@dataclass
class DeliveryResult:
    """The bot's acknowledgement: the HTTP response, or the Socket Mode ack's payload."""

    status: int  # 504 when a Socket Mode bot never acked
    body: str
    json: JsonDict | None
    elapsed: float

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def acked_in_time(self) -> bool:
        """Acked with 200 within Slack's 3-second deadline."""
        return self.ok and self.elapsed <= ACK_DEADLINE


class Delivery(ABC):
    """How Slack hands the bot what a person did: a slash command's form fields or an interaction.

    ``timestamp``, ``signature`` and ``retry_num`` stand for what Slack puts in the request's
    headers (request time, signature, retry count); a delivery without headers ignores them.
    """

    def send_command(
        self,
        payload: dict[str, str],
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        retry_num: int | None = None,
    ) -> DeliveryResult:
        return self._deliver(_COMMAND, dict(payload), _Headers(timestamp, signature, retry_num))

    def send_interaction(
        self,
        payload: JsonDict,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        retry_num: int | None = None,
    ) -> DeliveryResult:
        return self._deliver(_INTERACTION, payload, _Headers(timestamp, signature, retry_num))

    def send_event(
        self,
        envelope: JsonDict,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        retry_num: int | None = None,
    ) -> DeliveryResult:
        """An Events API callback (``type: event_callback``), as Slack sends it to the app."""
        return self._deliver(_EVENT, envelope, _Headers(timestamp, signature, retry_num))

    @abstractmethod
    def _deliver(self, kind: str, payload: JsonDict, overrides: _Headers) -> DeliveryResult:
        """Deliver ``payload`` of ``kind`` (``slash_commands``, ``interactive`` or ``events_api``)."""


@dataclass(frozen=True)
class _Headers:
    """Overrides of what Slack's HTTP request headers would carry (None: as Slack would)."""

    timestamp: int | None
    signature: str | None
    retry_num: int | None


class HttpDelivery(Delivery):
    """Delivers to a Bolt app served over HTTP at ``POST {bot_url}/slack/events``, signed.

    ``timestamp`` overrides the request time (and is signed, so a stale request is well signed);
    ``signature`` overrides the signature, and ``""`` leaves the header out.
    """

    def __init__(self, bot_url: str, signing_secret: str, *, timeout: float = 10.0) -> None:
        parts = urlsplit(bot_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"expected an http:// URL, got {bot_url!r}")
        self._host = parts.hostname
        self._port = parts.port or 80
        self._path = parts.path.rstrip("/") + "/slack/events"
        self._verifier = SignatureVerifier(signing_secret)
        self._timeout = timeout

    def _deliver(self, kind: str, payload: JsonDict, overrides: _Headers) -> DeliveryResult:
        # Slash commands come form-encoded; interactions as one form field holding JSON; Events
        # API callbacks as a JSON body.
        if kind == _EVENT:
            return self._post(json.dumps(payload), overrides, content_type="application/json")
        body = urlencode(payload) if kind == _COMMAND else urlencode({"payload": json.dumps(payload)})
        return self._post(body, overrides)

    def _post(
        self, body: str, overrides: _Headers, *, content_type: str = "application/x-www-form-urlencoded"
    ) -> DeliveryResult:
        timestamp, signature = overrides.timestamp, overrides.signature
        sent_at = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "User-Agent": _SLACK_USER_AGENT,
            "X-Slack-Request-Timestamp": sent_at,
        }
        if signature is None:
            signature = self._verifier.generate_signature(timestamp=sent_at, body=body)
        if signature:
            headers["X-Slack-Signature"] = signature
        if overrides.retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(overrides.retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        started = time.monotonic()
        connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        try:
            connection.request("POST", self._path, body=body.encode("utf-8"), headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            status = response.status
        finally:
            connection.close()
        return DeliveryResult(status, text, _json_or_none(text), time.monotonic() - started)


class SocketDelivery(Delivery):
    """Delivers as Socket Mode envelopes through the emulator's websocket.

    Signatures do not exist in Socket Mode (the socket is authenticated by the app token), so
    ``timestamp``/``signature``/``retry_num`` are accepted for interface parity and ignored.
    """

    def __init__(self, emulator: SlackEmulator, *, timeout: float = 5.0) -> None:
        self.emulator = emulator
        self._timeout = timeout

    def _deliver(self, kind: str, payload: JsonDict, overrides: _Headers) -> DeliveryResult:
        # Slack lets the ack carry a response only where one is meaningful.
        accepts = kind == _COMMAND or payload.get("type") in ("view_submission", "block_suggestion")
        started = time.monotonic()
        try:
            ack = self.emulator.send_envelope(
                kind, payload, accepts_response_payload=accepts, timeout=self._timeout
            )
        except TimeoutError:
            return DeliveryResult(504, "", None, time.monotonic() - started)
        body = ack.get("payload")
        return DeliveryResult(
            200,
            json.dumps(body) if body is not None else "",
            body if isinstance(body, dict) else None,
            time.monotonic() - started,
        )


def _json_or_none(text: str) -> JsonDict | None:
    if not text.startswith("{"):
        return None
    try:
        decoded = json.loads(text)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None


def _response_action_post(body: JsonDict) -> JsonDict:
    """A view_submission ack's ``response_action`` as the modal would show it."""
    action = str(body.get("response_action"))
    view = body.get("view")
    view = view if isinstance(view, dict) else {}
    errors = body.get("errors")
    errors = errors if isinstance(errors, dict) else {}
    text = "\n".join(f"⚠ {block_id}: {message}" for block_id, message in errors.items())
    return {
        "kind": "ack",
        "text": text or action,
        "blocks": [] if errors else view.get("blocks") or [],
        "response_type": None,
        "channel": None,
        "thread_ts": None,
        "response_action": action,
    }


@dataclass
class Reply:
    """What the bot showed in answer to one command or click."""

    ack: DeliveryResult
    posts: list[JsonDict]  # text/blocks/response_type/channel/thread_ts/kind, in order
    timed_out: bool = False

    @property
    def text(self) -> str:
        """Everything displayed, rendered to plain text (deleted messages left out)."""
        shown = [p for p in self.posts if p.get("kind") != "chat.delete" and not p.get("delete_original")]
        return "\n\n".join(render_message(p.get("text"), p.get("blocks")) for p in shown)

    def __str__(self) -> str:
        return self.text


class Conversation:
    """A person talking to the bot through the emulator: ``ask`` a command, ``click`` a button."""

    def __init__(self, emulator: SlackEmulator, delivery: Delivery, user: SlackUser) -> None:
        self.emulator = emulator
        self.delivery = delivery
        self.user = user

    def ask(self, command_line: str, *, timeout: float = 5.0, settle: float = 0.3) -> Reply:
        """Send a slash command; collect the ack and everything the bot displays while answering.

        Returns once the bot has been quiet for ``settle`` seconds after its first answer, or
        after ``timeout`` (then ``Reply.timed_out`` is set).
        """
        payload = self.user.slash_command_payload(command_line)
        mark = self.emulator.post_mark()
        ack = self.delivery.send_command(payload)
        return self._collect(mark, ack, payload["response_url"], timeout, settle, show_ack=True)

    def click(
        self,
        action_id: str,
        value: str,
        message: Message | None = None,
        *,
        timeout: float = 5.0,
        settle: float = 0.3,
        block_id: str | None = None,
    ) -> Reply:
        """Click the element ``action_id`` (choosing ``value``) on ``message``, by default the
        latest message this user can see that has such an element."""
        if message is None:
            message = self.find_message_with(action_id)
        payload = self.user.block_action_payload(action_id, value, message=message, block_id=block_id)
        mark = self.emulator.post_mark()
        ack = self.delivery.send_interaction(payload)
        return self._collect(mark, ack, str(payload["response_url"]), timeout, settle)

    def forge_click(self, action_id: str, value: str, *, timeout: float = 5.0, settle: float = 0.3) -> Reply:
        """A signed ``block_actions`` request for a button the bot never drew, from this user's
        channel, with any ``value``: what a crafted request (or a stale client) sends."""
        payload = self.user.block_action_payload(action_id, value)
        mark = self.emulator.post_mark()
        ack = self.delivery.send_interaction(payload)
        return self._collect(mark, ack, str(payload["response_url"]), timeout, settle)

    def submit(
        self,
        callback_id: str,
        values: dict[str, dict[str, Any]],
        private_metadata: str = "",
        *,
        timeout: float = 5.0,
        settle: float = 0.3,
    ) -> Reply:
        """Submit the modal with ``callback_id``; the ack may carry ``response_action``."""
        payload = self.user.view_submission_payload(callback_id, values, private_metadata)
        mark = self.emulator.post_mark()
        ack = self.delivery.send_interaction(payload)
        return self._collect(mark, ack, None, timeout, settle)

    def open_home(self, *, tab: str = "home", timeout: float = 10.0) -> HomeTab:
        """Open the app's Home tab (``tab``: ``home``, or ``messages``): Slack sends the bot an
        ``app_home_opened`` event; returns the view the bot published for this person, once it
        has (a ``messages`` tab, which the bot leaves alone, returns after ``timeout``)."""
        user_id = self.user.user_id
        before = len(self.emulator.home_publishes(user_id))
        received = self._publishes_received()
        ack = self.delivery.send_event(self.emulator.app_home_opened_event(user_id, tab=tab))
        deadline = time.monotonic() + timeout
        while ack.ok and time.monotonic() < deadline:
            published = self.emulator.home_publishes(user_id)
            # Returned once the Web API has also logged the call (``received``, ``calls``).
            if len(published) > before and self._publishes_received() > received:
                return HomeTab(published[-1].view, ack.status)
            time.sleep(0.02)
        return HomeTab(self.emulator.home_view(user_id), ack.status, timed_out=ack.ok)

    def choose_in_home(
        self, action_id: str, value: str, *, timeout: float = 10.0, settle: float = 0.3
    ) -> Reply:
        """Press the button or choose the option ``value`` of ``action_id`` on this person's Home
        tab (as last published); collect what the bot shows until it answers: the tab published
        again, a modal's answer (views.update), or a message to them."""
        view = self.emulator.home_view(self.user.user_id)
        if view is None:
            raise LookupError("nothing was published to this person's Home tab yet: open_home() first")
        payload = home_action_payload(self.user, view, action_id, value)
        mark = self.emulator.post_mark()
        ack = self.delivery.send_interaction(payload)
        if not ack.ok:
            return Reply(ack, [])
        posts: list[JsonDict] = []
        deadline, answered_at, seen = time.monotonic() + timeout, None, mark
        while True:
            arrived = self.emulator.posts_since(seen)
            seen += len(arrived)
            # Other conversations' answers and other people's Home tabs are not ours.
            fresh = [p for p in arrived if p.kind not in ("ack", "response_url") and self._mine(p)]
            posts.extend(p.as_dict() for p in fresh)
            if answered_at is None and any(self._answers_in_home(p) for p in fresh):
                answered_at = time.monotonic()
            now = time.monotonic()
            if answered_at is not None and now - answered_at >= settle:
                return Reply(ack, posts)
            if now >= deadline:
                return Reply(ack, posts, timed_out=answered_at is None)
            time.sleep(0.02)

    def _publishes_received(self) -> int:
        return sum(r.via == "views.publish" for r in self.emulator.received())

    def _mine(self, post: Post) -> bool:
        return post.kind != "views.publish" or post.user == self.user.user_id

    def _answers_in_home(self, post: Post) -> bool:
        if post.kind == "views.update":
            return True
        return post.kind in HOME_ANSWERS and post.user == self.user.user_id

    def find_message_with(self, action_id: str) -> Message:
        """The latest message visible to this user with an element ``action_id``."""
        for message in reversed(self.emulator.all_messages()):
            visible = message.ephemeral_to in (None, self.user.user_id)
            if visible and find_element(message.blocks, action_id)[1] is not None:
                return message
        raise LookupError(f"no visible message has an element with action_id={action_id!r}")

    def _collect(
        self,
        mark: int,
        ack: DeliveryResult,
        response_url: str | None,
        timeout: float,
        settle: float,
        *,
        show_ack: bool = False,
    ) -> Reply:
        posts: list[JsonDict] = []
        answered_at: float | None = None
        # A slash command is answered when its response_url (or the ack, or a modal) shows
        # something; until then other posts (thread updates) do not end the wait.
        finished = not show_ack
        if (
            show_ack
            and response_url
            and ack.ok
            and ack.json
            and (ack.json.get("text") or ack.json.get("blocks"))
        ):
            posts.append(self._ack_post(ack.json, response_url))
            answered_at = time.monotonic()
            finished = True
        elif ack.ok and ack.json and ack.json.get("response_action"):
            posts.append(_response_action_post(ack.json))  # the modal shows errors or a new view
            answered_at = time.monotonic()
        if not ack.ok:
            return Reply(ack, posts)  # Slack shows an error; the bot will not answer
        deadline = time.monotonic() + timeout
        seen = mark
        while True:
            fresh = self.emulator.posts_since(seen)
            seen += len(fresh)
            # Other conversations' response_urls are not ours; Web API posts all count.
            mine = [
                p
                for p in fresh
                if p.kind not in ("ack", "response_url")
                or (p.kind == "response_url" and p.response_url == response_url)
            ]
            if mine:
                posts.extend(p.as_dict() for p in mine)
                answered_at = time.monotonic()
                finished = finished or any(self._answers(p) for p in mine)
            now = time.monotonic()
            if finished and answered_at is not None and now - answered_at >= settle:
                return Reply(ack, posts)
            if now >= deadline:
                return Reply(ack, posts, timed_out=True)
            time.sleep(0.02)

    def _answers(self, post: Post) -> bool:
        """Whether a post answers this person: their response_url, a modal, or an ephemeral
        message to them (the bot's way round a response_url that refused)."""
        if post.kind in ("response_url", "views.open"):
            return True
        return post.kind == "chat.postEphemeral" and post.user == self.user.user_id

    def _ack_post(self, body: JsonDict, response_url: str) -> JsonDict:
        """The ack as displayed; Slack shows a failure instead of content it refuses."""
        response_type = "in_channel" if body.get("response_type") == "in_channel" else "ephemeral"
        post: JsonDict = {
            "kind": "ack",
            "text": body.get("text", ""),
            "blocks": body.get("blocks") or [],
            "response_type": response_type,
            "channel": self.user.channel_id,
            "thread_ts": None,
            "user": self.user.user_id if response_type == "ephemeral" else None,
            "response_url": response_url,
        }
        try:
            message = self.emulator.show_command_ack(response_url, body)
        except ValueError as refused:
            post.update(text=f"(Slack refused the bot's reply: {refused})", blocks=[])
        else:
            post["ts"] = message.ts if message else None
        return post
