"""Branches read at their head commit: the heads (one listing for several), then the files at
those commits, kept for good — content at a commit never changes.

A branch whose head has not moved costs the conditional read of its head (a free 304) and no file
read; a file missing at a commit is not asked for again either (GitHub's 404s carry no ETag).

GraphQL (:mod:`slackbot.adapters.github_graphql`) stands in where REST would take more than one
round trip, and nowhere else:

- a *cold* read of several branches (no ETag yet for the listing of heads): one query asks for
  every branch's head and its files at once, while the listing is asked alongside so that the next
  read has its ETag and costs a 304;
- more files to read at known commits than one wave of the request budget (16): one query instead
  of several waves.

A warm read stays REST: its 304s are free and GraphQL's answers never are. A file GraphQL cannot
give as REST would (a symbolic link, a binary, truncated or transcoded blob) is read through REST;
when GraphQL does not answer at all, REST answers everything, as it did before.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future
from typing import Any
from urllib.parse import quote

from slackbot.adapters.github_answers import parsed
from slackbot.adapters.github_budget import RequestBudget
from slackbot.adapters.github_graphql import AskRest, GraphQLReader
from slackbot.domain.errors import BotError, NotFound
from slackbot.domain.versions import BranchSnapshot, CommitInfo, UnreadableFile

log = logging.getLogger(__name__)

_FILE_ENTRIES = 4096
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_LAST_PAGE = re.compile(r'[?&]page=(\d+)[^>]*>;\s*rel="last"')
FileAnswer = str | UnreadableFile | None
Fetch = Callable[[str, str, str], tuple[Any, str]]  # url, repository, branch -> (body, Link header)
Key = tuple[str, str, str]  # repository, commit sha, path


def listing_url(repository: str) -> str:
    """The listing of every branch's head (its first page)."""
    return f"/repos/{repository}/git/matching-refs/heads/?per_page=100"


