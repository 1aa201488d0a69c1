"""The Web API methods that read channels: conversations.info and conversations.history.

History answers the channel's top-level messages newest first, up to ``limit``, with each one's
metadata (the bot finds its hot-fix threads again by it); it is never paged (``has_more`` false).
"""

from __future__ import annotations

from slackbot.sandbox.slack_emulator.model import Handler, JsonDict
from slackbot.sandbox.slack_emulator.state import Workspace


class Conversations:
    """Channels as the bot reads them."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    def methods(self) -> dict[str, Handler]:
        return {"conversations.info": self.info, "conversations.history": self.history}

    def info(self, args: JsonDict) -> JsonDict:
        ws = self._workspace
        with ws.lock:
            channel = ws.resolve_channel(args.get("channel"))
            return {"ok": True, "channel": ws.channels[channel].to_api()}

    def history(self, args: JsonDict) -> JsonDict:
        ws = self._workspace
        channel = ws.resolve_channel(args.get("channel"))
        limit = int(args.get("limit") or 100)
        newest_first = list(reversed(ws.messages(channel)))[:limit]
        return {"ok": True, "messages": [m.to_api() for m in newest_first], "has_more": False}
