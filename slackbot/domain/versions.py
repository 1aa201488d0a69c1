"""What an environment runs: the pins read from the core flux repository's files.

Pure data: no I/O here. Values are always the text written in the files (``1.10`` stays ``1.10``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Layout(StrEnum):
    """How an environment branch lays out its pins."""

    SPLIT = "split"  # core/flux-config.yaml, core/helm-config.yaml, core/image-config.yaml
    LEGACY = "legacy"  # one ConfigMap, core/deployment-config.yaml
    MISSING = "missing"  # neither: nothing to read


@dataclass(frozen=True)
class FileRef:
    """Where a configuration file lives, for messages that name it."""

    repository: str
    branch: str
    path: str

    def describe(self, line: int | None = None) -> str:
        where = f"{self.repository}@{self.branch}:{self.path}"
        return f"{where} line {line}" if line is not None else where


class ConfigFileError(Exception):
    """A core file that cannot be read as intended (malformed YAML, duplicate key, wrong shape)."""

    def __init__(self, ref: FileRef, message: str, line: int | None = None) -> None:
        super().__init__(f"{ref.describe(line)}: {message}")
        self.ref = ref
        self.line = line
        self.reason = message


@dataclass(frozen=True)
class Pins:
    """The pins one file gives one component; fields a file does not mention are None.

    ``extra`` holds any other keys found under the component, flattened with dots
    (``repository.url``, ``image_pull_policy``), values as written.
    """

    branch: str | None = None
    chart_version: str | None = None
    image: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def merged_with(self, other: Pins) -> Pins:
        """Combine pins for the same component from two files; ``other`` fills gaps only."""
        return Pins(
            branch=self.branch if self.branch is not None else other.branch,
            chart_version=self.chart_version if self.chart_version is not None else other.chart_version,
            image=self.image if self.image is not None else other.image,
            extra={**other.extra, **self.extra},
        )


@dataclass(frozen=True)
class CoreChart:
    """A Flux HelmRelease in core/release*.yaml that pins one of the core charts."""

    name: str
    chart: str | None
    version: str | None
    path: str


@dataclass(frozen=True)
class ComponentVersions:
    """Everything an environment pins for one component."""

    name: str
    repository: str | None
    branch: str | None
    chart_version: str | None
    image: str | None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EnvironmentVersions:
    """What one environment branch of the core repository pins, at one commit."""

    environment: str
    repository: str
    branch: str
    commit: str
    layout: Layout
    components: tuple[ComponentVersions, ...]
    core_charts: tuple[CoreChart, ...]
    problems: tuple[ConfigFileError, ...] = ()

    def component(self, name: str) -> ComponentVersions | None:
        return next((c for c in self.components if c.name == name), None)


class CommitWords:
    """How a commit is named to people: its short sha and the first line of its message."""

    sha: str
    message: str

    @property
    def short_sha(self) -> str:
        return self.sha[:7]

    @property
    def title(self) -> str:
        return self.message.splitlines()[0] if self.message else ""


@dataclass(frozen=True)
class CommitInfo(CommitWords):
    """A commit as a person wants to see it: short sha, first line, who and when."""

    sha: str
    message: str = ""
    author: str = ""
    date: str = ""  # ISO 8601, as the forge gave it
    url: str | None = None


@dataclass(frozen=True)
class UnreadableFile:
    """A file that exists but whose text cannot be had: not UTF-8, a symbolic link to nothing, too
    large for the forge's API. ``reason`` says why, to follow the file's name in a problem."""

    reason: str


@dataclass(frozen=True)
class BranchSnapshot:
    """Some files of one branch, with the commit the branch pointed at when they were read."""

    repository: str
    branch: str
    head: CommitInfo
    # path -> text; None when the file does not exist; UnreadableFile when it exists but has no text
    files: Mapping[str, str | UnreadableFile | None]


@dataclass(frozen=True)
class ComponentReport:
    """The detail for one component in one environment, and its blast radius."""

    environment: EnvironmentVersions
    component: ComponentVersions
    release_head: CommitInfo | None  # head of the pinned branch in the component's own repository
    release_problem: str | None  # why release_head is missing, when it is
    shared_with: tuple[str, ...]  # other environments pinning the same repository and branch
    unreadable: tuple[str, ...] = ()  # environments that could not be read, so sharing is uncertain
