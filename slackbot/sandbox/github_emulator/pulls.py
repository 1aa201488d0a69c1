"""Pull requests: list (GitHub's filters and order), get (``mergeable`` null while GitHub computes
it: after opening and after its head or base moves, until one read has seen it so), open
(``POST .../pulls``: no duplicates, no empty ones, no forks), edit (title, body, base, close and reopen), whether merged
(``GET .../pulls/{n}/merge``), their commits and files, and the pull requests of a commit
(``GET .../commits/{ref}/pulls``). Merging is :mod:`.merge`'s.
"""

from __future__ import annotations

import logging

from slackbot.sandbox.github_emulator.api import (
    Api,
    ApiError,
    Json,
    Reply,
    Repo,
    Request,
    not_found,
    page,
    validation_failed,
)
from slackbot.sandbox.github_emulator.shapes import commit_json, files_json, pull_json
from slackbot.sandbox.github_emulator.state import (
    find_pull,
    load_state,
    pull_shas,
    save_state,
    state_lock,
    stored_pulls,
)

log = logging.getLogger(__name__)


def pr_error(message: str) -> ApiError:
    return validation_failed({"resource": "PullRequest", "code": "custom", "message": message})


def pr_field_error(field_name: str, code: str) -> ApiError:
    return validation_failed({"resource": "PullRequest", "field": field_name, "code": code})


