"""The repository and its branches: ``GET /repos/{owner}/{repo}`` and
``GET .../branches/{branch}`` (a branch name may contain slashes).
"""

from __future__ import annotations

from slackbot.sandbox.github_emulator.api import Api, Reply, Request, commit_or_404, not_found
from slackbot.sandbox.github_emulator.shapes import branch_json, repo_json


def get_repo(api: Api, req: Request) -> Reply:
    return Reply(200, repo_json(api.repo(req)))


def get_branch(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    name = req.args["branch"]
    sha = repo.git.ref(f"refs/heads/{name}")
    if sha is None:
        raise not_found("Branch not found")
    return Reply(200, branch_json(repo, name, commit_or_404(repo, sha)))
