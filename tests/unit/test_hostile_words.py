"""What people type, at its worst: pins that are not versions or images, echoes carrying mentions,
button values the bot never issued. Every case is refused with one sentence that quotes what was
typed escaped and short; nothing here touches I/O (the domain is pure)."""

from __future__ import annotations

import pytest

from slackbot.domain.errors import UsageError
from slackbot.domain.hotfix import PinField
from slackbot.domain.hotfix_commands import PinRequest, Start, parse_hotfix, pin_request
from slackbot.domain.names import UnknownName, resolve_name
from slackbot.domain.quoting import MAX_QUOTED, quote
from slackbot.domain.references import image_problem, version_problem
from slackbot.domain.snooze import SnoozeSubject
from slackbot.domain.tickets import validate_ticket
from slackbot.render.blocks import error_message, mrkdwn_escape

MENTIONS = ["<!channel>", "<!here>", "<@U123>", "<http://evil|click>", "<!subteam^S1>"]


def _one_safe_sentence(text: str) -> None:
    assert "<" not in text, text
    assert ">" not in text, text
    assert "\n" not in text
    assert len(text) < 600, len(text)


# -- quoting ------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", MENTIONS)
def test_quoting_escapes_what_slack_would_read_as_a_mention_or_link(typed: str) -> None:
    assert "<" not in quote(typed)
    assert ">" not in quote(typed)


def test_quoting_keeps_a_short_prefix_of_a_long_text() -> None:
    shown = quote("x" * 10_000)
    assert shown == "x" * MAX_QUOTED + "…"


def test_quoting_shows_control_characters_and_replaces_backticks() -> None:
    assert quote("a\nb`c") == "a\\x0ab'c"


def test_escaping_twice_is_escaping_once() -> None:
    once = mrkdwn_escape("<!here> & co")
    assert mrkdwn_escape(once) == once == "&lt;!here&gt; &amp; co"


@pytest.mark.parametrize("typed", MENTIONS)
def test_an_error_message_is_escaped_in_its_fallback_text_as_in_its_blocks(typed: str) -> None:
    message = error_message(f"I don't know {typed}.")
    assert "<" not in message.text
    assert ">" not in message.text


# -- echoes in the sentences for mistakes -------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        *(f"{m} jupyter_hub" for m in MENTIONS),  # an environment is only resolved later: see names
        *(f"status {m}" for m in MENTIONS),
        *(f"snooze 123 {m}" for m in MENTIONS),
        *(f"prod jupyter_hub --{m}" for m in MENTIONS),
        "pr 123 " + "<!channel> " * 1000,
        "snooze 123 " + "9" * 10_000,
        "prod jupyter_hub ../" + "<!here>" * 1000,
    ],
)
def test_a_mistake_quotes_what_was_typed_escaped_and_short(typed: str) -> None:
    try:
        parse_hotfix(typed)
    except UsageError as error:
        _one_safe_sentence(str(error))
    else:
        assert typed.split(maxsplit=1)[0] in MENTIONS  # an environment name: the service refuses it (below)


@pytest.mark.parametrize("typed", [*MENTIONS, "x" * 10_000, "<!channel>" * 1000])
def test_an_unknown_name_quotes_it_escaped_and_short(typed: str) -> None:
    with pytest.raises(UnknownName) as refused:
        resolve_name(typed, {"prod": ("production",), "stg": ()}, "environment")
    _one_safe_sentence(str(refused.value))


@pytest.mark.parametrize("typed", ["<!here>", "INC-<@U1>", "a" * 5_000])
def test_a_bad_ticket_is_quoted_escaped_and_short(typed: str) -> None:
    with pytest.raises(UsageError) as refused:
        validate_ticket(typed)
    _one_safe_sentence(str(refused.value))


# -- pin values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "version",
    ["3.2.2", "v3.2.2", "0.0.0", "1.0.0-rc.1", "1.0.0-alpha.beta-1+build.5", "10.20.30+meta", "1.0.0-0a"],
)
def test_a_chart_version_is_semver_2(version: str) -> None:
    assert version_problem(version) is None


@pytest.mark.parametrize(
    "version",
    [
        '"quoted"',
        "[1,2]",
        "!!python/object:os.system",
        "*alias",
        "&anchor",
        "{a: 1}",
        "3.2",
        "3",
        "03.2.2",
        "3.02.2",
        "3.2.02",
        "1.0.0-01",
        "1.0.0-",
        "1.0.0+",
        "1.0.0-a..b",
        "V3.2.2",
        "vv3.2.2",
        "3.2.2 # comment",
        "3.2.2:x",
        "~3.2.2",
        "^3.2.2",
        ">=3.2.2",
        "1." + "1" * 300 + ".0",
    ],
)
def test_anything_else_is_not_a_chart_version(version: str) -> None:
    assert version_problem(version) is not None


