"""Reading the core flux repository's files: values as written, helpful errors, one environment."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
from slackbot.domain.versions import (
    ConfigFileError,
    CoreChart,
    EnvironmentVersions,
    FileRef,
    Pins,
    UnreadableFile,
)

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


Parse = Callable[[str, FileRef], object]  # parse_flux_config and its siblings


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
        pytest.param("1.10", "1.10", id="a-float-keeps-its-trailing-zero"),
        pytest.param('"1.10"', "1.10", id="double-quoted"),
        pytest.param("010", "010", id="an-octal-looking-number"),
        pytest.param("v1.14.2", "v1.14.2", id="v-prefixed"),
        pytest.param("0.1.28", "0.1.28", id="three-part"),
        pytest.param("'0.1.28'", "0.1.28", id="single-quoted"),
        pytest.param("1e3", "1e3", id="exponent"),
        pytest.param("true", "true", id="a-boolean"),
        pytest.param('"null"', "null", id="quoted-null"),
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
@pytest.mark.parametrize("quote", ["", '"', "'"], ids=["unquoted", "double-quoted", "single-quoted"])
def test_odd_branch_names_stay_exactly_as_written(branch: str, quote: str) -> None:
    text = f"components:\n  app:\n    repository:\n      branch: {quote}{branch}{quote}\n"

    assert parse_flux_config(text, REF)["app"].branch == branch


@pytest.mark.parametrize("null", ["", " ~", " null", " Null"], ids=["nothing", "tilde", "null", "Null"])
def test_yaml_null_is_none(null: str) -> None:
    pins = parse_helm_config(f"components:\n  app:\n    chart_version:{null}\n", REF)

    assert pins["app"] == Pins()


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "# nothing here yet\n", "---\n# only comments\n", "~\n"],
    ids=["empty", "blank-lines", "a-comment", "a-document-marker-and-a-comment", "a-yaml-null"],
)
def test_empty_or_comment_only_file_gives_empty_result(text: str) -> None:
    assert parse_flux_config(text, REF) == {}
    assert parse_helm_config(text, REF) == {}
    assert parse_image_config(text, REF) == {}
    assert parse_helm_releases(text, REF) == []
    assert parse_legacy_config(text, REF) == {}


# --- what each file reads as: comments, partial files, extra keys, odd shapes, anchors -------------

COMMENTED = """\
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

EXTRA_KEYS = """\
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

ODD_SHAPES = """\
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

ANCHORS = """\
components:
  jupyter_hub:
    repository: &release
      branch: release/0.2.105
  ohdsi:
    repository: *release
"""

MERGE_KEYS = """\
defaults: &defaults
  chart_version: 1.0.0
  timeout: 5m
components:
  app:
    <<: *defaults
    chart_version: 1.10
"""


