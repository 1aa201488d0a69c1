"""Quoting what a person typed back to them: the one way every echo is made safe. Pure.

Slack reads ``<!channel>``, ``<@U123>`` and ``<http://x|label>`` in any text the bot sends, the
plain-text fallback included, so ``&``, ``<`` and ``>`` are escaped as entities. Escaping is
idempotent (an entity the bot already wrote stays as it is), so a sentence may pass through
:func:`escape` again on its way out. A quote is also bounded: a short prefix and an ellipsis.
"""

from __future__ import annotations

import re

__all__ = ["MAX_QUOTED", "escape", "quote"]

MAX_QUOTED = 80

_UNESCAPED_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")


def escape(text: str) -> str:
    """``text`` with the three characters Slack's mrkdwn reserves as entities (``&amp;`` stays)."""
    return _UNESCAPED_AMPERSAND.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str, most: int = MAX_QUOTED) -> str:
    """What a person typed, fit to quote between backticks in a sentence: control characters shown
    as ``\\xNN``, backticks as ``'``, mentions and links escaped, at most ``most`` characters of it."""
    prefix = text[: most + 1]
    shown = "".join(_visible(ch) for ch in prefix[:most]).replace("`", "'")
    return escape(shown) + ("…" if len(text) > most else "")


def _visible(ch: str) -> str:
    if ch.isprintable() or ch == " ":
        return ch
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"
