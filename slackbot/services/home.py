"""The App Home: what a person sees on opening the bot's Home tab, read fresh each time.

Three things, read in parallel where they can be: the open hot-fixes as the bot follows them (the
database: stage, who, links, each environment's roll-out — no GitHub request), every environment's
pins (one read of the core repository's branches, then the files at those commits, which the forge
keeps for good), and the release branches ``main`` still lacks: every branch an environment pins
and every followed hot-fix's base, compared with ``main`` (conditional requests, free once nothing
moved), with the back-merge pull request of each one that is ahead.

Unlike the reminders job (:class:`~slackbot.services.reminders.Reminders`), looking is all it does:
nothing is announced, nothing moves, and a branch back-merged by hand simply stops showing. What
cannot be read (an environment, a comparison) becomes a line of the answer, never its failure.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from slackbot.domain.errors import BotError
from slackbot.domain.followup import PendingBackmerge
from slackbot.domain.forge import Comparison, PullInfo
from slackbot.domain.hotfix import Hotfix, Stage
from slackbot.domain.versions import EnvironmentVersions
from slackbot.domain.views import ThreadView
from slackbot.services.ports import Forge, HotfixStore, Ledger
from slackbot.services.versions import VersionService

T = TypeVar("T")
_EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class OwedBackmerge:
    """A release branch with commits ``main`` lacks, as the Home tab shows it."""

    pending: PendingBackmerge
    compare_url: str  # main...branch: the commits main lacks
    branch_url: str
    snoozed_until: datetime | None = None  # reminders about it are quiet until then


@dataclass(frozen=True)
class HomeSnapshot:
    """Everything one Home tab shows, read at ``read_at``."""

    hotfixes: tuple[ThreadView, ...]  # active hot-fixes, newest first
    owed: tuple[OwedBackmerge, ...]  # oldest commits first
    environments: Mapping[str, EnvironmentVersions | BotError]  # as configured, or why unreadable
    commit_links: Mapping[str, str]  # environment -> the commit its pins were read at
    unreadable: tuple[str, ...]  # comparisons that could not be made: one line each
    main_branch: str
    read_at: datetime


class HomeService:
    """Reads a :class:`HomeSnapshot`. ``thread_view`` draws a hot-fix as its thread shows it
    (:meth:`~slackbot.services.announcer.Announcer.view`: links, roll-outs, the thread's link)."""

    def __init__(
        self,
        *,
        versions: VersionService,
        forge: Forge,
        store: HotfixStore,
        ledger: Ledger,
        thread_view: Callable[[Hotfix], ThreadView],
        main_branch: str,
        clock: Callable[[], datetime],
        max_workers: int = 8,
    ) -> None:
        self._versions = versions
        self._forge = forge
        self._store = store
        self._ledger = ledger
        self._thread_view = thread_view
        self._main = main_branch
        self._clock = clock
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="home")

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def snapshot(self) -> HomeSnapshot:
        """The Home tab's contents now. The environments' files are read while the hot-fixes are
        drawn; then every branch that may owe ``main`` a back-merge is compared, all at once."""
        with self._forge.scope():  # one opening's requests share the per-command in-flight limit
            environments = self._submit(self._environments)
            active = self._store.active()
            views = self._submit(lambda: [self._thread_view(h) for h in _newest_first(active)])
            read = environments.result()
            owed, unreadable = self._owed(read, active)
            return HomeSnapshot(
                hotfixes=tuple(views.result()),
                owed=owed,
                environments=read,
                commit_links={
                    name: self._forge.web_url(found.repository, commit=found.commit)
                    for name, found in read.items()
                    if not isinstance(found, BotError)
                },
                unreadable=unreadable,
                main_branch=self._main,
                read_at=self._clock(),
            )

    def _submit(self, work: Callable[[], T]) -> Future[T]:
        """Run ``work`` alongside, inside this opening's forge scope (a context variable)."""
        return self._executor.submit(contextvars.copy_context().run, work)

    def _environments(self) -> dict[str, EnvironmentVersions | BotError]:
        try:
            return dict(self._versions.all_environments())
        except BotError as error:  # the listing itself failed: every environment says so
            return dict.fromkeys(self._versions.environments, error)

    # -- back-merges main still lacks --------------------------------------------------------------

    def _owed(
        self, environments: Mapping[str, EnvironmentVersions | BotError], active: Sequence[Hotfix]
    ) -> tuple[tuple[OwedBackmerge, ...], tuple[str, ...]]:
        candidates = self._candidates(environments, active)
        checks = {key: self._submit(functools.partial(self._check, *key)) for key in candidates}
        owed: list[OwedBackmerge] = []
        unreadable: list[str] = []
        for (repository, branch), check in checks.items():
            try:
                ahead = check.result()
            except BotError as error:  # one branch unreadable: the others still show
                unreadable.append(f"`{repository}` `{branch}`: {error}")
                continue
            if ahead is None:
                continue
            comparison, pull = ahead
            hotfix, pinned_by = candidates[(repository, branch)]
            pending = PendingBackmerge(
                repository=repository,
                branch=branch,
                ahead_by=comparison.ahead_by,
                oldest_commit_at=comparison.oldest_commit_at,
                pull=pull,
                hotfix=hotfix,
                environments=pinned_by,
            )
            owed.append(self._shown(pending))
        owed.sort(key=lambda o: (o.pending.oldest_commit_at or self._clock(), o.pending.repository))
        return tuple(owed), tuple(unreadable)

    def _candidates(
        self, environments: Mapping[str, EnvironmentVersions | BotError], active: Sequence[Hotfix]
    ) -> dict[tuple[str, str], tuple[Hotfix | None, tuple[str, ...]]]:
        """(repository, branch) → the hot-fix following it (if any) and the environments pinning it:
        every branch other than main an environment pins, and every merged hot-fix's base."""
        pinned: dict[tuple[str, str], set[str]] = {}
        for name, deployed in environments.items():
            if isinstance(deployed, BotError):
                continue
            for component in deployed.components:
                if component.repository and component.branch and component.branch != self._main:
                    pinned.setdefault((component.repository, component.branch), set()).add(name)
        followed = {
            (h.repository, h.base_branch): h
            for h in active
            if h.needs_backmerge and h.stage in (Stage.MERGED, Stage.BACKMERGE_OPEN)
        }
        return {
            key: (followed.get(key), tuple(sorted(pinned.get(key, ()))))
            for key in sorted({*pinned, *followed})
        }

    def _check(self, repository: str, branch: str) -> tuple[Comparison, PullInfo | None] | None:
        """What ``branch`` has that main lacks, and its open back-merge pull request; None when
        main has every commit of it."""
        comparison = self._forge.compare(repository, self._main, branch)
        if comparison.ahead_by == 0:
            return None
        return comparison, self._forge.find_pull(repository, branch, self._main)

    def _shown(self, pending: PendingBackmerge) -> OwedBackmerge:
        until = self._ledger.snoozed_until(pending.snooze_subject)
        url = self._forge.web_url
        return OwedBackmerge(
            pending=pending,
            compare_url=url(pending.repository, compare=(self._main, pending.branch)),
            branch_url=url(pending.repository, branch=pending.branch),
            snoozed_until=until if until is not None and until > self._clock() else None,
        )


def _newest_first(hotfixes: Sequence[Hotfix]) -> list[Hotfix]:
    return sorted(hotfixes, key=lambda h: (h.created_at or _EPOCH, h.id or 0), reverse=True)
