"""Git references: read one (``GET .../git/ref/{ref}``), the older prefix lookup
(``GET .../git/refs/{ref}``), ``GET .../git/matching-refs/{prefix}``, create one
(``POST .../git/refs``: 422 "Reference already exists", or "Reference update failed" for a name
git refuses beside an existing one, ``a`` and ``a/b``) and move one (``PATCH .../git/refs/{ref}``:
fast-forward only unless ``force``; branches protected as requiring pull requests refuse both).
"""

from __future__ import annotations

import logging
import re

from slackbot.sandbox.github_emulator.api import Api, ApiError, Reply, Request, not_found, page
from slackbot.sandbox.github_emulator.shapes import ref_json
from slackbot.sandbox.github_emulator.state import state_lock
from slackbot.sandbox.gitrepo import GitError, GitRepo

log = logging.getLogger(__name__)

PULL_REQUEST_REQUIRED = "Changes must be made through a pull request."  # GitHub's words
REF_UPDATE_FAILED = "Reference update failed"


def get_ref(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    name = f"refs/{req.args['ref']}"
    sha = repo.git.ref(name)
    if sha is None:
        raise not_found()
    return Reply(200, ref_json(repo, name, sha))


def get_refs_prefix(api: Api, req: Request) -> Reply:
    """The older /git/refs/{ref}: the ref itself, else every ref its name is a prefix of."""
    repo = api.repo(req)
    name = f"refs/{req.args['ref']}"
    refs = repo.git.refs(name)
    if name in refs:
        return Reply(200, ref_json(repo, name, refs[name]))
    if not refs:
        raise not_found()
    return Reply(200, [ref_json(repo, n, s) for n, s in sorted(refs.items())])


def get_matching_refs(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    prefix = f"refs/{req.args.get('ref', '')}"
    return page(api, req, [ref_json(repo, n, s) for n, s in sorted(repo.git.refs(prefix).items())])


def create_ref(api: Api, req: Request) -> Reply:
    repo = api.repo(req)
    name, sha = req.json_field("ref"), req.json_field("sha")
    if not isinstance(name, str) or not isinstance(sha, str):
        raise ApiError(422, 'Invalid request.\n\n"ref" and "sha" wasn\'t supplied.')
    if not name.startswith("refs/") or name.count("/") < 2 or not GitRepo.is_valid_ref_name(name):
        raise ApiError(422, f"{name} is not a valid ref name.")
    full = repo.git.full_sha(sha) if re.fullmatch(r"[0-9a-f]{40}", sha) else None
    if full is None:
        raise ApiError(422, "Object does not exist")
    with state_lock(repo):
        if repo.git.ref(name) is not None:
            raise ApiError(422, "Reference already exists")
        if not repo.git.create_ref(name, full):
            # git refuses a ref whose name is another's folder (refs/heads/a beside refs/heads/a/b,
            # either way round); github.com answers with these words, whatever git's reason.
            raise ApiError(422, REF_UPDATE_FAILED)
    log.info("created %s at %s in %s", name, full[:12], repo.full_name)
    return Reply(
        201, ref_json(repo, name, full), {"Location": repo.api("git/refs", name.removeprefix("refs/"))}
    )


def update_git_ref(api: Api, req: Request) -> Reply:
    """PATCH .../git/refs/{ref}: fast-forward only unless ``force``; protected branches refuse both."""
    repo = api.repo(req)
    name = f"refs/{req.args['ref']}"
    sha, force = req.json_field("sha"), req.json_field("force", False) is True
    if not isinstance(sha, str):
        raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
    with state_lock(repo):
        current = repo.git.ref(name)
        if current is None:
            raise ApiError(422, "Reference does not exist")
        full = repo.git.full_sha(sha) if re.fullmatch(r"[0-9a-f]{40}", sha) else None
        if full is None:
            raise ApiError(422, "Object does not exist")
        fast_forward = repo.git.is_ancestor(current, full)
        if name.startswith("refs/heads/") and repo.protected(name.removeprefix("refs/heads/")):
            # What github.com answers for a branch whose protection requires pull requests.
            refusal = PULL_REQUEST_REQUIRED
            if force and not fast_forward:
                refusal += " Cannot force-push to this branch"
            raise ApiError(422, refusal)
        if not fast_forward and not force:
            raise ApiError(422, "Update is not a fast forward")
        try:
            repo.git.update_ref(name, full, current, message="update via the API")
        except GitError as exc:  # moved by a push since we read it
            raise ApiError(422, "Update is not a fast forward") from exc
    log.info("moved %s to %s in %s%s", name, full[:12], repo.full_name, " (forced)" if force else "")
    return Reply(200, ref_json(repo, name, full))
