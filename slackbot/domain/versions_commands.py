"""What `/versions` was asked, parsed from the words after the command. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from slackbot.domain.errors import UsageError


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


VersionsQuery = VersionsHelp | EnvironmentQuery | ComponentQuery


def parse_versions(text: str) -> VersionsQuery:
    words = text.split()
    if not words or words[0].lower() in {"help", "-h", "--help"}:
        return VersionsHelp()
    if len(words) > 2:
        raise UsageError(
            f"`/versions` takes an environment and optionally one component, "
            f"for example `/versions {words[0]} {words[1]}`."
        )
    if len(words) == 1:
        return EnvironmentQuery(words[0])
    return ComponentQuery(words[0], words[1])
