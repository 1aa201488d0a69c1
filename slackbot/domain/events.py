"""What happened, as data: the services report these, the edges (Slack, the terminal) word them.

Two families:

- *thread events*: news worth one reply in a hot-fix's thread. Each has a ``key``, the name
  under which it is announced once (``pr:12``): whichever copy of the bot claims that key first
  posts it, and nobody posts it again;
- *replies*: the answer to the person who asked (``/hotfix pr INC-1`` → :class:`PullRequested`).

Pure: nothing here knows Slack's markup, emoji or command syntax; ``slackbot.render`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from slackbot.domain.followup import PendingBackmerge
from slackbot.domain.hotfix import Hotfix
from slackbot.domain.snooze import SnoozeSubject


@dataclass(frozen=True)
class Rollout:
    """Where a merge rolls out, and how soon Flux is expected to have applied it."""

    environments: tuple[str, ...]
    within: timedelta


# -- thread events --------------------------------------------------------------------------------


class Keyed:
    """News announced once, under a key made from its fields (``KEY = "pr:{number}"``)."""

    KEY: ClassVar[str]

    @property
    def key(self) -> str:
        return self.KEY.format_map(vars(self))


@dataclass(frozen=True)
class AboutHotfix:
    """News, or an answer, about one hot-fix."""

    hotfix: Hotfix


@dataclass(frozen=True)
class AboutPull(AboutHotfix):
    """News about one of the hot-fix's pull requests."""

    number: int


@dataclass(frozen=True)
class BranchCut(AboutHotfix, Keyed):
    adopted: bool  # the branch existed already (an earlier attempt, or a person) and was taken over
    KEY = "branched"


@dataclass(frozen=True)
class PullOpened(AboutPull, Keyed):
    url: str
    rollout: Rollout

    KEY = "pr:{number}"


@dataclass(frozen=True)
class Merged(AboutHotfix, Keyed):
    rollout: Rollout
    main_branch: str
    KEY = "merged"


class PullClosed(AboutPull, Keyed):
    KEY = "closed:{number}"


@dataclass(frozen=True)
class BackmergeOpened(AboutPull, Keyed):
    url: str
    main_branch: str
    mergeable: bool | None  # None: GitHub is still checking

    KEY = "backmerge:{number}"


@dataclass(frozen=True)
class BackmergeClosed(AboutPull, Keyed):
    main_branch: str

    KEY = "backmerge-closed:{number}"


class HowCompleted(StrEnum):
    BACKMERGED = "backmerged"  # its back-merge pull request was merged
    ALREADY_IN_MAIN = "already_in_main"  # promoting found main already had every commit
    BY_HAND = "by_hand"  # main got the commits some other way, noticed by the reminders


@dataclass(frozen=True)
class Completed(AboutHotfix, Keyed):
    how: HowCompleted
    main_branch: str
    KEY = "done"


@dataclass(frozen=True)
class Cancelled(AboutHotfix, Keyed):
    by_user: str  # Slack user id, or cli:<user>
    KEY = "cancelled"


@dataclass(frozen=True)
class BranchDeleted(AboutHotfix, Keyed):
    closed_pull: int | None  # the pull request GitHub closed with it
    KEY = "branch-deleted"


@dataclass(frozen=True)
class ReportReady(AboutHotfix, Keyed):
    """The hot-fix is complete: its timeline for the post-incident review, as the stable JSON document
    of :mod:`slackbot.domain.report_document` (plain data, so it can be written down before it is told)."""

    document: Mapping[str, Any]
    KEY = "report"


@dataclass(frozen=True)
class AboutEnvironment:
    """News about a merge's roll-out in one environment."""

    environment: str
    sha: str


@dataclass(frozen=True)
class RolledOut(AboutEnvironment, Keyed):
    took: timedelta

    KEY = "rollout:{environment}"


@dataclass(frozen=True)
class RolloutFailed(AboutEnvironment, Keyed):
    applied: bool  # Flux applied the commit (else it only tried to)
    revision: str | None
    reason: str | None
    message: str | None

    KEY = "rollout-failed:{environment}:{revision}"


@dataclass(frozen=True)
class RolloutLate(AboutEnvironment, Keyed):
    waited: timedelta
    deadline: timedelta
    reason: str | None
    message: str | None

    KEY = "rollout-late:{environment}"


@dataclass(frozen=True)
class RolloutUnwatchable(Keyed):
    """The Flux objects to watch are missing from the cluster."""

    environment: str
    detail: str

    KEY = "rollout-missing:{environment}"


@dataclass(frozen=True)
class Unreachable:
    """A system the follow-up needs (GitHub, a cluster) stopped answering: told once, until it is back."""

    system: str
    detail: str  # what the adapter said


@dataclass(frozen=True)
class Reachable:
    system: str  # answers again


# News announced once, under its key.
Announcement = (
    BranchCut
    | PullOpened
    | Merged
    | PullClosed
    | BackmergeOpened
    | BackmergeClosed
    | Completed
    | Cancelled
    | BranchDeleted
    | ReportReady
    | RolledOut
    | RolloutFailed
    | RolloutLate
    | RolloutUnwatchable
)
ThreadEvent = Announcement | Unreachable | Reachable


# -- reminders --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackmergeReminder:
    """Main still lacks a followed hot-fix's base branch: reminded in its thread, once a day."""

    item: PendingBackmerge
    hotfix: Hotfix
    main_branch: str


@dataclass(frozen=True)
class Escalation:
    """A back-merge still pending after several reminders: told in the team channel."""

    item: PendingBackmerge
    hotfix: Hotfix
    reminders: int
    main_branch: str


@dataclass(frozen=True)
class Digest:
    """The release branches main lacks that nobody follows in a thread: one post a day."""

    items: tuple[PendingBackmerge, ...]
    main_branch: str


ChannelPost = Escalation | Digest


# -- replies to the person who asked ------------------------------------------------------------------


@dataclass(frozen=True)
class AlreadyStarted(AboutHotfix):
    thread_pending: bool  # its thread is still being posted by another attempt


class Started(AboutHotfix):
    """The branch is cut (and, for a pin or an adopted branch, the pull request opened)."""


class PullAlreadyOpen(AboutHotfix):
    pass


@dataclass(frozen=True)
class PullRequested(AboutHotfix):
    url: str


class NoBackmergeNeeded(AboutHotfix):
    """A pin changes an environment branch, which is never back-merged."""


@dataclass(frozen=True)
class AboutMain(AboutHotfix):
    """An answer about the back-merge into the main branch."""

    main_branch: str


class AlreadyBackmerged(AboutMain):
    pass


class NothingToBackmerge(AboutMain):
    """Main already had every commit of the base: the hot-fix is complete."""


@dataclass(frozen=True)
class BackmergeRequested(AboutHotfix):
    url: str
    mergeable: bool | None


class StoppedTracking(AboutHotfix):
    """Cancelled: the bot stops following it; nothing was deleted."""


@dataclass(frozen=True)
class Snoozed:
    subject: SnoozeSubject
    until: datetime


Reply = (
    AlreadyStarted
    | Started
    | PullAlreadyOpen
    | PullRequested
    | NoBackmergeNeeded
    | AlreadyBackmerged
    | NothingToBackmerge
    | BackmergeRequested
    | StoppedTracking
    | Snoozed
)
