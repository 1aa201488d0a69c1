"""What changed in an environment's pins, commit by commit: the history of the core files on the
environment branch (as the forge lists it) and the pins before and after each commit. Pure.

Each commit is judged by the files it touched only, read at the commit and at its first parent: a
field changes when the file that pins it changed its value. A component is *added* or *removed*
only when the commit touched the file that declares components (``core/flux-config.yaml``, or the
legacy ``core/deployment-config.yaml``); a chart version that first appears in
``core/helm-config.yaml`` is a field set, not a new component. A file that cannot be read on either
side (broken YAML, not UTF-8) is a problem of that commit, and none of its fields count as changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from slackbot.domain.core_files import ComponentSpec, CorePaths, assemble_environment
from slackbot.domain.versions import CommitWords, ComponentVersions, EnvironmentVersions, UnreadableFile

Files = Mapping[str, str | UnreadableFile | None]  # path -> text, only the paths that were read
FIELDS = ("branch", "chart_version", "image")
CORE_CHART_FIELD = "core_chart_version"  # a core chart's version, from core/release*.yaml


@dataclass(frozen=True)
class HistoryCommit(CommitWords):
    """A commit on the environment branch that touched some of the core files."""

    sha: str
    parents: tuple[str, ...]
    author: str
    date: datetime  # when it was committed (what the forge's ``since`` compares with)
    message: str
    url: str
    paths: frozenset[str]  # which of the asked-for paths it touched


@dataclass(frozen=True)
class FileHistory:
    """Commits touching some paths, newest first; ``more`` when older ones were left out (the limit)."""

    commits: tuple[HistoryCommit, ...]
    more: bool = False


class Change(StrEnum):
    CHANGED = "changed"
    ADDED = "added"  # the component (or core chart) appeared
    REMOVED = "removed"  # the component (or core chart) went away


@dataclass(frozen=True)
class PinChange:
    """One pin of one component (or core chart) at one commit; ``field`` is None for a component
    added or removed without any pin of its own (a bare ``name:`` key)."""

    component: str
    field: str | None
    old: str | None
    new: str | None
    change: Change = Change.CHANGED


@dataclass(frozen=True)
class CommitChanges:
    """A commit and what it changed; ``problems`` names files it left unreadable."""

    commit: HistoryCommit
    changes: tuple[PinChange, ...]
    problems: tuple[str, ...] = ()

    @property
    def notable(self) -> bool:
        return bool(self.changes or self.problems)


@dataclass(frozen=True)
class PinReading:
    """How to read one environment's files into pins (the bot's configuration)."""

    environment: str
    repository: str
    branch: str
    catalog: Mapping[str, ComponentSpec]
    paths: CorePaths

    def assemble(self, commit: str, files: Files) -> EnvironmentVersions:
        return assemble_environment(
            environment=self.environment,
            repository=self.repository,
            branch=self.branch,
            commit=commit,
            files=files,
            catalog=self.catalog,
            paths=self.paths,
        )


def commit_changes(
    reading: PinReading,
    commit: HistoryCommit,
    before: Files,
    after: Files,
    *,
    component: str | None = None,
) -> CommitChanges:
    """What ``commit`` changed, from the files it touched at its parent (``before``) and at itself
    (``after``); only ``component``'s pins when one is given (core charts are then left out)."""
    parent = commit.parents[0] if commit.parents else ""
    old, new = reading.assemble(parent, before), reading.assemble(commit.sha, after)
    broken_before, _ = _broken(old, before)
    broken_after, problems = _broken(new, after)
    broken = broken_before | broken_after
    if broken:  # judged without them: their pins are unknown on one side, not changed
        before = {path: text for path, text in before.items() if path not in broken}
        after = {path: text for path, text in after.items() if path not in broken}
        old, new = reading.assemble(parent, before), reading.assemble(commit.sha, after)
    declares = reading.paths.flux in after or reading.paths.legacy in after
    changes = _component_changes(old, new, declares=declares)
    if component is None:
        changes += _core_chart_changes(old, new)
    else:
        changes = [c for c in changes if c.component == component]
    return CommitChanges(commit=commit, changes=tuple(changes), problems=problems)


def mentioned_components(changes: tuple[CommitChanges, ...] | list[CommitChanges]) -> set[str]:
    """Every component some change names (for resolving a name people typed)."""
    return {c.component for found in changes for c in found.changes if c.field != CORE_CHART_FIELD}


def _broken(assembled: EnvironmentVersions, files: Files) -> tuple[set[str], tuple[str, ...]]:
    """The paths among ``files`` that could not be read, and a sentence for each."""
    broken: set[str] = set()
    problems: list[str] = []
    for problem in assembled.problems:
        path = problem.ref.path
        if files.get(path) is None:  # "no core file exists" among a few of the files: not a problem
            continue
        broken.add(path)
        where = f" line {problem.line}" if problem.line is not None else ""
        problems.append(f"{path}{where}: {problem.reason}")
    return broken, tuple(dict.fromkeys(problems))


def _values(component: ComponentVersions | None) -> dict[str, str | None]:
    if component is None:
        return dict.fromkeys(FIELDS)
    return {"branch": component.branch, "chart_version": component.chart_version, "image": component.image}


def _component_changes(
    old: EnvironmentVersions, new: EnvironmentVersions, *, declares: bool
) -> list[PinChange]:
    before = {c.name: c for c in old.components}
    after = {c.name: c for c in new.components}
    changes: list[PinChange] = []
    for name in sorted(before.keys() | after.keys()):
        kind = Change.CHANGED
        if declares and name not in before:
            kind = Change.ADDED
        elif declares and name not in after:
            kind = Change.REMOVED
        was, now = _values(before.get(name)), _values(after.get(name))
        found = [PinChange(name, f, was[f], now[f], kind) for f in FIELDS if was[f] != now[f]]
        if not found and kind is not Change.CHANGED:
            found = [PinChange(name, None, None, None, kind)]
        changes += found
    return changes


def _core_chart_changes(old: EnvironmentVersions, new: EnvironmentVersions) -> list[PinChange]:
    before = {c.name: c.version for c in old.core_charts}
    after = {c.name: c.version for c in new.core_charts}
    changes = []
    for name in sorted(before.keys() | after.keys()):
        if name not in before:
            changes.append(PinChange(name, CORE_CHART_FIELD, None, after[name], Change.ADDED))
        elif name not in after:
            changes.append(PinChange(name, CORE_CHART_FIELD, before[name], None, Change.REMOVED))
        elif before[name] != after[name]:
            changes.append(PinChange(name, CORE_CHART_FIELD, before[name], after[name]))
    return changes
