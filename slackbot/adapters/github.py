"""GitHub through PyGithub: cheap, parallel, conditional reads of branches and files.

Every read is a conditional GET (``If-None-Match`` with the last ETag). GitHub answers 304 when
nothing changed, and a 304 does not count against the rate limit, so asking again is free. PyGithub
objects only offer conditional refreshes for some resources (``update()``), and not for branches,
so the cache sits at PyGithub's requester: PyGithub still does authentication (tokens, App
installation tokens and their refresh), base URLs, retries and error types. Branches are read as
their head commit (several at once: one listing of every branch), then their files at that commit,
kept for good: a branch that has not moved costs its head's 304 and nothing else (a cold read of
several branches is one GraphQL query instead: see :mod:`slackbot.adapters.github_branches`).
Every request holds a permit of a :class:`~slackbot.adapters.github_budget.RequestBudget` (16 in
flight per command or job run, 32 for the process).

Files are read as GitHub's contents API serves them: a symbolic link to a file arrives as that
file; a file over 1 MB arrives without its content and is fetched through the blob API (also
conditional, and keyed by the blob's sha). A file without text the bot can read (not UTF-8, a
symbolic link to nothing, over 100 MB) reaches the versions report as an ``UnreadableFile``, a
problem naming it, and a pin edit as a Conflict. A comparison lists at most 250 commits, the most
recent ones: when more are ahead, one more request (the first page of one commit) finds the oldest.
"""

from __future__ import annotations

import base64
import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from github import Github, GithubException
from github.Repository import Repository

from slackbot.adapters.github_answers import (
    commit_date,
    comparison_of,
    content_of,
    decoded,
    json_body,
    parsed,
    pull_info,
)
from slackbot.adapters.github_branches import BranchReader
from slackbot.adapters.github_budget import RequestBudget
from slackbot.adapters.github_errors import (
    RETRY_LOGGER,
    RetryLogThrottle,
    TooLarge,
    message_of,
    translate,
    unreachable,
)
from slackbot.adapters.github_graphql import GraphQLReader
from slackbot.adapters.github_history import HistoryReader
from slackbot.domain.errors import BotError, Conflict, NotFound, Unavailable
from slackbot.domain.forge import (
    BranchNameBlocked,
    CommitStatus,
    Comparison,
    FileText,
    NothingToMerge,
    PullInfo,
)
from slackbot.domain.pin_history import FileHistory
from slackbot.domain.versions import BranchSnapshot, CommitInfo, UnreadableFile
from slackbot.observability.metrics import Metrics

log = logging.getLogger(__name__)

_CACHE_ENTRIES = 4096
T = TypeVar("T")
FileAnswer = str | UnreadableFile | None


def web_base_from_api(api_url: str) -> str:
    """The browser base URL for an API base URL: github.com, GitHub Enterprise, or the sandbox."""
    api_url = api_url.rstrip("/")
    if api_url == "https://api.github.com":
        return "https://github.com"
    return api_url.removesuffix("/api/v3")


