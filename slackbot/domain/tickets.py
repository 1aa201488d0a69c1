"""Tickets and the git branch names made from them. Pure: no git call, no I/O.

A ticket becomes part of a git ref (``hotfix/INC-123``), so every ticket is checked three ways,
each failure with its precise reason:

1. git's ``check-ref-format`` rules for a branch name, reimplemented in :func:`check_ref_name`;
2. a conservative character set (ASCII letters, digits, ``.``, ``_`` and ``-``) and a length of at
   most :data:`MAX_TICKET_LENGTH`, so a ticket is one path component that reads the same everywhere;
3. the configured ticket pattern (default: ``123`` or ``INC-123``), matched against the whole ticket.

The ref-name rules come first so ``../x`` is refused for containing ``..`` rather than for not
looking like a ticket.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from slackbot.domain.errors import UsageError
from slackbot.domain.quoting import quote

__all__ = [
    "DEFAULT_BRANCH_TEMPLATE",
    "DEFAULT_TICKET_PATTERN",
    "MAX_REF_LENGTH",
    "MAX_TICKET_LENGTH",
    "TICKET_EXAMPLE",
    "InvalidTicket",
    "check_ref_name",
    "describe_pattern",
    "hotfix_branch",
    "ref_name_problem",
    "ticket_from_channel",
    "ticket_problem",
    "validate_ticket",
]

DEFAULT_TICKET_PATTERN = r"^(?:\d+|[A-Za-z][A-Za-z0-9]*-\d+)$"  # "123", "INC-123"
DEFAULT_BRANCH_TEMPLATE = "hotfix/{ticket}"
TICKET_EXAMPLE = "a number like 123 or a key like INC-123"

# Git itself has no length limit, but each component becomes a file name under .git/refs (255
# bytes on most file systems) and forges show long names badly. 200 is a conservative cap: names
# of up to 200 characters pass, longer ones are refused.
MAX_REF_LENGTH = 200
# A ticket is a short key; this leaves room for the branch template around it.
MAX_TICKET_LENGTH = 64

# Characters git refuses anywhere in a ref name (besides control characters), with how to name them.
_FORBIDDEN_CHARACTERS = {
    " ": "a space",
    "~": "`~`",
    "^": "`^`",
    ":": "`:`",
    "?": "`?`",
    "*": "`*`",
    "[": "`[`",
    "\\": "a backslash (`\\`)",
}
_TICKET_CHARACTERS = re.compile(r"[A-Za-z0-9._-]")
_SHOWN_LENGTH = 40


class InvalidTicket(UsageError):
    """A ticket or branch name that cannot be used; ``str()`` is one sentence saying why and what works.

    ``value`` is what was given, ``reason`` the bare reason (``contains `..```).
    """

    def __init__(
        self, value: str, reason: str, *, subject: str = "ticket", advice: str | None = None
    ) -> None:
        self.value = value
        self.reason = reason
        self.subject = subject
        if advice is None:
            advice = f"use {TICKET_EXAMPLE}" if subject == "ticket" else ""
        tail = f"; {advice}" if advice else ""
        if value.strip():
            message = f"`{_shown(value)}` cannot be used as {_article(subject)} {subject}: it {reason}{tail}."
        else:
            message = f"The {subject} is empty{tail}."
        super().__init__(message)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _shown(value: str) -> str:
    """The value made safe to quote in Slack (:func:`quoting.quote`), shortened to a ticket's length."""
    return quote(value, _SHOWN_LENGTH)


def _escape(ch: str) -> str:
    if ch.isprintable() or ch == " ":
        return ch
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def _is_control(ch: str) -> bool:
    return ord(ch) < 0x20 or ord(ch) == 0x7F


def ref_name_problem(name: str) -> str | None:
    """Why git would refuse ``name`` as a branch name (``"contains `..`"``), or None when it is fine.

    The rules of ``git check-ref-format --branch``: not empty; no ASCII control character, space,
    ``~ ^ : ? * [ \\``; no ``..``, ``@{`` or ``//``; not ``@``; not starting with ``-`` or ``/``;
    not ending with ``/`` or ``.``; no ``/``-separated part starting with ``.`` or ending with
    ``.lock``; not ``HEAD``. Plus a conservative length cap of :data:`MAX_REF_LENGTH` characters.
    """
    if not name:
        return "is empty"
    if len(name) > MAX_REF_LENGTH:
        return f"is {len(name)} characters long (the bot allows at most {MAX_REF_LENGTH})"
    return _character_problem(name) or _shape_problem(name)


def _character_problem(name: str) -> str | None:
    control = next((ch for ch in name if _is_control(ch)), None)
    if control is not None:
        return f"contains a control character (`{_escape(control)}`)"
    forbidden = next((ch for ch in name if ch in _FORBIDDEN_CHARACTERS), None)
    if forbidden is not None:
        return f"contains {_FORBIDDEN_CHARACTERS[forbidden]}"
    sequence = next((s for s in ("..", "@{", "//") if s in name), None)
    return f"contains `{sequence}`" if sequence is not None else None


