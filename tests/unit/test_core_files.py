"""Reading the core flux repository's files: values as written, helpful errors, one environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from slackbot.domain.core_files import (
    ComponentSpec,
    CorePaths,
    assemble_environment,
    legacy_unmatched_keys,
    parse_flux_config,
    parse_helm_config,
    parse_helm_releases,
    parse_image_config,
    parse_legacy_config,
)
from slackbot.domain.versions import ConfigFileError, CoreChart, FileRef, Pins

FIXTURES = Path(__file__).parent / "fixtures" / "core"
REF = FileRef(repository="acme/core-flux", branch="prod", path="core/flux-config.yaml")

CATALOG = {
    "jupyter_hub": ComponentSpec("jupyter_hub", "acme/jupyter", aliases=("jupyter",), flux_name="jupyter"),
    "ingress_nginx": ComponentSpec("ingress_nginx", "acme/ingress-nginx", aliases=("nginx",)),
    "cert_manager": ComponentSpec("cert_manager", "acme/cert-manager", aliases=("certmanager",)),
    "keycloak": ComponentSpec("keycloak", "acme/keycloak"),
    "unmentioned": ComponentSpec("unmentioned", "acme/unmentioned"),
}


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def error_from(parse: object, text: str) -> ConfigFileError:
    assert callable(parse)
    with pytest.raises(ConfigFileError) as caught:
        parse(text, REF)
    return caught.value


# --- the example files ---------------------------------------------------------------------------


def test_example_flux_config_reads_every_branch_as_written() -> None:
    pins = parse_flux_config(fixture("flux-config.yaml"), REF)

    assert len(pins) == 17
    assert pins["aks_dns"] == Pins(branch="main")
    assert pins["jupyter_hub"].branch == "release/0.2.105"
    assert pins["guacamole"].branch == "release/0.1.21"
    assert pins["awms_guacamole"].branch == "release/0.1.28"
    assert all(p.chart_version is None and p.image is None and not p.extra for p in pins.values())


def test_example_flux_config_keeps_dash_and_underscore_keys_apart() -> None:
    pins = parse_flux_config(fixture("flux-config.yaml"), REF)

    assert pins["observability_metrics"].branch == "release/0.1.42"
    assert pins["observability-metrics"].branch == "release/0.1.45"


def test_example_helm_config_reads_chart_versions_as_text() -> None:
    pins = parse_helm_config(fixture("helm-config.yaml"), REF)

    assert len(pins) == 12
    assert pins["cert_manager"].chart_version == "v1.14.2"
    assert pins["jupyter_hub"].chart_version == "3.2.1"
    assert pins["awms_guacamole"].chart_version == "0.1.28"  # unquoted in the file
    assert pins["github_runner"].chart_version == "0.1.28"  # quoted in the file


def test_example_image_config_reads_images() -> None:
    pins = parse_image_config(fixture("image-config.yaml"), REF)

    assert pins == {
        "keycloak": Pins(image="lscsde/awms-keycloak:0.1.8"),
        "awms_guacamole": Pins(image="lscsde/awms-guacamole-operator:0.1.28"),
    }


# --- values are the text written in the file -----------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1.10", "1.10"),
        ('"1.10"', "1.10"),
        ("010", "010"),
        ("v1.14.2", "v1.14.2"),
        ("0.1.28", "0.1.28"),
        ("'0.1.28'", "0.1.28"),
        ("1e3", "1e3"),
        ("true", "true"),
        ('"null"', "null"),
    ],
)
def test_chart_version_is_the_text_written(written: str, expected: str) -> None:
    pins = parse_helm_config(f"components:\n  app:\n    chart_version: {written}\n", REF)

    assert pins["app"].chart_version == expected


@pytest.mark.parametrize(
    "branch",
    [
        "main",
        "release/0.2.105",
        "release/0.2.99-patched-20241010",
        "release/0.2.55-hotfix-20240329-001",
    ],
)
@pytest.mark.parametrize("quote", ["", '"', "'"])
def test_odd_branch_names_stay_exactly_as_written(branch: str, quote: str) -> None:
    text = f"components:\n  app:\n    repository:\n      branch: {quote}{branch}{quote}\n"

    assert parse_flux_config(text, REF)["app"].branch == branch


@pytest.mark.parametrize("null", ["", " ~", " null", " Null"])
def test_yaml_null_is_none(null: str) -> None:
    pins = parse_helm_config(f"components:\n  app:\n    chart_version:{null}\n", REF)

    assert pins["app"] == Pins()


def test_component_with_nothing_under_it_is_present_with_all_none() -> None:
    pins = parse_flux_config(
        "components:\n  jupyter_hub:\n  keda:\n    repository:\n      branch: main\n", REF
    )

    assert pins["jupyter_hub"] == Pins()
    assert pins["keda"].branch == "main"


def test_block_scalar_loses_its_trailing_newline() -> None:
    pins = parse_helm_config("components:\n  app:\n    chart_version: |\n      1.2.3\n", REF)

    assert pins["app"].chart_version == "1.2.3"


# --- comments and partial files ------------------------------------------------------------------


def test_comments_everywhere_and_commented_out_components() -> None:
    text = """\
