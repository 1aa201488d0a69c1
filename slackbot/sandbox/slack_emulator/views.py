"""Modals: the trigger ids interactions carry, and the Web API's views.open and views.update.

A trigger id is single-use and expires ``trigger_ttl`` seconds (3, as Slack's) after it was
issued (``invalid_trigger_id``, ``exchanged_trigger_id``, ``expired_trigger_id``); a view that
breaks Block Kit's rules answers ``invalid_arguments`` (with the reason in
``response_metadata.messages``, as Slack gives it); views.update finds the view by id or
external id (``not_found``) and refuses a stale ``hash`` (``hash_conflict``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from slackbot.sandbox.slack_emulator.blockkit import text_of, view_problem
from slackbot.sandbox.slack_emulator.model import Handler, JsonDict, SlackApiFailure
from slackbot.sandbox.slack_emulator.state import Workspace

TRIGGER_TTL = 3.0


@dataclass
class _Trigger:
    created: float
    used: bool = False


class Views:
    """The modals opened in the workspace, and the trigger ids that may open them."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self.trigger_ttl = TRIGGER_TTL
        self._triggers: dict[str, _Trigger] = {}
        self._views: dict[str, JsonDict] = {}

    def methods(self) -> dict[str, Handler]:
        return {"views.open": self.open, "views.update": self.update}

    def all(self) -> list[JsonDict]:
        """Modal views opened or updated, current state, in opening order."""
        with self._workspace.lock:
            return [dict(v) for v in self._views.values()]

    def new_trigger_id(self) -> str:
        ws = self._workspace
        now = ws.clock()
        trigger_id = f"{int(now)}.{ws.next_id()}.{secrets.token_hex(10)}"
        with ws.lock:
            self._triggers[trigger_id] = _Trigger(now)
        return trigger_id

    def _take_trigger(self, trigger_id: Any) -> None:
        ws = self._workspace
        with ws.lock:
            trigger = self._triggers.get(str(trigger_id or ""))
            if trigger is None:
                raise SlackApiFailure("invalid_trigger_id")
            if trigger.used:
                raise SlackApiFailure("exchanged_trigger_id")
            if ws.clock() - trigger.created > self.trigger_ttl:
                raise SlackApiFailure("expired_trigger_id")
            trigger.used = True

    @staticmethod
    def _checked(view: Any) -> JsonDict:
        problem = view_problem(view)
        if problem:
            raise SlackApiFailure("invalid_arguments", response_metadata={"messages": [f"[ERROR] {problem}"]})
        checked: JsonDict = view
        return checked

    def _store(self, view: JsonDict, view_id: str | None = None) -> JsonDict:
        """Keep a checked view: a new one, or in place of ``view_id``."""
        ws = self._workspace
        view_id = view_id or f"V{ws.next_id():08d}"
        stored = {
            **view,
            "id": view_id,
            "team_id": ws.team_id,
            "app_id": ws.app_id,
            "bot_id": ws.bot_id,
            "hash": secrets.token_hex(8),
            "state": {"values": {}},
            "root_view_id": view_id,
            "previous_view_id": None,
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
        }
        self._views[view_id] = stored
        return stored

    def _show(self, kind: str, view: JsonDict) -> None:
        self._workspace.record_post(kind, text=text_of(view.get("title")) or "", blocks=view.get("blocks"))

    def open(self, args: JsonDict) -> JsonDict:
        with self._workspace.lock:
            self._take_trigger(args.get("trigger_id"))
            stored = self._store(self._checked(args.get("view")))
            self._show("views.open", stored)
            return {"ok": True, "view": stored}

    def update(self, args: JsonDict) -> JsonDict:
        with self._workspace.lock:
            view = self._checked(args.get("view"))
            view_id = str(args.get("view_id") or "")
            external_id = args.get("external_id")
            if not view_id and external_id:
                view_id = next((k for k, v in self._views.items() if v.get("external_id") == external_id), "")
            current = self._views.get(view_id)
            if current is None:
                raise SlackApiFailure("not_found")
            if args.get("hash") and args["hash"] != current["hash"]:
                raise SlackApiFailure("hash_conflict")
            stored = self._store(view, view_id)
            self._show("views.update", stored)
            return {"ok": True, "view": stored}
