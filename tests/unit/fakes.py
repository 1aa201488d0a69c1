"""Hand-written fakes of the ports: they keep data in memory and record what was asked."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from slackbot.domain.errors import BotError, NotFound
from slackbot.domain.events import BackmergeReminder, ChannelPost, Keyed, ThreadEvent
from slackbot.domain.followup import RolloutTarget
from slackbot.domain.forge import BranchNameBlocked, Comparison, FileText, NothingToMerge, PullInfo
from slackbot.domain.hotfix import AuditEntry, DuplicateHotfix, Hotfix, StaleHotfix
from slackbot.domain.pin_history import FileHistory, HistoryCommit
from slackbot.domain.rollout import FluxObservation
from slackbot.domain.versions import BranchSnapshot, CommitInfo, UnreadableFile
from slackbot.domain.views import ThreadView
from slackbot.render.hotfix_blocks import channel_message
from slackbot.render.words import reminder_text, sentence


class Failing:
    """A fake told to fail: ``fail(method, error)`` makes the next calls of ``method`` raise, one each."""

    failures: dict[str, list[Exception]]

    def fail(self, method: str, error: Exception, *, times: int = 1) -> None:
        self.failures.setdefault(method, []).extend([error] * times)

    def _maybe_fail(self, method: str) -> None:
        queued = self.failures.get(method)
        if queued:
            raise queued.pop(0)


@dataclass(frozen=True)
class FakeCommit:
    sha: str
    parents: tuple[str, ...]
    files: Mapping[str, str]  # every file at the commit
    date: datetime
    author: str
    message: str

    def listed(self, url: str, paths: frozenset[str]) -> HistoryCommit:
        return HistoryCommit(self.sha, self.parents, self.author, self.date, self.message, url, paths)


@dataclass
class FakeSource:
    """A forge holding branches as {(repository, branch): (head sha, {path: text})}, and each
    branch's history (commit shas, oldest first) for comparisons."""

    branches: dict[tuple[str, str], tuple[str, Mapping[str, str]]] = field(default_factory=dict)
    reads: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    heads_asked: list[tuple[str, str]] = field(default_factory=list)
    # Commits made with add_commit: (repository, sha) -> the commit with every file at it.
    made_commits: dict[tuple[str, str], FakeCommit] = field(default_factory=dict)
    listings: list[tuple[str, str, tuple[str, ...], datetime | None]] = field(default_factory=list)
    commit_reads: list[tuple[str, str, str]] = field(default_factory=list)  # (repository, sha, path)
    history: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    compared: list[tuple[str, str, str]] = field(default_factory=list)  # (repository, base, head)

    def add_branch(
        self,
        repository: str,
        branch: str,
        sha: str,
        files: Mapping[str, str] | None = None,
        *,
        parents: Sequence[str] = (),
    ) -> None:
        """``parents``: the commits before ``sha`` on the branch, oldest first."""
        self.branches[(repository, branch)] = (sha, dict(files or {}))
        self.history[(repository, branch)] = [*parents, sha]

    def _branch(self, repository: str, branch: str) -> tuple[str, Mapping[str, str]]:
        try:
            return self.branches[(repository, branch)]
        except KeyError:
            raise NotFound(f"`{repository}` has no branch `{branch}`.") from None

    def read_branch(self, repository: str, branch: str, paths: Sequence[str]) -> BranchSnapshot:
        self.reads.append((repository, branch, tuple(paths)))
        sha, files = self._branch(repository, branch)
        return BranchSnapshot(
            repository=repository,
            branch=branch,
            head=CommitInfo(sha=sha),
            files={path: files.get(path) for path in paths},
        )

    def read_branches(
        self, repository: str, wanted: Mapping[str, Sequence[str]]
    ) -> dict[str, BranchSnapshot | BotError]:
        found: dict[str, BranchSnapshot | BotError] = {}
        for branch, paths in wanted.items():
            try:
                found[branch] = self.read_branch(repository, branch, paths)
            except BotError as error:
                found[branch] = error
        return found

    def scope(self) -> AbstractContextManager[None]:
        return nullcontext()

    def branch_head(self, repository: str, branch: str) -> CommitInfo:
        self.heads_asked.append((repository, branch))
        sha, _ = self._branch(repository, branch)
        return CommitInfo(sha=sha, message=f"head of {branch}", author="dev", date="2026-11-01T09:00:00Z")

    def web_url(
        self,
        repository: str,
        *,
        branch: str | None = None,
        commit: str | None = None,
        compare: tuple[str, str] | None = None,
    ) -> str:
        if compare:
            return f"https://forge.test/{repository}/compare/{compare[0]}...{compare[1]}"
        suffix = f"/commit/{commit}" if commit else f"/tree/{branch}" if branch else ""
        return f"https://forge.test/{repository}{suffix}"

    def add_commit(
        self,
        repository: str,
        branch: str,
        files: Mapping[str, str | None],
        *,
        date: datetime,
        author: str = "dev",
        message: str = "Change pins",
        parents: Sequence[str] | None = None,
    ) -> str:
        """A commit on ``branch`` writing ``files`` (None deletes one) over its head's; the branch
        moves to it. ``parents`` (default: the head) may name a merge's parents."""
        head = self.branches.get((repository, branch))
        before = dict(head[1]) if head else {}
        parents = tuple(parents) if parents is not None else ((head[0],) if head else ())
        after = {p: t for p, t in {**before, **files}.items() if t is not None}
        sha = f"{len(self.made_commits) + 1:04x}".rjust(40, "c")
        self.made_commits[(repository, sha)] = FakeCommit(sha, parents, after, date, author, message)
        self.branches[(repository, branch)] = (sha, after)
        self.history.setdefault((repository, branch), []).append(sha)
        return sha

    def file_history(
        self, repository: str, branch: str, paths: Sequence[str], *, since: datetime | None, limit: int
    ) -> FileHistory:
        """The first-parent chain from the head (commits made with add_commit), touching ``paths``."""
        self.listings.append((repository, branch, tuple(paths), since))
        sha: str | None = self._branch(repository, branch)[0]
        found: list[HistoryCommit] = []
        while sha is not None and (commit := self.made_commits.get((repository, sha))) is not None:
            parent = self.made_commits.get((repository, commit.parents[0])) if commit.parents else None
            touched = frozenset(
                p for p in paths if commit.files.get(p) != (parent.files.get(p) if parent else None)
            )
            if touched and (since is None or commit.date >= since):
                found.append(commit.listed(self.web_url(repository, commit=commit.sha), touched))
            sha = commit.parents[0] if commit.parents else None
        return FileHistory(commits=tuple(found[:limit]), more=len(found) > limit)

    def read_commits(
        self, repository: str, wanted: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, str | UnreadableFile | None]]:
        self.commit_reads += [(repository, sha, path) for sha, paths in wanted.items() for path in paths]
        return {
            sha: {path: self.made_commits[(repository, sha)].files.get(path) for path in paths}
            for sha, paths in wanted.items()
        }

    def _commits(self, repository: str, ref: str) -> list[str]:
        if (repository, ref) in self.history:
            return self.history[(repository, ref)]
        for (repo, _), commits in self.history.items():
            if repo == repository and ref in commits:
                return commits[: commits.index(ref) + 1]
        raise NotFound(f"`{repository}` has no branch `{ref}`.")

    def compare(self, repository: str, base: str, head: str) -> Comparison:
        self.compared.append((repository, base, head))
        base_commits, head_commits = self._commits(repository, base), self._commits(repository, head)
        ahead = len([c for c in head_commits if c not in base_commits])
        behind = len([c for c in base_commits if c not in head_commits])
        status = (
            "identical"
            if not (ahead or behind)
            else "diverged"
            if ahead and behind
            else "ahead"
            if ahead
            else "behind"
        )
        return Comparison(status=status, ahead_by=ahead, behind_by=behind)


