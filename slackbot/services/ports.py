"""What the services need from the outside world, as protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from slackbot.domain.followup import PendingBackmerge, RolloutTarget
from slackbot.domain.forge import CommitStatus, Comparison, FileText, PullInfo
from slackbot.domain.hotfix import AuditEntry, Hotfix
from slackbot.domain.rollout import FluxObservation
from slackbot.domain.versions import BranchSnapshot, CommitInfo


class SourceReader(Protocol):
    """Read-only access to git repositories on the forge (GitHub)."""

    def read_branch(self, repository: str, branch: str, paths: Sequence[str]) -> BranchSnapshot:
        """The branch's head commit and the given files on it (None for a file that does not exist).

        Raises NotFound when the repository or branch does not exist, Unavailable when the forge
        cannot answer.
        """
        ...

    def branch_head(self, repository: str, branch: str) -> CommitInfo:
        """The commit a branch points at. Raises NotFound or Unavailable like read_branch."""
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

    def read_file(self, repository: str, path: str, ref: str) -> FileText | None: ...

    def create_branch(self, repository: str, branch: str, sha: str) -> bool:
        """Create ``branch`` at ``sha``; False when a branch of that name already exists."""
        ...

    def compare(self, repository: str, base: str, head: str) -> Comparison: ...

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


class Threads(Protocol):
    """The hot-fix's Slack thread: one parent message kept current, one reply per change."""

    def open_thread(self, hotfix: Hotfix, links: Mapping[str, str]) -> str:
        """Post the parent message (or find the one already posted for this hot-fix); returns its ts."""
        ...

    def update_thread(self, hotfix: Hotfix, links: Mapping[str, str]) -> None: ...

    def reply(self, hotfix: Hotfix, text: str) -> None: ...

    def link(self, hotfix: Hotfix) -> str | None:
        """A permalink to the thread, when there is one."""
        ...


class Directory(Protocol):
    """Who is who in the workspace, for permission checks."""

    def usergroup_members(self, usergroup: str) -> frozenset[str]:
        """Members of a user group given by handle (``platform``) or id (``S0123``)."""
        ...

    def channel_name(self, channel_id: str) -> str | None: ...


class StateStore(Protocol):
    """Small facts the bot must remember across restarts and share between its copies."""

    def get_state(self, key: str) -> str | None: ...

    def put_state(self, key: str, value: str) -> None: ...

    def put_state_if(self, key: str, value: str, *, expected: str | None) -> bool:
        """Compare-and-set: write only if the current value is ``expected`` (None: absent)."""
        ...


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
    """Where back-merge reminders go: the hot-fix's thread, or the team channel as a digest."""

    def remind_in_thread(self, hotfix: Hotfix, text: str) -> None: ...

    def post_to_channel(self, channel: str, text: str, items: Sequence[PendingBackmerge]) -> None: ...
