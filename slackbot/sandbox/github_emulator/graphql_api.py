"""GitHub's GraphQL API, ``POST /graphql``: queries executed with graphql-core against
``graphql_schema.graphql``, a true subset of GitHub's public schema (repositories, refs, git
objects, a commit's files, blobs, the rate limit), answered as GitHub answers them.

- Credentials are the REST API's (the server checks them first: 401 "Bad credentials").
- A body that is not JSON: 400 "Problems parsing JSON". Otherwise always HTTP 200, with
  ``{"data": …, "errors": […]}`` (``errors`` only when there are some): a query that does not
  parse or validate answers ``errors`` alone and costs nothing.
- An unknown repository is ``data.repository: null`` and an error of ``type: "NOT_FOUND"`` with its
  ``path``, ``locations`` and GitHub's message; a missing ref, object or file is null, no error.
- Points: GitHub charges a query its connections' requests over 100, at least 1; this subset has
  no connections, so every query costs 1, from 5,000 points an hour on the emulator's clock
  (``points_per_hour``), said in ``X-RateLimit-*`` with ``X-RateLimit-Resource: graphql`` and in
  ``rateLimit``. Beyond them: 200 with an error of ``type: "RATE_LIMITED"`` and nothing answered.
  The REST limit is not touched, nor the secondary limit on content creation (a query creates
  nothing).
- ``Blob.text`` is the blob's UTF-8 text, cut at 512,000 bytes (``isTruncated``); null for a
  binary blob (``isBinary``: a NUL byte in its first 8,000 bytes, git's rule). GitHub detects other
  encodings and answers them as UTF-8 without documenting how: text that is not UTF-8 is answered
  here as if read as Latin-1, so ``byteSize`` and the text's UTF-8 length differ, as they may on
  GitHub. A submodule's ``TreeEntry.object`` is null (the commit is in another repository).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    build_schema,
    execute_sync,
    parse,
    validate,
)

from slackbot.sandbox.github_emulator.api import (
    BOT_LOGIN,
    Api,
    ApiError,
    Clock,
    Json,
    Reply,
    Repo,
    Request,
    iso,
)
from slackbot.sandbox.github_emulator.graphql_git import ObjectReader
from slackbot.sandbox.github_emulator.shapes import node_id, stable_id
from slackbot.sandbox.gitrepo import TreeEntry

GRAPHQL_PATH = "/graphql"
SCHEMA_FILE = "graphql_schema.graphql"
POINTS_PER_HOUR = 5000
POINTS_WINDOW = 3600.0
TEXT_LIMIT = 512_000  # bytes of Blob.text, as GitHub cuts it
_BINARY_PROBE = 8000  # git calls a blob binary when a NUL byte is among its first 8,000 bytes
_TYPENAMES = {"commit": "Commit", "tree": "Tree", "blob": "Blob", "tag": "Tag"}
QUERIES_KEPT = 100
NO_QUERY = "A query attribute must be specified and must be a string."


# -- the objects a query walks through ----------------------------------------------------------------


@dataclass
class _Context:
    """One request's view: the repositories, each one's objects through one git process, and git
    answers memoised for the request's length."""

    api: Api
    rate_limit: Json
    memo: dict[tuple[str, ...], Any] = field(default_factory=dict)
    readers: dict[str, ObjectReader] = field(default_factory=dict)

    def remember(self, key: tuple[str, ...], compute: Callable[[], Any]) -> Any:
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    def objects(self, repo: Repo) -> ObjectReader:
        if repo.full_name not in self.readers:
            self.readers[repo.full_name] = ObjectReader(repo.git)
        return self.readers[repo.full_name]

    def close(self) -> None:
        for reader in self.readers.values():
            reader.close()


@dataclass(frozen=True)
class _Object:
    """A git object of a repository: ``kind`` is commit, tree, blob or tag."""

    repo: Repo
    kind: str
    sha: str


@dataclass(frozen=True)
class _Ref:
    repo: Repo
    name: str  # full: refs/heads/prod
    sha: str


