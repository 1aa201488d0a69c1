"""Commits: ``GET .../commits/{ref}`` (with its files and stats), ``GET .../commits`` (the history
from a branch or sha, optionally of one path, paged without counting it all) and
``GET .../compare/{base}...{head}`` (ahead, behind, the changed files, and the commits: the 250
most recent without paging parameters, else pages oldest first).
"""

from __future__ import annotations

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