# Core flux configuration for prod
components: # every component below
  # jupyter_hub:
  #   repository:
  #     branch: release/0.2.100
  keda:  # autoscaling
    repository:
      # pinned after the incident
      branch: "release/0.1.44"  # do not bump
  # metrics_server:
  #   repository:
  #     branch: main
"""
    assert parse_flux_config(text, REF) == {"keda": Pins(branch="release/0.1.44")}


def test_components_with_every_entry_commented_out_is_empty() -> None:
    assert parse_flux_config("components:\n  # keda:\n  #   chart_version: 1\n", REF) == {}


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here yet\n", "---\n# only comments\n", "~\n"])
def test_empty_or_comment_only_file_gives_empty_result(text: str) -> None:
    assert parse_flux_config(text, REF) == {}
    assert parse_helm_config(text, REF) == {}
    assert parse_image_config(text, REF) == {}
    assert parse_helm_releases(text, REF) == []
    assert parse_legacy_config(text, REF) == {}


def test_component_without_the_files_own_pin_is_still_listed() -> None:
    text = "components:\n  keda:\n    repository:\n      url: https://github.com/acme/keda\n"

    assert parse_flux_config(text, REF)["keda"] == Pins(
        branch=None, extra={"repository.url": "https://github.com/acme/keda"}
    )


# --- extra keys and unexpected shapes below a component -----------------------------------------


def test_extra_keys_are_flattened_with_dots_as_text() -> None:
    text = """\
components:
  jupyter_hub:
    repository:
      branch: release/0.2.105
      url: https://github.com/acme/jupyter
    enabled: true
    values:
      replicas: 010
      tolerations: [gpu, "spot"]
      resources: {cpu: 1.10}
"""
    pins = parse_flux_config(text, REF)["jupyter_hub"]

    assert pins.branch == "release/0.2.105"
    assert pins.extra == {
        "repository.url": "https://github.com/acme/jupyter",
        "enabled": "true",
        "values.replicas": "010",
        "values.tolerations": "[gpu, spot]",
        "values.resources.cpu": "1.10",
    }


def test_image_with_extra_keys() -> None:
    text = "components:\n  keycloak:\n    image: lscsde/awms-keycloak:0.1.8\n    image_pull_policy: Always\n"

    assert parse_image_config(text, REF)["keycloak"] == Pins(
        image="lscsde/awms-keycloak:0.1.8", extra={"image_pull_policy": "Always"}
    )


def test_image_as_mapping_with_repository_and_tag_is_joined() -> None:
    text = (
        "components:\n  app:\n    image:\n"
        "      repository: lscsde/app\n      tag: 1.10\n      pullPolicy: Always\n"
    )

    assert parse_image_config(text, REF)["app"] == Pins(
        image="lscsde/app:1.10", extra={"image.pullPolicy": "Always"}
    )


def test_image_as_mapping_with_registry() -> None:
    text = "components:\n  app:\n    image: {registry: ghcr.io, repository: acme/app, tag: v2}\n"

    assert parse_image_config(text, REF)["app"].image == "ghcr.io/acme/app:v2"


def test_image_as_mapping_without_tag_keeps_parts_in_extra() -> None:
    text = "components:\n  app:\n    image:\n      repository: lscsde/app\n"

    assert parse_image_config(text, REF)["app"] == Pins(image=None, extra={"image.repository": "lscsde/app"})


def test_pin_given_as_list_is_kept_in_extra_not_used() -> None:
    text = "components:\n  app:\n    chart_version: [1.0, 2.0]\n"

    assert parse_helm_config(text, REF)["app"] == Pins(
        chart_version=None, extra={"chart_version": "[1.0, 2.0]"}
    )


def test_repository_as_a_single_value_does_not_crash() -> None:
    text = "components:\n  app:\n    repository: acme/app\n"

    assert parse_flux_config(text, REF)["app"] == Pins(branch=None, extra={"repository": "acme/app"})


def test_odd_shapes_below_a_component_never_crash() -> None:
    text = """\
