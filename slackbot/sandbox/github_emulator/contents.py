"""File contents: ``GET .../contents/{path}`` and ``PUT .../contents/{path}``.

Reading follows GitHub's description of the endpoint: a file with its base64 content (up to 1 MB;
between 1 and 100 MB "the ``content`` field will be an empty string and the ``encoding`` field will
be ``"none"``", beyond 100 MB refused), or raw with ``Accept: application/vnd.github.raw``; a
folder's entries; a symbolic link whose target "is a normal file in the repository" answers with
that file, any other "with an object describing the symlink itself" (``type: symlink``,
``target``). Writing creates or updates one file with a new commit on a branch, refused as GitHub
refuses it: a stale or missing blob sha, a missing or protected branch, a bad path.
"""

from __future__ import annotations

import base64
import logging
import posixpath

from slackbot.sandbox.github_emulator.api import (
    BOT_IDENTITY,
    Api,
    ApiError,
    Reply,
    Repo,
    Request,
    not_found,
)
from slackbot.sandbox.github_emulator.git_refs import PULL_REQUEST_REQUIRED
from slackbot.sandbox.github_emulator.shapes import content_json, git_commit_json
from slackbot.sandbox.github_emulator.state import state_lock
from slackbot.sandbox.gitrepo import GitError, Identity, TreeEntry

log = logging.getLogger(__name__)

INLINE_SIZE = 1024 * 1024  # larger files come with empty content and encoding "none"
MAX_FILE_SIZE = 100 * 1024 * 1024  # larger ones are refused, here and by the blob API
TOO_LARGE = (
    "This API returns blobs up to 100 MB in size. The requested blob is too large to fetch via "
    "the API, but you can always clone the repository via Git to obtain it."
)
_SYMLINK = "120000"


def get_contents(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    ref = req.params.get("ref") or repo.default_branch()
    commit = repo.git.resolve(ref)
    if commit is None:
        raise not_found(f"No commit found for the ref {ref}")
    path = req.args.get("path", "").strip("/")
    entry = repo.git.tree_entry(commit, path)
    if entry is None:
        raise not_found()
    if entry.type == "tree":
        children = repo.git.list_tree(entry.sha, entry.path)
        return Reply(200, [content_json(repo, ref, child) for child in children])
    if entry.type != "blob":  # a submodule
        return Reply(200, content_json(repo, ref, entry))
    if entry.mode == _SYMLINK:
        target = repo.git.read_blob(entry.sha).decode("utf-8", "replace")
        followed = _link_target(repo, commit, entry.path, target)
        if followed is None:
            return Reply(200, content_json(repo, ref, entry, target=target))
        entry = followed
    return _file(repo, req, ref, entry)


def _file(repo: Repo, req: Request, ref: str, entry: TreeEntry) -> Reply:
    """A file's answer: raw bytes if asked for, else its object (content inline up to 1 MB)."""
    size = entry.size or 0
    if size > MAX_FILE_SIZE:
        raise too_large()
    if req.wants_raw():
        headers = {
            "Content-Type": "application/vnd.github.raw",
            "X-GitHub-Media-Type": "github.v3; param=raw",
        }
        return Reply(200, repo.git.read_blob(entry.sha), headers)
    inline = size <= INLINE_SIZE
    data = repo.git.read_blob(entry.sha) if inline else b""
    return Reply(200, content_json(repo, ref, entry, data, inline=inline))


def _link_target(repo: Repo, commit: str, path: str, target: str) -> TreeEntry | None:
    """The normal file a symbolic link at ``path`` points to, if it is one in this commit."""
    if target.startswith("/"):
        return None
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    if resolved in (".", "..") or resolved.startswith("../"):
        return None
    entry = repo.git.tree_entry(commit, resolved)
    return entry if entry is not None and entry.type == "blob" and entry.mode != _SYMLINK else None


def too_large() -> ApiError:
    return ApiError(403, TOO_LARGE, errors=[{"resource": "Blob", "field": "data", "code": "too_large"}])


def put_contents(api: Api, req: Request) -> Reply:
    """Create (201) or update (200) one file with a new commit on a branch (the default one if none)."""
    repo = api.repo(req)
    path = _content_path(req.args["path"])
    message, data = _message_and_content(req)
    branch = req.json_field("branch") or repo.default_branch()
    sha = req.json_field("sha")
    author, committer = _identity_field(req, "author"), _identity_field(req, "committer")
    # As on GitHub: each defaults to the other, both to the authenticated user.
    committer = committer or author or BOT_IDENTITY
    author = author or committer
    with state_lock(repo):
        parent = repo.git.ref(f"refs/heads/{branch}") if isinstance(branch, str) else None
        if parent is None:
            raise not_found(f"Branch {branch} not found")
        entry = repo.git.tree_entry(parent, path)
        if entry is not None and not (isinstance(sha, str) and sha):
            raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
        if entry is not None and (sha != entry.sha or entry.type != "blob"):
            raise ApiError(409, f"{path} does not match {sha}")
        if repo.protected(branch):
            raise ApiError(409, PULL_REQUEST_REQUIRED)
        try:
            tree = repo.git.tree_with_files(parent, {path: data})
        except GitError as exc:  # e.g. a file where the path needs a folder
            raise ApiError(422, f"Invalid request.\n\n{path} is not a valid path for a file.") from exc
        when = int(api.clock().timestamp())
        commit = repo.git.commit_tree(
            tree, [parent], message, author=author, committer=committer, timestamp=when
        )
        try:
            repo.git.update_ref(f"refs/heads/{branch}", commit, parent, message=f"contents: {path}")
        except GitError as exc:  # a push landed since we read the branch
            raise ApiError(409, f"{path} does not match {sha}") from exc
    written = repo.git.tree_entry(commit, path)
    info = repo.git.commit_info(commit)
    if written is None or info is None:
        raise ApiError(500, "Server Error")
    log.info("%s %s on %s of %s", "updated" if entry else "created", path, branch, repo.full_name)
    body = {"content": content_json(repo, branch, written), "commit": git_commit_json(repo, info)}
    return Reply(200 if entry is not None else 201, body)


def _message_and_content(req: Request) -> tuple[str, bytes]:
    """The commit message and the file's new bytes; both must be sent, ``content`` in base64."""
    message, content = req.json_field("message"), req.json_field("content")
    missing = [n for n, v in (("message", message), ("content", content)) if not isinstance(v, str)]
    if missing:
        names = ", ".join(f'"{n}"' for n in missing)
        verb = "wasn't" if len(missing) == 1 else "weren't"
        raise ApiError(422, f"Invalid request.\n\n{names} {verb} supplied.")
    try:
        return str(message), base64.b64decode("".join(str(content).split()), validate=True)
    except ValueError as exc:
        raise ApiError(422, "content is not valid Base64") from exc


def _content_path(raw: str) -> str:
    path = raw.strip("/")
    parts = path.split("/")
    if not path or any(p in ("", ".", "..", ".git") or "\0" in p for p in parts):
        raise ApiError(422, "path contains a malformed path component")
    return path


def _identity_field(req: Request, name: str) -> Identity | None:
    value = req.json_field(name)
    if not isinstance(value, dict):
        return None
    person, email = value.get("name"), value.get("email")
    if not isinstance(person, str) or not isinstance(email, str) or not person or not email:
        raise ApiError(422, f'Invalid request.\n\n"name" and "email" are required in "{name}".')
    return Identity(person, email)
