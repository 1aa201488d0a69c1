"""Every sentence the bot says about hot-fixes, in one place: events and replies to words.

Written in Slack's mrkdwn (links ``<url|label>``, mentions ``<@U…>``, emoji codes); the terminal
shows the same sentences through :mod:`slackbot.render.terminal`, so Slack, the CLI and the demo
say the same thing from one source.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import singledispatch

from slackbot.domain import events as ev
from slackbot.domain.hotfix import Hotfix, Stage
from slackbot.domain.report_document import report_from_document
from slackbot.domain.rollout import describe_duration
from slackbot.render import report_text

_CANT_REACH = re.compile(r"^can't reach [^:]*:\s*", re.IGNORECASE)
_DONE = ":white_check_mark:"


def who(started_by: str) -> str:
    """A Slack user as a mention; an operator at a terminal (``cli:alice``) as written."""
    return started_by if started_by.startswith("cli:") else f"<@{started_by}>"


def about(delta: timedelta) -> str:
    """A deadline as people say it: 10 minutes, 1 hour, 90 seconds, 1h30m."""
    seconds = int(delta.total_seconds())
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return describe_duration(delta)


def and_list(names: tuple[str, ...] | list[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def rolls_out(rollout: ev.Rollout, subject: str, *, rolling: bool = False) -> str:
    verb = "is rolling out to" if rolling else "rolls out to"
    return f"{subject} {verb} *{and_list(rollout.environments)}* within about {about(rollout.within)}."


def stage_words(hotfix: Hotfix) -> str:
    return {
        Stage.STARTING: "starting",
        Stage.BRANCHED: "branch created, waiting for commits",
        Stage.PR_OPEN: f"pull request #{hotfix.pull.number if hotfix.pull else '?'} open",
        Stage.MERGED: f"merged into {hotfix.base_branch}, back-merge pending",
        Stage.BACKMERGE_OPEN: "back-merge pull request open",
        Stage.DONE: "complete",
        Stage.CANCELLED: "cancelled",
    }[hotfix.stage]


def mergeability(mergeable: bool | None) -> str:
    if mergeable is True:
        return "GitHub can merge it cleanly"
    if mergeable is False:
        return "it has conflicts to resolve before it can merge"
    return "GitHub is still checking whether it merges cleanly"


# -- news in a hot-fix's thread (`sentence` words the answers to people too, below) ------------------------------------------------------------------


@singledispatch
def sentence(said: ev.ThreadEvent | ev.Reply) -> str:
    """News for a hot-fix's thread, or the answer for the person who asked, in one sentence or two."""
    raise TypeError(f"no words for {type(said).__name__}")


@sentence.register
def _(event: ev.BranchCut) -> str:
    hotfix = event.hotfix
    verb = "found (adopted)" if event.adopted else "created"
    return f"Branch `{hotfix.branch}` {verb} from `{hotfix.base_branch}` at `{(hotfix.base_sha or '')[:7]}`."


@sentence.register
def _(event: ev.PullOpened) -> str:
    return (
        f"Pull request <{event.url}|#{event.number}> opened into `{event.hotfix.base_branch}`. "
        + rolls_out(event.rollout, "Merging it")
    )


@sentence.register
def _(event: ev.Merged) -> str:
    hotfix = event.hotfix
    then = (
        f" Next: `/hotfix promote {hotfix.ticket}` to back-merge into `{event.main_branch}`."
        if hotfix.needs_backmerge
        else f" {'Pins need' if hotfix.more_pins else 'A pin needs'} no back-merge: done. {_DONE}"
    )
    return (
        f"Merged into `{hotfix.base_branch}` as `{(hotfix.merge_sha or '')[:7]}`. "
        + rolls_out(event.rollout, "It", rolling=True)
        + then
    )


@sentence.register(ev.PullClosed)
@sentence.register(ev.BackmergeClosed)
def _closed(event: ev.PullClosed | ev.BackmergeClosed) -> str:
    if isinstance(event, ev.BackmergeClosed):
        what, then, command = (
            "Back-merge pull request",
            f"; `{event.main_branch}` still lacks the fix.",
            "promote",
        )
    else:
        what, then, command = "Pull request", ".", "pr"
    return (
        f"{what} #{event.number} was closed without merging{then} "
        f"`/hotfix {command} {event.hotfix.ticket}` opens a new one."
    )


@sentence.register
def _(event: ev.BackmergeOpened) -> str:
    return (
        f"Back-merge pull request <{event.url}|#{event.number}> into `{event.main_branch}` is open; "
        f"{mergeability(event.mergeable)}."
    )


@sentence.register
def _(event: ev.Completed) -> str:
    main, base = event.main_branch, event.hotfix.base_branch
    if event.how is ev.HowCompleted.BACKMERGED:
        return f"Back-merged into `{main}`: hot-fix complete. {_DONE}"
    have = "already has" if event.how is ev.HowCompleted.ALREADY_IN_MAIN else "now has"
    return f"`{main}` {have} everything in `{base}`: hot-fix complete. {_DONE}"


@sentence.register
def _(event: ev.Cancelled) -> str:
    hotfix = event.hotfix
    return (
        f"Cancelled by {who(event.by_user)}: the bot stops tracking {hotfix.ticket}. "
        f"Nothing was deleted; `{hotfix.branch}` and any pull request stay as they are."
    )