components:
  app:
    repository:
      branch: main
    list_of_maps:
      - {name: a, value: 1}
      - [nested, list]
    empty_map: {}
    empty_list: []
    nothing:
    ? [complex, key]
    : value
"""
    pins = parse_flux_config(text, REF)["app"]

    assert pins.branch == "main"
    assert pins.extra == {
        "list_of_maps": "[{name: a, value: 1}, [nested, list]]",
        "empty_map": "{}",
        "empty_list": "[]",
        "nothing": "",
        "[complex, key]": "value",
    }


# --- anchors, aliases and merge keys ------------------------------------------------------------


def test_anchors_and_aliases_are_followed() -> None:
    text = """\
components:
  jupyter_hub:
    repository: &release
      branch: release/0.2.105
  ohdsi:
    repository: *release
"""
    pins = parse_flux_config(text, REF)

    assert pins["jupyter_hub"].branch == pins["ohdsi"].branch == "release/0.2.105"


def test_merge_keys_fill_gaps_and_explicit_keys_win() -> None:
    text = """\
defaults: &defaults
  chart_version: 1.0.0
  timeout: 5m
components:
  app:
    <<: *defaults
    chart_version: 1.10
"""
    assert parse_helm_config(text, REF)["app"] == Pins(chart_version="1.10", extra={"timeout": "5m"})


def test_recursive_alias_does_not_loop() -> None:
    text = "components:\n  app: &a\n    chart_version: 1.0\n    self: *a\n"

    pins = parse_helm_config(text, REF)["app"]

    assert pins.chart_version == "1.0"
    assert "self" in pins.extra or any(key.startswith("self.") for key in pins.extra)


# --- errors -----------------------------------------------------------------------------------------


def test_malformed_yaml_names_the_line() -> None:
    text = "components:\n  keda:\n    chart_version: 2.13.1\n   broken: [\n"

    error = error_from(parse_helm_config, text)

    assert error.line is not None
    assert error.line >= 4
    assert "not valid YAML" in error.reason
    assert f"line {error.line}" in str(error)
    assert "acme/core-flux@prod:core/flux-config.yaml" in str(error)


def test_bad_indentation_is_reported_at_its_line() -> None:
    text = "components:\n  keda:\n    chart_version: 1\n  bad: x: y\n"

    error = error_from(parse_helm_config, text)

    assert error.line == 4


def test_special_character_is_reported_with_a_line() -> None:
    error = error_from(parse_helm_config, "components:\n  keda:\n    chart_version: \x07\n")

    assert error.line == 3


def test_duplicate_component_names_both_lines() -> None:
    text = """\
components:
  jupyter_hub:
    chart_version: 3.2.1
  keda:
    chart_version: 2.13.1
  jupyter_hub:
    chart_version: 3.2.2
"""
    error = error_from(parse_helm_config, text)

    assert error.line == 6
    assert "duplicate key 'jupyter_hub' (first at line 2)" in error.reason


def test_duplicate_keys_deep_inside_a_component() -> None:
    text = """\
components:
  app:
    repository:
      branch: main
      branch: release/0.1.1
