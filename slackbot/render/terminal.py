"""Block Kit to plain terminal text: what a person would read in Slack.

Used by the demo console and by test conversations (``Reply.text``), so it must be predictable:
prose is never re-wrapped (a test looking for "pinned to release/0.2.105" must find it on one
line); ``width`` only sizes dividers and the two field columns.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_CODE_FENCE = re.compile(r"(```.*?```)", re.DOTALL)
_DIVIDER_CHAR = "─"
_CONTEXT_INDENT = "  "


def _convert_link(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):  # <@U123> or <@U123|alice>
        return "@" + (label or target[1:])
    if target.startswith("#"):  # <#C123|general>
        return "#" + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S1|@team>, <!date^...|fallback>
        if label:
            return label
        return "@" + target[1:].split("^", 1)[0]
    if label and label != target:
        return f"{label} ({target})"
    return target


def mrkdwn_to_text(text: str) -> str:
    """Slack mrkdwn as read: links spelled out, entities unescaped, code fences verbatim."""
    parts = _CODE_FENCE.split(text)
    out = []
    for index, part in enumerate(parts):
        if index % 2 == 1:  # inside ``` fences: Slack shows it verbatim
            out.append(html.unescape(part))
        else:
            out.append(html.unescape(_LINK.sub(_convert_link, part)))
    return "".join(out)


def _text(obj: Any) -> str:
    """The readable text of a text object (plain_text or mrkdwn) or a bare string."""
    if isinstance(obj, str):
        return mrkdwn_to_text(obj)
    if isinstance(obj, dict):
        text = obj.get("text")
        if isinstance(text, str):
            return mrkdwn_to_text(text) if obj.get("type") == "mrkdwn" else text
    return ""


def _select(element: dict[str, Any]) -> str:
    chosen = element.get("initial_option")
    label = _text(chosen.get("text")) if isinstance(chosen, dict) else _text(element.get("placeholder"))
    return f"[ {label or 'Select'} ▾ ]"


def _datepicker(element: dict[str, Any]) -> str:
    return f"[ {element.get('initial_date') or _text(element.get('placeholder')) or 'date'} ▾ ]"


_ELEMENTS: dict[str, Callable[[dict[str, Any]], str]] = {
    "button": lambda e: f"[ {_text(e.get('text'))} ]",
    "static_select": _select,
    "external_select": _select,
    "users_select": _select,
    "conversations_select": _select,
    "channels_select": _select,
    "overflow": lambda e: "[ ⋯ ]",
    "image": lambda e: f"[image: {e.get('alt_text', '')}]",
    "mrkdwn": _text,
    "plain_text": _text,
    "datepicker": _datepicker,
    "plain_text_input": lambda e: "[ ____ ]",
}


def _element(element: Any) -> str:
    """An interactive element as a bracketed control (context texts as their text)."""
    if not isinstance(element, dict):
        return ""
    kind = str(element.get("type"))
    render = _ELEMENTS.get(kind)
    return render(element) if render else f"[ {kind} ]"


def _columns(fields: list[Any], width: int) -> list[str]:
    """Section fields laid out two by two, the left column padded to half the width."""
    column = max(width // 2, 1)
    lines: list[str] = []
    for left_field, right_field in zip(fields[0::2], [*fields[1::2], None], strict=False):
        left = _text(left_field).splitlines() or [""]
        right = _text(right_field).splitlines() if right_field is not None else []
        for row in range(max(len(left), len(right))):
            left_line = left[row] if row < len(left) else ""
            right_line = right[row] if row < len(right) else ""
            lines.append(f"{left_line:<{column}}{right_line}".rstrip() if right_line else left_line)
    return lines


def _rich_text_inline(elements: Any) -> str:
    out = []
    for element in elements if isinstance(elements, list) else []:
        if not isinstance(element, dict):
            continue
        kind = element.get("type")
        if kind == "text":
            out.append(str(element.get("text", "")))
        elif kind == "link":
            url, label = str(element.get("url", "")), element.get("text")
            out.append(f"{label} ({url})" if label and label != url else url)
        elif kind == "user":
            out.append(f"@{element.get('user_id', '')}")
        elif kind == "channel":
            out.append(f"#{element.get('channel_id', '')}")
        elif kind == "usergroup":
            out.append(f"@{element.get('usergroup_id', '')}")
        elif kind == "emoji":
            out.append(f":{element.get('name', '')}:")
        elif kind == "broadcast":
            out.append(f"@{element.get('range', '')}")
    return "".join(out)


def _rich_text(block: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for part in block.get("elements") or []:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind == "rich_text_section":
            lines.extend(_rich_text_inline(part.get("elements")).splitlines() or [""])
        elif kind == "rich_text_preformatted":
            lines.extend(["```", *_rich_text_inline(part.get("elements")).splitlines(), "```"])
        elif kind == "rich_text_quote":
            lines.extend("> " + line for line in _rich_text_inline(part.get("elements")).splitlines())
        elif kind == "rich_text_list":
            ordered = part.get("style") == "ordered"
            for number, item in enumerate(part.get("elements") or [], start=1):
                bullet = f"{number}." if ordered else "•"
                text = _rich_text_inline(item.get("elements")) if isinstance(item, dict) else ""
                lines.append(f"{bullet} {text}")
    return lines


def _section(block: dict[str, Any], width: int) -> list[str]:
    lines = _text(block.get("text")).splitlines() if block.get("text") else []
    fields = block.get("fields")
    if isinstance(fields, list) and fields:
        lines.extend(_columns(fields, width))
    accessory = block.get("accessory")
    if accessory is not None:
        control = _element(accessory)
        if lines and not lines[-1].endswith("```"):
            lines[-1] = f"{lines[-1]}  {control}"
        else:
            lines.append(control)
    return lines


def _header(block: dict[str, Any], width: int) -> list[str]:
    title = _text(block.get("text")).upper()
    return [title, "═" * min(len(title), width)]


def _context(block: dict[str, Any], width: int) -> list[str]:
    parts = [_element(e) for e in block.get("elements") or []]
    return [_CONTEXT_INDENT + "  ".join(p for p in parts if p)]


_BLOCKS: dict[str, Callable[[dict[str, Any], int], list[str]]] = {
    "header": _header,
    "section": _section,
    "divider": lambda b, width: [_DIVIDER_CHAR * width],
    "context": _context,
    "actions": lambda b, width: ["  ".join(_element(e) for e in b.get("elements") or [])],
    "rich_text": lambda b, width: _rich_text(b),
    "markdown": lambda b, width: mrkdwn_to_text(str(b.get("text", ""))).splitlines(),
    "image": lambda b, width: [f"[image: {b.get('alt_text', '')}]"],
    "input": lambda b, width: [f"{_text(b.get('label'))}: {_element(b.get('element'))}"],
}


def _block(block: Any, width: int) -> list[str]:
    if not isinstance(block, dict):
        return []
    render = _BLOCKS.get(str(block.get("type")))
    return render(block, width) if render else []


def render_message(text: str | None, blocks: list[dict[str, Any]] | None, *, width: int = 100) -> str:
    """What a person would read in Slack for a message with this text and blocks.

    Blocks win, as in Slack; ``text`` (the notification fallback) is shown only without blocks.
    """
    if not blocks:
        return mrkdwn_to_text(text or "")
    lines: list[str] = []
    for block in blocks:
        lines.extend(_block(block, width))
    return "\n".join(lines)
