"""Which pins give one environment another's values for one component ("make prod like stg"). Pure.

The pins are compared as the text written in the files, field by field (the flux branch, the chart
version, the image), and each one that differs becomes a :class:`PinRequest`, in that order: the
first is the one a pin hot-fix has always stored as its ``pin``. A pin hot-fix changes values that
are written; it neither adds a key one environment lacks nor removes one, so such a difference is
refused with a sentence saying to edit the file by hand.
"""

from __future__ import annotations

from slackbot.domain.errors import UsageError
from slackbot.domain.hotfix import PinField
from slackbot.domain.hotfix_commands import PinRequest
from slackbot.domain.quoting import quote
from slackbot.domain.versions import ComponentVersions

__all__ = ["AlreadyAlike", "NotAlikeByPins", "make_like_summary", "pins_to_make_like"]

# The pins a hot-fix can change, in the order it changes them, with the attribute holding each.
_FIELDS: tuple[tuple[PinField, str], ...] = (
    (PinField.BRANCH, "branch"),
    (PinField.CHART, "chart_version"),
    (PinField.IMAGE, "image"),
)


class AlreadyAlike(UsageError):
    """The two environments already pin the same values: there is nothing to change."""


class NotAlikeByPins(UsageError):
    """A difference a pin hot-fix cannot undo: one environment writes a value the other does not."""


def make_like_summary(target: str, source: str) -> str:
    """The summary of the hot-fix the button starts (what a person would have typed)."""
    return f"Make {target} like {source}"


def pins_to_make_like(
    component: str, target: str, mine: ComponentVersions, source: str, theirs: ComponentVersions
) -> tuple[PinRequest, ...]:
    """The pins that give ``target`` (pinning ``mine``) the values ``source`` pins (``theirs``) for
    ``component``: branch, chart, image, only those that differ.

    Raises :class:`AlreadyAlike` when none differs and :class:`NotAlikeByPins` when a differing
    value is missing on one side."""
    wanted: list[PinRequest] = []
    name = quote(component)
    for field, attribute in _FIELDS:
        now: str | None = getattr(mine, attribute)
        then: str | None = getattr(theirs, attribute)
        if now == then:
            continue
        if then is None:
            raise NotAlikeByPins(
                f"{source} pins no {field.value} for `{name}` while {target} pins `{quote(str(now))}`, "
                f"and a pin hot-fix does not remove pins; change {target}'s files by hand. "
                "Nothing was changed."
            )
        if now is None:
            raise NotAlikeByPins(
                f"{target} pins no {field.value} for `{name}` to change to {source}'s `{quote(then)}`, "
                f"and a pin hot-fix does not add pins; add it to {target}'s files by hand. "
                "Nothing was changed."
            )
        wanted.append(PinRequest(field, then))
    if not wanted:
        raise AlreadyAlike(
            f"`{name}` is already the same in {target} and {source} (branch, chart and image); "
            "nothing was changed."
        )
    return tuple(wanted)