@pytest.mark.parametrize(
    ("parse", "text", "expected"),
    [
        # comments and partial files
        pytest.param(
            parse_flux_config,
            COMMENTED,
            {"keda": Pins(branch="release/0.1.44")},
            id="comments-everywhere-and-commented-out-components",
        ),
        pytest.param(
            parse_flux_config,
            "components:\n  # keda:\n  #   chart_version: 1\n",
            {},
            id="every-component-commented-out",
        ),
        pytest.param(
            parse_flux_config,
            "components:\n  jupyter_hub:\n  keda:\n    repository:\n      branch: main\n",
            {"jupyter_hub": Pins(), "keda": Pins(branch="main")},
            id="a-component-with-nothing-under-it-is-listed-with-all-none",
        ),
        pytest.param(
            parse_flux_config,
            "components:\n  keda:\n    repository:\n      url: https://github.com/acme/keda\n",
            {"keda": Pins(branch=None, extra={"repository.url": "https://github.com/acme/keda"})},
            id="a-component-without-the-files-own-pin-is-still-listed",
        ),
        pytest.param(
            parse_helm_config,
            "components:\n  app:\n    chart_version: |\n      1.2.3\n",
            {"app": Pins(chart_version="1.2.3")},
            id="a-block-scalar-loses-its-trailing-newline",
        ),
        # extra keys and unexpected shapes below a component
        pytest.param(
            parse_flux_config,
            EXTRA_KEYS,
            {
                "jupyter_hub": Pins(
                    branch="release/0.2.105",
                    extra={
                        "repository.url": "https://github.com/acme/jupyter",
                        "enabled": "true",
                        "values.replicas": "010",
                        "values.tolerations": "[gpu, spot]",
                        "values.resources.cpu": "1.10",
                    },
                )
            },
            id="extra-keys-are-flattened-with-dots-as-text",
        ),
        pytest.param(
            parse_image_config,
            "components:\n  keycloak:\n    image: lscsde/awms-keycloak:0.1.8\n    image_pull_policy: Always\n",
            {"keycloak": Pins(image="lscsde/awms-keycloak:0.1.8", extra={"image_pull_policy": "Always"})},
            id="an-image-with-extra-keys",
        ),
        pytest.param(
            parse_image_config,
            "components:\n  app:\n    image:\n      repository: lscsde/app\n      tag: 1.10\n      pullPolicy: Always\n",
            {"app": Pins(image="lscsde/app:1.10", extra={"image.pullPolicy": "Always"})},
            id="an-image-mapping-with-repository-and-tag-is-joined",
        ),
        pytest.param(
            parse_image_config,
            "components:\n  app:\n    image: {registry: ghcr.io, repository: acme/app, tag: v2}\n",
            {"app": Pins(image="ghcr.io/acme/app:v2")},
            id="an-image-mapping-with-a-registry",
        ),
        pytest.param(
            parse_image_config,
            "components:\n  app:\n    image:\n      repository: lscsde/app\n",
            {"app": Pins(image=None, extra={"image.repository": "lscsde/app"})},
            id="an-image-mapping-without-a-tag-keeps-its-parts-in-extra",
        ),
        pytest.param(
            parse_helm_config,
            "components:\n  app:\n    chart_version: [1.0, 2.0]\n",
            {"app": Pins(chart_version=None, extra={"chart_version": "[1.0, 2.0]"})},
            id="a-pin-given-as-a-list-is-kept-in-extra-not-used",
        ),
        pytest.param(
            parse_flux_config,
            "components:\n  app:\n    repository: acme/app\n",
            {"app": Pins(branch=None, extra={"repository": "acme/app"})},
            id="a-repository-given-as-a-single-value",
        ),
        pytest.param(
            parse_flux_config,
            ODD_SHAPES,
            {
                "app": Pins(
                    branch="main",
                    extra={
                        "list_of_maps": "[{name: a, value: 1}, [nested, list]]",
                        "empty_map": "{}",
                        "empty_list": "[]",
                        "nothing": "",
                        "[complex, key]": "value",
                    },
                )
            },
            id="odd-shapes-below-a-component",
        ),
        # anchors, aliases and merge keys
        pytest.param(
            parse_flux_config,
            ANCHORS,
            {"jupyter_hub": Pins(branch="release/0.2.105"), "ohdsi": Pins(branch="release/0.2.105")},
            id="anchors-and-aliases-are-followed",
        ),
        pytest.param(
            parse_helm_config,
            MERGE_KEYS,
            {"app": Pins(chart_version="1.10", extra={"timeout": "5m"})},
            id="merge-keys-fill-gaps-and-explicit-keys-win",
        ),
        pytest.param(
            parse_helm_config,
            "components:\n  app: &a\n    chart_version: 1.0\n    self: *a\n",
            {"app": Pins(chart_version="1.0", extra={"self": "{chart_version: 1.0, self: *a}"})},
            id="a-recursive-alias-does-not-loop",
        ),
    ],
)
def test_a_file_reads_as_written(parse: Parse, text: str, expected: object) -> None:
    assert parse(text, REF) == expected


