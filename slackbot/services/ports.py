"""What the services need from the outside world, as protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

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

    def web_url(self, repository: str, *, branch: str | None = None, commit: str | None = None) -> str:
        """A link a person can open in a browser: the repository, a branch's tree or a commit."""
        ...
