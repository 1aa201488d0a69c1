"""The hot-fixes the bot keeps: looked up by ticket, saved with compare-and-set, audited.

Saving never loses someone else's change: a hot-fix saved by another request since it was read
(a click, another copy of the bot) is taken as it is now, since their state is as good as ours.
Each saved change is shown on the thread's parent message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slackbot.domain.errors import BotError, NotFound, UsageError
from slackbot.domain.hotfix import AuditEntry, Hotfix, StaleHotfix
from slackbot.domain.tickets import validate_ticket
from slackbot.services.access import Actor
from slackbot.services.announcer import Announcer
from slackbot.services.ports import HotfixStore

log = logging.getLogger(__name__)

BOT_ACTOR = "slackbot"  # who the audit log names for what the bot does by itself


@dataclass(frozen=True, kw_only=True)
class HotfixRecords:
    store: HotfixStore
    announcer: Announcer
    ticket_pattern: str
    clock: Callable[[], datetime]

    def one(self, ticket: str) -> Hotfix:
        """The one active hot-fix with this ticket, or a sentence saying why there is none."""
        ticket = validate_ticket(ticket, self.ticket_pattern)
        found = self.store.find(ticket)
        if not found:
            done = self.store.find(ticket, active_only=False)
            if done:
                raise UsageError(f"{ticket} is {done[0].stage.value}; nothing more to do.")
            raise NotFound(f"No active hot-fix has the ticket {ticket}. `/hotfix status` lists them.")
        if len(found) > 1:
            where = ", ".join(h.component for h in found)
            raise UsageError(
                f"{ticket} has several active hot-fixes ({where}); finish them one at a time in their threads."
            )
        return found[0]

    def save(self, hotfix: Hotfix, *, show: bool = True) -> Hotfix:
        """Store a change and show it on the thread's parent message (``show``)."""
        try:
            saved = self.store.save(hotfix)
        except StaleHotfix:
            assert hotfix.id is not None
            current = self.store.get(hotfix.id)
            if current is None:
                raise
            return current
        if show:
            self.announcer.show(saved)
        return saved

    def moved(self, before: Hotfix, after: Hotfix) -> Hotfix:
        """Save a step of the lifecycle (nothing to save when it changed nothing)."""
        return before if after == before else self.save(after)

    # -- the audit trail -------------------------------------------------------------------------

    def audit(self, actor: Actor | str, action: str, hotfix: Hotfix, result: str, detail: str = "") -> None:
        self.store.audit(
            AuditEntry(
                actor=actor if isinstance(actor, str) else actor.name,
                action=action,
                ticket=hotfix.ticket,
                result=result,
                detail=detail,
                at=self.clock(),
                hotfix_id=hotfix.id,
            )
        )

    def audit_failure(self, actor: Actor, action: str, ticket: str, error: Exception) -> None:
        """Record a refused or failed action."""
        kind = "refused" if isinstance(error, BotError) else "failed"
        self.store.audit(
            AuditEntry(
                actor=actor.name, action=action, ticket=ticket, result=f"{kind}: {error}", at=self.clock()
            )
        )

    def audit_other(self, actor: Actor, action: str, subject: str, detail: str) -> None:
        """Record an action about something other than one hot-fix (a snoozed branch)."""
        self.store.audit(
            AuditEntry(
                actor=actor.name, action=action, ticket=subject, result="ok", detail=detail, at=self.clock()
            )
        )
