"""Commits: ``GET .../commits/{ref}`` (with its files and stats), ``GET .../commits`` (the history
from a branch or sha, optionally of one path and between two times, paged without counting it all) and
``GET .../compare/{base}...{head}`` (ahead, behind, the changed files, and the commits: the 250
most recent without paging parameters, else pages oldest first).
"""

from __future__ import annotations

import datetime as dt

from slackbot.sandbox.github_emulator.api import (
    Api,
    ApiError,
    Reply,
    Repo,
    Request,
    commit_or_404,
    int_param,
    link,
    not_found,
    page,
    quote,
    strip_owner,
    validation_failed,
)
from slackbot.sandbox.github_emulator.shapes import commit_json, files_json
from slackbot.sandbox.gitrepo import CommitInfo

COMPARE_MAX_COMMITS = 250  # listed without paging parameters: the most recent ones
COMPARE_MAX_FILES = 300


def get_commit(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    ref = req.args["ref"]
    info = repo.git.commit_info(ref)
    if info is None:
        raise ApiError(422, f"No commit found for SHA: {ref}")
    return Reply(200, commit_json(repo, info, with_files=True))


def list_commits(api: Api, req: Request) -> Reply:
    """The history from ``sha`` (a branch, tag or sha; the default branch without it), newest first:
    of one ``path`` with git's history simplification (as ``git log <sha> -- <path>``), between
    ``since`` and ``until`` (ISO 8601, against the committer date, inclusive)."""
    repo = api.repo(req)
    if not repo.git.branches():
        raise ApiError(409, "Git Repository is empty.")
    start = req.params.get("sha") or repo.default_branch()
    sha = repo.git.resolve(start)
    if sha is None:
        raise not_found(f"No commit found for SHA: {start}")
    since, until = _time_param(req, "since"), _time_param(req, "until")
    per_page = int_param(req, "per_page", 30, maximum=100)
    number = int_param(req, "page", 1)
    # One commit more than the page tells whether there is a next page, without counting them all.
    infos = repo.git.log(
        sha,
        max_count=per_page + 1,
        skip=(number - 1) * per_page,
        path=req.params.get("path", "").strip("/") or None,
        since=since,
        until=until,
    )
    links = [link(api, req, number + 1, "next")] if len(infos) > per_page else []
    if number > 1:
        links += [link(api, req, number - 1, "prev"), link(api, req, 1, "first")]
    headers = {"Link": ", ".join(links)} if links else {}
    return Reply(200, [commit_json(repo, i) for i in infos[:per_page]], headers)


def _time_param(req: Request, name: str) -> int | None:
    """A timestamp parameter as POSIX seconds; GitHub refuses one it cannot read (422)."""
    text = req.params.get(name)
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise validation_failed({"resource": "Commit", "field": name, "code": "invalid"}) from None
    return int((when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp())


def compare(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    basehead = req.args["basehead"]
    if "..." not in basehead:
        raise not_found()
    base_ref, head_ref = (strip_owner(part) for part in basehead.split("...", 1))
    base, head = repo.git.resolve(base_ref), repo.git.resolve(head_ref)
    if base is None or head is None:
        raise not_found()
    merge_base = repo.git.merge_base(base, head)
    if merge_base is None:
        raise not_found(f"No common ancestor between {base_ref} and {head_ref}.")
    ahead, behind = repo.git.count(base, head), repo.git.count(head, base)
    listed, first_page = _compared_commits(api, req, repo.git.commits_between(base, head), repo)
    files = files_json(repo, merge_base, head)[:COMPARE_MAX_FILES] if first_page else []
    shown = f"{quote(base_ref)}...{quote(head_ref)}"
    body = {
        "url": repo.api("compare", shown),
        "html_url": repo.html("compare", shown),
        "permalink_url": repo.html("compare", f"{base}...{head}"),
        "diff_url": repo.html("compare", f"{shown}.diff"),
        "patch_url": repo.html("compare", f"{shown}.patch"),
        "base_commit": commit_json(repo, commit_or_404(repo, base)),
        "merge_base_commit": commit_json(repo, commit_or_404(repo, merge_base)),
        "status": _comparison_status(ahead, behind),
        "ahead_by": ahead,
        "behind_by": behind,
        "total_commits": ahead,
        "commits": listed.body,
        "files": files,
    }
    return Reply(200, body, listed.headers)


def _compared_commits(api: Api, req: Request, infos: list[CommitInfo], repo: Repo) -> tuple[Reply, bool]:
    """The commits a comparison lists, oldest first, and whether this is its first page.

    GitHub's description: without ``per_page`` or ``page`` "the returned list is limited to 250
    commits, and the last commit in the list is the most recent of the entire comparison"; with
    either, pages in chronological order (30 a page unless asked, at most 100) and the changed
    files "only shown on the first page".
    """
    if "page" not in req.params and "per_page" not in req.params:
        return Reply(200, [commit_json(repo, i) for i in infos[-COMPARE_MAX_COMMITS:]]), True
    per_page = int_param(req, "per_page", 30, maximum=100)
    number = int_param(req, "page", 1)
    chunk = infos[(number - 1) * per_page : number * per_page]  # only this page's commits as JSON
    listed = page(api, req, [None] * len(infos), default_per_page=30)
    return Reply(200, [commit_json(repo, i) for i in chunk], listed.headers), number == 1


def _comparison_status(ahead: int, behind: int) -> str:
    if not ahead and not behind:
        return "identical"
    if not ahead:
        return "behind"
    return "ahead" if not behind else "diverged"
