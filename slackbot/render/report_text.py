"""A hot-fix report in words: its timeline lines (Slack mrkdwn), the thread's news, Markdown for the
post-incident review document, and the JSON for scripts.

Slack and the terminal read the same mrkdwn lines (:func:`timeline_lines`); the Markdown is for
pasting into a review (a table, people and links spelled out).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from slackbot.domain.hotfix import Stage
from slackbot.domain.hotfix_report import (
    BOT_ACTOR,
    GITHUB_ACTOR,
    HotfixReport,
    Note,
    Status,
    Step,
    TimelineEvent,
)
from slackbot.domain.quoting import escape
from slackbot.domain.report_document import report_document
from slackbot.domain.rollout import describe_duration

MARKS = {
    Status.DONE: ":white_check_mark:",
    Status.UNKNOWN: ":grey_question:",
    Status.PENDING: ":hourglass_flowing_sand:",
    Status.FAILED: ":x:",
    Status.LATE: ":warning:",
    Status.UNCONFIRMED: ":grey_question:",
    Status.NOT_WATCHED: ":grey_question:",
    Status.NOT_NEEDED: ":heavy_minus_sign:",
}
NOTES = {
    Note.NO_RECORD: "when is not recorded",
    Note.GITHUB_UNANSWERED: "GitHub did not answer, so who and when are from the bot's own records",
    Note.TIME_NOT_RECORDED: "recorded without its time (by an older version of the bot)",
    Note.ADOPTED: "an existing branch, adopted",
    Note.ALREADY_IN_MAIN: "the main branch already had every commit when it was promoted",
    Note.BY_HAND: "the main branch got the commits another way; when is not recorded",
    Note.BRANCH_DELETED: "its branch was deleted",
}
_ROLLOUT_STATES = {
    Status.DONE: "rolled out",
    Status.UNKNOWN: "rolled out",
    Status.PENDING: "rolling out",
    Status.FAILED: "failed",
    Status.LATE: "late",
    Status.UNCONFIRMED: "never confirmed (the bot stopped watching a day after the merge)",
    Status.NOT_WATCHED: "not watched (no probe configured), so not confirmed",
}
_UNSETTLED_SINCE = {Status.FAILED: "Flux reported a failure", Status.LATE: "past its deadline"}


def who(actor: str | None, *, slack: bool = True) -> str:
    """A person as the report names them: a Slack mention, a terminal user, a GitHub login, the bot."""
    if actor is None:
        return "someone (not recorded)"
    if actor == BOT_ACTOR:
        return "the bot"
    if actor.startswith(GITHUB_ACTOR):
        return f"{escape(actor.removeprefix(GITHUB_ACTOR))} on GitHub"
    if actor.startswith("cli:"):
        return f"{escape(actor.removeprefix('cli:'))} at a terminal"
    return f"<@{actor}>" if slack else f"@{actor}"


def duration(delta: timedelta | None) -> str:
    return "unknown" if delta is None else describe_duration(delta)


class _Clock:
    """Times as a timeline shows them: the date on the first line and whenever the day changes."""

    def __init__(self) -> None:
        self._day: date | None = None
        self._format = "%H:%M"

    def __call__(self, at: datetime) -> str:
        day = at.date()
        shown = at.strftime(self._format if day == self._day else f"%Y-%m-%d {self._format}")
        self._day = day
        return f"{shown} UTC"


def _link(url: str | None, label: str, *, slack: bool) -> str:
    if not url:
        return label
    return f"<{url}|{label}>" if slack else f"[{label}]({url})"


def _number(url: str | None) -> str:
    """``#7`` from a pull request's link (``…/pull/7``)."""
    return "#" + url.rstrip("/").rsplit("/", 1)[-1] if url else ""


def _after(report: HotfixReport, event: TimelineEvent) -> str:
    """How long after the step before it this one happened, where that is a measured duration."""
    durations = report.durations
    if event.status is not Status.DONE:
        return ""
    if event.step is Step.PULL_OPENED:
        took, since = durations.start_to_pull_request, "the start"
    elif event.step is Step.MERGED:
        took, since = durations.pull_request_to_merge, "the pull request"
    elif event.step is Step.ROLLED_OUT:
        took, since = dict(durations.merge_to_rollout).get(event.environment or ""), "the merge"
    elif event.step is Step.BACKMERGED:
        took, since = durations.merge_to_backmerge, "the merge"
    else:
        return ""
    return f" · {describe_duration(took)} after {since}" if took is not None else ""


