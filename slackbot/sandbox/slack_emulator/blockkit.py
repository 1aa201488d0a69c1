"""Slack's Block Kit and message limits, and the checks that enforce them.

``check_message`` and ``check_blocks`` answer the error code Slack would (``msg_too_long``,
``no_text``, ``invalid_blocks``, ``msg_blocks_too_long``) or None; ``view_is_valid`` says whether
views.open/update would take a view. Block counts, text lengths, header plain_text, section fields,
element counts, button texts and values, select option counts, ids and the ~13k total of a
message's blocks are checked as Slack documents (and, for the total, as observed). Pure functions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slackbot.sandbox.slack_emulator.model import JsonDict

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ID_CHARS = 255
MAX_MARKDOWN_TEXT = 12_000
MAX_SELECT_OPTIONS = 100
MAX_BLOCKS_JSON_CHARS = 13_000
MAX_TEXT_CHARS = 40_000
MAX_VIEW_TITLE = 24

_SELECTS = ("static_select", "multi_static_select", "overflow", "radio_buttons", "checkboxes")


def text_of(obj: Any) -> str | None:
    """The text of a Block Kit text object, or None when it is not one."""
    if isinstance(obj, dict) and obj.get("type") in ("plain_text", "mrkdwn"):
        text = obj.get("text")
        if isinstance(text, str):
            return text
    return None


def _valid_text(obj: Any, limit: int) -> bool:
    text = text_of(obj)
    return text is not None and 0 < len(text) <= limit


def _valid_id(value: Any) -> bool:
    """An optional block_id or action_id: absent, or a string of at most 255 characters."""
    return value is None or (isinstance(value, str) and len(value) <= MAX_ID_CHARS)


def _element_is_valid(element: Any) -> bool:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        return False
    if not _valid_id(element.get("action_id")):
        return False
    kind = element["type"]
    if kind == "button":
        value = element.get("value")
        return _valid_text(element.get("text"), MAX_BUTTON_TEXT) and (
            value is None or (isinstance(value, str) and len(value) <= MAX_BUTTON_VALUE)
        )
    if kind in _SELECTS:
        options = element.get("options", element.get("option_groups", []))
        return isinstance(options, list) and len(options) <= MAX_SELECT_OPTIONS
    return True


def _section_is_valid(block: JsonDict) -> bool:
    text, fields, accessory = block.get("text"), block.get("fields"), block.get("accessory")
    if text is None and fields is None:
        return False  # Slack: "must provide either text or fields"
    if text is not None and not _valid_text(text, MAX_SECTION_TEXT):
        return False
    if fields is not None and (
        not isinstance(fields, list)
        or not 0 < len(fields) <= MAX_SECTION_FIELDS
        or not all(_valid_text(f, MAX_FIELD_TEXT) for f in fields)
    ):
        return False
    return accessory is None or _element_is_valid(accessory)


def _elements_are_valid(block: JsonDict, limit: int, *, interactive: bool) -> bool:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 0 < len(elements) <= limit:
        return False
    return not interactive or all(_element_is_valid(e) for e in elements)


def _header_is_valid(block: JsonDict) -> bool:
    return _valid_text(block.get("text"), MAX_HEADER_TEXT)


def _markdown_is_valid(block: JsonDict) -> bool:
    text = block.get("text")
    return isinstance(text, str) and 0 < len(text) <= MAX_MARKDOWN_TEXT


_BLOCK_RULES: dict[str, Callable[[JsonDict], bool]] = {
    "section": _section_is_valid,
    "header": _header_is_valid,
    "context": lambda b: _elements_are_valid(b, MAX_CONTEXT_ELEMENTS, interactive=False),
    "actions": lambda b: _elements_are_valid(b, MAX_ACTIONS_ELEMENTS, interactive=True),
    "markdown": _markdown_is_valid,
    "rich_text": lambda b: isinstance(b.get("elements"), list),
}


def _block_is_valid(block: Any) -> bool:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return False
    if not _valid_id(block.get("block_id")):
        return False
    rule = _BLOCK_RULES.get(block["type"])
    return rule is None or rule(block)  # other block types are accepted as they are


def check_blocks(blocks: Any, *, max_blocks: int = MAX_MESSAGE_BLOCKS) -> str | None:
    """The error Slack would answer for these message blocks, or None when they are fine."""
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) > max_blocks:
        return "invalid_blocks"
    if not all(_block_is_valid(b) for b in blocks):
        return "invalid_blocks"
    if len(json.dumps(blocks, ensure_ascii=False, separators=(",", ":"))) > MAX_BLOCKS_JSON_CHARS:
        return "msg_blocks_too_long"
    return None


def check_message(text: str, blocks: Any, attachments: Any = None) -> str | None:
    """The error Slack would answer for this message content, or None."""
    if len(text) > MAX_TEXT_CHARS:
        return "msg_too_long"
    if not text and not blocks and not attachments:
        return "no_text"
    return check_blocks(blocks)


def view_is_valid(view: Any) -> bool:
    """Whether views.open/update would take this modal (else Slack answers ``invalid_arguments``).

    A view's blocks may exceed a message's ~13k total; only invalid blocks are refused.
    """
    if not isinstance(view, dict) or view.get("type") != "modal":
        return False
    if not _valid_text(view.get("title"), MAX_VIEW_TITLE):
        return False
    blocks = view.get("blocks")
    return isinstance(blocks, list) and check_blocks(blocks, max_blocks=MAX_VIEW_BLOCKS) != "invalid_blocks"
