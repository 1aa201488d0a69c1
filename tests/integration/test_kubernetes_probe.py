"""KubernetesFluxProbe against the loopback Kubernetes API, over HTTP, through a written kubeconfig."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from slackbot.adapters.kubernetes import KubernetesFluxProbe
from slackbot.domain.errors import NotFound, Unavailable
from slackbot.sandbox.clusters import write_kubeconfig
from slackbot.sandbox.kube_emulator import KubeEmulator
from tests.integration.flux_seed import KUSTOMIZE, NAMESPACE, NEW, OLD, SOURCE, ready, seed


def test_observes_the_v1_objects(kube: KubeEmulator, probe: KubernetesFluxProbe) -> None:
    seed(kube, source=NEW, applied=OLD)

    seen = probe.observe("jupyter", NAMESPACE)

    assert seen.source_revision == NEW
    assert seen.applied_revision == OLD
    assert seen.ready is True
    assert seen.reason == "ReconciliationSucceeded"
    assert seen.message == f"Applied revision: release/0.2.105@sha1:{OLD}"
    assert seen.api_version == "v1"
    assert [(r.method, r.path, r.status) for r in kube.requests] == [
        ("GET", f"/apis/{KUSTOMIZE}/v1/namespaces/{NAMESPACE}/kustomizations/jupyter", 200),
        ("GET", f"/apis/{SOURCE}/v1/namespaces/{NAMESPACE}/gitrepositories/jupyter", 200),
    ]


def test_an_older_cluster_serving_only_v1beta2(tmp_path: Path) -> None:
    with KubeEmulator(api_versions=("v1beta2",)) as old:
        seed(old)
        path = write_kubeconfig(tmp_path / "kubeconfig", {"old-prod": old})
        probe = KubernetesFluxProbe(kube_context="old-prod", kubeconfig=str(path))
        try:
            first = probe.observe("jupyter", NAMESPACE)
            old.clear_log()
            second = probe.observe("jupyter", NAMESPACE)
        finally:
            probe.close()

    assert first.api_version == second.api_version == "v1beta2"
    assert first.applied_revision == first.source_revision == NEW
    assert first.ready is True
    # The version that worked is remembered: no more 404s for v1.
    assert [r.status for r in old.requests] == [200, 200]
    assert all("/v1beta2/" in r.path for r in old.requests)


def test_the_legacy_revision_format_of_older_flux(kube: KubeEmulator, probe: KubernetesFluxProbe) -> None:
    kube.put(
        SOURCE,
        "v1beta2",
        "gitrepositories",
        NAMESPACE,
        "jupyter",
        {"status": {"artifact": {"revision": f"release/0.2.105/{OLD}"}}},
    )
    kube.put(
        KUSTOMIZE,
        "v1beta2",
        "kustomizations",
        NAMESPACE,
        "jupyter",
        {
            "status": {
                "lastAppliedRevision": f"release/0.2.105/{OLD}",
                "conditions": [ready("True", "ReconciliationSucceeded", "ok")],
            }
        },
    )

    seen = probe.observe("jupyter", NAMESPACE)

    assert (seen.source_revision, seen.applied_revision) == (OLD, OLD)


def test_ready_false_surfaces_its_reason_and_message(kube: KubeEmulator, probe: KubernetesFluxProbe) -> None:
    message = "Health check failed after 5m0s: timeout waiting for: [Deployment/jupyterhub/hub status: 'InProgress']"
    seed(kube, applied=OLD, conditions=[ready("False", "HealthCheckFailed", message)])

    seen = probe.observe("jupyter", NAMESPACE)

    assert seen.ready is False
    assert seen.reason == "HealthCheckFailed"
    assert seen.message == message


def test_a_failure_being_retried_is_still_a_failure(kube: KubeEmulator, probe: KubernetesFluxProbe) -> None:
    # kustomize-controller keeps Reconciling=True (ProgressingWithRetry) while it retries a failure.
    seed(
        kube,
        conditions=[
            ready("False", "BuildFailed", "kustomize build failed: accumulating resources"),
            {
                "type": "Reconciling",
                "status": "True",
                "reason": "ProgressingWithRetry",
                "message": "retrying",
            },
        ],
    )

    seen = probe.observe("jupyter", NAMESPACE)

    assert (seen.ready, seen.reason) == (False, "BuildFailed")


@pytest.mark.parametrize(
    "conditions",
    [
        [
            ready("Unknown", "Progressing", "Reconciliation in progress"),
            {
                "type": "Reconciling",
                "status": "True",
                "reason": "Progressing",
                "message": "Fetching manifests",
            },
        ],
        # Still True from the last revision, but a new one is being applied.
        [
            ready("True", "ReconciliationSucceeded", "Applied revision: x"),
            {
                "type": "Reconciling",
                "status": "True",
                "reason": "Progressing",
                "message": "Fetching manifests",
            },
        ],
        [ready("Unknown", "Progressing", "Reconciliation in progress")],
        [],
    ],
    ids=["reconciling", "reconciling-after-ready", "unknown", "no-conditions"],
)
def test_reconciling_or_unknown_is_not_ready_yet(
    kube: KubeEmulator, probe: KubernetesFluxProbe, conditions: list[dict[str, Any]]
) -> None:
    seed(kube, conditions=conditions)

    assert probe.observe("jupyter", NAMESPACE).ready is None


def test_the_source_the_kustomization_points_at_is_read(
    kube: KubeEmulator, probe: KubernetesFluxProbe
) -> None:
    seed(kube, source=OLD, applied=OLD, source_name="jupyter-source")

    assert probe.observe("jupyter", NAMESPACE).source_revision == OLD


def test_a_missing_source_is_no_error(kube: KubeEmulator, probe: KubernetesFluxProbe) -> None:
    seed(kube)
    kube.delete(SOURCE, "gitrepositories", NAMESPACE, "jupyter")

    seen = probe.observe("jupyter", NAMESPACE)

    assert seen.source_revision is None
    assert seen.applied_revision == NEW


def test_missing_objects_are_not_found(kube: KubeEmulator, probe: KubernetesFluxProbe) -> None:
    seed(kube)

    with pytest.raises(NotFound) as raised:
        probe.observe("keycloak", NAMESPACE)

    assert (
        str(raised.value)
        == "no Flux Kustomization `keycloak` in namespace `lscsde-config` on the prod cluster"
    )
    # The 404 named the object, so v1 is served: no point asking v1beta2.
    assert [(r.path, r.status) for r in kube.requests] == [
        (f"/apis/{KUSTOMIZE}/v1/namespaces/{NAMESPACE}/kustomizations/keycloak", 404)
    ]


def test_missing_objects_on_an_older_cluster_are_not_found(tmp_path: Path) -> None:
    with KubeEmulator(api_versions=("v1beta2",)) as old:
        path = write_kubeconfig(tmp_path / "kubeconfig", {"old": old})
        probe = KubernetesFluxProbe(kube_context="old", kubeconfig=str(path))
        with pytest.raises(
            NotFound, match="no Flux Kustomization `jupyter` in namespace `lscsde-config` on the old"
        ):
            probe.observe("jupyter", NAMESPACE)
        probe.close()


def test_an_unreachable_cluster_is_unavailable_then_back(
    kube: KubeEmulator, probe: KubernetesFluxProbe
) -> None:
    seed(kube)
    kube.unreachable = True

    with pytest.raises(Unavailable, match=r"^can't reach the prod cluster: 503"):
        probe.observe("jupyter", NAMESPACE)

    kube.unreachable = False
    assert probe.observe("jupyter", NAMESPACE).ready is True


def test_a_cluster_that_is_down_is_unavailable(tmp_path: Path) -> None:
    kube = KubeEmulator().start()
    path = write_kubeconfig(tmp_path / "kubeconfig", {"prod": kube})
    kube.stop()
    probe = KubernetesFluxProbe(kube_context="prod", kubeconfig=str(path), request_timeout=2)

    with pytest.raises(Unavailable, match=r"^can't reach the prod cluster: connection refused$"):
        probe.observe("jupyter", NAMESPACE)


def test_a_wrong_token_is_refused(tmp_path: Path, kube: KubeEmulator) -> None:
    seed(kube)
    path = write_kubeconfig(tmp_path / "kubeconfig", {"prod": kube}, token="not-the-token")
    probe = KubernetesFluxProbe(kube_context="prod", kubeconfig=str(path))

    with pytest.raises(Unavailable, match=r"^the prod cluster refused the bot \(401\)"):
        probe.observe("jupyter", NAMESPACE)


def test_missing_rbac_is_named(kube: KubeEmulator, probe: KubernetesFluxProbe) -> None:
    seed(kube)
    kube.forbidden_verbs = {"get"}

    with pytest.raises(Unavailable) as raised:
        probe.observe("jupyter", NAMESPACE)

    assert str(raised.value) == (
        "the prod cluster refused the bot (403): it needs get on gitrepositories and kustomizations"
    )


def test_request_reconcile_annotates_the_source_and_the_kustomization(
    kube: KubeEmulator, probe: KubernetesFluxProbe
) -> None:
    seed(kube)
    at = datetime(2025, 3, 4, 9, 30, 0, 123456, tzinfo=UTC)

    probe.request_reconcile("jupyter", NAMESPACE, at)

    annotation = {"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": at.isoformat()}}}
    assert kube.patches == [
        (f"/apis/{SOURCE}/v1/namespaces/{NAMESPACE}/gitrepositories/jupyter", annotation),
        (f"/apis/{KUSTOMIZE}/v1/namespaces/{NAMESPACE}/kustomizations/jupyter", annotation),
    ]
    for group, plural in ((SOURCE, "gitrepositories"), (KUSTOMIZE, "kustomizations")):
        stored = kube.get(group, plural, NAMESPACE, "jupyter")
        assert stored is not None
        assert stored["metadata"]["annotations"] == {
            "reconcile.fluxcd.io/requestedAt": "2025-03-04T09:30:00.123456+00:00"
        }
        assert stored["status"]  # a merge patch of metadata leaves the status alone


def test_request_reconcile_needs_patch_rights(kube: KubeEmulator, probe: KubernetesFluxProbe) -> None:
    seed(kube)
    kube.forbidden_verbs = {"patch"}

    with pytest.raises(Unavailable, match=r"refused the bot \(403\): it needs patch on gitrepositories"):
        probe.request_reconcile("jupyter", NAMESPACE, datetime.now(UTC))


def test_request_reconcile_of_a_missing_kustomization(probe: KubernetesFluxProbe) -> None:
    with pytest.raises(NotFound, match="no Flux Kustomization `jupyter`"):
        probe.request_reconcile("jupyter", NAMESPACE, datetime.now(UTC))


def test_kubeconfig_from_the_environment_and_several_clusters_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with KubeEmulator() as prod, KubeEmulator(api_versions=("v1beta2",)) as stg:
        seed(prod, applied=OLD)
        seed(stg, applied=NEW)
        path = write_kubeconfig(tmp_path / "kubeconfig", {"prod": prod, "stg": stg})
        monkeypatch.setenv("KUBECONFIG", str(path))
        environment = dict(os.environ)
        probes = [KubernetesFluxProbe(kube_context=name) for name in ("prod", "stg")]
        seen = [p.observe("jupyter", NAMESPACE) for p in probes]
        current = KubernetesFluxProbe()  # the kubeconfig's current context: the first one written
        current_seen = current.observe("jupyter", NAMESPACE)
        for p in (*probes, current):
            p.close()

    assert [(s.applied_revision, s.api_version) for s in seen] == [(OLD, "v1"), (NEW, "v1beta2")]
    assert current_seen.applied_revision == OLD
    assert dict(os.environ) == environment  # nothing process-wide is set (lightkube has no global config)


def test_several_kubeconfig_files_are_merged_as_kubectl_merges_them(
    tmp_path: Path, kube: KubeEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(kube, applied=OLD)
    written = json.loads(write_kubeconfig(tmp_path / "written", {"prod": kube}).read_text())
    first = {"contexts": written["contexts"], "current-context": "prod"}
    # The second file's own "prod" context and current context lose: the first file named them.
    second = {
        "clusters": written["clusters"],
        "users": written["users"],
        "contexts": [{"name": "prod", "context": {"cluster": "elsewhere"}}],
        "current-context": "other",
    }
    (tmp_path / "first").write_text(json.dumps(first))
    (tmp_path / "second").write_text(json.dumps(second))
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(str(tmp_path / n) for n in ("first", "gone", "second")))
    probe = KubernetesFluxProbe()

    seen = probe.observe("jupyter", NAMESPACE)
    probe.close()

    assert seen.applied_revision == OLD


def test_no_work_at_construction_and_a_bad_kubeconfig_is_unavailable(tmp_path: Path) -> None:
    probe = KubernetesFluxProbe(kube_context="prod", kubeconfig=str(tmp_path / "missing"))  # no error yet

    with pytest.raises(Unavailable, match=r"^can't reach the prod cluster: its configuration can't be used"):
        probe.observe("jupyter", NAMESPACE)


def test_an_unknown_context_is_unavailable(kubeconfig: Path) -> None:
    probe = KubernetesFluxProbe(kube_context="aks-prod", kubeconfig=str(kubeconfig))

    with pytest.raises(Unavailable, match=r"^can't reach the aks-prod cluster"):
        probe.observe("jupyter", NAMESPACE)


def test_in_cluster_config_outside_a_cluster_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_PORT", raising=False)
    probe = KubernetesFluxProbe(in_cluster=True)

    with pytest.raises(Unavailable, match=r"^can't reach this cluster \(in-cluster config\)"):
        probe.observe("jupyter", NAMESPACE)


def test_the_written_kubeconfig(tmp_path: Path, kube: KubeEmulator) -> None:
    path = write_kubeconfig(
        tmp_path / "sub" / "kubeconfig", {"sandbox-prod": kube, "sandbox-stg": kube}, token="t0k"
    )

    document = json.loads(path.read_text())

    assert [c["name"] for c in document["contexts"]] == ["sandbox-prod", "sandbox-stg"]
    assert document["current-context"] == "sandbox-prod"
    assert {c["cluster"]["server"] for c in document["clusters"]} == {kube.base_url}
    assert {u["user"]["token"] for u in document["users"]} == {"t0k"}
    assert path.stat().st_mode & 0o777 == 0o600
