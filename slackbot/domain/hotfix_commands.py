"""Parse the text typed after ``/hotfix`` into a small command object. Pure: no config, no I/O.

Environment and component names are returned as typed; resolving them needs the configuration
and is the service's job. Tickets are validated here (:func:`tickets.validate_ticket`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from slackbot.domain.errors import UsageError
from slackbot.domain.hotfix import PinField
from slackbot.domain.quoting import quote
from slackbot.domain.references import image_problem, version_problem
from slackbot.domain.snooze import SnoozeSubject
from slackbot.domain.tickets import (
    DEFAULT_TICKET_PATTERN,
    InvalidTicket,
    check_ref_name,
    describe_pattern,
    ticket_problem,
    validate_ticket,
)

__all__ = [
    "MAX_SNOOZE",
    "PIN_OPTIONS",
    "SUBCOMMANDS",
    "Cancel",
    "Help",
    "HotfixCommand",
    "MakeLike",
    "OpenModal",
    "OpenPr",
    "PinRequest",
    "Promote",
    "Report",
    "Snooze",
    "Start",
    "Status",
    "parse_duration",
    "parse_hotfix",
    "usage",
]

SUBCOMMANDS = ("pr", "promote", "status", "report", "cancel", "snooze", "help")
PIN_OPTIONS: dict[str, PinField] = {
    "--chart": PinField.CHART,
    "--image": PinField.IMAGE,
    "--branch": PinField.BRANCH,
}
MAX_SNOOZE = timedelta(days=30)

START_FORM = "`/hotfix ENV COMPONENT [TICKET] [summary…]`"
START_EXAMPLE = "`/hotfix prod jupyter_hub 123 spawner times out`"


@dataclass(frozen=True)
class PinRequest:
    field: PinField
    value: str


@dataclass(frozen=True)
class Start:
    environment: str
    component: str
    ticket: str | None  # None: take it from the channel name, or ask
    summary: str
    pin: PinRequest | None = None
    more_pins: tuple[PinRequest, ...] = ()  # "make prod like stg": the component's other pins

    def __post_init__(self) -> None:
        if self.more_pins and self.pin is None:
            raise ValueError("a start with more pins needs its first one in `pin`")
        fields = [pin.field.value for pin in self.pins]
        if len(set(fields)) != len(fields):
            raise ValueError(f"a pin hot-fix changes each field at most once, not {fields}")

    @property
    def pins(self) -> tuple[PinRequest, ...]:
        """Every pin asked for, ``pin`` first; () for a branch hot-fix."""
        return () if self.pin is None else (self.pin, *self.more_pins)


@dataclass(frozen=True)
class MakeLike:
    """The "Make prod like stg" button of `/versions diff`: a pin hot-fix giving ``target``'s pins
    for ``component`` the values ``source`` pins now (names as the button carries them)."""

    target: str
    source: str
    component: str


@dataclass(frozen=True)
class TicketCommand:
    """A command about one active hot-fix, named by its ticket."""

    ticket: str


class OpenPr(TicketCommand):
    """Open the pull request from the hot-fix branch into its base."""


class Promote(TicketCommand):
    """Open (or reuse) the back-merge pull request from the base into main."""


class Cancel(TicketCommand):
    """Stop tracking the hot-fix; nothing is deleted."""


@dataclass(frozen=True)
class Snooze(TicketCommand):
    duration: timedelta


@dataclass(frozen=True)
class Status:
    ticket: str | None  # None: every active hot-fix


@dataclass(frozen=True)
class Report:
    """The timeline of a hot-fix (any stage) for its post-incident review."""

    ticket: str


@dataclass(frozen=True)
class SnoozeReminders:
    """Snooze what a reminder's button names: a hot-fix, or a release branch nobody follows."""

    subject: SnoozeSubject
    duration: timedelta


@dataclass(frozen=True)
class Help:
    """`/hotfix help`: every form of the command."""


@dataclass(frozen=True)
class OpenModal:
    """`/hotfix` alone: the form to start one."""


HotfixCommand = (
    Start
    | OpenPr
    | Promote
    | Status
    | Cancel
    | Snooze
    | SnoozeReminders
    | Help
    | OpenModal
    | MakeLike
    | Report
)


