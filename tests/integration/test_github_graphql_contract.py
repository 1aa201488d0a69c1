"""The GitHub emulator's GraphQL API against GitHub's published schema (``github_schema/``, from
``@octokit/graphql-schema``): the emulator's schema is a true subset of GitHub's; every query the
bot sends validates against GitHub's schema; and what the emulator answers for those queries is
what GitHub's schema says such an answer is (types, nullability, the objects behind interfaces).

The answers are checked by executing each query again on GitHub's schema with resolvers that read
the emulator's answer, key by key (aliases included): graphql-core then completes every value as
GitHub's schema types it — a null where GitHub promises a value, an ``Int`` that is a string, a
``__typename`` that does not implement the interface, a field the query asked for and the answer
lacks, each fails.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import requests
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    build_schema,
    execute_sync,
    parse,
    validate,
    validate_schema,
)
from graphql.validation.validate import validate_sdl

from slackbot.adapters.github import GitHubForge
from slackbot.sandbox.github_emulator import GitHubEmulator
from slackbot.sandbox.github_emulator.graphql_api import schema as emulated_schema
from slackbot.sandbox.world import World
from tests.integration.conftest import EMULATOR_TOKEN
from tests.integration.test_github_adapter import make_source

PUBLISHED = Path(__file__).parent / "github_schema" / "schema.graphql.gz"
CORE = "lsc-sde/iac-flux-lscsde"
FLUX, HELM, LEGACY = "core/flux-config.yaml", "core/helm-config.yaml", "core/deployment-config.yaml"
AUTH = {"Authorization": f"token {EMULATOR_TOKEN}"}


@cache
def published_sdl() -> str:
    return gzip.decompress(PUBLISHED.read_bytes()).decode("utf-8")


@cache
def published() -> GraphQLSchema:
    """GitHub's schema. Its SDL breaks two of graphql-js's rules in types the emulator does not
    serve (see the test below), so it is built without those checks."""
    return build_schema(published_sdl(), assume_valid_sdl=True, assume_valid=True)


def _served_types() -> dict[str, GraphQLNamedType]:
    return {n: t for n, t in emulated_schema().type_map.items() if not n.startswith("__")}


def test_the_published_schema_is_sound_wherever_the_emulator_serves_it() -> None:
    problems = [e.message for e in validate_sdl(parse(published_sdl()))]
    problems += [e.message for e in validate_schema(build_schema(published_sdl(), assume_valid_sdl=True))]
    assert problems  # GitHub's own slips: if they are fixed, build it with every check again
    named = {
        m for message in problems for m in re.findall(r"(?:implementation field |Field ')(\w+)\.", message)
    }
    assert named, problems
    assert named.isdisjoint(_served_types()), named & set(_served_types())


# -- 1. the emulator's schema is a true subset of GitHub's ----------------------------------------------


def _argument_problems(where: str, ours: GraphQLField, theirs: GraphQLField) -> list[str]:
    problems = []
    for name, argument in ours.args.items():
        public: GraphQLArgument | None = theirs.args.get(name)
        if public is None:
            problems.append(f"{where}({name}:) is not GitHub's")
        elif str(public.type) != str(argument.type) or public.default_value != argument.default_value:
            problems.append(f"{where}({name}: {argument.type}) is GitHub's {name}: {public.type}")
    required = [
        n for n, a in theirs.args.items() if str(a.type).endswith("!") and a.default_value is Undefined
    ]
    problems += [f"{where} lacks GitHub's required argument {n}" for n in required if n not in ours.args]
    return problems


def _type_problems(name: str, ours: GraphQLNamedType, theirs: GraphQLNamedType | None) -> list[str]:
    if theirs is None:
        return [f"GitHub has no type {name}"]
    if type(ours) is not type(theirs):
        return [f"{name} is a {type(ours).__name__} here, a {type(theirs).__name__} on GitHub"]
    problems = []
    if isinstance(ours, GraphQLObjectType | GraphQLInterfaceType):
        assert isinstance(theirs, GraphQLObjectType | GraphQLInterfaceType)
        extra = {i.name for i in ours.interfaces} - {i.name for i in theirs.interfaces}
        problems += [f"{name} implements {i} here, not on GitHub" for i in sorted(extra)]
        for field_name, field in ours.fields.items():
            public = theirs.fields.get(field_name)
            if public is None:
                problems.append(f"GitHub has no {name}.{field_name}")
            elif str(public.type) != str(field.type):
                problems.append(f"{name}.{field_name} is {field.type} here, {public.type} on GitHub")
            else:
                problems += _argument_problems(f"{name}.{field_name}", field, public)
    if isinstance(ours, GraphQLUnionType):
        assert isinstance(theirs, GraphQLUnionType)
        extra = {t.name for t in ours.types} - {t.name for t in theirs.types}
        problems += [f"{name} may be {t} here, not on GitHub" for t in sorted(extra)]
    if isinstance(ours, GraphQLEnumType):
        assert isinstance(theirs, GraphQLEnumType)
        problems += [f"GitHub has no {name}.{v}" for v in ours.values if v not in theirs.values]
    return problems


@pytest.mark.parametrize("name", sorted(_served_types()))
def test_every_type_the_emulator_serves_is_githubs_with_the_same_fields_arguments_and_interfaces(
    name: str,
) -> None:
    ours = _served_types()[name]
    assert _type_problems(name, ours, published().type_map.get(name)) == []


def test_the_emulators_query_root_is_githubs() -> None:
    root, public_root = emulated_schema().query_type, published().query_type
    assert root is not None
    assert public_root is not None
    assert root.name == public_root.name
    assert emulated_schema().mutation_type is None  # queries only: a GraphQL request never writes


def test_the_subset_check_catches_what_github_does_not_have() -> None:
    lax = build_schema(
        "type Query { repository(owner: String!, name: String, typo: Int): Repository }"
        " type Repository { ref(qualifiedName: String): Ref, stars: Int } type Ref { name: String! }"
    )
    found = [
        p
        for n, t in lax.type_map.items()
        if not n.startswith("__")
        for p in _type_problems(n, t, published().type_map.get(n))
    ]
    assert "Query.repository(name: String) is GitHub's name: String!" in found
    assert "Query.repository(typo:) is not GitHub's" in found
    assert "Repository.ref(qualifiedName: String) is GitHub's qualifiedName: String!" in found
    assert "GitHub has no Repository.stars" in found
    assert not [p for p in found if p.startswith("Ref")]  # Ref.name: String! is GitHub's


# -- 2. and 3. what the bot asks, and what the emulator answers ---------------------------------------------


@pytest.fixture
def asked(
    github_emulator: GitHubEmulator, sandbox_world: World
) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every query the real adapter sends: a cold read of many branches (a missing one, a link, a
    folder, text that is not UTF-8, a big file among them), files at many commits, an unknown
    repository."""
    git = sandbox_world.repo(CORE)
    git.commit_file("stg", "core/big.yaml", "#" * 600_000, "A big file")
    git.commit_file("stg", "core/link.yaml", "flux-config.yaml", "A link", mode="120000")
    git.commit_file("dev", HELM, "components: {}  # café\n".encode("latin-1"), "Latin-1")
    source: GitHubForge = make_source(github_emulator)
    try:
        paths = [FLUX, HELM, LEGACY, "core/big.yaml", "core/link.yaml", "core"]
        read = source.read_branches(CORE, dict.fromkeys(("prod", "stg", "dev", "uat", "main", "gone"), paths))
        heads = [s.head.sha for s in read.values() if not isinstance(s, Exception)]
        source.read_commits(CORE, {sha: [f"core/n{k}.yaml" for k in range(4)] for sha in heads})  # 20
        source.read_branches("lsc-sde/nope", {"prod": [FLUX], "stg": [FLUX]})
        yield github_emulator.graphql.queries()
    finally:
        source.close()


