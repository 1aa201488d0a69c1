"""What a hot-fix command tells the person who asked (the thread gets its own news)."""

from __future__ import annotations

from dataclasses import dataclass

from slackbot.domain.events import Reply
from slackbot.domain.hotfix import Hotfix
from slackbot.domain.hotfix_report import HotfixReport
from slackbot.domain.views import ThreadView


@dataclass(frozen=True)
class Outcome:
    reply: Reply
    thread_link: str | None = None

    @property
    def hotfix(self) -> Hotfix | None:
        found: Hotfix | None = getattr(self.reply, "hotfix", None)
        return found


@dataclass(frozen=True)
class StatusList:
    """`/hotfix status`: the hot-fixes asked about, each as its thread shows it."""

    views: tuple[ThreadView, ...]


@dataclass(frozen=True)
class HelpText:
    """`/hotfix help`."""


@dataclass(frozen=True)
class StartForm:
    """`/hotfix` alone: the form to start one, with the names to choose from."""

    environments: tuple[str, ...]
    components: tuple[str, ...]  # the configured ones
    core: str  # what to choose for a hot-fix of the core repository itself


@dataclass(frozen=True)
class ReportAnswer:
    """`/hotfix report TICKET`: the timeline of each hot-fix with that ticket (usually one), oldest first."""

    reports: tuple[HotfixReport, ...]


Answer = Outcome | StatusList | HelpText | StartForm | ReportAnswer
