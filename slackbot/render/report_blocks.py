"""Block Kit for `/hotfix report TICKET`: each hot-fix's timeline and durations, within Slack's limits.

A timeline is one line per step, cut into sections of at most 3000 characters; a report too long for
one message (dozens of environments with long names) shows the environments that rolled out as one
line; reports that do not fit after the first are counted, with where to read them all.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, DividerBlock

from slackbot.domain.hotfix_report import HotfixReport
from slackbot.domain.quoting import escape
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
    section,
    within,
)
from slackbot.render.report_text import durations_line, state_line, timeline_lines, title

_MORE_ROOM = 400  # characters kept for the closing "…and N more" line
_SECTIONS_MOST = 8  # timeline sections per report (each up to 3000 characters)


def report_message(reports: Sequence[HotfixReport]) -> Message:
    """The reports of one ticket (usually one), as many as one message holds."""
    blocks: list[Block] = []
    shown = 0
    for report in reports:
        entry = _report_blocks(report)
        if json_size(entry) > MAX_MESSAGE_CHARS - _MORE_ROOM:
            entry = _report_blocks(report, summarise_rollouts=True)
        if blocks and (
            len(blocks) + len(entry) + 1 >= MAX_BLOCKS
            or json_size([*blocks, *entry]) > MAX_MESSAGE_CHARS - _MORE_ROOM
        ):
            break
        blocks += [DividerBlock(), *entry] if blocks else entry
        shown += 1
    if shown < len(reports):
        ticket = reports[0].ticket
        blocks.append(
            context(
                f"…and {len(reports) - shown} more hot-fix(es) with this ticket: "
                f"`slackbot hotfix report {ticket} --markdown` shows them all."
            )
        )
    text = "; ".join(f"{title(r)} — {state_line(r).replace('*', '')}" for r in reports)
    return Message(text=clip(text, MAX_SECTION_TEXT), blocks=blocks)


def _report_blocks(report: HotfixReport, *, summarise_rollouts: bool = False) -> list[Block]:
    first = [state_line(report)]
    if report.summary:
        first.append(f"_{escape(report.summary)}_")
    blocks: list[Block] = [header(title(report)), section(clip("\n".join(first), MAX_SECTION_TEXT))]
    lines = timeline_lines(report, summarise_rollouts=summarise_rollouts)
    for _ in range(_SECTIONS_MOST):
        if not lines:
            break
        part, _left = within(lines, chars=MAX_SECTION_TEXT - 100, most=len(lines))
        blocks.append(section("\n".join(part)))
        lines = lines[len(part) :]
    if lines:  # past what a message holds: the count, and where to read it whole
        blocks.append(context(f"…and {len(lines)} more step(s): `slackbot hotfix report {report.ticket}`."))
    blocks.append(section(durations_line(report)))
    footer = f"`slackbot hotfix report {report.ticket} --markdown` writes it for a review document."
    if report.thread:
        footer = f"{link(report.thread, 'The thread')} · {footer}"
    blocks.append(context(footer))
    return blocks
