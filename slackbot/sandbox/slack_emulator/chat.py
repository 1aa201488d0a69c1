"""The Web API methods that write messages: chat.postMessage, chat.postEphemeral, chat.update,
chat.getPermalink and reactions.add.

Each checks what Slack checks (the channel, the thread parent, the author, the Block Kit limits),
changes the ``Workspace`` and records what was displayed, and answers as Slack does.
"""

from __future__ import annotations

from typing import Any

from slackbot.sandbox.slack_emulator.blockkit import Refusal, check_message
from slackbot.sandbox.slack_emulator.model import (
    Handler,
    JsonDict,
    Message,
    SlackApiFailure,
    blocks_of,
    truthy,
)
from slackbot.sandbox.slack_emulator.state import Workspace


def refused(refusal: Refusal | None) -> None:
    """Answer Slack's error for content it refuses, with its reason as Slack gives it."""
    if refusal is not None:
        raise SlackApiFailure(refusal.code, response_metadata={"messages": [f"[ERROR] {refusal.reason}"]})


class Chat:
    """Messages the bot posts, edits, links to and reacts to."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    def methods(self) -> dict[str, Handler]:
        return {
            "chat.postMessage": self.post_message,
            "chat.postEphemeral": self.post_ephemeral,
            "chat.update": self.update,
            "chat.getPermalink": self.get_permalink,
            "reactions.add": self.reactions_add,
        }

    def _new_bot_message(self, channel: str, args: JsonDict, **extra: Any) -> Message:
        """The bot's message from chat.post* arguments, once Slack's checks pass (not stored yet)."""
        ws = self._workspace
        text = str(args.get("text") or "")
        refused(check_message(text, args.get("blocks"), args.get("attachments")))
        thread_ts = ws.require_thread(channel, args.get("thread_ts"))
        blocks = blocks_of(args.get("blocks"))
        return Message(ws.next_ts(), channel, text, blocks, ws.bot_user_id, thread_ts, **extra)

    def post_message(self, args: JsonDict) -> JsonDict:
        ws = self._workspace
        with ws.lock:
            channel = ws.resolve_channel(args.get("channel"))
            message = self._new_bot_message(
                channel,
                args,
                metadata=args.get("metadata") if isinstance(args.get("metadata"), dict) else None,
            )
            # Only a reply can be broadcast to the channel; Slack ignores the flag elsewhere.
            message.reply_broadcast = message.thread_ts is not None and truthy(args.get("reply_broadcast"))
            ws.store(message)
            ws.record_message("chat.postMessage", message, "in_channel")
            return {"ok": True, "channel": channel, "ts": message.ts, "message": message.to_api(ws.bot_id)}

    def post_ephemeral(self, args: JsonDict) -> JsonDict:
        ws = self._workspace
        with ws.lock:
            channel = ws.resolve_channel(args.get("channel"))
            user = str(args.get("user") or "")
            if not user:
                raise SlackApiFailure("user_not_found")
            ws.require_user(user)
            ws.require_member(channel, user)
            message = self._new_bot_message(channel, args, ephemeral_to=user, source="chat.postEphemeral")
            ws.store(message)
            ws.record_message("chat.postEphemeral", message, "ephemeral", user=user)
            return {"ok": True, "message_ts": message.ts}

    def update(self, args: JsonDict) -> JsonDict:
        ws = self._workspace
        with ws.lock:
            message = ws.find_or_fail(args, "ts")
            if message.user != ws.bot_user_id:
                raise SlackApiFailure("cant_update_message")
            text = str(args["text"]) if args.get("text") is not None else None
            blocks = blocks_of(args["blocks"]) if args.get("blocks") is not None else None
            refused(
                check_message(
                    text if text is not None else message.text,
                    blocks if blocks is not None else message.blocks,
                    args.get("attachments"),
                )
            )
            ws.edit(message, text=text, blocks=blocks)
            ws.record_message("chat.update", message, "in_channel")
            return {
                "ok": True,
                "channel": message.channel,
                "ts": message.ts,
                "text": message.text,
                "message": message.to_api(ws.bot_id),
            }

    def get_permalink(self, args: JsonDict) -> JsonDict:
        ws = self._workspace
        with ws.lock:
            message = ws.find_or_fail(args, "message_ts")
            channel = message.channel
            link = f"https://{ws.team_domain}.slack.com/archives/{channel}/p{message.ts.replace('.', '')}"
            if message.is_reply:
                link += f"?thread_ts={message.thread_ts}&cid={channel}"
            return {"ok": True, "channel": channel, "permalink": link}

    def reactions_add(self, args: JsonDict) -> JsonDict:
        ws = self._workspace
        with ws.lock:
            message = ws.find_or_fail(args, "timestamp")
            name = str(args.get("name") or "").strip(":")
            if not name:
                raise SlackApiFailure("invalid_name")
            users = message.reactions.setdefault(name, [])
            if ws.bot_user_id in users:
                raise SlackApiFailure("already_reacted")
            users.append(ws.bot_user_id)
            return {"ok": True}
