"""The history of a few files on one branch, from GitHub's commit listing.

``GET /repos/{owner}/{repo}/commits?sha=BRANCH&path=P&since=ISO&per_page=N`` once per path, in
parallel: GitHub lists the commits that touched ``P`` (with git's history simplification, so a
merged pull request shows as the commits it brought, not as the merge), newest first. The listings
are merged by sha into one history that says which of the paths each commit touched.

Every listing is a conditional GET through the adapter's ETag cache. ``since`` is sent rounded down
to the hour, so the same question asked again within the hour is the same URL, answered with a free
304; the commits before the exact ``since`` are then dropped here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from slackbot.adapters.github_answers import parsed, time_of
from slackbot.adapters.github_budget import RequestBudget
from slackbot.domain.pin_history import FileHistory, HistoryCommit

MAX_PER_PAGE = 100  # GitHub's most per page
Fetch = Callable[[str, str, str], tuple[Any, str]]  # url, repository, branch -> (body, Link header)


class HistoryReader:
    """``GitHubForge.file_history``: ``fetch`` is the forge's conditional GET; listings fan out on
    ``executor`` inside ``budget``'s scope."""

    def __init__(
        self, fetch: Fetch, executor: Executor, budget: RequestBudget, web_url: Callable[..., str]
    ) -> None:
        self._fetch = fetch
        self._executor = executor
        self._budget = budget
        self._web_url = web_url

    def file_history(
        self, repository: str, branch: str, paths: Sequence[str], *, since: datetime | None, limit: int
    ) -> FileHistory:
        limit = max(1, min(limit, MAX_PER_PAGE))
        with self._budget.scope():
            listings = {
                path: self._budget.submit(
                    self._executor, self._listing, repository, branch, path, since, limit
                )
                for path in dict.fromkeys(paths)
            }
            answers = {path: future.result() for path, future in listings.items()}
        touched: dict[str, set[str]] = {}
        commits: dict[str, HistoryCommit] = {}
        more = False
        for path, (listed, has_next) in answers.items():
            more = more or has_next
            for commit in listed:
                if since is not None and commit.date < since:
                    continue  # before the exact start: the URL asked from the whole hour
                commits.setdefault(commit.sha, commit)
                touched.setdefault(commit.sha, set()).add(path)
        # Newest first, as each listing is; a sha breaks ties so the order never depends on timing.
        ordered = sorted(commits.values(), key=lambda c: (c.date, c.sha), reverse=True)
        kept = tuple(replace(c, paths=frozenset(touched[c.sha])) for c in ordered[:limit])
        return FileHistory(commits=kept, more=more or len(ordered) > limit)

    def _listing(
        self, repository: str, branch: str, path: str, since: datetime | None, limit: int
    ) -> tuple[list[HistoryCommit], bool]:
        url = (
            f"/repos/{repository}/commits?sha={quote(branch, safe='')}&path={quote(path, safe='')}"
            f"&per_page={limit}"
        )
        if since is not None:
            hour = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            url += f"&since={hour:%Y-%m-%dT%H:%M:%SZ}"
        data, link = self._fetch(url, repository, branch)
        listed = parsed(
            f"the history of `{path}` on `{branch}` in `{repository}`",
            lambda: [self._commit(repository, item) for item in data],
        )
        return listed, 'rel="next"' in link

    def _commit(self, repository: str, item: Any) -> HistoryCommit:
        details = item["commit"]
        author = details.get("author") or {}
        committer = details.get("committer") or author
        when = time_of(committer.get("date") or author.get("date"))
        if when is None:
            raise ValueError("a commit without a date")
        sha = str(item["sha"])
        return HistoryCommit(
            sha=sha,
            parents=tuple(str(p["sha"]) for p in item.get("parents") or ()),
            author=str(author.get("name") or (item.get("author") or {}).get("login") or ""),
            date=when,
            message=str(details.get("message") or ""),
            url=self._web_url(repository, commit=sha),
            paths=frozenset(),
        )
