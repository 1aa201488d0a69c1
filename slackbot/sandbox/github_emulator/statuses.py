"""Commit statuses, as Flux's notification-controller posts them: ``POST .../statuses/{sha}``,
the list newest first (``GET .../commits/{ref}/statuses`` and the older ``GET .../statuses/{ref}``)
and the combined status (``GET .../commits/{ref}/status``: the latest per context).
"""

from __future__ import annotations

import re

from slackbot.sandbox.github_emulator import api as gh
from slackbot.sandbox.github_emulator.shapes import repo_json, status_json
from slackbot.sandbox.github_emulator.state import load_state, save_state, state_lock

STATUS_STATES = ("error", "failure", "pending", "success")


def create_status(api: gh.Api, req: gh.Request) -> gh.Reply:
    repo = api.repo(req)
    sha = req.args["sha"]
    full = repo.git.full_sha(sha) if re.fullmatch(r"[0-9a-f]{7,40}", sha) else None
    if full is None or repo.git.object_type(full) != "commit":
        raise gh.ApiError(422, f"No commit found for SHA: {sha}")
    state = req.json_field("state")
    if state not in STATUS_STATES:
        raise gh.validation_failed(
            {
                "resource": "Status",
                "field": "state",
                "code": "custom",
                "message": (f"state is not included in the list: {state}"),
            }
        )
    with state_lock(repo):
        data = load_state(repo, "statuses")
        status_id = int(data.get("next_id", 1))
        now = api.now()
        status = {
            "id": status_id,
            "sha": full,
            "state": state,
            "context": req.json_field("context") or "default",
            "description": req.json_field("description"),
            "target_url": req.json_field("target_url"),
            "created_at": now,
            "updated_at": now,
        }
        data["next_id"] = status_id + 1
        data.setdefault("statuses", []).append(status)
        save_state(repo, "statuses", data)
    return gh.Reply(201, status_json(repo, status))


def _statuses_for(repo: gh.Repo, ref: str) -> tuple[str, list[gh.Json]]:
    sha = repo.git.resolve(ref)
    if sha is None:
        raise gh.not_found()
    with state_lock(repo):
        stored = load_state(repo, "statuses").get("statuses", [])
    return sha, sorted((s for s in stored if s["sha"] == sha), key=lambda s: -int(s["id"]))  # newest first


def list_statuses(api: gh.Api, req: gh.Request) -> gh.Reply:
    repo = api.repo(req)
    _sha, statuses = _statuses_for(repo, req.args["ref"])
    return gh.page(api, req, [status_json(repo, s) for s in statuses])


def combined_status(api: gh.Api, req: gh.Request) -> gh.Reply:
    repo = api.repo(req)
    sha, statuses = _statuses_for(repo, req.args["ref"])
    latest: dict[str, gh.Json] = {}
    for status in statuses:  # newest first: the first seen per context wins
        latest.setdefault(status["context"], status)
    states = {s["state"] for s in latest.values()}
    state = (
        "failure"
        if states & {"error", "failure"}
        else "pending"
        if "pending" in states or not states
        else "success"
    )
    return gh.Reply(
        200,
        {
            "state": state,
            # GitHub's simple-commit-status: the combined view names no creator.
            "statuses": [
                {k: v for k, v in status_json(repo, s).items() if k != "creator"} for s in latest.values()
            ],
            "sha": sha,
            "total_count": len(latest),
            "repository": repo_json(repo),
            "commit_url": repo.api("commits", sha),
            "url": repo.api("commits", sha, "status"),
        },
    )
