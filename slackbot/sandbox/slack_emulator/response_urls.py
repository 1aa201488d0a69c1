"""response_url hooks: the URLs standing in for hooks.slack.com's, and what posting to them shows.

A response_url takes at most 5 posts (``RESPONSE_URL_MAX_POSTS``) and lives 30 minutes
(``response_url_ttl``); afterwards it answers HTTP 404 with ``used_url`` / ``expired_url``, an
unknown one ``no_service``. Content Slack would refuse answers HTTP 400 (``invalid_blocks``,
``msg_too_long``, ``msg_blocks_too_long``, ...); ``inject_error`` makes the next posts fail so.
Every body posted is kept (``Workspace.record_received``), refused or not.
Bodies are JSON ``{"ok": ...}``; Slack documents the 5-in-30-minutes rule but not these error
names: they are our best knowledge. A post is ephemeral unless ``in_channel``;
``replace_original``/``delete_original`` act on the message the interaction came from (or, for a
command, on the last message that URL showed). A slash command's ack body is shown the same way.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slackbot.sandbox.slack_emulator.blockkit import check_message
from slackbot.sandbox.slack_emulator.model import (
    HttpReply,
    JsonDict,
    Message,
    blocks_of,
    truthy,
)
from slackbot.sandbox.slack_emulator.state import Workspace

RESPONSE_URL_MAX_POSTS = 5
RESPONSE_URL_TTL = 30 * 60.0
_URL_ERRORS = frozenset({"no_service", "expired_url", "used_url"})  # answered with HTTP 404


@dataclass
class _ResponseUrl:
    created: float
    channel: str | None
    user: str | None
    original: tuple[str, str] | None  # (channel, ts) of the message an interaction came from
    bodies: list[JsonDict] = field(default_factory=list)
    last_message: tuple[str, str] | None = None  # what replace_original replaces for commands


def _failed(status: int, error: str) -> HttpReply:
    return HttpReply(status, {"ok": False, "error": error}, {})


def _response_type(body: JsonDict) -> str:
    return "in_channel" if body.get("response_type") == "in_channel" else "ephemeral"


class ResponseUrls:
    """The response_urls handed out, each with the bodies it accepted."""

    def __init__(self, workspace: Workspace, *, base_url: Callable[[], str]) -> None:
        self._workspace = workspace
        self._base_url = base_url  # the HTTP server's, which serves /response/<key>
        self.ttl = RESPONSE_URL_TTL
        self._entries: dict[str, _ResponseUrl] = {}
        self._injected: list[str] = []  # errors the next posts answer, whatever they carry

    def inject_error(self, error: str, times: int = 1) -> None:
        """Answer the next ``times`` posts to any response_url with ``error`` (HTTP 404 for the
        URL's own errors, 400 for content errors), as Slack would when it refuses them."""
        with self._workspace.lock:
            self._injected.extend([error] * times)

    def new(self, *, channel: str | None, user: str | None, original: tuple[str, str] | None) -> str:
        key = uuid.uuid4().hex
        ws = self._workspace
        with ws.lock:
            self._entries[key] = _ResponseUrl(ws.clock(), channel, user, original)
        return self._url(key)

    def _url(self, key: str) -> str:
        return f"{self._base_url()}/response/{key}"

    def _entry(self, response_url: str) -> _ResponseUrl | None:
        return self._entries.get(response_url.rstrip("/").rsplit("/", 1)[-1])

    def responses(self, response_url: str) -> list[JsonDict]:
        with self._workspace.lock:
            entry = self._entry(response_url)
            return [dict(b) for b in entry.bodies] if entry else []

    def show_command_ack(self, response_url: str, body: JsonDict) -> Message | None:
        text, blocks = str(body.get("text") or ""), body.get("blocks")
        error = check_message(text, blocks, body.get("attachments"))
        self._workspace.record_received("ack", dict(body), error.code if error else None)
        if error:
            raise ValueError(error.code)
        response_type = _response_type(body)
        ws = self._workspace
        with ws.lock:
            entry = self._entry(response_url)
            if entry is None:
                return None
            ts = self._store_message(entry, text, blocks_of(blocks), response_type, None)
            self._record("ack", entry, response_url, response_type, text=text, blocks=blocks, ts=ts)
            return ws.find(entry.channel, ts, include_ephemeral=True) if entry.channel and ts else None

    def post(self, key: str, body: bytes) -> HttpReply:
        """Answer a POST to ``/response/<key>``."""
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return _failed(400, "invalid_payload")
        with self._workspace.lock:
            reply = self._answer(key, data)
            refused = reply.body.get("error") if reply.status != 200 else None
            self._workspace.record_received("response_url", dict(data), refused)
            return reply

    def _answer(self, key: str, data: JsonDict) -> HttpReply:
        ws = self._workspace
        entry = self._entries.get(key)
        if entry is None:
            return _failed(404, "no_service")
        if ws.clock() - entry.created > self.ttl:
            return _failed(404, "expired_url")
        if len(entry.bodies) >= RESPONSE_URL_MAX_POSTS:
            return _failed(404, "used_url")
        if self._injected:
            injected = self._injected.pop(0)
            return _failed(404 if injected in _URL_ERRORS else 400, injected)
        error = self._apply(self._url(key), entry, data)
        if error:
            return _failed(400, error)
        entry.bodies.append(data)
        return HttpReply(200, {"ok": True}, {})

    def _apply(self, url: str, entry: _ResponseUrl, data: JsonDict) -> str | None:
        """Show a response_url body in the workspace; an error code when Slack would refuse it."""
        ws = self._workspace
        replace, delete = truthy(data.get("replace_original")), truthy(data.get("delete_original"))
        target = entry.original or entry.last_message
        if delete:
            if target is not None and (message := ws.find(*target, include_ephemeral=True)):
                message.deleted = True
            ws.record_post("response_url", channel=entry.channel, delete_original=True, response_url=url)
            return None
        text = str(data.get("text") or "")
        blocks = data.get("blocks")
        if isinstance(blocks, str):  # WebhookClient sends lists, but a JSON string is accepted too
            try:
                blocks = json.loads(blocks)
            except ValueError:
                return "invalid_blocks_format"
        refusal = check_message(text, blocks, data.get("attachments"))
        if refusal:
            return refusal.code
        response_type = _response_type(data)
        existing = ws.find(*target, include_ephemeral=True) if replace and target else None
        if existing is not None:
            ws.edit(existing, text=text, blocks=blocks_of(blocks))
            ts: str | None = existing.ts
        else:
            ts = self._store_message(entry, text, blocks_of(blocks), response_type, data.get("thread_ts"))
        self._record(
            "response_url",
            entry,
            url,
            response_type,
            text=text,
            blocks=blocks,
            ts=ts,
            thread_ts=data.get("thread_ts"),
            replace_original=replace,
        )
        return None

    def _record(self, kind: str, entry: _ResponseUrl, url: str, response_type: str, **fields: Any) -> None:
        """Log the post showing a body sent to ``url`` (``fields`` are ``Post``'s)."""
        self._workspace.record_post(
            kind,
            channel=entry.channel,
            response_type=response_type,
            user=entry.user if response_type == "ephemeral" else None,
            response_url=url,
            **fields,
        )

    def _store_message(
        self, entry: _ResponseUrl, text: str, blocks: list[JsonDict], response_type: str, thread_ts: Any
    ) -> str | None:
        if entry.channel is None:
            return None
        ws = self._workspace
        message = Message(
            ws.next_ts(),
            entry.channel,
            text,
            blocks,
            ws.bot_user_id,
            str(thread_ts) if thread_ts else None,
            ephemeral_to=entry.user if response_type == "ephemeral" else None,
            source="response_url",
        )
        ws.store(message)
        entry.last_message = (entry.channel, message.ts)
        return message.ts
