"""A hot-fix's report for its post-incident review: the timeline and the durations between. Pure.

Built from plain facts — the hot-fix as stored, its audit trail, what GitHub says about its pull
requests and when each roll-out state was first recorded — by :func:`build_report`. Each step
says when it happened, who did it and where to look; a step whose time or author is not recorded
says so (:class:`Status` and :class:`Note`), never a guess. The report travels as a stable JSON
document (:mod:`slackbot.domain.report_document`), which is also how it is written down in the news
announced in the hot-fix's thread.

Actors are written as the audit trail writes them: a Slack user id (``U0123``), ``cli:<user>`` for a
terminal, ``slackbot`` for the bot itself, and ``github:<login>`` for a person on GitHub.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from slackbot.domain.followup import RolloutState
from slackbot.domain.forge import PullInfo
from slackbot.domain.hotfix import AuditEntry, Hotfix, Kind, Stage

BOT_ACTOR = "slackbot"  # the audit trail's name for the bot acting on its own
GITHUB_ACTOR = "github:"  # prefix of a GitHub login among the actors
_SETTLED = frozenset({RolloutState.ROLLED_OUT, RolloutState.UNKNOWN})


class Step(StrEnum):
    STARTED = "started"
    BRANCH_CREATED = "branch_created"
    PULL_OPENED = "pull_opened"
    MERGED = "merged"
    ROLLED_OUT = "rolled_out"  # one per environment
    BACKMERGE_OPENED = "backmerge_opened"
    BACKMERGED = "backmerged"  # main has the fix
    CANCELLED = "cancelled"


class Status(StrEnum):
    DONE = "done"  # it happened at ``at``
    UNKNOWN = "unknown"  # it happened, but when is not recorded (the note says why)
    PENDING = "pending"  # not yet
    FAILED = "failed"  # a roll-out Flux reported failing, not rolled out since (``at``: first seen)
    LATE = "late"  # a roll-out past its deadline, not confirmed (``at``: first seen late)
    UNCONFIRMED = "unconfirmed"  # the bot stopped watching before Flux confirmed the roll-out
    NOT_WATCHED = "not_watched"  # no probe is configured for the environment
    NOT_NEEDED = "not_needed"  # a pin changes an environment branch: no back-merge


class Note(StrEnum):
    NO_RECORD = "no_record"  # neither the audit trail nor GitHub says when
    GITHUB_UNANSWERED = "github_unanswered"  # GitHub did not answer; the bot's own records are shown
    TIME_NOT_RECORDED = "time_not_recorded"  # the state was recorded (by an older version) without a time
    ADOPTED = "adopted"  # the branch existed already and was taken over
    ALREADY_IN_MAIN = "already_in_main"  # promoting found main had every commit already
    BY_HAND = "by_hand"  # main got the commits another way; when is not recorded
    BRANCH_DELETED = "branch_deleted"  # the bot stopped because someone deleted the branch


@dataclass(frozen=True)
class TimelineEvent:
    step: Step
    status: Status
    at: datetime | None = None
    actor: str | None = None
    environment: str | None = None  # for a roll-out
    url: str | None = None
    note: Note | None = None

    @property
    def known_at(self) -> datetime | None:
        """When it happened, if it did and that is recorded."""
        return self.at if self.status is Status.DONE else None


@dataclass(frozen=True)
class Durations:
    start_to_pull_request: timedelta | None = None
    pull_request_to_merge: timedelta | None = None
    merge_to_rollout: tuple[tuple[str, timedelta | None], ...] = ()  # per environment, in order
    merge_to_backmerge: timedelta | None = None
    total: timedelta | None = None  # start to the last step, once complete and every end is known


@dataclass(frozen=True)
class HotfixReport:
    ticket: str
    kind: Kind
    stage: Stage
    environment: str
    component: str
    repository: str
    base_branch: str
    branch: str
    started_by: str
    channel: str | None
    complete: bool  # done, and every roll-out confirmed (or no longer watched)
    timeline: tuple[TimelineEvent, ...]
    durations: Durations
    summary: str = ""
    merge_sha: str | None = None
    channel_name: str | None = None
    thread: str | None = None  # a link to the hot-fix's Slack thread
    main_branch: str = "main"  # where a back-merge goes


# -- the facts it is built from --------------------------------------------------------------------


@dataclass(frozen=True)
class RolloutSeen:
    """An environment's roll-out state, and when that state was first recorded (None: not recorded)."""

    environment: str
    state: RolloutState | None
    seen_at: datetime | None = None


