"""Who may steer hot-fixes, from where, and for which ticket: the rules every command checks first."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from slackbot.domain.errors import NotPermitted, UsageError
from slackbot.domain.events import Rollout
from slackbot.domain.hotfix import Hotfix
from slackbot.domain.quoting import quote
from slackbot.domain.tickets import (
    DEFAULT_BRANCH_TEMPLATE,
    DEFAULT_TICKET_PATTERN,
    ticket_from_channel,
    validate_ticket,
)
from slackbot.services.ports import Directory

DEFAULT_ROLLOUT_DEADLINE = timedelta(minutes=10)
# What Slack sends as the channel's name from a private channel (``privategroup``) or a DM
# (``directmessage``), in slash commands and button clicks alike: not the name, which only a
# look-up by id (conversations.info) tells.
PLACEHOLDER_CHANNEL_NAMES = frozenset({"privategroup", "directmessage"})


@dataclass(frozen=True)
class Actor:
    """Who asked, and from where."""

    user_id: str
    channel_id: str = ""
    channel_name: str | None = None
    via: str = "slack"  # "slack" or "cli" (an operator with the bot's own credentials)

    @property
    def name(self) -> str:
        return self.user_id if self.via == "slack" else f"cli:{self.user_id}"


@dataclass(frozen=True)
class HotfixPolicy:
    core_repository: str
    branch_template: str = DEFAULT_BRANCH_TEMPLATE
    ticket_pattern: str = DEFAULT_TICKET_PATTERN
    channel_pattern: str = "^inc-"
    channels: tuple[str, ...] = ()
    allowed_users: tuple[str, ...] = ()
    allowed_usergroups: tuple[str, ...] = ()
    main_branch: str = "main"
    # The platform team's channel (``reminders.team_channel``): a hot-fix may be changed from there too.
    team_channel: str | None = None
    # How long Flux may take to apply a merge, per environment (``rollout_deadline``).
    rollout_deadlines: Mapping[str, timedelta] = field(default_factory=dict)

    def rollout(self, environments: tuple[str, ...], fallback: str) -> Rollout:
        """Where a merge rolls out (``fallback`` when no environment is known) and how soon."""
        names = environments or (fallback,)
        within = max(self.rollout_deadlines.get(name, DEFAULT_ROLLOUT_DEADLINE) for name in names)
        return Rollout(environments=names, within=within)


class Access:
    """Hot-fixes start only in incident channels, and only by permitted people."""

    def __init__(self, policy: HotfixPolicy, directory: Directory) -> None:
        self.policy = policy
        self.directory = directory

    def channel_name(self, actor: Actor) -> str | None:
        """The name of the channel the actor asked from: as Slack sent it, or looked up by the
        channel's id when Slack sent none (the modal) or a placeholder (private channels, DMs)."""
        sent = actor.channel_name
        if sent and sent not in PLACEHOLDER_CHANNEL_NAMES:
            return sent
        return self.directory.channel_name(actor.channel_id) if actor.channel_id else None

    def authorize(self, actor: Actor) -> None:
        if actor.via == "cli":
            return  # an operator holding the bot's credentials
        if actor.channel_id not in self.policy.channels:
            self._authorize_channel(actor)
        self.authorize_person(actor)

    def _authorize_channel(self, actor: Actor) -> None:
        channel_name = self.channel_name(actor)
        if channel_name is None and actor.channel_name == "privategroup":
            raise NotPermitted(
                "I can't see this private channel, so I can't tell whether it is an incident channel; "
                "nothing was changed. Invite me with `/invite @fluxbot` and try again."
            )
        if not re.search(self.policy.channel_pattern, channel_name or ""):
            raise NotPermitted(
                "`/hotfix` works only in incident channels (names matching "
                f"`{self.policy.channel_pattern}`"
                + (" or the configured channels" if self.policy.channels else "")
                + "); nothing was changed. Run it in the incident's channel."
            )

    def authorize_steering(self, actor: Actor) -> None:
        """Steering a hot-fix that exists (pull request, promote, cancel): from an incident channel,
        as starting one, or from the team channel; which hot-fix is the command bus's check."""
        if self._in_team_channel(actor):
            self.authorize_person(actor)
        else:
            self.authorize(actor)

    def _in_team_channel(self, actor: Actor) -> bool:
        team = self.policy.team_channel
        return bool(
            team and actor.channel_id and team.lstrip("#") in (actor.channel_id, self.channel_name(actor))
        )

    def authorize_person(self, actor: Actor) -> None:
        """Only permitted people steer hot-fixes (anywhere, e.g. snoozing from the team channel)."""
        if actor.via == "cli" or actor.user_id in self.policy.allowed_users:
            return
        for group in self.policy.allowed_usergroups:
            if actor.user_id in self.directory.usergroup_members(group):
                return
        groups = ", ".join(f"@{g}" for g in self.policy.allowed_usergroups)
        raise NotPermitted(
            "You are not allowed to run hot-fixes; nothing was changed. Ask a platform admin to add you to "
            "`hotfix.allowed_users`" + (f" or to {groups}" if groups else "") + "."
        )

    def authorize_change(self, actor: Actor, hotfix: Hotfix) -> None:
        """A hot-fix is changed (pull request, promote, cancel, snooze) only from its own channel,
        the team channel or the command line, so one incident cannot steer another's."""
        if actor.via == "cli" or (hotfix.channel_id and actor.channel_id == hotfix.channel_id):
            return
        if self._in_team_channel(actor):
            return
        name = self.directory.channel_name(hotfix.channel_id) if hotfix.channel_id else None
        where = (
            f"#{quote(name)}"
            if name
            else "the channel it started in"
            if hotfix.channel_id
            else "the command line it started from"
        )
        raise NotPermitted(
            f"{hotfix.ticket} is steered from {where}; nothing was changed. "
            "Change it from there, from the team channel or from the command line."
        )

    def ticket_for(self, typed: str | None, actor: Actor) -> str:
        if typed:
            return validate_ticket(typed, self.policy.ticket_pattern)
        from_channel = ticket_from_channel(self.channel_name(actor) or "", self.policy.ticket_pattern)
        if from_channel:
            return validate_ticket(from_channel, self.policy.ticket_pattern)
        raise UsageError(
            "Which ticket is this for? This channel's name has no incident number, so add one: "
            "`/hotfix prod jupyter_hub INC-123 what is broken`."
        )
