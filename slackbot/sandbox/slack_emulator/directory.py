"""The Web API methods that look people up: users.info, usergroups.list and usergroups.users.list.

The bot checks permissions by user-group membership; users and groups come from the test's
``add_user``/``add_usergroup`` (users are permissive until one is added: see ``Workspace``).
"""

from __future__ import annotations

from slackbot.sandbox.slack_emulator.model import Handler, JsonDict, SlackApiFailure, truthy
from slackbot.sandbox.slack_emulator.state import Workspace


class Directory:
    """Users and user groups as the bot reads them."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    def methods(self) -> dict[str, Handler]:
        return {
            "users.info": self.users_info,
            "usergroups.list": self.usergroups_list,
            "usergroups.users.list": self.usergroups_users_list,
        }

    def users_info(self, args: JsonDict) -> JsonDict:
        ws = self._workspace
        user = ws.require_user(str(args.get("user") or ""))
        return {"ok": True, "user": user.to_api(ws.team_id)}

    def usergroups_list(self, args: JsonDict) -> JsonDict:
        ws = self._workspace
        include_users = truthy(args.get("include_users"))
        with ws.lock:
            groups = [g.to_api(ws.team_id, include_users=include_users) for g in ws.usergroups.values()]
        return {"ok": True, "usergroups": groups}

    def usergroups_users_list(self, args: JsonDict) -> JsonDict:
        ws = self._workspace
        with ws.lock:
            group = ws.usergroups.get(str(args.get("usergroup") or ""))
            if group is None:
                raise SlackApiFailure("no_such_subteam")
            return {"ok": True, "users": list(group.user_ids)}
