"""A piece of thread news written down before it is posted, so that a later run can post it. Pure.

An announcement is claimed in the shared ledger before it is told; if the bot is killed between the
claim and Slack's answer, the claim is all that is left. It therefore carries the event's own fields
(everything but the hot-fix, which is read again from the store) as a small JSON record, and
:func:`read_news` rebuilds the same event from it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any, get_type_hints

from slackbot.domain.events import (
    Announcement,
    BackmergeClosed,
    BackmergeOpened,
    BranchCut,
    BranchDeleted,
    Cancelled,
    Completed,
    Merged,
    PullClosed,
    PullOpened,
    ReportReady,
    RolledOut,
    Rollout,
    RolloutFailed,
    RolloutLate,
    RolloutUnwatchable,
)
from slackbot.domain.hotfix import Hotfix

_KINDS: dict[str, type[Announcement]] = {
    kind.__name__: kind
    for kind in (
        BranchCut,
        PullOpened,
        Merged,
        PullClosed,
        BackmergeOpened,
        BackmergeClosed,
        Completed,
        Cancelled,
        BranchDeleted,
        ReportReady,
        RolledOut,
        RolloutFailed,
        RolloutLate,
        RolloutUnwatchable,
    )
}


@dataclass(frozen=True)
class PendingAnnouncement:
    """News claimed for posting and not yet known to be posted."""

    hotfix_id: int
    event_key: str
    claim: str  # the ledger's value now, for compare-and-set
    record: str  # the news as :func:`news_record` wrote it ("" from a version that did not)


class UnreadableNews(ValueError):
    """A record this version of the bot cannot rebuild an event from (written by another version)."""


def news_record(event: Announcement) -> str:
    """The event's kind and fields as compact JSON; the hot-fix is left out (it is stored already)."""
    fields = {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event) if f.name != "hotfix"}
    return json.dumps({"kind": type(event).__name__, "fields": fields}, separators=(",", ":"), sort_keys=True)


def read_news(record: str, hotfix: Hotfix) -> Announcement:
    """The event :func:`news_record` wrote, about ``hotfix`` as it is now."""
    try:
        data = json.loads(record)
        kind = _KINDS[data["kind"]]
        hints = get_type_hints(kind)
        values = {name: _typed(hints[name], value) for name, value in data["fields"].items()}
        if "hotfix" in hints:
            values["hotfix"] = hotfix
        return kind(**values)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise UnreadableNews(f"cannot rebuild news from {record[:80]!r}: {error}") from error


def _plain(value: object) -> Any:
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Rollout):
        return {"environments": list(value.environments), "within": value.within.total_seconds()}
    return value


def _typed(hint: object, value: Any) -> Any:
    """``value`` as the field's annotated type (the few non-JSON types events use)."""
    if hint is timedelta:
        return timedelta(seconds=float(value))
    if hint is Rollout:
        return Rollout(tuple(value["environments"]), timedelta(seconds=float(value["within"])))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    return value
