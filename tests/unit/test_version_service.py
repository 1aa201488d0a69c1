"""VersionService against an in-memory forge: what it answers and what it asks for."""

from __future__ import annotations

import pytest

from slackbot.domain.core_files import ComponentSpec
from slackbot.domain.errors import NotFound
from slackbot.domain.names import UnknownName
from slackbot.services.versions import EnvironmentSpec, VersionService
from tests.unit.fakes import FakeSource

CORE = "acme/core"
JUPYTER = "acme/flux-jupyter"


def flux(**branches: str) -> str:
    lines = ["components:"]
    for name, branch in branches.items():
        lines += [f"  {name}:", "    repository:", f"      branch: {branch}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def source() -> FakeSource:
    forge = FakeSource()
    forge.add_branch(
        CORE,
        "prod",
        "a" * 40,
        {
            "core/flux-config.yaml": flux(jupyter_hub="release/0.2.105", keda="release/0.1.44"),
            "core/helm-config.yaml": "components:\n  jupyter_hub:\n    chart_version: 3.2.1\n",
        },
    )
    forge.add_branch(CORE, "stg", "b" * 40, {"core/flux-config.yaml": flux(jupyter_hub="release/0.2.105")})
    forge.add_branch(CORE, "dev", "c" * 40, {"core/flux-config.yaml": flux(jupyter_hub="release/0.2.106")})
    forge.add_branch(
        CORE,
        "uat",
        "d" * 40,
        {
            "core/deployment-config.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deployment-config\n"
                'data:\n  jupyter_branch: "release/0.2.105"\n'
            ),
        },
    )
    forge.add_branch(JUPYTER, "release/0.2.105", "e" * 40)
    return forge


def service(source: FakeSource, **environments: str) -> VersionService:
    envs = environments or {"prod": "prod", "stg": "stg", "dev": "dev", "uat": "uat"}
    return VersionService(
        source,
        core_repository=CORE,
        environments={name: EnvironmentSpec(name, branch) for name, branch in envs.items()},
        catalog={"jupyter_hub": ComponentSpec("jupyter_hub", repository=JUPYTER, aliases=("jupyter",))},
    )


def test_an_environment_lists_every_component_its_files_mention(source: FakeSource) -> None:
    prod = service(source).environment("prod")
    assert [c.name for c in prod.components] == ["jupyter_hub", "keda"]
    jupyter = prod.component("jupyter_hub")
    assert jupyter is not None
    assert (jupyter.branch, jupyter.chart_version, jupyter.repository) == (
        "release/0.2.105",
        "3.2.1",
        JUPYTER,
    )
    assert prod.commit == "a" * 40


def test_a_component_report_names_every_environment_on_the_same_release_branch(source: FakeSource) -> None:
    report = service(source).component("prod", "jupyter")
    assert report.component.name == "jupyter_hub"
    assert report.shared_with == ("stg", "uat")  # uat pins it through the legacy file
    assert report.release_head is not None
    assert report.release_head.sha == "e" * 40


def test_other_environments_are_read_for_their_branch_pins_only(source: FakeSource) -> None:
    service(source).component("prod", "jupyter_hub")
    paths_by_branch = {branch: paths for _, branch, paths in source.reads}
    assert "core/helm-config.yaml" in paths_by_branch["prod"]
    assert set(paths_by_branch["stg"]) == {"core/flux-config.yaml", "core/deployment-config.yaml"}


def test_the_release_head_is_asked_for_alongside_the_files_once_the_branch_is_known(
    source: FakeSource,
) -> None:
    versions = service(source)
    versions.component("prod", "jupyter_hub")
    versions.component("prod", "jupyter")  # same component by alias: the memo still applies
    assert source.heads_asked == [(JUPYTER, "release/0.2.105")] * 2


def test_a_component_the_environment_does_not_deploy_is_a_clear_not_found(source: FakeSource) -> None:
    with pytest.raises(NotFound, match=r"dev does not deploy `keda`.*deployed in prod"):
        service(source).component("dev", "keda")


def test_an_unknown_component_suggests_close_names(source: FakeSource) -> None:
    with pytest.raises(UnknownName) as caught:
        service(source).component("prod", "jupiter")
    assert "jupyter_hub" in caught.value.suggestions


def test_an_unreadable_environment_does_not_stop_the_answer(source: FakeSource) -> None:
    versions = service(source, prod="prod", stg="stg", broken="no-such-branch")
    report = versions.component("prod", "jupyter_hub")
    assert report.shared_with == ("stg",)
    assert report.unreadable == ("broken",)


def test_a_missing_release_branch_is_reported_not_raised(source: FakeSource) -> None:
    report = service(source).component("dev", "jupyter_hub")  # release/0.2.106 does not exist
    assert report.release_head is None
    assert report.release_problem is not None
    assert "release/0.2.106" in report.release_problem


def test_environment_names_resolve_through_aliases() -> None:
    versions = VersionService(
        FakeSource(),
        core_repository=CORE,
        environments={"prod": EnvironmentSpec("prod", "prod", aliases=("production",))},
        catalog={},
    )
    assert versions.resolve_environment("Production") == "prod"
    with pytest.raises(UnknownName, match="prd"):
        versions.resolve_environment("prd")


def test_an_environment_read_again_at_the_same_commit_is_not_parsed_again(source: FakeSource) -> None:
    versions = service(source)
    first = versions.environment("prod")

    again = versions.environment("prod")
    source.add_branch(CORE, "prod", "f" * 40, {"core/flux-config.yaml": flux(jupyter_hub="release/0.2.106")})
    moved = versions.environment("prod")

    assert again is first  # the same commit's files: the pins parsed before
    assert moved is not first
    assert moved.commit == "f" * 40
    assert moved.component("jupyter_hub") is not None
    assert moved.component("jupyter_hub").branch == "release/0.2.106"  # type: ignore[union-attr]