# --- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parse", "text", "line", "reason"),
    [
        # malformed YAML
        pytest.param(
            parse_helm_config,
            "components:\n  keda:\n    chart_version: 2.13.1\n   broken: [\n",
            4,
            "not valid YAML",
            id="malformed-yaml",
        ),
        pytest.param(
            parse_helm_config,
            "components:\n  keda:\n    chart_version: 1\n  bad: x: y\n",
            4,
            "not valid YAML",
            id="bad-indentation",
        ),
        pytest.param(
            parse_helm_config,
            "components:\n  keda:\n    chart_version: \x07\n",
            3,
            "not valid YAML: special characters are not allowed",
            id="a-special-character",
        ),
        pytest.param(
            parse_flux_config,
            "components:\n  app:\n    repository: *nowhere\n",
            3,
            "not valid YAML: found undefined alias 'nowhere'",
            id="an-undefined-alias",
        ),
        # duplicate keys name both lines
        pytest.param(
            parse_helm_config,
            "components:\n  jupyter_hub:\n    chart_version: 3.2.1\n"
            "  keda:\n    chart_version: 2.13.1\n"
            "  jupyter_hub:\n    chart_version: 3.2.2\n",
            6,
            "duplicate key 'jupyter_hub' (first at line 2)",
            id="duplicate-component-names",
        ),
        pytest.param(
            parse_flux_config,
            "components:\n  app:\n    repository:\n      branch: main\n      branch: release/0.1.1\n",
            5,
            "duplicate key 'branch' (first at line 4)",
            id="duplicate-keys-deep-inside-a-component",
        ),
        pytest.param(
            parse_flux_config,
            "meta:\n  owner: a\n  owner: b\ncomponents: {}\n",
            3,
            "duplicate key 'owner' (first at line 2)",
            id="duplicate-keys-outside-components",
        ),
        pytest.param(
            parse_flux_config,
            "components:\n  keda:\n  'keda':\n",
            3,
            "duplicate key 'keda' (first at line 2)",
            id="quoted-and-unquoted-key-are-the-same-key",
        ),
        # the wrong shape says what to fix
        pytest.param(
            parse_flux_config,
            "components:\n  - jupyter_hub\n  - keda\n",
            2,
            "`components` should be a mapping of component names, found a list",
            id="components-as-a-list",
        ),
        pytest.param(
            parse_flux_config,
            "components:\n  - a\n",
            2,
            "`components` should be a mapping",
            id="components-as-a-list-of-one",
        ),
        pytest.param(
            parse_flux_config,
            "components: jupyter_hub\n",
            1,
            "`components` should be a mapping",
            id="components-as-a-single-value",
        ),
        pytest.param(
            parse_flux_config,
            "components:\n  keda:\n    repository: {}\n  jupyter_hub: main\n",
            4,
            "component `jupyter_hub` should be a mapping",
            id="a-component-as-a-single-value-says-which",
        ),
        pytest.param(
            parse_helm_config,
            "# helm\ncomponent:\n  keda:\n    chart_version: 1\n",
            2,
            "no top-level `components:` key",
            id="no-components-key-in-a-non-empty-file",
        ),
        pytest.param(
            parse_helm_config,
            "- keda\n",
            1,
            "the file should be a mapping",
            id="a-top-level-list",
        ),
        pytest.param(
            parse_helm_config,
            "components: {}\n---\ncomponents: {}\n",
            3,
            "found more than one YAML document",
            id="two-documents-in-a-component-file",
        ),
        # HelmRelease files
        pytest.param(
            parse_helm_releases,
            "---\nkind: HelmRelease\nspec: {}\n",
            2,
            "this HelmRelease has no `metadata.name`",
            id="a-helm-release-without-a-name",
        ),
        pytest.param(
            parse_helm_releases,
            "kind: HelmRelease\nmetadata:\n  name: core\n  name: other\n",
            4,
            "duplicate key 'name' (first at line 3)",
            id="a-helm-release-with-a-duplicate-key",
        ),
        # the legacy ConfigMap
        pytest.param(
            parse_legacy_config,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
            1,
            "no ConfigMap `data:` section",
            id="legacy-without-data",
        ),
        pytest.param(
            parse_legacy_config,
            "kind: ConfigMap\ndata:\n  - jupyter_branch\n",
            3,
            "`data` should be a mapping",
            id="legacy-data-as-a-list",
        ),
        pytest.param(
            parse_legacy_config,
            "kind: ConfigMap\ndata:\n  jupyter_branch: a\n  jupyter_branch: b\n",
            4,
            "duplicate key 'jupyter_branch' (first at line 3)",
            id="legacy-duplicate-data-key",
        ),
    ],
)
def test_a_mistake_is_one_short_line_naming_the_file_the_line_and_what_is_wrong(
    parse: Parse, text: str, line: int, reason: str
) -> None:
    with pytest.raises(ConfigFileError) as caught:
        parse(text, REF)
    error = caught.value

    assert error.line == line
    assert error.reason.startswith(reason), error.reason
    assert str(error) == f"acme/core-flux@prod:core/flux-config.yaml line {line}: {error.reason}"
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


def test_legacy_empty_data_is_empty() -> None:
    assert parse_legacy_config("kind: ConfigMap\ndata:\n  # nothing\n", REF) == {}


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


