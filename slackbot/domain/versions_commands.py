"""What `/versions` was asked, parsed from the words after the command. Pure.

The terminal's `slackbot versions …` passes its words through the same parser, so both surfaces
accept exactly the same questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from slackbot.domain.errors import UsageError
from slackbot.domain.quoting import quote

DEFAULT_SINCE = timedelta(days=7)
LONGEST_SINCE = timedelta(days=90)  # git history further back is a job for `git log`
_SINCE = re.compile(r"(?P<count>\d{1,4})(?P<unit>[hdw])")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


@dataclass(frozen=True)
class VersionsHelp:
    pass


@dataclass(frozen=True)
class EnvironmentQuery:
    environment: str  # as typed: an alias or any case resolves later


@dataclass(frozen=True)
class ComponentQuery:
    environment: str
    component: str


@dataclass(frozen=True)
class DiffQuery:
    """`/versions diff prod stg`: how the first environment differs from the second."""

    left: str
    right: str


@dataclass(frozen=True)
class WhereQuery:
    """`/versions where jupyter_hub`: one component in every environment."""

    component: str


@dataclass(frozen=True)
class ChangesQuery:
    """`/versions changes prod [COMPONENT] [--since 7d]`: recent changes of the environment's pins."""

    environment: str
    component: str | None = None
    since: timedelta = DEFAULT_SINCE


VersionsQuery = VersionsHelp | EnvironmentQuery | ComponentQuery | DiffQuery | WhereQuery | ChangesQuery


def parse_versions(text: str) -> VersionsQuery:
    words = text.split()
    if not words or words[0].lower() in {"help", "-h", "--help"}:
        return VersionsHelp()
    verb = words[0].lower()
    if verb == "diff":
        return _diff(words[1:])
    if verb == "where":
        return _where(words[1:])
    if verb == "changes":
        return _changes(words[1:])
    if len(words) > 2:
        raise UsageError(
            f"`/versions` takes an environment and optionally one component, "
            f"for example `/versions {quote(words[0])} {quote(words[1])}`."
        )
    if len(words) == 1:
        return EnvironmentQuery(words[0])
    return ComponentQuery(words[0], words[1])


def _diff(words: list[str]) -> DiffQuery:
    if len(words) != 2:
        raise UsageError("`/versions diff` compares two environments, for example `/versions diff prod stg`.")
    if words[0].lower() == words[1].lower():
        raise UsageError(
            "`/versions diff` needs two different environments, for example `/versions diff prod stg`."
        )
    return DiffQuery(words[0], words[1])


def _where(words: list[str]) -> WhereQuery:
    if len(words) != 1:
        raise UsageError("`/versions where` takes one component, for example `/versions where jupyter_hub`.")
    return WhereQuery(words[0])


def _changes(words: list[str]) -> ChangesQuery:
    since = DEFAULT_SINCE
    rest: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word.lower().startswith("--since"):
            value = word.partition("=")[2] if "=" in word else None
            if value is None:
                index += 1
                value = words[index] if index < len(words) else ""
            since = parse_since(value)
        else:
            rest.append(word)
        index += 1
    if not rest or len(rest) > 2:
        raise UsageError(
            "`/versions changes` takes an environment, optionally one component and `--since`, "
            "for example `/versions changes prod jupyter_hub --since 7d`."
        )
    return ChangesQuery(rest[0], rest[1] if len(rest) == 2 else None, since)


def parse_since(value: str) -> timedelta:
    """``12h``, ``7d`` or ``2w``, at most 90 days."""
    match = _SINCE.fullmatch(value.strip().lower())
    if match is None or int(match["count"]) == 0:
        shown = f"`{quote(value)}`" if value else "nothing"
        raise UsageError(f"`--since` takes a span like `12h`, `7d` or `2w`, not {shown}.")
    span = int(match["count"]) * _UNITS[match["unit"]]
    if span > LONGEST_SINCE:
        raise UsageError("`--since` goes back at most 90 days (`--since 90d`); older history is in git.")
    return span
