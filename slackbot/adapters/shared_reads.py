"""The forge as the scheduled jobs read it: one read per distinct branch, pull request or commit per run.

A decorator over the GitHub adapter (any :class:`~slackbot.services.ports.Forge`): ten hot-fixes
merged into one release branch cost one read of that branch per run of the watch job.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Protocol, TypeVar, cast

from slackbot.domain.errors import BotError
from slackbot.domain.forge import CommitStatus, Comparison, FileText, PullInfo
from slackbot.domain.pin_history import FileHistory
from slackbot.domain.versions import BranchSnapshot, CommitInfo, UnreadableFile
from slackbot.services.ports import Forge

T = TypeVar("T")
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_FIXED_ENTRIES = 1024


class ListingForge(Forge, Protocol):
    """The forge, with the two listings a watch cycle shares between every hot-fix of a repository."""

    def branch_heads(self, repository: str) -> Mapping[str, str]:
        """Every branch and the sha it points at, from one conditional listing."""
        ...

    def recent_pulls(self, repository: str) -> Mapping[int, PullInfo]:
        """The most recently updated pull requests (any state) by number, from one conditional listing."""
        ...


class SharedReads:
    """The forge as the follow-up jobs read it: during a cycle (:meth:`cycle`) each distinct
    read is asked once and shared, so ten hot-fixes merged into one release branch cost one read of
    that branch, and a back-merge pull request two hot-fixes share is read once. A comparison of two
    commits never changes, so it is kept for good. Outside a cycle (a Slack command, another thread)
    every call goes straight to the forge; a write ends the sharing for the rest of the cycle.
    """

    def __init__(self, forge: ListingForge) -> None:
        self.forge = forge
        self.web_url = forge.web_url  # links cost no request
        self._lock = threading.Lock()
        self._fixed: OrderedDict[tuple[str, str, str], Comparison] = OrderedDict()
        self._local = threading.local()  # this thread's cycle: the reads made so far, or None

    @contextmanager
    def cycle(self) -> Iterator[None]:
        """Within this block (one run of a job, in this thread), each distinct read is made once and
        its answer shared by every hot-fix and environment."""
        if self._memo() is not None:  # already inside a cycle
            yield
            return
        self._local.memo = {}
        try:
            with self.forge.scope():  # the run's requests share one in-flight limit
                yield
        finally:
            self._local.memo = None

    def _memo(self) -> dict[tuple[object, ...], object] | None:
        memo: dict[tuple[object, ...], object] | None = getattr(self._local, "memo", None)
        return memo

    def _read(self, key: tuple[object, ...], read: Callable[[], T]) -> T:
        memo = self._memo()
        if memo is None:
            return read()
        if key in memo:
            found = memo[key]
            if isinstance(found, BotError):
                raise found  # the same failure, not a second request during an outage
            return cast(T, found)
        try:
            value = read()
        except BotError as error:
            memo[key] = error
            raise
        memo[key] = value
        return value

    def _wrote(self) -> None:
        memo = self._memo()
        if memo is not None:
            memo.clear()

    # -- reads

    def read_branch(self, repository: str, branch: str, paths: Sequence[str]) -> BranchSnapshot:
        return self._read(
            ("read_branch", repository, branch, tuple(paths)),
            lambda: self.forge.read_branch(repository, branch, paths),
        )

    def read_branches(
        self, repository: str, wanted: Mapping[str, Sequence[str]]
    ) -> Mapping[str, BranchSnapshot | BotError]:
        key = tuple((branch, tuple(paths)) for branch, paths in wanted.items())
        return self._read(
            ("read_branches", repository, key), lambda: self.forge.read_branches(repository, wanted)
        )

    def scope(self) -> AbstractContextManager[None]:
        return self.forge.scope()

    def file_history(
        self, repository: str, branch: str, paths: Sequence[str], *, since: datetime | None, limit: int
    ) -> FileHistory:
        return self.forge.file_history(repository, branch, paths, since=since, limit=limit)  # no job asks

    def read_commits(
        self, repository: str, wanted: Mapping[str, Sequence[str]]
    ) -> Mapping[str, Mapping[str, str | UnreadableFile | None]]:
        return self.forge.read_commits(repository, wanted)  # kept for good by the forge already

    def branch_head(self, repository: str, branch: str) -> CommitInfo:
        return self._read(
            ("branch_head", repository, branch), lambda: self.forge.branch_head(repository, branch)
        )

    def read_file(self, repository: str, path: str, ref: str) -> FileText | None:
        return self._read(
            ("read_file", repository, path, ref), lambda: self.forge.read_file(repository, path, ref)
        )

    def compare(self, repository: str, base: str, head: str) -> Comparison:
        if self._memo() is not None:
            base, head = self._at_heads(repository, base, head)
        fixed = _FULL_SHA.match(base) is not None and _FULL_SHA.match(head) is not None
        if fixed:
            with self._lock:
                known = self._fixed.get((repository, base, head))
            if known is not None:
                return known
        comparison = self._read(
            ("compare", repository, base, head), lambda: self.forge.compare(repository, base, head)
        )
        if fixed:
            with self._lock:
                self._fixed[(repository, base, head)] = comparison
                while len(self._fixed) > _FIXED_ENTRIES:
                    self._fixed.popitem(last=False)
        return comparison

    def find_pull(self, repository: str, head: str, base: str) -> PullInfo | None:
        return self._read(
            ("find_pull", repository, head, base), lambda: self.forge.find_pull(repository, head, base)
        )

    def _at_heads(self, repository: str, base: str, head: str) -> tuple[str, str]:
        """Two branches as the commits they point at now, from the cycle's one listing of the
        repository's heads, so that comparing them again costs nothing until one moves. A name
        the listing lacks (a sha, a deleted branch) is left for GitHub to answer as asked."""
        heads = self.branch_heads(repository)
        if base in heads and head in heads:
            return heads[base], heads[head]
        return base, head

    def branch_heads(self, repository: str) -> Mapping[str, str]:
        return self._read(("branch_heads", repository), lambda: self.forge.branch_heads(repository))

    def pull(self, repository: str, number: int) -> PullInfo:
        """In a cycle, an open pull request from the repository's one listing of recently updated
        pull requests (one that changed is among them). A listing's entry leaves out who merged it
        and whether it merges cleanly, so a merged or closed one — a change, seen once — is read
        whole, as is every pull request outside a cycle."""
        if self._memo() is not None:
            recent = self._read(("recent_pulls", repository), lambda: self.forge.recent_pulls(repository))
            listed = recent.get(number)
            if listed is not None and listed.state == "open":
                return listed
        return self._read(("pull", repository, number), lambda: self.forge.pull(repository, number))

    def commit_statuses(self, repository: str, ref: str) -> list[CommitStatus]:
        return self._read(("statuses", repository, ref), lambda: self.forge.commit_statuses(repository, ref))

    # -- writes: straight through

    def create_branch(self, repository: str, branch: str, sha: str) -> bool:
        self._wrote()
        return self.forge.create_branch(repository, branch, sha)

    def open_pull(self, repository: str, head: str, base: str, title: str, body: str) -> PullInfo:
        self._wrote()
        return self.forge.open_pull(repository, head, base, title, body)

    def commit_file(
        self, repository: str, branch: str, path: str, text: str, *, message: str, replaces: str
    ) -> str:
        self._wrote()
        return self.forge.commit_file(repository, branch, path, text, message=message, replaces=replaces)