def test_the_bot_asks_for_branch_heads_files_at_commits_and_its_cost(
    asked: list[tuple[str, dict[str, Any]]],
) -> None:
    operations = sorted({re.findall(r"query (\w+)", query)[0] for query, _ in asked})
    assert operations == ["BranchFiles", "CommitFiles"]
    assert all("rateLimit { cost remaining resetAt }" in query for query, _ in asked)


def test_every_query_the_bot_sends_validates_against_githubs_schema(
    asked: list[tuple[str, dict[str, Any]]],
) -> None:
    for query, _variables in asked:
        assert [e.message for e in validate(published(), parse(query))] == [], query


def _from_answer(source: Any, info: GraphQLResolveInfo[Any], **_args: Any) -> Any:
    return source[info.path.key]  # the answer's key for this field: its alias, or its name


def _typename(value: Any, _info: GraphQLResolveInfo[Any], _abstract: Any) -> str:
    return str(value["__typename"])


def _conforms(query: str, variables: dict[str, Any], data: Any) -> list[str]:
    result = execute_sync(
        published(),
        parse(query),
        root_value=data,
        variable_values=variables,
        field_resolver=_from_answer,
        type_resolver=_typename,
    )
    problems = [f"{e.path}: {e.message}" for e in result.errors or []]
    return problems if problems else ([] if result.data == data else ["the answer changed on completion"])


def test_every_answer_the_emulator_gives_is_what_githubs_schema_describes(
    asked: list[tuple[str, dict[str, Any]]], github_emulator: GitHubEmulator
) -> None:
    seen = set()
    for query, variables in asked:
        answer = requests.post(
            f"{github_emulator.base_url}/graphql",
            json={"query": query, "variables": variables},
            headers=AUTH,
            timeout=10,
        )
        assert answer.status_code == 200
        body = answer.json()
        assert set(body) <= {"data", "errors"}
        assert _conforms(query, variables, body["data"]) == []
        for error in body.get("errors", []):
            assert isinstance(error["message"], str)
            assert error["type"] == "NOT_FOUND"
            assert error["path"] == ["repository"]
            assert all(set(at) == {"line", "column"} for at in error["locations"])
            seen.add("NOT_FOUND")
        reset = body["data"]["rateLimit"]["resetAt"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", reset)  # DateTime: ISO-8601, UTC
        seen |= _typenames(body["data"])
    assert seen == {"Commit", "Blob", "Tree", "NOT_FOUND"}


def _typenames(data: Any) -> set[str]:
    if isinstance(data, dict):
        found = {str(data["__typename"])} if "__typename" in data else set()
        return found.union(*(_typenames(v) for v in data.values()))
    return set()


def test_the_conformance_check_catches_an_answer_githubs_schema_forbids() -> None:
    query = 'query { repository(owner: "o", name: "n") { b0: ref(qualifiedName: "x") { name target { __typename oid } } } }'
    right = {"repository": {"b0": {"name": "x", "target": {"__typename": "Commit", "oid": "a" * 40}}}}
    assert _conforms(query, {}, right) == []
    null_name = {"repository": {"b0": {"name": None, "target": None}}}
    assert any(
        "Cannot return null for non-nullable field Ref.name" in p for p in _conforms(query, {}, null_name)
    )
    not_an_object = {"repository": {"b0": {"name": "x", "target": {"__typename": "Ref", "oid": "a"}}}}
    assert _conforms(query, {}, not_an_object) != []
    missing = {"repository": {"b0": {"target": None}}}
    assert _conforms(query, {}, missing) != []
