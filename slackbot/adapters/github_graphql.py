"""Several branches' heads and their files in one request, through GitHub's GraphQL API.

REST needs a branch's head before it can read files at it: one listing of the heads, then one
request per file at each head — with 30 environments, 60 file reads that 16 permits turn into four
waves. One GraphQL query asks for every branch's ref, its commit and the files at that commit: one
round trip, and a consistent answer (every file is read at the commit the same answer names).
GraphQL is used only where REST takes more than one round trip (see
:mod:`slackbot.adapters.github_branches`): a GraphQL answer is never a 304 and costs a point from
GraphQL's own budget (5,000 an hour; each of these queries costs 1), while REST's conditional
requests cost nothing once their ETags are known.

Queries go through PyGithub's requester (``graphql_query``), so authentication, base URL and
retries are REST's; each holds a permit of the request budget, and a query asks for at most
``MAX_FILES`` files (GitHub bounds what one query may ask; a branch is never split, so its files
stay consistent with its head). Names and paths travel as variables, never spliced into the query.
What GraphQL cannot give exactly as REST would — a symbolic link (REST follows it to its file), a
binary, truncated (over 512,000 bytes) or transcoded blob — is :data:`ASK_REST`: the caller reads
it through REST, which has the answers for those.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from typing import Any

import requests
from github import GithubException, RateLimitExceededException, UnknownObjectException
from github.Requester import Requester

from slackbot.adapters.github_answers import parsed
from slackbot.adapters.github_budget import RequestBudget
from slackbot.adapters.github_errors import translate, unreachable
from slackbot.domain.errors import BotError, Unavailable
from slackbot.observability.metrics import Metrics

log = logging.getLogger(__name__)

MAX_FILES = 100  # files asked for in one query: far below what GitHub allows, small answers
_SYMLINK = 0o120000
_RATE_LIMITED = {"RATE_LIMITED", "RATE_LIMIT"}  # GitHub has answered with both
_ENTRY = (
    "fragment entry on TreeEntry { type mode object { __typename "
    "... on Blob { text isBinary byteSize isTruncated } } }"
)
_COST = "rateLimit { cost remaining resetAt }"


class AskRest(enum.Enum):
    """A file GraphQL has, but not as REST would give it: read it through REST."""

    ASK_REST = "ask REST"


ASK_REST = AskRest.ASK_REST
Found = str | AskRest | None  # the text, ask REST, or no such file


@dataclass(frozen=True)
class BranchFiles:
    """A branch's head and the files asked for at it."""

    sha: str
    files: dict[str, Found]


