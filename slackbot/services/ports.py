"""What the services need from the outside world, as protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from typing import Protocol

from slackbot.domain.errors import BotError
from slackbot.domain.events import BackmergeReminder, ChannelPost, ThreadEvent
from slackbot.domain.followup import RolloutState, RolloutTarget
from slackbot.domain.forge import CommitStatus, Comparison, FileText, PullInfo
from slackbot.domain.hotfix import AuditEntry, Hotfix
from slackbot.domain.news_record import PendingAnnouncement
from slackbot.domain.pin_history import FileHistory
from slackbot.domain.rollout import FluxObservation
from slackbot.domain.snooze import SnoozeSubject
from slackbot.domain.versions import BranchSnapshot, CommitInfo, UnreadableFile
from slackbot.domain.views import ThreadView


class SourceReader(Protocol):
    """Read-only access to git repositories on the forge (GitHub)."""

    def read_branch(self, repository: str, branch: str, paths: Sequence[str]) -> BranchSnapshot:
        """The branch's head commit and the given files on it (None for a file that does not exist,
        an UnreadableFile for one that exists without text the bot can read).

        Raises NotFound when the repository or branch does not exist, Unavailable when the forge
        cannot answer.
        """
        ...

    def read_branches(
        self, repository: str, wanted: Mapping[str, Sequence[str]]
    ) -> Mapping[str, BranchSnapshot | BotError]:
        """``read_branch`` for several branches of one repository at once (branch -> paths): each
        branch's snapshot, or why it cannot be read (one branch's failure is not the others')."""
        ...

    def branch_head(self, repository: str, branch: str) -> CommitInfo:
        """The commit a branch points at. Raises NotFound or Unavailable like read_branch."""
        ...

    def compare(self, repository: str, base: str, head: str) -> Comparison:
        """``head`` compared with ``base`` (branches or commits): how many commits each has that the
        other lacks. Raises NotFound or Unavailable like read_branch."""
        ...

    def file_history(
        self, repository: str, branch: str, paths: Sequence[str], *, since: datetime | None, limit: int
    ) -> FileHistory:
        """The commits on ``branch`` since ``since`` (None: ever) that touched any of ``paths``,
        newest first, at most ``limit`` of them (``more`` says whether older ones were left out).

        Raises NotFound when the repository or branch does not exist, Unavailable like read_branch.
        """
        ...

    def read_commits(
        self, repository: str, wanted: Mapping[str, Sequence[str]]
    ) -> Mapping[str, Mapping[str, str | UnreadableFile | None]]:
        """Files at commits (full sha -> paths), as ``read_branch`` gives them; a commit's files
        never change, so the forge keeps them. Raises Unavailable when the forge cannot answer."""
        ...

    def scope(self) -> AbstractContextManager[None]:
        """Reads made within (one command, one job run) share the forge's per-command limits."""
        ...

    def web_url(
        self,
        repository: str,
        *,
        branch: str | None = None,
        commit: str | None = None,
        compare: tuple[str, str] | None = None,
    ) -> str:
        """A link a person can open in a browser: the repository, a branch, a commit or a comparison."""
        ...


class Forge(SourceReader, Protocol):
    """Branches and pull requests on the forge. Creates only: never force-pushes, never deletes."""

    def read_file(self, repository: str, path: str, ref: str) -> FileText | None:
        """A file's text and blob sha; None when it does not exist, Conflict when it has no text
        the bot can edit."""
        ...

    def create_branch(self, repository: str, branch: str, sha: str) -> bool:
        """Create ``branch`` at ``sha``; False when a branch of that name already exists.

        Raises BranchNameBlocked when git cannot hold the name beside an existing branch (``a``
        beside ``a/b``)."""
        ...

    def find_pull(self, repository: str, head: str, base: str) -> PullInfo | None: ...

    def pull(self, repository: str, number: int) -> PullInfo: ...

    def open_pull(self, repository: str, head: str, base: str, title: str, body: str) -> PullInfo:
        """Open a pull request or return the open one for the same head and base.

        Raises NothingToMerge when ``head`` has nothing ``base`` lacks."""
        ...

    def commit_statuses(self, repository: str, ref: str) -> list[CommitStatus]: ...

    def commit_file(
        self, repository: str, branch: str, path: str, text: str, *, message: str, replaces: str
    ) -> str: ...


class HotfixStore(Protocol):
    """Where hot-fixes and the audit trail are kept (a database)."""

    def add(self, hotfix: Hotfix) -> Hotfix:
        """Store a new hot-fix; raises DuplicateHotfix when an active one has its ticket and repository."""
        ...

    def get(self, hotfix_id: int) -> Hotfix | None: ...

    def find(self, ticket: str, *, active_only: bool = True) -> list[Hotfix]: ...

    def active(self) -> list[Hotfix]: ...

    def all(self, *, limit: int = 100) -> list[Hotfix]: ...

    def save(self, hotfix: Hotfix) -> Hotfix:
        """Store a changed hot-fix; raises StaleHotfix when someone saved it since it was read."""
        ...

    def audit(self, entry: AuditEntry) -> None: ...

    def audit_trail(self, hotfix_id: int) -> list[AuditEntry]:
        """The audit entries of one hot-fix, oldest first."""
        ...


