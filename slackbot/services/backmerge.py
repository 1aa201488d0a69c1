"""The step people forget: pull-requesting the base branch back into main once the fix is merged."""

from __future__ import annotations

from dataclasses import dataclass

from slackbot.domain.errors import OUTSIDE_FAILURES, Unconfirmed, UsageError, unfinished
from slackbot.domain.events import (
    AlreadyBackmerged,
    BackmergeOpened,
    BackmergeRequested,
    Completed,
    HowCompleted,
    NoBackmergeNeeded,
    NothingToBackmerge,
)
from slackbot.domain.hotfix import Hotfix, PullRequestRef, Stage
from slackbot.render import pull_requests as texts
from slackbot.render.words import stage_words
from slackbot.services.access import Actor, HotfixPolicy
from slackbot.services.outcome import Outcome
from slackbot.services.step import LifecycleStep
from slackbot.services.tracking import HotfixTracker


@dataclass(frozen=True, kw_only=True)
class Backmerges(LifecycleStep):
    tracker: HotfixTracker
    policy: HotfixPolicy

    def promote(self, ticket: str, actor: Actor) -> Outcome:
        self.access.authorize_steering(actor)
        hotfix = self.records.one(ticket)
        try:
            return self._promote(hotfix, actor)
        except Unconfirmed as error:
            raise unfinished(
                error,
                f"GitHub did not confirm whether the back-merge pull request into `{self.policy.main_branch}` "
                f"was opened; `/hotfix promote {hotfix.ticket}` checks and finishes the job.",
            ) from error
        except OUTSIDE_FAILURES as error:
            raise unfinished(
                error,
                f"No back-merge pull request was opened; run `/hotfix promote {hotfix.ticket}` again to open it.",
            ) from error

    def _promote(self, hotfix: Hotfix, actor: Actor) -> Outcome:
        hotfix = self.tracker.refresh(hotfix)
        main = self.policy.main_branch
        if not hotfix.needs_backmerge:
            return Outcome(NoBackmergeNeeded(hotfix))
        if hotfix.stage in (Stage.STARTING, Stage.BRANCHED, Stage.PR_OPEN):
            raise UsageError(
                f"{hotfix.ticket} is not merged into `{hotfix.base_branch}` yet ({stage_words(hotfix)}); "
                "promote it to main once it is."
            )
        if hotfix.stage is Stage.DONE:
            return Outcome(AlreadyBackmerged(hotfix, main))
        comparison = self.forge.compare(hotfix.repository, main, hotfix.base_branch)
        if comparison.ahead_by == 0:
            hotfix = self.records.moved(hotfix, hotfix.completed())
            self.announcer.announce(hotfix, Completed(hotfix, HowCompleted.ALREADY_IN_MAIN, main))
            self.records.audit(actor, "promote", hotfix, "ok", "nothing to back-merge")
            return Outcome(NothingToBackmerge(hotfix, main))
        pull = self.open_pull(
            hotfix.repository,
            hotfix.base_branch,
            main,
            texts.backmerge_title(hotfix, main),
            texts.backmerge_body(hotfix, main, comparison.ahead_by),
        )
        if hotfix.stage is Stage.MERGED:
            hotfix = self.records.moved(
                hotfix, hotfix.backmerge_opened(PullRequestRef(pull.number, pull.url))
            )
        self.announcer.announce(hotfix, BackmergeOpened(hotfix, pull.number, pull.url, main, pull.mergeable))
        self.records.audit(actor, "promote", hotfix, "ok", f"#{pull.number}")
        return Outcome(BackmergeRequested(hotfix, pull.url, pull.mergeable), self.announcer.link(hotfix))

    def mark_backmerged(self, hotfix: Hotfix) -> Hotfix:
        """Main got the base branch's commits some other way (a back-merge by hand)."""
        hotfix = self.records.moved(hotfix, hotfix.completed())
        self.announcer.announce(hotfix, Completed(hotfix, HowCompleted.BY_HAND, self.policy.main_branch))
        return hotfix
