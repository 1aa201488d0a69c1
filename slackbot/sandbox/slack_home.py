"""A person's Home tab as the tests and the demo read it, and what Slack sends when they use it.

:class:`HomeTab` is the view the bot published to someone's Home tab, with its text as a person
reads it; :func:`home_action_payload` is Slack's ``block_actions`` payload for clicking a button or
choosing an option on that tab. A click on a Home tab carries the view (``container.type: view``)
and no channel and no ``response_url``: the bot answers by publishing the tab again or opening a
modal. :mod:`slackbot.sandbox.slack_user` delivers it (``Conversation.choose_in_home``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from slackbot.render.terminal import render_message
from slackbot.sandbox.slack_emulator import JsonDict
from slackbot.sandbox.slack_payloads import SlackUser

_SELECTS = ("static_select", "external_select", "overflow", "radio_buttons")


@dataclass(frozen=True)
class HomeTab:
    """What a person sees on opening the Home tab: the view the bot published for them.

    ``view`` is None when the bot published nothing within the wait (``timed_out``)."""

    view: JsonDict | None
    status: int  # how the bot acknowledged the event (200, or 401/4xx/504)
    timed_out: bool = False

    @property
    def blocks(self) -> list[JsonDict]:
        return list((self.view or {}).get("blocks") or [])

    @property
    def text(self) -> str:
        """The tab as a person reads it (the terminal rendering of its blocks)."""
        return render_message("", self.blocks) if self.view is not None else ""

    def __str__(self) -> str:
        return self.text

    def options(self, action_id: str) -> list[str]:
        """The values a person can pick in the elements ``action_id`` (buttons' values, selects'
        options), in the order shown."""
        return [value for _, element in _elements(self.blocks, action_id) for value in _values(element)]


def _elements(blocks: list[JsonDict], action_id: str) -> list[tuple[str | None, JsonDict]]:
    """(block_id, element) of every interactive element named ``action_id`` (several blocks may
    each hold one: action ids are unique within a block, block ids within the view)."""
    found = []
    for block in blocks:
        candidates = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            candidates.append(block["accessory"])
        found += [
            (block.get("block_id"), e)
            for e in candidates
            if isinstance(e, dict) and e.get("action_id") == action_id
        ]
    return found


def _values(element: JsonDict) -> list[str]:
    if element.get("type") in _SELECTS:
        return [str(o.get("value")) for o in element.get("options") or [] if isinstance(o, dict)]
    return [str(element["value"])] if "value" in element else []


def home_action_payload(user: SlackUser, view: JsonDict, action_id: str, value: str) -> JsonDict:
    """Slack's ``block_actions`` payload for ``user`` choosing ``value`` in the element
    ``action_id`` on their Home tab ``view``. Raises LookupError when the tab shows no such
    choice: a person can only press what is there."""
    for block_id, element in _elements(list(view.get("blocks") or []), action_id):
        if value in _values(element):
            return _payload(user, view, _action(block_id or "", element, value))
    raise LookupError(f"the Home tab offers no {action_id!r} with the value {value!r}")


def _action(block_id: str, element: JsonDict, value: str) -> JsonDict:
    action: JsonDict = {
        "action_id": element["action_id"],
        "block_id": block_id,
        "type": element.get("type", "button"),
        "action_ts": f"{time.time():.6f}",
    }
    if action["type"] in _SELECTS:
        options: list[Any] = element.get("options") or []
        action["selected_option"] = next(
            o for o in options if isinstance(o, dict) and o.get("value") == value
        )
        if "placeholder" in element:
            action["placeholder"] = element["placeholder"]
    else:
        action.update(value=value, text=element.get("text"))
    return action


def _payload(user: SlackUser, view: JsonDict, action: JsonDict) -> JsonDict:
    """What every click on a Home tab carries: who, the view (no channel, no response_url)."""
    return {
        "type": "block_actions",
        "user": {
            "id": user.user_id,
            "username": user.user_name,
            "name": user.user_name,
            "team_id": user.team_id,
        },
        "api_app_id": user.emulator.app_id,
        "token": user.verification_token,
        "container": {"type": "view", "view_id": view.get("id", "")},
        "trigger_id": user.emulator.new_trigger_id(),
        "team": {"id": user.team_id, "domain": user.team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": view,
        "actions": [action],
    }