def usage() -> str:
    """Every form of the command with an example (Slack mrkdwn)."""
    return "\n".join(
        (
            "*Hot-fixes* (in an incident channel):",
            "• `/hotfix` opens a form to start one",
            f"• {START_FORM} cuts `hotfix/TICKET` from the release branch ENV uses, "
            f"for example {START_EXAMPLE} (the ticket defaults to the channel's incident number)",
            "• `/hotfix ENV COMPONENT --chart VERSION [TICKET] [summary…]` changes one pin on ENV's core "
            "branch, for example `/hotfix prod jupyter_hub --chart 3.2.2 INC-123`; "
            "also `--image repo/name:tag` and `--branch release/0.2.106`",
            "• `/hotfix pr TICKET` opens the pull request now, for example `/hotfix pr INC-123`",
            "• `/hotfix promote TICKET` opens the pull request back into `main`, "
            "for example `/hotfix promote INC-123`",
            "• `/hotfix status [TICKET]` lists hot-fixes, for example `/hotfix status`",
            "• `/hotfix report TICKET` shows a hot-fix's timeline for its post-incident review, "
            "for example `/hotfix report INC-123`",
            "• `/hotfix cancel TICKET` stops tracking one (nothing is deleted), "
            "for example `/hotfix cancel INC-123`",
            "• `/hotfix snooze TICKET DURATION` pauses reminders (30m, 12h, 2d or 1w), "
            "for example `/hotfix snooze INC-123 2d`",
            "• `/hotfix help` shows this",
        )
    )


# --------------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------------

_SPACES = re.compile(r"[\u00a0\u2007\u202f\u2000-\u200a\u3000]")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})  # noqa: RUF001
# Autocorrect turns "--chart" into an em dash or an en dash followed by "chart".
_DASHES = re.compile(r"^(?:\u2014|\u2013|\u2013-|-\u2013)(?=(?:chart|image|branch)\b)", re.IGNORECASE)


def _words(text: str) -> list[str]:
    normalised = _SPACES.sub(" ", text).translate(_QUOTES)
    return [_DASHES.sub("--", word) for word in normalised.split()]


