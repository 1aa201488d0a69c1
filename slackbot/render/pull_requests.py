"""The words of the pull requests and commits the bot makes on GitHub (GitHub-flavoured Markdown).

Whatever came from people (the summary typed in Slack, a ticket, an operator's name, pin values)
goes through :func:`inert` first: GitHub turns ``@name`` and ``@org/team`` into mentions that
notify people, and ``#123``, ``GH-123`` and ``owner/repo#123`` into links that also post a
cross-reference on that issue, in pull request titles, bodies and commit messages alike. A
zero-width joiner (U+200D) after the ``@``, the ``#`` or the ``GH`` keeps the text looking the same
while GitHub no longer sees a mention or a reference; unlike wrapping the word in backticks it
cannot be undone by a backtick the person typed themselves, and it works inside code spans too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from slackbot.domain.events import Rollout
from slackbot.domain.hotfix import Hotfix, PinChange
from slackbot.render.words import about

ZERO_WIDTH_JOINER = "\u200d"
# What GitHub reads as a mention (@user, @org/team: an @ not preceded by a letter or digit, so
# ``name@sha256:…`` digests and e-mail addresses stay as they are) or as an issue reference (#12,
# GH-12, owner/repo#12).
_MENTION_OR_REFERENCE = re.compile(r"(?<![A-Za-z0-9_])@(?=[A-Za-z0-9])|#(?=\d)|\bGH(?=-\d)", re.IGNORECASE)


def inert(text: str) -> str:
    """``text`` as GitHub shows it, without mentioning anyone or referencing any issue."""
    return _MENTION_OR_REFERENCE.sub(lambda match: match.group(0) + ZERO_WIDTH_JOINER, text)


def _change(pin: PinChange) -> str:
    return f"{pin.field.value} → {pin.new}"


def hotfix_title(hotfix: Hotfix) -> str:
    if hotfix.pins:
        changes = ", ".join(_change(pin) for pin in hotfix.pins)
        return inert(f"{hotfix.ticket}: {hotfix.environment} {hotfix.component} {changes}")
    return inert(f"Hot-fix {hotfix.ticket}: {hotfix.summary or hotfix.component}")


def _changes_lines(pins: Sequence[PinChange]) -> list[str]:
    """One line per changed value, old → new, in the order they were asked for."""
    if len(pins) == 1:
        pin = pins[0]
        return [inert(f"Changes `{pin.path}`: {pin.field.value} `{pin.old}` → `{pin.new}`."), ""]
    lines = ["Changes:"]
    lines += [inert(f"- `{pin.path}`: {pin.field.value} `{pin.old}` → `{pin.new}`") for pin in pins]
    return [*lines, ""]


def hotfix_body(hotfix: Hotfix, rollout: Rollout, thread_link: str | None) -> str:
    lines = [inert(f"Hot-fix **{hotfix.ticket}** for `{hotfix.component}` in **{hotfix.environment}**."), ""]
    if hotfix.summary:
        lines += [inert(hotfix.summary), ""]
    if hotfix.pins:
        lines += _changes_lines(hotfix.pins)
    lines += [
        inert(f"- Base: `{hotfix.base_branch}` at {hotfix.base_sha}"),
        f"- Rolls out to: {', '.join(rollout.environments)} (within about {about(rollout.within)} of merging)",
        inert(f"- Started by {hotfix.started_by} in Slack channel {hotfix.channel_id or '(none)'}"),
    ]
    if thread_link:
        lines.append(f"- Incident thread: {thread_link}")  # the bot's own link to Slack, kept clickable
    return "\n".join(lines)


def backmerge_title(hotfix: Hotfix, main: str) -> str:
    return inert(f"Back-merge {hotfix.base_branch} into {main} ({hotfix.ticket})")


def backmerge_body(hotfix: Hotfix, main: str, ahead_by: int) -> str:
    return inert(
        f"Carries hot-fix {hotfix.ticket} forward so the next release keeps it.\n\n"
        f"`{hotfix.base_branch}` has {ahead_by} commit(s) that `{main}` lacks."
    )


def pin_commit_message(hotfix: Hotfix, pins: Sequence[PinChange] | None = None) -> str:
    """The message of the commit changing ``pins`` (by default all the hot-fix's), all in one file."""
    changed = list(hotfix.pins if pins is None else pins)
    assert changed, "a pin commit changes at least one pin"
    values = ", ".join(f"{pin.field.value} to {pin.new}" for pin in changed)
    return inert(f"{hotfix.ticket}: set {hotfix.component} {values} on {hotfix.base_branch}")
