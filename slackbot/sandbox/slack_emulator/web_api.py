"""The Web API's front door: one ``/api/<method>`` request in, Slack's JSON answer out.

``WebApi`` parses the arguments as Slack accepts them (query string, form or JSON body, with
``blocks``/``attachments``/``view``/``metadata`` JSON-encoded inside forms), finds the method
(``unknown_method``), checks the token (``auth.Auth``), answers an injected rate limit with HTTP
429 and ``Retry-After``, runs the method's ``Handler`` and logs every call as an ``ApiCall``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import parse_qs

from slackbot.sandbox.slack_emulator.auth import Auth
from slackbot.sandbox.slack_emulator.model import ApiCall, Handler, HttpReply, JsonDict, SlackApiFailure
from slackbot.sandbox.slack_emulator.state import Workspace

# The methods that show content (messages and views), whose content ``received`` keeps.
_SHOWING = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "views.open",
        "views.update",
        "views.push",
        "views.publish",
    }
)
# Arguments that WebClient sends JSON-encoded inside form bodies.
_JSON_ARGS = ("blocks", "attachments", "view", "metadata")


class WebApi:
    """The Web API methods by name, the calls made to them, and the rate limits still to answer."""

    def __init__(self, workspace: Workspace, auth: Auth, methods: Mapping[str, Handler]) -> None:
        self._workspace = workspace
        self._auth = auth
        self._methods = dict(methods)
        self.calls: list[ApiCall] = []
        self._rate_limits: dict[str, list[int]] = {}

    def handle(self, method: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        """Answer one call; ``headers`` have lower-case names."""
        args, parse_error = _parse_args(query, headers.get("content-type", ""), body)
        token = _bearer(headers.get("authorization")) or args.pop("token", None)
        status, extra_headers = 200, {}
        try:
            response = self._call(method, args, token, parse_error)
        except SlackApiFailure as failure:
            response = {"ok": False, "error": failure.code, **failure.extra}
            status, extra_headers = failure.status, failure.headers
        ws = self._workspace
        with ws.lock:
            self.calls.append(ApiCall(method, args, token, ws.clock(), status, response))
            if method in _SHOWING and token == self._auth.bot_token:
                content = {"view": args.get("view")} if method.startswith("views.") else dict(args)
                ws.record_received(
                    method, content, None if response.get("ok") else str(response.get("error"))
                )
        return HttpReply(status, response, extra_headers)

    def _call(self, method: str, args: JsonDict, token: str | None, parse_error: str | None) -> JsonDict:
        handler = self._methods.get(method)
        if handler is None:
            raise SlackApiFailure("unknown_method", req_method=method)
        self._auth.authenticate(method, token)
        if parse_error:
            raise SlackApiFailure(parse_error)
        retry_after = self._take_rate_limit(method)
        if retry_after is not None:
            raise SlackApiFailure("ratelimited", status=429, headers={"Retry-After": str(retry_after)})
        return handler(args)

    def inject_rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        with self._workspace.lock:
            self._rate_limits.setdefault(method, []).extend([retry_after] * times)

    def _take_rate_limit(self, method: str) -> int | None:
        with self._workspace.lock:
            queue = self._rate_limits.get(method)
            return queue.pop(0) if queue else None

    def calls_to(self, method: str) -> list[ApiCall]:
        with self._workspace.lock:
            return [c for c in self.calls if c.method == method]

    def describe_calls(self, last: int) -> list[str]:
        """Lines summing up the last calls, for a dump (never tokens)."""
        with self._workspace.lock:
            lines = [f"last {min(last, len(self.calls))} of {len(self.calls)} Web API calls:"]
            for call in self.calls[-last:]:
                outcome = "ok" if call.ok else f"error={call.error}"
                lines.append(f"  {call.method} [{call.status} {outcome}] {_short(call.args)}")
            return lines


def _bearer(value: str | None) -> str | None:
    if value and value.lower().startswith("bearer "):
        return value[len("bearer ") :].strip() or None
    return None


def _parse_args(query: str, content_type: str, body: bytes) -> tuple[JsonDict, str | None]:
    """Arguments from the query string and a form or JSON body, as Slack accepts them, and the
    error Slack answers for a body it cannot read (None when it can)."""
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
