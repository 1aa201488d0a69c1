"""The "Make prod like stg" button of `/versions diff`: its action id and the value it carries. Pure.

The value names the environment to change (the target), the environment to copy from (the source)
and the component, canonically, as ``"prod|stg|jupyter_hub"``. Slack sends it back when someone
clicks, and anyone can forge a click, so the handler reads it only through
:func:`parse_make_like_value`, which accepts exactly what :func:`make_like_value` can write.
"""

from __future__ import annotations

from slackbot.domain.errors import UsageError

__all__ = ["MAKE_LIKE_ACTION", "MAX_VALUE_CHARS", "can_carry", "make_like_value", "parse_make_like_value"]

MAKE_LIKE_ACTION = "versions_make_like"
MAX_VALUE_CHARS = 2000  # what Slack keeps in a button's value
_SEPARATOR = "|"


def can_carry(name: str) -> bool:
    """Whether a button value can carry ``name``: not empty, no ``|``, printable, no spaces around it."""
    return bool(name) and _SEPARATOR not in name and name.isprintable() and name == name.strip()


def make_like_value(target: str, source: str, component: str) -> str:
    """The value of the button that makes ``target``'s pins for ``component`` like ``source``'s.

    Raises ValueError for names a value cannot carry (see :func:`can_carry`): the bot then draws
    no button rather than one the handler would refuse."""
    parts = (target, source, component)
    value = _SEPARATOR.join(parts)
    if not all(can_carry(part) for part in parts) or target == source or len(value) > MAX_VALUE_CHARS:
        raise ValueError(f"a make-like button cannot carry {parts!r}")
    return value


def parse_make_like_value(value: str) -> tuple[str, str, str]:
    """``(target, source, component)`` from a button's value; UsageError for anything the bot could
    not have drawn (a forged or garbled click)."""
    parts = value.split(_SEPARATOR) if len(value) <= MAX_VALUE_CHARS else []
    if len(parts) != 3 or not all(can_carry(part) for part in parts) or parts[0] == parts[1]:
        raise UsageError(
            "That button's value is not one the bot draws; ask `/versions diff ENV ENV` again and use "
            "the button in its answer."
        )
    return parts[0], parts[1], parts[2]
