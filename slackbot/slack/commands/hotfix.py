"""`/hotfix …`: start and steer hot-fixes from an incident channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from slackbot.domain.errors import UsageError
from slackbot.domain.hotfix_commands import (
    Cancel,
    Help,
    HotfixCommand,
    OpenModal,
    OpenPr,
    Promote,
    Snooze,
    Start,
    Status,
    parse_hotfix,
    usage,
)
from slackbot.domain.tickets import ticket_from_channel
from slackbot.services.hotfix import Actor, HotfixService, Outcome
from slackbot.slack import hotfix_blocks
from slackbot.slack.blocks import Message, link
from slackbot.slack.errors import answers_errors


def register(app: App, hotfixes: HotfixService) -> None:
    @app.command("/hotfix")
    @answers_errors
    def hotfix_command(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        actor = Actor(
            user_id=command["user_id"],
            channel_id=command["channel_id"],
            channel_name=command.get("channel_name"),
        )
        parsed = parse_hotfix(command.get("text", ""), hotfixes.policy.ticket_pattern)
        if isinstance(parsed, OpenModal):
            hotfixes.authorize(actor)
            view = hotfix_blocks.start_modal(
                list(hotfixes.versions.environments), list(hotfixes.versions.catalog), actor.channel_id
            )
            client.views_open(trigger_id=command["trigger_id"], view=view)
            return
        respond(**dispatch(hotfixes, parsed, actor).as_kwargs())


def dispatch(hotfixes: HotfixService, command: HotfixCommand, actor: Actor) -> Message:
    """Run one parsed `/hotfix` command; every attempt, refused or not, lands in the audit log."""
    if isinstance(command, Help):
        return Message(text=usage(), blocks=[])
    if isinstance(command, Status):
        found = hotfixes.status(command.ticket)
        return hotfix_blocks.status_list([(h, hotfixes.links(h), hotfixes.threads.link(h)) for h in found])
    action, ticket = _describe(command, actor)
    try:
        outcome = _run(hotfixes, command, actor)
    except Exception as error:
        hotfixes.audit_failure(actor, action, ticket, error)
        raise
    return outcome_message(outcome)


def _describe(command: HotfixCommand, actor: Actor) -> tuple[str, str]:
    if isinstance(command, Start):
        return "start", command.ticket or ticket_from_channel(actor.channel_name or "") or "?"
    name = {OpenPr: "pr", Promote: "promote", Cancel: "cancel", Snooze: "snooze"}.get(type(command), "?")
    return name, getattr(command, "ticket", "?")


def _run(hotfixes: HotfixService, command: HotfixCommand, actor: Actor) -> Outcome:
    if isinstance(command, Start):
        return hotfixes.start(command, actor)
    if isinstance(command, OpenPr):
        return hotfixes.open_pr(command.ticket, actor)
    if isinstance(command, Promote):
        return hotfixes.promote(command.ticket, actor)
    if isinstance(command, Cancel):
        return hotfixes.cancel(command.ticket, actor)
    if isinstance(command, Snooze):
        return hotfixes.snooze(f"hotfix:{command.ticket}", command.duration, actor)
    raise UsageError("I don't know that `/hotfix` command; `/hotfix help` lists them.")


def outcome_message(outcome: Outcome) -> Message:
    text = outcome.message
    if outcome.thread_link:
        text += f" {link(outcome.thread_link, 'Open the thread')}."
    return Message(text=text, blocks=[])
