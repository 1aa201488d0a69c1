"""Tickets become git refs: each bad one is refused with its precise reason."""

from __future__ import annotations

import re

import pytest

from slackbot.domain.errors import UsageError
from slackbot.domain.tickets import (
    DEFAULT_BRANCH_TEMPLATE,
    DEFAULT_TICKET_PATTERN,
    MAX_REF_LENGTH,
    InvalidTicket,
    check_ref_name,
    hotfix_branch,
    ticket_from_channel,
    validate_ticket,
)


def refused_ticket(ticket: str, pattern: str = DEFAULT_TICKET_PATTERN) -> InvalidTicket:
    with pytest.raises(InvalidTicket) as caught:
        validate_ticket(ticket, pattern)
    return caught.value


def refused_ref(name: str) -> InvalidTicket:
    with pytest.raises(InvalidTicket) as caught:
        check_ref_name(name)
    return caught.value


# --- good tickets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ticket", ["123", "1", "INC-123", "inc-2291", "Ops2-7", "JIRA-000"])
def test_default_pattern_accepts_numbers_and_keys(ticket: str) -> None:
    assert validate_ticket(ticket) == ticket


def test_ticket_is_returned_stripped() -> None:
    assert validate_ticket("  INC-123\n") == "INC-123"


def test_custom_pattern_is_matched_against_the_whole_ticket() -> None:
    assert validate_ticket("OPS_12", r"OPS_\d+") == "OPS_12"
    assert refused_ticket("OPS_12x", r"OPS_\d+").reason == "does not look like a ticket"


# --- the rejections the feature names, each with its reason --------------------------------------


@pytest.mark.parametrize(
    ("ticket", "reason"),
    [
        ("../x", "contains `..`"),
        ("INC 123", "contains a space"),
        ("a~1", "contains `~`"),
        ("a^1", "contains `^`"),
        ("INC:123", "contains `:`"),
        ("12?", "contains `?`"),
        ("12*", "contains `*`"),
        ("12[3]", "contains `[`"),
        ("12\\3", "contains a backslash (`\\`)"),
        ("a@{1}", "contains `@{`"),
        ("12\x073", "contains a control character (`\\x07`)"),
        ("12\x7f", "contains a control character (`\\x7f`)"),
        ("12\t3", "contains a control character (`\\x09`)"),
    ],
)
def test_ref_rule_rejections_give_the_precise_reason(ticket: str, reason: str) -> None:
    error = refused_ticket(ticket)

    assert error.reason == reason
    assert reason in str(error)
    assert "a number like 123 or a key like INC-123" in str(error)


@pytest.mark.parametrize("ticket", ["", "   "], ids=["empty", "blank"])
def test_empty_and_blank_tickets_are_refused(ticket: str) -> None:
    error = refused_ticket(ticket)

    assert error.reason == "is empty"
    assert str(error) == "The ticket is empty; use a number like 123 or a key like INC-123."


@pytest.mark.parametrize("length", [65, 199, 200, 201, 5000])
def test_long_tickets_are_refused_even_when_the_pattern_allows_them(length: int) -> None:
    error = refused_ticket("1" * length, r"\d+")

    assert error.reason.startswith(f"is {length} characters long")
    assert len(str(error)) < 200  # the value is shortened in the sentence


def test_a_ticket_the_pattern_refuses_says_what_a_ticket_looks_like() -> None:
    error = refused_ticket("spawner")

    assert str(error) == (
        "`spawner` cannot be used as a ticket: it does not look like a ticket; "
        "use a number like 123 or a key like INC-123."
    )


def test_a_custom_pattern_is_named_in_the_advice() -> None:
    assert "a ticket matching `^OPS-\\d+$`" in str(refused_ticket("123", r"^OPS-\d+$"))


@pytest.mark.parametrize(
    ("ticket", "reason"),
    [
        ("a/b", "contains `/`"),
        ("INC-12é", "contains `é`"),
        ("x.lock", "ending with `.lock`"),
    ],
)
def test_custom_patterns_cannot_let_through_what_a_branch_should_not_hold(ticket: str, reason: str) -> None:
    # A permissive pattern still meets git's rules and the conservative character set.
    assert reason in refused_ticket(ticket, r".+").reason


def test_the_message_quotes_the_value_safely() -> None:
    error = refused_ticket("a`b c")

    assert "`a'b c`" in str(error)
    assert "\x07" not in str(refused_ticket("1\x072"))


