"""Merging pull requests as GitHub does, with a real merge (or squash) commit moved onto the base
branch by compare-and-swap: ``PUT .../pulls/{n}/merge`` and the same without HTTP,
:func:`merge_pull_request` (a person pressing the merge button: the demo console and scripts) and
:func:`pull_request_summaries`. A merge without HTTP is stamped with the clock it is given (the
one the emulator serving the repository runs on), else with the real time.
"""

from __future__ import annotations

import logging
from pathlib import Path

from slackbot.sandbox.github_emulator.api import (
    BOT_IDENTITY,
    BOT_LOGIN,
    Api,
    ApiError,
    Clock,
    Json,
    Reply,
    Repo,
    Request,
    not_found,
    stamp,
    utc_now,
)
from slackbot.sandbox.github_emulator.pulls import pr_field_error
from slackbot.sandbox.github_emulator.state import (
    find_pull,
    pull_shas,
    save_state,
    state_lock,
    stored_pulls,
)
from slackbot.sandbox.gitrepo import GitError, GitRepo, Identity

log = logging.getLogger(__name__)

GITHUB_COMMITTER = Identity("GitHub", "noreply@github.com")


def merge_pull(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    method = req.json_field("merge_method", "merge")
    if method not in ("merge", "squash", "rebase"):
        raise pr_field_error("merge_method", "invalid")
    expected, title, message = (req.json_field(n) for n in ("sha", "commit_title", "commit_message"))
    sha = _merge(
        repo,
        req.args["number"],
        method=method,
        expected_head=expected if isinstance(expected, str) else None,
        commit_title=title if isinstance(title, str) and title else None,
        commit_message=message if isinstance(message, str) else None,
        merged_by=BOT_LOGIN,  # the authenticated user
        clock=api.clock,
    )
    return Reply(200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"})


def _merge(
    repo: Repo,
    number: str,
    *,
    method: str,
    expected_head: str | None,
    commit_title: str | None,
    commit_message: str | None,
    merged_by: str,
    clock: Clock,
) -> str:
    """Merge pull request ``number`` as GitHub's button (and PUT .../merge) does; the merge commit's sha."""
    if method == "rebase":
        raise ApiError(405, "Rebase merges are not supported by the sandbox GitHub emulator.")
    with state_lock(repo):
        data, pr = find_pull(repo, number)
        head_sha, base_sha = _mergeable_shas(repo, pr, expected_head)
        tree = repo.git.merge_tree(base_sha, head_sha)
        if tree is None:
            raise ApiError(405, "Pull Request is not mergeable")
        message = _merge_message(
            repo, pr, method=method, base=base_sha, head=head_sha, title=commit_title, text=commit_message
        )
        parents = [base_sha, head_sha] if method == "merge" else [base_sha]
        author, when = _login_identity(merged_by), int(clock().timestamp())
        sha = repo.git.commit_tree(
            tree, parents, message, author=author, committer=GITHUB_COMMITTER, timestamp=when
        )
        try:
            # Compare-and-swap: a push that raced us must not be overwritten.
            repo.git.update_ref(
                f"refs/heads/{pr['base_ref']}", sha, base_sha, message=f"merge #{pr['number']}"
            )
        except GitError as exc:
            raise ApiError(405, "Base branch was modified. Review and try the merge again.") from exc
        repo.git.update_ref(f"refs/pull/{pr['number']}/head", head_sha)
        now = stamp(clock)
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
        save_state(repo, "pulls", data)
    log.info(
        "merged pull request #%d into %s of %s as %s", pr["number"], pr["base_ref"], repo.full_name, sha[:12]
    )
    return sha


def _mergeable_shas(repo: Repo, pr: Json, expected_head: str | None) -> tuple[str, str]:
    """Head and base shas of an open, ready pull request whose head is ``expected_head`` if given."""
    if pr["state"] != "open":
        raise ApiError(405, "Pull Request is not mergeable")
    if pr["draft"]:
        raise ApiError(405, "Pull Request is still a draft")
    head_sha, base_sha = pull_shas(repo, pr)
    if expected_head is not None and expected_head != head_sha:
        raise ApiError(409, "Head branch was modified. Review and try the merge again.")
    return head_sha, base_sha


def _login_identity(login: str) -> Identity:
    return BOT_IDENTITY if login == BOT_LOGIN else Identity(login, f"{login}@users.noreply.example.test")


def _merge_message(
    repo: Repo, pr: Json, *, method: str, base: str, head: str, title: str | None, text: str | None
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


# -- the same, without HTTP (demo console, scripts) ---------------------------------------------------


def _local_repo(repo_dir: Path) -> Repo:
    git = GitRepo(Path(repo_dir))
    if not git.exists():
        raise not_found()
    return Repo(git.path.parent.name, git.path.name.removesuffix(".git"), git, base_url="")


def merge_pull_request(
    repo_dir: Path,
    number: int,
    *,
    merged_by: str = BOT_LOGIN,
    merge_method: str = "merge",
    sha: str | None = None,
    clock: Clock | None = None,
) -> str:
    """Merge pull request ``number`` of the bare repository ``repo_dir`` exactly as
    ``PUT .../pulls/{number}/merge`` does (same code, same state, same lock), as ``merged_by``.

    The merge is stamped with ``clock`` (pass the serving emulator's), by default the real time. Returns the merge commit's sha; raises
    :class:`ApiError` with GitHub's status and message (404 no such pull request, 405 "Pull
    Request is not mergeable", 409 head moved past ``sha``).
    """
    return _merge(
        _local_repo(repo_dir),
        str(number),
        method=merge_method,
        expected_head=sha,
        commit_title=None,
        commit_message=None,
        merged_by=merged_by,
        clock=clock or utc_now,
    )


def pull_request_summaries(repo_dir: Path) -> list[Json]:
    """Every pull request of ``repo_dir``, oldest first: number, title, head, base, state, merged,
    merged_by, merge_commit_sha and mergeable (computed now, None unless open)."""
    repo = _local_repo(repo_dir)
    with state_lock(repo):
        pulls = stored_pulls(repo)
    summaries = []
    for pr in sorted(pulls, key=lambda p: int(p["number"])):
        head, base = pull_shas(repo, pr)
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
