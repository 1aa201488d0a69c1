"""Every JSON body the GitHub emulator answers, for every endpoint the bot (and PyGithub under it)
calls, read with the models githubkit generates from GitHub's published OpenAPI description
(``github/rest-api-description``), version 2022-11-28: the one GitHub answers with when, as
PyGithub does, a client sends no ``X-GitHub-Api-Version``.

``model_validate`` holds each body to the schema: every required field present, every value of
its type (a string where a string is required, null only where null is allowed, an enum's
values). The schema allows fields it does not describe, so each body is also checked for keys the
schema does not declare at any depth: an emulator inventing fields would teach the bot to rely on
something github.com never sends.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import githubkit_schemas.v2022_11_28.models as gh
import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import BaseModel, ValidationError

from slackbot.sandbox.github_emulator import GitHubEmulator, contents
from slackbot.sandbox.world import World
from tests.integration.conftest import EMULATOR_TOKEN

CORE = "lsc-sde/iac-flux-lscsde"
JUPYTER = "lsc-sde/iac-flux-jupyter"
RELEASE = "release/0.2.105"
AUTH = {"Authorization": f"token {EMULATOR_TOKEN}"}


class Client:
    """Raw HTTP to the emulator: the bodies as sent, before any client library reads them."""

    def __init__(self, emulator: GitHubEmulator) -> None:
        self.base = emulator.base_url

    def call(self, method: str, path: str, status: int, body: Any = None, **headers: str) -> Any:
        answer = requests.request(
            method, self.base + path, json=body, headers={**AUTH, **headers}, timeout=10
        )
        assert answer.status_code == status, (method, path, answer.status_code, answer.text)
        return answer.json()


@pytest.fixture
def api(github_emulator: GitHubEmulator) -> Client:
    return Client(github_emulator)


@pytest.fixture
def hotfix_branch(sandbox_world: World) -> str:
    """``hotfix/INC-1``: the release branch plus one commit, as a developer would push it."""
    git = sandbox_world.repo(JUPYTER)
    base = git.ref(f"refs/heads/{RELEASE}")
    assert base is not None
    assert git.create_ref("refs/heads/hotfix/INC-1", base)
    git.commit_file("hotfix/INC-1", "values/fix.yaml", "fix: true\n", "Fix it")
    return "hotfix/INC-1"


def undeclared(model: BaseModel, data: Any, where: str = "") -> list[str]:
    """Keys of ``data`` that the model's schema does not declare, at any depth, as dotted paths."""
    if isinstance(model, list | tuple) and isinstance(data, list):
        return [
            key
            for i, (m, d) in enumerate(zip(model, data, strict=True))
            for key in undeclared(m, d, f"{where}[{i}]")
        ]
    if not isinstance(model, BaseModel) or not isinstance(data, dict):
        return []
    fields = type(model).model_fields
    declared = {field.alias or name: name for name, field in fields.items()}
    found = [f"{where}.{key}".lstrip(".") for key in data if key not in declared]
    for key, name in declared.items():
        if key in data:
            found += undeclared(getattr(model, name), data[key], f"{where}.{key}")
    return found


# Sent by github.com although the 2022-11-28 description leaves it out of that schema: every error
# answer carries its status as a string ("422"), and ``basic-error`` declares it.
SENT_BUT_UNDECLARED = {"ValidationError": {"status"}}


def conforms(model: type[BaseModel], data: Any) -> None:
    """``data`` is a valid ``model`` (or a list of them) and has no key the schema lacks."""
    items = data if isinstance(data, list) else [data]
    assert items, "an empty answer proves nothing about its shape"
    allowed = SENT_BUT_UNDECLARED.get(model.__name__, set())
    for item in items:
        try:
            parsed = model.model_validate(item)
        except ValidationError as error:  # one line per field: what is missing or of the wrong type
            wrong = sorted({(".".join(map(str, e["loc"])), e["type"]) for e in error.errors()})
            pytest.fail(f"not a {model.__name__}:\n" + "\n".join(f"  {at}: {kind}" for at, kind in wrong))
        assert [k for k in undeclared(parsed, item) if k not in allowed] == [], model.__name__


# -- reads ------------------------------------------------------------------------------------------


def test_a_branch_is_a_branch_with_protection(api: Client) -> None:
    conforms(gh.BranchWithProtection, api.call("GET", f"/repos/{CORE}/branches/prod", 200))
    conforms(gh.BranchWithProtection, api.call("GET", f"/repos/{JUPYTER}/branches/{RELEASE}", 200))


def test_a_file_is_a_content_file(api: Client) -> None:
    body = api.call("GET", f"/repos/{CORE}/contents/core/flux-config.yaml?ref=prod", 200)
    conforms(gh.ContentFile, body)