@dataclass(frozen=True)
class ReportLinks:
    branch: str | None = None
    merge_commit: str | None = None
    thread: str | None = None


@dataclass(frozen=True)
class ReportFacts:
    hotfix: Hotfix
    audit: Sequence[AuditEntry] = ()  # the hot-fix's audit trail, oldest first
    pull: PullInfo | None = None  # its pull request as GitHub tells it now (None: none, or no answer)
    backmerge: PullInfo | None = None
    rollouts: Sequence[RolloutSeen] = ()
    stopped_watching: bool = False  # the watcher gave up on unconfirmed roll-outs
    links: ReportLinks = field(default_factory=ReportLinks)
    channel_name: str | None = None
    main_branch: str = "main"


def is_complete(hotfix: Hotfix, states: Mapping[str, RolloutState | None], *, stopped_watching: bool) -> bool:
    """Done, and every roll-out confirmed or impossible to confirm (or no longer watched)."""
    settled = all(states.get(env) in _SETTLED for env in hotfix.rollout_environments)
    return hotfix.stage is Stage.DONE and (settled or stopped_watching)


def build_report(facts: ReportFacts) -> HotfixReport:
    hotfix = facts.hotfix
    before = [_started(facts), _branch_created(facts), _pull_opened(facts), _merged(facts)]
    after = [*(_rollout(facts, seen) for seen in facts.rollouts), *_backmerge(facts), _cancelled(facts)]
    merged_at = before[3].known_at if before[3] else None
    timeline = (
        *(e for e in before if e is not None),
        *_in_time_order([e for e in after if e is not None], merged_at),
    )
    states = {seen.environment: seen.state for seen in facts.rollouts}
    complete = is_complete(hotfix, states, stopped_watching=facts.stopped_watching)
    return HotfixReport(
        ticket=hotfix.ticket,
        kind=hotfix.kind,
        stage=hotfix.stage,
        environment=hotfix.environment,
        component=hotfix.component,
        repository=hotfix.repository,
        base_branch=hotfix.base_branch,
        branch=hotfix.branch,
        started_by=hotfix.started_by,
        channel=hotfix.channel_id or None,
        complete=complete,
        timeline=timeline,
        durations=_durations(timeline, complete=complete),
        summary=hotfix.summary,
        merge_sha=hotfix.merge_sha,
        channel_name=facts.channel_name,
        thread=facts.links.thread,
        main_branch=facts.main_branch,
    )


def _ok(audit: Sequence[AuditEntry], action: str, detail: str | None = None) -> AuditEntry | None:
    """The first entry of ``action`` that went through (with ``detail``, when given)."""
    return next(
        (
            e
            for e in audit
            if e.action == action and e.result == "ok" and (detail is None or e.detail == detail)
        ),
        None,
    )


def _not_yet(step: Step, hotfix: Hotfix, environment: str | None = None) -> TimelineEvent | None:
    """A step not reached: pending while the hot-fix is active, left out once it stopped."""
    return TimelineEvent(step, Status.PENDING, environment=environment) if hotfix.stage.is_active else None


def _when(
    step: Step, at: datetime | None, actor: str | None, *, url: str | None, note: Note | None
) -> TimelineEvent:
    """A step that happened: done when its time is known, else unknown (with ``note`` saying why)."""
    if at is None:
        return TimelineEvent(step, Status.UNKNOWN, actor=actor, url=url, note=note or Note.NO_RECORD)
    return TimelineEvent(step, Status.DONE, at, actor, url=url, note=None if note is Note.NO_RECORD else note)


def _github(login: str | None) -> str | None:
    return f"{GITHUB_ACTOR}{login}" if login else None