def _unquoted(value: str) -> str:
    """``"3.2.2"`` -> ``3.2.2``: one pair of matching quotes around a whole value is not part of it."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _shown(word: str) -> str:
    return quote(word)


# --------------------------------------------------------------------------------------------
# Subcommands
# --------------------------------------------------------------------------------------------


def _needs_ticket(name: str) -> UsageError:
    return UsageError(f"`/hotfix {name}` needs the ticket, for example `/hotfix {name} INC-123`.")


def _too_many(name: str, form: str, extra: list[str]) -> UsageError:
    return UsageError(
        f"`/hotfix {name}` takes only {form}, not `{_shown(' '.join(extra))}`: "
        f"for example `/hotfix {name} INC-123`."
    )


def _ticket_only(name: str, args: list[str], pattern: str) -> str:
    if not args:
        raise _needs_ticket(name)
    if len(args) > 1:
        raise _too_many(name, "the ticket", args[1:])
    return validate_ticket(_unquoted(args[0]), pattern)


_DURATION = re.compile(r"(?P<amount>\d{1,6})\s*(?P<unit>[a-z]+)", re.IGNORECASE)
_UNITS: dict[str, timedelta] = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), timedelta(minutes=1)),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), timedelta(hours=1)),
    **dict.fromkeys(("d", "day", "days"), timedelta(days=1)),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), timedelta(weeks=1)),
}


def parse_duration(text: str) -> timedelta:
    """``30m``, ``12h``, ``2d``, ``1w`` (also ``2days``, ``1 week``) as a timedelta, at most
    :data:`MAX_SNOOZE`; anything else is a :class:`UsageError`."""
    match = _DURATION.fullmatch(text.strip())
    unit = _UNITS.get(match.group("unit").lower()) if match else None
    if match is None or unit is None:
        raise UsageError(
            f"`{_shown(text)}` is not a duration; use a number and a unit, like 30m, 12h, 2d or 1w."
        )
    duration = int(match.group("amount")) * unit
    if duration <= timedelta(0):
        raise UsageError("A snooze must last a while; use a duration like 30m, 12h, 2d or 1w.")
    if duration > MAX_SNOOZE:
        raise UsageError(
            f"`{_shown(text)}` is too long to snooze; the most is {MAX_SNOOZE.days} days (like 4w or 30d)."
        )
    return duration


def _snooze(args: list[str], pattern: str) -> Snooze:
    if not args:
        raise UsageError(
            "`/hotfix snooze` needs the ticket and how long, for example `/hotfix snooze INC-123 2d`."
        )
    ticket = validate_ticket(_unquoted(args[0]), pattern)
    if len(args) == 1:
        raise UsageError(
            f"`/hotfix snooze` needs how long as well, for example `/hotfix snooze {ticket} 2d` "
            "(30m, 12h, 2d or 1w)."
        )
    duration_text = " ".join(args[1:])  # "1 week" arrives as two words
    return Snooze(ticket=ticket, duration=parse_duration(duration_text))


def _subcommand(name: str, args: list[str], pattern: str) -> HotfixCommand:
    if name == "help":
        return Help()
    if name == "pr":
        return OpenPr(_ticket_only(name, args, pattern))
    if name == "promote":
        return Promote(_ticket_only(name, args, pattern))
    if name in ("cancel", "report"):
        return (Cancel if name == "cancel" else Report)(_ticket_only(name, args, pattern))
    if name == "status":
        if len(args) > 1:
            raise _too_many(name, "one ticket, or nothing to list them all", args[1:])
        return Status(validate_ticket(_unquoted(args[0]), pattern) if args else None)
    return _snooze(args, pattern)


# --------------------------------------------------------------------------------------------
# Start
# --------------------------------------------------------------------------------------------

# Characters that mark a word as a ticket someone tried to type (`../x`, `INC:123`) rather than
# the first word of a summary: git refuses them in a branch name.
_ATTEMPTED = re.compile(r"[/~^:?*\[\\\x00-\x1f\x7f]|\.\.|@\{")


def _option(word: str) -> tuple[str, str | None] | None:
    """``--chart`` -> (``--chart``, None); ``--chart=3.2.2`` -> (``--chart``, ``3.2.2``); ``-c`` is an
    (unknown) option too; any other word gives None."""
    if not (word.startswith("--") and len(word) > 2) and re.match(r"-[A-Za-z]", word) is None:
        return None
    name, equals, value = word.partition("=")
    return name.lower(), (value if equals else None)


def _pin_value(option: str, field: PinField, raw: str) -> PinRequest:
    value = _unquoted(raw)
    example = _option_example(option)
    if not value:
        raise UsageError(f"`{option}` needs a value, for example {example}.")
    if any(not ch.isprintable() or ch.isspace() for ch in value):
        raise UsageError(
            f"The `{option}` value `{_shown(value)}` has spaces or control characters; {example}."
        )
    if field is PinField.BRANCH:
        check_ref_name(value)
    if field is PinField.CHART and (problem := version_problem(value)) is not None:
        raise UsageError(
            f"`{_shown(value)}` is not a chart version: it {problem}; "
            "use a SemVer version like `3.2.2`, `v3.2.2` or `1.0.0-rc.1`."
        )
    if field is PinField.IMAGE and (problem := image_problem(value)) is not None:
        raise UsageError(
            f"`{_shown(value)}` is not an image reference: it {problem}; "
            "use `[registry[:port]/]path[:tag][@sha256:digest]`, like `ghcr.io/org/name:1.2.3`."
        )
    return PinRequest(field, value)


def pin_request(*, chart: str | None, image: str | None, branch: str | None) -> PinRequest | None:
    """The pin a command line's ``--chart``/``--image``/``--branch`` asks for, checked as in Slack."""
    given = [
        (f"--{name}", value)
        for name, value in (("chart", chart), ("image", image), ("branch", branch))
        if value is not None
    ]
    if len(given) > 1:
        raise UsageError("Give only one of `--chart`, `--image` or `--branch`; one pin per hot-fix.")
    if not given:
        return None
    option, value = given[0]
    return _pin_value(option, PIN_OPTIONS[option], value)


