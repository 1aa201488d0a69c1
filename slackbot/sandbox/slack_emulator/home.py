"""The App Home: views.publish, each person's Home tab, and the ``app_home_opened`` event.

views.publish is strict as Slack's: ``user_id`` must name a person in the workspace (else
``invalid_arguments``, "invalid `user_id`"), the view must be a Home tab view that keeps Block
Kit's rules with up to 100 blocks (``invalid_arguments`` with the reason, see
:func:`~slackbot.sandbox.slack_emulator.blockkit.home_view_problem`), at most 250 KB
(``view_too_large``), and an optional ``hash`` must be the one the last publish answered
(``hash_conflict``). While the app's Home tab is not enabled (``home_tab_enabled``, the manifest's
``features.app_home.home_tab_enabled``) it answers ``not_enabled``. A person's Home view keeps its
id from one publish to the next and gets a new hash each time, as Slack's does.

:meth:`HomeTabs.opened_event` builds what Slack sends the app when someone opens the Home tab: the
Events API's ``event_callback`` envelope around an ``app_home_opened`` event (with ``view``, the
tab's current view, once one was published); :mod:`slackbot.sandbox.slack_user` delivers it.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass
from typing import Any

from slackbot.sandbox.slack_emulator.blockkit import MAX_VIEW_BYTES, home_view_problem
from slackbot.sandbox.slack_emulator.model import Handler, JsonDict, SlackApiFailure
from slackbot.sandbox.slack_emulator.state import Workspace

# What Slack still puts in every Events API request (the deprecated verification token).
VERIFICATION_TOKEN = "sandbox-verification-token"  # noqa: S105 - the sandbox's, not a secret
_EVENT_ID_CHARS = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Published:
    """One views.publish Slack took: whose Home tab, and the view as stored."""

    user_id: str
    view: JsonDict


class HomeTabs:
    """Everyone's Home tab: the views published to it, in order, and the current one per person."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self.home_tab_enabled = True
        self._current: dict[str, JsonDict] = {}  # user id -> the Home view they see now
        self._published: list[Published] = []

    def methods(self) -> dict[str, Handler]:
        return {"views.publish": self.publish}

    def publish(self, args: JsonDict) -> JsonDict:
        ws = self._workspace
        with ws.lock:
            user_id = self._person(args.get("user_id"))
            view = self._checked(args.get("view"))
            if not self.home_tab_enabled:
                raise SlackApiFailure("not_enabled")
            current = self._current.get(user_id)
            wanted_hash = args.get("hash")
            if wanted_hash and (current is None or wanted_hash != current["hash"]):
                raise SlackApiFailure("hash_conflict")
            stored = self._stored(view, current)
            self._current[user_id] = stored
            self._published.append(Published(user_id, stored))
            ws.record_post("views.publish", text="Home", blocks=stored.get("blocks"), user=user_id)
            return {"ok": True, "view": stored}

    def _person(self, value: Any) -> str:
        """The user a Home tab is published to: a person the workspace knows (not a bot)."""
        user_id = str(value or "").strip()
        invalid = SlackApiFailure("invalid_arguments", response_metadata={"messages": ["invalid `user_id`"]})
        if not user_id or user_id[0] not in "UW":
            raise invalid
        try:
            user = self._workspace.require_user(user_id)
        except SlackApiFailure:
            raise invalid from None
        if user.is_bot:
            raise invalid
        return user_id

    @staticmethod
    def _checked(view: Any) -> JsonDict:
        problem = home_view_problem(view)
        if problem:
            raise SlackApiFailure("invalid_arguments", response_metadata={"messages": [f"[ERROR] {problem}"]})
        size = len(json.dumps(view, ensure_ascii=False, separators=(",", ":")).encode())
        if size > MAX_VIEW_BYTES:
            raise SlackApiFailure("view_too_large")
        checked: JsonDict = view
        return checked

    def _stored(self, view: JsonDict, current: JsonDict | None) -> JsonDict:
        ws = self._workspace
        view_id = current["id"] if current is not None else f"V{ws.next_id():08d}"
        return {
            **view,
            "id": view_id,
            "team_id": ws.team_id,
            "type": "home",
            "close": None,
            "submit": None,
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(ws.clock())}.{secrets.token_hex(4)}",
            "clear_on_close": False,
            "notify_on_close": False,
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": ws.app_id,
            "app_installed_team_id": ws.team_id,
            "bot_id": ws.bot_id,
        }

    # ------------------------------------------------------------------ what tests read

    def current(self, user_id: str) -> JsonDict | None:
        """The Home view ``user_id`` sees now (None before anything was published to them)."""
        with self._workspace.lock:
            found = self._current.get(user_id)
            return dict(found) if found is not None else None

    def published(self, user_id: str | None = None) -> list[Published]:
        """Every publish Slack took (to ``user_id`` only, if given), oldest first."""
        with self._workspace.lock:
            return [p for p in self._published if user_id in (None, p.user_id)]

    # ------------------------------------------------------------------ the event

    def opened_event(self, user_id: str, *, tab: str = "home") -> JsonDict:
        """The Events API request Slack sends when ``user_id`` opens the app's Home (``tab``:
        ``home`` or ``messages``): an ``event_callback`` envelope around ``app_home_opened``."""
        ws = self._workspace
        with ws.lock:
            now = ws.clock()
            event: JsonDict = {
                "type": "app_home_opened",
                "user": user_id,
                "channel": "D" + user_id[1:],  # the person's DM with the app
                "tab": tab,
                "event_ts": f"{now:.6f}",
            }
            current = self._current.get(user_id)
            if tab == "home" and current is not None:
                event["view"] = dict(current)  # only once the tab has had a view published
            return {
                "token": VERIFICATION_TOKEN,
                "team_id": ws.team_id,
                "context_team_id": ws.team_id,
                "context_enterprise_id": None,
                "api_app_id": ws.app_id,
                "event": event,
                "type": "event_callback",
                "event_id": "Ev" + "".join(secrets.choice(_EVENT_ID_CHARS) for _ in range(10)),
                "event_time": int(now),
                "authorizations": [
                    {
                        "enterprise_id": None,
                        "team_id": ws.team_id,
                        "user_id": ws.bot_user_id,
                        "is_bot": True,
                        "is_enterprise_install": False,
                    }
                ],
                "is_ext_shared_channel": False,
                "event_context": "4-" + secrets.token_urlsafe(24),
            }