class GraphQLReader:
    """``requester`` is this thread's PyGithub requester; queries fan out on ``executor``."""

    def __init__(
        self,
        requester: Callable[[], Requester],
        executor: Executor,
        budget: RequestBudget,
        metrics: Metrics | None = None,
    ) -> None:
        self._requester = requester
        self._executor = executor
        self._budget = budget
        self._metrics = metrics

    def branches(self, repository: str, wanted: Mapping[str, Sequence[str]]) -> dict[str, BranchFiles | None]:
        """Each branch's head and files (None: no such branch), in as few queries as ``MAX_FILES``
        allows, in parallel. Raises BotError when GitHub does not answer."""
        found: dict[str, BranchFiles | None] = {}
        for chunk, data in self._each(repository, list(wanted.items()), _branches_query):
            found |= parsed(
                f"the branches of `{repository}` (GraphQL)", partial(_branches_answer, chunk, data)
            )
        return found

    def commits(
        self, repository: str, wanted: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, Found] | None]:
        """Files at commits (full sha -> paths; None: no such commit), as :meth:`branches` reads them."""
        found: dict[str, dict[str, Found] | None] = {}
        for chunk, data in self._each(repository, list(wanted.items()), _commits_query):
            found |= parsed(
                f"files at commits of `{repository}` (GraphQL)", partial(_commits_answer, chunk, data)
            )
        return found

    def _each(
        self,
        repository: str,
        items: list[tuple[str, Sequence[str]]],
        query: Callable[[Sequence[tuple[str, Sequence[str]]]], tuple[str, dict[str, str]]],
    ) -> list[tuple[Sequence[tuple[str, Sequence[str]]], Any]]:
        """Each chunk's query, in parallel: (chunk, ``data.repository``) for every chunk."""
        owner, _, name = repository.partition("/")
        futures = []
        for chunk in _chunks(items):
            text, variables = query(chunk)
            future = self._budget.submit(
                self._executor, self._ask, repository, text, {"owner": owner, "name": name, **variables}
            )
            futures.append((chunk, future))
        return [(chunk, future.result()) for chunk, future in futures]

    def _ask(self, repository: str, query: str, variables: dict[str, str]) -> Any:
        """One query's ``data.repository``; GitHub's refusals as the sentences REST's get."""
        try:
            with self._budget.request():
                headers, data = self._requester().graphql_query(query, variables)
        except GithubException as error:
            self._answered(error)
            raise _refusal(error, repository) from error
        except requests.RequestException as error:
            raise unreachable(error) from error
        self._answered(None, headers, data)
        return parsed(f"the branches of `{repository}` (GraphQL)", lambda: data["data"]["repository"])

    def _answered(
        self, error: GithubException | None, headers: Mapping[str, str] | None = None, data: Any = None
    ) -> None:
        if self._metrics is None:
            return
        if error is not None:
            # graphql_query raises a 400 for a 200 carrying ``errors``: count what GitHub answered.
            answered = isinstance(error.data, dict) and "errors" in error.data
            headers = error.headers or {}
            self._metrics.github_answered("POST", 200 if answered else error.status, headers)
            left = str(headers.get("x-ratelimit-remaining", ""))
            if headers.get("x-ratelimit-resource") == "graphql" and left.isdigit():
                self._metrics.github_graphql_cost(0, int(left))  # refused: no points charged
            return
        self._metrics.github_answered("POST", 200, headers or {})
        cost = (data.get("data") or {}).get("rateLimit") or {} if isinstance(data, dict) else {}
        if isinstance(cost.get("cost"), int):
            remaining = cost.get("remaining")
            self._metrics.github_graphql_cost(cost["cost"], remaining if isinstance(remaining, int) else None)


def _refusal(error: GithubException, repository: str) -> BotError:
    """GraphQL's errors as REST's sentences: NOT_FOUND as a missing repository, RATE_LIMITED as a
    used-up rate limit (when it resets, from GitHub's headers)."""
    if isinstance(error, UnknownObjectException):
        return _bot_error(translate(error, repository, ""))
    errors = error.data.get("errors") if isinstance(error.data, dict) else None
    if not isinstance(errors, list):
        return _bot_error(translate(error, repository, ""))
    kinds = {str(e.get("type")) for e in errors if isinstance(e, dict)}
    if kinds & _RATE_LIMITED:
        limited = RateLimitExceededException(403, error.data, error.headers)
        return _bot_error(translate(limited, repository, ""))
    said = "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict))
    log.warning("GitHub's GraphQL API refused a query for %s: %s", repository, said)
    # GitHub's words go to the log: they name the query's variables, not anything a person typed.
    return Unavailable(
        f"GitHub's GraphQL API refused the bot's query for `{repository}`; try again in a minute."
    )


def _bot_error(error: Exception) -> BotError:
    return error if isinstance(error, BotError) else Unavailable(str(error))


# -- queries and answers ----------------------------------------------------------------------------


def _chunks(items: list[tuple[str, Sequence[str]]]) -> list[list[tuple[str, Sequence[str]]]]:
    """Consecutive groups of at most MAX_FILES files (a branch with more goes alone)."""
    chunks: list[list[tuple[str, Sequence[str]]]] = []
    size = 0
    for item in items:
        count = len(set(item[1]))
        if not chunks or size + count > MAX_FILES:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += count
    return chunks


def _files(paths: Sequence[str], index: Mapping[str, int]) -> str:
    """The fields asking for ``paths`` at a commit (aliases and variables by the path's number)."""
    if not paths:
        return ""
    asked = " ".join(f"f{index[p]}: file(path: $p{index[p]}) {{ ...entry }}" for p in dict.fromkeys(paths))
    return f" ... on Commit {{ {asked} }}"


