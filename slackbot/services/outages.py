"""Outages, calmly: one "can't reach X" note per hot-fix when X goes, one "reachable again" when it's back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slackbot.domain.events import Reachable, Unreachable
from slackbot.domain.hotfix import Hotfix
from slackbot.services.announcer import Announcer
from slackbot.services.ports import Ledger
from slackbot.services.report import Report


@dataclass(frozen=True, kw_only=True)
class Outages:
    announcer: Announcer
    ledger: Ledger
    clock: Callable[[], datetime]

    def down(self, hotfix: Hotfix, system: str, error: Exception, report: Report) -> None:
        report.unreachable.append(system)
        assert hotfix.id is not None
        if self.ledger.mark_unreachable(hotfix.id, system, self.clock()):
            self._post(hotfix, Unreachable(system, str(error)), report)

    def back(self, hotfix: Hotfix, system: str, report: Report) -> None:
        assert hotfix.id is not None
        if self.ledger.mark_reachable(hotfix.id, system):
            self._post(hotfix, Reachable(system), report)

    def _post(self, hotfix: Hotfix, event: Unreachable | Reachable, report: Report) -> None:
        if self.announcer.post(hotfix, event):
            report.announced.append(f"{type(event).__name__.lower()}:{event.system}")
