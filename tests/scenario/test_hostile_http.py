"""Hostile HTTP against the real `slackbot serve --http`: every malformed, oversized, replayed or
unsigned request is refused quickly with a 4xx, the log stays short and free of tracebacks, and
``/healthz`` answers throughout.

One process serves the whole module; each case talks to it over a raw loopback socket, so the
request bytes are exactly what the case says (invalid UTF-8, lying headers, 10 MB bodies).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import pytest

from slackbot.sandbox.harness import SANDBOX_GITHUB_TOKEN, Sandbox
from slackbot.sandbox.slack_emulator import SlackEmulator
from slackbot.sandbox.slack_payloads import SlackUser
from slackbot.slack.http import REQUEST_DEADLINE
from tests.scenario.test_operating import Running, serving

SECRET = "hostile-test-signing-secret"
ANSWER_WITHIN = 3.0
LONGEST_LINE = 2048
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def bot(
    shared_box: Sandbox, slack: SlackEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    database = tmp_path_factory.mktemp("hostile") / "bot.db"
    env = {
        **os.environ,
        "SLACKBOT_CONFIG": str(shared_box.world.config_path),
        "SLACKBOT_DATABASE_URL": f"sqlite:///{database}",
        "GITHUB_TOKEN": SANDBOX_GITHUB_TOKEN,
        "GITHUB_API_URL": shared_box.github.base_url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
    }
    env.pop("SLACK_APP_TOKEN", None)
    with serving(env, "--http", "--port", "0", announcement="Serving HTTP on") as running:
        yield running
        assert running.stop() == 0  # promptly, however the requests ended


# -- talking to it ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    seconds: float


def sign(timestamp: str, body: bytes, secret: str = SECRET) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def exchange(base: str, head: bytes, body: bytes = b"", *, within: float = ANSWER_WITHIN) -> Answer:
    """Send ``head`` then ``body`` (stopping early when the server answers first); read the answer."""
    address = urlsplit(base)
    started = time.monotonic()
    with socket.create_connection((address.hostname, address.port), timeout=within) as connection:
        connection.sendall(head)
        sent = 0
        while sent < len(body):
            if select.select([connection], [], [], 0)[0]:
                break  # answered (413) before reading it all: stop sending
            try:
                sent += connection.send(body[sent : sent + 65536])
            except OSError:
                break  # the server closed its side
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    seconds = time.monotonic() - started
    status_line = received.split(b"\r\n", 1)[0].split()
    status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0
    return Answer(status, received.partition(b"\r\n\r\n")[2], seconds)


def post(
    base: str,
    body: bytes,
    *,
    content_type: str | None = FORM,
    timestamp: str | None = "now",
    signature: str | None = "sign",
    headers: dict[str, str] | None = None,
    content_length: int | None = None,
) -> Answer:
    sent_at = str(int(time.time())) if timestamp == "now" else timestamp
    lines = ["POST /slack/events HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines.append(f"Content-Length: {len(body) if content_length is None else content_length}")
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    if sent_at is not None:
        lines.append(f"X-Slack-Request-Timestamp: {sent_at}")
    if signature == "sign":
        signature = sign(sent_at or "", body)
    if signature is not None:
        lines.append(f"X-Slack-Signature: {signature}")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return exchange(base, ("\r\n".join(lines) + "\r\n\r\n").encode(), body)


def healthz(base: str) -> Answer:
    return exchange(base, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")


# -- the cases -------------------------------------------------------------------------------------

COMMAND = {
    "command": "/versions",
    "text": "",
    "user_id": "U0HOSTILE",
    "channel_id": "C0HOSTILE",
    "team_id": "T0",
}


def form(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


def interaction(payload: object) -> bytes:
    return form({"payload": json.dumps(payload)})


def view_submission(view: object) -> bytes:
    return interaction(
        {"type": "view_submission", "user": {"id": "U0HOSTILE"}, "team": {"id": "T0"}, "view": view}
    )


Send = Callable[[str], Answer]
BIG = 10 * 1024 * 1024

CASES: dict[str, Send] = {
    # The timestamp: an integer count of seconds, as Slack always sends.
    "timestamp abc": lambda b: post(b, form(COMMAND), timestamp="abc"),
    "timestamp with a fraction": lambda b: post(b, form(COMMAND), timestamp="1700000000.5"),
    "timestamp of 400 nines": lambda b: post(b, form(COMMAND), timestamp="9" * 400),
    "timestamp negative": lambda b: post(b, form(COMMAND), timestamp="-1"),
    "timestamp empty": lambda b: post(b, form(COMMAND), timestamp=""),
    "timestamp in exponent form": lambda b: post(b, form(COMMAND), timestamp="1e9"),
    "timestamp in non-ASCII digits": lambda b: post(
        b, form(COMMAND), timestamp="\u0661\u0667" + "\u0660" * 8
    ),
    "timestamp stale": lambda b: post(b, form(COMMAND), timestamp=str(int(time.time()) - 600)),
    "timestamp missing": lambda b: post(b, form(COMMAND), timestamp=None, signature="v0=" + "0" * 64),
    # The signature: Bolt's verification stays the judge.
    "unsigned": lambda b: post(b, form(COMMAND), signature=None),
    "badly signed": lambda b: post(b, form(COMMAND), signature="v0=" + "0" * 64),
    "signature not hex": lambda b: post(b, form(COMMAND), signature="v0=zz"),
    "signed with another secret": lambda b: post(
        b,
        form(COMMAND),
        timestamp=str(int(time.time())),
        signature=sign(str(int(time.time())), form(COMMAND), "x"),
    ),
    # The body: UTF-8, form-encoded.
    "body not UTF-8": lambda b: post(b, b"command=/versions&text=\xff\xfe\xfd"),
    "percent-encoded bytes not UTF-8": lambda b: post(b, b"command=%2Fversions&text=%ff%fe"),
    "form body sent as JSON": lambda b: post(b, form(COMMAND), content_type="application/json"),
    "JSON list as JSON": lambda b: post(b, b"[1,2]", content_type="application/json"),
    "plain text": lambda b: post(b, b"hello", content_type="text/plain"),
    "no content type": lambda b: post(b, form(COMMAND), content_type=None),
    "repeated field": lambda b: post(b, form(COMMAND) + b"&command=%2Fhotfix"),
    "neither command nor payload": lambda b: post(b, form({"hello": "world"})),
    "empty body": lambda b: post(b, b""),
    # The payload: a JSON object with a type, in the shape Slack sends for that type.
    "payload not JSON": lambda b: post(b, form({"payload": "not json{"})),
    "payload a list": lambda b: post(b, form({"payload": "[1,2]"})),
    "payload null": lambda b: post(b, form({"payload": "null"})),
    "payload a string": lambda b: post(b, form({"payload": '"block_actions"'})),
    "payload without a type": lambda b: post(b, interaction({"user": {"id": "U0HOSTILE"}})),
    "payload type not a string": lambda b: post(b, interaction({"type": 5})),
    "payload deeply nested": lambda b: post(b, form({"payload": "[" * 100_000 + "]" * 100_000})),
    "view_submission without view.state": lambda b: post(b, view_submission({"callback_id": "hotfix_start"})),
    "view_submission with view null": lambda b: post(b, view_submission(None)),
    "view_submission state.values a list": lambda b: post(
        b, view_submission({"callback_id": "hotfix_start", "state": {"values": []}})
    ),
    "block_actions without actions": lambda b: post(
        b, interaction({"type": "block_actions", "user": {"id": "U0"}})
    ),
    "block_actions with actions a string": lambda b: post(
        b, interaction({"type": "block_actions", "user": {"id": "U0"}, "actions": "x"})
    ),
    "block_actions without user": lambda b: post(
        b, interaction({"type": "block_actions", "actions": [{"action_id": "hotfix_pr", "value": "1"}]})
    ),
    "slash command without user": lambda b: post(
        b, form({"command": "/versions", "text": "", "channel_id": "C0"})
    ),
    # Sizes: refused before being read.
    "signed 10 MB slash command": lambda b: post(b, form({**COMMAND, "text": "x" * BIG})),
    "unsigned 10 MB body": lambda b: post(b, b"x" * BIG, signature=None),
    "Content-Length of 10 GB": lambda b: post(b, b"x" * 1000, content_length=10 * 1024**3),
    "unsigned 900 kB body": lambda b: post(b, form({"payload": "x" * 900_000}), signature=None),
    "100 kB of headers": lambda b: post(b, form(COMMAND), headers={"X-Padding": "p" * 100_000}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_request_gets_a_quick_4xx_and_a_short_log(bot: Running, case: str) -> None:
    before = len(bot.lines)
    answer = CASES[case](bot.base)

    assert 400 <= answer.status < 500, (answer.status, answer.body[:300])
    assert answer.seconds < ANSWER_WITHIN
    assert len(answer.body) < 1024  # a short reason, never the request sent back
    assert healthz(bot.base).status == 200
    time.sleep(0.05)  # let the process's stderr catch up
    logged = [line for line in bot.lines[before:] if "scheduler" not in line]  # its jobs log too
    assert not [line for line in logged if "Traceback" in line], logged
    assert [len(line) for line in logged if len(line) > LONGEST_LINE] == []
    assert len(logged) <= 2, logged  # at most one line about the refusal (and waitress's own)


def test_an_exact_replay_of_a_signed_command_is_refused(bot: Running, slack: SlackEmulator) -> None:
    payload = SlackUser(slack).slash_command_payload("/versions prod")
    body, sent_at = form(payload), str(int(time.time()))
    signature = sign(sent_at, body)

    first = post(bot.base, body, timestamp=sent_at, signature=signature)
    again = post(bot.base, body, timestamp=sent_at, signature=signature)

    assert first.status == 200
    assert again.status == 409, again
    slack.wait_for(lambda: slack.responses(payload["response_url"]), timeout=15)
    time.sleep(0.5)
    assert len(slack.responses(payload["response_url"])) == 1  # it ran once
    # Slack's own retry is a new request: a new timestamp, so a new signature.
    later = str(int(sent_at) + 1)
    assert post(bot.base, body, timestamp=later, signature=sign(later, body)).status == 200


def test_nothing_the_hostile_requests_did_left_a_traceback_or_a_long_line(bot: Running) -> None:
    for case in sorted(CASES):
        CASES[case](bot.base)
    assert healthz(bot.base).status == 200
    time.sleep(0.2)
    assert not [line for line in bot.lines if "Traceback" in line]
    assert max(len(line) for line in bot.lines) <= LONGEST_LINE


def test_the_refusal_names_the_problem_in_plain_text(bot: Running) -> None:
    answer = post(bot.base, form({"payload": "[1,2]"}))
    assert answer.status == 400
    assert b"payload" in answer.body
    assert b"[1,2]" not in answer.body  # the reason is ours, never an echo of the input


# -- slow clients ----------------------------------------------------------------------------------


@contextmanager
def trickling(base: str, count: int, *, every: float, lasting: float) -> Iterator[list[socket.socket]]:
    """``count`` loopback connections that each send half a request and then a header every
    ``every`` seconds, for ``lasting`` seconds at most (they stop by themselves)."""
    address = urlsplit(base)
    connections = []
    for _ in range(count):
        connection = socket.create_connection((address.hostname, address.port), timeout=5)
        connection.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n")
        connections.append(connection)
    done = threading.Event()

    def trickle() -> None:
        ends = time.monotonic() + lasting
        while not done.wait(every) and time.monotonic() < ends:
            for connection in connections:
                with suppress(OSError):  # the server closed it: what it should do, eventually
                    connection.sendall(b"X-Slow: 1\r\n")

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    try:
        yield connections
    finally:
        done.set()
        sender.join(timeout=10)
        for connection in connections:
            connection.close()


def test_a_hundred_slow_clients_lock_nobody_out(bot: Running, slack: SlackEmulator) -> None:
    with trickling(bot.base, 100, every=1.0, lasting=8.0):
        time.sleep(1.5)  # they hold their connections, trickling
        probe = healthz(bot.base)
        assert (probe.status, probe.seconds < ANSWER_WITHIN) == (200, True), probe

        payload = SlackUser(slack).slash_command_payload("/versions")
        answer = post(bot.base, form(payload))
        assert (answer.status, answer.seconds < ANSWER_WITHIN) == (200, True), answer


def test_a_trickling_request_is_cut_off_at_its_deadline(bot: Running) -> None:
    with trickling(bot.base, 1, every=0.5, lasting=REQUEST_DEADLINE + 5) as [connection]:
        started = time.monotonic()
        connection.settimeout(REQUEST_DEADLINE + 5)
        try:
            closed = connection.recv(1024) == b""
        except ConnectionResetError:
            closed = True
        assert closed
        assert time.monotonic() - started < REQUEST_DEADLINE + 2.5  # not reset by each header