"""
    error = error_from(parse_flux_config, text)

    assert error.line == 5
    assert "duplicate key 'branch' (first at line 4)" in error.reason


def test_duplicate_keys_outside_components_are_reported_too() -> None:
    error = error_from(parse_flux_config, "meta:\n  owner: a\n  owner: b\ncomponents: {}\n")

    assert error.line == 3


def test_quoted_and_unquoted_key_are_the_same_key() -> None:
    error = error_from(parse_flux_config, "components:\n  keda:\n  'keda':\n")

    assert "duplicate key 'keda' (first at line 2)" in error.reason


def test_components_as_a_list_says_what_to_fix() -> None:
    error = error_from(parse_flux_config, "components:\n  - jupyter_hub\n  - keda\n")

    assert error.reason.startswith("`components` should be a mapping of component names, found a list")
    assert error.line == 2


def test_components_as_a_single_value() -> None:
    error = error_from(parse_flux_config, "components: jupyter_hub\n")

    assert "`components` should be a mapping" in error.reason
    assert error.line == 1


def test_component_as_a_single_value_says_which() -> None:
    error = error_from(parse_flux_config, "components:\n  keda:\n    repository: {}\n  jupyter_hub: main\n")

    assert "`jupyter_hub` should be a mapping" in error.reason
    assert error.line == 4


def test_missing_components_key_in_a_non_empty_file() -> None:
    error = error_from(parse_helm_config, "# helm\ncomponent:\n  keda:\n    chart_version: 1\n")

    assert "no top-level `components:` key" in error.reason


def test_top_level_list_is_rejected() -> None:
    error = error_from(parse_helm_config, "- keda\n")

    assert "should be a mapping" in error.reason


def test_two_documents_in_a_component_file_are_rejected() -> None:
    error = error_from(parse_helm_config, "components: {}\n---\ncomponents: {}\n")

    assert "more than one YAML document" in error.reason


def test_undefined_alias_is_malformed_yaml() -> None:
    error = error_from(parse_flux_config, "components:\n  app:\n    repository: *nowhere\n")

    assert "nowhere" in error.reason
    assert error.line == 3


def test_messages_are_short() -> None:
    error = error_from(parse_flux_config, "components:\n  - a\n")

    assert "\n" not in str(error)
    assert len(error.reason) < 160


# --- HelmRelease files -------------------------------------------------------------------------------

RELEASES = """\
# core chart and its namespaces
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: core
  namespace: flux-system
spec:
  interval: 5m
  chart:
    spec:
      chart: core-helm-chart
      version: 0.1.10   # unquoted, must not become 0.1.1
      sourceRef:
        kind: HelmRepository
        name: core
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: core
spec:
  url: https://charts.example.org
---
apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata:
  name: core-namespaces
spec:
  chart:
    spec:
      chart: core-namespaces
      version: "1.10"
"""


def test_helm_releases_multi_document_ignores_other_kinds() -> None:
    charts = parse_helm_releases(RELEASES, REF)

    assert charts == [
        CoreChart(name="core", chart="core-helm-chart", version="0.1.10", path=REF.path),
        CoreChart(name="core-namespaces", chart="core-namespaces", version="1.10", path=REF.path),
    ]


def test_helm_release_without_chart_spec_has_no_version() -> None:
    text = "kind: HelmRelease\nmetadata:\n  name: core\nspec:\n  chartRef:\n    kind: OCIRepository\n"

    assert parse_helm_releases(text, REF) == [CoreChart("core", None, None, REF.path)]


def test_helm_release_without_a_name_is_an_error() -> None:
    error = error_from(parse_helm_releases, "---\nkind: HelmRelease\nspec: {}\n")

    assert "metadata.name" in error.reason
    assert error.line == 2


def test_helm_release_duplicate_key_is_an_error() -> None:
    text = "kind: HelmRelease\nmetadata:\n  name: core\n  name: other\n"

    assert error_from(parse_helm_releases, text).line == 4


# --- the legacy ConfigMap ----------------------------------------------------------------------------

LEGACY = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: deployment-config
  namespace: flux-system
data:
  # jupyter
  jupyter_branch: "release/0.2.69"
  jupyter_chart_version: "3.2.1"
  nginx_branch: release/0.1.30-hotfix-20240329-001
  # certmanager_branch: release/0.0.1
  certmanager_branch: release/0.1.12
  certmanager_chart_version: v1.14.2
  keycloak_image: lscsde/awms-keycloak:0.1.8
  cluster_name: prod-uks
  ohdsi_chart_version: 1.10
"""


def test_legacy_config_by_short_name() -> None:
    pins = parse_legacy_config(LEGACY, REF)

    assert pins == {
        "jupyter": Pins(branch="release/0.2.69", chart_version="3.2.1"),
        "nginx": Pins(branch="release/0.1.30-hotfix-20240329-001"),
        "certmanager": Pins(branch="release/0.1.12", chart_version="v1.14.2"),
        "keycloak": Pins(image="lscsde/awms-keycloak:0.1.8"),
        "ohdsi": Pins(chart_version="1.10"),
    }


