"""A hot-fix report as a stable JSON document, and back. Pure.

The document is what `slackbot hotfix report --json` prints and what the news of a completed
hot-fix carries (:class:`slackbot.domain.events.ReportReady`), so it can be written down before it
is posted and posted again by a later run. Keep its shape stable: scripts rely on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from slackbot.domain.hotfix import Kind, Stage
from slackbot.domain.hotfix_report import Durations, HotfixReport, Note, Status, Step, TimelineEvent


def _seconds(delta: timedelta | None) -> int | None:
    return None if delta is None else int(delta.total_seconds())


def _time(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def report_document(report: HotfixReport) -> dict[str, Any]:
    """The documented JSON shape of a report (`slackbot hotfix report --json`; keep it stable)."""
    durations = report.durations
    return {
        "ticket": report.ticket,
        "kind": report.kind.value,
        "stage": report.stage.value,
        "complete": report.complete,
        "environment": report.environment,
        "component": report.component,
        "repository": report.repository,
        "base_branch": report.base_branch,
        "branch": report.branch,
        "summary": report.summary,
        "merge_sha": report.merge_sha,
        "started_by": report.started_by,
        "channel": report.channel,
        "channel_name": report.channel_name,
        "thread": report.thread,
        "main_branch": report.main_branch,
        "timeline": [
            {
                "step": e.step.value,
                "status": e.status.value,
                "at": _time(e.at),
                "actor": e.actor,
                "environment": e.environment,
                "url": e.url,
                "note": e.note.value if e.note else None,
            }
            for e in report.timeline
        ],
        "durations": {
            "start_to_pull_request": _seconds(durations.start_to_pull_request),
            "pull_request_to_merge": _seconds(durations.pull_request_to_merge),
            "merge_to_rollout": {env: _seconds(took) for env, took in durations.merge_to_rollout},
            "merge_to_backmerge": _seconds(durations.merge_to_backmerge),
            "total": _seconds(durations.total),
        },
    }


def _delta(seconds: int | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=seconds)


def _parsed_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def report_from_document(document: Mapping[str, Any]) -> HotfixReport:
    """The report :func:`report_document` wrote (durations to the whole second)."""
    durations = document["durations"]
    return HotfixReport(
        ticket=document["ticket"],
        kind=Kind(document["kind"]),
        stage=Stage(document["stage"]),
        environment=document["environment"],
        component=document["component"],
        repository=document["repository"],
        base_branch=document["base_branch"],
        branch=document["branch"],
        started_by=document["started_by"],
        channel=document["channel"],
        complete=bool(document["complete"]),
        summary=document["summary"],
        merge_sha=document["merge_sha"],
        channel_name=document["channel_name"],
        thread=document["thread"],
        main_branch=document["main_branch"],
        timeline=tuple(
            TimelineEvent(
                step=Step(e["step"]),
                status=Status(e["status"]),
                at=_parsed_time(e["at"]),
                actor=e["actor"],
                environment=e["environment"],
                url=e["url"],
                note=Note(e["note"]) if e["note"] else None,
            )
            for e in document["timeline"]
        ),
        durations=Durations(
            start_to_pull_request=_delta(durations["start_to_pull_request"]),
            pull_request_to_merge=_delta(durations["pull_request_to_merge"]),
            merge_to_rollout=tuple((env, _delta(s)) for env, s in durations["merge_to_rollout"].items()),
            merge_to_backmerge=_delta(durations["merge_to_backmerge"]),
            total=_delta(durations["total"]),
        ),
    )