@sentence.register
def _(event: ev.BranchDeleted) -> str:
    hotfix = event.hotfix
    closing = f" and pull request #{event.closed_pull} closed" if event.closed_pull is not None else ""
    return (
        f"`{hotfix.branch}` was deleted from `{hotfix.repository}`{closing}, so the bot stops "
        f"following {hotfix.ticket}. If the fix is still needed, start again with `/hotfix`."
    )


sentence.register(
    ev.RolledOut,
    lambda e: f"{_DONE} {e.environment} rolled out `{e.sha[:7]}` in {describe_duration(e.took)}.",
)


@sentence.register
def _(event: ev.RolloutFailed) -> str:
    verb = "applied" if event.applied else "tried to apply"
    return (
        f":x: {event.environment} {verb} `{event.sha[:7]}` but Flux reports {event.reason or 'a failure'}: "
        f"{event.message or 'no message'}"
    )


@sentence.register
def _(event: ev.RolloutLate) -> str:
    flux_says = f"{event.reason or ''}: {event.message or ''}".strip(": ") or "nothing yet"
    return (
        f":warning: {event.environment} has not applied `{event.sha[:7]}` {describe_duration(event.waited)} "
        f"after the merge (deadline {describe_duration(event.deadline)}). Flux says: {flux_says}."
    )


sentence.register(ev.RolloutUnwatchable, lambda e: f":warning: {e.detail}")
sentence.register(ev.ReportReady, lambda e: report_text.thread_text(report_from_document(e.document)))


@sentence.register
def _(event: ev.Unreachable) -> str:
    # The adapters' sentences may start "can't reach X:" themselves, and end with a full stop.
    detail = _CANT_REACH.sub("", event.detail).rstrip(". ")
    return f":warning: Can't reach {event.system}: {detail}. I'll keep trying and say when it's back."


@sentence.register
def _(event: ev.Reachable) -> str:
    return f"{event.system[:1].upper()}{event.system[1:]} is reachable again."


# -- back-merge reminders ---------------------------------------------------------------------------


def reminder_text(reminder: ev.BackmergeReminder) -> str:
    item, hotfix, main = reminder.item, reminder.hotfix, reminder.main_branch
    age = f", the oldest from {item.oldest_commit_at:%Y-%m-%d}" if item.oldest_commit_at is not None else ""
    pull = (
        f"Back-merge pull request <{item.pull.url}|#{item.pull.number}> is open"
        if item.pull
        else f"No back-merge pull request yet: `/hotfix promote {hotfix.ticket}` opens one"
    )
    return (
        f"Reminder {who(hotfix.started_by)}: `{item.branch}` still has {item.ahead_by} commit(s) `{main}` "
        f"lacks{age}. {pull}. (Snooze with `/hotfix snooze {hotfix.ticket} 2d`.)"
    )


def channel_post_text(post: ev.ChannelPost) -> str:
    if isinstance(post, ev.Escalation):
        return (
            f":rotating_light: {post.hotfix.ticket}'s back-merge into `{post.main_branch}` is still "
            f"pending after {post.reminders} reminders ({who(post.hotfix.started_by)})."
        )
    return (
        f"{len(post.items)} release branch(es) have commits `{post.main_branch}` lacks — back-merges to do:"
    )


# -- answers to the person who asked ----------------------------------------------------------------


@sentence.register
def _(reply: ev.AlreadyStarted) -> str:
    hotfix = reply.hotfix
    follow = (
        "its thread is still being posted; ask again in a minute if it does not appear"
        if reply.thread_pending
        else "follow it in its thread"
    )
    return f"{hotfix.ticket} is already being hot-fixed in `{hotfix.repository}` ({stage_words(hotfix)}); {follow}."


@sentence.register
def _(reply: ev.Started) -> str:
    hotfix = reply.hotfix
    then = (
        "Its pull request is open."
        if hotfix.stage is Stage.PR_OPEN
        else "Push your fix to that branch; the pull request opens once it has commits "
        f"(or run `/hotfix pr {hotfix.ticket}`)."
    )
    return f"Hot-fix {hotfix.ticket} started: `{hotfix.branch}` in `{hotfix.repository}`. " + then


# The short answers, one line each.
sentence.register(
    ev.PullAlreadyOpen,
    lambda r: f"{r.hotfix.ticket}'s pull request is already open ({stage_words(r.hotfix)}).",
)
sentence.register(ev.PullRequested, lambda r: f"Pull request opened: {r.url}")
sentence.register(
    ev.NoBackmergeNeeded,
    lambda r: (
        f"{r.hotfix.ticket} changes {'pins' if r.hotfix.more_pins else 'a pin'} on `{r.hotfix.base_branch}`; "
        "it needs no back-merge."
    ),
)
sentence.register(
    ev.AlreadyBackmerged, lambda r: f"{r.hotfix.ticket} is already back-merged into `{r.main_branch}`."
)
sentence.register(
    ev.NothingToBackmerge,
    lambda r: (
        f"`{r.main_branch}` already has every commit of `{r.hotfix.base_branch}`; {r.hotfix.ticket} is complete."
    ),
)
sentence.register(
    ev.BackmergeRequested, lambda r: f"Back-merge pull request: {r.url} ({mergeability(r.mergeable)})."
)
sentence.register(
    ev.StoppedTracking, lambda r: f"{r.hotfix.ticket} is no longer tracked; nothing was deleted."
)
sentence.register(
    ev.Snoozed,
    lambda r: f"Back-merge reminders for {r.subject.name} are snoozed until {r.until:%a %d %b %H:%M} UTC.",
)
