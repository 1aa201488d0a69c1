"""Branches read at their head commit: the heads (one listing for several), then the files at
those commits, kept for good — content at a commit never changes.

A branch whose head has not moved costs the conditional read of its head (a free 304) and no file
read; a file missing at a commit is not asked for again either (GitHub's 404s carry no ETag).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future
from typing import Any
from urllib.parse import quote

from slackbot.adapters.github_answers import parsed
from slackbot.adapters.github_budget import RequestBudget
from slackbot.domain.errors import BotError, NotFound
from slackbot.domain.versions import BranchSnapshot, CommitInfo, UnreadableFile

_FILE_ENTRIES = 4096
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_LAST_PAGE = re.compile(r'[?&]page=(\d+)[^>]*>;\s*rel="last"')
FileAnswer = str | UnreadableFile | None
Fetch = Callable[[str, str, str], tuple[Any, str]]  # url, repository, branch -> (body, Link header)


class BranchReader:
    """``GitHubForge.read_branches``: ``fetch`` is the forge's conditional GET, ``read_text`` its
    read of one file at a ref; requests fan out on ``executor`` inside ``budget``'s scope."""

    def __init__(
        self,
        fetch: Fetch,
        read_text: Callable[[str, str, str], FileAnswer],
        executor: Executor,
        budget: RequestBudget,
        web_url: Callable[..., str],
    ) -> None:
        self._fetch = fetch
        self._read_text = read_text
        self._executor = executor
        self._budget = budget
        self._web_url = web_url
        self._lock = threading.Lock()
        # (repository, commit sha, path) -> its text, an UnreadableFile, or None (not there).
        self._files: OrderedDict[tuple[str, str, str], FileAnswer] = OrderedDict()

    def _get(self, url: str, repository: str, branch: str) -> Any:
        return self._fetch(url, repository, branch)[0]

    def read(
        self, repository: str, wanted: Mapping[str, Sequence[str]]
    ) -> dict[str, BranchSnapshot | BotError]:
        """Several branches' heads (one branch: its ref; more: one listing of them all), then the
        files at those commits — none asked again while a branch has not moved."""
        with self._budget.scope():
            try:
                heads = self._heads(repository, list(wanted))
            except BotError as error:
                return dict.fromkeys(wanted, error)
            keys = dict.fromkeys(
                (repository, heads[branch], path)
                for branch, paths in wanted.items()
                if branch in heads
                for path in paths
            )
            with self._lock:
                known = {key: self._files[key] for key in keys if key in self._files}
                for key in known:
                    self._files.move_to_end(key)
            reads = {
                key: self._budget.submit(self._executor, self._file_at, *key)
                for key in keys
                if key not in known
            }
            return {
                branch: self._snapshot(repository, branch, heads.get(branch), paths, {**known, **reads})
                for branch, paths in wanted.items()
            }

    def _snapshot(
        self,
        repository: str,
        branch: str,
        sha: str | None,
        paths: Sequence[str],
        files: Mapping[tuple[str, str, str], FileAnswer | Future[FileAnswer]],
    ) -> BranchSnapshot | BotError:
        if sha is None:
            return NotFound(f"`{repository}` has no branch `{branch}`.")
        texts: dict[str, FileAnswer] = {}
        for path in paths:
            found = files[(repository, sha, path)]
            try:
                texts[path] = found.result() if isinstance(found, Future) else found
            except BotError as error:
                return error
        head = CommitInfo(sha=sha, url=self._web_url(repository, commit=sha))
        return BranchSnapshot(repository=repository, branch=branch, head=head, files=texts)

    def _heads(self, repository: str, branches: Sequence[str]) -> dict[str, str]:
        """Branch -> head sha: one branch by its ref, several from one listing of every branch
        (``matching-refs/heads/``, 100 a page, later pages in parallel)."""
        if len(branches) == 1:
            [branch] = branches
            data = self._get(
                f"/repos/{repository}/git/ref/heads/{quote(branch, safe='/')}", repository, branch
            )
            return {
                branch: parsed(
                    f"the head of `{branch}` in `{repository}`", lambda: str(data["object"]["sha"])
                )
            }
        return self._all_heads(repository)

    def _all_heads(self, repository: str) -> dict[str, str]:
        url = f"/repos/{repository}/git/matching-refs/heads/?per_page=100"
        first, link = self._fetch(url, repository, "")
        pages = [first]
        last = int(match.group(1)) if (match := _LAST_PAGE.search(link)) else 1
        more = [
            self._budget.submit(self._executor, self._get, f"{url}&page={n}", repository, "")
            for n in range(2, last + 1)
        ]
        pages += [future.result() for future in more]
        return parsed(
            f"the branches of `{repository}`",
            lambda: {
                str(ref["ref"]).removeprefix("refs/heads/"): str(ref["object"]["sha"])
                for page in pages
                for ref in page
            },
        )

    def _file_at(self, repository: str, sha: str, path: str) -> FileAnswer:
        """A file at a commit, kept for good (bounded): content at a commit never changes."""
        found = self._read_text(repository, path, sha)
        if _FULL_SHA.match(sha):
            with self._lock:
                self._files[(repository, sha, path)] = found
                while len(self._files) > _FILE_ENTRIES:
                    self._files.popitem(last=False)
        return found
