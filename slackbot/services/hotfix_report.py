"""The hot-fix report: gathered from the audit trail, the ledger and GitHub; asked for, or posted once.

`/hotfix report TICKET` (and `slackbot hotfix report`) asks for it at any stage. The watch job
posts it into the hot-fix's thread once the hot-fix is *complete*: done (back-merged into main; a
pin, merged) and every roll-out confirmed or impossible to confirm — or a day after the merge,
when the watcher stops waiting for Flux, with the roll-outs it never saw said to be unconfirmed.
It is news like any other, claimed in the ledger under the key ``report``, so two copies of the
bot post it once. A hot-fix completed while no copy was running gets its report within
:data:`POST_WITHIN` of its last change; past that it is only there when asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slackbot.domain.errors import OUTSIDE_FAILURES, BotError, NotFound
from slackbot.domain.events import ReportReady
from slackbot.domain.forge import PullInfo
from slackbot.domain.hotfix import Hotfix, PullRequestRef, Stage
from slackbot.domain.hotfix_report import (
    HotfixReport,
    ReportFacts,
    ReportLinks,
    RolloutSeen,
    build_report,
    is_complete,
)
from slackbot.domain.names import suggest
from slackbot.domain.quoting import quote
from slackbot.domain.report_document import report_document
from slackbot.domain.tickets import validate_ticket
from slackbot.services.announcer import Announcer
from slackbot.services.outcome import ReportAnswer
from slackbot.services.ports import Directory, Forge, HotfixStore, Ledger
from slackbot.services.report import Report
from slackbot.services.watcher import GIVE_UP_AFTER

log = logging.getLogger(__name__)

POST_WITHIN = GIVE_UP_AFTER + timedelta(days=1)  # how long after its last change a report is still posted
_RECENT = 200  # how many of the latest hot-fixes are looked at for reports to post, and for tickets


@dataclass(frozen=True, kw_only=True)
class HotfixReports:
    store: HotfixStore
    ledger: Ledger
    forge: Forge  # read directly, not from a job's shared listing, which leaves out who merged
    announcer: Announcer
    directory: Directory
    refresh: Callable[[Hotfix], Hotfix]  # a hot-fix brought up to date with GitHub (the tracker's)
    ticket_pattern: str
    main_branch: str
    clock: Callable[[], datetime]

    # -- asked for -----------------------------------------------------------------------------

    def answer(self, ticket: str) -> ReportAnswer:
        return ReportAnswer(self.reports(ticket))

    def reports(self, ticket: str) -> tuple[HotfixReport, ...]:
        """The report of every hot-fix with this ticket (usually one), brought up to date with GitHub."""
        ticket = validate_ticket(ticket, self.ticket_pattern)
        found = self.store.find(ticket, active_only=False)
        if not found:
            raise NotFound(self._no_such_ticket(ticket))
        return tuple(self.report(self._refreshed(hotfix)) for hotfix in found)

    def report(self, hotfix: Hotfix) -> HotfixReport:
        return build_report(self._facts(hotfix))

    def _refreshed(self, hotfix: Hotfix) -> Hotfix:
        try:
            return self.refresh(hotfix)
        except OUTSIDE_FAILURES:  # the report says what GitHub did not tell
            log.warning("could not refresh %s for its report", hotfix.ticket, exc_info=True)
            return hotfix

    def _no_such_ticket(self, ticket: str) -> str:
        known = sorted({hotfix.ticket for hotfix in self.store.all(limit=_RECENT)})
        close = " or ".join(f"`{quote(name)}`" for name in suggest(ticket, known))
        hint = f" Did you mean {close}?" if close else ""
        return f"No hot-fix has the ticket `{quote(ticket)}`.{hint} `/hotfix status` lists the active ones."

    # -- posted when complete (the watch job) -----------------------------------------------------

    def post_completed(self, job: Report) -> None:
        """Post the report of each hot-fix that completed and has none yet, once."""
        for hotfix in self._due():
            try:
                built = self.report(hotfix)
            except BotError:
                log.warning("could not make the report of %s", hotfix.ticket, exc_info=True)
                continue
            news = ReportReady(hotfix, report_document(built))
            if built.complete and self.announcer.announce(hotfix, news):
                job.announced.append(f"{hotfix.ticket}:{news.key}")

    def _due(self) -> list[Hotfix]:
        """Done hot-fixes with a thread, changed lately, complete, and not reported (cheap checks first:
        the report itself asks GitHub)."""
        now, due = self.clock(), []
        for hotfix in self.store.all(limit=_RECENT):
            if hotfix.stage is not Stage.DONE or hotfix.id is None or not hotfix.thread_ts:
                continue
            if hotfix.updated_at is None or now - hotfix.updated_at > POST_WITHIN:
                continue
            if self.ledger.announcement_claimed(hotfix.id, ReportReady.KEY):
                continue
            states = {env: self.ledger.rollout(hotfix.id, env) for env in hotfix.rollout_environments}
            if is_complete(hotfix, states, stopped_watching=self._stopped_watching(hotfix, now)):
                due.append(hotfix)
        return due

    # -- the facts -------------------------------------------------------------------------------

    def _stopped_watching(self, hotfix: Hotfix, now: datetime) -> bool:
        """The watcher no longer waits for Flux to confirm this hot-fix's roll-outs."""
        return hotfix.merged_at is not None and now - hotfix.merged_at >= GIVE_UP_AFTER

    def _facts(self, hotfix: Hotfix) -> ReportFacts:
        repository, url = hotfix.repository, self.forge.web_url
        return ReportFacts(
            hotfix=hotfix,
            audit=self.store.audit_trail(hotfix.id) if hotfix.id is not None else (),
            pull=self._pull(hotfix, hotfix.pull),
            backmerge=self._pull(hotfix, hotfix.backmerge),
            rollouts=tuple(self._seen(hotfix, env) for env in hotfix.rollout_environments),
            stopped_watching=self._stopped_watching(hotfix, self.clock()),
            links=ReportLinks(
                branch=url(repository, branch=hotfix.branch),
                merge_commit=url(repository, commit=hotfix.merge_sha) if hotfix.merge_sha else None,
                thread=self.announcer.link(hotfix),
            ),
            channel_name=self.directory.channel_name(hotfix.channel_id) if hotfix.channel_id else None,
            main_branch=self.main_branch,
        )

    def _pull(self, hotfix: Hotfix, ref: PullRequestRef | None) -> PullInfo | None:
        """What GitHub says of the pull request now (who merged it, when it opened); None when it
        does not answer, and the report says so."""
        if ref is None:
            return None
        try:
            return self.forge.pull(hotfix.repository, ref.number)
        except OUTSIDE_FAILURES:
            log.warning("could not read #%d of %s for its report", ref.number, hotfix.ticket, exc_info=True)
            return None

    def _seen(self, hotfix: Hotfix, environment: str) -> RolloutSeen:
        if hotfix.id is None:
            return RolloutSeen(environment, None)
        state = self.ledger.rollout(hotfix.id, environment)
        seen_at = self.ledger.rollout_seen(hotfix.id, environment, state) if state else None
        return RolloutSeen(environment, state, seen_at)
