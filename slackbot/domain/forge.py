"""What the forge (GitHub) tells the hot-fix workflow: pull requests and branch comparisons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slackbot.domain.errors import BotError, Conflict


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
    merged_by: str | None = None  # the GitHub login that merged it (read one by one; lists leave it out)
    created_at: datetime | None = None  # when it was opened


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


class BranchNameBlocked(Conflict):
    """Git cannot hold ``branch`` beside the existing ``blocking`` one: a branch's name cannot also
    be a folder of branches (``hotfix`` and ``hotfix/124``), whichever came first."""

    def __init__(self, repository: str, branch: str, blocking: str) -> None:
        super().__init__(
            f"`{branch}` cannot be created in `{repository}`: the branch `{blocking}` exists there, and "
            "git cannot hold a branch and a folder of branches of the same name."
        )
        self.repository = repository
        self.branch = branch
        self.blocking = blocking