def _started(facts: ReportFacts) -> TimelineEvent:
    hotfix = facts.hotfix
    return _when(Step.STARTED, hotfix.created_at, hotfix.started_by, url=facts.links.thread, note=None)


def _branch_created(facts: ReportFacts) -> TimelineEvent | None:
    entry = _ok(facts.audit, "start")
    if entry is None and facts.hotfix.stage in (Stage.STARTING, Stage.CANCELLED):
        return _not_yet(Step.BRANCH_CREATED, facts.hotfix)
    adopted = entry is not None and "adopted" in entry.detail
    return _when(
        Step.BRANCH_CREATED,
        entry.at if entry else None,
        entry.actor if entry else facts.hotfix.started_by,
        url=facts.links.branch,
        note=Note.ADOPTED if adopted else None,
    )


def _pull_opened(facts: ReportFacts) -> TimelineEvent | None:
    hotfix, pull = facts.hotfix, facts.pull
    if hotfix.pull is None:
        return None if hotfix.merged_at else _not_yet(Step.PULL_OPENED, hotfix)
    asked = _ok(facts.audit, "pr")  # a person asked for it; otherwise the bot opened it by itself
    at = (pull.created_at if pull else None) or (asked.at if asked else None)
    return _when(
        Step.PULL_OPENED,
        at,
        asked.actor if asked else BOT_ACTOR,
        url=hotfix.pull.url,
        note=Note.GITHUB_UNANSWERED if pull is None else None,
    )


def _merged(facts: ReportFacts) -> TimelineEvent | None:
    hotfix, pull = facts.hotfix, facts.pull
    if hotfix.merged_at is None and hotfix.merge_sha is None:
        return _not_yet(Step.MERGED, hotfix)
    at = (pull.merged_at if pull else None) or hotfix.merged_at
    return _when(
        Step.MERGED,
        at,
        _github(pull.merged_by) if pull else None,
        url=facts.links.merge_commit,
        note=Note.GITHUB_UNANSWERED if pull is None and hotfix.pull is not None else None,
    )


_UNSETTLED_STATUS = {
    RolloutState.FAILED: Status.FAILED,
    RolloutState.LATE: Status.LATE,
    RolloutState.UNKNOWN: Status.NOT_WATCHED,
}


def _rollout(facts: ReportFacts, seen: RolloutSeen) -> TimelineEvent | None:
    hotfix, env = facts.hotfix, seen.environment
    if hotfix.merged_at is None and hotfix.merge_sha is None:
        return _not_yet(Step.ROLLED_OUT, hotfix, env)
    if seen.state is RolloutState.ROLLED_OUT:
        if seen.seen_at is None:
            return TimelineEvent(
                Step.ROLLED_OUT, Status.UNKNOWN, environment=env, note=Note.TIME_NOT_RECORDED
            )
        return TimelineEvent(Step.ROLLED_OUT, Status.DONE, seen.seen_at, environment=env)
    status = _UNSETTLED_STATUS.get(seen.state) if seen.state is not None else None
    if status is None:  # waiting, or never looked at
        watching = hotfix.stage is not Stage.CANCELLED and not facts.stopped_watching
        status = Status.PENDING if watching else Status.UNCONFIRMED
    at = seen.seen_at if status in (Status.FAILED, Status.LATE) else None
    return TimelineEvent(Step.ROLLED_OUT, status, at, environment=env)


def _backmerge(facts: ReportFacts) -> list[TimelineEvent | None]:
    hotfix = facts.hotfix
    if not hotfix.needs_backmerge:
        stopped_early = hotfix.stage is Stage.CANCELLED and hotfix.merged_at is None
        return [] if stopped_early else [TimelineEvent(Step.BACKMERGED, Status.NOT_NEEDED)]
    if hotfix.backmerge is not None:
        return _backmerge_pull(facts, hotfix.backmerge.number, hotfix.backmerge.url)
    if hotfix.stage is not Stage.DONE:
        return [_not_yet(Step.BACKMERGE_OPENED, hotfix), _not_yet(Step.BACKMERGED, hotfix)]
    promoted = _ok(facts.audit, "promote", "nothing to back-merge")
    if promoted is None:
        return [TimelineEvent(Step.BACKMERGED, Status.UNKNOWN, note=Note.BY_HAND)]
    return [_when(Step.BACKMERGED, promoted.at, promoted.actor, url=None, note=Note.ALREADY_IN_MAIN)]


