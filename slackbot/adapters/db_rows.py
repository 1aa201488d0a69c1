"""Conversion between the domain's objects and the database's rows, in both directions.

A :class:`~slackbot.domain.hotfix.Hotfix` becomes the column values of a
:class:`~slackbot.adapters.db_schema.HotfixRow` (its pull requests and first pin change flattened
into columns, its further pin changes and its rollout environments JSON lists, its ticket also
lower-cased as the uniqueness key)
and a row becomes a hot-fix again; audit-log rows become
:class:`~slackbot.domain.hotfix.AuditEntry` values. Naive ``datetime`` values are refused here with
a plain :class:`ValueError`, before any driver sees them. No database access happens in this module;
:mod:`slackbot.adapters.store` runs the statements.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, overload

from slackbot.adapters.db_schema import AuditRow, HotfixRow
from slackbot.domain.hotfix import AuditEntry, Hotfix, Kind, PinChange, PinField, PullRequestRef, Stage

__all__ = [
    "audit_entry_from_row",
    "aware",
    "fill_hotfix_row",
    "hotfix_columns",
    "hotfix_from_row",
    "ticket_key",
]


@overload
def aware(value: datetime, what: str) -> datetime: ...
@overload
def aware(value: None, what: str) -> None: ...
def aware(value: datetime | None, what: str) -> datetime | None:
    """Refuse naive times up front (with a plain ValueError, not a wrapped driver error)."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{what} is a naive datetime ({value.isoformat()}): use an aware UTC time")
    return value


def ticket_key(ticket: str) -> str:
    """The ticket as the database compares it: trimmed and lower-cased."""
    return ticket.strip().lower()


def hotfix_columns(hotfix: Hotfix) -> dict[str, Any]:
    """The hot-fix's column values, ``created_at`` included (``id``, ``version``, ``updated_at`` not)."""
    pin = hotfix.pin
    return {
        "ticket": hotfix.ticket,
        "ticket_key": ticket_key(hotfix.ticket),
        "kind": hotfix.kind.value,
        "environment": hotfix.environment,
        "component": hotfix.component,
        "repository": hotfix.repository,
        "base_branch": hotfix.base_branch,
        "branch": hotfix.branch,
        "started_by": hotfix.started_by,
        "channel_id": hotfix.channel_id,
        "summary": hotfix.summary,
        "base_sha": hotfix.base_sha,
        "stage": hotfix.stage.value,
        "thread_ts": hotfix.thread_ts,
        "pull_number": hotfix.pull.number if hotfix.pull else None,
        "pull_url": hotfix.pull.url if hotfix.pull else None,
        "merge_sha": hotfix.merge_sha,
        "merged_at": aware(hotfix.merged_at, "merged_at"),
        "backmerge_number": hotfix.backmerge.number if hotfix.backmerge else None,
        "backmerge_url": hotfix.backmerge.url if hotfix.backmerge else None,
        "rollout_environments": json.dumps(list(hotfix.rollout_environments)),
        "pin_field": pin.field.value if pin else None,
        "pin_path": pin.path if pin else None,
        "pin_old": pin.old if pin else None,
        "pin_new": pin.new if pin else None,
        "pin_more": _pins_json(hotfix.more_pins),
        "created_at": hotfix.created_at,
    }


def fill_hotfix_row(row: HotfixRow, hotfix: Hotfix) -> None:
    """Copy the hot-fix's values onto ``row``, all but ``created_at`` (the caller sets it)."""
    for name, value in hotfix_columns(hotfix).items():
        if name != "created_at":
            setattr(row, name, value)


def _pins_json(pins: tuple[PinChange, ...]) -> str | None:
    if not pins:
        return None  # as every row written before revision 0003 says
    return json.dumps([{"field": p.field.value, "path": p.path, "old": p.old, "new": p.new} for p in pins])


def _pins_from_json(stored: str | None) -> tuple[PinChange, ...]:
    return tuple(
        PinChange(field=PinField(p["field"]), path=p["path"], old=p["old"], new=p["new"])
        for p in json.loads(stored or "[]")
    )


def _pull(number: int | None, url: str | None) -> PullRequestRef | None:
    return None if number is None else PullRequestRef(number=number, url=url or "")


def hotfix_from_row(row: HotfixRow) -> Hotfix:
    """The stored hot-fix, with its ``id``, ``created_at`` and ``updated_at`` (its version)."""
    pin = None
    if row.pin_field is not None:
        pin = PinChange(
            field=PinField(row.pin_field), path=row.pin_path or "", old=row.pin_old, new=row.pin_new or ""
        )
    return Hotfix(
        ticket=row.ticket,
        kind=Kind(row.kind),
        environment=row.environment,
        component=row.component,
        repository=row.repository,
        base_branch=row.base_branch,
        branch=row.branch,
        started_by=row.started_by,
        channel_id=row.channel_id,
        summary=row.summary,
        base_sha=row.base_sha,
        stage=Stage(row.stage),
        thread_ts=row.thread_ts,
        pull=_pull(row.pull_number, row.pull_url),
        merge_sha=row.merge_sha,
        merged_at=row.merged_at,
        backmerge=_pull(row.backmerge_number, row.backmerge_url),
        rollout_environments=tuple(json.loads(row.rollout_environments)),
        pin=pin,
        more_pins=_pins_from_json(row.pin_more),
        id=row.id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def audit_entry_from_row(row: AuditRow) -> AuditEntry:
    """The stored audit entry."""
    return AuditEntry(
        actor=row.actor,
        action=row.action,
        ticket=row.ticket,
        result=row.result,
        detail=row.detail,
        at=row.at,
        hotfix_id=row.hotfix_id,
    )
