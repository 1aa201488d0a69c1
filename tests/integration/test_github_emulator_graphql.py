"""The GitHub emulator's ``POST /graphql``, over raw HTTP, as GitHub answers it: credentials,
malformed requests, queries that do not validate, unknown repositories, missing refs and files,
the points budget of its own, and blobs as GitHub's ``Blob`` describes them."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from slackbot.sandbox.github_emulator import GitHubEmulator
from slackbot.sandbox.github_emulator.graphql_api import NO_QUERY, TEXT_LIMIT
from slackbot.sandbox.world import World
from tests.integration.conftest import EMULATOR_TOKEN

CORE = "lsc-sde/iac-flux-lscsde"
AUTH = {"Authorization": f"token {EMULATOR_TOKEN}"}
FILE = """query($owner: String!, $name: String!, $ref: String!, $path: String!) {
  repository(owner: $owner, name: $name) {
    ref(qualifiedName: $ref) {
      name prefix
      target { __typename oid ... on Commit { file(path: $path) {
        name path type mode size oid object { __typename ... on Blob { byteSize isBinary isTruncated text } }
      } } }
    }
  }
  rateLimit { cost limit remaining used }
}"""


def post(emulator: GitHubEmulator, body: Any, token: str = EMULATOR_TOKEN) -> requests.Response:
    headers = {"Authorization": f"token {token}"}
    if isinstance(body, bytes):
        return requests.post(f"{emulator.base_url}/graphql", data=body, headers=headers, timeout=10)
    return requests.post(f"{emulator.base_url}/graphql", json=body, headers=headers, timeout=10)


def file_at(emulator: GitHubEmulator, path: str, ref: str = "prod", repository: str = CORE) -> Any:
    owner, name = repository.split("/")
    answer = post(
        emulator, {"query": FILE, "variables": {"owner": owner, "name": name, "ref": ref, "path": path}}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_credentials_are_the_rest_apis(github_emulator: GitHubEmulator) -> None:
    answer = post(github_emulator, {"query": "{ rateLimit { cost } }"}, token="wrong")
    assert answer.status_code == 401
    assert answer.json()["message"] == "Bad credentials"


def test_a_body_that_is_not_json_is_refused_and_a_missing_query_is_said(
    github_emulator: GitHubEmulator,
) -> None:
    assert post(github_emulator, b"{not json").status_code == 400
    answer = post(github_emulator, {"variables": {}})
    assert answer.status_code == 200
    assert answer.json() == {"errors": [{"message": NO_QUERY}]}


def test_a_query_that_does_not_validate_answers_errors_alone_and_costs_nothing(
    github_emulator: GitHubEmulator,
) -> None:
    for query in ('{ repository(owner: "a", name: "b") { stars } }', "{ repository(", "mutation { x }"):
        answer = post(github_emulator, {"query": query})
        assert answer.status_code == 200
        body = answer.json()
        assert list(body) == ["errors"], body
        assert all(isinstance(e["message"], str) and e["locations"] for e in body["errors"])
    assert github_emulator.graphql.points_used() == 0


def test_an_unknown_repository_is_null_with_githubs_not_found_error(github_emulator: GitHubEmulator) -> None:
    body = file_at(github_emulator, "core/flux-config.yaml", repository="lsc-sde/nope")
    assert body["data"]["repository"] is None
    [error] = body["errors"]
    assert error["type"] == "NOT_FOUND"
    assert error["path"] == ["repository"]
    assert error["message"] == "Could not resolve to a Repository with the name 'lsc-sde/nope'."
    assert error["locations"] == [{"line": 2, "column": 3}]


def test_a_missing_ref_or_file_is_null_and_no_error(github_emulator: GitHubEmulator) -> None:
    assert file_at(github_emulator, "core/flux-config.yaml", ref="refs/heads/nope")["data"]["repository"] == {
        "ref": None
    }
    body = file_at(github_emulator, "core/nope.yaml")
    assert "errors" not in body
    assert body["data"]["repository"]["ref"]["target"]["file"] is None


def test_a_ref_is_found_fully_qualified_then_by_its_short_name(
    github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    sha = sandbox_world.repo(CORE).resolve("refs/heads/prod")
    for ref in ("refs/heads/prod", "prod"):
        found = file_at(github_emulator, "core/flux-config.yaml", ref=ref)["data"]["repository"]["ref"]
        assert (found["name"], found["prefix"], found["target"]["oid"]) == ("prod", "refs/heads/", sha)


def test_a_file_is_its_tree_entry_and_blob(github_emulator: GitHubEmulator, sandbox_world: World) -> None:
    git = sandbox_world.repo(CORE)
    entry = file_at(github_emulator, "core/flux-config.yaml")["data"]["repository"]["ref"]["target"]["file"]
    data = git.read_blob(entry["oid"])
    assert entry["name"] == "flux-config.yaml"
    assert entry["path"] == "core/flux-config.yaml"
    assert (entry["type"], entry["mode"], entry["size"]) == ("blob", 0o100644, len(data))
    assert entry["object"] == {
        "__typename": "Blob",
        "byteSize": len(data),
        "isBinary": False,
        "isTruncated": False,
        "text": data.decode(),
    }


def test_a_folder_is_a_tree_and_a_link_is_a_blob_holding_its_target(
    github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    sandbox_world.repo(CORE).commit_file(
        "prod", "core/link.yaml", "flux-config.yaml", "A link", mode="120000"
    )
    folder = file_at(github_emulator, "core")["data"]["repository"]["ref"]["target"]["file"]
    assert (folder["type"], folder["mode"], folder["object"]["__typename"]) == ("tree", 0o40000, "Tree")
    link = file_at(github_emulator, "core/link.yaml")["data"]["repository"]["ref"]["target"]["file"]
    assert (link["type"], link["mode"], link["object"]["text"]) == ("blob", 0o120000, "flux-config.yaml")


@pytest.mark.parametrize(
    ("data", "binary", "truncated"),
    [
        (b"\x89PNG\r\n\x1a\n\0\0", True, False),
        ("é".encode() * (TEXT_LIMIT // 2 + 10), False, True),
        ("café\n".encode("latin-1"), False, False),
    ],
    ids=["binary", "over-512000-bytes", "latin-1"],
)
def test_blob_text_is_null_for_binary_cut_when_long_and_utf8_always(
    github_emulator: GitHubEmulator, sandbox_world: World, data: bytes, binary: bool, truncated: bool
) -> None:
    sandbox_world.repo(CORE).commit_file("prod", "core/odd.bin", data, "An odd file")
    blob = file_at(github_emulator, "core/odd.bin")["data"]["repository"]["ref"]["target"]["file"]["object"]
    assert (blob["byteSize"], blob["isBinary"], blob["isTruncated"]) == (len(data), binary, truncated)
    if binary:
        assert blob["text"] is None
    else:
        assert len(blob["text"].encode()) <= TEXT_LIMIT
        assert (len(blob["text"].encode()) != len(data)) is True  # cut, or not UTF-8 to begin with


def test_an_object_by_oid_or_expression(github_emulator: GitHubEmulator, sandbox_world: World) -> None:
    git = sandbox_world.repo(CORE)
    sha = git.resolve("refs/heads/prod") or ""
    query = """query($oid: GitObjectID!) { repository(owner: "lsc-sde", name: "iac-flux-lscsde") {
      byOid: object(oid: $oid) { __typename oid ... on Commit { message } }
      byExpression: object(expression: "prod:core/flux-config.yaml") { __typename }
      none: object(oid: "0000000000000000000000000000000000000000") { oid }
    } }"""
    found = post(github_emulator, {"query": query, "variables": {"oid": sha}}).json()["data"]["repository"]
    info = git.commit_info(sha)
    assert info is not None
    assert found["byOid"] == {"__typename": "Commit", "oid": sha, "message": info.message.rstrip("\n")}
    assert found["byExpression"] == {"__typename": "Blob"}
    assert found["none"] is None


def test_points_are_a_budget_of_their_own_said_in_headers_and_the_answer(
    github_emulator: GitHubEmulator,
) -> None:
    first = post(github_emulator, {"query": "{ rateLimit { cost limit remaining used } }"})
    assert first.json()["data"]["rateLimit"] == {"cost": 1, "limit": 5000, "remaining": 4999, "used": 1}
    assert first.headers["X-RateLimit-Resource"] == "graphql"
    assert (first.headers["X-RateLimit-Remaining"], first.headers["X-RateLimit-Used"]) == ("4999", "1")
    rest = requests.get(f"{github_emulator.base_url}/rate_limit", headers=AUTH, timeout=10).json()
    assert rest["resources"]["core"]["used"] == 0  # a query costs none of REST's requests

    github_emulator.graphql.points_per_hour = 1
    refused = post(github_emulator, {"query": "{ rateLimit { cost } }"})
    assert refused.status_code == 200
    [error] = refused.json()["errors"]
    assert error["type"] == "RATE_LIMITED"
    assert error["message"].startswith("API rate limit exceeded")
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert "data" not in refused.json()


def test_a_query_is_not_content_creation(github_emulator: GitHubEmulator) -> None:
    github_emulator.write_limit_per_minute = 1  # GitHub's secondary limit on writes
    for _ in range(3):
        assert "errors" not in post(github_emulator, {"query": "{ rateLimit { cost } }"}).json()
    created = requests.post(
        f"{github_emulator.base_url}/repos/{CORE}/git/refs",
        json={"ref": "refs/heads/graphql-then-a-write", "sha": "0" * 40},
        headers=AUTH,
        timeout=10,
    )
    assert created.status_code == 422  # refused for its sha, not for the queries before it
    assert created.json()["message"] == "Object does not exist"
