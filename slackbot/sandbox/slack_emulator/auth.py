"""Who may call the Web API: the bot token, the app-level token, and auth.test.

Every method takes the bot token (``xoxb-...``) except ``apps.connections.open``, which takes the
app-level token (``xapp-...``); the other kind answers ``not_allowed_token_type``, no token
``not_authed``, any other token ``invalid_auth``. auth.test answers what slack-bolt's App asks
for at start-up: the team, the bot user and the bot id.
"""

from __future__ import annotations

import secrets

from slackbot.sandbox.slack_emulator.model import Handler, JsonDict, SlackApiFailure
from slackbot.sandbox.slack_emulator.state import Workspace

# Methods that take the app-level token (xapp-...) instead of the bot token.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})


class Auth:
    """The workspace's two tokens, and the method that tells the bot who it is."""

    def __init__(self, workspace: Workspace, *, bot_token: str, app_token: str) -> None:
        self._workspace = workspace
        self.bot_token = bot_token
        self.app_token = app_token

    def methods(self) -> dict[str, Handler]:
        return {"auth.test": self.auth_test}

    def authenticate(self, method: str, token: str | None) -> None:
        """Refuse the call as Slack would when ``token`` may not call ``method``."""
        if not token:
            raise SlackApiFailure("not_authed")
        wanted, other = (
            (self.app_token, self.bot_token)
            if method in APP_TOKEN_METHODS
            else (self.bot_token, self.app_token)
        )
        if token == other:
            raise SlackApiFailure("not_allowed_token_type")
        if not secrets.compare_digest(token, wanted):
            raise SlackApiFailure("invalid_auth")

    def auth_test(self, args: JsonDict) -> JsonDict:
        ws = self._workspace
        return {
            "ok": True,
            "url": f"https://{ws.team_domain}.slack.com/",
            "team": "Sandbox",
            "user": "bot",
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "is_enterprise_install": False,
        }
