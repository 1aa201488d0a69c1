"""The contract every message and view the bot sends Slack must keep, checked with slack_sdk's own
models and Slack's documented limits — independently of the emulator's checks, as a second opinion.

A message's blocks must each parse with ``Block.parse`` into a known block that passes
``validate_json`` and turns back into the same JSON (nothing dropped or rewritten), at most 50 of
them, section texts at most 3000 characters, section fields at most 10 (2000 each), header texts
plain and at most 150, and all of them together at most ~13k characters; its text at most 40k. A
view must build as ``View(**view)`` and pass ``validate_json``, with at most 100 blocks kept to
the same rules (but not the 13k total); a modal needs a plain-text title of at most 24 characters
and a ``submit`` when it has an input block, a Home tab neither title nor submit nor close.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from slackbot.sandbox.slack_emulator.model import Received

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BLOCKS_CHARS = 13_000
MAX_TEXT = 40_000
MAX_VIEW_TITLE = 24


def _block_problems(block: Any, where: str) -> list[str]:
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [f"{where}: slack_sdk does not know this block: {block!r:.120}"]
        parsed.validate_json()
    except Exception as error:  # SlackObjectFormationError, or a block that cannot be built
        return [f"{where}: slack_sdk refuses it: {error}"]
    problems = (
        [] if parsed.to_dict() == block else [f"{where}: slack_sdk reads it differently: {block!r:.160}"]
    )
    kind, text = block.get("type"), block.get("text")
    if kind == "section":
        if isinstance(text, dict) and len(str(text.get("text", ""))) > MAX_SECTION_TEXT:
            problems.append(f"{where}: section text over {MAX_SECTION_TEXT} characters")
        fields = block.get("fields") or []
        if len(fields) > MAX_FIELDS or any(len(str(f.get("text", ""))) > MAX_FIELD_TEXT for f in fields):
            problems.append(
                f"{where}: more than {MAX_FIELDS} fields, or one over {MAX_FIELD_TEXT} characters"
            )
    if kind == "header" and (
        not isinstance(text, dict)
        or text.get("type") != "plain_text"
        or len(text.get("text", "")) > MAX_HEADER_TEXT
    ):
        problems.append(f"{where}: a header takes plain text of at most {MAX_HEADER_TEXT} characters")
    return problems


def _blocks_problems(blocks: Any, where: str, most: int) -> list[str]:
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return [f"{where}: blocks are not a list"]
    problems = [] if len(blocks) <= most else [f"{where}: {len(blocks)} blocks (at most {most})"]
    for n, block in enumerate(blocks):
        problems += _block_problems(block, f"{where}/blocks/{n}")
    return problems


def message_problems(content: dict[str, Any], where: str = "message") -> list[str]:
    """What in a message (its ``text`` and ``blocks``) breaks the contract."""
    blocks = content.get("blocks")
    problems = _blocks_problems(blocks, where, MAX_MESSAGE_BLOCKS)
    size = len(json.dumps(blocks or [], ensure_ascii=False, separators=(",", ":")))
    if size > MAX_BLOCKS_CHARS:
        problems.append(f"{where}: blocks take {size} characters (Slack refuses above ~{MAX_BLOCKS_CHARS})")
    if len(str(content.get("text") or "")) > MAX_TEXT:
        problems.append(f"{where}: text over {MAX_TEXT} characters")
    if not content.get("text") and not blocks and not content.get("delete_original"):
        problems.append(f"{where}: nothing to show")
    return problems


def view_problems(view: Any, where: str = "view") -> list[str]:
    """What in a view (a modal, or a Home tab) breaks the contract."""
    if not isinstance(view, dict):
        return [f"{where}: not a view: {view!r:.80}"]
    try:
        View(**view).validate_json()
    except Exception as error:
        return [f"{where}: slack_sdk refuses it: {error}"]
    problems = _blocks_problems(view.get("blocks"), where, MAX_VIEW_BLOCKS)
    if view.get("type") == "home":  # a Home tab (views.publish) has no title (slack_sdk: nor submit)
        return problems
    title = view.get("title") or {}
    if title.get("type") != "plain_text" or not 0 < len(title.get("text", "")) <= MAX_VIEW_TITLE:
        problems.append(f"{where}: the title must be plain text of 1 to {MAX_VIEW_TITLE} characters")
    if any(b.get("type") == "input" for b in view.get("blocks") or []) and not view.get("submit"):
        problems.append(f"{where}: an input block needs a submit button")
    return problems


def contract_problems(received: Iterable[Received]) -> list[str]:
    """Everything the bot sent that breaks the contract, one line each."""
    problems: list[str] = []
    for n, item in enumerate(received):
        where = f"#{n} {item.via}"
        if item.is_view:
            problems += view_problems(item.content.get("view"), where)
        else:
            problems += message_problems(item.content, where)
    return problems


def assert_contract_kept(received: Iterable[Received]) -> None:
    """Fail, listing every breach, when anything sent broke the contract."""
    problems = contract_problems(received)
    assert problems == [], "the bot sent Slack what it refuses:\n" + "\n".join(problems)
