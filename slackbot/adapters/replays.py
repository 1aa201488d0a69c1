"""Signatures of Slack requests already received, shared by every copy of the bot through its database.

Behind a load balancer, a replayed request may reach another copy than the original did; each copy's
own memory (:class:`slackbot.slack.guard.RecentSignatures`) would let it through. Recording each
signature in the shared key-value table with an insert-if-absent lets exactly one copy accept it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from slackbot.adapters.ledger import KeyValues

REMEMBER = timedelta(minutes=10)  # Bolt accepts timestamps 5 minutes either way: 10 covers any signature
_PREFIX = "seen-signature:"


class ForgettingKeyValues(KeyValues, Protocol):
    def forget_states(self, key_prefix: str, updated_before: datetime) -> int:
        """Remove the keys starting ``key_prefix`` last written before ``updated_before``; how many."""
        ...


class SharedSignatures:
    """``first_time(signature)`` for all copies at once: True to exactly one caller per signature."""

    def __init__(
        self,
        values: ForgettingKeyValues,
        clock: Callable[[], datetime],
        *,
        local: Callable[[str], bool] | None = None,
        forget_every: timedelta = timedelta(minutes=1),
    ) -> None:
        self._values, self._clock, self._local = values, clock, local
        self._forget_every = forget_every
        self._forgot_at: datetime | None = None
        self._lock = threading.Lock()

    def first_time(self, signature: str) -> bool:
        if self._local is not None and not self._local(signature):
            return False  # seen by this copy: refused without asking the database
        now = self._clock()
        self._forget_old(now)
        return self._values.put_state_if(_PREFIX + signature, now.isoformat(), expected=None)

    def _forget_old(self, now: datetime) -> None:
        with self._lock:
            if self._forgot_at is not None and now - self._forgot_at < self._forget_every:
                return
            self._forgot_at = now
        self._values.forget_states(_PREFIX, now - REMEMBER)
