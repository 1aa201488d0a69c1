"""What every step of the hot-fix lifecycle works with: GitHub, the records, the thread, the rules."""

from __future__ import annotations

from dataclasses import dataclass

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
