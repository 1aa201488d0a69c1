"""A loopback GitHub REST API (v3) emulator backed by real bare git repositories.

PyGithub talks to it unchanged (``Github(base_url=emulator.base_url, ...)``), so the adapter code
that runs against github.com runs against this in the demo and the tests. It serves
``repos_dir/OWNER/NAME.git`` (looked up per request, so repositories created later appear) and
answers with GitHub's JSON shapes, status codes and messages, ETags and conditional requests (a
304 does not count against the rate limit), rate-limit headers, and pagination ``Link`` headers.
Pull requests and commit statuses persist as JSON inside each bare repository
(``NAME.git/emulator/``), so a restart keeps them; merges write real merge commits.
:func:`merge_pull_request` merges as a person pressing GitHub's button would, through the same
code as ``PUT .../pulls/{n}/merge`` (the demo console and scripts use it).

Writes: refs (create; update fast-forward only unless ``force``), file contents (``PUT
.../contents/{path}``), pull requests, merges and commit statuses. Branches matching a pattern in
``NAME.git/emulator-protected`` behave as GitHub's protected branches that require pull requests:
a merge of a pull request may move them, nothing else (contents 409 and ref updates 422 "Changes
must be made through a pull request."). Deleting refs or files is not emulated (404).

GitHub App authentication (``app=(app_id, public_key_pem)``): ``POST
/app/installations/{id}/access_tokens`` checks the ``Authorization: Bearer`` JWT as GitHub does
(RS256, signed by the App's key, ``iss`` the App id as a string or a number, ``iat`` not in the
future and ``exp`` not past nor more than 10 minutes ahead, each with 60 s of clock drift; 401 with
GitHub's messages otherwise) and answers 201 with an installation token (``ghs_...``) and its
``expires_at``. Those tokens are then accepted like ``token`` by every other endpoint until they
expire (401 "Bad credentials" after). ``app_installations`` limits the installations (404 "Not
Found" for others; any id by default); ``installation_token_ttl`` shortens the hour a token lives.
With ``app`` set every other endpoint needs ``token`` or a live installation token.
PyGithub's ``AppInstallationAuth`` calls nothing else (no ``GET /app/installations/{id}``).

Test hooks: ``requests`` (a log of every request, writes and refusals included),
``inject_fault`` (answer the next matching requests with an error, e.g. 502 or a rate-limit 403),
``delay`` (latency before every answer), ``token`` (401 "Bad credentials" for any other token),
``write_limit_per_minute`` (GitHub's secondary rate limit: 403 with ``Retry-After: 60`` for
writes beyond it; off by default) and ``installation_tokens`` (the App's tokens, oldest first).

Only the standard library and the ``git`` CLI (see :mod:`slackbot.sandbox.gitrepo`); GitHub App
authentication also needs PyJWT and cryptography (PyGithub's own dependencies), imported only then.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fnmatch
import hashlib
import http
import itertools
import json
import logging
import os
import re
import secrets
import string
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from slackbot.sandbox.gitrepo import CommitInfo, GitError, GitRepo, Identity, Signature, TreeEntry
from slackbot.sandbox.loopback import LoopbackHandler, LoopbackHTTPServer, LoopbackServer

if sys.platform != "win32":
    import fcntl

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

log = logging.getLogger(__name__)

DOCS_URL = "https://docs.github.com/rest"
RATE_LIMIT = 5000
RATE_WINDOW = 3600.0
BOT_LOGIN = "sandbox-bot"
BOT_IDENTITY = Identity(BOT_LOGIN, f"{BOT_LOGIN}@users.noreply.example.test")
GITHUB_COMMITTER = Identity("GitHub", "noreply@github.com")
PROTECTED_FILE = "emulator-protected"  # branch patterns (fnmatch), one a line, in NAME.git/
STATE_DIR = "emulator"  # pulls.json and statuses.json, in NAME.git/
STATUS_STATES = ("error", "failure", "pending", "success")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WRITE_WINDOW = 60.0  # seconds; the secondary rate limit counts writes per minute
SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit and have been temporarily blocked from content creation. "
    "Please retry your request again later."
)

# GitHub App authentication: what GitHub answers for a JWT it refuses, and what it allows.
JWT_UNDECODABLE = "A JSON web token could not be decoded"
JWT_IAT_INVALID = (
    "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
)
JWT_EXP_PAST = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
JWT_EXP_TOO_FAR = "'Expiration time' claim ('exp') is too far in the future"
JWT_MAX_LIFETIME = 600.0  # seconds: ``exp`` at most 10 minutes ahead
JWT_CLOCK_DRIFT = 60.0  # seconds allowed either way between the App's clock and ours
INSTALLATION_TOKEN_TTL = 3600.0
APP_PERMISSIONS = {"contents": "write", "metadata": "read", "pull_requests": "write", "statuses": "write"}
_PERMISSION_LEVELS = {"read": 1, "write": 2, "admin": 3}
_TOKEN_ALPHABET = string.ascii_letters + string.digits
_ACCESS_TOKENS = re.compile(r"/app/installations/(?P<installation>\d+)/access_tokens")

Json = dict[str, Any]


# -- records and errors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRecord:
    """One request as answered. ``path`` and ``query`` are percent-decoded; times are ``time.monotonic()``."""

    method: str
    path: str
    query: str
    status: int
    started: float
    finished: float
    conditional: bool


@dataclass(frozen=True)
class InstallationToken:
    """An installation access token issued to the GitHub App; ``expires`` is a ``time.time()``."""

    installation_id: int
    token: str
    expires: float


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    headers: dict[str, str]
    body: Json | None


class ApiError(Exception):
    """An answer other than success, in GitHub's shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[Json] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> Json:
        body: Json = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        body["documentation_url"] = DOCS_URL
        body["status"] = str(self.status)
        return body


def _not_found(message: str = "Not Found") -> ApiError:
    return ApiError(404, message)


def _validation_failed(*errors: Json) -> ApiError:
    return ApiError(422, "Validation Failed", errors=list(errors))


def _pr_error(message: str) -> ApiError:
    return _validation_failed({"resource": "PullRequest", "code": "custom", "message": message})


def _pr_field_error(field_name: str, code: str) -> ApiError:
    return _validation_failed({"resource": "PullRequest", "field": field_name, "code": code})


# -- requests, replies and the repository context --------------------------------------------------


@dataclass
class _Request:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    args: dict[str, str] = field(default_factory=dict)  # the route's groups, percent-decoded

    def json_field(self, name: str, default: Any = None) -> Any:
        return self.body.get(name, default) if isinstance(self.body, dict) else default


@dataclass
class _Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Repo:
    """One served repository, with the URLs GitHub would give its resources."""

    owner: str
    name: str
    git: GitRepo
    base_url: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def api(self, *tail: str) -> str:
        return "/".join([f"{self.base_url}/repos/{self.full_name}", *tail])

    def html(self, *tail: str) -> str:
        return "/".join([f"{self.base_url}/{self.full_name}", *tail])

    def default_branch(self) -> str:
        branches = self.git.branches()
        if "main" in branches:
            return "main"
        head = self.git.head_branch()
        if head in branches or not branches:
            return head or "main"
        return sorted(branches)[0]

    def protected(self, branch: str) -> bool:
        path = self.git.path / PROTECTED_FILE
        if not path.is_file():
            return False
        patterns = [p.strip() for p in path.read_text(encoding="utf-8").splitlines()]
        return any(p and not p.startswith("#") and fnmatch.fnmatchcase(branch, p) for p in patterns)

    def state_path(self, name: str) -> Path:
        return self.git.path / STATE_DIR / f"{name}.json"


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="/")


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> str:
    return _iso(time.time())