class GitHubForge:
    """Implements the Forge port against GitHub's REST API.

    ``connect`` makes a PyGithub client; each thread gets one of its own. PyGithub keeps a request
    on its connection object between sending it and reading the answer, so threads sharing one
    client can swap answers (a thread asking for one file gets another's). The clients share the
    authentication (``connect`` is given one ``Auth``) and this adapter's ETag cache.
    """

    def __init__(
        self,
        connect: Callable[[], Github],
        *,
        web_base: str,
        max_workers: int = 48,
        metrics: Metrics | None = None,
        budget: RequestBudget | None = None,
    ) -> None:
        self._connect = connect
        self._metrics = metrics
        self._local = threading.local()
        self._clients: weakref.WeakSet[Github] = weakref.WeakSet()  # to close them all at the end
        self._web_base = web_base.rstrip("/")
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="github")
        self._lock = threading.Lock()
        self._etags: OrderedDict[str, tuple[str, Any, str]] = OrderedDict()  # url -> ETag, body, Link
        self._budget = budget or RequestBudget()
        # Cold reads of several branches: heads and files in one GraphQL query (github_branches).
        graphql = GraphQLReader(lambda: self._github().requester, self._executor, self._budget, metrics)
        self._branches = BranchReader(
            self._fetch,
            self._read_file_text,
            self._executor,
            self._budget,
            self.web_url,
            graphql=graphql,
            has_etag=lambda url: url in self._etags,
        )
        self._history = HistoryReader(self._fetch, self._executor, self._budget, self.web_url)
        # While a rate limit lasts PyGithub's retry logs two lines for every read: one of each will do.
        self._retry_log = RetryLogThrottle()
        logging.getLogger(RETRY_LOGGER).addFilter(self._retry_log)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        logging.getLogger(RETRY_LOGGER).removeFilter(self._retry_log)
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            client.close()  # its keep-alive connection pool

    def _github(self) -> Github:
        """This thread's client."""
        client: Github | None = getattr(self._local, "client", None)
        if client is None:
            client = self._connect()
            self._local.client = client
            with self._lock:
                self._clients.add(client)
        return client

    # -- the SourceReader port ------------------------------------------------------------------

    def branch_head(self, repository: str, branch: str) -> CommitInfo:
        data = self._get(f"/repos/{repository}/branches/{quote(branch, safe='/')}", repository, branch)
        return parsed(f"the head of `{branch}` in `{repository}`", lambda: self._head(repository, data))

    def _head(self, repository: str, data: Any) -> CommitInfo:
        commit = data["commit"]
        details = commit.get("commit") or {}
        author = details.get("author") or {}
        return CommitInfo(
            sha=commit["sha"],
            message=details.get("message", ""),
            author=author.get("name", ""),
            date=author.get("date", ""),
            url=self.web_url(repository, commit=commit["sha"]),
        )

    def scope(self) -> AbstractContextManager[None]:
        """One command's or job run's reads: at most 16 requests of theirs in flight (32 in all)."""
        return self._budget.scope()

    def read_branch(self, repository: str, branch: str, paths: Sequence[str]) -> BranchSnapshot:
        found = self._branches.read(repository, {branch: paths})[branch]
        if isinstance(found, BotError):
            raise found
        return found

    def read_branches(
        self, repository: str, wanted: Mapping[str, Sequence[str]]
    ) -> dict[str, BranchSnapshot | BotError]:
        return self._branches.read(repository, wanted)

    def file_history(
        self, repository: str, branch: str, paths: Sequence[str], *, since: datetime | None, limit: int
    ) -> FileHistory:
        """One conditional listing of commits per path (see :mod:`slackbot.adapters.github_history`)."""
        return self._history.file_history(repository, branch, paths, since=since, limit=limit)

    def read_commits(
        self, repository: str, wanted: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, FileAnswer]]:
        """Files at commits, kept for good with the branches' files (a commit never changes)."""
        return self._branches.files_at(repository, wanted)

    def web_url(
        self,
        repository: str,
        *,
        branch: str | None = None,
        commit: str | None = None,
        compare: tuple[str, str] | None = None,
    ) -> str:
        if compare:
            base, head = (quote(ref, safe="/") for ref in compare)
            return f"{self._web_base}/{repository}/compare/{base}...{head}"
        if commit:
            return f"{self._web_base}/{repository}/commit/{commit}"
        if branch:
            return f"{self._web_base}/{repository}/tree/{quote(branch, safe='/')}"
        return f"{self._web_base}/{repository}"

    def read_file(self, repository: str, path: str, ref: str) -> FileText | None:
        """A file's text and blob sha on a branch or commit; None when it does not exist.

        Raises Conflict when the file is there but has no text the bot can edit (not UTF-8, a
        symbolic link to nothing, too large for GitHub's API)."""
        found = self._file(repository, path, ref)
        if isinstance(found, UnreadableFile):
            raise Conflict(f"`{path}` on `{ref}` in `{repository}` {found.reason}.")
        return found

    def _file(self, repository: str, path: str, ref: str) -> FileText | UnreadableFile | None:
        """What the contents API says of ``path``. GitHub answers a symbolic link to a file with
        that file, and a larger file than 1 MB without its content (``encoding: none``): those
        come from the blob API, which serves up to 100 MB."""
        what = f"`{path}` on `{ref}` in `{repository}`"
        url = f"/repos/{repository}/contents/{quote(path)}?ref={quote(ref, safe='')}"
        try:
            data = self._get(url, repository, ref)
            kind, sha, content = parsed(what, lambda: content_of(data))
            if kind == "symlink":
                return UnreadableFile(
                    f"is a symbolic link to `{content}`, which is not a file in the repository"
                )
            if kind != "file":  # a folder or a submodule: no file of that name
                return None
            if content is None:
                blob = self._get(f"/repos/{repository}/git/blobs/{sha}", repository, ref)
                content = parsed(what, lambda: str(blob["content"]))
        except NotFound:
            return None
        except TooLarge:
            return UnreadableFile("is too large for GitHub's API to serve (over 100 MB)")
        raw = parsed(what, lambda: base64.b64decode(content))
        text = decoded(raw)
        return text if isinstance(text, UnreadableFile) else FileText(text=text, sha=sha)

    # -- hot-fix writes: branches and pull requests only ------------------------------------------
    # The bot never pushes to an existing branch other than the hot-fix branch it created, never
    # force-updates a ref and never deletes anything.

    def create_branch(self, repository: str, branch: str, sha: str) -> bool:
        """Create ``branch`` at ``sha``; False when it already exists (a retry, or someone else)."""
        try:
            with self._counted("POST", 201):
                self._repo(repository).create_git_ref(ref=f"refs/heads/{branch}", sha=sha)
        except GithubException as error:
            if error.status == 422 and "already exists" in message_of(error):
                return False
            if error.status == 422 and "Reference update failed" in message_of(error):
                raise self._blocked(repository, branch) from error
            raise translate(error, repository, branch, writing=f"create `{branch}`") from error
        except requests.RequestException as error:
            raise unreachable(error) from error
        return True

    def _blocked(self, repository: str, branch: str) -> BotError:
        """Why git refused ``branch``: a branch named like one of its folders (``hotfix`` for
        ``hotfix/124``), or branches in the folder its name would be (``hotfix/124/old``)."""
        parts = branch.split("/")
        for prefix in ("/".join(parts[:n]) for n in range(1, len(parts))):
            try:
                self._get(f"/repos/{repository}/git/ref/heads/{quote(prefix, safe='/')}", repository, prefix)
            except NotFound:
                continue
            return BranchNameBlocked(repository, branch, prefix)
        under = f"/repos/{repository}/git/matching-refs/heads/{quote(branch, safe='/')}/?per_page=100"
        refs = self._get(under, repository, branch)
        names = parsed(f"the branches under `{branch}/`", lambda: [str(r["ref"]) for r in refs])
        inside = [n.removeprefix("refs/heads/") for n in names if n.startswith(f"refs/heads/{branch}/")]
        if inside:
            return BranchNameBlocked(repository, branch, inside[0])
        return Unavailable(
            f"GitHub could not create `{branch}` in `{repository}` (Reference update failed); try again in a minute."
        )

    def compare(self, repository: str, base: str, head: str) -> Comparison:
        url = f"/repos/{repository}/compare/{quote(base, safe='/')}...{quote(head, safe='/')}"
        what = f"the comparison of `{base}` and `{head}` in `{repository}`"
        data = self._get(url, repository, head)
        comparison, listed = parsed(what, lambda: (comparison_of(data), len(data.get("commits") or [])))
        if comparison.ahead_by > listed:
            # GitHub lists the 250 most recent commits; pages go oldest first, so the first commit
            # of the first page of one is the oldest.
            first = self._get(f"{url}?per_page=1", repository, head)
            oldest = parsed(what, lambda: commit_date(first["commits"][0]))
            comparison = replace(comparison, oldest_commit_at=oldest)
        return comparison

    def commit_statuses(self, repository: str, ref: str) -> list[CommitStatus]:
        """The statuses posted on a commit (newest first), e.g. by Flux's notification-controller."""
        data = self._get(
            f"/repos/{repository}/commits/{quote(ref, safe='/')}/statuses?per_page=100", repository, ref
        )
        return parsed(
            f"the statuses of `{ref}` in `{repository}`",
            lambda: [
                CommitStatus(
                    context=s.get("context", ""),
                    state=s.get("state", ""),
                    description=s.get("description") or "",
                )
                for s in data
            ],
        )

    def find_pull(self, repository: str, head: str, base: str) -> PullInfo | None:
        """The open pull request from ``head`` into ``base``, if there is one."""
        owner = repository.split("/", 1)[0]
        url = f"/repos/{repository}/pulls?state=open&head={quote(owner + ':' + head, safe='')}&base={quote(base, safe='')}"
        pulls = self._get(url, repository, head)
        what = f"the pull requests from `{head}` into `{base}` in `{repository}`"
        return parsed(what, lambda: pull_info(pulls[0]) if pulls else None)

    def branch_heads(self, repository: str) -> dict[str, str]:
        """Every branch's head sha, from one conditional listing (pages in parallel)."""
        return self._branches.all_heads(repository)

    def recent_pulls(self, repository: str) -> dict[int, PullInfo]:
        """The 100 most recently updated pull requests, any state, from one conditional listing
        (a list entry leaves mergeability out: ``mergeable`` is None)."""
        url = f"/repos/{repository}/pulls?state=all&sort=updated&direction=desc&per_page=100"
        pulls = self._get(url, repository, "")
        return parsed(
            f"the pull requests of `{repository}`", lambda: {p.number: p for p in map(pull_info, pulls)}
        )

    def pull(self, repository: str, number: int) -> PullInfo:
        data = self._get(f"/repos/{repository}/pulls/{number}", repository, f"#{number}")
        return parsed(f"pull request #{number} in `{repository}`", lambda: pull_info(data))

    def open_pull(self, repository: str, head: str, base: str, title: str, body: str) -> PullInfo:
        """Open a pull request, or return the one already open for the same head and base."""
        existing = self.find_pull(repository, head, base)
        if existing is not None:
            return self.pull(repository, existing.number)  # the list leaves mergeability out
        try:
            with self._counted("POST", 201):
                created = self._repo(repository).create_pull(base=base, head=head, title=title, body=body)
        except GithubException as error:
            text = message_of(error)
            if error.status == 422 and "No commits between" in text:
                raise NothingToMerge(
                    f"`{head}` has no commits that `{base}` lacks yet, so GitHub cannot open a pull request."
                ) from error
            if error.status == 422 and "already exists" in text:  # a retried POST or a concurrent click
                found = self.find_pull(repository, head, base)
                if found is not None:
                    return self.pull(repository, found.number)
            raise translate(
                error, repository, head, writing=f"open a pull request from `{head}` into `{base}`"
            ) from error
        except requests.RequestException as error:
            raise unreachable(error) from error
        return pull_info(created.raw_data)

    def commit_file(
        self, repository: str, branch: str, path: str, text: str, *, message: str, replaces: str
    ) -> str:
        """Commit a new version of one file to ``branch`` (the hot-fix branch); returns the commit sha.

        ``replaces`` is the blob sha of the version being replaced: GitHub refuses the commit (409)
        if the file changed since it was read, instead of silently overwriting someone's change.
        """
        try:
            with self._counted("PUT", 200):
                result = self._repo(repository).update_file(path, message, text, replaces, branch=branch)
        except GithubException as error:
            raise translate(error, repository, branch, writing=f"commit to `{branch}`") from error
        except requests.RequestException as error:
            raise unreachable(error) from error
        return str(result["commit"].sha)

    # -- plumbing -------------------------------------------------------------------------------

    @contextmanager
    def _counted(self, method: str, success: int) -> Iterator[None]:
        """Count one write through PyGithub, by how GitHub answered it."""
        try:
            with self._budget.request():
                yield
        except GithubException as error:
            self._answered(method, error.status, error.headers or {})
            raise
        self._answered(method, success, {})

    def _answered(self, method: str, status: int, headers: Mapping[str, str]) -> None:
        if self._metrics is not None:
            self._metrics.github_answered(method, status, headers)

    def _repo(self, repository: str) -> Repository:
        return self._github().get_repo(repository)  # lazy (see bootstrap): no request until used

    def _read_file_text(self, repository: str, path: str, ref: str) -> str | UnreadableFile | None:
        found = self._file(repository, path, ref)
        return found.text if isinstance(found, FileText) else found

    def _get(self, url: str, repository: str, branch: str) -> Any:
        return self._fetch(url, repository, branch)[0]

    def _fetch(self, url: str, repository: str, branch: str) -> tuple[Any, str]:
        """A conditional GET: the cached answer on 304, the new one (and its ETag) on 200; with
        its ``Link`` header (pages)."""
        with self._lock:
            cached = self._etags.get(url)
        headers = {"If-None-Match": cached[0]} if cached else {}
        try:
            with self._budget.request():
                status, response_headers, body = self._github().requester.requestJson(
                    "GET", url, headers=headers
                )
        except GithubException as error:  # PyGithub's retry gives up on long rate-limit waits this way
            self._answered("GET", error.status, error.headers or {})
            raise translate(error, repository, branch) from error
        except requests.RequestException as error:
            raise unreachable(error) from error
        self._answered("GET", status, response_headers)
        if status == 304 and cached:
            with self._lock:
                self._etags.move_to_end(url)
            return cached[1], cached[2]
        data = json_body(body)
        if status >= 400:
            raise translate(
                self._github().requester.createException(status, response_headers, data), repository, branch
            )
        etag, link = response_headers.get("etag"), response_headers.get("link", "")
        if etag:
            with self._lock:
                self._etags[url] = (etag, data, link)
                self._etags.move_to_end(url)
                while len(self._etags) > _CACHE_ENTRIES:
                    self._etags.popitem(last=False)
        return data, link
