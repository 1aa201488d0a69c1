"""What the scheduled jobs follow: roll-outs per environment and back-merges still owed to main."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from slackbot.domain.forge import PullInfo
from slackbot.domain.hotfix import Hotfix
from slackbot.domain.snooze import SnoozeSubject


class RolloutState(StrEnum):
    WAITING = "waiting"
    ROLLED_OUT = "rolled_out"
    FAILED = "failed"
    LATE = "late"
    UNKNOWN = "unknown"  # no probe configured for the environment


@dataclass(frozen=True)
class RolloutTarget:
    """The Flux objects and the commit to look for in one environment."""

    environment: str
    flux_name: str
    namespace: str
    repository: str
    branch: str
    merge_sha: str


@dataclass(frozen=True)
class PendingBackmerge:
    """A branch with commits that ``main`` lacks: a back-merge someone still owes."""

    repository: str
    branch: str
    ahead_by: int
    oldest_commit_at: datetime | None
    pull: PullInfo | None = None  # the open back-merge pull request, if any
    hotfix: Hotfix | None = None  # the hot-fix the bot follows on that branch, if any
    environments: tuple[str, ...] = ()  # environments pinning this branch

    @property
    def snooze_subject(self) -> SnoozeSubject:
        if self.hotfix is not None:
            return SnoozeSubject.of_hotfix(self.hotfix.ticket)
        return SnoozeSubject.of_branch(self.repository, self.branch)
