"""Answer "what changed in prod recently?" from the history of the core files on its branch.

Reads only what it needs: one listing of the commits that touched each core file since the start of
the window (at most ``limit`` commits in all), then, for each listed commit, the files it touched
at itself and at its first parent — all in parallel, within one ``source.scope()``. Files at a
commit never change, so the forge keeps them: asked again, the listings are free 304s and no file
is read. When the window holds no change, the latest few changes before it are read instead
(a bounded listing without ``since``), so the answer still says when the environment last moved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from slackbot.domain.core_files import ComponentSpec, CorePaths
from slackbot.domain.names import UnknownName
from slackbot.domain.pin_history import CommitChanges, HistoryCommit, PinReading, commit_changes
from slackbot.domain.versions import EnvironmentVersions
from slackbot.domain.versions_commands import ChangesQuery
from slackbot.services.ports import SourceReader

MOST_COMMITS = 30  # read at most this many commits of the window; the answer says when there were more
EARLIER_COMMITS = 10  # looked at for the latest changes before a quiet window
EARLIER_SHOWN = 3  # of which at most this many commits with changes are shown


@dataclass(frozen=True)
class ChangesAnswer:
    """The changes of one environment's pins in a window, newest first."""

    environment: str
    repository: str
    branch: str
    component: str | None  # canonical name, when the question was about one component
    since: datetime  # the start of the window
    span: timedelta  # its length, as asked
    commits: tuple[CommitChanges, ...]  # in the window, each with at least one change or problem
    unchanged: int  # commits in the window that touched the files without changing a pin (asked about)
    more: bool  # the window holds older commits than were read
    earlier: tuple[CommitChanges, ...] = ()  # nothing changed in the window: the latest changes before it
    branch_url: str | None = None


class Names(Protocol):
    """How names people type become canonical ones (the VersionService's rules)."""

    def resolve_environment(self, query: str) -> str: ...

    def resolve_component(self, query: str, *deployed: EnvironmentVersions) -> str: ...

    def environment(self, environment: str) -> EnvironmentVersions: ...


class PinChanges:
    """``changes(environment, component, span)`` for environments given by name -> branch."""

    def __init__(
        self,
        source: SourceReader,
        *,
        core_repository: str,
        branches: Mapping[str, str],
        catalog: Mapping[str, ComponentSpec],
        paths: CorePaths,
        clock: Callable[[], datetime],
        names: Names,
        limit: int = MOST_COMMITS,
    ) -> None:
        self.source = source
        self.core_repository = core_repository
        self.branches = dict(branches)
        self.catalog = dict(catalog)
        self.paths = paths
        self.clock = clock
        self.names = names
        self.limit = limit

    def answer(self, query: ChangesQuery) -> ChangesAnswer:
        """The question as typed: names resolved (aliases, case, typos) before anything is read."""
        environment = self.names.resolve_environment(query.environment)
        component = None
        if query.component is not None:
            try:
                component = self.names.resolve_component(query.component)
            except UnknownName:  # perhaps one the files deploy without configuring it (keda)
                deployed = self.names.environment(environment)
                component = self.names.resolve_component(query.component, deployed)
        return self.changes(environment, component, query.since)

    def changes(self, environment: str, component: str | None, span: timedelta) -> ChangesAnswer:
        """``environment`` and ``component`` are canonical names (resolved by the caller)."""
        branch = self.branches[environment]
        reading = PinReading(environment, self.core_repository, branch, self.catalog, self.paths)
        since = self.clock() - span
        with self.source.scope():  # one command: its reads share the forge's in-flight limit
            history = self.source.file_history(
                self.core_repository, branch, self._paths(component), since=since, limit=self.limit
            )
            judged = self._judged(reading, history.commits, component)
            shown = tuple(c for c in judged if c.notable)
            earlier: tuple[CommitChanges, ...] = ()
            if not shown:
                earlier = self._earlier(reading, component, since)
        return ChangesAnswer(
            environment=environment,
            repository=self.core_repository,
            branch=branch,
            component=component,
            since=since,
            span=span,
            commits=shown,
            unchanged=len(judged) - len(shown),
            more=history.more,
            earlier=earlier,
            branch_url=self.source.web_url(self.core_repository, branch=branch),
        )

    def _paths(self, component: str | None) -> tuple[str, ...]:
        """The files that pin components (and, for the whole environment, the core charts)."""
        paths = self.paths
        pinning = (paths.flux, paths.helm, paths.image, paths.legacy)
        return tuple(dict.fromkeys(pinning if component else (*pinning, *paths.releases)))

    def _earlier(
        self, reading: PinReading, component: str | None, since: datetime
    ) -> tuple[CommitChanges, ...]:
        """The latest changes before ``since``: the newest few commits touching the files, judged a
        few at a time (each few in parallel) until enough of them changed something."""
        history = self.source.file_history(
            self.core_repository, reading.branch, self._paths(component), since=None, limit=EARLIER_COMMITS
        )
        before = [c for c in history.commits if c.date < since]  # the listing reaches into the window
        found: list[CommitChanges] = []
        for start in range(0, len(before), EARLIER_SHOWN):
            if len(found) >= EARLIER_SHOWN:
                break
            judged = self._judged(reading, before[start : start + EARLIER_SHOWN], component)
            found += [c for c in judged if c.notable]
        return tuple(found[:EARLIER_SHOWN])

    def _judged(
        self, reading: PinReading, commits: Sequence[HistoryCommit], component: str | None
    ) -> list[CommitChanges]:
        """Each commit judged by the files it touched, read at it and at its first parent."""
        wanted: dict[str, set[str]] = {}
        for commit in commits:
            for sha in (commit.sha, *commit.parents[:1]):
                wanted.setdefault(sha, set()).update(commit.paths)
        asked = {sha: sorted(paths) for sha, paths in wanted.items()}
        files = self.source.read_commits(self.core_repository, asked) if asked else {}
        judged = []
        for commit in commits:
            parent = files.get(commit.parents[0], {}) if commit.parents else {}
            before = {path: parent.get(path) for path in commit.paths}
            after = {path: files[commit.sha][path] for path in commit.paths}
            judged.append(commit_changes(reading, commit, before, after, component=component))
        return judged