# -- hot-fixes ------------------------------------------------------------------------------------


@dataclass
class FakePull:
    number: int
    head: str
    base: str
    title: str
    body: str
    state: str = "open"
    merged: bool = False
    merge_sha: str | None = None
    merged_at: datetime | None = None
    merged_by: str | None = None  # a GitHub login
    created_at: datetime | None = None

    def info(self, repository: str) -> PullInfo:
        return PullInfo(
            number=self.number,
            url=f"https://forge.test/{repository}/pull/{self.number}",
            state=self.state,
            merged=self.merged,
            head=self.head,
            base=self.base,
            title=self.title,
            merge_sha=self.merge_sha,
            mergeable=True if self.state == "open" else None,
            merged_at=self.merged_at,
            merged_by=self.merged_by,
            created_at=self.created_at,
        )


@dataclass
class FakeForge(FakeSource, Failing):
    """FakeSource that also keeps each branch's commits, pull requests and what was written.

    Commits are just shas; a branch's history lists them oldest first. ``fail(method, error)``
    makes the next call of that method raise ``error`` (as the adapter would translate GitHub's).
    """

    pulls: dict[str, list[FakePull]] = field(default_factory=dict)
    created_branches: list[tuple[str, str, str]] = field(default_factory=list)
    created_pulls: list[tuple[str, str, str]] = field(default_factory=list)  # (repository, head, base)
    commits: list[tuple[str, str, str, str]] = field(default_factory=list)  # (repo, branch, path, message)
    failures: dict[str, list[Exception]] = field(default_factory=dict)
    _shas: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    clock: Callable[[], datetime] | None = None  # GitHub's time, stamping pull requests, when given

    def new_sha(self) -> str:
        return f"{next(self._shas):040x}"

    def push(self, repository: str, branch: str, files: Mapping[str, str] | None = None) -> str:
        """A developer's commit on ``branch``; returns its sha."""
        sha = self.new_sha()
        _, old_files = self._branch(repository, branch)
        self.branches[(repository, branch)] = (sha, {**old_files, **(files or {})})
        self.history[(repository, branch)].append(sha)
        return sha

    def merge(
        self, repository: str, number: int, *, merged_by: str | None = None, at: datetime | None = None
    ) -> str:
        """A reviewer (``merged_by``, a GitHub login) pressing the merge button at ``at``; the merge
        commit's sha."""
        pull = self._pull(repository, number)
        _, head_files = self._branch(repository, pull.head)
        sha = self.new_sha()
        base = self.history[(repository, pull.base)]
        base += [c for c in self.history[(repository, pull.head)] if c not in base] + [sha]
        self.branches[(repository, pull.base)] = (sha, dict(head_files))
        pull.state, pull.merged, pull.merge_sha = "closed", True, sha
        pull.merged_by, pull.merged_at = merged_by, at or (self.clock() if self.clock else None)
        return sha

    def close(self, repository: str, number: int) -> None:
        self._pull(repository, number).state = "closed"

    def open_pulls(self, repository: str) -> list[FakePull]:
        return [p for p in self.pulls.get(repository, []) if p.state == "open"]

    def _pull(self, repository: str, number: int) -> FakePull:
        return next(p for p in self.pulls.get(repository, []) if p.number == number)

    # -- the Forge port

    def read_file(self, repository: str, path: str, ref: str) -> FileText | None:
        self._maybe_fail("read_file")
        branch = next(
            (b for (repo, b), (sha, _) in self.branches.items() if repo == repository and ref in (b, sha)),
            ref,
        )
        _, files = self._branch(repository, branch)
        text = files.get(path)
        return None if text is None else FileText(text=text, sha=f"blob:{hash(text)}")

    def create_branch(self, repository: str, branch: str, sha: str) -> bool:
        self._maybe_fail("create_branch")
        if (repository, branch) in self.branches:
            return False
        for repo, other in self.branches:  # git keeps `a` and `a/b` apart: one is a folder
            if repo == repository and (branch.startswith(f"{other}/") or other.startswith(f"{branch}/")):
                raise BranchNameBlocked(repository, branch, other)
        source = next(
            b for (repo, b), commits in self.history.items() if repo == repository and sha in commits
        )
        _, files = self._branch(repository, source)
        self.branches[(repository, branch)] = (sha, dict(files))
        self.history[(repository, branch)] = self._commits(repository, sha)[:]
        self.created_branches.append((repository, branch, sha))
        return True

    def compare(self, repository: str, base: str, head: str) -> Comparison:
        self._maybe_fail("compare")
        return super().compare(repository, base, head)

    def find_pull(self, repository: str, head: str, base: str) -> PullInfo | None:
        found = [p for p in self.open_pulls(repository) if (p.head, p.base) == (head, base)]
        return found[0].info(repository) if found else None

    def pull(self, repository: str, number: int) -> PullInfo:
        self._maybe_fail("pull")
        return self._pull(repository, number).info(repository)

    def open_pull(self, repository: str, head: str, base: str, title: str, body: str) -> PullInfo:
        self._maybe_fail("open_pull")
        existing = self.find_pull(repository, head, base)
        if existing is not None:
            return existing
        if self.compare(repository, base, head).ahead_by == 0:
            raise NothingToMerge(f"`{head}` has no commits that `{base}` lacks yet.")
        pulls = self.pulls.setdefault(repository, [])
        pull = FakePull(number=len(pulls) + 1, head=head, base=base, title=title, body=body)
        pull.created_at = self.clock() if self.clock else None
        pulls.append(pull)
        self.created_pulls.append((repository, head, base))
        return pull.info(repository)

    def commit_file(
        self, repository: str, branch: str, path: str, text: str, *, message: str, replaces: str
    ) -> str:
        self._maybe_fail("commit_file")
        current = self.read_file(repository, path, branch)
        assert current is not None
        assert current.sha == replaces, "the file changed since it was read"
        self.commits.append((repository, branch, path, message))
        return self.push(repository, branch, {path: text})

    def commit_statuses(self, repository: str, ref: str) -> list[Any]:
        return []


