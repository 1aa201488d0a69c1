"""The hot-fix's pull request into its base branch: opened on request, or by itself once the
branch has commits; announced once in the thread."""

from __future__ import annotations

from dataclasses import dataclass

from slackbot.domain.errors import OUTSIDE_FAILURES, Unconfirmed, UsageError, unfinished
from slackbot.domain.events import PullAlreadyOpen, PullOpened, PullRequested
from slackbot.domain.forge import NothingToMerge
from slackbot.domain.hotfix import Hotfix, PullRequestRef, Stage
from slackbot.render import pull_requests as texts
from slackbot.services.access import Actor
from slackbot.services.outcome import Outcome
from slackbot.services.step import LifecycleStep


@dataclass(frozen=True, kw_only=True)
class PullRequests(LifecycleStep):
    def open_pr(self, ticket: str, actor: Actor) -> Outcome:
        self.access.authorize_steering(actor)
        hotfix = self.records.one(ticket)
        if hotfix.stage is Stage.STARTING:
            raise UsageError(
                f"{hotfix.ticket} did not finish starting; run the `/hotfix` command again first."
            )
        if hotfix.stage is not Stage.BRANCHED:
            return Outcome(PullAlreadyOpen(hotfix))
        try:
            hotfix = self.try_open(hotfix, quiet=False)
        except Unconfirmed as error:
            raise unfinished(
                error,
                f"GitHub did not confirm whether the pull request from `{hotfix.branch}` was opened; "
                f"`/hotfix pr {hotfix.ticket}` checks and finishes the job.",
            ) from error
        except OUTSIDE_FAILURES as error:
            raise unfinished(
                error, f"No pull request was opened; run `/hotfix pr {hotfix.ticket}` again to open it."
            ) from error
        self.records.audit(actor, "pr", hotfix, "ok")
        assert hotfix.pull is not None
        return Outcome(PullRequested(hotfix, hotfix.pull.url), self.announcer.link(hotfix))

    def try_open(self, hotfix: Hotfix, *, quiet: bool) -> Hotfix:
        """Open the pull request; with ``quiet``, a branch with nothing to merge yet is no error."""
        rollout = self.announcer.rollout(hotfix)
        try:
            pull = self.open_pull(
                hotfix.repository,
                hotfix.branch,
                hotfix.base_branch,
                texts.hotfix_title(hotfix),
                texts.hotfix_body(hotfix, rollout, self.announcer.link(hotfix)),
            )
        except NothingToMerge:
            if quiet:
                return hotfix
            raise UsageError(
                f"`{hotfix.branch}` has no commits yet, so GitHub cannot open a pull request. "
                f"Push your fix to it first, then run `/hotfix pr {hotfix.ticket}` again."
            ) from None
        hotfix = self.records.moved(hotfix, hotfix.pull_opened(PullRequestRef(pull.number, pull.url)))
        self.announcer.announce(hotfix, PullOpened(hotfix, pull.number, pull.url, rollout))
        return hotfix