@dataclass(frozen=True)
class _Entry:
    repo: Repo
    entry: TreeEntry


class _NotFound(Exception):
    """GitHub's NOT_FOUND: the field is null and the error says what could not be resolved."""


def _info_context(info: GraphQLResolveInfo[_Context]) -> _Context:
    context: _Context = info.context
    return context


def _object_of(info: GraphQLResolveInfo[_Context], repo: Repo, sha: str) -> _Object | None:
    found = _info_context(info).objects(repo).info(sha)
    return _Object(repo, found.kind, sha) if found is not None and found.kind in _TYPENAMES else None


# -- resolvers: one per field of the schema -------------------------------------------------------------


def _repository(_root: None, info: GraphQLResolveInfo[_Context], **args: Any) -> Repo:
    owner, name = str(args["owner"]), str(args["name"])
    try:
        return _info_context(info).api.repo(
            Request("POST", GRAPHQL_PATH, {}, None, {"owner": owner, "repo": name})
        )
    except ApiError:
        raise _NotFound(f"Could not resolve to a Repository with the name '{owner}/{name}'.") from None


def _ref(repo: Repo, info: GraphQLResolveInfo[_Context], **args: Any) -> _Ref | None:
    """Fully qualified first (``refs/heads/prod``), then the short name as a branch, then a tag."""
    name = str(args["qualifiedName"])
    refs: dict[str, str] = _info_context(info).remember(("refs", repo.full_name), repo.git.refs)
    for candidate in (name, f"refs/heads/{name}", f"refs/tags/{name}"):
        if candidate.startswith("refs/") and candidate in refs:
            return _Ref(repo, candidate, refs[candidate])
    return None


def _git_object(repo: Repo, info: GraphQLResolveInfo[_Context], **args: Any) -> _Object | None:
    oid, expression = args.get("oid"), args.get("expression")
    if isinstance(oid, str):
        return _object_of(info, repo, oid)
    if (
        isinstance(expression, str)
        and expression
        and not expression.startswith("-")
        and "\0" not in expression
    ):
        found = repo.git.run("rev-parse", "--verify", "--quiet", expression, ok_codes=(0, 1, 128))
        sha = found.stdout.decode().strip()
        return _object_of(info, repo, sha) if found.returncode == 0 and len(sha) == 40 else None
    return None


def _file(commit: _Object, info: GraphQLResolveInfo[_Context], **args: Any) -> _Entry | None:
    path = str(args["path"]).strip("/")
    if not path:
        return None
    entry = _info_context(info).objects(commit.repo).entry(commit.sha, path)
    return _Entry(commit.repo, entry) if entry is not None else None


def _entry_object(entry: _Entry, info: GraphQLResolveInfo[_Context]) -> _Object | None:
    if entry.entry.type == "commit":  # a submodule: its commit is in another repository
        return None
    return _object_of(info, entry.repo, entry.entry.sha)


def _blob(blob: _Object, info: GraphQLResolveInfo[_Context]) -> bytes:
    return _info_context(info).objects(blob.repo).data(blob.sha)


def _binary(blob: _Object, info: GraphQLResolveInfo[_Context]) -> bool:
    return b"\0" in _blob(blob, info)[:_BINARY_PROBE]


def _text(blob: _Object, info: GraphQLResolveInfo[_Context]) -> str | None:
    if _binary(blob, info):
        return None
    data = _blob(blob, info)[:TEXT_LIMIT]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(data) - 3 and len(_blob(blob, info)) > TEXT_LIMIT:
            return data[: error.start].decode("utf-8")  # cut inside a character
        return data.decode("latin-1")


def _tag_header(tag: _Object, info: GraphQLResolveInfo[_Context]) -> dict[str, str]:
    head = _info_context(info).objects(tag.repo).data(tag.sha).decode("utf-8", "replace").split("\n\n", 1)[0]
    return dict(line.split(" ", 1) for line in head.splitlines() if " " in line)


