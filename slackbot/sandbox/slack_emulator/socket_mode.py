"""Socket Mode: apps.connections.open and the websocket it hands out.

apps.connections.open (app-level token) answers a ``wss``-style URL with a single-use ticket; the
websocket refuses any other ticket with HTTP 401, greets with Slack's ``hello``, and carries
envelopes to the bot (``send_envelope`` waits for the bot's ack) and everything the bot sends
back (``messages``). Frequent pings keep slack_sdk's client responsive (see ``start``).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from slackbot.sandbox.slack_emulator.model import Handler, JsonDict

logger = logging.getLogger(__name__)


@dataclass
class _PendingAck:
    event: threading.Event = field(default_factory=threading.Event)
    ack: JsonDict | None = None


class SocketMode:
    """The Socket Mode server: its tickets, its open connections and what passed over them."""

    def __init__(self, *, app_id: str, describe: Callable[[], str]) -> None:
        self._app_id = app_id
        self._describe = describe  # the emulator's dump, for a bot that never acks
        self._changed = threading.Condition(threading.RLock())
        self._host = ""
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._tickets: set[str] = set()
        self._sockets: list[ServerConnection] = []
        self._pending: dict[str, _PendingAck] = {}
        self.messages: list[JsonDict] = []  # everything the bot sent over the socket
        self.closes: list[tuple[int | None, str | None]] = []  # (code, reason) per closed socket

    def methods(self) -> dict[str, Handler]:
        return {"apps.connections.open": self.open_connection}

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("SlackEmulator is not started")
        return f"ws://{self._host}:{self._server.socket.getsockname()[1]}/link/"

    def start(self, host: str, ping_interval: float | None) -> None:
        # Frequent pings wake slack_sdk's builtin client, which holds its receive lock during a
        # blocking recv (3 s timeout): without them its close() takes ~3 s longer.
        self._host = host
        self._server = serve(
            self._handle,
            host,
            0,
            process_request=self._process_request,
            compression=None,
            ping_interval=ping_interval,
            close_timeout=1,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="slack-emulator-socket", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None

    def open_connection(self, args: JsonDict) -> JsonDict:
        """apps.connections.open: a URL with a fresh single-use ticket."""
        ticket = uuid.uuid4().hex
        with self._changed:
            self._tickets.add(ticket)
        return {"ok": True, "url": f"{self.url}?ticket={ticket}&app_id={self._app_id}"}

    def connected(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: bool(self._sockets), timeout)

    def disconnected(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: not self._sockets, timeout)

    def describe(self) -> str:
        with self._changed:
            return f"sockets open: {len(self._sockets)}; closed: {self.closes}"

    def send_envelope(
        self, type: str, payload: JsonDict, *, accepts_response_payload: bool, timeout: float
    ) -> JsonDict:
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        pending = _PendingAck()
        with self._changed:
            if not self._sockets:
                raise RuntimeError("no bot is connected over Socket Mode")
            connection = self._sockets[-1]  # like Slack, any one connection gets each envelope
            self._pending[envelope_id] = pending
        try:
            connection.send(json.dumps(envelope))
            if not pending.event.wait(timeout):
                raise TimeoutError(
                    f"bot did not ack envelope {type} within {timeout:.1f}s\n{self._describe()}"
                )
        finally:
            with self._changed:
                self._pending.pop(envelope_id, None)
        assert pending.ack is not None
        return pending.ack

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        ticket = parse_qs(urlsplit(request.path).query).get("ticket", [""])[0]
        with self._changed:
            if ticket in self._tickets:
                self._tickets.discard(ticket)  # single use, like Slack's
                return None
        return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")

    def _handle(self, connection: ServerConnection) -> None:
        with self._changed:
            self._sockets.append(connection)
            count = len(self._sockets)
            self._changed.notify_all()
        hello = {
            "type": "hello",
            "num_connections": count,
            "debug_info": {
                "host": "applink-sandbox",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self._app_id},
        }
        try:
            connection.send(json.dumps(hello))
            for raw in connection:
                self._on_message(raw)
        except ConnectionClosed:
            pass  # slack_sdk's builtin client closes the TCP socket without a close frame
        finally:
            with self._changed:
                self._sockets.remove(connection)
                self.closes.append((connection.close_code, connection.close_reason))
                self._changed.notify_all()

    def _on_message(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            logger.warning("bot sent a non-JSON socket message")
            return
        if not isinstance(message, dict):
            return
        with self._changed:
            self.messages.append(message)
            pending = self._pending.get(str(message.get("envelope_id")))
        if pending is not None:
            pending.ack = message
            pending.event.set()
