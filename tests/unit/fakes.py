"""Hand-written fakes of the ports: they keep data in memory and record what was asked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from slackbot.domain.errors import NotFound
from slackbot.domain.versions import BranchSnapshot, CommitInfo


@dataclass
class FakeSource:
    """A forge holding branches as {(repository, branch): (head sha, {path: text})}."""

    branches: dict[tuple[str, str], tuple[str, Mapping[str, str]]] = field(default_factory=dict)
    reads: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    heads_asked: list[tuple[str, str]] = field(default_factory=list)

    def add_branch(
        self, repository: str, branch: str, sha: str, files: Mapping[str, str] | None = None
    ) -> None:
        self.branches[(repository, branch)] = (sha, dict(files or {}))

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
