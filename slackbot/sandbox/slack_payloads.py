"""What Slack sends the bot for a person: slash command, block_actions and view_submission payloads.

A :class:`SlackUser` is one person in the emulated workspace; its methods build the JSON (or form
fields) Slack would send the bot when that person types a slash command, clicks or chooses in a
message's element, or submits a modal, with the response URLs and trigger ids handed out by the
:class:`~slackbot.sandbox.slack_emulator.SlackEmulator`. As Slack does, a slash command or a click
from a private channel names it ``privategroup`` and one from a DM ``directmessage``: only the id
tells which channel it is. Delivering them is
:mod:`slackbot.sandbox.slack_user`'s job.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from slackbot.sandbox.slack_emulator import JsonDict, Message, SlackEmulator

__all__ = ["SlackUser", "find_element"]

_SELECTS = ("static_select", "external_select", "overflow", "radio_buttons")


def find_element(blocks: list[JsonDict], action_id: str) -> tuple[str | None, JsonDict | None]:
    """(block_id, element) of the interactive element with that action_id, if any."""
    for block in blocks:
        candidates = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            candidates.append(block["accessory"])
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return block.get("block_id"), element
    return None, None


@dataclass
class SlackUser:
    """One person in the workspace, producing what Slack would deliver to the bot for them."""

    emulator: SlackEmulator
    user_id: str = "U0ALICE"
    user_name: str = "alice"
    team_id: str = "T0SANDBOX"
    channel_id: str = "C0GENERAL"
    channel_name: str = "general"
    team_domain: str = "sandbox"
    # Slack still sends the deprecated verification token in every payload.
    verification_token: str = field(default="sandbox-verification-token", repr=False)

    def slash_command_payload(self, command_line: str) -> dict[str, str]:
        """Slack's form fields for ``/command text`` typed in this user's channel."""
        command, _, text = command_line.strip().partition(" ")
        if not command.startswith("/"):
            raise ValueError(f"a slash command starts with '/': {command_line!r}")
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": self.channel_id,
            "channel_name": self._name_in_payloads(self.channel_id),
            "user_id": self.user_id,
            "user_name": self.user_name,
            "command": command,
            "text": text.strip(),
            "api_app_id": self.emulator.app_id,
            "is_enterprise_install": "false",
            "response_url": self.emulator.new_response_url(channel=self.channel_id, user=self.user_id),
            "trigger_id": self.emulator.new_trigger_id(),
        }

    def block_action_payload(
        self,
        action_id: str,
        value: str,
        *,
        message: Message | None = None,
        block_id: str | None = None,
    ) -> JsonDict:
        """Slack's ``block_actions`` payload for clicking (or choosing ``value`` in) an element.

        The element is looked up in ``message``'s blocks to fill in its type, label and block_id.
        Ephemeral messages are referenced by container only, as Slack does.
        """
        found_block_id, element = find_element(message.blocks if message else [], action_id)
        channel_id = message.channel if message else self.channel_id
        payload = self._interaction("block_actions")
        payload.update(
            container={
                "type": "message",
                "message_ts": message.ts if message else "",
                "channel_id": channel_id,
                "is_ephemeral": message.is_ephemeral if message else True,
            },
            channel={"id": channel_id, "name": self._name_in_payloads(channel_id)},
            state={"values": {}},
            response_url=self.emulator.new_response_url(
                channel=channel_id,
                user=self.user_id,
                original=(message.channel, message.ts) if message else None,
            ),
            actions=[_action(action_id, value, element, block_id or found_block_id or "actions")],
        )
        if message is not None and not message.is_ephemeral:
            payload["message"] = message.to_api(
                self.emulator.bot_id if message.user == self.emulator.bot_user_id else None
            )
        return payload

    def view_submission_payload(
        self, callback_id: str, values: dict[str, dict[str, Any]], private_metadata: str = ""
    ) -> JsonDict:
        """Slack's ``view_submission`` payload for submitting the modal with ``callback_id``.

        ``values`` is ``{block_id: {action_id: value}}``; a value is Slack's state dict or a string
        (plain text input). The last modal opened with that callback_id supplies id and blocks.
        """
        opened = [v for v in self.emulator.views() if v.get("callback_id") == callback_id]
        view: JsonDict = dict(opened[-1]) if opened else {"id": "V0SUBMIT", "type": "modal", "blocks": []}
        view.update(
            {
                "callback_id": callback_id,
                "state": {
                    "values": {b: {a: _state_value(v) for a, v in acts.items()} for b, acts in values.items()}
                },
                "private_metadata": private_metadata or view.get("private_metadata", ""),
            }
        )
        payload = self._interaction("view_submission")
        payload.update(view=view, response_urls=[])
        return payload

    def _name_in_payloads(self, channel_id: str) -> str:
        """The channel's name as Slack sends it: ``privategroup`` for a private channel and
        ``directmessage`` for a DM, whatever they are called; else the name."""
        sent = self.emulator.name_in_payloads(channel_id)
        if sent is not None:
            return sent
        return "directmessage" if channel_id.startswith("D") else self.channel_name

    def _interaction(self, kind: str) -> JsonDict:
        """The fields every interaction payload of this user carries, with a fresh trigger id."""
        return {
            "type": kind,
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": {
                "id": self.user_id,
                "username": self.user_name,
                "name": self.user_name,
                "team_id": self.team_id,
            },
            "api_app_id": self.emulator.app_id,
            "token": self.verification_token,
            "trigger_id": self.emulator.new_trigger_id(),
            "enterprise": None,
            "is_enterprise_install": False,
        }


def _action(action_id: str, value: str, element: JsonDict | None, block_id: str) -> JsonDict:
    """One entry of ``actions``: the element's type, and ``value`` as that type carries it."""
    action: JsonDict = {
        "action_id": action_id,
        "block_id": block_id,
        "type": (element or {}).get("type", "button"),
        "action_ts": f"{time.time():.6f}",
    }
    if action["type"] in _SELECTS:
        options = (element or {}).get("options") or []
        chosen = next((o for o in options if isinstance(o, dict) and o.get("value") == value), None)
        action["selected_option"] = chosen or {"text": {"type": "plain_text", "text": value}, "value": value}
    else:
        action["value"] = value
        if element is not None and "text" in element:
            action["text"] = element["text"]
    return action


def _state_value(value: Any) -> JsonDict:
    """A view state value: dicts are taken as Slack's shape, strings as plain text input."""
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        options = [{"text": {"type": "plain_text", "text": str(v)}, "value": str(v)} for v in value]
        return {"type": "multi_static_select", "selected_options": options}
    return {"type": "plain_text_input", "value": None if value is None else str(value)}
