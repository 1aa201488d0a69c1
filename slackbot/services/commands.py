"""One entry for a parsed `/hotfix` command, whichever surface it came from.

Slack's slash command, its buttons and its modal, and the command line all build the same
command objects (:mod:`slackbot.domain.hotfix_commands`) and hand them to :meth:`HotfixCommands.handle`,
which looks the handler up by the command's type. Every attempt, refused or not, lands in the
audit log; the answer is data (:mod:`slackbot.services.outcome`) that each surface words itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from slackbot.domain.errors import BotError, UsageError
from slackbot.domain.hotfix_commands import (
    Cancel,
    Help,
    HotfixCommand,
    MakeLike,
    OpenModal,
    OpenPr,
    Promote,
    Report,
    Snooze,
    SnoozeReminders,
    Start,
    Status,
    TicketCommand,
)
from slackbot.domain.snooze import SnoozeSubject
from slackbot.domain.tickets import ticket_from_channel
from slackbot.services.access import Access, Actor
from slackbot.services.backmerge import Backmerges
from slackbot.services.hotfix_report import HotfixReports
from slackbot.services.outcome import Answer, HelpText, StartForm
from slackbot.services.pulls import PullRequests
from slackbot.services.records import HotfixRecords
from slackbot.services.reminders import Snoozes
from slackbot.services.starting import CORE_COMPONENT, HotfixStarter
from slackbot.services.tracking import HotfixTracker
from slackbot.services.versions import VersionService

C = TypeVar("C")
Handler = Callable[[C, Actor], Answer]


class HotfixCommands:
    def __init__(
        self,
        *,
        starter: HotfixStarter,
        pulls: PullRequests,
        backmerges: Backmerges,
        tracker: HotfixTracker,
        snoozes: Snoozes,
        records: HotfixRecords,
        access: Access,
        versions: VersionService,
        reports: HotfixReports,
    ) -> None:
        self.records = records
        self.access = access
        self.versions = versions
        self._handlers: dict[type[Any], Handler[Any]] = {}
        # Each audited command: its handler, and its name in the audit log.
        self._on(Start, "start", starter.start)
        self._on(OpenPr, "pr", lambda c, actor: pulls.open_pr(c.ticket, actor))
        self._on(Promote, "promote", lambda c, actor: backmerges.promote(c.ticket, actor))
        self._on(Cancel, "cancel", lambda c, actor: tracker.cancel(c.ticket, actor))
        self._on(
            Snooze,
            "snooze",
            lambda c, actor: snoozes.snooze(SnoozeSubject.of_hotfix(c.ticket), c.duration, actor),
        )
        self._on(SnoozeReminders, "snooze", lambda c, actor: snoozes.snooze(c.subject, c.duration, actor))
        # A `/versions diff` button: planned by the starter, then handled as the (audited) Start it becomes.
        self._plan_make_like = starter.make_like
        self._handlers[MakeLike] = self._make_like
        # Questions: nothing changes, nothing to audit.
        self._handlers[Help] = lambda _c, _actor: HelpText()
        self._handlers[Status] = lambda c, _actor: tracker.status(c.ticket)
        self._handlers[Report] = lambda c, _actor: reports.answer(c.ticket)  # like status: from anywhere
        self._handlers[OpenModal] = lambda _c, actor: self._start_form(actor)

    @property
    def ticket_pattern(self) -> str:
        return self.access.policy.ticket_pattern

    def handle(self, command: HotfixCommand, actor: Actor) -> Answer:
        handler = self._handlers.get(type(command))
        if handler is None:
            raise UsageError("I don't know that `/hotfix` command; `/hotfix help` lists them.")
        return handler(command, actor)

    def _on(self, kind: type[C], action: str, handler: Handler[C]) -> None:
        def audited(command: C, actor: Actor) -> Answer:
            try:
                self._authorize_change(command, actor)
                return handler(command, actor)
            except Exception as error:
                self.records.audit_failure(actor, action, self._ticket(command, actor), error)
                raise

        self._handlers[kind] = cast(Handler[Any], audited)

    def _authorize_change(self, command: object, actor: Actor) -> None:
        """The one place a change to an existing hot-fix is checked against where it was asked
        from (:meth:`Access.authorize_change`), for typed commands and buttons alike. A ticket that
        names no active hot-fix is left to the handler, which says why in its own words."""
        ticket = _changed_ticket(command)
        if ticket is None:
            return
        try:
            hotfix = self.records.one(ticket)
        except BotError:
            return
        self.access.authorize_change(actor, hotfix)

    def _make_like(self, command: MakeLike, actor: Actor) -> Answer:
        """Who and where are checked as for `/hotfix`, before anything is read; both environments
        are read again (not the values the button was drawn with); a refusal is audited as a start's."""
        try:
            self.access.authorize(actor)
            ticket = self.access.ticket_for(None, actor)  # from the incident channel's name, as typed starts
            start = self._plan_make_like(command, ticket)
        except Exception as error:
            self.records.audit_failure(actor, "start", self._ticket(command, actor), error)
            raise
        return self.handle(start, actor)

    def _start_form(self, actor: Actor) -> StartForm:
        self.access.authorize(actor)
        return StartForm(
            environments=tuple(self.versions.environments),
            components=tuple(self.versions.catalog),
            core=CORE_COMPONENT,
        )

    def _ticket(self, command: object, actor: Actor) -> str:
        """The ticket an audit row names, as typed (or from the channel's name, for a start)."""
        if isinstance(command, Start | MakeLike):
            typed = command.ticket if isinstance(command, Start) else None
            return typed or ticket_from_channel(self.access.channel_name(actor) or "") or "?"
        if isinstance(command, SnoozeReminders):
            return command.subject.key
        return command.ticket if isinstance(command, TicketCommand) else "?"


def _changed_ticket(command: object) -> str | None:
    """The ticket of the hot-fix a command changes (None for a start, a branch's snooze)."""
    if isinstance(command, TicketCommand):
        return command.ticket
    if isinstance(command, SnoozeReminders):
        return command.subject.ticket
    return None