def assemble(
    files: Mapping[str, str | UnreadableFile | None],
    environment: str = "prod",
    catalog: dict[str, ComponentSpec] = CATALOG,
    paths: CorePaths = PATHS,
) -> EnvironmentVersions:
    """One environment whose branch of acme/core-flux (named as the environment) holds ``files``."""
    return assemble_environment(
        environment=environment,
        repository="acme/core-flux",
        branch=environment,
        commit="a" * 40,
        files=files,
        catalog=catalog,
        paths=paths,
    )


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
    env = assemble(split_files())

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
    env = assemble(split_files())

    keda = env.component("keda")
    assert keda is not None
    assert keda.repository is None
    assert env.component("unmentioned") is None


def test_assemble_one_broken_file_still_returns_the_others() -> None:
    files = split_files()
    files[PATHS.helm] = "components:\n  keda:\n    chart_version: 1\n  keda:\n    chart_version: 2\n"

    env = assemble(files)

    assert env.layout == "split"
    assert len(env.problems) == 1
    assert env.problems[0].ref.path == PATHS.helm
    assert env.problems[0].line == 4
    jupyter = env.component("jupyter_hub")
    assert jupyter is not None
    assert jupyter.branch == "release/0.2.105"
    assert jupyter.chart_version is None


def test_assemble_a_file_without_text_is_a_problem_naming_it_and_the_others_still_answer() -> None:
    files: dict[str, str | UnreadableFile | None] = {**split_files()}
    files[PATHS.flux] = UnreadableFile("is not UTF-8 text; save it as UTF-8")

    env = assemble(files)

    assert env.layout == "split"  # the file is there: only its text is missing
    assert [str(p) for p in env.problems] == [
        "acme/core-flux@prod:core/flux-config.yaml: is not UTF-8 text; save it as UTF-8"
    ]
    jupyter = env.component("jupyter_hub")
    assert jupyter is not None
    assert (jupyter.branch, jupyter.chart_version) == (None, "3.2.1")


def test_assemble_an_unreadable_legacy_file_is_the_legacy_layout_with_a_problem() -> None:
    env = assemble({PATHS.legacy: UnreadableFile("is a symbolic link to `gone.yaml`, which is not a file")})

    assert env.layout == "legacy"
    assert [p.ref.path for p in env.problems] == [PATHS.legacy]


def test_assemble_broken_release_file_is_a_problem_not_a_failure() -> None:
    files = split_files()
    files["core/release-namespaces.yaml"] = "kind: HelmRelease\nmetadata: [\n"

    env = assemble(files)

    assert [p.ref.path for p in env.problems] == ["core/release-namespaces.yaml"]
    assert len(env.core_charts) == 2


def test_assemble_split_layout_with_only_one_file() -> None:
    env = assemble({PATHS.image: fixture("image-config.yaml"), PATHS.legacy: LEGACY}, environment="dev")

    assert env.layout == "split"
    assert [c.name for c in env.components] == ["awms_guacamole", "keycloak"]


def test_assemble_legacy_layout_maps_short_names_through_aliases() -> None:
    env = assemble({PATHS.flux: None, PATHS.legacy: LEGACY, "core/release.yaml": RELEASES}, environment="old")

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

    env = assemble({PATHS.legacy: text}, environment="old", catalog=catalog)

    assert [c.name for c in env.components] == ["Keda", "jupyter_hub", "shared"]


def test_assemble_broken_legacy_file_is_a_problem() -> None:
    env = assemble({PATHS.legacy: "data: [\n"}, environment="old")

    assert env.layout == "legacy"
    assert env.components == ()
    assert len(env.problems) == 1


def test_assemble_missing_layout_explains_what_was_looked_for() -> None:
    env = assemble(dict.fromkeys(PATHS.all()), environment="new")

    assert env.layout == "missing"
    assert env.components == ()
    (problem,) = env.problems
    assert problem.ref.path == PATHS.flux
    assert problem.reason.startswith("none of the core configuration files exist on this branch")
    assert "core/deployment-config.yaml" in problem.reason


def test_assemble_empty_split_file_is_not_missing() -> None:
    env = assemble({PATHS.flux: "# nothing yet\n"}, environment="new")

    assert env.layout == "split"
    assert env.components == ()
    assert env.problems == ()


def test_assemble_custom_paths() -> None:
    paths = CorePaths(flux="cfg/flux.yaml", releases=())

    env = assemble(
        {"cfg/flux.yaml": "components:\n  keda:\n    repository:\n      branch: main\n"},
        environment="x",
        paths=paths,
    )

    assert [c.branch for c in env.components] == ["main"]
