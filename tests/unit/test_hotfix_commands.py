"""What people type after `/hotfix`, and the sentence they see when it does not parse."""

from __future__ import annotations

from datetime import timedelta

import pytest

from slackbot.domain.errors import UsageError
from slackbot.domain.hotfix import PinField
from slackbot.domain.hotfix_commands import (
    SUBCOMMANDS,
    Cancel,
    Help,
    OpenModal,
    OpenPr,
    PinRequest,
    Promote,
    Snooze,
    Start,
    Status,
    parse_duration,
    parse_hotfix,
    usage,
)
from slackbot.domain.tickets import DEFAULT_TICKET_PATTERN, InvalidTicket


def refused(text: str, pattern: str = DEFAULT_TICKET_PATTERN) -> UsageError:
    with pytest.raises(UsageError) as caught:
        parse_hotfix(text, pattern)
    return caught.value


# --- no arguments, help ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\u00a0", "\n"])
def test_nothing_opens_the_modal(text: str) -> None:
    assert parse_hotfix(text) == OpenModal()


@pytest.mark.parametrize("text", ["help", "HELP", " Help  "])
def test_help(text: str) -> None:
    assert parse_hotfix(text) == Help()


def test_usage_lists_every_form_with_an_example() -> None:
    text = usage()

    for form in (
        "`/hotfix`",
        "/hotfix ENV COMPONENT [TICKET] [summary…]",
        "--chart",
        "--image",
        "--branch",
        "`/hotfix pr INC-123`",
        "`/hotfix promote INC-123`",
        "`/hotfix status`",
        "`/hotfix cancel INC-123`",
        "`/hotfix snooze INC-123 2d`",
        "`/hotfix help`",
    ):
        assert form in text
    assert len(text.splitlines()) > 5
    assert set(SUBCOMMANDS) <= {word.strip("`") for line in text.splitlines() for word in line.split()}


# --- start ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "prod jupyter_hub 123 spawner times out",
            Start(environment="prod", component="jupyter_hub", ticket="123", summary="spawner times out"),
            id="ticket-and-summary",
        ),
        pytest.param(
            "prod jupyter_hub spawner times out",
            Start("prod", "jupyter_hub", None, "spawner times out"),
            id="without-a-ticket-every-other-word-is-the-summary",
        ),
        pytest.param("stg Jupyter INC-42", Start("stg", "Jupyter", "INC-42", ""), id="ticket-only"),
        pytest.param(
            "prod jupyter_hub", Start("prod", "jupyter_hub", None, ""), id="environment-and-component-only"
        ),
        pytest.param(
            "Production Jupyter-Hub 7",
            Start("Production", "Jupyter-Hub", "7", ""),
            id="names-are-returned-as-typed",
        ),
        pytest.param(
            "prod jupyter_hub spawner 123",
            Start("prod", "jupyter_hub", None, "spawner 123"),
            id="only-the-word-after-the-component-can-be-the-ticket",
        ),
        pytest.param(
            "prod jupyter_hub 1 2",
            Start("prod", "jupyter_hub", "1", "2"),
            id="a-ticket-like-word-after-the-ticket-is-summary",
        ),
        pytest.param(
            "prod\u00a0jupyter_hub\u202f123  \u201cspawner\u00a0times out\u201d",
            Start("prod", "jupyter_hub", "123", "spawner times out"),
            id="slack-spaces-and-smart-quotes-are-normalised",
        ),
        pytest.param(
            "prod jupyter_hub 5 hub can\u2019t \u201cspawn\u201d now",
            Start("prod", "jupyter_hub", "5", 'hub can\'t "spawn" now'),
            id="the-summary-keeps-inner-quotes-and-apostrophes",
        ),
    ],
)
def test_start(text: str, expected: Start) -> None:
    assert parse_hotfix(text) == expected


def test_missing_component_shows_the_form() -> None:
    message = str(refused("prod"))

    assert "`/hotfix prod` needs a component" in message
    assert "/hotfix ENV COMPONENT [TICKET] [summary…]" in message


