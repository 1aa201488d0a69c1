"""What every endpoint shares: GitHub's error answer (:class:`ApiError`), the request and reply
(:class:`Request`, :class:`Reply`), the served repository and the URLs GitHub gives its resources
(:class:`Repo`), the lookup of a repository by owner and name with the emulator's clock
(:class:`Api`), and GitHub's pagination (``Link`` headers).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slackbot.sandbox.gitrepo import CommitInfo, GitRepo, Identity

DOCS_URL = "https://docs.github.com/rest"
BOT_LOGIN = "sandbox-bot"
BOT_IDENTITY = Identity(BOT_LOGIN, f"{BOT_LOGIN}@users.noreply.example.test")
PROTECTED_FILE = "emulator-protected"  # branch patterns (fnmatch), one a line, in NAME.git/
STATE_DIR = "emulator"  # pulls.json and statuses.json, in NAME.git/

Json = dict[str, Any]
Clock = Callable[[], dt.datetime]  # GitHub's time: an aware datetime (a naive one is local time)


def utc_now() -> dt.datetime:
    """The default clock: the real time, in UTC."""
    return dt.datetime.now(dt.UTC)


def iso(timestamp: float) -> str:
    """A POSIX timestamp as GitHub writes times: whole seconds, UTC."""
    return dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(clock: Clock) -> str:
    """The clock's time now, as GitHub writes times."""
    return iso(clock().timestamp())


def quote(text: str) -> str:
    return urllib.parse.quote(text, safe="/")


# -- errors ---------------------------------------------------------------------------------------


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


def not_found(message: str = "Not Found") -> ApiError:
    return ApiError(404, message)


def validation_failed(*errors: Json) -> ApiError:
    return ApiError(422, "Validation Failed", errors=list(errors))


# -- requests, replies and the repository context --------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    args: dict[str, str] = field(default_factory=dict)  # the route's groups, percent-decoded
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased

    def wants_raw(self) -> bool:
        """Whether the client asked for the raw media type (``application/vnd.github.raw``,
        ``...raw+json``, ``...v3.raw``) instead of JSON."""
        accept = self.headers.get("accept", "")
        return any(kind.split(";")[0].strip().split("+")[0].endswith(".raw") for kind in accept.split(","))

    def json_field(self, name: str, default: Any = None) -> Any:
        return self.body.get(name, default) if isinstance(self.body, dict) else default


@dataclass
class Reply:
    """An answer: ``body`` is JSON, or bytes sent as they are (a raw media type; set Content-Type)."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Repo:
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


class Api:
    """GitHub's semantics over the bare repositories; the HTTP plumbing lives in the server."""

    def __init__(self, repos_dir: Path, base_url: str, clock: Clock) -> None:
        self.repos_dir = repos_dir
        self.base_url = base_url
        self.clock = clock

    def now(self) -> str:
        """GitHub's time now, as it writes times."""
        return stamp(self.clock)

    def repo(self, req: Request) -> Repo:
        owner, name = req.args["owner"], req.args["repo"]
        path = self.repos_dir / owner / f"{name}.git"
        if not _inside(self.repos_dir, path) or not GitRepo(path).exists():
            found = self._find_case_insensitive(owner, name)
            if found is None:
                raise not_found()
            path = found
        # GitHub answers with the canonical spelling of owner and name.
        return Repo(path.parent.name, path.name.removesuffix(".git"), GitRepo(path), self.base_url)

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


# -- pagination and small lookups -------------------------------------------------------------------


def page(api: Api, req: Request, items: list[Any], default_per_page: int = 30) -> Reply:
    """One page of ``items`` with GitHub's ``Link`` header."""
    per_page = int_param(req, "per_page", default_per_page, maximum=max(100, default_per_page))
    number = int_param(req, "page", 1)
    chunk = items[(number - 1) * per_page : number * per_page]
    last = max(1, -(-len(items) // per_page))
    links = []
    if number < last:
        links += [link(api, req, number + 1, "next"), link(api, req, last, "last")]
    if number > 1:
        links += [link(api, req, number - 1, "prev"), link(api, req, 1, "first")]
    return Reply(200, chunk, {"Link": ", ".join(links)} if links else {})


def link(api: Api, req: Request, number: int, rel: str) -> str:
    query = urllib.parse.urlencode({**req.params, "page": str(number)})
    return f'<{api.base_url}{req.path}?{query}>; rel="{rel}"'


def int_param(req: Request, name: str, default: int, maximum: int | None = None) -> int:
    try:
        value = int(req.params.get(name, default))
    except ValueError:
        return default
    value = max(1, value)
    return min(value, maximum) if maximum else value


def commit_or_404(repo: Repo, ref: str) -> CommitInfo:
    info = repo.git.commit_info(ref)
    if info is None:
        raise not_found()
    return info


def strip_owner(ref: str) -> str:
    # "owner:branch" (compare, pull request heads); ":" is never part of a git ref name.
    return ref.split(":", 1)[1] if ":" in ref else ref
