"""Simulated clusters following the seeded world's environment branches, seen as Flux and GitHub show them."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from github import Github

from slackbot.adapters.kubernetes import KubernetesFluxProbe
from slackbot.sandbox.clusters import CORE_FLUX_NAME, SimulatedCluster, cluster_id_for
from slackbot.sandbox.github_emulator import GitHubEmulator
from slackbot.sandbox.kube_emulator import KubeEmulator
from slackbot.sandbox.world import CORE_REPOSITORY, World
from slackbot.settings import BotConfig, load_config
from tests.integration.conftest import EMULATOR_TOKEN
from tests.integration.flux_schema import problems

JUPYTER = "lsc-sde/iac-flux-jupyter"
NAMESPACE = "lscsde-config"
SOURCE = "source.toolkit.fluxcd.io"
KUSTOMIZE = "kustomize.toolkit.fluxcd.io"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config(sandbox_world: World) -> BotConfig:
    return load_config(sandbox_world.config_path)


@pytest.fixture
def prod(
    sandbox_world: World,
    config: BotConfig,
    kube: KubeEmulator,
    github_emulator: GitHubEmulator,
    clock: FakeClock,
) -> SimulatedCluster:
    return SimulatedCluster(
        "prod",
        "prod",
        sandbox_world,
        config,
        kube=kube,
        github_api_url=github_emulator.base_url,
        github_token=EMULATOR_TOKEN,
        apply_delay=5.0,
        clock=clock,
    )


def head(world: World, repository: str, branch: str) -> str:
    sha = world.repo(repository).resolve(f"refs/heads/{branch}")
    assert sha is not None
    return sha


def push(world: World, repository: str, branch: str, text: str = "fixed\n") -> str:
    return world.repo(repository).commit_file(branch, "hotfix.txt", text, "Fix the thing (INC-1)")


def statuses(github: Github, repository: str, sha: str) -> list[tuple[str, str, str]]:
    return [
        (s.context, s.state, s.description)
        for s in github.get_repo(repository).get_commit(sha).get_statuses()
    ]


def kustomization(kube: KubeEmulator, name: str = "jupyter") -> dict[str, Any]:
    found = kube.get(KUSTOMIZE, "kustomizations", NAMESPACE, name)
    assert found is not None
    return found


def conditions(obj: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in obj["status"]["conditions"]}


def test_the_first_tick_syncs_what_the_environment_pins(
    prod: SimulatedCluster,
    sandbox_world: World,
    probe: KubernetesFluxProbe,
    clock: FakeClock,
    kube: KubeEmulator,
) -> None:
    prod.tick()

    expected = {
        "jupyter_hub": head(sandbox_world, JUPYTER, "release/0.2.105"),
        "ingress_nginx": head(sandbox_world, "lsc-sde/iac-flux-nginx", "release/0.1.61"),
        "cert_manager": head(sandbox_world, "lsc-sde/iac-flux-certmanager", "release/0.1.40"),
        "keycloak": head(sandbox_world, "lsc-sde/iac-flux-keycloak", "release/0.1.70"),
        "guacamole": head(sandbox_world, "lsc-sde/iac-flux-guacamole", "release/0.1.21-patched-20241010"),
        CORE_FLUX_NAME: head(sandbox_world, CORE_REPOSITORY, "prod"),
    }
    assert prod.applied == {name: (sha, clock.now) for name, sha in expected.items()}
    seen = probe.observe("jupyter", NAMESPACE)
    assert seen.source_revision == seen.applied_revision == expected["jupyter_hub"]
    assert seen.ready is True
    assert seen.message == f"Applied revision: release/0.2.105@sha1:{expected['jupyter_hub']}"
    guacamole = probe.observe("guacamole", NAMESPACE)
    assert guacamole.applied_revision == expected["guacamole"]
    source = kube.get(SOURCE, "gitrepositories", NAMESPACE, "guacamole")
    assert source is not None
    assert source["spec"]["ref"]["branch"] == "release/0.1.21-patched-20241010"


def test_a_new_commit_is_applied_after_the_delay_with_a_commit_status(
    prod: SimulatedCluster,
    *,
    sandbox_world: World,
    probe: KubernetesFluxProbe,
    clock: FakeClock,
    github_client: Github,
    kube: KubeEmulator,
) -> None:
    prod.tick()
    before = prod.applied["jupyter_hub"][0]
    sha = push(sandbox_world, JUPYTER, "release/0.2.105")
    clock.advance(60)

    prod.tick()  # sees it
    waiting = probe.observe("jupyter", NAMESPACE)
    reconciling = conditions(kustomization(kube))["Reconciling"]
    clock.advance(4.9)
    prod.tick()
    still_waiting = probe.observe("jupyter", NAMESPACE)
    clock.advance(0.1)
    prod.tick()
    applied = probe.observe("jupyter", NAMESPACE)

    assert (waiting.applied_revision, waiting.ready) == (before, None)
    assert reconciling == (
        "True",
        "Progressing",
        f"Fetching manifests for revision release/0.2.105@sha1:{sha}",
    )
    assert (still_waiting.applied_revision, still_waiting.ready) == (before, None)
    assert (applied.source_revision, applied.applied_revision, applied.ready) == (sha, sha, True)
    assert prod.applied["jupyter_hub"] == (sha, clock.now)
    context = f"kustomization/jupyter/{cluster_id_for('prod')}"
    assert statuses(github_client, JUPYTER, sha) == [(context, "success", "reconciliation succeeded")]
    assert statuses(github_client, JUPYTER, before) == [(context, "success", "reconciliation succeeded")]
    assert len(cluster_id_for("prod")) == 8


def test_every_environment_pinned_to_the_branch_follows_it(
    sandbox_world: World,
    config: BotConfig,
    github_emulator: GitHubEmulator,
    clock: FakeClock,
    github_client: Github,
) -> None:
    clusters = [
        SimulatedCluster(
            env,
            env,
            sandbox_world,
            config,
            kube=None,
            github_api_url=github_emulator.base_url,
            github_token=EMULATOR_TOKEN,
            apply_delay=5,
            clock=clock,
        )
        for env in ("prod", "stg", "dev")
    ]
    for cluster in clusters:
        cluster.tick()
    sha = push(sandbox_world, JUPYTER, "release/0.2.105")
    for _ in range(2):
        for cluster in clusters:
            cluster.tick()
        clock.advance(5)

    assert [c.applied["jupyter_hub"][0] == sha for c in clusters] == [True, True, False]  # dev pins 0.2.106
    contexts = sorted(context for context, _, _ in statuses(github_client, JUPYTER, sha))
    assert contexts == sorted(f"kustomization/jupyter/{cluster_id_for(env)}" for env in ("prod", "stg"))


def test_fail_and_heal(
    prod: SimulatedCluster,
    *,
    sandbox_world: World,
    probe: KubernetesFluxProbe,
    clock: FakeClock,
    github_client: Github,
    kube: KubeEmulator,
) -> None:
    prod.tick()
    before = prod.applied["jupyter_hub"]
    prod.fail("jupyter_hub", "HealthCheckFailed", "timeout waiting for: [Deployment/jupyterhub/hub]")
    sha = push(sandbox_world, JUPYTER, "release/0.2.105")
    prod.tick()
    clock.advance(5)
    prod.tick()

    failed = probe.observe("jupyter", NAMESPACE)
    assert (failed.ready, failed.reason, failed.message) == (
        False,
        "HealthCheckFailed",
        "timeout waiting for: [Deployment/jupyterhub/hub]",
    )
    assert failed.applied_revision == before[0]  # not applied
    assert failed.source_revision == sha  # but fetched
    assert kustomization(kube)["status"]["lastAttemptedRevision"] == f"release/0.2.105@sha1:{sha}"
    assert prod.applied["jupyter_hub"] == before
    context = f"kustomization/jupyter/{cluster_id_for('prod')}"
    assert statuses(github_client, JUPYTER, sha) == [(context, "failure", "health check failed")]

    clock.advance(30)
    prod.heal("jupyter")  # the Flux name works too
    prod.tick()

    healed = probe.observe("jupyter", NAMESPACE)
    assert (healed.ready, healed.applied_revision) == (True, sha)
    assert prod.applied["jupyter_hub"] == (sha, clock.now)
    assert statuses(github_client, JUPYTER, sha)[0] == (context, "success", "reconciliation succeeded")


def test_failing_an_applied_component_shows_at_the_next_tick(
    prod: SimulatedCluster, probe: KubernetesFluxProbe, github_client: Github
) -> None:
    prod.tick()
    sha = prod.applied["keycloak"][0]

    prod.fail("keycloak", "BuildFailed", "kustomize build failed")
    prod.tick()
    prod.tick()  # nothing new: no second status

    seen = probe.observe("keycloak", NAMESPACE)
    assert (seen.ready, seen.reason, seen.applied_revision) == (False, "BuildFailed", sha)
    assert [state for _, state, _ in statuses(github_client, "lsc-sde/iac-flux-keycloak", sha)] == [
        "failure",
        "success",
    ]


def test_a_reconcile_request_applies_at_once(
    prod: SimulatedCluster,
    sandbox_world: World,
    probe: KubernetesFluxProbe,
    clock: FakeClock,
    kube: KubeEmulator,
) -> None:
    prod.tick()
    sha = push(sandbox_world, JUPYTER, "release/0.2.105")
    prod.tick()
    at = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)

    probe.request_reconcile("jupyter", NAMESPACE, at)
    prod.tick()  # no time has passed

    seen = probe.observe("jupyter", NAMESPACE)
    assert (seen.applied_revision, seen.ready) == (sha, True)
    assert prod.applied["jupyter_hub"] == (sha, clock.now)
    for group, plural in ((SOURCE, "gitrepositories"), (KUSTOMIZE, "kustomizations")):
        stored = kube.get(group, plural, NAMESPACE, "jupyter")
        assert stored is not None
        assert stored["status"]["lastHandledReconcileAt"] == at.isoformat()
        assert stored["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"] == at.isoformat()


def test_a_pin_change_on_the_environment_branch_is_followed(
    prod: SimulatedCluster,
    sandbox_world: World,
    probe: KubernetesFluxProbe,
    clock: FakeClock,
    kube: KubeEmulator,
) -> None:
    prod.tick()
    core = sandbox_world.repo(CORE_REPOSITORY)
    entry = core.tree_entry("prod", "core/flux-config.yaml")
    assert entry is not None
    text = core.read_blob(entry.sha).decode()
    assert text.count('"release/0.2.105"') == 1
    core_sha = core.commit_file(
        "prod",
        "core/flux-config.yaml",
        text.replace('"release/0.2.105"', '"release/0.2.106"'),
        "Move prod to 0.2.106",
    )
    prod.tick()
    clock.advance(5)
    prod.tick()

    new_head = head(sandbox_world, JUPYTER, "release/0.2.106")
    assert prod.applied["jupyter_hub"] == (new_head, clock.now)
    assert prod.applied[CORE_FLUX_NAME] == (core_sha, clock.now)
    source = kube.get(SOURCE, "gitrepositories", NAMESPACE, "jupyter")
    assert source is not None
    assert source["spec"]["ref"]["branch"] == "release/0.2.106"
    assert source["status"]["artifact"]["revision"] == f"release/0.2.106@sha1:{new_head}"
    assert probe.observe(CORE_FLUX_NAME, NAMESPACE).applied_revision == core_sha


def test_the_legacy_layout_is_followed(sandbox_world: World, config: BotConfig, clock: FakeClock) -> None:
    uat = SimulatedCluster("uat", "uat", sandbox_world, config, kube=None, clock=clock)

    uat.tick()

    assert {name: sha for name, (sha, _) in uat.applied.items() if name != CORE_FLUX_NAME} == {
        "jupyter_hub": head(sandbox_world, JUPYTER, "release/0.2.69"),
        "ingress_nginx": head(sandbox_world, "lsc-sde/iac-flux-nginx", "release/0.1.55"),
        "cert_manager": head(sandbox_world, "lsc-sde/iac-flux-certmanager", "release/0.1.38"),
        "keycloak": head(sandbox_world, "lsc-sde/iac-flux-keycloak", "release/0.1.66"),
    }


def test_a_pinned_branch_that_does_not_exist(
    prod: SimulatedCluster, sandbox_world: World, probe: KubernetesFluxProbe, kube: KubeEmulator
) -> None:
    prod.tick()
    before = prod.applied["jupyter_hub"]
    core = sandbox_world.repo(CORE_REPOSITORY)
    entry = core.tree_entry("prod", "core/flux-config.yaml")
    assert entry is not None
    text = core.read_blob(entry.sha).decode().replace('"release/0.2.105"', '"release/9.9.9"')
    core.commit_file("prod", "core/flux-config.yaml", text, "Pin a branch that does not exist")

    prod.tick()

    source = kube.get(SOURCE, "gitrepositories", NAMESPACE, "jupyter")
    assert source is not None
    assert conditions(source)["Ready"][:2] == ("False", "GitOperationFailed")
    assert prod.applied["jupyter_hub"] == before
    assert probe.observe("jupyter", NAMESPACE).applied_revision == before[0]


def test_start_and_stop_on_a_thread(sandbox_world: World, config: BotConfig, kube: KubeEmulator) -> None:
    cluster = SimulatedCluster("stg", "stg", sandbox_world, config, kube=kube, apply_delay=0.05).start(
        interval=0.02
    )
    try:
        sha = push(sandbox_world, JUPYTER, "release/0.2.105")
        deadline = time.monotonic() + 10
        while cluster.applied.get("jupyter_hub", ("", 0.0))[0] != sha and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        cluster.stop()

    assert cluster.applied["jupyter_hub"][0] == sha


def flux_objects(kube: KubeEmulator, name: str) -> list[tuple[str, str, dict[str, Any]]]:
    found = [(group, plural, kube.get(group, plural, NAMESPACE, name)) for group, plural in FLUX_PLURALS]
    return [(group, plural, body) for group, plural, body in found if body is not None]


FLUX_PLURALS = ((SOURCE, "gitrepositories"), (KUSTOMIZE, "kustomizations"))


def test_every_object_the_simulated_flux_writes_is_one_flux_could(
    prod: SimulatedCluster,
    sandbox_world: World,
    probe: KubernetesFluxProbe,
    clock: FakeClock,
    kube: KubeEmulator,
) -> None:
    """Checked against the v1 CRD schemas (tests/integration/flux_crds.json) in every state."""
    seen: list[str] = []

    def check(state: str) -> None:
        for name in ("jupyter", "guacamole", CORE_FLUX_NAME):
            objects = flux_objects(kube, name)
            assert len(objects) == 2, (state, name)
            for group, plural, body in objects:
                assert body["apiVersion"] == f"{group}/v1"
                assert problems(group, plural, body) == [], (state, plural, name)
        seen.append(state)

    prod.tick()
    check("synced")
    push(sandbox_world, JUPYTER, "release/0.2.105")
    prod.tick()
    check("waiting")
    prod.fail("jupyter_hub", "HealthCheckFailed", "timeout waiting for: [Deployment/jupyterhub/hub]")
    clock.advance(5)
    prod.tick()
    check("failing")
    probe.request_reconcile("jupyter", NAMESPACE, datetime(2025, 3, 4, 9, 30, tzinfo=UTC))
    prod.heal("jupyter_hub")
    prod.tick()
    check("healed on request")
    core = sandbox_world.repo(CORE_REPOSITORY)
    entry = core.tree_entry("prod", "core/flux-config.yaml")
    assert entry is not None
    text = core.read_blob(entry.sha).decode().replace('"release/0.2.105"', '"release/9.9.9"')
    core.commit_file("prod", "core/flux-config.yaml", text, "Pin a branch that does not exist")
    prod.tick()
    check("missing branch")

    assert seen == ["synced", "waiting", "failing", "healed on request", "missing branch"]


def test_an_artifact_keeps_its_update_time_until_its_revision_changes(
    prod: SimulatedCluster, sandbox_world: World, clock: FakeClock, kube: KubeEmulator
) -> None:
    def source_artifact() -> dict[str, Any]:
        source = kube.get(SOURCE, "gitrepositories", NAMESPACE, "jupyter")
        assert source is not None
        found: dict[str, Any] = source["status"]["artifact"]
        return found

    prod.tick()
    first = source_artifact()
    kube.update(
        SOURCE,
        "gitrepositories",
        NAMESPACE,
        "jupyter",
        {"status": {"artifact": {"lastUpdateTime": "2025-01-01T00:00:00Z"}}},
    )
    prod.fail("jupyter_hub")  # the Kustomization changes, the artifact does not
    prod.tick()
    unchanged = source_artifact()
    sha = push(sandbox_world, JUPYTER, "release/0.2.105")
    prod.tick()
    clock.advance(5)
    prod.tick()  # tried (and failed): the source holds the new revision
    renewed = source_artifact()

    assert first["lastUpdateTime"].endswith("Z")
    assert unchanged["lastUpdateTime"] == "2025-01-01T00:00:00Z"
    assert renewed["revision"] == f"release/0.2.105@sha1:{sha}"
    assert renewed["lastUpdateTime"] != "2025-01-01T00:00:00Z"