def _started(report: HotfixReport, event: TimelineEvent, by: str, slack: bool) -> str:
    if not report.channel:
        return f"*Started*{by}"
    label = f"|{escape(report.channel_name)}" if report.channel_name else ""
    where = f"<#{report.channel}{label}>" if slack else f"#{report.channel_name or report.channel}"
    return f"*Started*{by} in {where}"


def _merged(report: HotfixReport, event: TimelineEvent, by: str, slack: bool) -> str:
    sha = f"`{report.merge_sha[:7]}`" if report.merge_sha else "its merge commit"
    return f"*Merged* into `{escape(report.base_branch)}` as {_link(event.url, sha, slack=slack)}{by}"


def _backmerged(report: HotfixReport, event: TimelineEvent, by: str, slack: bool) -> str:
    if event.status is Status.NOT_NEEDED:
        return "*No back-merge needed*: a pin changes an environment branch"
    return f"*Back-merged* into `{escape(report.main_branch)}`{by}"


_WHAT: dict[Step, Callable[[HotfixReport, TimelineEvent, str, bool], str]] = {
    Step.STARTED: _started,
    Step.BRANCH_CREATED: lambda r, e, by, slack: (
        f"*Branch* {_link(e.url, f'`{escape(r.branch)}`', slack=slack)} *created*{by}"
    ),
    Step.PULL_OPENED: lambda r, e, by, slack: (
        f"*Pull request* {_link(e.url, _number(e.url), slack=slack)} *opened*{by}"
    ),
    Step.MERGED: _merged,
    Step.ROLLED_OUT: lambda r, e, by, slack: (
        f"*{escape(e.environment or '?')}* {_ROLLOUT_STATES.get(e.status, e.status.value)}"
    ),
    Step.BACKMERGE_OPENED: lambda r, e, by, slack: (
        f"*Back-merge pull request* {_link(e.url, _number(e.url), slack=slack)} *opened*{by}"
    ),
    Step.BACKMERGED: _backmerged,
    Step.CANCELLED: lambda r, e, by, slack: f"*Cancelled*{by}",
}


def _what(report: HotfixReport, event: TimelineEvent, *, slack: bool) -> str:
    """The step in a few words, with its link and who did it."""
    by = f" by {who(event.actor, slack=slack)}" if event.actor else ""
    return _WHAT[event.step](report, event, by, slack)


def _when(event: TimelineEvent, clock: _Clock) -> str:
    if event.at is None:
        return ""
    since = _UNSETTLED_SINCE.get(event.status)
    return f" since {clock(event.at)} ({since})" if since else f" · {clock(event.at)}"


def event_line(report: HotfixReport, event: TimelineEvent, clock: _Clock, *, slack: bool = True) -> str:
    mark = ":no_entry_sign:" if event.step is Step.CANCELLED else MARKS[event.status]
    note = f" ({NOTES[event.note]})" if event.note else ""
    pending = " · pending" if event.status is Status.PENDING and event.step is not Step.ROLLED_OUT else ""
    return f"{mark} {_what(report, event, slack=slack)}{_when(event, clock)}{_after(report, event)}{pending}{note}"


def timeline_lines(report: HotfixReport, *, summarise_rollouts: bool = False) -> list[str]:
    """One mrkdwn line per step; with ``summarise_rollouts``, the environments that rolled out as one
    line (for a message Slack would find too long)."""
    clock, lines = _Clock(), []
    rolled = [e for e in report.timeline if e.step is Step.ROLLED_OUT and e.status is Status.DONE]
    for event in report.timeline:
        if summarise_rollouts and event in rolled:
            if event is rolled[0]:
                lines.append(_rollouts_in_one(report, rolled, clock))
            continue
        lines.append(event_line(report, event, clock))
    return lines


def _rollouts_in_one(report: HotfixReport, rolled: Sequence[TimelineEvent], clock: _Clock) -> str:
    took = dict(report.durations.merge_to_rollout)
    known = sorted((t, e.environment or "") for e in rolled if (t := took.get(e.environment or "")))
    span = (
        f" {describe_duration(known[0][0])} to {describe_duration(known[-1][0])} after the merge"
        if known
        else ""
    )
    slowest = f", the last {escape(known[-1][1])}" if known else ""
    first = f" · from {clock(rolled[0].at)}" if rolled[0].at else ""
    return f"{MARKS[Status.DONE]} *{len(rolled)} environments rolled out*{first}{span}{slowest}"