@dataclass
class FakeHotfixStore:
    """HotfixStore and the key-value table under the ledger, in memory, with the database's uniqueness and version checks.

    ``before_add``/``before_save`` run once before the next add/save: another copy of the bot
    getting there first."""

    hotfixes: dict[int, Hotfix] = field(default_factory=dict)
    audits: list[AuditEntry] = field(default_factory=list)
    state: dict[str, str] = field(default_factory=dict)
    before_add: Callable[[], None] | None = None
    before_save: Callable[[], None] | None = None
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _ticks: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def _now(self) -> datetime:
        return datetime(2026, 11, 1, 9, 0, tzinfo=UTC) + timedelta(microseconds=next(self._ticks))

    def _active(self, ticket: str, repository: str) -> Hotfix | None:
        return next(
            (
                h
                for h in self.hotfixes.values()
                if h.ticket.lower() == ticket.lower() and h.repository == repository and h.stage.is_active
            ),
            None,
        )

    # -- HotfixStore

    def add(self, hotfix: Hotfix) -> Hotfix:
        if self.before_add is not None:
            interfere, self.before_add = self.before_add, None
            interfere()
        existing = self._active(hotfix.ticket, hotfix.repository)
        if existing is not None:
            raise DuplicateHotfix(existing)
        now = self._now()
        stored = replace(hotfix, id=next(self._ids), created_at=now, updated_at=now)
        self.hotfixes[stored.id or 0] = stored
        return stored

    def get(self, hotfix_id: int) -> Hotfix | None:
        return self.hotfixes.get(hotfix_id)

    def find(self, ticket: str, *, active_only: bool = True) -> list[Hotfix]:
        return [
            h
            for h in self.hotfixes.values()
            if h.ticket.lower() == ticket.lower() and (h.stage.is_active or not active_only)
        ]

    def active(self) -> list[Hotfix]:
        return [h for h in self.hotfixes.values() if h.stage.is_active]

    def all(self, *, limit: int = 100) -> list[Hotfix]:
        """The most recent, newest first (as the database orders them)."""
        return list(reversed(self.hotfixes.values()))[:limit]

    def save(self, hotfix: Hotfix) -> Hotfix:
        if self.before_save is not None:
            interfere, self.before_save = self.before_save, None
            interfere()
        assert hotfix.id is not None
        current = self.hotfixes.get(hotfix.id)
        if current is None or current.updated_at != hotfix.updated_at:
            raise StaleHotfix(f"hot-fix {hotfix.ticket} changed since it was read")
        saved = replace(hotfix, updated_at=self._now())
        self.hotfixes[hotfix.id] = saved
        return saved

    def audit(self, entry: AuditEntry) -> None:
        self.audits.append(entry)

    def audit_trail(self, hotfix_id: int) -> list[AuditEntry]:
        return [e for e in self.audits if e.hotfix_id == hotfix_id]  # appended oldest first

    def audit_log(self, *, ticket: str | None = None) -> list[tuple[str, str]]:
        """(action, result) oldest first."""
        return [(e.action, e.result) for e in self.audits if ticket in (None, e.ticket)]

    # -- the key-value table (the ledger's, as in the database)

    def get_state(self, key: str) -> str | None:
        return self.state.get(key)

    def put_state(self, key: str, value: str) -> None:
        self.state[key] = value

    def put_state_if(self, key: str, value: str, *, expected: str | None) -> bool:
        if self.state.get(key) != expected:
            return False
        self.state[key] = value
        return True

    def states_with_prefix(self, key_prefix: str, value_prefix: str) -> dict[str, str]:
        return {
            k: v for k, v in self.state.items() if k.startswith(key_prefix) and v.startswith(value_prefix)
        }


