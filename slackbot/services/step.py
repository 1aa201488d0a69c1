"""What every step of the hot-fix lifecycle works with: GitHub, the records, the thread, the rules;
and opening a pull request so that a lost answer is read back rather than reported as a failure."""

from __future__ import annotations

from dataclasses import dataclass

from slackbot.domain.errors import OUTSIDE_FAILURES, Unanswered, Unconfirmed
from slackbot.domain.forge import PullInfo
from slackbot.services.access import Access
from slackbot.services.announcer import Announcer
from slackbot.services.ports import Forge
from slackbot.services.records import HotfixRecords


@dataclass(frozen=True, kw_only=True)
class LifecycleStep:
    forge: Forge
    records: HotfixRecords
    announcer: Announcer
    access: Access

    def open_pull(self, repository: str, head: str, base: str, title: str, body: str) -> PullInfo:
        """Open a pull request (or take the one open already). When GitHub's answer is lost (a 5xx,
        a dropped connection) it may have opened it: read back, and take the one there; raises
        :class:`Unconfirmed` when that read fails too (whether it was opened is not known)."""
        try:
            return self.forge.open_pull(repository, head, base, title, body)
        except Unanswered as error:
            try:
                found = self.forge.find_pull(repository, head, base)
                pull = self.forge.pull(repository, found.number) if found else None
            except OUTSIDE_FAILURES as unknown:
                raise Unconfirmed(str(error)) from unknown
            if pull is None:
                raise  # not there: it was not opened
            return pull