def _paths(chunk: Sequence[tuple[str, Sequence[str]]]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """Every distinct path of a chunk numbered: (index, variables, declarations)."""
    index = {p: n for n, p in enumerate(dict.fromkeys(p for _, paths in chunk for p in paths))}
    return index, {f"p{n}": p for p, n in index.items()}, [f"$p{n}: String!" for n in index.values()]


def _branches_query(chunk: Sequence[tuple[str, Sequence[str]]]) -> tuple[str, dict[str, str]]:
    index, variables, declared = _paths(chunk)
    fields = []
    for n, (branch, paths) in enumerate(chunk):
        variables[f"b{n}"] = f"refs/heads/{branch}"
        declared.append(f"$b{n}: String!")
        fields.append(
            f"b{n}: ref(qualifiedName: $b{n}) {{ target {{ __typename oid{_files(paths, index)} }} }}"
        )
    return _query("BranchFiles", declared, fields), variables


def _commits_query(chunk: Sequence[tuple[str, Sequence[str]]]) -> tuple[str, dict[str, str]]:
    index, variables, declared = _paths(chunk)
    fields = []
    for n, (sha, paths) in enumerate(chunk):
        variables[f"c{n}"] = sha
        declared.append(f"$c{n}: GitObjectID!")
        fields.append(f"c{n}: object(oid: $c{n}) {{ __typename oid{_files(paths, index)} }}")
    return _query("CommitFiles", declared, fields), variables


def _query(name: str, declared: list[str], fields: list[str]) -> str:
    arguments = ", ".join(["$owner: String!", "$name: String!", *declared])
    body = " ".join(fields)
    query = f"query {name}({arguments}) {{ repository(owner: $owner, name: $name) {{ {body} }} {_COST} }}"
    return f"{query} {_ENTRY}" if "...entry" in body else query  # an unused fragment is invalid


def _branches_answer(chunk: Sequence[tuple[str, Sequence[str]]], data: Any) -> dict[str, BranchFiles | None]:
    index = _paths(chunk)[0]
    return {branch: _branch(data[f"b{n}"], paths, index) for n, (branch, paths) in enumerate(chunk)}


def _commits_answer(
    chunk: Sequence[tuple[str, Sequence[str]]], data: Any
) -> dict[str, dict[str, Found] | None]:
    index = _paths(chunk)[0]
    return {sha: _commit(data[f"c{n}"], paths, index) for n, (sha, paths) in enumerate(chunk)}


def _branch(ref: Any, paths: Sequence[str], index: Mapping[str, int]) -> BranchFiles | None:
    if ref is None:
        return None
    target = ref["target"]
    if target is None or target["__typename"] != "Commit":
        raise ValueError(f"a branch pointing at {target and target['__typename']}")
    return BranchFiles(sha=str(target["oid"]), files=_commit(target, paths, index) or {})


def _commit(commit: Any, paths: Sequence[str], index: Mapping[str, int]) -> dict[str, Found] | None:
    if commit is None:
        return None
    if commit["__typename"] != "Commit":
        raise ValueError(f"a {commit['__typename']} where a commit was asked for")
    return {path: _found(commit[f"f{index[path]}"]) for path in paths}


def _found(entry: Any) -> Found:
    """What REST would answer for a file, or ASK_REST where GraphQL's answer may differ from it."""
    if entry is None:
        return None
    if entry["type"] != "blob":  # a folder or a submodule: REST has no file of that name either
        return None
    blob = entry["object"] or {}
    text = blob.get("text")
    exact = (
        entry["mode"] != _SYMLINK  # REST answers a link with the file it points to
        and blob.get("__typename") == "Blob"
        and blob.get("isBinary") is False
        and blob.get("isTruncated") is False
        and isinstance(text, str)
        # GitHub answers other encodings as UTF-8: REST's bytes would not be this text.
        and len(text.encode("utf-8")) == blob.get("byteSize")
    )
    return text if exact and isinstance(text, str) else ASK_REST
