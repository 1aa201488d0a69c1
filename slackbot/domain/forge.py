"""What the forge (GitHub) tells the hot-fix workflow: pull requests and branch comparisons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slackbot.domain.errors import BotError


@dataclass(frozen=True)
class PullInfo:
    number: int
    url: str
    state: str  # "open" or "closed"
    merged: bool
    head: str
    base: str
    title: str = ""
    merge_sha: str | None = None
    merged_at: datetime | None = None
    mergeable: bool | None = None  # None while GitHub is still computing it


@dataclass(frozen=True)
class Comparison:
    """``head`` compared with ``base``: what ``head`` has that ``base`` lacks, and the reverse."""

    status: str  # "ahead", "behind", "identical" or "diverged"
    ahead_by: int
    behind_by: int
    merge_base: str | None = None
    oldest_commit_at: datetime | None = None  # when the oldest commit ``base`` lacks was made


@dataclass(frozen=True)
class CommitStatus:
    context: str
    state: str  # success, failure, error, pending
    description: str = ""


@dataclass(frozen=True)
class FileText:
    text: str
    sha: str  # the blob's sha, needed to replace the file


class NothingToMerge(BotError):
    """GitHub refuses a pull request whose head has no commits its base lacks."""