class Threads(Protocol):
    """The hot-fix's Slack thread: one parent message kept current, one reply per change."""

    def open_thread(self, view: ThreadView) -> str:
        """Post the parent message (or find the one already posted for this hot-fix); returns its ts."""
        ...

    def find_thread(self, hotfix: Hotfix) -> str | None:
        """The ts of the parent message already posted for this hot-fix (by its metadata), if any."""
        ...

    def update_thread(self, view: ThreadView) -> None: ...

    def tell(self, hotfix: Hotfix, event: ThreadEvent) -> None:
        """Reply in the thread with the news (news told once carries its key in the reply's metadata)."""
        ...

    def told(self, hotfix: Hotfix, event_key: str) -> bool:
        """Whether the thread already has the reply telling the news of that key."""
        ...

    def link(self, hotfix: Hotfix) -> str | None:
        """A permalink to the thread, when there is one."""
        ...


class Directory(Protocol):
    """Who is who in the workspace, for permission checks."""

    def usergroup_members(self, usergroup: str) -> frozenset[str]:
        """Members of a user group given by handle (``platform``) or id (``S0123``)."""
        ...

    def channel_name(self, channel_id: str) -> str | None: ...


class Ledger(Protocol):
    """Small facts the bot must remember across restarts and share between its copies.

    A ``claim_*`` returns the claim (or True) to exactly one caller, whichever copy of the bot asks
    first; releasing a claim lets the next attempt take it (the step it guarded failed)."""

    def claim_announcement(
        self, hotfix_id: int, event_key: str, now: datetime, record: str = ""
    ) -> str | None: ...

    def confirm_announcement(self, hotfix_id: int, event_key: str, claim: str) -> None: ...

    def release_announcement(self, hotfix_id: int, event_key: str, claim: str) -> None: ...

    def pending_announcements(self, claimed_before: datetime) -> list[PendingAnnouncement]: ...

    def reclaim_announcement(self, pending: PendingAnnouncement, now: datetime) -> str | None: ...

    def claim_thread(self, hotfix_id: int, now: datetime, *, lapse_after: timedelta) -> str | None: ...

    def release_thread(self, hotfix_id: int, claim: str) -> None: ...

    def claim_reconcile(self, hotfix_id: int, environment: str, now: datetime) -> str | None: ...

    def release_reconcile(self, hotfix_id: int, environment: str, claim: str) -> None: ...

    def rollout(self, hotfix_id: int, environment: str) -> RolloutState | None: ...

    def record_rollout(self, hotfix_id: int, environment: str, state: RolloutState) -> bool:
        """True when the state changed (and this caller changed it)."""
        ...

    def rollout_seen(self, hotfix_id: int, environment: str, state: RolloutState) -> datetime | None:
        """When the roll-out was first recorded in ``state`` (None: never, or not recorded when)."""
        ...

    def announcement_claimed(self, hotfix_id: int, event_key: str) -> bool:
        """Whether the news of that key was claimed (told, or being told) by some copy of the bot."""
        ...

    def note_closed_pull(self, hotfix_id: int, number: int) -> None: ...

    def closed_pull(self, hotfix_id: int) -> int | None: ...

    def mark_unreachable(self, hotfix_id: int, system: str, now: datetime) -> bool: ...

    def mark_reachable(self, hotfix_id: int, system: str) -> bool: ...

    def snooze_until(self, subject: SnoozeSubject, until: datetime) -> None: ...

    def snoozed_until(self, subject: SnoozeSubject) -> datetime | None: ...

    def claim_daily_reminder(self, hotfix_id: int, day: date) -> bool: ...

    def count_reminder(self, hotfix_id: int) -> int: ...

    def claim_escalation(self, hotfix_id: int, day: date) -> bool: ...

    def claim_digest(self, day: date) -> bool: ...


class RolloutProbe(Protocol):
    """Reads what Flux applied in one environment (its cluster's API, or commit statuses)."""

    description: str  # for people: "the prod cluster", "Flux's commit statuses on GitHub"

    def observe(self, target: RolloutTarget) -> FluxObservation:
        """Raises Unavailable when it cannot be reached, NotFound when the Flux objects are missing."""
        ...

    def request_reconcile(self, target: RolloutTarget, at: datetime) -> None: ...

    def close(self) -> None:
        """Let go of connections (the bot is stopping)."""
        ...


class ReminderPoster(Protocol):
    """Where back-merge reminders go: the hot-fix's thread, or the team channel."""

    def remind_in_thread(self, reminder: BackmergeReminder) -> None: ...

    def post_to_channel(self, channel: str, post: ChannelPost) -> None: ...
