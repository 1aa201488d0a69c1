"""Resolving what people type into canonical names, and the sentence they see when it fails."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pytest

from slackbot.domain.errors import BotError
from slackbot.domain.names import UnknownName, fold, resolve_name, suggest

COMPONENTS: dict[str, tuple[str, ...]] = {
    "jupyter_hub": ("jupyter", "hub"),
    "ingress_nginx": ("nginx",),
    "cert_manager": ("certmanager",),
    "observability_metrics": (),
    "observability-metrics": (),
    "keycloak": (),
}
ENVIRONMENTS: dict[str, tuple[str, ...]] = {"dev": (), "prod": ("production",), "stg": ("staging",)}


def unknown(
    query: str, names: Mapping[str, Iterable[str]] = COMPONENTS, kind: str = "component"
) -> UnknownName:
    with pytest.raises(UnknownName) as caught:
        resolve_name(query, names, kind)
    return caught.value


@pytest.mark.parametrize("query", ["jupyter_hub", "Jupyter_Hub", "JUPYTER_HUB", "  jupyter_hub\n"])
def test_canonical_name_ignoring_case_and_whitespace(query: str) -> None:
    assert resolve_name(query, COMPONENTS, "component") == "jupyter_hub"


@pytest.mark.parametrize(("query", "expected"), [("jupyter", "jupyter_hub"), ("NGINX", "ingress_nginx")])
def test_alias_ignoring_case(query: str, expected: str) -> None:
    assert resolve_name(query, COMPONENTS, "component") == expected


@pytest.mark.parametrize(
    ("query", "name", "folded"),
    [
        ("jupyter-hub", "jupyter_hub", "jupyterhub"),
        ("JupyterHub", "jupyter_hub", "jupyterhub"),
        ("jupyter__hub", "jupyter_hub", "jupyterhub"),
        ("cert-manager", "cert_manager", "certmanager"),
    ],
)
def test_dash_underscore_and_case_folding(query: str, name: str, folded: str) -> None:
    assert resolve_name(query, COMPONENTS, "component") == name
    assert fold(query) == folded


def test_dash_and_underscore_names_stay_distinct_when_typed_exactly() -> None:
    assert resolve_name("observability_metrics", COMPONENTS, "component") == "observability_metrics"
    assert resolve_name("observability-metrics", COMPONENTS, "component") == "observability-metrics"
    assert resolve_name("Observability-Metrics", COMPONENTS, "component") == "observability-metrics"


def test_folding_to_two_names_is_ambiguous() -> None:
    error = unknown("ObservabilityMetrics")

    assert error.ambiguous
    assert error.suggestions == ("observability-metrics", "observability_metrics")
    assert str(error) == (
        "`ObservabilityMetrics` could mean the component `observability-metrics` or "
        "`observability_metrics`; which one?"
    )


def test_alias_shared_by_two_names_is_ambiguous() -> None:
    error = unknown("shared", {"a": ("shared",), "b": ("Shared",)})

    assert error.ambiguous
    assert error.suggestions == ("a", "b")


def test_canonical_name_beats_an_alias_of_another() -> None:
    names = {"hub": (), "jupyter_hub": ("hub",)}

    assert resolve_name("HUB", names, "component") == "hub"


def test_exact_case_wins_when_names_differ_only_in_case() -> None:
    names: dict[str, tuple[str, ...]] = {"Dev": (), "dev": ()}

    assert resolve_name("dev", names, "environment") == "dev"
    assert unknown("DEV", names, "environment").ambiguous


def test_did_you_mean_a_misspelling() -> None:
    error = unknown("jupiter")

    assert error.suggestions == ("jupyter_hub",)
    assert str(error) == "I don't know a component called `jupiter`. Did you mean `jupyter_hub`?"


def test_did_you_mean_via_an_alias() -> None:
    assert unknown("stagin", ENVIRONMENTS, "environment").suggestions == ("stg",)


def test_unique_prefix_is_suggested() -> None:
    error = unknown("keyc")

    assert error.suggestions[0] == "keycloak"


def test_two_letter_prefix_is_not_enough() -> None:
    assert "keycloak" not in unknown("ke").suggestions


def test_suggestions_are_at_most_three_and_distinct() -> None:
    names = {f"service_{i}": (f"svc_{i}",) for i in range(10)}

    suggestions = unknown("service", names).suggestions

    assert 1 <= len(suggestions) <= 3
    assert len(set(suggestions)) == len(suggestions)


def test_no_close_match_lists_the_known_names() -> None:
    error = unknown("qa", ENVIRONMENTS, "environment")

    assert error.suggestions == ()
    assert error.known == ("dev", "prod", "stg")
    assert str(error) == "I don't know an environment called `qa`. Known environments: dev, prod, stg."


def test_long_known_list_is_cut_short() -> None:
    names: dict[str, tuple[str, ...]] = {f"env{i:02d}": () for i in range(20)}

    message = str(unknown("zzz", names, "environment"))

    assert message.endswith("env14 and 5 more.")
    assert "env15" not in message


def test_empty_query_lists_the_known_names() -> None:
    error = unknown("   ", ENVIRONMENTS, "environment")

    assert error.query == ""
    assert str(error) == "Please name an environment. Known environments: dev, prod, stg."


def test_nothing_configured_says_so() -> None:
    assert str(unknown("x", {}, "component")) == (
        "I don't know a component called `x`, and no components are configured."
    )


def test_aliases_may_be_one_shot_iterables() -> None:
    names = {"jupyter_hub": iter(["jupyter"]), "keda": iter([])}

    assert resolve_name("jupyter", names, "component") == "jupyter_hub"


def test_unknown_name_is_a_bot_error_with_its_fields() -> None:
    error = UnknownName("component", "x", ["a"], ["b", "a"])

    assert isinstance(error, BotError)
    assert (error.kind, error.query, error.suggestions, error.known) == ("component", "x", ("a",), ("a", "b"))


def test_suggest_accepts_a_plain_list() -> None:
    assert suggest("prdo", ["dev", "prod", "stg"]) == ("prod",)
    assert suggest("", ["dev"]) == ()