def state_line(report: HotfixReport) -> str:
    """Where the hot-fix stands, and how long it took once complete."""
    if report.complete:
        total = report.durations.total
        return "*Complete*" + (f": {describe_duration(total)} from start to finish." if total else ".")
    if report.stage is Stage.CANCELLED:
        return "*Cancelled*: the bot stopped following it; nothing was deleted."
    if report.stage is Stage.DONE:
        return "*Done*, waiting for Flux to confirm every roll-out."
    return f"*In progress* ({report.stage.value.replace('_', ' ')})."


def durations_line(report: HotfixReport) -> str:
    durations = report.durations
    parts = [
        f"start → pull request {duration(durations.start_to_pull_request)}",
        f"pull request → merge {duration(durations.pull_request_to_merge)}",
    ]
    rollouts = _last_rollout(report)
    if rollouts:
        parts.append(rollouts)
    if any(e.step is Step.BACKMERGED and e.status is not Status.NOT_NEEDED for e in report.timeline):
        parts.append(f"merge → back-merge {duration(durations.merge_to_backmerge)}")
    parts.append(f"total {duration(durations.total)}")
    return "*Durations:* " + " · ".join(parts)


def _last_rollout(report: HotfixReport) -> str:
    """Merge to the last roll-out Flux confirmed, or which ones it has not confirmed."""
    watched = {
        e.environment or ""
        for e in report.timeline
        if e.step is Step.ROLLED_OUT and e.status is not Status.NOT_WATCHED
    }
    took = [(env, t) for env, t in report.durations.merge_to_rollout if env in watched]
    if not took:
        return ""
    missing = [escape(env) for env, t in took if t is None]
    if missing:
        named = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        return f"merge → last roll-out unknown ({named} not confirmed)"
    env, last = max(((env, t) for env, t in took if t is not None), key=lambda item: item[1])
    return f"merge → last roll-out {describe_duration(last)} ({escape(env)})"


def title(report: HotfixReport) -> str:
    what = "core repository" if report.component == "core" else report.component
    return f"Hot-fix {report.ticket} — {what} in {report.environment}: timeline"


def thread_text(report: HotfixReport) -> str:
    """The news in the hot-fix's thread once it is complete: the whole timeline, ready to paste."""
    return "\n".join(
        (
            f":clipboard: *{escape(report.ticket)} is complete: its timeline for the post-incident review*",
            *timeline_lines(report),
            durations_line(report),
            f"`/hotfix report {report.ticket}` shows it again; "
            f"`slackbot hotfix report {report.ticket} --markdown` writes it for a review document.",
        )
    )


# -- for documents and scripts -----------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown_row(report: HotfixReport, event: TimelineEvent, clock: Callable[[datetime], str]) -> str:
    step = _what(report, event, slack=False).replace("*", "")
    status = {Status.DONE: ""}.get(event.status, event.status.value.replace("_", " "))
    notes = "; ".join(
        n
        for n in (
            status,
            _after(report, event).removeprefix(" · "),
            NOTES.get(event.note) if event.note else "",
        )
        if n
    )
    when = clock(event.at) if event.at else "—"
    return f"| {when} | {_cell(step)} | {_cell(notes)} |"


def report_markdown(report: HotfixReport) -> str:
    """The report for a post-incident review document (GitHub-flavoured Markdown)."""
    clock: Callable[[datetime], str] = lambda at: at.strftime("%Y-%m-%d %H:%M:%S UTC")  # noqa: E731 - a column's format
    lines = [f"## {title(report)}", ""]
    if report.summary:
        lines += [*(f"> {line}" for line in report.summary.splitlines()), ""]
    where = f" in #{report.channel_name or report.channel}" if report.channel else ""
    thread = f" ([thread]({report.thread}))" if report.thread else ""
    lines += [
        f"- Repository: `{report.repository}`: `{report.branch}` into `{report.base_branch}`",
        f"- Started by {who(report.started_by, slack=False)}{where}{thread}",
        f"- {state_line(report).replace('*', '')}",
        "",
        "| Time | Step | Notes |",
        "| --- | --- | --- |",
        *(_markdown_row(report, event, clock) for event in report.timeline),
        "",
        durations_line(report).replace("*Durations:*", "**Durations:**"),
    ]
    return "\n".join(lines)


def reports_markdown(reports: Sequence[HotfixReport]) -> str:
    return "\n\n".join(report_markdown(report) for report in reports)


def reports_json(reports: Sequence[HotfixReport]) -> str:
    """`slackbot hotfix report --json`: a list of report documents, one per hot-fix with the ticket."""
    return json.dumps([report_document(report) for report in reports], indent=2)
