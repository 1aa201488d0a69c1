"""What a hot-fix's thread shows: the hot-fix, its links, and each environment's roll-out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from slackbot.domain.events import Rollout
from slackbot.domain.followup import RolloutState
from slackbot.domain.hotfix import Hotfix


@dataclass(frozen=True)
class HotfixLinks:
    """Where a person can look on the forge (None where there is nothing to link yet)."""

    repository: str
    base: str
    branch: str
    compare: str
    base_commit: str | None = None
    merge_commit: str | None = None


@dataclass(frozen=True)
class ThreadView:
    """Everything the thread's parent message shows, redrawn on every change."""

    hotfix: Hotfix
    links: HotfixLinks
    rollout: Rollout
    # Each environment's roll-out once merged (empty before), in the order they roll out.
    rollouts: Mapping[str, RolloutState] = field(default_factory=dict)
    thread_link: str | None = None