class BranchReader:
    """``GitHubForge.read_branches``: ``fetch`` is the forge's conditional GET, ``read_text`` its
    read of one file at a ref; requests fan out on ``executor`` inside ``budget``'s scope.
    ``graphql`` (None: REST only) answers the reads REST needs several round trips for;
    ``has_etag`` says whether a conditional GET of a URL would be conditional."""

    def __init__(
        self,
        fetch: Fetch,
        read_text: Callable[[str, str, str], FileAnswer],
        executor: Executor,
        budget: RequestBudget,
        web_url: Callable[..., str],
        *,
        graphql: GraphQLReader | None = None,
        has_etag: Callable[[str], bool] = lambda _url: True,
    ) -> None:
        self._fetch = fetch
        self._read_text = read_text
        self._executor = executor
        self._budget = budget
        self._web_url = web_url
        self._graphql = graphql
        self._has_etag = has_etag
        self._lock = threading.Lock()
        # (repository, commit sha, path) -> its text, an UnreadableFile, or None (not there).
        self._files: OrderedDict[Key, FileAnswer] = OrderedDict()

    def _get(self, url: str, repository: str, branch: str) -> Any:
        return self._fetch(url, repository, branch)[0]

    def read(
        self, repository: str, wanted: Mapping[str, Sequence[str]]
    ) -> dict[str, BranchSnapshot | BotError]:
        """Several branches' heads (one branch: its ref; more: one listing of them all), then the
        files at those commits — none asked again while a branch has not moved."""
        with self._budget.scope():
            if self._graphql is not None and len(wanted) > 1 and not self._has_etag(listing_url(repository)):
                return self._read_cold(repository, wanted, self._graphql)
            try:
                heads = self._heads(repository, list(wanted))
            except BotError as error:
                return dict.fromkeys(wanted, error)
            return self._at_heads(repository, wanted, heads)

    def _read_cold(
        self, repository: str, wanted: Mapping[str, Sequence[str]], graphql: GraphQLReader
    ) -> dict[str, BranchSnapshot | BotError]:
        """One GraphQL query for the heads and files, the listing alongside for its ETag; REST
        from that listing if GraphQL does not answer."""
        listing = self._budget.submit(self._executor, self._fetch, listing_url(repository), repository, "")
        try:
            found = graphql.branches(repository, wanted)
        except BotError as error:
            log.info("GraphQL did not answer for %s (%s); reading through REST", repository, error)
            try:
                heads = self._listed(repository, listing.result())
            except BotError as refused:
                return dict.fromkeys(wanted, refused)
            return self._at_heads(repository, wanted, heads)
        self._settle(repository, listing)
        heads = {branch: got.sha for branch, got in found.items() if got is not None}
        rest: set[Key] = set()
        for got in filter(None, found.values()):
            for path, text in got.files.items():
                if isinstance(text, AskRest):
                    rest.add((repository, got.sha, path))
                else:
                    self._keep((repository, got.sha, path), text)
        return self._at_heads(repository, wanted, heads, rest=rest)

    def _settle(self, repository: str, listing: Future[tuple[Any, str]]) -> None:
        """Wait for the listing's first page (the next read's ETag); later pages' ETags are
        fetched in the background, nobody waiting for them."""
        try:
            _first, link = listing.result()
        except BotError as error:  # GraphQL answered: the next read asks the listing again
            log.debug("the listing of %s's branches alongside GraphQL failed: %s", repository, error)
            return
        url = listing_url(repository)
        for page in range(2, _last_page(link) + 1):
            self._budget.submit(self._executor, self._get, f"{url}&page={page}", repository, "")

    def _at_heads(
        self,
        repository: str,
        wanted: Mapping[str, Sequence[str]],
        heads: Mapping[str, str],
        *,
        rest: set[Key] | frozenset[Key] = frozenset(),
    ) -> dict[str, BranchSnapshot | BotError]:
        keys = [
            (repository, heads[branch], path)
            for branch, paths in wanted.items()
            if branch in heads
            for path in paths
        ]
        # One branch is a handful of files: REST's parallel reads. Several may be many more.
        files = self._answers(dict.fromkeys(keys), rest, batch=len(wanted) > 1)
        return {
            branch: self._snapshot(repository, branch, heads.get(branch), paths, files)
            for branch, paths in wanted.items()
        }

    def _snapshot(
        self,
        repository: str,
        branch: str,
        sha: str | None,
        paths: Sequence[str],
        files: Mapping[Key, FileAnswer | BotError],
    ) -> BranchSnapshot | BotError:
        if sha is None:
            return NotFound(f"`{repository}` has no branch `{branch}`.")
        texts: dict[str, FileAnswer] = {}
        for path in paths:
            found = files[(repository, sha, path)]
            if isinstance(found, BotError):
                return found
            texts[path] = found
        head = CommitInfo(sha=sha, url=self._web_url(repository, commit=sha))
        return BranchSnapshot(repository=repository, branch=branch, head=head, files=texts)

    # -- heads ------------------------------------------------------------------------------------

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
        return self.all_heads(repository)

    def all_heads(self, repository: str) -> dict[str, str]:
        """Every branch -> head sha, from one conditional listing."""
        return self._listed(repository, self._fetch(listing_url(repository), repository, ""))

    def _listed(self, repository: str, first_page: tuple[Any, str]) -> dict[str, str]:
        """Every branch's head from the listing's first page and its later pages (in parallel)."""
        first, link = first_page
        url = listing_url(repository)
        more = [
            self._budget.submit(self._executor, self._get, f"{url}&page={n}", repository, "")
            for n in range(2, _last_page(link) + 1)
        ]
        pages = [first, *(future.result() for future in more)]
        return parsed(
            f"the branches of `{repository}`",
            lambda: {
                str(ref["ref"]).removeprefix("refs/heads/"): str(ref["object"]["sha"])
                for page in pages
                for ref in page
            },
        )

    # -- files at commits -------------------------------------------------------------------------

    def files_at(
        self, repository: str, wanted: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, FileAnswer]]:
        """Files at commits (full sha -> paths): those kept already without a request, the others
        read in parallel and kept. Raises the first BotError met."""
        with self._budget.scope():
            found = self._answers(
                dict.fromkeys((repository, sha, path) for sha, paths in wanted.items() for path in paths)
            )
        answers: dict[str, dict[str, FileAnswer]] = {}
        for sha, paths in wanted.items():
            answers[sha] = {}
            for path in paths:
                answer = found[(repository, sha, path)]
                if isinstance(answer, BotError):
                    raise answer
                answers[sha][path] = answer
        return answers

    def _answers(
        self, keys: Mapping[Key, None], rest: set[Key] | frozenset[Key] = frozenset(), *, batch: bool = True
    ) -> dict[Key, FileAnswer | BotError]:
        """Each file: kept already, else read — with ``batch``, in one GraphQL query when they are
        more than one wave of REST reads (but not those in ``rest``), else through REST in parallel."""
        with self._lock:
            known: dict[Key, FileAnswer | BotError] = {
                key: self._files[key] for key in keys if key in self._files
            }
            for key in known:
                self._files.move_to_end(key)
        missing = [key for key in keys if key not in known]
        if batch and self._graphql is not None and len(missing) - len(rest) > self._budget.per_scope:
            known |= self._by_graphql(self._graphql, [key for key in missing if key not in rest])
            missing = [key for key in missing if key not in known]
        reads = {key: self._budget.submit(self._executor, self._file_at, *key) for key in missing}
        for key, future in reads.items():
            try:
                known[key] = future.result()
            except BotError as error:
                known[key] = error
        return known

    def _by_graphql(self, graphql: GraphQLReader, keys: Sequence[Key]) -> dict[Key, FileAnswer]:
        """What one query can say of ``keys`` (all of one repository), kept; nothing if it fails."""
        wanted: dict[str, list[str]] = {}
        for _repository, sha, path in keys:
            wanted.setdefault(sha, []).append(path)
        repository = keys[0][0]
        try:
            found = graphql.commits(repository, wanted)
        except BotError as error:
            log.info("GraphQL did not answer for %s (%s); reading through REST", repository, error)
            return {}
        said: dict[Key, FileAnswer] = {}
        for sha, files in found.items():
            for path in wanted[sha]:
                text = None if files is None else files[path]
                if not isinstance(text, AskRest):
                    said[(repository, sha, path)] = text
                    self._keep((repository, sha, path), text)
        return said

    def _file_at(self, repository: str, sha: str, path: str) -> FileAnswer:
        """A file at a commit, kept for good (bounded): content at a commit never changes."""
        found = self._read_text(repository, path, sha)
        self._keep((repository, sha, path), found)
        return found

    def _keep(self, key: Key, found: FileAnswer) -> None:
        if _FULL_SHA.match(key[1]):
            with self._lock:
                self._files[key] = found
                self._files.move_to_end(key)
                while len(self._files) > _FILE_ENTRIES:
                    self._files.popitem(last=False)


def _last_page(link: str) -> int:
    return int(match.group(1)) if (match := _LAST_PAGE.search(link)) else 1
