"""The emulator's HTTP server on loopback, and the routing of its requests.

``SlackHttpServer`` is the sandbox's shared ``LoopbackServer`` serving two kinds of request:
``/api/<method>`` goes to the Web API, ``POST /response/<key>`` to the response_url hooks;
anything else answers 404 ``not_found``. Every answer is JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from slackbot.sandbox.loopback import LoopbackHandler, LoopbackHTTPServer, LoopbackServer
from slackbot.sandbox.slack_emulator.model import HttpReply

logger = logging.getLogger(__name__)

# (method name, query string, headers with lower-case names, body) -> the Web API's answer
ApiEndpoint = Callable[[str, str, Mapping[str, str], bytes], HttpReply]
# (the response_url's key, body) -> the hook's answer
HookEndpoint = Callable[[str, bytes], HttpReply]


class SlackHttpServer(LoopbackServer):
    """Slack's HTTP side: the Web API and the response_url hooks, on one port."""

    def __init__(self, host: str, port: int, *, api: ApiEndpoint, hooks: HookEndpoint) -> None:
        self._api = api
        self._hooks = hooks
        super().__init__(host, port, _Handler, thread_name="slack-emulator-http", poll_interval=0.02)

    def _announce(self) -> None:
        logger.info("Slack emulator at %s", self.base_url)

    def handle_http(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        """Route one HTTP request (used by the server; callable directly for unit tests)."""
        lowered = {name.lower(): value for name, value in headers.items()}
        parts = urlsplit(path)
        if parts.path.startswith("/api/"):
            reply = self._api(parts.path[len("/api/") :], parts.query, lowered, body)
        elif parts.path.startswith("/response/") and method == "POST":
            reply = self._hooks(parts.path[len("/response/") :], body)
        else:
            reply = HttpReply(404, {"ok": False, "error": "not_found"}, {})
        logger.debug("slack emulator: %s %s -> %d", method, parts.path, reply.status)
        return reply


class _Handler(LoopbackHandler):
    server: LoopbackHTTPServer[SlackHttpServer]
    server_version = "SlackEmulator/1.0"

    def _serve(self) -> None:
        headers, body = self.read_request()
        reply = self.server.owner.handle_http(self.command, self.path, headers, body)
        payload = json.dumps(reply.body).encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _serve  # noqa: N815