def _option_example(option: str) -> str:
    values = {"--chart": "3.2.2", "--image": "repo/name:tag", "--branch": "release/0.2.106"}
    return f"`/hotfix prod jupyter_hub {option} {values.get(option, 'VALUE')} INC-123`"


def _ticket_or_none(word: str, pattern: str, environment: str, component: str) -> str | None:
    """``word`` as the ticket; None when it is the first word of the summary instead.

    A word that looks like an attempted ticket but could never be a branch name (``../x``,
    ``INC:123``), or that has the ticket shape but fails another rule (too long), is refused
    rather than silently read as summary text.
    """
    candidate = _unquoted(word)
    problem = ticket_problem(candidate, pattern)
    if problem is None:
        return candidate
    if _ATTEMPTED.search(candidate):
        raise InvalidTicket(
            candidate,
            problem,
            advice=(
                f"use {describe_pattern(pattern)} (to begin with the summary, give the ticket first: "
                f"`/hotfix {_shown(environment)} {_shown(component)} INC-123 {_shown(word)} …`)"
            ),
        )
    if re.fullmatch(pattern, candidate) is not None:  # the ticket's shape, refused for another reason
        raise InvalidTicket(candidate, problem, advice=f"use {describe_pattern(pattern)}")
    return None


def _start(words: list[str], pattern: str) -> Start:
    environment = words[0]
    if environment.startswith("-"):
        raise UsageError(
            f"Start with the environment and component: {START_FORM}, for example "
            "`/hotfix prod jupyter_hub --chart 3.2.2 INC-123`."
        )
    if len(words) < 2 or words[1].startswith("-"):
        raise UsageError(
            f"`/hotfix {_shown(environment)}` needs a component too: {START_FORM}, "
            f"for example {START_EXAMPLE}."
        )
    component = words[1]
    pin: PinRequest | None = None
    ticket: str | None = None
    rest = words[2:]
    index = 0
    # Options and the ticket, in any order, before the summary.
    while index < len(rest):
        word = rest[index]
        option = _option(word)
        if option is not None:
            name, value = option
            field = PIN_OPTIONS.get(name)
            if field is None:
                raise UsageError(
                    f"`{_shown(name)}` is not an option; use `--chart`, `--image` or `--branch`."
                )
            if pin is not None:
                raise UsageError("Give only one of `--chart`, `--image` or `--branch`; one pin per hot-fix.")
            if value is None:
                following = rest[index + 1] if index + 1 < len(rest) else None
                if following is None or following.startswith("--"):
                    raise UsageError(f"`{name}` needs a value, for example {_option_example(name)}.")
                value = following
                index += 1
            pin = _pin_value(name, field, value)
            index += 1
            continue
        if ticket is None:
            ticket = _ticket_or_none(word, pattern, environment, component)
            if ticket is not None:
                index += 1
                continue
        break
    summary_words = rest[index:]
    misplaced = next((w for w in summary_words if (o := _option(w)) and o[0] in PIN_OPTIONS), None)
    if misplaced is not None:
        raise UsageError(
            f"Put `{_shown(misplaced.partition('=')[0])}` right after the component, before the summary, "
            "for example `/hotfix prod jupyter_hub --chart 3.2.2 INC-123 bump the chart`."
        )
    summary = _unquoted(" ".join(summary_words)).strip()
    return Start(environment=environment, component=component, ticket=ticket, summary=summary, pin=pin)


def parse_hotfix(text: str, ticket_pattern: str = DEFAULT_TICKET_PATTERN) -> HotfixCommand:
    """The command in ``text`` (what follows ``/hotfix``), or :class:`UsageError` with one sentence.

    The first word is a subcommand (any case) when it is one of :data:`SUBCOMMANDS`, otherwise the
    environment of a start. Tickets are validated with ``ticket_pattern``
    (:class:`tickets.InvalidTicket`, a UsageError, says why).
    """
    words = _words(text)
    if not words:
        return OpenModal()
    first = words[0].lower()
    if first in SUBCOMMANDS:
        return _subcommand(first, words[1:], ticket_pattern)
    return _start(words, ticket_pattern)
