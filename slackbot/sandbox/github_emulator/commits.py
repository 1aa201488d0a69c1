"""Commits: ``GET .../commits/{ref}`` (with its files and stats), ``GET .../commits`` (the history
from a branch or sha, optionally of one path, paged without counting it all) and
``GET .../compare/{base}...{head}`` (ahead, behind, the commits and the changed files).
"""

from __future__ import annotations

from slackbot.sandbox.github_emulator.api import (
    Api,
    ApiError,
    Reply,
    Request,
    commit_or_404,
    int_param,
    link,
    not_found,
    page,
    quote,
    strip_owner,
)
from slackbot.sandbox.github_emulator.shapes import commit_json, files_json


def get_commit(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    ref = req.args["ref"]
    info = repo.git.commit_info(ref)
    if info is None:
        raise ApiError(422, f"No commit found for SHA: {ref}")
    return Reply(200, commit_json(repo, info, with_files=True))


def list_commits(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    start = req.params.get("sha") or repo.default_branch()
    sha = repo.git.resolve(start)
    if sha is None:
        raise not_found()
    per_page = int_param(req, "per_page", 30, maximum=100)
    number = int_param(req, "page", 1)
    # One commit more than the page tells whether there is a next page, without counting them all.
    infos = repo.git.log(
        sha, max_count=per_page + 1, skip=(number - 1) * per_page, path=req.params.get("path") or None
    )
    headers = {}
    if len(infos) > per_page:
        headers["Link"] = link(api, req, number + 1, "next")
    return Reply(200, [commit_json(repo, i) for i in infos[:per_page]], headers)


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
    commits = [commit_json(repo, i) for i in repo.git.commits_between(base, head)]
    listed = page(api, req, commits, default_per_page=250)
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
        "files": files_json(repo, merge_base, head),
    }
    return Reply(200, body, listed.headers)


def _comparison_status(ahead: int, behind: int) -> str:
    if not ahead and not behind:
        return "identical"
    if not ahead:
        return "behind"
    return "ahead" if not behind else "diverged"
