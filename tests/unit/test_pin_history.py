"""What a commit changed in an environment's pins, judged from the files it touched."""

from __future__ import annotations

from datetime import UTC, datetime

from slackbot.domain.core_files import ComponentSpec, CorePaths
from slackbot.domain.pin_history import (
    CORE_CHART_FIELD,
    Change,
    HistoryCommit,
    PinChange,
    PinReading,
    commit_changes,
    mentioned_components,
)
from slackbot.domain.versions import UnreadableFile

PATHS = CorePaths()
FLUX, HELM, IMAGE, RELEASE, LEGACY = PATHS.flux, PATHS.helm, PATHS.image, PATHS.releases[0], PATHS.legacy
CATALOG = {
    "jupyter_hub": ComponentSpec("jupyter_hub", "lsc-sde/iac-flux-jupyter", aliases=("jupyter",)),
    "keycloak": ComponentSpec("keycloak", "lsc-sde/iac-flux-keycloak"),
}
READING = PinReading("prod", "lsc-sde/iac-flux-lscsde", "prod", CATALOG, PATHS)


def commit(*paths: str, parents: tuple[str, ...] = ("p" * 40,)) -> HistoryCommit:
    return HistoryCommit(
        sha="c" * 40,
        parents=parents,
        author="Aisha Okafor",
        date=datetime(2024, 11, 5, 14, 0, tzinfo=UTC),
        message="Upgrade the JupyterHub chart\n\nBecause 3.2.0 leaks memory.",
        url="https://github.test/c",
        paths=frozenset(paths),
    )


def flux(**branches: str) -> str:
    return "components:\n" + "".join(
        f"  {name}:\n    repository:\n      branch: {branch}\n" for name, branch in branches.items()
    )


def helm(**charts: str) -> str:
    return "# Helm charts\ncomponents:\n" + "".join(
        f'  {name}:\n    chart_version: "{version}"\n' for name, version in charts.items()
    )


def release(version: str) -> str:
    return (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: lscsde-flux\n"
        f"spec:\n  chart:\n    spec:\n      chart: lscsde-flux\n      version: '{version}'\n"
    )


def test_a_chart_version_bump_is_one_change_with_old_and_new() -> None:
    found = commit_changes(
        READING,
        commit(HELM),
        {HELM: helm(jupyter_hub="3.2.0", keycloak="2.4.0")},
        {HELM: helm(jupyter_hub="3.2.1", keycloak="2.4.0")},
    )
    assert found.changes == (PinChange("jupyter_hub", "chart_version", "3.2.0", "3.2.1"),)
    assert found.problems == ()
    assert found.notable
    assert found.commit.title == "Upgrade the JupyterHub chart"


def test_a_comment_only_commit_changes_nothing() -> None:
    before = helm(jupyter_hub="3.2.1")
    found = commit_changes(READING, commit(HELM), {HELM: before}, {HELM: "# reviewed\n" + before})
    assert found.changes == ()
    assert not found.notable


def test_a_branch_and_an_image_changed_in_one_commit() -> None:
    found = commit_changes(
        READING,
        commit(FLUX, IMAGE),
        {
            FLUX: flux(jupyter_hub="release/0.2.104"),
            IMAGE: "components:\n  jupyter_hub:\n    image: lscsde/jupyterhub:4.1.4\n",
        },
        {
            FLUX: flux(jupyter_hub="release/0.2.105"),
            IMAGE: "components:\n  jupyter_hub:\n    image: lscsde/jupyterhub:4.1.5\n",
        },
    )
    assert found.changes == (
        PinChange("jupyter_hub", "branch", "release/0.2.104", "release/0.2.105"),
        PinChange("jupyter_hub", "image", "lscsde/jupyterhub:4.1.4", "lscsde/jupyterhub:4.1.5"),
    )


def test_components_added_and_removed_in_the_flux_file_say_so() -> None:
    found = commit_changes(
        READING,
        commit(FLUX),
        {FLUX: flux(jupyter_hub="release/0.2.105", superset="release/0.1.16")},
        {FLUX: flux(jupyter_hub="release/0.2.105", keda="release/0.1.44")},
    )
    assert found.changes == (
        PinChange("keda", "branch", None, "release/0.1.44", Change.ADDED),
        PinChange("superset", "branch", "release/0.1.16", None, Change.REMOVED),
    )
    assert mentioned_components([found]) == {"keda", "superset"}