def test_a_file_over_1_mb_is_a_content_file_without_its_content(api: Client, sandbox_world: World) -> None:
    sandbox_world.repo(CORE).commit_file("prod", "core/big.yaml", "#\n" * 600_000, "A big file")
    body = api.call("GET", f"/repos/{CORE}/contents/core/big.yaml?ref=prod", 200)
    assert (body["encoding"], body["content"]) == ("none", "")
    conforms(gh.ContentFile, body)
    conforms(gh.Blob, api.call("GET", f"/repos/{CORE}/git/blobs/{body['sha']}", 200))


def test_a_dangling_symlink_is_a_content_symlink(api: Client, sandbox_world: World) -> None:
    sandbox_world.repo(CORE).commit_file("prod", "core/link.yaml", "gone.yaml", "Link", mode="120000")
    body = api.call("GET", f"/repos/{CORE}/contents/core/link.yaml?ref=prod", 200)
    assert body["type"] == "symlink"
    conforms(gh.ContentSymlink, body)


def test_a_folder_is_a_list_of_content_directory_items(api: Client) -> None:
    conforms(gh.ContentDirectoryItems, api.call("GET", f"/repos/{CORE}/contents/core?ref=prod", 200))


def test_a_blob_is_a_blob(api: Client) -> None:
    file = api.call("GET", f"/repos/{CORE}/contents/core/flux-config.yaml?ref=prod", 200)
    conforms(gh.Blob, api.call("GET", f"/repos/{CORE}/git/blobs/{file['sha']}", 200))


@pytest.mark.parametrize(
    ("base", "head"),
    [("main", RELEASE), (RELEASE, "main"), ("release/0.2.69", "release/0.2.69")],
    ids=["diverged", "other-way", "identical"],
)
def test_a_comparison_is_a_commit_comparison(api: Client, base: str, head: str) -> None:
    conforms(gh.CommitComparison, api.call("GET", f"/repos/{JUPYTER}/compare/{base}...{head}", 200))


def test_a_paged_comparison_is_a_commit_comparison(api: Client) -> None:
    conforms(
        gh.CommitComparison, api.call("GET", f"/repos/{JUPYTER}/compare/main...{RELEASE}?per_page=1", 200)
    )


def test_commit_statuses_are_statuses(api: Client, sandbox_world: World) -> None:
    sha = sandbox_world.repo(CORE).ref("refs/heads/prod")
    posted = {"state": "success", "context": "kustomization/flux-system", "description": "applied"}
    conforms(gh.Status, api.call("POST", f"/repos/{CORE}/statuses/{sha}", 201, posted))
    conforms(gh.Status, api.call("GET", f"/repos/{CORE}/commits/prod/statuses?per_page=100", 200))
    conforms(gh.CombinedCommitStatus, api.call("GET", f"/repos/{CORE}/commits/prod/status", 200))


# -- writes, and the pull requests they make ---------------------------------------------------------


def test_refs_read_one_by_one_and_by_prefix_are_git_refs(api: Client) -> None:
    conforms(gh.GitRef, api.call("GET", f"/repos/{JUPYTER}/git/ref/heads/{RELEASE}", 200))
    conforms(
        gh.GitRef, api.call("GET", f"/repos/{JUPYTER}/git/matching-refs/heads/release/?per_page=100", 200)
    )


def test_every_branch_listed_at_once_is_a_git_ref_page_by_page(api: Client) -> None:
    """The bot reads the heads of all environment branches from this listing, 100 a page."""
    listed = api.call("GET", f"/repos/{CORE}/git/matching-refs/heads/?per_page=100", 200)
    conforms(gh.GitRef, listed)
    assert {"refs/heads/prod", "refs/heads/stg", "refs/heads/uat"} <= {ref["ref"] for ref in listed}
    conforms(gh.GitRef, api.call("GET", f"/repos/{CORE}/git/matching-refs/heads/?per_page=2&page=2", 200))


def test_a_file_at_a_commit_is_a_content_file(api: Client) -> None:
    sha = api.call("GET", f"/repos/{CORE}/git/ref/heads/prod", 200)["object"]["sha"]
    conforms(gh.ContentFile, api.call("GET", f"/repos/{CORE}/contents/core/flux-config.yaml?ref={sha}", 200))


def test_a_created_branch_is_a_git_ref(api: Client, sandbox_world: World) -> None:
    sha = sandbox_world.repo(JUPYTER).ref(f"refs/heads/{RELEASE}")
    created = api.call(
        "POST", f"/repos/{JUPYTER}/git/refs", 201, {"ref": "refs/heads/hotfix/INC-9", "sha": sha}
    )
    conforms(gh.GitRef, created)