@pytest.mark.parametrize(
    "image",
    [
        "repo/name:tag",
        "nginx",
        "nginx:1.25",
        "ghcr.io/lsc-sde/jupyter:3.2.1",
        "localhost:5000/a/b:c",
        "registry.example.com:443/team/app_x.y-z:v1.2.3",
        "a/b@sha256:" + "0" * 64,
        "a/b:1@sha256:" + "ab" * 32,
        "[::1]:5000/x/y:z",
        "a__b/c---d",
    ],
)
def test_an_image_is_an_oci_reference(image: str) -> None:
    assert image_problem(image) is None


@pytest.mark.parametrize(
    "image",
    [
        'repo/x:1"',
        "*alias",
        "!!python/object:os.system",
        "Repo/Name:tag",
        "repo//name",
        "repo/name:",
        "repo/name:-tag",
        "repo/name:" + "t" * 129,
        "a/b@sha256:123",
        "a/b@sha256:" + "g" * 64,
        ":tag",
        "/repo/name",
        "repo/name/",
        "re..po/x",
        "repo/-x",
        "[1,2]",
        '"quoted"',
        "a:b:c",
        "x" * 300,
        "repo/name:tag@",
        "&anchor",
        "{a: 1}",
    ],
)
def test_anything_else_is_not_an_image(image: str) -> None:
    assert image_problem(image) is not None


HOSTILE_PINS = [
    ("--chart", '"quoted"'),
    ("--chart=[1,2]", None),
    ("--image", "'repo/x:1\"'"),
    ("--image", "*alias"),
    ("--chart", "!!python/object:os.system"),
    ("--chart", "3.2"),
    ("--image", "Repo/X:1"),
    ("--chart", "<!channel>"),
    ("--image", "<@U123>"),
    ("--branch", "<!here>..x"),
    ("--branch", "a" * 5_000),
    ("--chart", "1" * 10_000),
]


@pytest.mark.parametrize(("option", "value"), HOSTILE_PINS)
def test_a_pin_that_is_not_what_it_pins_is_refused_in_one_sentence(option: str, value: str | None) -> None:
    typed = f"prod jupyter_hub {option}" + (f" {value}" if value is not None else "") + " INC-1"
    with pytest.raises(UsageError) as refused:
        parse_hotfix(typed)
    _one_safe_sentence(str(refused.value))


def test_the_command_line_checks_pins_the_same_way() -> None:
    with pytest.raises(UsageError, match="not a chart version"):
        pin_request(chart="[1,2]", image=None, branch=None)
    with pytest.raises(UsageError, match="not an image reference"):
        pin_request(chart=None, image="*alias", branch=None)
    assert pin_request(chart="v3.2.2", image=None, branch=None) == PinRequest(PinField.CHART, "v3.2.2")


def test_a_good_pin_still_parses() -> None:
    command = parse_hotfix("prod jupyter_hub --image=ghcr.io/a/b:1.2 INC-1 bump")
    assert isinstance(command, Start)
    assert command.pin == PinRequest(PinField.IMAGE, "ghcr.io/a/b:1.2")


# -- snooze subjects from buttons ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "branch:" + "x" * 5_000,
        "hotfix:" + "1" * 5_000,
        "hotfix:<!channel>",
        "hotfix:../x",
        "hotfix:",
        "branch:lsc-sde/iac-flux-jupyter:" + "r" * 300,
        "branch:not a repo:release/1",
        "branch:a/b/c:main",
        "branch:lsc-sde/iac:../x",
        "branch:lsc-sde/iac:",
        "other:123",
        "",
        "hotfix:123:extra",
        "branch:-x/y:main",
    ],
)
def test_a_snooze_subject_the_bot_never_issued_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="snooze subject") as refused:
        SnoozeSubject.parse(value)
    assert len(str(refused.value)) < 200


@pytest.mark.parametrize(
    "subject",
    [
        SnoozeSubject.of_hotfix("INC-123"),
        SnoozeSubject.of_branch("lsc-sde/iac-flux-jupyter", "release/0.2.105"),
    ],
)
def test_what_the_bot_issues_parses_back(subject: SnoozeSubject) -> None:
    assert SnoozeSubject.parse(subject.key) == subject