def _backmerge_pull(facts: ReportFacts, number: int, url: str) -> list[TimelineEvent | None]:
    """The back-merge pull request: opened (when GitHub says, else the audit trail), and merged."""
    hotfix, pull = facts.hotfix, facts.backmerge
    unanswered = Note.GITHUB_UNANSWERED if pull is None else None
    promoted = _ok(facts.audit, "promote", f"#{number}")
    at = (pull.created_at if pull else None) or (promoted.at if promoted else None)
    opened = _when(Step.BACKMERGE_OPENED, at, promoted.actor if promoted else None, url=url, note=unanswered)
    if pull is not None and pull.merged:
        return [opened, _when(Step.BACKMERGED, pull.merged_at, _github(pull.merged_by), url=url, note=None)]
    if hotfix.stage is Stage.DONE:  # main has the fix, not through this pull request (or GitHub is silent)
        return [
            opened,
            TimelineEvent(Step.BACKMERGED, Status.UNKNOWN, url=url, note=unanswered or Note.BY_HAND),
        ]
    return [opened, _not_yet(Step.BACKMERGED, hotfix)]


def _cancelled(facts: ReportFacts) -> TimelineEvent | None:
    if facts.hotfix.stage is not Stage.CANCELLED:
        return None
    entry = _ok(facts.audit, "cancel")
    deleted = entry is not None and "deleted" in entry.detail
    return _when(
        Step.CANCELLED,
        entry.at if entry else None,
        entry.actor if entry else None,
        url=None,
        note=Note.BRANCH_DELETED if deleted else None,
    )


def _in_time_order(events: list[TimelineEvent], since: datetime | None) -> tuple[TimelineEvent, ...]:
    """What follows the merge (roll-outs, back-merge) as it happened: by time, a step without a
    time right after the one listed before it (the first ones at ``since``), pending ones last."""
    timed: list[tuple[datetime, int, TimelineEvent]] = []
    untimed: list[TimelineEvent] = []  # before any time is known: kept first, in order
    pending: list[TimelineEvent] = []
    last = since
    for index, event in enumerate(events):
        if event.status is Status.PENDING:
            pending.append(event)
            continue
        last = event.at or last
        if last is None:
            untimed.append(event)
        else:
            timed.append((last, index, event))
    timed.sort(key=lambda item: (item[0], item[1]))
    return (*untimed, *(event for _, _, event in timed), *pending)


def _between(start: datetime | None, end: datetime | None) -> timedelta | None:
    return end - start if start is not None and end is not None else None


def _durations(timeline: Sequence[TimelineEvent], *, complete: bool) -> Durations:
    def at(step: Step) -> datetime | None:
        return next((e.known_at for e in timeline if e.step is step), None)

    started, merged = at(Step.STARTED), at(Step.MERGED)
    rollouts = [e for e in timeline if e.step is Step.ROLLED_OUT and e.environment]
    backmerged = next((e for e in timeline if e.step is Step.BACKMERGED), None)
    ends = [e for e in rollouts if e.status is not Status.NOT_WATCHED]
    if backmerged is not None and backmerged.status is not Status.NOT_NEEDED:
        ends.append(backmerged)
    end_times = [e.known_at for e in ends]
    total = None
    if complete and merged is not None and all(t is not None for t in end_times):
        total = _between(started, max([merged, *(t for t in end_times if t is not None)]))
    return Durations(
        start_to_pull_request=_between(started, at(Step.PULL_OPENED)),
        pull_request_to_merge=_between(at(Step.PULL_OPENED), merged),
        merge_to_rollout=tuple((e.environment or "", _between(merged, e.known_at)) for e in rollouts),
        merge_to_backmerge=_between(merged, backmerged.known_at if backmerged else None),
        total=total,
    )
