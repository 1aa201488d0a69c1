"""Block Kit basics shared by every message: the message type, links, escaping, Slack's limits.

Every message comes with a plain-text fallback (notifications, screen readers, old clients).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

# Slack's documented limits, with a margin where Slack counts differently than we do.
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_MESSAGE_CHARS = 12000  # Slack refuses (msg_blocks_too_long) somewhere above 13k in total
MAX_FIELDS = 10


@dataclass(frozen=True)
class Message:
    """A message to post or respond with: fallback text plus blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": [block.to_dict() for block in self.blocks]}


def mrkdwn_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str) -> str:
    return f"<{url}|{mrkdwn_escape(label)}>" if url else mrkdwn_escape(label)


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=text if len(text) <= MAX_HEADER_TEXT else text[: MAX_HEADER_TEXT - 1] + "…")


def context(*lines: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=line[:MAX_SECTION_TEXT]) for line in lines[:10]])


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text[:MAX_SECTION_TEXT]))


def error_message(sentence: str) -> Message:
    return Message(text=sentence, blocks=[section(f":warning: {mrkdwn_escape(sentence)}")])
