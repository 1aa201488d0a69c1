"""GitHub through PyGithub: cheap, parallel, conditional reads of branches and files.

Every read is a conditional GET (``If-None-Match`` with the last ETag). GitHub answers 304 when
nothing changed, and a 304 does not count against the rate limit, so asking again is free. PyGithub
objects only offer conditional refreshes for some resources (``update()``), and not for branches,
so the cache sits at PyGithub's requester: PyGithub still does authentication (tokens, App
installation tokens and their refresh), base URLs, retries and error types.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from github import Github, GithubException, RateLimitExceededException, UnknownObjectException
from github.Repository import Repository

from slackbot.domain.errors import NotFound, NotPermitted, Unavailable
from slackbot.domain.forge import CommitStatus, Comparison, FileText, NothingToMerge, PullInfo
from slackbot.domain.versions import BranchSnapshot, CommitInfo

log = logging.getLogger(__name__)

_CACHE_ENTRIES = 4096
T = TypeVar("T")


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

    def __init__(self, connect: Callable[[], Github], *, web_base: str, max_workers: int = 48) -> None:
        self._connect = connect
        self._local = threading.local()
        self._clients: weakref.WeakSet[Github] = weakref.WeakSet()  # to close them all at the end
        self._web_base = web_base.rstrip("/")
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="github")
        self._lock = threading.Lock()
        self._etags: OrderedDict[str, tuple[str, Any]] = OrderedDict()
        # Files found missing on a branch, and the head they were missing at: not asked again
        # until the branch moves, because GitHub's 404s carry no ETag and would cost a request each.
        self._missing: dict[tuple[str, str], tuple[str, frozenset[str]]] = {}

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
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
        return _parsed(f"the head of `{branch}` in `{repository}`", lambda: self._head(repository, data))

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

    def read_branch(self, repository: str, branch: str, paths: Sequence[str]) -> BranchSnapshot:
        last_head, known_missing = self._missing.get((repository, branch), ("", frozenset()))
        head_future = self._executor.submit(self.branch_head, repository, branch)
        file_futures = {
            path: self._executor.submit(self._read_file_text, repository, path, branch)
            for path in paths
            if path not in known_missing
        }
        head = _result(head_future, cancel=file_futures.values())
        files = {path: future.result() for path, future in file_futures.items()}
        skipped = [path for path in paths if path in known_missing]
        if skipped and head.sha != last_head:
            # The branch moved since those files were missing: they may exist now.
            again = {p: self._executor.submit(self._read_file_text, repository, p, branch) for p in skipped}
            files.update({path: future.result() for path, future in again.items()})
        else:
            files.update(dict.fromkeys(skipped))
        missing = frozenset(path for path, text in files.items() if text is None)
        with self._lock:
            self._missing[(repository, branch)] = (head.sha, missing)
        return BranchSnapshot(repository=repository, branch=branch, head=head, files=files)

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
        """A file's text and blob sha on a branch or commit; None when it does not exist."""
        url = f"/repos/{repository}/contents/{quote(path)}?ref={quote(ref, safe='')}"
        try:
            data = self._get(url, repository, ref)
        except NotFound:
            return None
        if not isinstance(data, dict) or data.get("type") != "file":
            return None
        return _parsed(
            f"`{path}` on `{ref}` in `{repository}`",
            lambda: FileText(text=base64.b64decode(data.get("content", "")).decode("utf-8"), sha=data["sha"]),
        )

    # -- hot-fix writes: branches and pull requests only ------------------------------------------
    # The bot never pushes to an existing branch other than the hot-fix branch it created, never
    # force-updates a ref and never deletes anything.

    def create_branch(self, repository: str, branch: str, sha: str) -> bool:
        """Create ``branch`` at ``sha``; False when it already exists (a retry, or someone else)."""
        try:
            self._repo(repository).create_git_ref(ref=f"refs/heads/{branch}", sha=sha)
        except GithubException as error:
            if error.status == 422 and "already exists" in _message(error):
                return False
            raise _translate(error, repository, branch, writing=f"create `{branch}`") from error
        except requests.RequestException as error:
            raise _unreachable(error) from error
        return True

    def compare(self, repository: str, base: str, head: str) -> Comparison:
        url = f"/repos/{repository}/compare/{quote(base, safe='/')}...{quote(head, safe='/')}"
        data = self._get(url, repository, head)
        return _parsed(
            f"the comparison of `{base}` and `{head}` in `{repository}`", lambda: _comparison(data)
        )

    def commit_statuses(self, repository: str, ref: str) -> list[CommitStatus]:
        """The statuses posted on a commit (newest first), e.g. by Flux's notification-controller."""
        data = self._get(
            f"/repos/{repository}/commits/{quote(ref, safe='/')}/statuses?per_page=100", repository, ref
        )
        return _parsed(
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
        return _parsed(what, lambda: _pull_info(pulls[0]) if pulls else None)

    def pull(self, repository: str, number: int) -> PullInfo:
        data = self._get(f"/repos/{repository}/pulls/{number}", repository, f"#{number}")
        return _parsed(f"pull request #{number} in `{repository}`", lambda: _pull_info(data))

    def open_pull(self, repository: str, head: str, base: str, title: str, body: str) -> PullInfo:
        """Open a pull request, or return the one already open for the same head and base."""
        existing = self.find_pull(repository, head, base)
        if existing is not None:
            return existing
        try:
            created = self._repo(repository).create_pull(base=base, head=head, title=title, body=body)
        except GithubException as error:
            text = _message(error)
            if error.status == 422 and "No commits between" in text:
                raise NothingToMerge(
                    f"`{head}` has no commits that `{base}` lacks yet, so GitHub cannot open a pull request."
                ) from error
            if error.status == 422 and "already exists" in text:  # a retried POST or a concurrent click
                found = self.find_pull(repository, head, base)
                if found is not None:
                    return found
            raise _translate(
                error, repository, head, writing=f"open a pull request from `{head}` into `{base}`"
            ) from error
        except requests.RequestException as error:
            raise _unreachable(error) from error
        return _pull_info(created.raw_data)

    def commit_file(
        self, repository: str, branch: str, path: str, text: str, *, message: str, replaces: str
    ) -> str:
        """Commit a new version of one file to ``branch`` (the hot-fix branch); returns the commit sha.

        ``replaces`` is the blob sha of the version being replaced: GitHub refuses the commit (409)
        if the file changed since it was read, instead of silently overwriting someone's change.
        """
        try:
            result = self._repo(repository).update_file(path, message, text, replaces, branch=branch)
        except GithubException as error:
            raise _translate(error, repository, branch, writing=f"commit to `{branch}`") from error
        except requests.RequestException as error:
            raise _unreachable(error) from error
        return str(result["commit"].sha)

    # -- plumbing -------------------------------------------------------------------------------

    def _repo(self, repository: str) -> Repository:
        return self._github().get_repo(repository)  # lazy (see bootstrap): no request until used

    def _read_file_text(self, repository: str, path: str, ref: str) -> str | None:
        found = self.read_file(repository, path, ref)
        return found.text if found else None

    def _get(self, url: str, repository: str, branch: str) -> Any:
        """A conditional GET: the cached answer on 304, the new one (and its ETag) on 200."""
        with self._lock:
            cached = self._etags.get(url)
        headers = {"If-None-Match": cached[0]} if cached else {}
        try:
            status, response_headers, body = self._github().requester.requestJson("GET", url, headers=headers)
        except GithubException as error:  # PyGithub's retry gives up on long rate-limit waits this way
            raise _translate(error, repository, branch) from error
        except requests.RequestException as error:
            raise _unreachable(error) from error
        if status == 304 and cached:
            with self._lock:
                self._etags.move_to_end(url)
            return cached[1]
        data = _json(body)
        if status >= 400:
            raise _translate(
                self._github().requester.createException(status, response_headers, data), repository, branch
            )
        etag = response_headers.get("etag")
        if etag:
            with self._lock:
                self._etags[url] = (etag, data)
                self._etags.move_to_end(url)
                while len(self._etags) > _CACHE_ENTRIES:
                    self._etags.popitem(last=False)
        return data


def _unreachable(error: requests.RequestException) -> Unavailable:
    if isinstance(error, requests.exceptions.RetryError):  # PyGithub's retries ran out
        found = re.search(r"too many (\d{3}) error responses", str(error))
        code = found.group(1) if found else "5xx"
        if code in ("403", "429"):  # retried only when GitHub says "rate limit" or "Retry-After"
            return Unavailable(
                f"GitHub's rate limit is holding the bot back (HTTP {code}, still refused after "
                "waiting and retrying); try again in a minute."
            )
        return Unavailable(f"GitHub is having trouble (HTTP {code}); try again in a minute.")
    return Unavailable(f"GitHub could not be reached ({type(error).__name__}); try again shortly.")


def _message(error: GithubException) -> str:
    """GitHub's message, including the per-field messages of a 422 'Validation Failed'."""
    data = error.data if isinstance(error.data, dict) else {}
    parts = [str(data.get("message", ""))]
    parts += [str(e.get("message", "")) for e in data.get("errors", []) if isinstance(e, dict)]
    return " ".join(p for p in parts if p)


def _parsed(what: str, parse: Callable[[], T]) -> T:
    """An answer read into the bot's terms; one it cannot read is a sentence naming what was asked."""
    try:
        return parse()
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
        log.warning("GitHub's answer for %s could not be read: %r", what, error)
        raise Unavailable(
            f"GitHub answered for {what} in a form I cannot read; try again in a minute."
        ) from error


def _pull_info(data: dict[str, Any]) -> PullInfo:
    return PullInfo(
        number=data["number"],
        url=data["html_url"],
        state=data["state"],
        merged=bool(data.get("merged") or data.get("merged_at")),
        head=data["head"]["ref"],
        base=data["base"]["ref"],
        title=data.get("title") or "",
        merge_sha=data.get("merge_commit_sha") if data.get("merged") or data.get("merged_at") else None,
        merged_at=_datetime(data.get("merged_at")),
        mergeable=data.get("mergeable"),
    )


def _comparison(data: Any) -> Comparison:
    merge_base = (data.get("merge_base_commit") or {}).get("sha")
    commits = data.get("commits") or []
    oldest = ((commits[0].get("commit") or {}).get("author") or {}).get("date") if commits else None
    return Comparison(
        status=data["status"],
        ahead_by=data["ahead_by"],
        behind_by=data["behind_by"],
        merge_base=merge_base,
        oldest_commit_at=_datetime(oldest),
    )


def _datetime(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _json(body: str) -> Any:
    try:
        return json.loads(body) if body else {}
    except ValueError:
        return {"message": body[:200]}


def _result(future: Future[CommitInfo], *, cancel: Any) -> CommitInfo:
    try:
        return future.result()
    except Exception:
        for other in cancel:
            other.cancel()
        raise


def _translate(  # noqa: PLR0911
    error: GithubException, repository: str, branch: str, *, writing: str | None = None
) -> Exception:
    """GitHub's answer as one sentence a person can act on; ``writing`` names a refused write."""
    message = error.data.get("message", "") if isinstance(error.data, dict) else ""
    branch_missing = message == "Branch not found" or "No commit found for the ref" in message
    rate_limited = isinstance(error, RateLimitExceededException) or (
        error.status in (403, 429) and "rate limit" in message.lower()
    )
    if writing and error.status in (403, 404) and not branch_missing and not rate_limited:
        # GitHub answers a write the credentials may not make with 403, or 404 as if the
        # repository did not exist (it was readable a moment ago).
        return NotPermitted(
            f"GitHub refused to {writing} in `{repository}` (HTTP {error.status}: {message or 'no message'}); "
            "the bot's token or GitHub App needs write access to contents and pull requests there."
        )
    if isinstance(error, UnknownObjectException) or error.status == 404:
        if branch_missing:
            return NotFound(f"`{repository}` has no branch `{branch}`.")
        return NotFound(f"GitHub has no repository `{repository}` (or the bot's credentials cannot see it).")
    if rate_limited:
        return Unavailable(
            f"GitHub's rate limit is used up {_retry_hint(error.headers)}; nothing was changed."
        )
    if error.status == 401:
        return Unavailable(
            "GitHub refused the bot's credentials (401); check GITHUB_TOKEN, or the GitHub App's id, private key and installation id."
        )
    if error.status == 403:
        return Unavailable(
            f"GitHub refused access to `{repository}` (403); the bot's token lacks permission there."
        )
    if error.status >= 500:
        return Unavailable(f"GitHub is having trouble (HTTP {error.status}); try again in a minute.")
    return Unavailable(f"GitHub answered HTTP {error.status}: {message or 'no message'}.")


def _retry_hint(headers: dict[str, Any] | None) -> str:
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if "retry-after" in headers:
        return f"(retry after {headers['retry-after']} s)"
    reset = headers.get("x-ratelimit-reset")
    if reset and str(reset).isdigit():
        return f"until {datetime.fromtimestamp(int(reset), UTC):%H:%M} UTC"
    return "for now"
