"""Block Kit basics shared by every message: the message type, links, escaping, Slack's limits.

Every message comes with a plain-text fallback (notifications, screen readers, old clients).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from slackbot.domain.quoting import escape

# Slack's documented limits, with a margin where Slack counts differently than we do.
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_MESSAGE_CHARS = 12000  # Slack refuses (msg_blocks_too_long) somewhere above 13k in total
MAX_FIELDS = 10
MAX_CONTEXT_ELEMENTS = 10
MAX_SELECT_OPTIONS = 100


@dataclass(frozen=True)
class Message:
    """A message to post or respond with: fallback text plus blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": [block.to_dict() for block in self.blocks]}


def mrkdwn_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves; escaping twice is escaping once
    (:func:`slackbot.domain.quoting.escape`, which quotes what people typed in every sentence)."""
    return escape(text)


def link(url: str | None, label: str) -> str:
    return f"<{url}|{mrkdwn_escape(label)}>" if url else mrkdwn_escape(label)


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=clip(text, MAX_HEADER_TEXT))


def context(*lines: str) -> ContextBlock:
    return ContextBlock(
        elements=[
            MarkdownTextObject(text=clip(line, MAX_SECTION_TEXT)) for line in lines[:MAX_CONTEXT_ELEMENTS]
        ]
    )


def clip(text: str, most: int) -> str:
    """``text``, cut to at most ``most`` characters with an ellipsis when it was longer."""
    return text if len(text) <= most else text[: most - 1] + "…"


def within(lines: Sequence[str], *, chars: int, most: int) -> tuple[list[str], int]:
    """The first of ``lines`` that fit in ``chars`` characters as Slack counts them (``json_len``)
    and in ``most`` items (the first one always, clipped to fit), and how many were left out."""
    kept: list[str] = []
    used = 0
    for line in lines:
        if len(kept) == most or (kept and used + json_len(line) > chars):
            break
        kept.append(line if kept else _clip_json(line, chars))
        used += json_len(kept[-1])
    return kept, len(lines) - len(kept)


def _clip_json(text: str, most: int) -> str:
    """``text`` clipped until it takes at most ``most`` characters in JSON."""
    while json_len(text) > most and len(text) > 1:
        text = clip(text, max(1, len(text) - max(1, (json_len(text) - most) // 2)))
    return text


def json_len(text: str) -> int:
    """How many characters ``text`` takes in a message's JSON (quotes and backslashes escaped)."""
    return len(json.dumps(text, ensure_ascii=False)) - 2


def json_size(blocks: Sequence[Block]) -> int:
    """How many characters the blocks take as Slack measures a message (compact JSON)."""
    return len(json.dumps([b.to_dict() for b in blocks], ensure_ascii=False, separators=(",", ":")))


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, MAX_SECTION_TEXT)))


def error_message(sentence: str) -> Message:
    """A sentence saying what went wrong, escaped in its fallback text as in its blocks (Slack reads
    mentions in both)."""
    safe = mrkdwn_escape(sentence)
    return Message(text=safe, blocks=[section(f":warning: {safe}")])


def short_form(message: Message, refused: str) -> Message:
    """A message Slack refused to show (``refused`` is its error code), as plain text it takes."""
    text = f":warning: Slack would not show my whole answer ({refused}), so here is its short form: {message.text}"
    return Message(text=clip(text, MAX_SECTION_TEXT))
