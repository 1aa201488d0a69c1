"""What people type, at its worst, through the whole bot: pins that are not what they pin, echoes
carrying mentions, 10 kB of text, forged button values, one incident steering another's hot-fix.

Each case is answered with one plain sentence, within 3 seconds, with mentions escaped in the
fallback text as in the blocks; GitHub gets no POST or PUT (nothing created) and no traceback is
logged. One bot serves the module; the hot-fix some cases aim at is started once, up front.
"""

from __future__ import annotations

import time

import pytest

from slackbot.render import hotfix_blocks
from slackbot.sandbox.harness import INCIDENT, Sandbox
from slackbot.sandbox.slack_user import Reply
from tests.scenario.helpers import hotfix

OTHER_INCIDENT = ("C0INC124", "inc-124-db")
TICKET = "2291"  # the hot-fix INCIDENT's channel name gives, started by the fixture
LONG = "x" * 10_000


@pytest.fixture(scope="module")
def target(shared_box: Sandbox) -> Sandbox:
    """The module's bot with one active hot-fix, started from its incident's channel."""
    reply = shared_box.ask("/hotfix prod jupyter_hub spawner times out")
    assert "hotfix/2291" in reply.text, reply.text
    shared_box.slack.add_channel(*OTHER_INCIDENT)
    return shared_box


def answered_safely(
    box: Sandbox, caplog: pytest.LogCaptureFixture, act: object, *, channel: tuple[str, str] = INCIDENT
) -> str:
    """Run ``act`` (a command line, or an (action_id, value) click) and check the answer's shape."""
    box.github.clear_log()
    caplog.clear()
    person = box.conversation_with(box.person(channel=channel))
    began = time.monotonic()
    reply: Reply = person.ask(act) if isinstance(act, str) else person.forge_click(*act)  # type: ignore[misc]
    took = time.monotonic() - began
    posts = [p for p in reply.posts if p.get("text")]
    assert len(posts) == 1, posts
    [answer] = posts
    text = str(answer["text"])
    assert took < 3, took
    assert "<" not in text, text  # no mention, link or broadcast in the fallback
    assert ">" not in text, text
    assert "\n" not in text, text  # one sentence, not an echo of the input
    assert len(text) < 600, text
    # POST /graphql is a query (the emulator serves no mutations): a read.
    writes = [
        r
        for r in box.github.requests
        if r.method in ("POST", "PUT", "PATCH", "DELETE") and r.path != "/graphql"
    ]
    assert writes == [], writes
    tracebacks = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert tracebacks == [], tracebacks
    return text


PINS = [
    ('--chart "quoted"', "not a chart version"),
    ("--chart=[1,2]", "not a chart version"),
    ("--image 'repo/x:1\"'", "not an image reference"),
    ("--image *alias", "not an image reference"),
    ("--chart !!python/object:os.system", "not a chart version"),
    ("--chart &anchor", "not a chart version"),
    ("--chart {a:1}", "not a chart version"),
    ("--chart 3.2", "not a chart version"),
    ("--chart 03.2.2", "leading zero"),
    ("--image Repo/Name:1", "upper-case"),
    ("--image repo/name:", "not an image reference"),
    ("--image a/b@sha256:123", "digest"),
    ("--branch release/does-not-exist", "does-not-exist"),
    ("--branch <!channel>", "channel"),
    ("--branch ../main", "cannot be used"),
]


@pytest.mark.parametrize(("option", "words"), PINS, ids=[p[0] for p in PINS])
def test_a_pin_that_is_not_what_it_pins_creates_nothing(
    target: Sandbox, caplog: pytest.LogCaptureFixture, option: str, words: str
) -> None:
    text = answered_safely(target, caplog, f"/hotfix prod jupyter_hub {option} 777")
    assert words in text
    assert not target.bot.store.find("777", active_only=False)


ECHOES = [
    "/hotfix <!channel> jupyter_hub 777",
    "/hotfix prod <!here> 777",
    "/hotfix prod jupyter_hub --<@U123> 777",
    "/hotfix status <http://evil|click>",
    "/hotfix snooze 2291 <!channel>",
    "/hotfix pr 2291 <!subteam^S1>",
    "/hotfix cancel <@U123>",
    "/versions <!channel>",
    "/versions prod <http://evil|click>",
    f"/hotfix {LONG} jupyter_hub 777",
    f"/versions prod {LONG}",
    f"/hotfix snooze 2291 {'9' * 10_000}",
    f"/hotfix prod jupyter_hub ../{'<!here>' * 1000}",
]


@pytest.mark.parametrize("command", ECHOES, ids=[c[:40] for c in ECHOES])
def test_what_was_typed_comes_back_escaped_and_short(
    target: Sandbox, caplog: pytest.LogCaptureFixture, command: str
) -> None:
    answered_safely(target, caplog, command)


BUTTONS = [
    (hotfix_blocks.SNOOZE, "branch:" + "x" * 5_000),
    (hotfix_blocks.SNOOZE, "hotfix:<!channel>"),
    (hotfix_blocks.SNOOZE, "branch:lsc-sde/iac-flux-jupyter:../main"),
    (hotfix_blocks.SNOOZE, "anything"),
    (hotfix_blocks.CANCEL, "<!here>"),
    (hotfix_blocks.OPEN_PR, "1" * 5_000),
    (hotfix_blocks.PROMOTE, "../x"),
]


@pytest.mark.parametrize(("action_id", "value"), BUTTONS, ids=[f"{a}-{v[:20]}" for a, v in BUTTONS])
def test_a_button_value_the_bot_never_issued_is_refused_and_nothing_stored(
    target: Sandbox, caplog: pytest.LogCaptureFixture, action_id: str, value: str
) -> None:
    text = answered_safely(target, caplog, (action_id, value))
    assert text == "That button is out of date or was not made by me; nothing was changed."
    assert target.bot.store.get_state(f"snooze:{value}") is None
    assert not [e for e in target.bot.store.audit_log() if e.action == "snooze" and e.result == "ok"]


STEERING = [
    "/hotfix cancel 2291",
    "/hotfix pr 2291",
    "/hotfix promote 2291",
    "/hotfix snooze 2291 2d",
    (hotfix_blocks.CANCEL, TICKET),
    (hotfix_blocks.OPEN_PR, TICKET),
    (hotfix_blocks.SNOOZE, f"hotfix:{TICKET}"),
]


@pytest.mark.parametrize("act", STEERING, ids=[str(s)[:40] for s in STEERING])
def test_another_incidents_channel_cannot_steer_this_hotfix(
    target: Sandbox, caplog: pytest.LogCaptureFixture, act: object
) -> None:
    before = hotfix(target, TICKET)

    text = answered_safely(target, caplog, act, channel=OTHER_INCIDENT)

    assert text.endswith(
        f"{TICKET} is steered from #inc-2291-jupyter; nothing was changed. "
        "Change it from there, from the team channel or from the command line."
    ), text
    assert hotfix(target, TICKET) == before


def test_status_still_answers_from_anywhere(target: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    text = answered_safely(target, caplog, f"/hotfix status {TICKET}", channel=OTHER_INCIDENT)
    assert TICKET in text
