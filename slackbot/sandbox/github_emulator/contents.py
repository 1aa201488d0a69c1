"""File contents: ``GET .../contents/{path}`` (a file with its base64 content, or a folder's
entries) and ``PUT .../contents/{path}`` (create or update one file with a new commit on a branch,
refused as GitHub refuses it: a stale or missing blob sha, a protected branch, a bad path).
"""

from __future__ import annotations

import base64
import logging

from slackbot.sandbox.github_emulator.api import BOT_IDENTITY, Api, ApiError, Reply, Request, not_found
from slackbot.sandbox.github_emulator.git_refs import PULL_REQUEST_REQUIRED
from slackbot.sandbox.github_emulator.shapes import content_json, git_commit_json
from slackbot.sandbox.github_emulator.state import state_lock
from slackbot.sandbox.gitrepo import GitError, Identity

log = logging.getLogger(__name__)


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
    data = repo.git.read_blob(entry.sha) if entry.type == "blob" else None
    return Reply(200, content_json(repo, ref, entry, data))


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