def list_pulls(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    state = req.params.get("state", "open")
    head = req.params.get("head", "")
    base = req.params.get("base")
    # Like GitHub, `head` filters only in the form OWNER:BRANCH; a bare branch name is ignored.
    head_owner, _, head_ref = head.partition(":") if ":" in head else ("", "", "")
    with state_lock(repo):
        pulls = stored_pulls(repo)
    selected = [
        pr
        for pr in pulls
        if (state == "all" or pr["state"] == state)
        and (not head_ref or (head_owner.lower() == repo.owner.lower() and head_ref == pr["head_ref"]))
        and (base is None or base == pr["base_ref"])
    ]
    key = "updated_at" if req.params.get("sort") == "updated" else "created_at"
    selected.sort(
        key=lambda pr: (pr[key], pr["number"]), reverse=req.params.get("direction", "desc") != "asc"
    )
    return page(api, req, [pull_json(repo, pr, full=False) for pr in selected])


def get_pull(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    with state_lock(repo):
        data, pr = find_pull(repo, req.args["number"])
        computed = _mergeability_known(repo, pr)
        if not computed:
            pr["mergeable_for"] = list(pull_shas(repo, pr))  # the background job, done by the next read
            save_state(repo, "pulls", data)
        return Reply(200, pull_json(repo, pr, computed=computed))


def _mergeability_known(repo: Repo, pr: Json) -> bool:
    """Whether GitHub has computed if this head merges into this base yet.

    GitHub computes it in the background once a pull request is opened and whenever its head or
    base moves: "If the value is null, then GitHub has started a background job to compute the
    mergeability." Deterministically here: the answer to opening and the first read after each
    change say null, the reads after it the result.
    """
    return pr["state"] != "open" or pr.get("mergeable_for") == list(pull_shas(repo, pr))


def create_pull(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    title, head, base = req.json_field("title"), req.json_field("head"), req.json_field("base")
    for name, value in (("title", title), ("head", head), ("base", base)):
        if not isinstance(value, str) or not value:
            raise pr_field_error(name, "missing_field")
    head_owner, _, head_ref = head.rpartition(":")
    if head_owner and head_owner.lower() != repo.owner.lower():
        raise pr_field_error("head", "invalid")  # pull requests from forks are not emulated
    head_sha = repo.git.ref(f"refs/heads/{head_ref}")
    if head_sha is None:
        raise pr_field_error("head", "invalid")
    base_sha = repo.git.ref(f"refs/heads/{base}")
    if base_sha is None:
        raise pr_field_error("base", "invalid")
    with state_lock(repo):
        data = load_state(repo, "pulls")
        pulls = data.setdefault("pulls", [])
        if any(p["state"] == "open" and p["head_ref"] == head_ref and p["base_ref"] == base for p in pulls):
            raise pr_error(f"A pull request already exists for {repo.owner}:{head_ref}.")
        if repo.git.count(base_sha, head_sha) == 0:
            raise pr_error(f"No commits between {base} and {head}")
        number = int(data.get("next_number", 1))
        pr = _new_pull(req, number, api.now(), head=(head_ref, head_sha), base=(base, base_sha))
        pulls.append(pr)
        data["next_number"] = number + 1
        repo.git.update_ref(f"refs/pull/{number}/head", head_sha)
        save_state(repo, "pulls", data)
        log.info("opened pull request #%d %s -> %s in %s", number, head_ref, base, repo.full_name)
        location = {"Location": repo.api("pulls", str(number))}
        return Reply(201, pull_json(repo, pr, computed=False), location)


def _new_pull(req: Request, number: int, now: str, *, head: tuple[str, str], base: tuple[str, str]) -> Json:
    """A new open pull request's stored state; ``head`` and ``base`` are (branch, sha)."""
    return {
        "number": number,
        "title": req.json_field("title"),
        "body": req.json_field("body"),
        "state": "open",
        "draft": bool(req.json_field("draft", False)),
        "head_ref": head[0],
        "head_sha": head[1],
        "base_ref": base[0],
        "base_sha": base[1],
        "created_at": now,
        "updated_at": now,
        "closed_at": None,
        "merged_at": None,
        "merge_commit_sha": None,
        "merged_by": None,
    }


def update_pull(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    with state_lock(repo):
        data, pr = find_pull(repo, req.args["number"])
        for name in ("title", "body"):
            if isinstance(req.json_field(name), str):
                pr[name] = req.json_field(name)
        base = req.json_field("base")
        if isinstance(base, str) and base != pr["base_ref"]:
            if pr["state"] != "open" or repo.git.ref(f"refs/heads/{base}") is None:
                raise pr_field_error("base", "invalid")
            pr["base_ref"] = base
        state = req.json_field("state")
        if state not in (None, "open", "closed"):
            raise pr_field_error("state", "invalid")
        if state == "closed" and pr["state"] == "open":
            pr["head_sha"], pr["base_sha"] = pull_shas(repo, pr)
            pr["state"], pr["closed_at"] = "closed", api.now()
        elif state == "open" and pr["state"] == "closed":
            if pr["merged_at"] is not None or repo.git.ref(f"refs/heads/{pr['head_ref']}") is None:
                raise pr_error("state cannot be changed. The pull request cannot be reopened.")
            pr["state"], pr["closed_at"] = "open", None
        pr["updated_at"] = api.now()
        save_state(repo, "pulls", data)
        return Reply(200, pull_json(repo, pr, computed=_mergeability_known(repo, pr)))


def pull_merged(api: Api, req: Request) -> Reply:
    """GET .../pulls/N/merge: 204 if merged, else 404 (PyGithub's PullRequest.is_merged)."""
    repo = api.repo(req)
    with state_lock(repo):
        _data, pr = find_pull(repo, req.args["number"])
    if pr["merged_at"] is None:
        raise not_found()
    return Reply(204)


def list_pull_commits(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    with state_lock(repo):
        _data, pr = find_pull(repo, req.args["number"])
    head, base = pull_shas(repo, pr)
    return page(api, req, [commit_json(repo, c) for c in repo.git.commits_between(base, head)])


def list_pull_files(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    with state_lock(repo):
        _data, pr = find_pull(repo, req.args["number"])
    head, base = pull_shas(repo, pr)
    return page(api, req, files_json(repo, repo.git.merge_base(base, head) or base, head))


def commit_pulls(api: Api, req: Request) -> Reply:
    """Pull requests whose head contains the commit, or that merged it."""
    repo = api.repo(req)
    sha = repo.git.resolve(req.args["ref"])
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {req.args['ref']}")
    with state_lock(repo):
        pulls = stored_pulls(repo)
    found = []
    for pr in pulls:
        head, base = pull_shas(repo, pr)
        if pr["merge_commit_sha"] == sha or (
            repo.git.is_ancestor(sha, head) and not repo.git.is_ancestor(sha, base)
        ):
            found.append(pull_json(repo, pr, full=False))
    return page(api, req, found)