def test_a_committed_file_is_a_file_commit(api: Client, hotfix_branch: str) -> None:
    current = api.call("GET", f"/repos/{JUPYTER}/contents/values/fix.yaml?ref={hotfix_branch}", 200)
    change = {
        "message": "Pin it",
        "content": base64.b64encode(b"fix: false\n").decode(),
        "sha": current["sha"],
        "branch": hotfix_branch,
    }
    conforms(gh.FileCommit, api.call("PUT", f"/repos/{JUPYTER}/contents/values/fix.yaml", 200, change))
    new = {"message": "Add", "content": base64.b64encode(b"x: 1\n").decode(), "branch": hotfix_branch}
    conforms(gh.FileCommit, api.call("PUT", f"/repos/{JUPYTER}/contents/values/new.yaml", 201, new))


def test_pull_requests_opened_listed_read_and_merged(api: Client, hotfix_branch: str) -> None:
    asked = {"title": "Fix INC-1", "body": "Details", "head": hotfix_branch, "base": RELEASE}
    opened = api.call("POST", f"/repos/{JUPYTER}/pulls", 201, asked)
    conforms(gh.PullRequest, opened)
    listed = api.call(
        "GET", f"/repos/{JUPYTER}/pulls?state=open&head=lsc-sde:{hotfix_branch}&base={RELEASE}", 200
    )
    conforms(gh.PullRequestSimple, listed)
    for _ in range(3):  # while GitHub computes mergeability, and after
        conforms(gh.PullRequest, api.call("GET", f"/repos/{JUPYTER}/pulls/{opened['number']}", 200))
    merged = api.call("PUT", f"/repos/{JUPYTER}/pulls/{opened['number']}/merge", 200, {})
    conforms(gh.PullRequestMergeResult, merged)
    conforms(gh.PullRequest, api.call("GET", f"/repos/{JUPYTER}/pulls/{opened['number']}", 200))
    conforms(gh.PullRequestSimple, api.call("GET", f"/repos/{JUPYTER}/pulls?state=closed", 200))


# -- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", f"/repos/{CORE}/branches/nope", None, 404),
        ("GET", f"/repos/{CORE}/contents/core/nope.yaml?ref=prod", None, 404),
        ("GET", f"/repos/{CORE}/contents/core/flux-config.yaml?ref=nope", None, 404),
        ("GET", "/repos/lsc-sde/nope/compare/main...prod", None, 404),
        ("GET", f"/repos/{CORE}/pulls/999", None, 404),
        ("POST", f"/repos/{CORE}/git/refs", {"ref": "refs/heads/prod", "sha": "0" * 40}, 422),
        ("PUT", f"/repos/{CORE}/contents/x.yaml", {"message": "m", "content": "eA==", "branch": "nope"}, 404),
    ],
    ids=["branch", "file", "ref", "repository", "pull", "ref-create", "contents-put"],
)
def test_refusals_are_basic_errors(api: Client, method: str, path: str, body: Any, status: int) -> None:
    conforms(gh.BasicError, api.call(method, path, status, body))


def test_a_file_too_large_for_the_api_is_refused_with_its_reason(
    api: Client, sandbox_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contents, "MAX_FILE_SIZE", 10)  # stands in for 100 MB
    sandbox_world.repo(CORE).commit_file("prod", "core/big.yaml", "#" * 20, "A big file")
    body = api.call("GET", f"/repos/{CORE}/contents/core/big.yaml?ref=prod", 403)
    # The description names basic-error; github.com sends the per-field reason as well, which is
    # the shape of a validation error.
    conforms(gh.ValidationError, body)


def test_a_branch_name_git_refuses_is_a_basic_error(api: Client, sandbox_world: World) -> None:
    sha = sandbox_world.repo(JUPYTER).ref(f"refs/heads/{RELEASE}")
    refused = api.call(
        "POST", f"/repos/{JUPYTER}/git/refs", 422, {"ref": f"refs/heads/{RELEASE}/x", "sha": sha}
    )
    assert refused["message"] == "Reference update failed"
    conforms(gh.BasicError, refused)


def test_a_refused_pull_request_is_a_validation_error(api: Client) -> None:
    asked = {"title": "x", "head": "hotfix/nope", "base": "main"}
    conforms(gh.ValidationError, api.call("POST", f"/repos/{JUPYTER}/pulls", 422, asked))


# -- the GitHub App's installation token ------------------------------------------------------------


def test_an_installation_token_is_an_installation_token(sandbox_world: World) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    token = jwt.encode({"iss": "4242", "iat": now - 30, "exp": now + 300}, key, algorithm="RS256")
    with GitHubEmulator(sandbox_world.repos_dir, app=(4242, public.decode())) as emulator:
        answer = requests.post(
            f"{emulator.base_url}/app/installations/7/access_tokens",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
    assert answer.status_code == 201
    conforms(gh.InstallationToken, answer.json())