def test_an_option_instead_of_the_environment_shows_the_form() -> None:
    assert "environment and component" in str(refused("--chart 3.2.2"))
    assert "needs a component" in str(refused("prod --chart 3.2.2"))


# --- tickets in a start ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "reason"),
    [
        ("../x", "contains `..`"),
        ("INC-1/2", "contains `/`"),
        ("INC~1", "contains `~`"),
        ("INC^1", "contains `^`"),
        ("INC:1", "contains `:`"),
        ("INC?1", "contains `?`"),
        ("INC*1", "contains `*`"),
        ("INC[1", "contains `[`"),
        ("INC\\1", "backslash"),
        ("INC@{1", "contains `@{`"),
        ("INC\x071", "control character"),
    ],
)
def test_an_attempted_ticket_that_cannot_be_a_branch_is_refused_not_summarised(
    word: str, reason: str
) -> None:
    with pytest.raises(InvalidTicket) as caught:
        parse_hotfix(f"prod jupyter_hub {word} spawner times out")

    assert reason in caught.value.reason
    assert "give the ticket first" in str(caught.value)


def test_a_ticket_shaped_word_that_is_too_long_is_refused() -> None:
    with pytest.raises(InvalidTicket, match="characters long"):
        parse_hotfix("prod jupyter_hub " + "1" * 200)


def test_a_word_with_a_space_cannot_arrive_so_spaces_split_words() -> None:
    assert parse_hotfix("prod jupyter_hub INC 123") == Start("prod", "jupyter_hub", None, "INC 123")


def test_a_custom_ticket_pattern_decides_what_is_a_ticket() -> None:
    pattern = r"OPS-\d+"

    assert parse_hotfix("prod hub OPS-9 x", pattern) == Start("prod", "hub", "OPS-9", "x")
    assert parse_hotfix("prod hub 123 x", pattern) == Start("prod", "hub", None, "123 x")


# --- pin options ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("--chart", "3.2.2", PinField.CHART),
        ("--image", "lscsde/awms-keycloak:0.1.9", PinField.IMAGE),
        ("--branch", "release/0.2.106", PinField.BRANCH),
    ],
)
def test_pin_options(option: str, value: str, field: PinField) -> None:
    expected = Start("prod", "jupyter_hub", "INC-1", "bump it", PinRequest(field, value))

    assert parse_hotfix(f"prod jupyter_hub {option} {value} INC-1 bump it") == expected
    assert parse_hotfix(f"prod jupyter_hub {option}={value} INC-1 bump it") == expected
    assert parse_hotfix(f"prod jupyter_hub INC-1 {option} {value} bump it") == expected


def test_pin_without_ticket_or_summary() -> None:
    assert parse_hotfix("prod jupyter_hub --chart 3.2.2") == Start(
        "prod", "jupyter_hub", None, "", PinRequest(PinField.CHART, "3.2.2")
    )


def test_pin_values_are_verbatim_but_unquoted() -> None:
    command = parse_hotfix('prod jupyter_hub --chart "v1.14.2-rc.1+build"')

    assert isinstance(command, Start)
    assert command.pin == PinRequest(PinField.CHART, "v1.14.2-rc.1+build")