def test_a_component_added_without_any_pin_is_still_added() -> None:
    found = commit_changes(
        READING, commit(FLUX), {FLUX: "components: {}\n"}, {FLUX: "components:\n  rabbitmq:\n"}
    )
    assert found.changes == (PinChange("rabbitmq", None, None, None, Change.ADDED),)


def test_a_chart_version_first_set_in_the_helm_file_is_a_field_set_not_a_new_component() -> None:
    found = commit_changes(READING, commit(HELM), {HELM: helm()}, {HELM: helm(keycloak="2.4.1")})
    assert found.changes == (PinChange("keycloak", "chart_version", None, "2.4.1", Change.CHANGED),)


def test_the_first_commit_adds_everything_it_wrote() -> None:
    found = commit_changes(
        READING, commit(FLUX, parents=()), {FLUX: None}, {FLUX: flux(keycloak="release/0.1.66")}
    )
    assert found.changes == (PinChange("keycloak", "branch", None, "release/0.1.66", Change.ADDED),)


def test_core_chart_versions_change_too_unless_one_component_was_asked_about() -> None:
    before = {RELEASE: release("0.1.96"), HELM: helm(jupyter_hub="3.2.0")}
    after = {RELEASE: release("0.1.97"), HELM: helm(jupyter_hub="3.2.1")}
    found = commit_changes(READING, commit(RELEASE, HELM), before, after)
    assert PinChange("lscsde-flux", CORE_CHART_FIELD, "0.1.96", "0.1.97") in found.changes
    assert mentioned_components([found]) == {"jupyter_hub"}  # a core chart is not a component
    only = commit_changes(READING, commit(RELEASE, HELM), before, after, component="jupyter_hub")
    assert only.changes == (PinChange("jupyter_hub", "chart_version", "3.2.0", "3.2.1"),)


def test_asking_about_a_component_the_commit_did_not_touch_finds_nothing() -> None:
    found = commit_changes(
        READING,
        commit(HELM),
        {HELM: helm(jupyter_hub="3.2.0")},
        {HELM: helm(jupyter_hub="3.2.1")},
        component="keycloak",
    )
    assert found.changes == ()


def test_a_commit_that_broke_a_file_is_a_problem_not_every_pin_removed() -> None:
    broken = 'components:\n  jupyter_hub:\n    chart_version: "3.2.1"\n  jupyter_hub:\n    chart_version: "3.2.2"\n'
    found = commit_changes(
        READING,
        commit(FLUX, HELM),
        {FLUX: flux(jupyter_hub="release/0.2.104"), HELM: helm(jupyter_hub="3.2.1", keycloak="2.4.0")},
        {FLUX: flux(jupyter_hub="release/0.2.105"), HELM: broken},
    )
    assert found.changes == (PinChange("jupyter_hub", "branch", "release/0.2.104", "release/0.2.105"),)
    [problem] = found.problems
    assert problem.startswith(f"{HELM} line 4: ")
    assert "duplicate key" in problem
    assert found.notable


def test_a_file_that_lost_its_text_is_named() -> None:
    found = commit_changes(
        READING,
        commit(HELM),
        {HELM: helm(jupyter_hub="3.2.1")},
        {HELM: UnreadableFile("is not UTF-8 text; save it as UTF-8")},
    )
    assert found.changes == ()
    assert found.problems == (f"{HELM}: is not UTF-8 text; save it as UTF-8",)


def test_a_deleted_file_takes_its_pins_with_it() -> None:
    found = commit_changes(READING, commit(HELM), {HELM: helm(jupyter_hub="3.2.1")}, {HELM: None})
    assert found.changes == (PinChange("jupyter_hub", "chart_version", "3.2.1", None),)
    assert found.problems == ()  # "no core file exists" among the one file read is no problem


def test_the_legacy_layout_maps_short_names_to_components() -> None:
    def legacy(branch: str) -> str:
        return f"apiVersion: v1\nkind: ConfigMap\ndata:\n  jupyter_branch: {branch}\n  keycloak_chart_version: '2.4.0'\n"

    found = commit_changes(
        READING, commit(LEGACY), {LEGACY: legacy("release/0.2.68")}, {LEGACY: legacy("release/0.2.69")}
    )
    assert found.changes == (PinChange("jupyter_hub", "branch", "release/0.2.68", "release/0.2.69"),)