def test_invalid_ticket_is_a_usage_error_with_one_sentence() -> None:
    error = refused_ticket("../x")

    assert isinstance(error, UsageError)
    assert str(error).count(". ") == 0
    assert str(error).endswith(".")


# --- git's ref-name rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["main", "release/0.2.105", "release/0.2.99-patched-20241010", "hotfix/INC-123", "a" * MAX_REF_LENGTH],
)
def test_good_branch_names_pass(name: str) -> None:
    check_ref_name(name)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "is empty"),
        ("release/../main", "contains `..`"),
        ("release/a b", "contains a space"),
        ("release~1", "contains `~`"),
        ("release^", "contains `^`"),
        ("a:b", "contains `:`"),
        ("a?", "contains `?`"),
        ("a*", "contains `*`"),
        ("a[1", "contains `[`"),
        ("a\\b", "contains a backslash (`\\`)"),
        ("a@{u}", "contains `@{`"),
        ("a\x00b", "contains a control character (`\\x00`)"),
        ("a\nb", "contains a control character (`\\x0a`)"),
        ("@", "is `@`, which git reserves"),
        ("HEAD", "is `HEAD`, which git reserves"),
        ("-x", "starts with `-`"),
        ("/x", "starts with `/`"),
        ("release/", "ends with `/`"),
        ("release.", "ends with `.`"),
        ("a//b", "contains `//`"),
        (".hidden", "has a part starting with `.` (`.hidden`)"),
        ("release/.x", "has a part starting with `.` (`.x`)"),
        ("x.lock", "has a part ending with `.lock` (`x.lock`)"),
        ("x.lock/y", "has a part ending with `.lock` (`x.lock`)"),
        ("a" * (MAX_REF_LENGTH + 1), f"is {MAX_REF_LENGTH + 1} characters long"),
    ],
)
def test_bad_branch_names_give_the_precise_reason(name: str, reason: str) -> None:
    error = refused_ref(name)

    assert error.reason.startswith(reason)
    assert "git branch name" in str(error)
    assert str(error).endswith(f" {error.reason}.")


def test_at_is_allowed_when_not_followed_by_a_brace() -> None:
    check_ref_name("user@host")


# --- the hotfix branch -------------------------------------------------------------------------------


def test_hotfix_branch_uses_the_template() -> None:
    assert DEFAULT_BRANCH_TEMPLATE == "hotfix/{ticket}"
    assert hotfix_branch("INC-123") == "hotfix/INC-123"
    assert hotfix_branch("123", "fix/{ticket}-hot") == "fix/123-hot"


def test_hotfix_branch_checks_the_result_against_git() -> None:
    with pytest.raises(InvalidTicket) as caught:
        hotfix_branch("123", "hotfix/{ticket}.lock")
    assert "hotfix/123.lock" in str(caught.value)
    assert "ending with `.lock`" in str(caught.value)


def test_hotfix_branch_refuses_a_result_over_the_cap() -> None:
    with pytest.raises(InvalidTicket, match="characters long"):
        hotfix_branch("1" * (MAX_REF_LENGTH - 3))


# --- the ticket from an incident channel's name ------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "ticket"),
    [
        ("inc-123-jupyter", "123"),
        ("inc-2291", "2291"),
        ("INC-123", "123"),
        ("incident-77-db", "77"),
        ("inc_45_nginx", "45"),
        ("inc123", "123"),
        ("#inc-9", "9"),
        ("inc-jupyter-55", "55"),
        ("inc-2024-05-outage", "2024"),
    ],
)
def test_incident_number_from_the_channel_name(channel: str, ticket: str) -> None:
    assert ticket_from_channel(channel) == ticket


@pytest.mark.parametrize(
    "channel", ["inc-general", "random", "incoming-123", "prod-inc-123", "inc-db2", "", "inc-", "123"]
)
def test_channels_without_an_incident_number(channel: str) -> None:
    assert ticket_from_channel(channel) is None


def test_channel_number_must_suit_the_pattern() -> None:
    assert ticket_from_channel("inc-123", r"OPS-\d+") is None
    assert ticket_from_channel("inc-123", r"\d{3}") == "123"


def test_a_huge_channel_number_is_not_a_ticket() -> None:
    assert ticket_from_channel("inc-" + "9" * 70) is None


def test_pattern_error_is_a_configuration_mistake() -> None:
    with pytest.raises(re.error):
        validate_ticket("123", "(")