def _tag_target(tag: _Object, info: GraphQLResolveInfo[_Context]) -> _Object | None:
    return _object_of(info, tag.repo, _tag_header(tag, info)["object"])


def _object_fields(kind: str) -> dict[str, Callable[..., Any]]:
    prefix = {"commit": "C_", "tree": "T_", "blob": "B_", "tag": "TAG_"}[kind]
    return {
        "abbreviatedOid": lambda o, _i: o.sha[:7],
        "id": lambda o, _i: node_id(prefix, f"{o.repo.full_name}:{o.sha}"),
        "oid": lambda o, _i: o.sha,
    }


def _commit_message(commit: _Object, info: GraphQLResolveInfo[_Context]) -> str:
    data = _info_context(info).objects(commit.repo).data(commit.sha).decode("utf-8", "replace")
    return data.split("\n\n", 1)[1].rstrip("\n") if "\n\n" in data else ""


RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "Query": {
        "repository": _repository,
        "rateLimit": lambda _root, info: _info_context(info).rate_limit,
    },
    "RateLimit": {
        name: lambda limit, info: limit[info.field_name]
        for name in ("cost", "limit", "remaining", "resetAt", "used")
    },
    "Repository": {
        "id": lambda repo, _i: node_id("R_", repo.full_name),
        "name": lambda repo, _i: repo.name,
        "nameWithOwner": lambda repo, _i: repo.full_name,
        "object": _git_object,
        "ref": _ref,
    },
    "Ref": {
        "id": lambda ref, _i: node_id("REF_", f"{ref.repo.full_name}:{ref.name}"),
        "name": lambda ref, _i: ref.name.split("/", 2)[2],
        "prefix": lambda ref, _i: ref.name[: len(ref.name) - len(ref.name.split("/", 2)[2])],
        "target": lambda ref, info: _object_of(info, ref.repo, ref.sha),
    },
    "Commit": {**_object_fields("commit"), "file": _file, "message": _commit_message},
    "Tree": _object_fields("tree"),
    "Blob": {
        **_object_fields("blob"),
        "byteSize": lambda blob, info: len(_blob(blob, info)),
        "isBinary": _binary,
        "isTruncated": lambda blob, info: len(_blob(blob, info)) > TEXT_LIMIT,
        "text": _text,
    },
    "Tag": {
        **_object_fields("tag"),
        "name": lambda tag, info: _tag_header(tag, info)["tag"],
        "target": _tag_target,
    },
    "TreeEntry": {
        "mode": lambda e, _i: int(e.entry.mode, 8),
        "name": lambda e, _i: e.entry.name,
        "object": _entry_object,
        "oid": lambda e, _i: e.entry.sha,
        "path": lambda e, _i: e.entry.path,
        "size": lambda e, _i: e.entry.size or 0,
        "type": lambda e, _i: e.entry.type,
    },
}


def sdl() -> str:
    """The schema the emulator serves, as SDL."""
    return resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@cache
def schema() -> GraphQLSchema:
    """The served schema with every field resolved (a field without a resolver is a mistake here)."""
    built = build_schema(sdl())
    for name, kind in built.type_map.items():
        if isinstance(kind, GraphQLObjectType) and not name.startswith("__"):
            resolvers = RESOLVERS.get(name, {})
            missing = set(kind.fields) - set(resolvers)
            if missing:
                raise RuntimeError(f"the GraphQL emulator resolves no {name}.{', '.join(sorted(missing))}")
            for field_name, resolve in resolvers.items():
                kind.fields[field_name].resolve = resolve
        elif isinstance(kind, GraphQLInterfaceType):
            kind.resolve_type = lambda obj, _info, _type: _TYPENAMES[obj.kind]
    return built


# -- the endpoint ---------------------------------------------------------------------------------------


