"""The scheduled follow-up, as the scheduler and the command line run it: watch, and remind.

Calm by design: every announcement is claimed in the shared ledger before it is posted, so a
restart or a second copy of the bot never repeats one; an outage is one "can't reach" note per
hot-fix and one "reachable again". Each run is one *read cycle*: a branch or pull request that
several hot-fixes share is read once per run.

The work itself is done by :class:`~slackbot.services.watcher.Watcher` (hot-fixes and roll-outs),
:class:`~slackbot.services.hotfix_report.HotfixReports` (the report of each hot-fix that completed)
and :class:`~slackbot.services.reminders.Reminders` (back-merges still owed to main).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager

from slackbot.domain.rollout import ClusterView
from slackbot.domain.versions import ComponentReport
from slackbot.services.hotfix_report import HotfixReports
from slackbot.services.reminders import Reminders
from slackbot.services.report import Report
from slackbot.services.rollouts import EnvironmentFollowup, Rollouts
from slackbot.services.watcher import Watcher

__all__ = ["EnvironmentFollowup", "FollowupService", "Report"]


class FollowupService:
    def __init__(
        self,
        *,
        watcher: Watcher,
        reminders: Reminders,
        rollouts: Rollouts,
        reports: HotfixReports,
        read_cycle: Callable[[], AbstractContextManager[None]],
    ) -> None:
        self.watcher = watcher
        self.reports = reports
        self.reminders = reminders
        self.rollouts = rollouts
        self._read_cycle = read_cycle

    def watch(self) -> Report:
        """Move every open hot-fix along, check the roll-outs of merged ones, then post the report of
        each hot-fix that is now complete."""
        with self._read_cycle():
            report = self.watcher.watch()
            self.reports.post_completed(report)
            return report

    def remind(self) -> Report:
        """Remind about every branch with commits main lacks."""
        with self._read_cycle():
            return self.reminders.remind()

    def cluster_view(self, report: ComponentReport) -> ClusterView | None:
        return self.rollouts.cluster_view(report)

    @property
    def environments(self) -> Mapping[str, EnvironmentFollowup]:
        return self.rollouts.environments
