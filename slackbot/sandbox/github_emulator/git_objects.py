"""Git objects by sha: ``GET .../git/commits/{sha}``, ``GET .../git/blobs/{sha}`` (base64, up to
100 MB as on GitHub) and ``GET .../git/trees/{sha}`` (a tree, or the tree of a commit or branch;
``recursive`` lists all).
"""

from __future__ import annotations

from slackbot.sandbox.github_emulator import contents
from slackbot.sandbox.github_emulator.api import Api, Reply, Request, commit_or_404, not_found
from slackbot.sandbox.github_emulator.shapes import b64, git_commit_json, node_id


def get_git_commit(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    sha = req.args["sha"]
    if repo.git.object_type(sha) != "commit":
        raise not_found()
    return Reply(200, git_commit_json(repo, commit_or_404(repo, sha)))


def get_blob(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    sha = repo.git.full_sha(req.args["sha"]) if repo.git.object_type(req.args["sha"]) == "blob" else None
    if sha is None:
        raise not_found()
    if repo.git.object_size(sha) > contents.MAX_FILE_SIZE:
        raise contents.too_large()
    data = repo.git.read_blob(sha)
    return Reply(
        200,
        {
            "sha": sha,
            "node_id": node_id("B_", f"{repo.full_name}:{sha}"),
            "size": len(data),
            "url": repo.api("git/blobs", sha),
            "content": b64(data),
            "encoding": "base64",
        },
    )


def get_tree(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    ref = req.args["sha"]
    commit = repo.git.commit_info(ref)  # a commit sha or a branch name: its tree
    sha = commit.tree if commit else repo.git.full_sha(ref) if repo.git.object_type(ref) == "tree" else None
    if sha is None:
        raise not_found()
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
    return Reply(200, {"sha": sha, "url": repo.api("git/trees", sha), "tree": tree, "truncated": False})
