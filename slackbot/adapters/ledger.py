"""The bot's small shared facts — claims, roll-outs, snoozes, reminders — over the store's key-values.

Every key the bot has ever stored is spelled here and nowhere else, in the same format as before
(data already in a database keeps working). Each claim is a compare-and-set on one row of the
shared database, so a restart or a second copy of the bot sees the same answer: whoever claims an
announcement first posts it, and nobody posts it again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from slackbot.domain.followup import RolloutState
from slackbot.domain.news_record import PendingAnnouncement
from slackbot.domain.snooze import SnoozeSubject

RELEASED = ""  # a claim given up by an attempt that failed: the next one may take it at once
_PENDING = "pending:"  # an announcement claimed and not yet known to be posted


def _announced(hotfix_id: int, event_key: str) -> str:
    return f"announced:{hotfix_id}:{event_key}"


class KeyValues(Protocol):
    """A shared table of text values with compare-and-set (the store implements it)."""

    def get_state(self, key: str) -> str | None: ...

    def put_state(self, key: str, value: str) -> None: ...

    def put_state_if(self, key: str, value: str, *, expected: str | None) -> bool: ...

    def states_with_prefix(self, key_prefix: str, value_prefix: str) -> dict[str, str]:
        """Every key starting ``key_prefix`` whose value starts ``value_prefix``."""
        ...


class StateLedger:
    """The named facts the services keep, each under one key family."""

    def __init__(self, values: KeyValues, *, clock: Callable[[], datetime] | None = None) -> None:
        self._values = values
        self._clock = clock or (lambda: datetime.now(UTC))  # stamps when a roll-out state is first seen

    # -- once-only claims -------------------------------------------------------------------

    def _claim(self, key: str, mine: str) -> bool:
        """Take a claim nobody holds (never taken, or released by an attempt that failed)."""
        return self._values.put_state_if(key, mine, expected=None) or self._values.put_state_if(
            key, mine, expected=RELEASED
        )

    def _release(self, key: str, mine: str) -> None:
        self._values.put_state_if(key, RELEASED, expected=mine)

    def claim_announcement(
        self, hotfix_id: int, event_key: str, now: datetime, record: str = ""
    ) -> str | None:
        """The claim on posting one piece of news (None: someone has it already).

        The claim is *pending* (``pending:<when>``, then the news ``record``) until
        :meth:`confirm_announcement` marks it posted; one a killed bot left pending is found by
        :meth:`pending_announcements`. A plain timestamp, as earlier versions wrote, means posted."""
        mine = f"{_PENDING}{now.isoformat()}" + (f"\n{record}" if record else "")
        return mine if self._claim(_announced(hotfix_id, event_key), mine) else None

    def confirm_announcement(self, hotfix_id: int, event_key: str, claim: str) -> None:
        """The news is in the thread: nobody posts it again."""
        posted = claim.removeprefix(_PENDING).partition("\n")[0]
        self._values.put_state_if(_announced(hotfix_id, event_key), posted, expected=claim)

    def release_announcement(self, hotfix_id: int, event_key: str, claim: str) -> None:
        """The post failed: the next attempt may make it."""
        self._release(_announced(hotfix_id, event_key), claim)

    def pending_announcements(self, claimed_before: datetime) -> list[PendingAnnouncement]:
        """Claims still pending that were taken before ``claimed_before``: their teller may be gone."""
        found = []
        for key, claim in self._values.states_with_prefix("announced:", _PENDING).items():
            _, hotfix_id, event_key = key.split(":", 2)
            when, _, record = claim.removeprefix(_PENDING).partition("\n")
            try:
                stale = datetime.fromisoformat(when) < claimed_before
            except ValueError:
                stale = True
            if stale and hotfix_id.isdigit():
                found.append(PendingAnnouncement(int(hotfix_id), event_key, claim, record))
        return found

    def reclaim_announcement(self, pending: PendingAnnouncement, now: datetime) -> str | None:
        """Take over a lapsed pending claim (exactly one caller gets it); the record is kept."""
        mine = f"{_PENDING}{now.isoformat()}" + (f"\n{pending.record}" if pending.record else "")
        key = _announced(pending.hotfix_id, pending.event_key)
        return mine if self._values.put_state_if(key, mine, expected=pending.claim) else None

    def claim_thread(self, hotfix_id: int, now: datetime, *, lapse_after: timedelta) -> str | None:
        """The claim on posting a hot-fix's thread; one left by a crashed attempt lapses."""
        key, mine = f"thread:{hotfix_id}", now.isoformat()
        held = self._values.get_state(key)
        if held is not None and _lapsed(held, now, lapse_after):
            return mine if self._values.put_state_if(key, mine, expected=held) else None
        return mine if self._values.put_state_if(key, mine, expected=None) else None

    def release_thread(self, hotfix_id: int, claim: str) -> None:
        self._release(f"thread:{hotfix_id}", claim)

    def claim_reconcile(self, hotfix_id: int, environment: str, now: datetime) -> str | None:
        """The claim on asking Flux to reconcile once per hot-fix and environment."""
        mine = now.isoformat()
        return mine if self._claim(f"reconcile:{hotfix_id}:{environment}", mine) else None

    def release_reconcile(self, hotfix_id: int, environment: str, claim: str) -> None:
        self._release(f"reconcile:{hotfix_id}:{environment}", claim)

    # -- roll-outs --------------------------------------------------------------------------

    def rollout(self, hotfix_id: int, environment: str) -> RolloutState | None:
        value = self._values.get_state(f"rollout:{hotfix_id}:{environment}")
        return RolloutState(value) if value else None

    def record_rollout(self, hotfix_id: int, environment: str, state: RolloutState) -> bool:
        """Remember an environment's roll-out state; True when it changed."""
        key = f"rollout:{hotfix_id}:{environment}"
        old = self._values.get_state(key)
        changed = old != state.value and self._values.put_state_if(key, state.value, expected=old)
        if changed:  # when, under a key of its own: the state's value keeps the format older copies read
            seen = _rollout_seen(hotfix_id, environment, state)
            self._values.put_state_if(seen, self._clock().isoformat(), expected=None)
        return changed

    def rollout_seen(self, hotfix_id: int, environment: str, state: RolloutState) -> datetime | None:
        """When an environment's roll-out was first recorded in ``state`` (None: never, or by a version
        that did not record when)."""
        value = self._values.get_state(_rollout_seen(hotfix_id, environment, state))
        return datetime.fromisoformat(value) if value else None

    def announcement_claimed(self, hotfix_id: int, event_key: str) -> bool:
        """Whether some copy of the bot has claimed this news (told it, or is telling it)."""
        return self._values.get_state(_announced(hotfix_id, event_key)) not in (None, RELEASED)

    # -- pull requests ----------------------------------------------------------------------

    def note_closed_pull(self, hotfix_id: int, number: int) -> None:
        """A pull request closed without merging: from now on one is opened only when asked."""
        self._values.put_state(f"closed-pull:{hotfix_id}", str(number))

    def closed_pull(self, hotfix_id: int) -> int | None:
        value = self._values.get_state(f"closed-pull:{hotfix_id}")
        return int(value) if value else None

    # -- outages ----------------------------------------------------------------------------

    def mark_unreachable(self, hotfix_id: int, system: str, now: datetime) -> bool:
        """True the first time ``system`` is found down for this hot-fix (until it is back)."""
        return self._claim(f"outage:{hotfix_id}:{system}", now.isoformat())

    def mark_reachable(self, hotfix_id: int, system: str) -> bool:
        """True when ``system`` was down for this hot-fix, and now is not."""
        key = f"outage:{hotfix_id}:{system}"
        since = self._values.get_state(key)
        return bool(since) and self._values.put_state_if(key, RELEASED, expected=since)

    # -- snoozes and reminders --------------------------------------------------------------

    def snooze_until(self, subject: SnoozeSubject, until: datetime) -> None:
        self._values.put_state(f"snooze:{subject.key}", until.isoformat())

    def snoozed_until(self, subject: SnoozeSubject) -> datetime | None:
        value = self._values.get_state(f"snooze:{subject.key}")
        return datetime.fromisoformat(value) if value else None

    def claim_daily_reminder(self, hotfix_id: int, day: date) -> bool:
        return self._values.put_state_if(f"reminded:{hotfix_id}:{day.isoformat()}", "1", expected=None)

    def count_reminder(self, hotfix_id: int) -> int:
        """One more reminder sent about this hot-fix; how many so far."""
        key = f"reminders:{hotfix_id}"
        count = int(self._values.get_state(key) or 0) + 1
        self._values.put_state(key, str(count))
        return count

    def claim_escalation(self, hotfix_id: int, day: date) -> bool:
        return self._values.put_state_if(f"escalated:{hotfix_id}", day.isoformat(), expected=None)

    def claim_digest(self, day: date) -> bool:
        return self._values.put_state_if(f"digest:{day.isoformat()}", "1", expected=None)


def _rollout_seen(hotfix_id: int, environment: str, state: RolloutState) -> str:
    return f"rollout-seen:{hotfix_id}:{environment}:{state.value}"


def _lapsed(claim: str, now: datetime, lapse_after: timedelta) -> bool:
    """A thread claim another attempt may take over: given up, or left by a crash."""
    if claim == RELEASED:
        return True
    try:
        return now - datetime.fromisoformat(claim) > lapse_after
    except ValueError:
        return True
