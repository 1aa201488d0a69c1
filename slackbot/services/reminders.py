"""Back-merge reminders, until main has the commits — and snoozing them.

GitHub is the source of truth: every branch any environment pins, and every followed hot-fix's
base, is compared with main; nothing is remembered but who was reminded when. A followed hot-fix
is reminded in its thread (once a day, escalated to the team channel after a few reminders); the
branches nobody follows go to the team channel as one daily digest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slackbot.domain.errors import BotError
from slackbot.domain.events import BackmergeReminder, Digest, Escalation, Snoozed
from slackbot.domain.followup import PendingBackmerge
from slackbot.domain.hotfix import Hotfix, Stage
from slackbot.domain.snooze import SnoozeSubject
from slackbot.services.access import Access, Actor
from slackbot.services.backmerge import Backmerges
from slackbot.services.outcome import Outcome
from slackbot.services.ports import Forge, HotfixStore, Ledger, ReminderPoster
from slackbot.services.records import HotfixRecords
from slackbot.services.report import Report
from slackbot.services.versions import VersionService


@dataclass(frozen=True)
class ReminderPolicy:
    team_channel: str | None = None
    escalate_after: int = 3
    main_branch: str = "main"


@dataclass(frozen=True, kw_only=True)
class Snoozes:
    ledger: Ledger
    records: HotfixRecords
    access: Access
    clock: Callable[[], datetime]

    def snooze(self, subject: SnoozeSubject, duration: timedelta, actor: Actor) -> Outcome:
        """Quiet the reminders about one hot-fix or one release branch for a while."""
        self.access.authorize_person(actor)
        if subject.ticket is not None:
            subject = SnoozeSubject.of_hotfix(self.records.one(subject.ticket).ticket)
        until = self.clock() + duration
        self.ledger.snooze_until(subject, until)
        self.records.audit_other(actor, "snooze", subject.key, until.isoformat())
        return Outcome(Snoozed(subject, until))

    def snoozed(self, subject: SnoozeSubject) -> bool:
        until = self.ledger.snoozed_until(subject)
        return until is not None and until > self.clock()


@dataclass(frozen=True, kw_only=True)
class Reminders:
    forge: Forge
    versions: VersionService
    store: HotfixStore
    ledger: Ledger
    snoozes: Snoozes
    backmerges: Backmerges
    poster: ReminderPoster
    policy: ReminderPolicy
    clock: Callable[[], datetime]

    def remind(self) -> Report:
        report = Report()
        digest: list[PendingBackmerge] = []
        for item in self.pending_backmerges(report):
            report.checked += 1
            if self.snoozes.snoozed(item.snooze_subject):
                continue
            if item.hotfix is None or not item.hotfix.thread_ts:
                digest.append(item)
            else:
                self._remind_in_thread(item, item.hotfix, report)
        today = self.clock().date()
        if digest and self.policy.team_channel and self.ledger.claim_digest(today):
            self.poster.post_to_channel(
                self.policy.team_channel, Digest(tuple(digest), self.policy.main_branch)
            )
            report.announced.append("digest")
        return report

    def _remind_in_thread(self, item: PendingBackmerge, hotfix: Hotfix, report: Report) -> None:
        assert hotfix.id is not None
        today, main = self.clock().date(), self.policy.main_branch
        if not self.ledger.claim_daily_reminder(hotfix.id, today):
            return  # already reminded today (a manual run, or another copy of the bot)
        count = self.ledger.count_reminder(hotfix.id)
        self.poster.remind_in_thread(BackmergeReminder(item, hotfix, main))
        report.announced.append(f"reminder:{hotfix.ticket}")
        if (
            count >= self.policy.escalate_after
            and self.policy.team_channel
            and self.ledger.claim_escalation(hotfix.id, today)
        ):
            self.poster.post_to_channel(self.policy.team_channel, Escalation(item, hotfix, count, main))
            report.announced.append(f"escalation:{hotfix.ticket}")

    def pending_backmerges(self, report: Report | None = None) -> list[PendingBackmerge]:
        """Every branch an environment pins, and every hot-fix base, that main lacks commits of."""
        main = self.policy.main_branch
        branches = self._pinned_branches(report)
        followed = {
            (h.repository, h.base_branch): h
            for h in self.store.active()
            if h.needs_backmerge and h.stage in (Stage.MERGED, Stage.BACKMERGE_OPEN)
        }
        for key in followed:
            branches.setdefault(key, set())
        pending = []
        for (repository, branch), environments in sorted(branches.items()):
            hotfix = followed.get((repository, branch))
            try:
                comparison = self.forge.compare(repository, main, branch)
                if comparison.ahead_by == 0:
                    if hotfix is not None and hotfix.stage is Stage.MERGED:
                        self.backmerges.mark_backmerged(hotfix)  # someone back-merged by hand
                    continue
                pull = self.forge.find_pull(repository, branch, main)
            except BotError as error:  # one branch unreadable: remind about the others all the same
                if report is not None:
                    report.unreachable.append(f"{repository}: {error}")
                continue
            pending.append(
                PendingBackmerge(
                    repository=repository,
                    branch=branch,
                    ahead_by=comparison.ahead_by,
                    oldest_commit_at=comparison.oldest_commit_at,
                    pull=pull,
                    hotfix=hotfix,
                    environments=tuple(sorted(environments)),
                )
            )
        return pending

    def _pinned_branches(self, report: Report | None) -> dict[tuple[str, str], set[str]]:
        """(repository, branch) → the environments pinning it, for every branch other than main."""
        branches: dict[tuple[str, str], set[str]] = {}
        for environment in self.versions.environments:
            try:
                deployed = self.versions.environment(environment)
            except BotError as error:
                if report is not None:
                    report.unreachable.append(f"{environment}: {error}")
                continue
            for component in deployed.components:
                if component.repository and component.branch and component.branch != self.policy.main_branch:
                    branches.setdefault((component.repository, component.branch), set()).add(environment)
        return branches
