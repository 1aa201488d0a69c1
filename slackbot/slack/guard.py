"""What reaches Bolt over HTTP is shaped as Slack's requests always are, and is never a replay.

:func:`guarded` is WSGI middleware in front of Bolt's handler for ``POST /slack/events``. Slack
always sends: ``X-Slack-Request-Timestamp`` as whole seconds; a body of at most a few kilobytes,
UTF-8, form-encoded (``application/x-www-form-urlencoded``): either a slash command (``command``,
``user_id``, ``channel_id``) or one ``payload`` field holding a JSON object with a ``type`` and,
for the types the bot handles, the fields it reads — or, from the Events API (the Home tab's
``app_home_opened``), a JSON body (``application/json``): an ``event_callback`` with its
``event`` object, or the ``url_verification`` challenge.
Anything else is answered at once — 400 (413 for a body over :data:`MAX_BODY`, 415 for another
media type) with a short reason of our own words, never an echo of the input — and logged in one
line. Signatures are not the guard's business: what it lets through still meets Bolt's
verification, which stays the judge (401).

:func:`refusing_replays` is a Bolt middleware, so it runs only once Bolt has verified the
signature: a signature already seen is an exact copy of a request already handled (Slack's own
retries are new requests, with a new timestamp and so a new signature), and is refused with 409.

:func:`bound_unauthenticated_logs` keeps what Bolt logs about a badly signed request to a short
summary without its body.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import parse_qsl

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware.request_verification import RequestVerification

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

MAX_BODY = 1024 * 1024  # Slack's largest requests (a modal's state) are tens of kilobytes
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"  # the Events API's requests
_TIMESTAMP = re.compile(r"[0-9]{1,11}")  # ASCII digits only; 11 of them reach the year 5138
_MAX_FIELDS = 100

# What the bot reads, by kind: dotted paths and the JSON type each must have ("*": every item).
_SHAPES: dict[str, tuple[tuple[str, type], ...]] = {
    "command": (("command", str), ("user_id", str), ("channel_id", str)),
    "block_actions": (("user", dict), ("user.id", str), ("actions", list), ("actions.*", dict)),
    "view_submission": (
        ("user", dict),
        ("user.id", str),
        ("view", dict),
        ("view.state", dict),
        ("view.state.values", dict),
    ),
}
_ANY_INTERACTION = (("user", dict), ("user.id", str))  # every other interaction Slack sends
# The Events API's JSON bodies, by type: nothing else comes as JSON.
_EVENT_SHAPES: dict[str, tuple[tuple[str, type], ...]] = {
    "event_callback": (("team_id", str), ("event_id", str), ("event", dict), ("event.type", str)),
    "url_verification": (("challenge", str),),
}


class Refused(Exception):
    """A request Slack would never send: the status and the reason to answer with."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _bad(reason: str) -> Refused:
    return Refused("400 Bad Request", reason)


def guarded(slack: WsgiApp, *, path: str = "/slack/events") -> WsgiApp:
    """``slack`` behind the checks above, for POSTs to ``path`` (anything else passes through)."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != path or environ.get("REQUEST_METHOD") != "POST":
            return slack(environ, start_response)
        try:
            body = _read_body(environ)
            check(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"), environ.get("CONTENT_TYPE", ""), body)
        except Refused as refused:
            log.info("refused a request to %s: %s (%s)", path, refused.reason, refused.status[:3])
            answer = (refused.reason + "\n").encode()
            start_response(
                refused.status,
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(answer)))],
            )
            return [answer]
        environ["wsgi.input"] = io.BytesIO(body)  # Bolt reads the body again, from here
        environ["CONTENT_LENGTH"] = str(len(body))
        return slack(environ, start_response)

    return application


def _read_body(environ: dict[str, Any]) -> bytes:
    """The body, read only when its declared length is within :data:`MAX_BODY`."""
    declared = str(environ.get("CONTENT_LENGTH") or "0")
    if not declared.isdigit():
        raise _bad("Content-Length is not a number")
    if int(declared) > MAX_BODY:
        raise Refused("413 Content Too Large", f"the body is over {MAX_BODY} bytes")
    body = environ["wsgi.input"].read(int(declared))
    return bytes(body)


def check(timestamp: str | None, content_type: str, body: bytes) -> None:
    """Raise :class:`Refused` unless the request has the shape of one of Slack's."""
    if timestamp is not None and not _TIMESTAMP.fullmatch(timestamp):
        raise _bad("X-Slack-Request-Timestamp is not a Unix time in whole seconds")
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type == JSON:
        _check_event(body)
        return
    if media_type != FORM:
        raise Refused("415 Unsupported Media Type", f"Slack's requests are {FORM} (or {JSON} for events)")
    fields = _form_fields(body)
    if "payload" in fields:
        _check_shape(_payload(fields["payload"]), "payload")
    elif "command" in fields:
        _check_shape(fields, "command")
    elif "ssl_check" not in fields:  # Slack's certificate check: Bolt answers it
        raise _bad("neither a slash command nor an interaction payload")