def _stable_id(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 1_000_000_000


def _node_id(kind: str, key: str) -> str:
    return base64.b64encode(f"0:{kind}{_stable_id(key)}".encode()).decode().rstrip("=")


def _b64(data: bytes) -> str:
    # GitHub wraps base64 content at 60 characters a line.
    text = base64.b64encode(data).decode()
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


# -- JSON shapes ----------------------------------------------------------------------------------


def _user_json(base_url: str, login: str, kind: str = "User") -> Json:
    return {
        "login": login,
        "id": _stable_id(f"user:{login}"),
        "node_id": _node_id("U_", login),
        "avatar_url": f"{base_url}/avatars/{login}",
        "gravatar_id": "",
        "url": f"{base_url}/users/{login}",
        "html_url": f"{base_url}/{login}",
        "repos_url": f"{base_url}/users/{login}/repos",
        "type": kind,
        "site_admin": False,
    }


def _repo_json(repo: _Repo) -> Json:
    created = _iso(repo.git.path.stat().st_ctime)
    return {
        "id": _stable_id(f"repo:{repo.full_name}"),
        "node_id": _node_id("R_", repo.full_name),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": False,
        "owner": _user_json(repo.base_url, repo.owner, "Organization"),
        "html_url": repo.html(),
        "description": None,
        "fork": False,
        "url": repo.api(),
        "branches_url": repo.api("branches{/branch}"),
        "commits_url": repo.api("commits{/sha}"),
        "compare_url": repo.api("compare/{base}...{head}"),
        "contents_url": repo.api("contents/{+path}"),
        "git_refs_url": repo.api("git/refs{/sha}"),
        "pulls_url": repo.api("pulls{/number}"),
        "statuses_url": repo.api("statuses/{sha}"),
        "clone_url": repo.html() + ".git",
        "created_at": created,
        "updated_at": created,
        "pushed_at": created,
        "default_branch": repo.default_branch(),
        "visibility": "public",
        "archived": False,
        "disabled": False,
        "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
    }


def _signature_json(sig: Signature) -> Json:
    return {"name": sig.name, "email": sig.email, "date": _iso(sig.timestamp)}


def _git_commit_json(repo: _Repo, info: CommitInfo) -> Json:
    return {
        "sha": info.sha,
        "node_id": _node_id("C_", f"{repo.full_name}:{info.sha}"),
        "url": repo.api("git/commits", info.sha),
        "html_url": repo.html("commit", info.sha),
        "author": _signature_json(info.author),
        "committer": _signature_json(info.committer),
        "message": info.message,
        "tree": {"sha": info.tree, "url": repo.api("git/trees", info.tree)},
        "parents": [
            {"sha": p, "url": repo.api("git/commits", p), "html_url": repo.html("commit", p)}
            for p in info.parents
        ],
        "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None},
    }


def _commit_json(repo: _Repo, info: CommitInfo, *, with_files: bool = False) -> Json:
    git_commit = _git_commit_json(repo, info)
    body: Json = {
        "sha": info.sha,
        "node_id": git_commit["node_id"],
        "url": repo.api("commits", info.sha),
        "html_url": repo.html("commit", info.sha),
        "comments_url": repo.api("commits", info.sha, "comments"),
        "commit": {
            "url": git_commit["url"],
            "author": git_commit["author"],
            "committer": git_commit["committer"],
            "message": info.message,
            "tree": git_commit["tree"],
            "comment_count": 0,
            "verification": git_commit["verification"],
        },
        # Commit authors are not mapped to accounts (GitHub gives null for unknown emails too).
        "author": _user_json(repo.base_url, BOT_LOGIN, "Bot")
        if info.author.email == BOT_IDENTITY.email
        else None,
        "committer": None,
        "parents": [
            {"sha": p, "url": repo.api("commits", p), "html_url": repo.html("commit", p)}
            for p in info.parents
        ],
    }
    if with_files:
        files = _files_json(repo, info.parents[0] if info.parents else None, info.sha)
        additions = sum(f["additions"] for f in files)
        deletions = sum(f["deletions"] for f in files)
        body["stats"] = {"total": additions + deletions, "additions": additions, "deletions": deletions}
        body["files"] = files
    return body


def _files_json(repo: _Repo, old: str | None, new: str) -> list[Json]:
    return [
        {
            "sha": change.sha,
            "filename": change.path,
            "status": change.status,
            "additions": change.additions,
            "deletions": change.deletions,
            "changes": change.additions + change.deletions,
            "blob_url": repo.html("blob", new, _quote(change.path)),
            "raw_url": repo.html("raw", new, _quote(change.path)),
            "contents_url": f"{repo.api('contents', _quote(change.path))}?ref={new}",
        }
        for change in repo.git.changed_files(old, new)
    ]


def _ref_json(repo: _Repo, name: str, sha: str) -> Json:
    kind = repo.git.object_type(sha) or "commit"
    return {
        "ref": name,
        "node_id": _node_id("REF_", f"{repo.full_name}:{name}"),
        # GitHub answers with the plural form and an unescaped ref name.
        "url": repo.api("git/refs", name.removeprefix("refs/")),
        "object": {"sha": sha, "type": kind, "url": repo.api(f"git/{kind}s", sha)},
    }


def _branch_json(repo: _Repo, name: str, info: CommitInfo) -> Json:
    protected = repo.protected(name)
    return {
        "name": name,
        "commit": _commit_json(repo, info),
        "_links": {"self": repo.api("branches", name), "html": repo.html("tree", name)},
        "protected": protected,
        "protection": {
            "enabled": protected,
            "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
        },
        "protection_url": repo.api("branches", name, "protection"),
    }


def _content_json(repo: _Repo, ref: str, entry: TreeEntry, data: bytes | None = None) -> Json:
    kind = {"tree": "dir", "commit": "submodule"}.get(
        entry.type, "symlink" if entry.mode == "120000" else "file"
    )
    url = f"{repo.api('contents', _quote(entry.path))}?ref={_quote(ref)}"
    git_url = repo.api("git/trees" if kind == "dir" else "git/blobs", entry.sha)
    html_url = repo.html("tree" if kind == "dir" else "blob", _quote(ref), _quote(entry.path))
    body: Json = {
        "type": kind,
        "size": entry.size or 0,
        "name": entry.name,
        "path": entry.path,
        "sha": entry.sha,
        "url": url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": repo.html("raw", _quote(ref), _quote(entry.path)) if kind == "file" else None,
        "_links": {"self": url, "git": git_url, "html": html_url},
    }
    if data is not None:
        body["encoding"] = "base64"
        body["content"] = _b64(data)
    return body


def _status_json(repo: _Repo, status: Json) -> Json:
    return {
        "url": repo.api("statuses", status["sha"]),
        "avatar_url": None,
        "id": status["id"],
        "node_id": _node_id("SC_", f"{repo.full_name}:{status['id']}"),
        "state": status["state"],
        "description": status["description"],
        "target_url": status["target_url"],
        "context": status["context"],
        "created_at": status["created_at"],
        "updated_at": status["updated_at"],
        "creator": _user_json(repo.base_url, BOT_LOGIN, "Bot"),
    }


# -- state persisted in the bare repository ---------------------------------------------------------


def _load_state(repo: _Repo, name: str) -> Json:
    path = repo.state_path(name)
    if not path.is_file():
        return {}
    data: Json = json.loads(path.read_text(encoding="utf-8"))
    return data


_STATE_LOCK = threading.RLock()
_state_files: dict[Path, tuple[int, int]] = {}  # lock file -> (descriptor, depth); guarded by _STATE_LOCK


@contextlib.contextmanager
def _state_lock(repo: _Repo) -> Iterator[None]:
    """Hold the pull requests and statuses of ``repo`` (read-modify-write, merges).

    Threads of this process wait on one lock; other processes (``slackbot sandbox github`` and a
    script merging with :func:`merge_pull_request`) on an advisory lock on ``NAME.git/emulator/lock``.
    Re-entrant within a thread.
    """
    path = repo.git.path / STATE_DIR / "lock"
    with _STATE_LOCK:
        fd, depth = _state_files.get(path, (-1, 0))
        if depth == 0:
            path.parent.mkdir(exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            if sys.platform != "win32":
                fcntl.flock(fd, fcntl.LOCK_EX)
        _state_files[path] = (fd, depth + 1)
        try:
            yield
        finally:
            fd, depth = _state_files.pop(path)
            if depth > 1:
                _state_files[path] = (fd, depth - 1)
            else:
                os.close(fd)  # releases the flock


def _save_state(repo: _Repo, name: str, data: Json) -> None:
    path = repo.state_path(name)
    path.parent.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
    Path(tmp).replace(path)  # atomic: a concurrent reader sees the old or the new file


# -- the API ------------------------------------------------------------------------------------------


class _Api:
    """GitHub's semantics over the bare repositories; the HTTP plumbing lives in GitHubEmulator."""

    def __init__(self, repos_dir: Path, base_url: str) -> None:
        self.repos_dir = repos_dir
        self.base_url = base_url

    def repo(self, req: _Request) -> _Repo:
        owner, name = req.args["owner"], req.args["repo"]
        path = self.repos_dir / owner / f"{name}.git"
        if not _inside(self.repos_dir, path) or not GitRepo(path).exists():
            found = self._find_case_insensitive(owner, name)
            if found is None:
                raise _not_found()
            path = found
        # GitHub answers with the canonical spelling of owner and name.
        return _Repo(path.parent.name, path.name.removesuffix(".git"), GitRepo(path), self.base_url)

    def _find_case_insensitive(self, owner: str, name: str) -> Path | None:
        if not self.repos_dir.is_dir():
            return None
        for owner_dir in self.repos_dir.iterdir():
            if owner_dir.name.lower() != owner.lower() or not owner_dir.is_dir():
                continue
            for repo_dir in owner_dir.iterdir():
                if repo_dir.name.lower() == f"{name}.git".lower() and GitRepo(repo_dir).exists():
                    return repo_dir
        return None

    def owners(self) -> set[str]:
        return {p.name for p in self.repos_dir.iterdir() if p.is_dir()} if self.repos_dir.is_dir() else set()


def _inside(root: Path, path: Path) -> bool:
    # Owner or name segments like ".." must not reach outside repos_dir.
    return os.path.normpath(path).startswith(os.path.normpath(root) + os.sep)


def _page(api: _Api, req: _Request, items: list[Any], default_per_page: int = 30) -> _Reply:
    """One page of ``items`` with GitHub's ``Link`` header."""
    per_page = _int_param(req, "per_page", default_per_page, maximum=max(100, default_per_page))
    page = _int_param(req, "page", 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    last = max(1, -(-len(items) // per_page))
    links = []
    if page < last:
        links += [_link(api, req, page + 1, "next"), _link(api, req, last, "last")]
    if page > 1:
        links += [_link(api, req, page - 1, "prev"), _link(api, req, 1, "first")]
    return _Reply(200, chunk, {"Link": ", ".join(links)} if links else {})


def _link(api: _Api, req: _Request, page: int, rel: str) -> str:
    query = urllib.parse.urlencode({**req.params, "page": str(page)})
    return f'<{api.base_url}{req.path}?{query}>; rel="{rel}"'


def _int_param(req: _Request, name: str, default: int, maximum: int | None = None) -> int:
    try:
        value = int(req.params.get(name, default))
    except ValueError:
        return default
    value = max(1, value)
    return min(value, maximum) if maximum else value


def _commit_or_404(repo: _Repo, ref: str) -> CommitInfo:
    info = repo.git.commit_info(ref)
    if info is None:
        raise _not_found()
    return info


def _strip_owner(ref: str) -> str:
    # "owner:branch" (compare, pull request heads); ":" is never part of a git ref name.
    return ref.split(":", 1)[1] if ":" in ref else ref


# -- endpoints: meta ----------------------------------------------------------------------------------


def get_root(api: _Api, req: _Request) -> _Reply:
    return _Reply(
        200,
        {
            "current_user_url": f"{api.base_url}/user",
            "rate_limit_url": f"{api.base_url}/rate_limit",
            "repository_url": f"{api.base_url}/repos/{{owner}}/{{repo}}",
        },
    )


def get_rate_limit(api: _Api, req: _Request) -> _Reply:
    # Filled in by GitHubEmulator, which owns the counters.
    return _Reply(200, {})


def get_user(api: _Api, req: _Request) -> _Reply:
    return _Reply(200, {**_user_json(api.base_url, BOT_LOGIN, "Bot"), "name": "Sandbox Bot"})


def get_named_user(api: _Api, req: _Request) -> _Reply:
    login = req.args["login"]
    if login == BOT_LOGIN:
        return get_user(api, req)
    owner = next((o for o in api.owners() if o.lower() == login.lower()), None)
    if owner is None:
        raise _not_found()
    return _Reply(200, _user_json(api.base_url, owner, "Organization"))


# -- endpoints: repositories, branches, refs -------------------------------------------------------------


def get_repo(api: _Api, req: _Request) -> _Reply:
    return _Reply(200, _repo_json(api.repo(req)))


def list_branches(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    items = [
        {
            "name": name,
            "commit": {"sha": sha, "url": repo.api("commits", sha)},
            "protected": repo.protected(name),
            "protection_url": repo.api("branches", name, "protection"),
        }
        for name, sha in sorted(repo.git.branches().items())
    ]
    return _page(api, req, items)


def get_branch(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    name = req.args["branch"]
    sha = repo.git.ref(f"refs/heads/{name}")
    if sha is None:
        raise _not_found("Branch not found")
    return _Reply(200, _branch_json(repo, name, _commit_or_404(repo, sha)))


def list_refs(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    return _page(api, req, [_ref_json(repo, n, s) for n, s in sorted(repo.git.refs().items())])


def get_ref(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    name = f"refs/{req.args['ref']}"
    sha = repo.git.ref(name)
    if sha is None:
        raise _not_found()
    return _Reply(200, _ref_json(repo, name, sha))


def get_refs_prefix(api: _Api, req: _Request) -> _Reply:
    """The older /git/refs/{ref}: the ref itself, else every ref its name is a prefix of."""
    repo = api.repo(req)
    name = f"refs/{req.args['ref']}"
    refs = repo.git.refs(name)
    if name in refs:
        return _Reply(200, _ref_json(repo, name, refs[name]))
    if not refs:
        raise _not_found()
    return _Reply(200, [_ref_json(repo, n, s) for n, s in sorted(refs.items())])


def get_matching_refs(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    prefix = f"refs/{req.args.get('ref', '')}"
    return _page(api, req, [_ref_json(repo, n, s) for n, s in sorted(repo.git.refs(prefix).items())])


def create_ref(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    name, sha = req.json_field("ref"), req.json_field("sha")
    if not isinstance(name, str) or not isinstance(sha, str):
        raise ApiError(422, 'Invalid request.\n\n"ref" and "sha" wasn\'t supplied.')
    if not name.startswith("refs/") or name.count("/") < 2 or not GitRepo.is_valid_ref_name(name):
        raise ApiError(422, f"{name} is not a valid ref name.")
    full = repo.git.full_sha(sha) if re.fullmatch(r"[0-9a-f]{40}", sha) else None
    if full is None:
        raise ApiError(422, "Object does not exist")
    with _state_lock(repo):
        if not repo.git.create_ref(name, full):
            raise ApiError(422, "Reference already exists")
    log.info("created %s at %s in %s", name, full[:12], repo.full_name)
    return _Reply(
        201, _ref_json(repo, name, full), {"Location": repo.api("git/refs", name.removeprefix("refs/"))}
    )


def update_git_ref(api: _Api, req: _Request) -> _Reply:
    """PATCH .../git/refs/{ref}: fast-forward only unless ``force``; protected branches refuse both."""
    repo = api.repo(req)
    name = f"refs/{req.args['ref']}"
    sha, force = req.json_field("sha"), req.json_field("force", False) is True
    if not isinstance(sha, str):
        raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
    with _state_lock(repo):
        current = repo.git.ref(name)
        if current is None:
            raise ApiError(422, "Reference does not exist")
        full = repo.git.full_sha(sha) if re.fullmatch(r"[0-9a-f]{40}", sha) else None
        if full is None:
            raise ApiError(422, "Object does not exist")
        fast_forward = repo.git.is_ancestor(current, full)
        if name.startswith("refs/heads/") and repo.protected(name.removeprefix("refs/heads/")):
            # What github.com answers for a branch whose protection requires pull requests.
            refusal = "Changes must be made through a pull request."
            if force and not fast_forward:
                refusal += " Cannot force-push to this branch"
            raise ApiError(422, refusal)
        if not fast_forward and not force:
            raise ApiError(422, "Update is not a fast forward")
        try:
            repo.git.update_ref(name, full, current, message="update via the API")
        except GitError as exc:  # moved by a push since we read it
            raise ApiError(422, "Update is not a fast forward") from exc
    log.info("moved %s to %s in %s%s", name, full[:12], repo.full_name, " (forced)" if force else "")
    return _Reply(200, _ref_json(repo, name, full))


# -- endpoints: git objects, contents, commits, compare -------------------------------------------------


def get_git_commit(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    sha = req.args["sha"]
    if repo.git.object_type(sha) != "commit":
        raise _not_found()
    return _Reply(200, _git_commit_json(repo, _commit_or_404(repo, sha)))


def get_blob(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    sha = repo.git.full_sha(req.args["sha"]) if repo.git.object_type(req.args["sha"]) == "blob" else None
    if sha is None:
        raise _not_found()
    data = repo.git.read_blob(sha)
    return _Reply(
        200,
        {
            "sha": sha,
            "node_id": _node_id("B_", f"{repo.full_name}:{sha}"),
            "size": len(data),
            "url": repo.api("git/blobs", sha),
            "content": _b64(data),
            "encoding": "base64",
        },
    )


def get_tree(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    ref = req.args["sha"]
    commit = repo.git.commit_info(ref)  # a commit sha or a branch name: its tree
    sha = commit.tree if commit else repo.git.full_sha(ref) if repo.git.object_type(ref) == "tree" else None
    if sha is None:
        raise _not_found()
    recursive = req.params.get("recursive", "") not in ("", "0", "false")
    entries = repo.git.list_tree(sha, recursive=recursive)
    tree = [
        {
            "path": e.path,
            "mode": e.mode,
            "type": e.type,
            "sha": e.sha,
            **({"size": e.size} if e.size is not None else {}),
            "url": repo.api("git/trees" if e.type == "tree" else "git/blobs", e.sha),
        }
        for e in entries
    ]
    return _Reply(200, {"sha": sha, "url": repo.api("git/trees", sha), "tree": tree, "truncated": False})


def get_contents(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    ref = req.params.get("ref") or repo.default_branch()
    commit = repo.git.resolve(ref)
    if commit is None:
        raise _not_found(f"No commit found for the ref {ref}")
    path = req.args.get("path", "").strip("/")
    entry = repo.git.tree_entry(commit, path)
    if entry is None:
        raise _not_found()
    if entry.type == "tree":
        children = repo.git.list_tree(entry.sha, entry.path)
        return _Reply(200, [_content_json(repo, ref, child) for child in children])
    data = repo.git.read_blob(entry.sha) if entry.type == "blob" else None
    return _Reply(200, _content_json(repo, ref, entry, data))


def put_contents(api: _Api, req: _Request) -> _Reply:
    """Create (201) or update (200) one file with a new commit on a branch (the default one if none)."""
    repo = api.repo(req)
    path = _content_path(req.args["path"])
    message, content = req.json_field("message"), req.json_field("content")
    missing = [n for n, v in (("message", message), ("content", content)) if not isinstance(v, str)]
    if missing:
        names = ", ".join(f'"{n}"' for n in missing)
        verb = "wasn't" if len(missing) == 1 else "weren't"
        raise ApiError(422, f"Invalid request.\n\n{names} {verb} supplied.")
    try:
        data = base64.b64decode("".join(str(content).split()), validate=True)
    except ValueError as exc:
        raise ApiError(422, "content is not valid Base64") from exc
    branch = req.json_field("branch") or repo.default_branch()
    sha = req.json_field("sha")
    author, committer = _identity_field(req, "author"), _identity_field(req, "committer")
    # As on GitHub: each defaults to the other, both to the authenticated user.
    committer = committer or author or BOT_IDENTITY
    author = author or committer
    with _state_lock(repo):
        parent = repo.git.ref(f"refs/heads/{branch}") if isinstance(branch, str) else None
        if parent is None:
            raise _not_found(f"Branch {branch} not found")
        entry = repo.git.tree_entry(parent, path)
        if entry is not None and not (isinstance(sha, str) and sha):
            raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
        if entry is not None and (sha != entry.sha or entry.type != "blob"):
            raise ApiError(409, f"{path} does not match {sha}")
        if repo.protected(branch):
            raise ApiError(409, "Changes must be made through a pull request.")
        try:
            tree = repo.git.tree_with_files(parent, {path: data})
        except GitError as exc:  # e.g. a file where the path needs a folder
            raise ApiError(422, f"Invalid request.\n\n{path} is not a valid path for a file.") from exc
        commit = repo.git.commit_tree(tree, [parent], message, author=author, committer=committer)
        try:
            repo.git.update_ref(f"refs/heads/{branch}", commit, parent, message=f"contents: {path}")
        except GitError as exc:  # a push landed since we read the branch
            raise ApiError(409, f"{path} does not match {sha}") from exc
    written = repo.git.tree_entry(commit, path)
    info = repo.git.commit_info(commit)
    if written is None or info is None:
        raise ApiError(500, "Server Error")
    log.info("%s %s on %s of %s", "updated" if entry else "created", path, branch, repo.full_name)
    body = {"content": _content_json(repo, branch, written), "commit": _git_commit_json(repo, info)}
    return _Reply(200 if entry is not None else 201, body)


def _content_path(raw: str) -> str:
    path = raw.strip("/")
    parts = path.split("/")
    if not path or any(p in ("", ".", "..", ".git") or "\0" in p for p in parts):
        raise ApiError(422, "path contains a malformed path component")
    return path


def _identity_field(req: _Request, name: str) -> Identity | None:
    value = req.json_field(name)
    if not isinstance(value, dict):
        return None
    person, email = value.get("name"), value.get("email")
    if not isinstance(person, str) or not isinstance(email, str) or not person or not email:
        raise ApiError(422, f'Invalid request.\n\n"name" and "email" are required in "{name}".')
    return Identity(person, email)


def get_commit(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    ref = req.args["ref"]
    info = repo.git.commit_info(ref)
    if info is None:
        raise ApiError(422, f"No commit found for SHA: {ref}")
    return _Reply(200, _commit_json(repo, info, with_files=True))


def list_commits(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    start = req.params.get("sha") or repo.default_branch()
    sha = repo.git.resolve(start)
    if sha is None:
        raise _not_found()
    per_page = _int_param(req, "per_page", 30, maximum=100)
    page = _int_param(req, "page", 1)
    # One commit more than the page tells whether there is a next page, without counting them all.
    infos = repo.git.log(
        sha, max_count=per_page + 1, skip=(page - 1) * per_page, path=req.params.get("path") or None
    )
    headers = {}
    if len(infos) > per_page:
        headers["Link"] = _link(api, req, page + 1, "next")
    return _Reply(200, [_commit_json(repo, i) for i in infos[:per_page]], headers)


def compare(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    basehead = req.args["basehead"]
    if "..." not in basehead:
        raise _not_found()
    base_ref, head_ref = (_strip_owner(part) for part in basehead.split("...", 1))
    base, head = repo.git.resolve(base_ref), repo.git.resolve(head_ref)
    if base is None or head is None:
        raise _not_found()
    merge_base = repo.git.merge_base(base, head)
    if merge_base is None:
        raise _not_found(f"No common ancestor between {base_ref} and {head_ref}.")
    ahead, behind = repo.git.count(base, head), repo.git.count(head, base)
    status = (
        "identical"
        if not ahead and not behind
        else "behind"
        if not ahead
        else "ahead"
        if not behind
        else "diverged"
    )
    commits = [_commit_json(repo, i) for i in repo.git.commits_between(base, head)]
    page = _page(api, req, commits, default_per_page=250)
    body = {
        "url": repo.api("compare", f"{_quote(base_ref)}...{_quote(head_ref)}"),
        "html_url": repo.html("compare", f"{_quote(base_ref)}...{_quote(head_ref)}"),
        "permalink_url": repo.html("compare", f"{base}...{head}"),
        "diff_url": repo.html("compare", f"{_quote(base_ref)}...{_quote(head_ref)}.diff"),
        "patch_url": repo.html("compare", f"{_quote(base_ref)}...{_quote(head_ref)}.patch"),
        "base_commit": _commit_json(repo, _commit_or_404(repo, base)),
        "merge_base_commit": _commit_json(repo, _commit_or_404(repo, merge_base)),
        "status": status,
        "ahead_by": ahead,
        "behind_by": behind,
        "total_commits": ahead,
        "commits": page.body,
        "files": _files_json(repo, merge_base, head),
    }
    return _Reply(200, body, page.headers)


# -- endpoints: commit statuses -------------------------------------------------------------------------


def create_status(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    sha = req.args["sha"]
    full = repo.git.full_sha(sha) if re.fullmatch(r"[0-9a-f]{7,40}", sha) else None
    if full is None or repo.git.object_type(full) != "commit":
        raise ApiError(422, f"No commit found for SHA: {sha}")
    state = req.json_field("state")
    if state not in STATUS_STATES:
        raise _validation_failed(
            {
                "resource": "Status",
                "field": "state",
                "code": "custom",
                "message": (f"state is not included in the list: {state}"),
            }
        )
    with _state_lock(repo):
        data = _load_state(repo, "statuses")
        status_id = int(data.get("next_id", 1))
        now = _now()
        status = {
            "id": status_id,
            "sha": full,
            "state": state,
            "context": req.json_field("context") or "default",
            "description": req.json_field("description"),
            "target_url": req.json_field("target_url"),
            "created_at": now,
            "updated_at": now,
        }
        data["next_id"] = status_id + 1
        data.setdefault("statuses", []).append(status)
        _save_state(repo, "statuses", data)
    return _Reply(201, _status_json(repo, status))


def _statuses_for(api: _Api, repo: _Repo, ref: str) -> tuple[str, list[Json]]:
    sha = repo.git.resolve(ref)
    if sha is None:
        raise _not_found()
    with _state_lock(repo):
        stored = _load_state(repo, "statuses").get("statuses", [])
    return sha, sorted((s for s in stored if s["sha"] == sha), key=lambda s: -int(s["id"]))  # newest first


def list_statuses(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    _sha, statuses = _statuses_for(api, repo, req.args["ref"])
    return _page(api, req, [_status_json(repo, s) for s in statuses])


def combined_status(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    sha, statuses = _statuses_for(api, repo, req.args["ref"])
    latest: dict[str, Json] = {}
    for status in statuses:  # newest first: the first seen per context wins
        latest.setdefault(status["context"], status)
    states = {s["state"] for s in latest.values()}
    state = (
        "failure"
        if states & {"error", "failure"}
        else "pending"
        if "pending" in states or not states
        else "success"
    )
    return _Reply(
        200,
        {
            "state": state,
            "statuses": [_status_json(repo, s) for s in latest.values()],
            "sha": sha,
            "total_count": len(latest),
            "repository": _repo_json(repo),
            "commit_url": repo.api("commits", sha),
            "url": repo.api("commits", sha, "status"),
        },
    )


# -- endpoints: pull requests -------------------------------------------------------------------------


def _pulls(repo: _Repo) -> list[Json]:
    pulls: list[Json] = _load_state(repo, "pulls").get("pulls", [])
    return pulls


def _find_pull(repo: _Repo, number: str) -> tuple[Json, Json]:
    """(all pull request state, the one numbered ``number``), or 404."""
    data = _load_state(repo, "pulls")
    for pr in data.get("pulls", []):
        if str(pr["number"]) == number:
            return data, pr
    raise _not_found()


def _pull_shas(repo: _Repo, pr: Json) -> tuple[str, str]:
    """Head and base shas: the branch tips while open, as frozen when it was closed or merged."""
    if pr["state"] != "open":
        return pr["head_sha"], pr["base_sha"]
    head = repo.git.ref(f"refs/heads/{pr['head_ref']}") or pr["head_sha"]
    base = repo.git.ref(f"refs/heads/{pr['base_ref']}") or pr["base_sha"]
    return head, base


def _pull_json(repo: _Repo, pr: Json, *, full: bool = True) -> Json:
    number = pr["number"]
    head_sha, base_sha = _pull_shas(repo, pr)
    merged = pr["merged_at"] is not None
    repo_json = _repo_json(repo)
    owner = _user_json(repo.base_url, repo.owner, "Organization")
    bot = _user_json(repo.base_url, BOT_LOGIN, "Bot")
    url = repo.api("pulls", str(number))
    body: Json = {
        "url": url,
        "id": _stable_id(f"pull:{repo.full_name}:{number}"),
        "node_id": _node_id("PR_", f"{repo.full_name}:{number}"),
        "html_url": repo.html("pull", str(number)),
        "diff_url": repo.html("pull", f"{number}.diff"),
        "patch_url": repo.html("pull", f"{number}.patch"),
        "issue_url": repo.api("issues", str(number)),
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": repo.api("pulls/comments{/number}"),
        "comments_url": repo.api("issues", str(number), "comments"),
        "statuses_url": repo.api("statuses", head_sha),
        "number": number,
        "state": pr["state"],
        "locked": False,
        "title": pr["title"],
        "user": bot,
        "body": pr["body"],
        "labels": [],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": pr["created_at"],
        "updated_at": pr["updated_at"],
        "closed_at": pr["closed_at"],
        "merged_at": pr["merged_at"],
        "merge_commit_sha": pr["merge_commit_sha"],
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": {
            "label": f"{repo.owner}:{pr['head_ref']}",
            "ref": pr["head_ref"],
            "sha": head_sha,
            "user": owner,
            "repo": repo_json,
        },
        "base": {
            "label": f"{repo.owner}:{pr['base_ref']}",
            "ref": pr["base_ref"],
            "sha": base_sha,
            "user": owner,
            "repo": repo_json,
        },
        "_links": {
            "self": {"href": url},
            "html": {"href": repo.html("pull", str(number))},
            "issue": {"href": repo.api("issues", str(number))},
            "comments": {"href": repo.api("issues", str(number), "comments")},
            "review_comments": {"href": f"{url}/comments"},
            "commits": {"href": f"{url}/commits"},
            "statuses": {"href": repo.api("statuses", head_sha)},
        },
        "author_association": "MEMBER",
        "auto_merge": None,
        "draft": pr["draft"],
    }
    if full:
        # GitHub computes mergeability in the background; the emulator simply computes it.
        mergeable: bool | None = None
        mergeable_state = "unknown"
        if pr["state"] == "open":
            mergeable = repo.git.merge_tree(base_sha, head_sha) is not None
            mergeable_state = "dirty" if not mergeable else "draft" if pr["draft"] else "clean"
        merge_base = repo.git.merge_base(base_sha, head_sha) or base_sha
        files = repo.git.changed_files(merge_base, head_sha)
        body.update(
            {
                "merged": merged,
                "mergeable": mergeable,
                "rebaseable": mergeable,
                "mergeable_state": mergeable_state,
                "merged_by": _login_json(repo, pr.get("merged_by") or BOT_LOGIN) if merged else None,
                "comments": 0,
                "review_comments": 0,
                "maintainer_can_modify": False,
                "commits": repo.git.count(merge_base, head_sha),
                "additions": sum(f.additions for f in files),
                "deletions": sum(f.deletions for f in files),
                "changed_files": len(files),
            }
        )
    return body


def _login_json(repo: _Repo, login: str) -> Json:
    return _user_json(repo.base_url, login, "Bot" if login == BOT_LOGIN else "User")


def list_pulls(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    state = req.params.get("state", "open")
    head = req.params.get("head", "")
    base = req.params.get("base")
    # Like GitHub, `head` filters only in the form OWNER:BRANCH; a bare branch name is ignored.
    head_owner, _, head_ref = head.partition(":") if ":" in head else ("", "", "")
    with _state_lock(repo):
        pulls = _pulls(repo)
    selected = [
        pr
        for pr in pulls
        if (state == "all" or pr["state"] == state)
        and (not head_ref or (head_owner.lower() == repo.owner.lower() and head_ref == pr["head_ref"]))
        and (base is None or base == pr["base_ref"])
    ]
    key = "updated_at" if req.params.get("sort") == "updated" else "created_at"
    selected.sort(
        key=lambda pr: (pr[key], pr["number"]), reverse=req.params.get("direction", "desc") != "asc"
    )
    return _page(api, req, [_pull_json(repo, pr, full=False) for pr in selected])


def get_pull(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    with _state_lock(repo):
        _data, pr = _find_pull(repo, req.args["number"])
        return _Reply(200, _pull_json(repo, pr))


def create_pull(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    title, head, base = req.json_field("title"), req.json_field("head"), req.json_field("base")
    for name, value in (("title", title), ("head", head), ("base", base)):
        if not isinstance(value, str) or not value:
            raise _pr_field_error(name, "missing_field")
    head_owner, _, head_ref = head.rpartition(":")
    if head_owner and head_owner.lower() != repo.owner.lower():
        raise _pr_field_error("head", "invalid")  # pull requests from forks are not emulated
    head_sha = repo.git.ref(f"refs/heads/{head_ref}")
    if head_sha is None:
        raise _pr_field_error("head", "invalid")
    base_sha = repo.git.ref(f"refs/heads/{base}")
    if base_sha is None:
        raise _pr_field_error("base", "invalid")
    with _state_lock(repo):
        data = _load_state(repo, "pulls")
        pulls = data.setdefault("pulls", [])
        if any(p["state"] == "open" and p["head_ref"] == head_ref and p["base_ref"] == base for p in pulls):
            raise _pr_error(f"A pull request already exists for {repo.owner}:{head_ref}.")
        if repo.git.count(base_sha, head_sha) == 0:
            raise _pr_error(f"No commits between {base} and {head}")
        number = int(data.get("next_number", 1))
        now = _now()
        pr = {
            "number": number,
            "title": title,
            "body": req.json_field("body"),
            "state": "open",
            "draft": bool(req.json_field("draft", False)),
            "head_ref": head_ref,
            "head_sha": head_sha,
            "base_ref": base,
            "base_sha": base_sha,
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
            "merged_at": None,
            "merge_commit_sha": None,
            "merged_by": None,
        }
        pulls.append(pr)
        data["next_number"] = number + 1
        repo.git.update_ref(f"refs/pull/{number}/head", head_sha)
        _save_state(repo, "pulls", data)
        log.info("opened pull request #%d %s -> %s in %s", number, head_ref, base, repo.full_name)
        return _Reply(201, _pull_json(repo, pr), {"Location": repo.api("pulls", str(number))})


def update_pull(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    with _state_lock(repo):
        data, pr = _find_pull(repo, req.args["number"])
        for name in ("title", "body"):
            if isinstance(req.json_field(name), str):
                pr[name] = req.json_field(name)
        base = req.json_field("base")
        if isinstance(base, str) and base != pr["base_ref"]:
            if pr["state"] != "open" or repo.git.ref(f"refs/heads/{base}") is None:
                raise _pr_field_error("base", "invalid")
            pr["base_ref"] = base
        state = req.json_field("state")
        if state not in (None, "open", "closed"):
            raise _pr_field_error("state", "invalid")
        if state == "closed" and pr["state"] == "open":
            pr["head_sha"], pr["base_sha"] = _pull_shas(repo, pr)
            pr["state"], pr["closed_at"] = "closed", _now()
        elif state == "open" and pr["state"] == "closed":
            if pr["merged_at"] is not None or repo.git.ref(f"refs/heads/{pr['head_ref']}") is None:
                raise _pr_error("state cannot be changed. The pull request cannot be reopened.")
            pr["state"], pr["closed_at"] = "open", None
        pr["updated_at"] = _now()
        _save_state(repo, "pulls", data)
        return _Reply(200, _pull_json(repo, pr))


def pull_merged(api: _Api, req: _Request) -> _Reply:
    """GET .../pulls/N/merge: 204 if merged, else 404 (PyGithub's PullRequest.is_merged)."""
    repo = api.repo(req)
    with _state_lock(repo):
        _data, pr = _find_pull(repo, req.args["number"])
    if pr["merged_at"] is None:
        raise _not_found()
    return _Reply(204)


def merge_pull(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    method = req.json_field("merge_method", "merge")
    if method not in ("merge", "squash", "rebase"):
        raise _validation_failed({"resource": "PullRequest", "field": "merge_method", "code": "invalid"})
    expected, title, message = (req.json_field(n) for n in ("sha", "commit_title", "commit_message"))
    sha = _merge(
        repo,
        req.args["number"],
        method=method,
        expected_head=expected if isinstance(expected, str) else None,
        commit_title=title if isinstance(title, str) and title else None,
        commit_message=message if isinstance(message, str) else None,
        merged_by=BOT_LOGIN,  # the authenticated user
    )
    return _Reply(200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"})


def _merge(
    repo: _Repo,
    number: str,
    *,
    method: str,
    expected_head: str | None,
    commit_title: str | None,
    commit_message: str | None,
    merged_by: str,
) -> str:
    """Merge pull request ``number`` as GitHub's button (and PUT .../merge) does; the merge commit's sha."""
    if method == "rebase":
        raise ApiError(405, "Rebase merges are not supported by the sandbox GitHub emulator.")
    with _state_lock(repo):
        data, pr = _find_pull(repo, number)
        if pr["state"] != "open":
            raise ApiError(405, "Pull Request is not mergeable")
        if pr["draft"]:
            raise ApiError(405, "Pull Request is still a draft")
        head_sha, base_sha = _pull_shas(repo, pr)
        if expected_head is not None and expected_head != head_sha:
            raise ApiError(409, "Head branch was modified. Review and try the merge again.")
        tree = repo.git.merge_tree(base_sha, head_sha)
        if tree is None:
            raise ApiError(405, "Pull Request is not mergeable")
        message = _merge_message(
            repo, pr, method=method, base=base_sha, head=head_sha, title=commit_title, text=commit_message
        )
        parents = [base_sha, head_sha] if method == "merge" else [base_sha]
        sha = repo.git.commit_tree(
            tree, parents, message, author=_login_identity(merged_by), committer=GITHUB_COMMITTER
        )
        try:
            # Compare-and-swap: a push that raced us must not be overwritten.
            repo.git.update_ref(
                f"refs/heads/{pr['base_ref']}", sha, base_sha, message=f"merge #{pr['number']}"
            )
        except GitError as exc:
            raise ApiError(405, "Base branch was modified. Review and try the merge again.") from exc
        repo.git.update_ref(f"refs/pull/{pr['number']}/head", head_sha)
        now = _now()
        pr.update(
            state="closed",
            merged_at=now,
            closed_at=now,
            updated_at=now,
            merge_commit_sha=sha,
            merged_by=merged_by,
            head_sha=head_sha,
            base_sha=base_sha,
        )
        _save_state(repo, "pulls", data)
    log.info(
        "merged pull request #%d into %s of %s as %s", pr["number"], pr["base_ref"], repo.full_name, sha[:12]
    )
    return sha


def _login_identity(login: str) -> Identity:
    return BOT_IDENTITY if login == BOT_LOGIN else Identity(login, f"{login}@users.noreply.example.test")


def _merge_message(
    repo: _Repo, pr: Json, *, method: str, base: str, head: str, title: str | None, text: str | None
) -> str:
    number = pr["number"]
    if method == "squash":
        title = title or f"{pr['title']} (#{number})"
        default = "\n".join(f"* {c.message.splitlines()[0]}" for c in repo.git.commits_between(base, head))
    else:
        title = title or f"Merge pull request #{number} from {repo.owner}/{pr['head_ref']}"
        default = pr["title"]
    body = text if text is not None else default
    return f"{title}\n\n{body}" if body else title


def list_pull_commits(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    with _state_lock(repo):
        _data, pr = _find_pull(repo, req.args["number"])
    head, base = _pull_shas(repo, pr)
    return _page(api, req, [_commit_json(repo, c) for c in repo.git.commits_between(base, head)])


def list_pull_files(api: _Api, req: _Request) -> _Reply:
    repo = api.repo(req)
    with _state_lock(repo):
        _data, pr = _find_pull(repo, req.args["number"])
    head, base = _pull_shas(repo, pr)
    return _page(api, req, _files_json(repo, repo.git.merge_base(base, head) or base, head))


def commit_pulls(api: _Api, req: _Request) -> _Reply:
    """Pull requests whose head contains the commit, or that merged it."""
    repo = api.repo(req)
    sha = repo.git.resolve(req.args["ref"])
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {req.args['ref']}")
    with _state_lock(repo):
        pulls = _pulls(repo)
    found = []
    for pr in pulls:
        head, base = _pull_shas(repo, pr)
        if pr["merge_commit_sha"] == sha or (
            repo.git.is_ancestor(sha, head) and not repo.git.is_ancestor(sha, base)
        ):
            found.append(_pull_json(repo, pr, full=False))
    return _page(api, req, found)


# -- the same, without HTTP (demo console, scripts) ---------------------------------------------------


def _local_repo(repo_dir: Path) -> _Repo:
    git = GitRepo(Path(repo_dir))
    if not git.exists():
        raise _not_found()
    return _Repo(git.path.parent.name, git.path.name.removesuffix(".git"), git, base_url="")


def merge_pull_request(
    repo_dir: Path,
    number: int,
    *,
    merged_by: str = BOT_LOGIN,
    merge_method: str = "merge",
    sha: str | None = None,
) -> str:
    """Merge pull request ``number`` of the bare repository ``repo_dir`` exactly as
    ``PUT .../pulls/{number}/merge`` does (same code, same state, same lock), as ``merged_by``.

    Returns the merge commit's sha; raises :class:`ApiError` with GitHub's status and message
    (404 no such pull request, 405 "Pull Request is not mergeable", 409 head moved past ``sha``).
    """
    return _merge(
        _local_repo(repo_dir),
        str(number),
        method=merge_method,
        expected_head=sha,
        commit_title=None,
        commit_message=None,
        merged_by=merged_by,
    )


def pull_request_summaries(repo_dir: Path) -> list[Json]:
    """Every pull request of ``repo_dir``, oldest first: number, title, head, base, state, merged,
    merged_by, merge_commit_sha and mergeable (computed now, None unless open)."""
    repo = _local_repo(repo_dir)
    with _state_lock(repo):
        pulls = _pulls(repo)
    summaries = []
    for pr in sorted(pulls, key=lambda p: int(p["number"])):
        head, base = _pull_shas(repo, pr)
        summaries.append(
            {
                "number": pr["number"],
                "title": pr["title"],
                "head": pr["head_ref"],
                "base": pr["base_ref"],
                "state": pr["state"],
                "merged": pr["merged_at"] is not None,
                "merged_by": pr.get("merged_by") or (BOT_LOGIN if pr["merged_at"] else None),
                "merge_commit_sha": pr["merge_commit_sha"],
                "mergeable": repo.git.merge_tree(base, head) is not None if pr["state"] == "open" else None,
            }
        )
    return summaries


# -- routing ------------------------------------------------------------------------------------------

Handler = Callable[[_Api, _Request], _Reply]
_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
# First match wins: longer paths before the catch-all ``(?P<ref>.+)`` ones. Matched against the raw
# (percent-encoded) path; groups are decoded afterwards, so `release%2F0.2.105` and
# `release/0.2.105` both work.
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (method, re.compile(pattern), handler)
    for method, pattern, handler in [
        ("GET", r"/", get_root),
        ("GET", r"/rate_limit", get_rate_limit),
        ("GET", r"/user", get_user),
        ("GET", r"/users/(?P<login>[^/]+)", get_named_user),
        ("GET", _REPO, get_repo),
        ("GET", _REPO + r"/branches", list_branches),
        ("GET", _REPO + r"/branches/(?P<branch>.+)", get_branch),
        ("GET", _REPO + r"/git/refs", list_refs),
        ("POST", _REPO + r"/git/refs", create_ref),
        ("GET", _REPO + r"/git/ref/(?P<ref>.+)", get_ref),
        ("GET", _REPO + r"/git/refs/(?P<ref>.+)", get_refs_prefix),
        ("PATCH", _REPO + r"/git/refs/(?P<ref>.+)", update_git_ref),
        ("GET", _REPO + r"/git/matching-refs(?:/(?P<ref>.*))?", get_matching_refs),
        ("GET", _REPO + r"/git/commits/(?P<sha>[^/]+)", get_git_commit),
        ("GET", _REPO + r"/git/blobs/(?P<sha>[^/]+)", get_blob),
        ("GET", _REPO + r"/git/trees/(?P<sha>.+)", get_tree),
        ("GET", _REPO + r"/contents(?:/(?P<path>.*))?", get_contents),
        ("PUT", _REPO + r"/contents/(?P<path>.+)", put_contents),
        ("GET", _REPO + r"/commits", list_commits),
        ("GET", _REPO + r"/commits/(?P<ref>.+)/statuses", list_statuses),
        ("GET", _REPO + r"/commits/(?P<ref>.+)/status", combined_status),
        ("GET", _REPO + r"/commits/(?P<ref>.+)/pulls", commit_pulls),
        ("GET", _REPO + r"/commits/(?P<ref>.+)", get_commit),
        ("GET", _REPO + r"/compare/(?P<basehead>.+)", compare),
        ("GET", _REPO + r"/statuses/(?P<ref>.+)", list_statuses),
        ("POST", _REPO + r"/statuses/(?P<sha>[^/]+)", create_status),
        ("GET", _REPO + r"/pulls", list_pulls),
        ("POST", _REPO + r"/pulls", create_pull),
        ("GET", _REPO + r"/pulls/(?P<number>\d+)", get_pull),
        ("PATCH", _REPO + r"/pulls/(?P<number>\d+)", update_pull),
        ("GET", _REPO + r"/pulls/(?P<number>\d+)/commits", list_pull_commits),
        ("GET", _REPO + r"/pulls/(?P<number>\d+)/files", list_pull_files),
        ("GET", _REPO + r"/pulls/(?P<number>\d+)/merge", pull_merged),
        ("PUT", _REPO + r"/pulls/(?P<number>\d+)/merge", merge_pull),
    ]
]


def _route(method: str, raw_path: str) -> tuple[Handler, dict[str, str]]:
    for route_method, pattern, handler in ROUTES:
        match = pattern.fullmatch(raw_path) if route_method == method else None
        if match is not None:
            return handler, {
                k: urllib.parse.unquote(v) for k, v in match.groupdict().items() if v is not None
            }
    raise _not_found()  # GitHub answers 404 for unknown paths and for unsupported methods alike


# -- HTTP ---------------------------------------------------------------------------------------------


class _Handler(LoopbackHandler):
    server: LoopbackHTTPServer[GitHubEmulator]
    disable_nagle_algorithm = True  # headers and body go out in two writes: no delayed-ACK stalls

    def _serve(self) -> None:
        headers, body = self.read_request()
        status, reply_headers, payload = self.server.owner._handle(self.command, self.path, headers, body)
        self.send_response(status)
        for name, value in reply_headers.items():
            self.send_header(name, value)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and status not in (204, 304):
            self.wfile.write(payload)

    # http.server dispatches on these names.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815


class GitHubEmulator(LoopbackServer):
    """Serve ``repos_dir/OWNER/NAME.git`` as GitHub's REST API on loopback."""

    def __init__(
        self,
        repos_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        delay: float = 0.0,
        token: str | None = None,
        rate_limit: int = RATE_LIMIT,
        write_limit_per_minute: int | None = None,
        app: tuple[int, str] | None = None,
        app_installations: Collection[int] | None = None,
        installation_token_ttl: float = INSTALLATION_TOKEN_TTL,
    ) -> None:
        self.repos_dir = Path(repos_dir)
        self.delay = delay
        self._token = token
        # The GitHub App (its id and public key), its installations (None: any id) and its tokens.
        self._app_id = str(app[0]) if app is not None else None
        self._app_key = _rsa_public_key(app[1]) if app is not None else None
        self._app_installations = frozenset(app_installations) if app_installations is not None else None
        self.installation_token_ttl = installation_token_ttl
        self._installation_tokens: dict[str, InstallationToken] = {}
        self.rate_limit = rate_limit
        # GitHub's secondary rate limit on content creation; None (the default) never limits.
        self.write_limit_per_minute = write_limit_per_minute
        self._writes: deque[float] = deque()  # monotonic times of recent writes
        super().__init__(host, port, _Handler, thread_name="github-emulator")
        self._api = _Api(self.repos_dir, self.base_url)
        self._lock = threading.Lock()
        self._log: list[RequestRecord] = []
        self._faults: list[_Fault] = []
        self._counted = 0  # since clear_log
        self._window_used = 0
        self._window_start = time.time()
        self._request_ids = itertools.count(1)

    def _announce(self) -> None:
        log.info("GitHub emulator serving %s at %s", self.repos_dir, self.base_url)

    # -- test hooks

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._counted = 0

    def inject_fault(
        self,
        method: str,
        path_pattern: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` ("*" for any) and ``path_pattern``
        (``re.search`` on the decoded path) with ``status`` instead, changing nothing."""
        fault = _Fault(method.upper(), re.compile(path_pattern), status, times, dict(headers or {}), body)
        with self._lock:
            self._faults.append(fault)

    @property
    def installation_tokens(self) -> list[InstallationToken]:
        """The installation tokens issued to the GitHub App, oldest first (expired ones included)."""
        with self._lock:
            return list(self._installation_tokens.values())

    def rate_limited_count(self) -> int:
        """Requests that counted against the rate limit since ``clear_log`` (not 304s, not /rate_limit)."""
        with self._lock:
            return self._counted

    # -- one request

    def _handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        started = time.monotonic()
        if self.delay > 0:
            time.sleep(self.delay)
        raw_path, _, query = target.partition("?")
        if len(raw_path) > 1:
            raw_path = raw_path.rstrip("/") or "/"
        path = urllib.parse.unquote(raw_path)
        shown_query = urllib.parse.unquote(query)
        conditional = "if-none-match" in headers or "if-modified-since" in headers
        reply = self._reply(method, raw_path, query, headers=headers, body=body)
        payload = b"" if reply.body is None else json.dumps(reply.body, indent=2).encode()
        if method == "GET" and reply.status == 200:
            # ETags are tied to the credentials, as on GitHub: a new token invalidates old ETags.
            digest = hashlib.sha256(headers.get("authorization", "").encode() + b"\0" + payload).hexdigest()
            etag = f'W/"{digest[:40]}"'
            reply.headers["ETag"] = etag
            if _etag_matches(headers.get("if-none-match"), etag):
                reply = _Reply(304, None, {"ETag": etag})
                payload = b""
        # As on GitHub: a 304 and a look at /rate_limit cost nothing.
        counted = reply.status != 304 and path != "/rate_limit"
        reply.headers.update(self._rate_headers(count=counted, override=reply.headers))
        if payload:
            reply.headers.setdefault("Content-Type", "application/json; charset=utf-8")
        reply.headers["X-GitHub-Request-Id"] = f"EMU0:{next(self._request_ids):08X}"
        reply.headers.setdefault("X-GitHub-Media-Type", "github.v3; format=json")
        if method == "GET" and reply.status in (200, 304):
            reply.headers.setdefault("Cache-Control", "private, max-age=60, s-maxage=60")
            reply.headers.setdefault("Vary", "Accept, Authorization, Cookie")
        finished = time.monotonic()
        record = RequestRecord(method, path, shown_query, reply.status, started, finished, conditional)
        with self._lock:
            self._log.append(record)
        log.debug("%s %s -> %d (%.1f ms)", method, path, reply.status, (finished - started) * 1000)
        return reply.status, reply.headers, payload

    def _reply(
        self, method: str, raw_path: str, query: str, *, headers: dict[str, str], body: bytes
    ) -> _Reply:
        path = urllib.parse.unquote(raw_path)
        fault = self._take_fault(method, path)
        if fault is not None:
            error = ApiError(fault.status, http.HTTPStatus(fault.status).phrase)
            return _Reply(
                fault.status, fault.body if fault.body is not None else error.body(), dict(fault.headers)
            )
        handler: Handler | None = None
        try:
            installation = self._installation_in(method, raw_path)
            if installation is None:
                self._check_token(headers.get("authorization"))
            else:
                self._check_app_jwt(headers.get("authorization"))
            self._check_rate_limit()
            if installation is not None:
                reply = self._issue_installation_token(installation, _parse_json(body))
            else:
                if method in WRITE_METHODS:
                    self._check_write_limit()
                handler, args = _route(method, raw_path)
                params = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
                request = _Request(method, raw_path, params, _parse_json(body), args)
                reply = handler(self._api, request)
        except ApiError as error:
            return _Reply(error.status, error.body(), dict(error.headers))
        except Exception:
            log.exception("GitHub emulator failed on %s %s", method, path)
            return _Reply(500, {"message": "Server Error", "documentation_url": DOCS_URL, "status": "500"})
        if handler is get_rate_limit:
            reply.body = self._rate_limit_body()
        return reply

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method in ("*", method) and fault.pattern.search(path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _check_token(self, authorization: str | None) -> None:
        if self._token is None and self._app_key is None:
            return
        scheme, _, value = (authorization or "").partition(" ")
        value = value.strip()
        if scheme.lower() not in ("token", "bearer") or (
            value != self._token and not self._live_installation_token(value)
        ):
            raise ApiError(401, "Bad credentials")

    def _live_installation_token(self, value: str) -> bool:
        with self._lock:
            issued = self._installation_tokens.get(value)
        return issued is not None and time.time() < issued.expires

    # -- GitHub App authentication

    def _installation_in(self, method: str, raw_path: str) -> int | None:
        """The installation whose token is asked for, if this is that request (and an App is set)."""
        match = _ACCESS_TOKENS.fullmatch(raw_path) if method == "POST" and self._app_key else None
        return int(match.group("installation")) if match else None

    def _check_app_jwt(self, authorization: str | None) -> None:
        """Refuse (401, GitHub's messages) anything but a current JWT signed by the App's key."""
        import jwt  # noqa: PLC0415  (only App authentication needs PyJWT)

        assert self._app_key is not None
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            raise ApiError(401, JWT_UNDECODABLE)
        try:
            # The signature only: GitHub's own checks of the claims follow, with its messages.
            claims = jwt.decode(
                value.strip(),
                self._app_key,
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_iss": False},
            )
        except jwt.InvalidTokenError as exc:
            raise ApiError(401, JWT_UNDECODABLE) from exc
        iss, iat, exp = claims.get("iss"), claims.get("iat"), claims.get("exp")
        if isinstance(iss, bool) or not isinstance(iss, str | int) or str(iss) != self._app_id:
            raise ApiError(401, JWT_UNDECODABLE)  # another App's JWT, or none of an App
        now = time.time()
        if not _is_number(iat) or iat > now + JWT_CLOCK_DRIFT:
            raise ApiError(401, JWT_IAT_INVALID)
        if not _is_number(exp) or exp <= now - JWT_CLOCK_DRIFT:
            raise ApiError(401, JWT_EXP_PAST)
        if exp > now + JWT_MAX_LIFETIME + JWT_CLOCK_DRIFT:
            raise ApiError(401, JWT_EXP_TOO_FAR)

    def _issue_installation_token(self, installation: int, body: Any) -> _Reply:
        if self._app_installations is not None and installation not in self._app_installations:
            raise _not_found()
        requested = body.get("permissions") if isinstance(body, dict) else None
        permissions = dict(APP_PERMISSIONS)
        if isinstance(requested, dict) and requested:  # a narrower token, as GitHub allows
            if not all(_grants(APP_PERMISSIONS.get(str(n)), level) for n, level in requested.items()):
                raise ApiError(422, "The permissions requested are not granted to this installation.")
            permissions = {str(n): str(level) for n, level in requested.items()}
        token = "ghs_" + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(36))
        issued = InstallationToken(installation, token, time.time() + self.installation_token_ttl)
        with self._lock:
            self._installation_tokens[token] = issued
        log.info("issued a token for installation %d of GitHub App %s", installation, self._app_id)
        return _Reply(
            201,
            {
                "token": token,
                # Whole seconds, rounded down: a client trusting it never sends an expired token.
                "expires_at": _iso(issued.expires),
                "permissions": permissions,
                "repository_selection": "all",
            },
        )

    def _check_rate_limit(self) -> None:
        with self._lock:
            self._roll_window()
            exhausted = self._window_used >= self.rate_limit
        if exhausted:
            raise ApiError(
                403,
                f"API rate limit exceeded for user ID {_stable_id(f'user:{BOT_LOGIN}')}.",
                headers={"X-RateLimit-Remaining": "0"},
            )

    def _check_write_limit(self) -> None:
        limit = self.write_limit_per_minute
        if limit is None:
            return
        now = time.monotonic()
        with self._lock:
            while self._writes and now - self._writes[0] >= WRITE_WINDOW:
                self._writes.popleft()
            refused = len(self._writes) >= limit
            if not refused:
                self._writes.append(now)
        if refused:
            raise ApiError(403, SECONDARY_RATE_LIMIT_MESSAGE, headers={"Retry-After": str(int(WRITE_WINDOW))})

    def _roll_window(self) -> None:
        if time.time() - self._window_start >= RATE_WINDOW:
            self._window_start = time.time()
            self._window_used = 0

    def _rate_headers(self, *, count: bool, override: dict[str, str]) -> dict[str, str]:
        with self._lock:
            self._roll_window()
            if count:
                self._counted += 1
                self._window_used += 1
            used = self._window_used
            reset = int(self._window_start + RATE_WINDOW)
        values = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(0, self.rate_limit - used)),
            "X-RateLimit-Used": str(used),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Resource": "core",
        }
        return {**values, **{k: v for k, v in override.items() if k in values}}

    def _rate_limit_body(self) -> Json:
        with self._lock:
            used = self._window_used
            reset = int(self._window_start + RATE_WINDOW)
        core = {
            "limit": self.rate_limit,
            "used": used,
            "remaining": max(0, self.rate_limit - used),
            "reset": reset,
        }
        other = {"limit": 5000, "used": 0, "remaining": 5000, "reset": reset}
        return {
            "resources": {
                "core": {**core, "resource": "core"},
                "search": {**other, "limit": 30, "remaining": 30, "resource": "search"},
                "graphql": {**other, "resource": "graphql"},
            },
            "rate": {**core, "resource": "core"},
        }


def _rsa_public_key(pem: str) -> RSAPublicKey:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey  # noqa: PLC0415
    from cryptography.hazmat.primitives.serialization import load_pem_public_key  # noqa: PLC0415

    key = load_pem_public_key(pem.encode())
    if not isinstance(key, RSAPublicKey):
        raise TypeError("app: the GitHub App's key must be an RSA public key in PEM form")
    return key


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _grants(granted: str | None, wanted: Any) -> bool:
    """Whether the App's ``granted`` level of a permission covers the ``wanted`` one."""
    levels = _PERMISSION_LEVELS
    if granted not in levels or not isinstance(wanted, str) or wanted not in levels:
        return False
    return levels[wanted] <= levels[granted]


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in wanted or etag.removeprefix("W/") in wanted


def _parse_json(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ApiError(400, "Problems parsing JSON") from exc
