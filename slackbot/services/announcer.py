"""A hot-fix's Slack thread: posted exactly once, its parent message kept current, news told once.

Two requests (a double click, two copies of the bot) may reach the same step at once: the thread
is claimed in the shared ledger before it is posted, and every piece of news is claimed under its
key before it is told, so nothing is posted twice. A post Slack refuses releases its claim, and
the next attempt posts it. A claim stays *pending* until the post is confirmed; the watch job
retells news a killed bot left pending (:meth:`Announcer.retell_pending`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from slackbot.domain.errors import OUTSIDE_FAILURES, BotError, unfinished
from slackbot.domain.events import Announcement, Rollout, ThreadEvent
from slackbot.domain.followup import RolloutState
from slackbot.domain.hotfix import Hotfix, StaleHotfix
from slackbot.domain.news_record import PendingAnnouncement, UnreadableNews, news_record, read_news
from slackbot.domain.views import HotfixLinks, ThreadView
from slackbot.services.access import HotfixPolicy
from slackbot.services.ports import HotfixStore, Ledger, SourceReader, Threads

log = logging.getLogger(__name__)

THREAD_CLAIM_TTL = timedelta(seconds=60)  # a claim older than this was left by a crashed attempt
PENDING_LAPSE = timedelta(seconds=60)  # news claimed this long ago and unconfirmed: its teller died


@dataclass(frozen=True, kw_only=True)
class Announcer:
    threads: Threads
    ledger: Ledger
    store: HotfixStore
    forge: SourceReader
    policy: HotfixPolicy
    clock: Callable[[], datetime]

    # -- what the thread shows -----------------------------------------------------------------

    def rollout(self, hotfix: Hotfix) -> Rollout:
        return self.policy.rollout(hotfix.rollout_environments, hotfix.environment)

    def links(self, hotfix: Hotfix) -> HotfixLinks:
        url, repository = self.forge.web_url, hotfix.repository
        return HotfixLinks(
            repository=url(repository),
            base=url(repository, branch=hotfix.base_branch),
            branch=url(repository, branch=hotfix.branch),
            compare=url(repository, compare=(hotfix.base_branch, hotfix.branch)),
            base_commit=url(repository, commit=hotfix.base_sha) if hotfix.base_sha else None,
            merge_commit=url(repository, commit=hotfix.merge_sha) if hotfix.merge_sha else None,
        )

    def view(self, hotfix: Hotfix) -> ThreadView:
        rollouts: dict[str, RolloutState] = {}
        if hotfix.merge_sha and hotfix.id is not None:  # the parent message shows each roll-out
            for environment in hotfix.rollout_environments:
                state = self.ledger.rollout(hotfix.id, environment)
                rollouts[environment] = state or RolloutState.WAITING
        return ThreadView(
            hotfix=hotfix,
            links=self.links(hotfix),
            rollout=self.rollout(hotfix),
            rollouts=rollouts,
            thread_link=self.threads.link(hotfix),
        )

    def link(self, hotfix: Hotfix) -> str | None:
        return self.threads.link(hotfix)

    def show(self, hotfix: Hotfix) -> None:
        """Redraw the thread's parent message; the change is stored already, so a failure only waits
        for the next change to be shown."""
        if not hotfix.thread_ts:
            return
        try:
            self.threads.update_thread(self.view(hotfix))
        except BotError:
            log.warning("could not update the thread of %s", hotfix.ticket, exc_info=True)

    def record_rollout(self, hotfix: Hotfix, environment: str, state: RolloutState) -> None:
        """Remember an environment's roll-out state and show it on the parent message."""
        assert hotfix.id is not None
        if self.ledger.record_rollout(hotfix.id, environment, state):
            self.show(hotfix)

    # -- news -----------------------------------------------------------------------------------

    def announce(self, hotfix: Hotfix, event: Announcement) -> bool:
        """Tell the thread once per (hot-fix, event key), whichever copy of the bot gets there first."""
        if hotfix.id is None or not hotfix.thread_ts:
            return False
        claim = self.ledger.claim_announcement(hotfix.id, event.key, self.clock(), news_record(event))
        if claim is None:
            return False
        try:
            self.threads.tell(hotfix, event)
        except BotError:
            log.warning(
                "could not announce %s for %s; will try again", event.key, hotfix.ticket, exc_info=True
            )
            self.ledger.release_announcement(hotfix.id, event.key, claim)
            return False
        self.ledger.confirm_announcement(hotfix.id, event.key, claim)
        return True

    def retell_pending(self) -> int:
        """Post the news a killed bot claimed and never confirmed, once; how many were posted.

        A claim pending for longer than a post takes was left by a bot killed mid-post. The thread
        is read first: the reply may have reached Slack before the bot died (its metadata names the
        news), and then it is only confirmed."""
        now, told = self.clock(), 0
        for pending in self.ledger.pending_announcements(now - PENDING_LAPSE):
            claim = self.ledger.reclaim_announcement(pending, now)
            if claim is not None and self._retell(pending, claim):
                told += 1
        return told

    def _retell(self, pending: PendingAnnouncement, claim: str) -> bool:
        hotfix_id, key = pending.hotfix_id, pending.event_key
        hotfix = self.store.get(hotfix_id)
        try:
            if hotfix is None or not hotfix.thread_ts or self.threads.told(hotfix, key):
                self.ledger.confirm_announcement(hotfix_id, key, claim)
                return False
            event = read_news(pending.record, hotfix)
            self.threads.tell(hotfix, event)
        except UnreadableNews:
            log.warning("cannot rebuild the news %s of hot-fix %s; not retold", key, hotfix_id)
            self.ledger.confirm_announcement(hotfix_id, key, claim)
            return False
        except BotError:
            log.warning("could not retell %s for hot-fix %s; will try again", key, hotfix_id, exc_info=True)
            return False  # still pending: the next watch tries again once it lapses
        self.ledger.confirm_announcement(hotfix_id, key, claim)
        return True

    def post(self, hotfix: Hotfix, event: ThreadEvent) -> bool:
        """Tell the thread without a claim (the caller made sure it is said once)."""
        if not hotfix.thread_ts:
            return False  # started from a terminal without a channel: nobody to tell
        try:
            self.threads.tell(hotfix, event)
        except BotError:
            log.warning("could not post to %s's thread", hotfix.ticket, exc_info=True)
            return False
        return True

    # -- the thread itself ----------------------------------------------------------------------

    def ensure_thread(self, hotfix: Hotfix, *, unfinished_sentence: str) -> Hotfix:
        """Exactly one thread per hot-fix, even when two requests get here at once.

        ``unfinished_sentence`` says what is done and what to do when Slack refuses the thread."""
        if hotfix.thread_ts or not hotfix.channel_id or hotfix.id is None:
            return hotfix  # started from a terminal without a channel: no thread
        claim = self.ledger.claim_thread(hotfix.id, self.clock(), lapse_after=THREAD_CLAIM_TTL)
        if claim is None:  # another request is posting it, or posted it and was killed before storing it
            try:
                found = self.threads.find_thread(hotfix)
            except OUTSIDE_FAILURES:
                found = None
            return self._keep_thread(hotfix, found) if found else self._wait_for_thread(hotfix)
        try:
            ts = self.threads.open_thread(self.view(hotfix))  # finds one posted before a crash
        except BaseException as error:
            self.ledger.release_thread(hotfix.id, claim)  # the next attempt may post it
            if isinstance(error, OUTSIDE_FAILURES):
                raise unfinished(error, unfinished_sentence) from error
            raise
        return self._keep_thread(hotfix, ts)

    def _keep_thread(self, hotfix: Hotfix, ts: str) -> Hotfix:
        """Record the thread, on top of whatever others stored meanwhile (it must not be lost)."""
        assert hotfix.id is not None
        current: Hotfix | None = hotfix
        while current is not None and not current.thread_ts:
            try:
                return self.store.save(replace(current, thread_ts=ts))
            except StaleHotfix:
                current = self.store.get(hotfix.id)
        return current or hotfix

    def _wait_for_thread(self, hotfix: Hotfix) -> Hotfix:
        assert hotfix.id is not None
        deadline = time.monotonic() + THREAD_CLAIM_TTL.total_seconds() / 6
        while time.monotonic() < deadline:
            current = self.store.get(hotfix.id)
            if current is not None and current.thread_ts:
                return current
            time.sleep(0.1)
        return hotfix
