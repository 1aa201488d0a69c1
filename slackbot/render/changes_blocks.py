"""`/versions changes ENV [COMPONENT]` as Block Kit: one section per commit, newest first.

Thirty commits each changing forty components do not fit in one message: each commit shows at
most ``MAX_LINES`` components, the message stops adding commits before Slack's limits (50 blocks,
~12k characters in all) and says how many it left out, and where to read them all (the terminal's
``--json``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import groupby

from slack_sdk.models.blocks import Block

from slackbot.domain.pin_history import CORE_CHART_FIELD, Change, CommitChanges, PinChange
from slackbot.render.blocks import (
    MAX_BLOCKS,
    MAX_MESSAGE_CHARS,
    MAX_SECTION_TEXT,
    Message,
    clip,
    context,
    header,
    json_size,
    link,
    mrkdwn_escape,
    section,
)
from slackbot.services.pin_changes import ChangesAnswer

MAX_LINES = 8  # components shown per commit; the rest are counted
MAX_VALUE = 80  # characters of one value (image references can be long)
_FIELD_WORDS = {
    "branch": "branch",
    "chart_version": "chart",
    "image": "image",
    CORE_CHART_FIELD: "core chart",
}
_TAIL_BLOCKS = 3  # kept free for the closing contexts


def span_words(span: timedelta) -> str:
    """``--since`` as people say it: 12 hours, 7 days, 2 weeks."""
    seconds = int(span.total_seconds())
    for unit, size, least in (
        ("week", 604_800, 2),
        ("day", 86_400, 1),
        ("hour", 3_600, 1),
        ("minute", 60, 1),
    ):
        if seconds % size == 0 and seconds // size >= least:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def when(moment: datetime) -> str:
    """A time Slack shows in each reader's own time zone; UTC where it cannot (and in the terminal)."""
    fallback = f"{moment:%Y-%m-%d %H:%M} UTC"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _value(text: str | None) -> str:
    return f"`{mrkdwn_escape(clip(text, MAX_VALUE))}`" if text is not None else "—"


def _component_line(name: str, changes: list[PinChange]) -> str:
    kind = changes[0].change
    subject = f"`{mrkdwn_escape(name)}`"
    pins = [c for c in changes if c.field is not None]
    if kind is Change.ADDED:
        added = ", ".join(f"{_FIELD_WORDS[c.field or '']} {_value(c.new)}" for c in pins)
        return f"• {subject} added" + (f": {added}" if added else "")
    if kind is Change.REMOVED:
        gone = ", ".join(f"{_FIELD_WORDS[c.field or '']} {_value(c.old)}" for c in pins)
        return f"• {subject} removed" + (f" (was {gone})" if gone else "")
    moved = ", ".join(f"{_FIELD_WORDS[c.field or '']} {_value(c.old)} → {_value(c.new)}" for c in pins)
    return f"• {subject} {moved}"


def commit_text(found: CommitChanges) -> str:
    """One commit: its link, title, author and time, then a line per component it changed."""
    commit = found.commit
    title = mrkdwn_escape(clip(commit.title, 120)) or "(no message)"
    lines = [
        f"*{link(commit.url, commit.short_sha)}* {title} — {mrkdwn_escape(commit.author)}, {when(commit.date)}"
    ]
    grouped = [(name, list(changes)) for name, changes in groupby(found.changes, key=lambda c: c.component)]
    body = [_component_line(name, changes) for name, changes in grouped]
    body += [f":warning: {mrkdwn_escape(clip(problem, 300))}" for problem in found.problems]
    shown: list[str] = []
    for line in body[:MAX_LINES]:
        if sum(len(x) + 1 for x in [*lines, *shown, line]) > MAX_SECTION_TEXT - 100:
            break
        shown.append(line)
    if len(body) > len(shown):
        shown.append(f"…and {len(body) - len(shown)} more")
    return "\n".join(lines + shown)


def _commit_sections(commits: tuple[CommitChanges, ...], blocks: list[Block], command: str) -> list[Block]:
    """``blocks`` followed by a section per commit, as many as Slack's limits allow."""
    out = list(blocks)
    for index, found in enumerate(commits):
        candidate = section(commit_text(found))
        full = len(out) + 1 > MAX_BLOCKS - _TAIL_BLOCKS
        if full or json_size([*out, candidate]) > MAX_MESSAGE_CHARS - 1500:
            left = len(commits) - index
            out.append(
                context(
                    f"…and {left} older {'commit' if left == 1 else 'commits'}: `{command} --json` lists them all."
                )
            )
            break
        out.append(candidate)
    return out


def changes_message(answer: ChangesAnswer) -> Message:
    """The reply to `/versions changes …` (and `slackbot versions changes …`)."""
    env, span = answer.environment, span_words(answer.span)
    subject = f"{answer.component} in {env}" if answer.component else env
    command = f"slackbot versions changes {env}" + (f" {answer.component}" if answer.component else "")
    source = f"`{answer.repository}` @ {link(answer.branch_url, answer.branch)}"
    blocks: list[Block] = [header(f"{subject} — pin changes in the last {span}")]
    if answer.commits:
        count = len(answer.commits)
        blocks.append(
            context(
                f"{count} {'commit' if count == 1 else 'commits'} on {source} since {when(answer.since)}, newest first"
            )
        )
        blocks = _commit_sections(answer.commits, blocks, command)
    else:
        what = f"`{mrkdwn_escape(answer.component)}` pin" if answer.component else "pin"
        quiet = f"No {what} changed in {env} in the last {span} (read from {source})."
        if answer.unchanged:
            touched = f"{answer.unchanged} {'commit' if answer.unchanged == 1 else 'commits'}"
            quiet += f" {touched} touched the core files without changing {'its pins' if answer.component else 'a pin'}."
        blocks.append(section(quiet))
        if answer.earlier:
            blocks.append(context("The latest changes before that:"))
            blocks = _commit_sections(answer.earlier, blocks, command)
    notes = []
    if answer.unchanged and answer.commits:
        notes.append(
            f"{answer.unchanged} more {'commit' if answer.unchanged == 1 else 'commits'} touched the core files "
            + ("without changing its pins." if answer.component else "without changing a pin.")
        )
    if answer.more:
        notes.append(
            "Only the newest commits of the window were read; ask for a shorter `--since`"
            + ("." if answer.component else " or one component.")
        )
    if notes:
        blocks.append(context(*notes))
    return Message(text=_fallback(answer, subject, span), blocks=blocks[:MAX_BLOCKS])


def _fallback(answer: ChangesAnswer, subject: str, span: str) -> str:
    if answer.commits:
        newest = answer.commits[0].commit
        count = len(answer.commits)
        return mrkdwn_escape(
            f"{subject}: {count} {'commit' if count == 1 else 'commits'} changed pins in the last {span}; "
            f"the newest, {newest.short_sha} by {newest.author}: {newest.title}"
        )
    text = f"{subject}: no pin changed in the last {span}"
    if answer.earlier:
        latest = answer.earlier[0].commit
        text += f"; the latest change was {latest.short_sha} on {latest.date:%Y-%m-%d}"
    return mrkdwn_escape(text)
