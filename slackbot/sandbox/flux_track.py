"""The simulated Flux's state machine for one component: what it should run and what it did.

A :class:`Target` is what git says a component should run (a branch of a repository and that
branch's head); a :class:`Track` is what the simulated Flux did about it so far (applied, last
attempted, waiting out the apply delay, ready or failing, reconcile requests handled, commit status
posted). :meth:`Track.advance` moves a track one tick towards its target; it reads no clock, git or
network, so :mod:`slackbot.sandbox.clusters` drives it and :mod:`slackbot.sandbox.flux_objects` and
:mod:`slackbot.sandbox.flux_statuses` show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Target", "Track", "revision"]


def revision(branch: str, sha: str) -> str:
    """Flux's revision string: ``main@sha1:<sha>``."""
    return f"{branch}@sha1:{sha}"


@dataclass
class Target:
    """What one component should run: a branch of a repository and its head (None: no branch)."""

    key: str
    flux_name: str
    repository: str
    branch: str
    head: str | None


@dataclass
class Track:
    """What the simulated Flux did so far for one component."""

    key: str
    flux_name: str
    repository: str
    branch: str = ""
    head: str | None = None
    applied: tuple[str, str] | None = None  # (branch, sha) applied successfully
    attempted: tuple[str, str] | None = None  # (branch, sha) tried last
    waiting: tuple[str, str, float] | None = None  # (branch, sha, clock time first seen)
    ready: tuple[bool, str, str] | None = None  # (ready, reason, message) of the last attempt
    handled: dict[str, str] = field(default_factory=dict)  # plural -> requestedAt handled
    posted: tuple[str, str, str] | None = None  # (sha, state, description) last posted

    def advance(
        self,
        target: Target,
        now: float,
        *,
        forced: bool,
        failing: tuple[str, str] | None,
        apply_delay: float,
    ) -> bool:
        """One tick towards ``target``; True when a revision new to ``applied`` was applied.

        The first sync applies at once; a new revision is applied ``apply_delay`` after it was
        first seen, or at once when ``forced`` (a reconcile request). ``failing`` is the
        ``(reason, message)`` the component fails with, if it does; a change in it is retried now.
        """
        self.branch, self.head = target.branch, target.head
        if target.head is None:
            self.waiting = None
            return False
        wanted = (target.branch, target.head)
        if self.attempted is None:  # the cluster's first sync: in step with git from the start
            return self._apply(wanted, failing)
        if wanted != self.attempted:
            if self.waiting is None or self.waiting[:2] != wanted:
                self.waiting = (*wanted, now)
            if forced or now - self.waiting[2] >= apply_delay:
                return self._apply(wanted, failing)
            return False
        shown_failing = (
            (self.ready[1], self.ready[2]) if self.ready is not None and not self.ready[0] else None
        )
        if failing != shown_failing or forced:  # fail(), heal() or a reconcile request: retry now
            return self._apply(wanted, failing)
        return False

    def _apply(self, wanted: tuple[str, str], failing: tuple[str, str] | None) -> bool:
        self.waiting = None
        self.attempted = wanted
        if failing is not None:
            self.ready = (False, *failing)
            return False
        self.ready = (True, "ReconciliationSucceeded", f"Applied revision: {revision(*wanted)}")
        if self.applied == wanted:
            return False
        self.applied = wanted
        return True
