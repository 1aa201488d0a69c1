"""How two environments differ and where one component runs: the pure logic, and the button's value."""

from __future__ import annotations

import pytest

from slackbot.domain.environment_diff import diff_environments, find_component
from slackbot.domain.errors import NotFound, UsageError
from slackbot.domain.forge import Comparison
from slackbot.domain.make_like import (
    MAKE_LIKE_ACTION,
    MAX_VALUE_CHARS,
    make_like_value,
    parse_make_like_value,
)
from slackbot.domain.versions import ComponentVersions, EnvironmentVersions, Layout

JUPYTER = "acme/flux-jupyter"
NGINX = "acme/flux-nginx"


def component(
    name: str,
    branch: str | None = None,
    chart: str | None = None,
    image: str | None = None,
    repository: str | None = None,
) -> ComponentVersions:
    return ComponentVersions(name, repository, branch, chart, image)


def environment(
    name: str, *components: ComponentVersions, layout: Layout = Layout.SPLIT, commit: str = ""
) -> EnvironmentVersions:
    return EnvironmentVersions(
        environment=name,
        repository="acme/core",
        branch=name,
        commit=commit or name[0] * 40,
        layout=layout,
        components=components,
        core_charts=(),
    )


PROD = environment(
    "prod",
    component("jupyter_hub", "release/0.2.105", "3.2.1", "hub:4.1.5", JUPYTER),
    component("ingress_nginx", "release/0.1.61", "4.11.1", repository=NGINX),
    component("keda", "release/0.1.44", "2.10"),
    component("observability-metrics", "release/0.1.45"),
)
STG = environment(
    "stg",
    component("jupyter_hub", "release/0.2.106", "3.2.1", "hub:4.1.6", JUPYTER),
    component("ingress_nginx", "release/0.1.61", "4.11.1", repository=NGINX),
    component("keda", "release/0.1.44", "2.13.1"),
    component("superset", "release/0.1.17"),
)


def test_components_sort_into_differing_same_and_only_one_side_in_the_files_order() -> None:
    diff = diff_environments(PROD, STG)
    assert [(d.name, d.fields) for d in diff.differences] == [
        ("jupyter_hub", ("branch", "image")),
        ("keda", ("chart_version",)),
    ]
    assert diff.same == ("ingress_nginx",)
    assert (diff.only_left, diff.only_right) == (("observability-metrics",), ("superset",))


def test_each_change_reads_left_then_right() -> None:
    [jupyter, _] = diff_environments(PROD, STG).differences
    assert jupyter.changes() == (
        ("branch", "release/0.2.105", "release/0.2.106"),
        ("image", "hub:4.1.5", "hub:4.1.6"),
    )


def test_values_are_compared_as_written() -> None:
    diff = diff_environments(
        environment("prod", component("keda", chart="2.10")),
        environment("stg", component("keda", chart="2.1")),
    )
    assert [d.fields for d in diff.differences] == [("chart_version",)]


def test_only_differing_branches_of_one_known_repository_are_compared_right_as_the_base() -> None:
    diff = diff_environments(PROD, STG)
    assert diff.comparisons() == ((JUPYTER, "release/0.2.106", "release/0.2.105"),)  # keda: no repository


def test_comparisons_fill_in_how_far_apart_and_a_failure_says_why() -> None:
    diff = diff_environments(PROD, STG)
    key = (JUPYTER, "release/0.2.106", "release/0.2.105")
    compared = diff.with_comparisons({key: Comparison("diverged", ahead_by=1, behind_by=2)})
    assert compared.differences[0].apart == Comparison("diverged", ahead_by=1, behind_by=2)
    assert compared.differences[1].apart is None  # keda was not compared
    failed = diff.with_comparisons({key: NotFound("`acme/flux-jupyter` has no branch `release/0.2.106`.")})
    assert failed.differences[0].apart is None
    assert failed.differences[0].apart_problem == "`acme/flux-jupyter` has no branch `release/0.2.106`."


def test_a_pin_hot_fix_can_make_alike_only_values_both_sides_write_in_the_split_layout() -> None:
    left = environment(
        "prod", component("a", chart="1"), component("b", chart="1"), component("c", image="x")
    )
    right = environment("stg", component("a", chart="2"), component("b", image="y"), component("c"))
    diff = diff_environments(left, right)
    a, b, c = diff.differences
    assert [diff.can_make_like(d) for d in (a, b, c)] == [True, False, False]
    assert b.unchangeable == ("chart_version", "image")  # stg writes no chart, prod no image
    assert c.unchangeable == ("image",)
    legacy = diff_environments(environment("uat", component("a", chart="1"), layout=Layout.LEGACY), right)
    assert not legacy.can_make_like(legacy.differences[0])


def test_where_groups_environments_by_release_branch_and_then_by_chart_and_image() -> None:
    dev = environment("dev", component("jupyter_hub", "release/0.2.106", "3.3.0", "hub:4.1.6", JUPYTER))
    uat = environment("uat", component("keda", "release/0.1.40"))
    found = find_component(
        "jupyter_hub",
        {
            "prod": PROD,
            "stg": STG,
            "dev": dev,
            "uat": uat,
            "lab": NotFound("`acme/core` has no branch `lab`."),
        },
    )
    assert [p.environment for p in found.placements] == ["prod", "stg", "dev"]
    assert found.placements[0].commit == "p" * 40
    assert found.repository == JUPYTER
    assert [(g.branch, g.environments) for g in found.groups] == [
        ("release/0.2.105", ("prod",)),
        ("release/0.2.106", ("stg", "dev")),
    ]
    assert found.groups[1].pin_sets() == (
        ("3.2.1", "hub:4.1.6", ("stg",)),
        ("3.3.0", "hub:4.1.6", ("dev",)),
    )
    assert found.not_deployed == ("uat",)
    assert found.unreadable == (("lab", "`acme/core` has no branch `lab`."),)


# -- the button's value ---------------------------------------------------------------------------


def test_the_button_value_round_trips() -> None:
    assert MAKE_LIKE_ACTION == "versions_make_like"
    value = make_like_value("prod", "stg", "jupyter_hub")
    assert value == "prod|stg|jupyter_hub"
    assert parse_make_like_value(value) == ("prod", "stg", "jupyter_hub")
    assert parse_make_like_value("prod|stg|observability-metrics")[2] == "observability-metrics"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("prod|stg", id="two-parts"),
        pytest.param("prod|stg|a|b", id="four-parts"),
        pytest.param("prod||jupyter_hub", id="an-empty-part"),
        pytest.param("prod|prod|jupyter_hub", id="the-same-environment-twice"),
        pytest.param("prod|stg| jupyter_hub", id="spaces-around-a-name"),
        pytest.param("prod|stg|jupyter\nhub", id="a-control-character"),
        pytest.param("prod|stg|" + "x" * MAX_VALUE_CHARS, id="longer-than-slack-keeps"),
    ],
)
def test_a_value_the_bot_could_not_have_drawn_is_refused_with_a_sentence(value: str) -> None:
    with pytest.raises(UsageError, match="not one the bot draws"):
        parse_make_like_value(value)


@pytest.mark.parametrize(
    ("target", "source", "name"),
    [
        ("prod", "stg", "a|b"),
        ("prod", "prod", "a"),
        ("prod", "stg", ""),
        ("prod", "stg", "x" * MAX_VALUE_CHARS),
    ],
)
def test_names_no_value_can_carry_get_no_value(target: str, source: str, name: str) -> None:
    with pytest.raises(ValueError, match="cannot carry"):
        make_like_value(target, source, name)
