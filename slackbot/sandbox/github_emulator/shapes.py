"""The JSON shapes of GitHub's answers, field for field and in GitHub's order: users, repositories,
commits (git and API), changed files, refs, branches, contents, commit statuses and pull requests,
with the stable ids and node ids GitHub would give them.
"""

from __future__ import annotations

import base64
import hashlib

from slackbot.sandbox.github_emulator.api import BOT_IDENTITY, BOT_LOGIN, Json, Repo, iso, quote
from slackbot.sandbox.github_emulator.state import pull_shas
from slackbot.sandbox.gitrepo import CommitInfo, Signature, TreeEntry


def stable_id(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 1_000_000_000


def node_id(kind: str, key: str) -> str:
    return base64.b64encode(f"0:{kind}{stable_id(key)}".encode()).decode().rstrip("=")


def b64(data: bytes) -> str:
    # GitHub wraps base64 content at 60 characters a line.
    text = base64.b64encode(data).decode()
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


def user_json(base_url: str, login: str, kind: str = "User") -> Json:
    """A simple user (GitHub's ``simple-user``): an account as it appears inside other answers."""
    url = f"{base_url}/users/{login}"
    return {
        "login": login,
        "id": stable_id(f"user:{login}"),
        "node_id": node_id("U_", login),
        "avatar_url": f"{base_url}/avatars/{login}",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{base_url}/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": kind,
        "user_view_type": "public",
        "site_admin": False,
    }


def login_json(repo: Repo, login: str) -> Json:
    return user_json(repo.base_url, login, "Bot" if login == BOT_LOGIN else "User")


def repo_json(repo: Repo) -> Json:
    """A repository (GitHub's ``repository``), field for field as inside pull requests."""
    created = iso(repo.git.path.stat().st_ctime)
    host = repo.base_url.split("://", 1)[-1]
    return {
        "id": stable_id(f"repo:{repo.full_name}"),
        "node_id": node_id("R_", repo.full_name),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": False,
        "owner": user_json(repo.base_url, repo.owner, "Organization"),
        "html_url": repo.html(),
        "description": None,
        "fork": False,
        "url": repo.api(),
        **{f"{name}_url": repo.api(tail) for name, tail in _REPO_URLS},
        "created_at": created,
        "updated_at": created,
        "pushed_at": created,
        "git_url": f"git://{host}/{repo.full_name}.git",
        "ssh_url": f"git@{host}:{repo.full_name}.git",
        "clone_url": repo.html() + ".git",
        "svn_url": repo.html(),
        "homepage": None,
        "size": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": None,
        "has_issues": False,
        "has_projects": False,
        "has_downloads": True,
        "has_wiki": False,
        "has_pages": False,
        "has_discussions": False,
        "forks_count": 0,
        "mirror_url": None,
        "archived": False,
        "disabled": False,
        "open_issues_count": 0,
        "license": None,
        "allow_forking": True,
        "is_template": False,
        "web_commit_signoff_required": False,
        "topics": [],
        "visibility": "public",
        "forks": 0,
        "open_issues": 0,
        "watchers": 0,
        "default_branch": repo.default_branch(),
        "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
    }


# A repository's URL templates, in GitHub's order: (name, path after /repos/OWNER/NAME/).
_REPO_URLS = (
    ("forks", "forks"),
    ("keys", "keys{/key_id}"),
    ("collaborators", "collaborators{/collaborator}"),
    ("teams", "teams"),
    ("hooks", "hooks"),
    ("issue_events", "issues/events{/number}"),
    ("events", "events"),
    ("assignees", "assignees{/user}"),
    ("branches", "branches{/branch}"),
    ("tags", "tags"),
    ("blobs", "git/blobs{/sha}"),
    ("git_tags", "git/tags{/sha}"),
    ("git_refs", "git/refs{/sha}"),
    ("trees", "git/trees{/sha}"),
    ("statuses", "statuses/{sha}"),
    ("languages", "languages"),
    ("stargazers", "stargazers"),
    ("contributors", "contributors"),
    ("subscribers", "subscribers"),
    ("subscription", "subscription"),
    ("commits", "commits{/sha}"),
    ("git_commits", "git/commits{/sha}"),
    ("comments", "comments{/number}"),
    ("issue_comment", "issues/comments{/number}"),
    ("contents", "contents/{+path}"),
    ("compare", "compare/{base}...{head}"),
    ("merges", "merges"),
    ("archive", "{archive_format}{/ref}"),
    ("downloads", "downloads"),
    ("issues", "issues{/number}"),
    ("pulls", "pulls{/number}"),
    ("milestones", "milestones{/number}"),
    ("notifications", "notifications{?since,all,participating}"),
    ("labels", "labels{/name}"),
    ("releases", "releases{/id}"),
    ("deployments", "deployments"),
)


# -- commits, files, refs, branches, contents, statuses ----------------------------------------------


def _signature_json(sig: Signature) -> Json:
    return {"name": sig.name, "email": sig.email, "date": iso(sig.timestamp)}


def git_commit_json(repo: Repo, info: CommitInfo) -> Json:
    return {
        "sha": info.sha,
        "node_id": node_id("C_", f"{repo.full_name}:{info.sha}"),
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


def commit_json(repo: Repo, info: CommitInfo, *, with_files: bool = False) -> Json:
    git_commit = git_commit_json(repo, info)
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
        "author": user_json(repo.base_url, BOT_LOGIN, "Bot")
        if info.author.email == BOT_IDENTITY.email
        else None,
        "committer": None,
        "parents": [
            {"sha": p, "url": repo.api("commits", p), "html_url": repo.html("commit", p)}
            for p in info.parents
        ],
    }
    if with_files:
        files = files_json(repo, info.parents[0] if info.parents else None, info.sha)
        additions = sum(f["additions"] for f in files)
        deletions = sum(f["deletions"] for f in files)
        body["stats"] = {"total": additions + deletions, "additions": additions, "deletions": deletions}
        body["files"] = files
    return body


def files_json(repo: Repo, old: str | None, new: str) -> list[Json]:
    return [
        {
            "sha": change.sha,
            "filename": change.path,
            "status": change.status,
            "additions": change.additions,
            "deletions": change.deletions,
            "changes": change.additions + change.deletions,
            "blob_url": repo.html("blob", new, quote(change.path)),
            "raw_url": repo.html("raw", new, quote(change.path)),
            "contents_url": f"{repo.api('contents', quote(change.path))}?ref={new}",
        }
        for change in repo.git.changed_files(old, new)
    ]


def ref_json(repo: Repo, name: str, sha: str) -> Json:
    kind = repo.git.object_type(sha) or "commit"
    return {
        "ref": name,
        "node_id": node_id("REF_", f"{repo.full_name}:{name}"),
        # GitHub answers with the plural form and an unescaped ref name.
        "url": repo.api("git/refs", name.removeprefix("refs/")),
        "object": {"sha": sha, "type": kind, "url": repo.api(f"git/{kind}s", sha)},
    }


def branch_json(repo: Repo, name: str, info: CommitInfo) -> Json:
    protected = repo.protected(name)
    return {
        "name": name,
        "commit": commit_json(repo, info),
        "_links": {"self": repo.api("branches", name), "html": repo.html("tree", name)},
        "protected": protected,
        "protection": {
            "enabled": protected,
            "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
        },
        "protection_url": repo.api("branches", name, "protection"),
    }


def content_json(
    repo: Repo,
    ref: str,
    entry: TreeEntry,
    data: bytes | None = None,
    *,
    inline: bool = True,
    target: str | None = None,
) -> Json:
    """A contents entry; with ``data`` a file's object (``inline=False``: over 1 MB, its content left
    out and its encoding "none"), with ``target`` a symbolic link's."""
    kind = {"tree": "dir", "commit": "submodule"}.get(
        entry.type, "symlink" if entry.mode == "120000" else "file"
    )
    url = f"{repo.api('contents', quote(entry.path))}?ref={quote(ref)}"
    git_url = repo.api("git/trees" if kind == "dir" else "git/blobs", entry.sha)
    html_url = repo.html("tree" if kind == "dir" else "blob", quote(ref), quote(entry.path))
    body: Json = {
        "type": kind,
        "size": entry.size or 0,
        "name": entry.name,
        "path": entry.path,
        "sha": entry.sha,
        "url": url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": repo.html("raw", quote(ref), quote(entry.path)) if kind == "file" else None,
        "_links": {"self": url, "git": git_url, "html": html_url},
    }
    if target is not None:
        body["target"] = target
    if data is not None:
        body["encoding"] = "base64" if inline else "none"
        body["content"] = b64(data) if inline else ""
    return body


def status_json(repo: Repo, status: Json) -> Json:
    return {
        "url": repo.api("statuses", status["sha"]),
        "avatar_url": None,
        "id": status["id"],
        "node_id": node_id("SC_", f"{repo.full_name}:{status['id']}"),
        "state": status["state"],
        "description": status["description"],
        "target_url": status["target_url"],
        "context": status["context"],
        "created_at": status["created_at"],
        "updated_at": status["updated_at"],
        "creator": user_json(repo.base_url, BOT_LOGIN, "Bot"),
    }


# -- pull requests ----------------------------------------------------------------------------------


def pull_json(repo: Repo, pr: Json, *, full: bool = True, computed: bool = True) -> Json:
    """A pull request as listed (``full=False``) or as fetched one by one (mergeability, counts);
    ``computed=False``: GitHub is still computing whether it merges (``mergeable`` null)."""
    number = pr["number"]
    head_sha, base_sha = pull_shas(repo, pr)
    shown_repo = repo_json(repo)
    owner = user_json(repo.base_url, repo.owner, "Organization")
    body: Json = {
        **_pull_urls(repo, number, head_sha),
        **_pull_fields(repo, pr),
        "head": _pull_end(repo, pr["head_ref"], head_sha, owner, shown_repo),
        "base": _pull_end(repo, pr["base_ref"], base_sha, owner, shown_repo),
        "_links": _pull_links(repo, number, head_sha),
        "author_association": "MEMBER",
        "auto_merge": None,
        "draft": pr["draft"],
    }
    if full:
        body.update(_pull_details(repo, pr, head_sha, base_sha, computed=computed))
    return body


def _pull_urls(repo: Repo, number: int, head_sha: str) -> Json:
    url = repo.api("pulls", str(number))
    return {
        "url": url,
        "id": stable_id(f"pull:{repo.full_name}:{number}"),
        "node_id": node_id("PR_", f"{repo.full_name}:{number}"),
        "html_url": repo.html("pull", str(number)),
        "diff_url": repo.html("pull", f"{number}.diff"),
        "patch_url": repo.html("pull", f"{number}.patch"),
        "issue_url": repo.api("issues", str(number)),
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": repo.api("pulls/comments{/number}"),
        "comments_url": repo.api("issues", str(number), "comments"),
        "statuses_url": repo.api("statuses", head_sha),
    }


def _pull_fields(repo: Repo, pr: Json) -> Json:
    return {
        "number": pr["number"],
        "state": pr["state"],
        "locked": False,
        "title": pr["title"],
        "user": user_json(repo.base_url, BOT_LOGIN, "Bot"),
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
    }


def _pull_end(repo: Repo, ref: str, sha: str, owner: Json, shown_repo: Json) -> Json:
    return {"label": f"{repo.owner}:{ref}", "ref": ref, "sha": sha, "user": owner, "repo": shown_repo}


def _pull_links(repo: Repo, number: int, head_sha: str) -> Json:
    url = repo.api("pulls", str(number))
    return {
        "self": {"href": url},
        "html": {"href": repo.html("pull", str(number))},
        "issue": {"href": repo.api("issues", str(number))},
        "comments": {"href": repo.api("issues", str(number), "comments")},
        "review_comments": {"href": f"{url}/comments"},
        "review_comment": {"href": repo.api("pulls/comments{/number}")},
        "commits": {"href": f"{url}/commits"},
        "statuses": {"href": repo.api("statuses", head_sha)},
    }


def _pull_details(repo: Repo, pr: Json, head_sha: str, base_sha: str, *, computed: bool) -> Json:
    merged = pr["merged_at"] is not None
    mergeable: bool | None = None  # null: closed, or still being computed
    mergeable_state = "unknown"
    if pr["state"] == "open" and computed:
        mergeable = repo.git.merge_tree(base_sha, head_sha) is not None
        mergeable_state = "dirty" if not mergeable else "draft" if pr["draft"] else "clean"
    merge_base = repo.git.merge_base(base_sha, head_sha) or base_sha
    files = repo.git.changed_files(merge_base, head_sha)
    return {
        "merged": merged,
        "mergeable": mergeable,
        "rebaseable": mergeable,
        "mergeable_state": mergeable_state,
        "merged_by": login_json(repo, pr.get("merged_by") or BOT_LOGIN) if merged else None,
        "comments": 0,
        "review_comments": 0,
        "maintainer_can_modify": False,
        "commits": repo.git.count(merge_base, head_sha),
        "additions": sum(f.additions for f in files),
        "deletions": sum(f.deletions for f in files),
        "changed_files": len(files),
    }