def test_legacy_unmatched_keys_are_kept_aside() -> None:
    assert legacy_unmatched_keys(LEGACY, REF) == {"cluster_name": "prod-uks"}


def test_legacy_without_data_is_an_error() -> None:
    error = error_from(parse_legacy_config, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")

    assert "data:" in error.reason


def test_legacy_data_as_list_is_an_error() -> None:
    error = error_from(parse_legacy_config, "kind: ConfigMap\ndata:\n  - jupyter_branch\n")

    assert "`data` should be a mapping" in error.reason
    assert error.line == 3


def test_legacy_empty_data_is_empty() -> None:
    assert parse_legacy_config("kind: ConfigMap\ndata:\n  # nothing\n", REF) == {}


def test_legacy_duplicate_data_key() -> None:
    error = error_from(
        parse_legacy_config, "kind: ConfigMap\ndata:\n  jupyter_branch: a\n  jupyter_branch: b\n"
    )

    assert "duplicate key 'jupyter_branch' (first at line 3)" in error.reason
    assert error.line == 4


# --- one environment -----------------------------------------------------------------------------------

PATHS = CorePaths()


def split_files() -> dict[str, str | None]:
    return {
        PATHS.flux: fixture("flux-config.yaml"),
        PATHS.helm: fixture("helm-config.yaml"),
        PATHS.image: fixture("image-config.yaml"),
        "core/release.yaml": RELEASES,
        "core/release-namespaces.yaml": None,
        PATHS.legacy: None,
    }


def test_core_paths_all_lists_every_path_flux_first() -> None:
    assert PATHS.all() == (
        "core/flux-config.yaml",
        "core/helm-config.yaml",
        "core/image-config.yaml",
        "core/release.yaml",
        "core/release-namespaces.yaml",
        "core/deployment-config.yaml",
    )


def test_assemble_split_layout_merges_the_three_files() -> None:
    env = assemble_environment(
        environment="prod",
        repository="acme/core-flux",
        branch="prod",
        commit="a" * 40,
        files=split_files(),
        catalog=CATALOG,
    )

    assert env.layout == "split"
    assert env.problems == ()
    assert [c.name for c in env.components] == sorted(c.name for c in env.components)
    jupyter = env.component("jupyter_hub")
    assert jupyter is not None
    assert (jupyter.repository, jupyter.branch, jupyter.chart_version) == (
        "acme/jupyter",
        "release/0.2.105",
        "3.2.1",
    )
    keycloak = env.component("keycloak")
    assert keycloak is not None
    assert (keycloak.branch, keycloak.chart_version, keycloak.image) == (
        "release/0.1.70",
        None,
        "lscsde/awms-keycloak:0.1.8",
    )
    assert env.component("observability-metrics") is not None
    assert env.component("observability_metrics") is not None
    assert [chart.version for chart in env.core_charts] == ["0.1.10", "1.10"]


def test_assemble_unconfigured_component_has_no_repository_and_unmentioned_are_left_out() -> None:
    env = assemble_environment(
        environment="prod",
        repository="acme/core-flux",
        branch="prod",
        commit="a" * 40,
        files=split_files(),
        catalog=CATALOG,
    )

    keda = env.component("keda")
    assert keda is not None
    assert keda.repository is None
    assert env.component("unmentioned") is None


def test_assemble_one_broken_file_still_returns_the_others() -> None:
    files = split_files()
    files[PATHS.helm] = "components:\n  keda:\n    chart_version: 1\n  keda:\n    chart_version: 2\n"

    env = assemble_environment(
        environment="prod",
        repository="acme/core-flux",
        branch="prod",
        commit="a" * 40,
        files=files,
        catalog=CATALOG,
    )

    assert env.layout == "split"
    assert len(env.problems) == 1
    assert env.problems[0].ref.path == PATHS.helm
    assert env.problems[0].line == 4
    jupyter = env.component("jupyter_hub")
    assert jupyter is not None
    assert jupyter.branch == "release/0.2.105"
    assert jupyter.chart_version is None


def test_assemble_broken_release_file_is_a_problem_not_a_failure() -> None:
    files = split_files()
    files["core/release-namespaces.yaml"] = "kind: HelmRelease\nmetadata: [\n"

    env = assemble_environment(
        environment="prod",
        repository="acme/core-flux",
        branch="prod",
        commit="a" * 40,
        files=files,
        catalog=CATALOG,
    )

    assert [p.ref.path for p in env.problems] == ["core/release-namespaces.yaml"]
    assert len(env.core_charts) == 2


def test_assemble_split_layout_with_only_one_file() -> None:
    env = assemble_environment(
        environment="dev",
        repository="acme/core-flux",
        branch="dev",
        commit="b" * 40,
        files={PATHS.image: fixture("image-config.yaml"), PATHS.legacy: LEGACY},
        catalog=CATALOG,
    )

    assert env.layout == "split"
    assert [c.name for c in env.components] == ["awms_guacamole", "keycloak"]


def test_assemble_legacy_layout_maps_short_names_through_aliases() -> None:
    env = assemble_environment(
        environment="old",
        repository="acme/core-flux",
        branch="old",
        commit="c" * 40,
        files={PATHS.flux: None, PATHS.legacy: LEGACY, "core/release.yaml": RELEASES},
        catalog=CATALOG,
    )

    assert env.layout == "legacy"
    assert env.problems == ()
    by_name = {c.name: c for c in env.components}
    assert sorted(by_name) == ["cert_manager", "ingress_nginx", "jupyter_hub", "keycloak", "ohdsi"]
    assert by_name["jupyter_hub"].branch == "release/0.2.69"
    assert by_name["jupyter_hub"].chart_version == "3.2.1"
    assert by_name["jupyter_hub"].repository == "acme/jupyter"
    assert by_name["ingress_nginx"].branch == "release/0.1.30-hotfix-20240329-001"
    assert by_name["cert_manager"].chart_version == "v1.14.2"
    assert by_name["ohdsi"].repository is None  # not configured: keeps its short name
    assert len(env.core_charts) == 2


def test_assemble_legacy_alias_matching_ignores_case_and_skips_shared_aliases() -> None:
    catalog = {
        "jupyter_hub": ComponentSpec("jupyter_hub", aliases=("Jupyter",)),
        "a": ComponentSpec("a", aliases=("shared",)),
        "b": ComponentSpec("b", aliases=("shared",)),
        "Keda": ComponentSpec("Keda"),
    }
    text = "kind: ConfigMap\ndata:\n  jupyter_branch: x\n  shared_branch: y\n  keda_branch: z\n"

    env = assemble_environment(
        environment="old",
        repository="acme/core-flux",
        branch="old",
        commit="c" * 40,
        files={PATHS.legacy: text},
        catalog=catalog,
    )

    assert [c.name for c in env.components] == ["Keda", "jupyter_hub", "shared"]


def test_assemble_broken_legacy_file_is_a_problem() -> None:
    env = assemble_environment(
        environment="old",
        repository="acme/core-flux",
        branch="old",
        commit="c" * 40,
        files={PATHS.legacy: "data: [\n"},
        catalog=CATALOG,
    )

    assert env.layout == "legacy"
    assert env.components == ()
    assert len(env.problems) == 1


def test_assemble_missing_layout_explains_what_was_looked_for() -> None:
    env = assemble_environment(
        environment="new",
        repository="acme/core-flux",
        branch="new",
        commit="d" * 40,
        files=dict.fromkeys(PATHS.all()),
        catalog=CATALOG,
    )

    assert env.layout == "missing"
    assert env.components == ()
    (problem,) = env.problems
    assert problem.ref.path == PATHS.flux
    assert problem.reason.startswith("none of the core configuration files exist on this branch")
    assert "core/deployment-config.yaml" in problem.reason


def test_assemble_empty_split_file_is_not_missing() -> None:
    env = assemble_environment(
        environment="new",
        repository="acme/core-flux",
        branch="new",
        commit="d" * 40,
        files={PATHS.flux: "# nothing yet\n"},
        catalog=CATALOG,
    )

    assert env.layout == "split"
    assert env.components == ()
    assert env.problems == ()


def test_assemble_custom_paths() -> None:
    paths = CorePaths(flux="cfg/flux.yaml", releases=())

    env = assemble_environment(
        environment="x",
        repository="acme/core-flux",
        branch="x",
        commit="e" * 40,
        files={"cfg/flux.yaml": "components:\n  keda:\n    repository:\n      branch: main\n"},
        catalog=CATALOG,
        paths=paths,
    )

    assert [c.branch for c in env.components] == ["main"]