_SHAPE_RULES: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda name: name == "@", "is `@`, which git reserves"),
    (lambda name: name == "HEAD", "is `HEAD`, which git reserves"),
    (lambda name: name.startswith("-"), "starts with `-`"),
    (lambda name: name.startswith("/"), "starts with `/`"),
    (lambda name: name.endswith("/"), "ends with `/`"),
    (lambda name: name.endswith("."), "ends with `.`"),
)


def _shape_problem(name: str) -> str | None:
    reason = next((reason for rule, reason in _SHAPE_RULES if rule(name)), None)
    if reason is not None:
        return reason
    for part in name.split("/"):
        if part.startswith("."):
            return f"has a part starting with `.` (`{_shown(part)}`)"
        if part.endswith(".lock"):
            return f"has a part ending with `.lock` (`{_shown(part)}`)"
    return None


def check_ref_name(name: str) -> None:
    """Raise :class:`InvalidTicket` with the precise reason when git would refuse ``name`` as a
    branch name (see :func:`ref_name_problem` for the rules)."""
    problem = ref_name_problem(name)
    if problem is not None:
        raise InvalidTicket(name, problem, subject="git branch name")


@lru_cache(maxsize=32)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def describe_pattern(pattern: str) -> str:
    """What a ticket should look like, for messages: the example for the default pattern."""
    return TICKET_EXAMPLE if pattern == DEFAULT_TICKET_PATTERN else f"a ticket matching `{pattern}`"


def ticket_problem(ticket: str, pattern: str = DEFAULT_TICKET_PATTERN) -> str | None:
    """Why ``ticket`` (already stripped) is refused, or None when it is a good ticket."""
    problem = ref_name_problem(ticket)
    if problem is not None:
        return problem
    if len(ticket) > MAX_TICKET_LENGTH:
        return f"is {len(ticket)} characters long (tickets have at most {MAX_TICKET_LENGTH})"
    odd = next((ch for ch in ticket if not _TICKET_CHARACTERS.fullmatch(ch)), None)
    if odd is not None:
        return f"contains `{_shown(odd)}` (tickets use only letters, digits, `.`, `_` and `-`)"
    if _compiled(pattern).fullmatch(ticket) is None:
        return "does not look like a ticket"
    return None


def validate_ticket(ticket: str, pattern: str = DEFAULT_TICKET_PATTERN) -> str:
    """The ticket without surrounding whitespace, or :class:`InvalidTicket` saying what is wrong.

    ``pattern`` must match the whole ticket (``re.fullmatch``). A malformed ``pattern`` raises
    ``re.error``: that is a configuration mistake, to be caught when settings load.
    """
    stripped = ticket.strip()
    problem = ticket_problem(stripped, pattern)
    if problem is not None:
        raise InvalidTicket(stripped, problem, advice=f"use {describe_pattern(pattern)}")
    return stripped


def hotfix_branch(ticket: str, template: str = DEFAULT_BRANCH_TEMPLATE) -> str:
    """The branch for ``ticket`` (``hotfix/INC-123``), checked against git's rules.

    The ticket is used as given: validate it first with :func:`validate_ticket`.
    """
    branch = template.format(ticket=ticket)
    problem = ref_name_problem(branch)
    if problem is not None:
        raise InvalidTicket(
            branch,
            problem,
            subject="git branch name",
            advice=f"check the ticket `{_shown(ticket)}` and the branch template `{_shown(template)}`",
        )
    return branch


# "inc-123-jupyter", "inc_2291", "INC123", "#incident-77-db": the prefix, then words split on
# "-", "_" or "."; the first word made only of digits is the incident number.
_CHANNEL = re.compile(r"#?(?:incident|inc)(?P<rest>(?:[-_.].*|\d.*)?)", re.IGNORECASE)


def ticket_from_channel(channel_name: str, pattern: str = DEFAULT_TICKET_PATTERN) -> str | None:
    """The incident number in an incident channel's name, or None when it carries none.

    ``inc-123-jupyter``, ``inc-2291``, ``INC-123``, ``incident-77-db`` and ``inc123`` give the
    digits (``123``); ``inc-jupyter-123`` gives ``123`` too (the first part made only of digits),
    while ``inc-general``, ``inc-db2`` and ``random`` give None. The number must also be a valid
    ticket under ``pattern``; when it is not (a pattern that only accepts ``INC-123``), None.
    """
    match = _CHANNEL.fullmatch(channel_name.strip())
    if match is None:
        return None
    for part in re.split(r"[-_.]", match.group("rest")):
        if part.isascii() and part.isdigit():
            return part if ticket_problem(part, pattern) is None else None
    return None