class _Points:
    """The points used in this hour's window, on the emulator's clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._used = 0
        self._start = clock().timestamp()

    def charge(self, cost: int, limit: int) -> bool:
        """Take ``cost`` points if the window has them."""
        with self._lock:
            self._roll()
            if self._used + cost > limit:
                return False
            self._used += cost
            return True

    def _roll(self) -> None:
        if self._clock().timestamp() - self._start >= POINTS_WINDOW:
            self._start = self._clock().timestamp()
            self._used = 0

    def state(self, limit: int) -> tuple[int, int, int]:
        """(used, remaining, reset as a POSIX timestamp)."""
        with self._lock:
            self._roll()
            return self._used, max(0, limit - self._used), int(self._start + POINTS_WINDOW)


class GraphQLEndpoint:
    """``POST /graphql`` of one emulator, with its own points budget (``points_per_hour``)."""

    def __init__(self, api: Api, clock: Clock, points_per_hour: int = POINTS_PER_HOUR) -> None:
        self._api = api
        self._points = _Points(clock)
        self.points_per_hour = points_per_hour
        self._asked: deque[tuple[str, Json]] = deque(maxlen=QUERIES_KEPT)
        self._asked_lock = threading.Lock()

    def queries(self) -> list[tuple[str, Json]]:
        """The last ``QUERIES_KEPT`` queries asked, with their variables, oldest first (a test hook)."""
        with self._asked_lock:
            return list(self._asked)

    def points_used(self) -> int:
        """Points charged in this hour's window."""
        return self._points.state(self.points_per_hour)[0]

    def answer(self, body: bytes) -> Reply:
        request = _request_body(body)
        query, variables = request.get("query"), request.get("variables") or {}
        if not isinstance(query, str) or not query.strip():
            return self._reply({"errors": [{"message": NO_QUERY}]})
        if not isinstance(variables, dict):
            return self._reply({"errors": [{"message": "Variables are invalid JSON."}]})
        with self._asked_lock:
            self._asked.append((query, variables))
        try:
            document = parse(query)
        except GraphQLError as error:
            return self._reply({"errors": [_formatted(error)]})
        problems = validate(schema(), document)
        if problems:
            return self._reply({"errors": [_formatted(e) for e in problems]})
        cost = 1  # no connections in this subset: GitHub's minimum
        if not self._points.charge(cost, self.points_per_hour):
            user = stable_id(f"user:{BOT_LOGIN}")
            limited = {"type": "RATE_LIMITED", "message": f"API rate limit exceeded for user ID {user}."}
            return self._reply({"errors": [limited]})
        used, remaining, reset = self._points.state(self.points_per_hour)
        rate_limit = {
            "cost": cost,
            "limit": self.points_per_hour,
            "remaining": remaining,
            "resetAt": iso(reset),
            "used": used,
        }
        operation = request.get("operationName")
        context = _Context(self._api, rate_limit)
        try:
            result = execute_sync(
                schema(),
                document,
                variable_values=variables,
                operation_name=operation if isinstance(operation, str) else None,
                context_value=context,
            )
        finally:
            context.close()
        return self._reply(_result_body(result))

    def _reply(self, body: Json) -> Reply:
        used, remaining, reset = self._points.state(self.points_per_hour)
        headers = {
            "X-RateLimit-Limit": str(self.points_per_hour),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Used": str(used),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Resource": "graphql",
        }
        return Reply(200, body, headers)


def _request_body(body: bytes) -> Json:
    try:
        request = json.loads(body) if body.strip() else None
    except ValueError as error:
        raise ApiError(400, "Problems parsing JSON") from error
    if not isinstance(request, dict):
        raise ApiError(400, "Problems parsing JSON")
    return request


def _result_body(result: ExecutionResult) -> Json:
    body: Json = {} if result.data is None and result.errors else {"data": result.data}
    if result.errors:
        body["errors"] = [_formatted(error) for error in result.errors]
    return body


def _formatted(error: GraphQLError) -> Json:
    formatted: Json = dict(error.formatted)
    if isinstance(error.original_error, _NotFound):
        formatted = {"type": "NOT_FOUND", **formatted}
    return formatted
