"""The endpoints about the API and its users rather than a repository: ``GET /rate_limit`` (its
body is filled in by the server, which owns the counters), ``GET /user`` (the authenticated bot)
and ``GET /users/{login}`` (the bot, or an owner of served repositories as an organization).
"""

from __future__ import annotations

from slackbot.sandbox.github_emulator.api import BOT_LOGIN, Api, Reply, Request, not_found
from slackbot.sandbox.github_emulator.shapes import user_json


def get_rate_limit(api: Api, req: Request) -> Reply:
    # Filled in by GitHubEmulator, which owns the counters.
    return Reply(200, {})


def get_user(api: Api, req: Request) -> Reply:
    return Reply(200, {**user_json(api.base_url, BOT_LOGIN, "Bot"), "name": "Sandbox Bot"})


def get_named_user(api: Api, req: Request) -> Reply:
    login = req.args["login"]
    if login == BOT_LOGIN:
        return get_user(api, req)
    owner = next((o for o in api.owners() if o.lower() == login.lower()), None)
    if owner is None:
        raise not_found()
    return Reply(200, user_json(api.base_url, owner, "Organization"))
