"""The Home tab's menus: each option's value names a `/versions` question. Pure.

A value is ``ENV`` or ``ENV COMPONENT``: names only (letters, digits, ``_``, ``-``, ``.``), so the
value can be shown as it is (a modal's title) and a forged one cannot smuggle anything in.
"""

from __future__ import annotations

import re

from slackbot.domain.errors import UsageError
from slackbot.domain.versions_commands import ComponentQuery, EnvironmentQuery

MAX_VALUE = 150  # Slack's limit on an option's value
_NAME = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}"
_VALUE = re.compile(rf"(?P<environment>{_NAME})(?: (?P<component>{_NAME}))?")
OUT_OF_DATE = "That menu is out of date or was not made by me; open the Home tab again."


def menu_value(environment: str, component: str | None = None) -> str | None:
    """The option value asking `/versions ENVIRONMENT [COMPONENT]`, or None when the names cannot
    make one (a character outside names', or too long for Slack)."""
    value = environment if component is None else f"{environment} {component}"
    return value if len(value) <= MAX_VALUE and _VALUE.fullmatch(value) else None


def parse_menu_value(value: str) -> EnvironmentQuery | ComponentQuery:
    """The question an option's value asks; UsageError for any value the bot does not issue."""
    match = _VALUE.fullmatch(value) if len(value) <= MAX_VALUE else None
    if match is None:
        raise UsageError(OUT_OF_DATE)
    if match["component"] is None:
        return EnvironmentQuery(match["environment"])
    return ComponentQuery(match["environment"], match["component"])
