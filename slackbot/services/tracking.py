"""Following a hot-fix on GitHub: its branch gets commits, its pull requests merge or close.

GitHub is the source of truth: each refresh reads the branch and pull requests and moves the
hot-fix to match, announcing each change once. A person may also stop tracking one (nothing is
ever deleted) or ask for the status of all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slackbot.domain.errors import OUTSIDE_FAILURES, NotFound, unfinished
from slackbot.domain.events import (
    BackmergeClosed,
    BranchDeleted,
    Cancelled,
    Completed,
    HowCompleted,
    Merged,
    PullClosed,
    StoppedTracking,
)
from slackbot.domain.hotfix import Hotfix, Stage
from slackbot.services.access import Actor, HotfixPolicy
from slackbot.services.outcome import Outcome, StatusList
from slackbot.services.ports import Ledger
from slackbot.services.pulls import PullRequests
from slackbot.services.records import BOT_ACTOR
from slackbot.services.step import LifecycleStep

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class HotfixTracker(LifecycleStep):
    ledger: Ledger
    pulls: PullRequests
    policy: HotfixPolicy

    # -- asked by a person ------------------------------------------------------------------------

    def cancel(self, ticket: str, actor: Actor) -> Outcome:
        self.access.authorize_steering(actor)
        hotfix = self.records.one(ticket)
        hotfix = self.records.moved(hotfix, hotfix.cancelled())
        self.announcer.announce(hotfix, Cancelled(hotfix, by_user=actor.name))
        self.records.audit(actor, "cancel", hotfix, "ok")
        return Outcome(StoppedTracking(hotfix))

    def status(self, ticket: str | None = None) -> StatusList:
        """Active hot-fixes (or every hot-fix with that ticket), brought up to date with GitHub."""
        store = self.records.store
        hotfixes = store.find(ticket, active_only=False) if ticket else store.active()
        if ticket and not hotfixes:
            raise NotFound(f"No hot-fix has the ticket {ticket}. `/hotfix status` lists the active ones.")
        if not ticket:
            current = [self._refreshed_or_stored(h) for h in hotfixes]  # one failure must not hide the list
        else:
            try:
                current = [self.refresh(h) for h in hotfixes]
            except OUTSIDE_FAILURES as error:
                raise unfinished(error, "Nothing was changed; ask again for the latest.") from error
        return StatusList(tuple(self.announcer.view(h) for h in current))

    def _refreshed_or_stored(self, hotfix: Hotfix) -> Hotfix:
        try:
            return self.refresh(hotfix)
        except OUTSIDE_FAILURES:
            log.warning("could not refresh %s; showing its stored state", hotfix.ticket, exc_info=True)
            return hotfix

    # -- following GitHub -------------------------------------------------------------------------

    def refresh(self, hotfix: Hotfix) -> Hotfix:
        """Bring one hot-fix up to date with GitHub, announcing each change once."""
        if hotfix.stage is Stage.BRANCHED:
            hotfix = self._follow_branch(hotfix)
        if hotfix.stage is Stage.PR_OPEN and hotfix.pull is not None:
            hotfix = self._follow_pull(hotfix)
        if hotfix.stage is Stage.BACKMERGE_OPEN and hotfix.backmerge is not None:
            hotfix = self._follow_backmerge(hotfix)
        return hotfix

    def _follow_branch(self, hotfix: Hotfix) -> Hotfix:
        try:
            comparison = self.forge.compare(hotfix.repository, hotfix.base_branch, hotfix.branch)
        except NotFound:
            if not self._branch_deleted(hotfix):
                raise  # the base branch or the repository is what is missing
            return self._stop_following_deleted(hotfix)
        # Opened on its own once the branch has commits, unless someone closed one: then only
        # when asked (`/hotfix pr`), as the thread was told.
        assert hotfix.id is not None
        if comparison.ahead_by > 0 and self.ledger.closed_pull(hotfix.id) is None:
            hotfix = self.pulls.try_open(hotfix, quiet=True)
        return hotfix

    def _follow_pull(self, hotfix: Hotfix) -> Hotfix:
        assert hotfix.pull is not None
        assert hotfix.id is not None
        hotfix_id = hotfix.id
        pull = self.forge.pull(hotfix.repository, hotfix.pull.number)
        if pull.merged:
            merged_at = pull.merged_at or self.records.clock()
            hotfix = self.records.moved(hotfix, hotfix.merged(pull.merge_sha, merged_at))
            self.announcer.announce(
                hotfix, Merged(hotfix, self.announcer.rollout(hotfix), self.policy.main_branch)
            )
        elif pull.state == "closed":
            if self._branch_deleted(hotfix):  # as GitHub closes a pull request whose branch is deleted
                return self._stop_following_deleted(hotfix, closed=pull.number)
            # Closed without merging: back to waiting for a new pull request, opened when asked.
            self.ledger.note_closed_pull(hotfix_id, pull.number)
            hotfix = self.records.save(hotfix.pull_closed())
            self.announcer.announce(hotfix, PullClosed(hotfix, pull.number))
        return hotfix

    def _follow_backmerge(self, hotfix: Hotfix) -> Hotfix:
        assert hotfix.backmerge is not None
        pull = self.forge.pull(hotfix.repository, hotfix.backmerge.number)
        main = self.policy.main_branch
        if pull.merged:
            hotfix = self.records.moved(hotfix, hotfix.completed())
            self.announcer.announce(hotfix, Completed(hotfix, HowCompleted.BACKMERGED, main))
        elif pull.state == "closed":
            hotfix = self.records.save(hotfix.backmerge_closed())
            self.announcer.announce(hotfix, BackmergeClosed(hotfix, pull.number, main))
        return hotfix

    def _branch_deleted(self, hotfix: Hotfix) -> bool:
        """The hot-fix branch is gone while its base is still there (not a repository gone from view)."""
        self.forge.branch_head(hotfix.repository, hotfix.base_branch)  # NotFound: not a deletion
        try:
            self.forge.branch_head(hotfix.repository, hotfix.branch)
        except NotFound:
            return True
        return False

    def _stop_following_deleted(self, hotfix: Hotfix, closed: int | None = None) -> Hotfix:
        """Someone deleted the hot-fix branch: say so once and stop following it (nothing to do)."""
        hotfix = self.records.moved(hotfix, hotfix.cancelled())
        self.announcer.announce(hotfix, BranchDeleted(hotfix, closed_pull=closed))
        self.records.audit(BOT_ACTOR, "cancel", hotfix, "ok", f"{hotfix.branch} was deleted")
        return hotfix
