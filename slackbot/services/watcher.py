"""The watch job: move every open hot-fix along, then check the roll-outs of merged ones."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slackbot.domain.errors import BotError, Unavailable
from slackbot.domain.hotfix import Hotfix, Stage
from slackbot.services.announcer import Announcer
from slackbot.services.outages import Outages
from slackbot.services.ports import HotfixStore
from slackbot.services.report import Report
from slackbot.services.rollouts import Rollouts
from slackbot.services.tracking import HotfixTracker

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(days=1)  # stop watching a roll-out nobody can confirm
_GITHUB = "GitHub"


@dataclass(frozen=True, kw_only=True)
class Watcher:
    store: HotfixStore
    tracker: HotfixTracker
    rollouts: Rollouts
    outages: Outages
    announcer: Announcer
    clock: Callable[[], datetime]

    def watch(self) -> Report:
        report = Report()
        self._retell_pending(report)
        for followed in self._followed():
            report.checked += 1
            hotfix = followed
            try:
                if hotfix.stage.is_active:
                    hotfix = self.tracker.refresh(hotfix)
                    if hotfix.stage is not followed.stage:  # announced in its thread already
                        report.announced.append(f"{hotfix.ticket}:{hotfix.stage.value}")
                self.outages.back(hotfix, _GITHUB, report)
                if hotfix.merge_sha:
                    self.rollouts.check(hotfix, report)
            except Unavailable as error:
                self.outages.down(hotfix, _GITHUB, error, report)
            except BotError:
                log.warning("could not follow %s", hotfix.ticket, exc_info=True)
        return report

    def _retell_pending(self, report: Report) -> None:
        try:
            retold = self.announcer.retell_pending()
        except BotError:
            log.warning("could not look for news a stopped bot left untold", exc_info=True)
            return
        report.retold += retold

    def _followed(self) -> list[Hotfix]:
        """Open hot-fixes, and finished ones whose roll-out is still unconfirmed (for a day)."""
        now = self.clock()
        settling = [
            h
            for h in self.store.all(limit=200)
            if h.stage is Stage.DONE
            and h.merged_at is not None
            and now - h.merged_at < GIVE_UP_AFTER
            and not self.rollouts.settled(h)
        ]
        return [*self.store.active(), *settling]