def _check_event(body: bytes) -> None:
    """An Events API body: a JSON object of a type in :data:`_EVENT_SHAPES`, in its shape."""
    try:
        document = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise _bad("the body is not UTF-8") from None
    except (ValueError, RecursionError):
        raise _bad("the body is not JSON") from None
    if not isinstance(document, dict) or document.get("type") not in _EVENT_SHAPES:
        raise _bad("the JSON body is not an Events API callback")
    for path, expected in _EVENT_SHAPES[str(document["type"])]:
        if not all(isinstance(found, expected) for found in _values(document, path.split("."))):
            raise _bad(f"{path} is not {'an object' if expected is dict else 'a string'}")


def _form_fields(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=_MAX_FIELDS)
    except UnicodeDecodeError:
        raise _bad("the body is not UTF-8") from None
    except ValueError:
        raise _bad(f"the form has more than {_MAX_FIELDS} fields") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise _bad("a form field appears more than once")
    return fields


def _payload(text: str) -> dict[str, Any]:
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        raise _bad("payload is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise _bad("payload is not a JSON object with a type")
    return payload


def _check_shape(document: dict[str, Any], kind: str) -> None:
    name = str(document.get("type")) if kind == "payload" else kind
    for path, expected in _SHAPES.get(name, _ANY_INTERACTION):
        if not all(isinstance(found, expected) for found in _values(document, path.split("."))):
            article = "an object" if expected is dict else "a list" if expected is list else "a string"
            where = f"payload.{path}" if kind == "payload" else path
            raise _bad(f"{where} is not {article}")


def _values(document: object, path: list[str]) -> list[object]:
    """What ``path`` leads to in ``document`` (a missing key leads to ``None``)."""
    if not path:
        return [document]
    step, rest = path[0], path[1:]
    if step == "*":
        items = document if isinstance(document, list) else []
        return [found for item in items for found in _values(item, rest)]
    child = document.get(step) if isinstance(document, dict) else None
    return _values(child, rest)


class RecentSignatures:
    """The signatures of the verified requests seen lately: ``remember`` seconds, ``capacity`` at most.

    Bolt accepts a timestamp up to 5 minutes from now either way, so a signature can stay valid for
    10 minutes after it is first seen; remembering each that long refuses every replay. When full
    (only Slack can sign, so only a flood from Slack itself fills it) the oldest are forgotten first.
    """

    def __init__(
        self, *, remember: float = 600.0, capacity: int = 50_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._remember, self._capacity, self._clock = remember, capacity, clock
        self._seen: OrderedDict[str, float] = OrderedDict()  # signature -> when to forget it
        self._lock = threading.Lock()

    def first_time(self, signature: str) -> bool:
        """Whether ``signature`` is new (and remember it); False for one already seen."""
        with self._lock:
            now = self._clock()
            while self._seen and (
                next(iter(self._seen.values())) <= now or len(self._seen) >= self._capacity
            ):
                self._seen.popitem(last=False)
            if signature in self._seen:
                return False
            self._seen[signature] = now + self._remember
            return True


BoltMiddleware = Callable[[BoltRequest, BoltResponse, Callable[[], BoltResponse]], BoltResponse]


class SignatureMemory(Protocol):
    def first_time(self, signature: str) -> bool:
        """Whether ``signature`` is new (and remember it); False for one already seen."""
        ...


def refusing_replays(recent: SignatureMemory) -> BoltMiddleware:
    """A global Bolt middleware refusing a signed HTTP request seen before (Socket Mode has none)."""

    def refuse_replays(
        req: BoltRequest, resp: BoltResponse, next_: Callable[[], BoltResponse]
    ) -> BoltResponse:
        if req.mode == "socket_mode":
            return next_()
        signature = req.headers.get("x-slack-signature", [""])[0]
        if recent.first_time(signature):
            return next_()
        log.info("refused a replayed request: its signature was seen before (409)")
        return BoltResponse(status=409, body="this request was received before\n")

    return refuse_replays


class _Summary(logging.Filter):
    """Keeps a log record to a bounded summary: no request body, at most ``limit`` characters."""

    def __init__(self, limit: int = 300) -> None:
        super().__init__()
        self._limit = limit

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        summary = message.partition(", body: ")[0]  # Bolt's "Invalid request signature" line
        if len(summary) > self._limit:
            summary = summary[: self._limit] + f"… ({len(message)} characters)"
        if summary != message:
            record.msg, record.args = summary, None
        return True


def bound_unauthenticated_logs() -> None:
    """Bolt's signature check logs what it refused; keep that line short and without the body."""
    verification = logging.getLogger(f"slack_bolt.{RequestVerification.__name__}")
    if not any(isinstance(existing, _Summary) for existing in verification.filters):
        verification.addFilter(_Summary())