@dataclass
class FakeThreads(Failing):
    """Slack as the services post to it: parent messages (found again by hot-fix id), replies, edits,
    reminders and team-channel posts, each worded as Slack would show it."""

    parents: dict[int, str] = field(default_factory=dict)  # hot-fix id -> ts
    posted: list[tuple[str, str]] = field(default_factory=list)  # (ticket, ts) of each parent posted
    replies: list[tuple[str, str]] = field(default_factory=list)  # (ticket, text)
    channel_posts: list[tuple[str, str]] = field(default_factory=list)  # (channel, text)
    updates: list[tuple[str, str]] = field(default_factory=list)  # (ticket, stage)
    told_keys: list[tuple[str, str]] = field(default_factory=list)  # (ticket, key) as reply metadata
    failures: dict[str, list[Exception]] = field(default_factory=dict)
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def open_thread(self, view: ThreadView) -> str:
        hotfix = view.hotfix
        assert hotfix.id is not None
        if hotfix.id in self.parents:
            return self.parents[hotfix.id]
        self._maybe_fail("open_thread")
        ts = f"1700000000.{next(self._ts):06d}"
        self.parents[hotfix.id] = ts
        self.posted.append((hotfix.ticket, ts))
        return ts

    def find_thread(self, hotfix: Hotfix) -> str | None:
        assert hotfix.id is not None
        return self.parents.get(hotfix.id)

    def update_thread(self, view: ThreadView) -> None:
        self._maybe_fail("update_thread")
        self.updates.append((view.hotfix.ticket, view.hotfix.stage.value))

    def tell(self, hotfix: Hotfix, event: ThreadEvent) -> None:
        self._maybe_fail("tell")
        if not hotfix.thread_ts:
            return  # no thread to reply in: Slack is not asked (as SlackThreads does)
        self.replies.append((hotfix.ticket, sentence(event)))
        if isinstance(event, Keyed):
            self.told_keys.append((hotfix.ticket, event.key))

    def told(self, hotfix: Hotfix, event_key: str) -> bool:
        self._maybe_fail("told")
        return (hotfix.ticket, event_key) in self.told_keys

    def remind_in_thread(self, reminder: BackmergeReminder) -> None:
        self._maybe_fail("remind_in_thread")
        if not reminder.hotfix.thread_ts:
            return
        self.replies.append((reminder.hotfix.ticket, reminder_text(reminder)))

    def post_to_channel(self, channel: str, post: ChannelPost) -> None:
        self._maybe_fail("post_to_channel")
        self.channel_posts.append((channel, channel_message(post).text))  # the text Slack shows for it

    def link(self, hotfix: Hotfix) -> str | None:
        return f"https://slack.test/{hotfix.channel_id}/{hotfix.thread_ts}" if hotfix.thread_ts else None

    def said(self, ticket: str) -> list[str]:
        return [text for t, text in self.replies if t == ticket]