def test_option_names_survive_autocorrected_dashes() -> None:
    command = parse_hotfix("prod jupyter_hub \u2014chart 3.2.2")

    assert isinstance(command, Start)
    assert command.pin == PinRequest(PinField.CHART, "3.2.2")
    assert parse_hotfix("prod jupyter_hub 1 \u2014 done") == Start("prod", "jupyter_hub", "1", "\u2014 done")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("prod jupyter_hub --chart", "`--chart` needs a value", id="an-option-without-a-value"),
        pytest.param(
            "prod jupyter_hub --chart=", "`--chart` needs a value", id="an-option-with-an-empty-value"
        ),
        pytest.param(
            "prod jupyter_hub --chart --image x",
            "`--chart` needs a value",
            id="an-option-followed-by-another",
        ),
        pytest.param("prod jupyter_hub --chart 1.0.0 --image a/b:1", "only one of", id="two-pin-options"),
        pytest.param(
            "prod jupyter_hub --chart 1.0.0 --chart 2.0.0", "only one of", id="the-same-pin-option-twice"
        ),
        pytest.param("prod jupyter_hub --force", "`--force` is not an option", id="an-unknown-option"),
        pytest.param("prod jupyter_hub -c 3.2.2", "`-c` is not an option", id="an-unknown-short-option"),
        pytest.param(
            "prod jupyter_hub 1 bump --chart 3.2.2",
            "right after the component",
            id="an-option-inside-the-summary",
        ),
        pytest.param(
            "prod jupyter_hub --image a/b:\x071", "control characters", id="an-image-with-a-control-character"
        ),
    ],
)
def test_a_pin_option_mistake_says_what_to_fix(text: str, words: str) -> None:
    assert words in str(refused(text))


def test_a_branch_value_must_be_a_valid_ref() -> None:
    with pytest.raises(InvalidTicket, match=r"contains `\.\.`"):
        parse_hotfix("prod jupyter_hub --branch release/..x")


# --- subcommands ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pr INC-123", OpenPr("INC-123")),
        ("PR 123", OpenPr("123")),
        ("promote INC-123", Promote("INC-123")),
        ("cancel 77", Cancel("77")),
        ("status", Status(None)),
        ("status INC-5", Status("INC-5")),
        ("snooze INC-5 2d", Snooze("INC-5", timedelta(days=2))),
    ],
)
def test_subcommands(text: str, expected: object) -> None:
    assert parse_hotfix(text) == expected


@pytest.mark.parametrize("name", ["pr", "promote", "cancel"])
def test_subcommand_without_ticket(name: str) -> None:
    assert str(refused(name)) == f"`/hotfix {name}` needs the ticket, for example `/hotfix {name} INC-123`."


@pytest.mark.parametrize("name", ["pr", "promote", "cancel"])
def test_subcommand_with_extra_words(name: str) -> None:
    message = str(refused(f"{name} INC-123 please"))

    assert f"`/hotfix {name}` takes only the ticket" in message
    assert "`please`" in message


def test_status_takes_at_most_one_ticket() -> None:
    assert "takes only one ticket" in str(refused("status 1 2"))


@pytest.mark.parametrize(
    "text", ["pr ../x", "promote INC:1", "cancel a\x07b", "status x~1", "snooze 1@{2 2d"]
)
def test_subcommand_tickets_are_validated(text: str) -> None:
    with pytest.raises(InvalidTicket):
        parse_hotfix(text)


def test_subcommand_tickets_follow_the_pattern() -> None:
    with pytest.raises(InvalidTicket, match="does not look like a ticket"):
        parse_hotfix("pr jupyter")


def test_a_subcommand_word_is_not_an_environment() -> None:
    assert parse_hotfix("Status") == Status(None)


# --- snooze -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("3 days", timedelta(days=3)),
        ("1W", timedelta(weeks=1)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_snooze_accepts_a_spaced_duration() -> None:
    assert parse_hotfix("snooze 1 1 week") == Snooze("1", timedelta(weeks=1))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("snooze", "needs the ticket and how long", id="no-ticket-and-no-duration"),
        pytest.param("snooze INC-1", "needs how long as well", id="no-duration"),
        pytest.param("snooze 1 2x", "not a duration", id="an-unknown-unit"),
        pytest.param("snooze 1 soon", "not a duration", id="a-word"),
        pytest.param("snooze 1 0d", "a while", id="zero"),
        pytest.param("snooze 1 31d", "too long", id="over-thirty-days"),
        pytest.param("snooze 1 999999w", "too long", id="far-too-long"),
    ],
)
def test_a_snooze_mistake_says_what_to_fix(text: str, words: str) -> None:
    assert words in str(refused(text))


def test_snooze_is_capped_at_thirty_days() -> None:
    assert parse_duration("30d") == timedelta(days=30)