@dataclass
class FakeDirectory:
    usergroups: dict[str, frozenset[str]] = field(default_factory=dict)  # handle or id -> members
    channels: dict[str, str] = field(default_factory=dict)  # id -> name
    asked: list[str] = field(default_factory=list)

    def usergroup_members(self, usergroup: str) -> frozenset[str]:
        self.asked.append(usergroup)
        return self.usergroups.get(usergroup.lstrip("@"), frozenset())

    def channel_name(self, channel_id: str) -> str | None:
        return self.channels.get(channel_id)


# -- roll-outs --------------------------------------------------------------------------------------


def flux_shows(
    applied: str | None,
    *,
    ready: bool | None = True,
    reason: str | None = None,
    message: str = "",
    attempted: str | None = None,
) -> FluxObservation:
    """What Flux's Kustomization says: the revision it applied (None: nothing yet) and whether it is Ready."""
    if reason is None:
        reason = "ReconciliationSucceeded" if ready else ""
    return FluxObservation(
        source_revision=attempted or applied,
        applied_revision=applied,
        ready=ready,
        reason=reason,
        message=message,
        api_version="v1",
        attempted_revision=attempted or applied,
    )


@dataclass
class FakeProbe(Failing):
    """A RolloutProbe: what Flux shows in one environment, as the test sets it.

    ``current`` is what every ``observe`` answers (``shows(...)`` sets it); ``queue(...)`` lines up
    answers given first, one per call. ``fail(method, error, times=n)`` makes the next n calls of
    ``observe`` or ``request_reconcile`` raise: Unavailable (the cluster cannot be reached) or NotFound
    (its Flux objects are missing). Every call is recorded, the failed ones too."""

    description: str = "the cluster"
    current: FluxObservation = field(default_factory=lambda: flux_shows(None, ready=None))
    queued: list[FluxObservation] = field(default_factory=list)
    observed: list[RolloutTarget] = field(default_factory=list)
    reconcile_requests: list[tuple[RolloutTarget, datetime]] = field(default_factory=list)
    failures: dict[str, list[Exception]] = field(default_factory=dict)
    closed: bool = False

    def shows(self, applied: str | None, **flux: Any) -> None:
        """From now on Flux shows this (see :func:`flux_shows` for the keywords)."""
        self.current = flux_shows(applied, **flux)

    def queue(self, *observations: FluxObservation) -> None:
        self.queued.extend(observations)

    # -- the RolloutProbe port

    def observe(self, target: RolloutTarget) -> FluxObservation:
        self.observed.append(target)
        self._maybe_fail("observe")
        return self.queued.pop(0) if self.queued else self.current

    def request_reconcile(self, target: RolloutTarget, at: datetime) -> None:
        self.reconcile_requests.append((target, at))
        self._maybe_fail("request_reconcile")

    def close(self) -> None:
        self.closed = True
