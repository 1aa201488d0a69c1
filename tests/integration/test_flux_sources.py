"""What current Flux serves, and every kind of source a Kustomization may name: the Kubernetes API
emulator held to Flux's CRDs, and KubernetesFluxProbe reading each kind over HTTP.

From the CRDs (fluxcd/kustomize-controller and fluxcd/source-controller, config/crd/bases/): Flux
2.8 serves only v1; 2.0 to 2.7 serve v1beta2 too; OCIRepository is v1 from 2.6 and Bucket from 2.4;
ExternalArtifact exists from 2.7, only as v1. A Kustomization's sourceRef.kind is one of
GitRepository, OCIRepository, Bucket and ExternalArtifact.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from slackbot.adapters.kubernetes import ORIGIN_REVISION, KubernetesFluxProbe
from slackbot.domain.errors import NotFound
from slackbot.sandbox.clusters import write_kubeconfig
from slackbot.sandbox.kube_emulator import OLDER_FLUX, KubeEmulator
from tests.integration.flux_seed import (
    DIGEST,
    KUSTOMIZE,
    NAMESPACE,
    NEW,
    SOURCE,
    artifact_source,
    kustomization_of,
    ready,
    seed,
)

NOT_SERVED = "the server could not find the requested resource"


def raw_get(kube: KubeEmulator, path: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 - the emulator on loopback
        kube.base_url + path, headers={"Authorization": f"Bearer {kube.token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - loopback
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_current_flux_serves_only_v1(kube: KubeEmulator) -> None:
    seed(kube)

    v1 = raw_get(kube, f"/apis/{SOURCE}/v1/namespaces/{NAMESPACE}/gitrepositories/jupyter")
    beta = raw_get(kube, f"/apis/{KUSTOMIZE}/v1beta2/namespaces/{NAMESPACE}/kustomizations/jupyter")
    discovery = raw_get(kube, f"/apis/{SOURCE}/v1")

    assert v1[0] == 200
    assert v1[1]["apiVersion"] == f"{SOURCE}/v1"
    assert beta[0] == 404
    assert beta[1]["message"] == NOT_SERVED
    assert "details" not in beta[1]  # not "no such object": the version is not served at all
    assert raw_get(kube, f"/apis/{SOURCE}/v1beta2")[0] == 404
    assert [r["name"] for r in discovery[1]["resources"]] == [
        "buckets",
        "externalartifacts",
        "gitrepositories",
        "ocirepositories",
    ]


def test_a_kind_is_served_only_under_the_versions_and_in_the_group_its_crd_has() -> None:
    with KubeEmulator(api_versions=OLDER_FLUX) as flux_2_7:
        seed(flux_2_7)
        artifact_source(flux_2_7, "ExternalArtifact", revision=f"latest@{DIGEST}", origin=NEW)
        external = f"/namespaces/{NAMESPACE}/externalartifacts/jupyter"
        answers = {
            "external artifact v1": raw_get(flux_2_7, f"/apis/{SOURCE}/v1{external}"),
            "external artifact v1beta2": raw_get(flux_2_7, f"/apis/{SOURCE}/v1beta2{external}"),
            "wrong group": raw_get(flux_2_7, f"/apis/{SOURCE}/v1/namespaces/{NAMESPACE}/kustomizations/x"),
        }

    assert answers["external artifact v1"][0] == 200
    assert answers["external artifact v1beta2"][1]["message"] == NOT_SERVED  # it never had a v1beta2
    assert answers["wrong group"][1]["message"] == NOT_SERVED


def test_one_kind_can_be_served_under_other_versions() -> None:
    # Flux 2.5: v1beta2 still served, OCIRepository not yet v1, no ExternalArtifact CRD.
    with KubeEmulator(
        api_versions=OLDER_FLUX, served_versions={"ocirepositories": ("v1beta2",), "externalartifacts": ()}
    ) as flux_2_5:
        oci = f"/namespaces/{NAMESPACE}/ocirepositories/x"
        answers = {
            "oci v1": raw_get(flux_2_5, f"/apis/{SOURCE}/v1{oci}"),
            "oci v1beta2": raw_get(flux_2_5, f"/apis/{SOURCE}/v1beta2{oci}"),
            "external artifact": raw_get(
                flux_2_5, f"/apis/{SOURCE}/v1/namespaces/{NAMESPACE}/externalartifacts/x"
            ),
        }

    assert answers["oci v1beta2"][1]["details"] == {"name": "x", "group": SOURCE, "kind": "ocirepositories"}
    assert answers["oci v1"][1]["message"] == NOT_SERVED
    assert answers["external artifact"][1]["message"] == NOT_SERVED


@pytest.mark.parametrize("kind", ["OCIRepository", "ExternalArtifact"])
def test_an_artifact_source_is_followed_by_the_commit_it_was_built_from(
    kube: KubeEmulator, probe: KubernetesFluxProbe, kind: str
) -> None:
    artifact_source(kube, kind, revision=f"latest@{DIGEST}", origin=f"main@sha1:{NEW}")
    kustomization_of(
        kube,
        kind,
        {"lastAppliedRevision": f"latest@{DIGEST}", "lastAppliedOriginRevision": f"main@sha1:{NEW}"},
    )

    seen = probe.observe("jupyter", NAMESPACE)

    assert (seen.source_revision, seen.applied_revision, seen.ready) == (NEW, NEW, True)
    plural = {"OCIRepository": "ocirepositories", "ExternalArtifact": "externalartifacts"}[kind]
    assert kube.requests[-1].path == f"/apis/{SOURCE}/v1/namespaces/{NAMESPACE}/{plural}/jupyter"


def test_without_an_origin_revision_in_the_status_the_current_artifact_tells(
    kube: KubeEmulator, probe: KubernetesFluxProbe
) -> None:
    # kustomize-controller before 1.5 (Flux 2.5) keeps no lastAppliedOriginRevision.
    artifact_source(kube, "OCIRepository", revision=f"latest@{DIGEST}", origin=NEW)
    kustomization_of(
        kube,
        "OCIRepository",
        {
            "lastAppliedRevision": f"latest@sha256:{'b' * 64}",  # an older artifact
            "lastAttemptedRevision": f"latest@{DIGEST}",
            "conditions": [ready("False", "HealthCheckFailed", "timeout")],
        },
    )

    seen = probe.observe("jupyter", NAMESPACE)

    assert (seen.source_revision, seen.attempted_revision, seen.ready) == (NEW, NEW, False)
    assert seen.applied_revision is None  # an older artifact: which commit it held is not known


@pytest.mark.parametrize(
    ("kind", "revision", "sentence"),
    [
        (
            "Bucket",
            DIGEST,
            f"Flux Kustomization `jupyter` on the prod cluster applies a Bucket artifact (`{DIGEST}`) whose "
            f"metadata names no git commit (no `{ORIGIN_REVISION}`), so the bot can't tell which commit "
            "that cluster runs",
        ),
        (
            "HelmChart",  # a source-controller kind no Kustomization may name
            f"1.2.3@{DIGEST}",
            "Flux Kustomization `jupyter` on the prod cluster applies a HelmChart, a kind of source the bot "
            "can't read, so it can't tell which commit that cluster runs",
        ),
    ],
)
def test_a_source_whose_artifact_names_no_commit_is_said_plainly(
    kube: KubeEmulator, probe: KubernetesFluxProbe, kind: str, revision: str, sentence: str
) -> None:
    if kind == "Bucket":
        artifact_source(kube, kind, revision=revision, origin=None)
        kustomization_of(kube, kind, {"lastAppliedRevision": revision})
    else:
        body = {"spec": {"interval": "1m", "prune": True, "sourceRef": {"kind": kind, "name": "jupyter"}}}
        body["status"] = {"lastAppliedRevision": revision}
        kube.put(KUSTOMIZE, "v1", "kustomizations", NAMESPACE, "jupyter", body)  # the CRD would refuse it

    with pytest.raises(NotFound) as raised:
        probe.observe("jupyter", NAMESPACE)

    assert str(raised.value) == sentence


def test_versions_are_remembered_per_kind(tmp_path: Path) -> None:
    # Flux 2.4 and 2.5 serve a GitRepository as v1 but an OCIRepository only as v1beta2.
    with KubeEmulator(api_versions=OLDER_FLUX, served_versions={"ocirepositories": ("v1beta2",)}) as kube:
        seed(kube, "jupyter")
        artifact_source(kube, "OCIRepository", revision=f"latest@{DIGEST}", origin=NEW, name="nginx")
        kustomization_of(kube, "OCIRepository", {"lastAppliedRevision": f"latest@{DIGEST}"}, name="nginx")
        path = write_kubeconfig(tmp_path / "kubeconfig", {"flux-2-5": kube})
        probe = KubernetesFluxProbe(kube_context="flux-2-5", kubeconfig=str(path))
        try:
            seen = [probe.observe(name, NAMESPACE) for _ in range(2) for name in ("jupyter", "nginx")]
            probe.request_reconcile("nginx", NAMESPACE, datetime(2025, 3, 4, tzinfo=UTC))
        finally:
            probe.close()

    sources = [(r.method, r.path.split("/")[3], r.path.split("/")[6], r.status) for r in kube.requests]
    sources = [s for s in sources if s[2] != "kustomizations"]
    assert sources == [
        ("GET", "v1", "gitrepositories", 200),
        ("GET", "v1", "ocirepositories", 404),  # once: not served as v1 here
        ("GET", "v1beta2", "ocirepositories", 200),
        ("GET", "v1", "gitrepositories", 200),  # still v1: the OCIRepository's version is its own
        ("GET", "v1beta2", "ocirepositories", 200),
        ("PATCH", "v1beta2", "ocirepositories", 200),
    ]
    assert [s.applied_revision for s in seen] == [NEW] * 4


def test_request_reconcile_leaves_an_external_artifact_to_its_controller(
    kube: KubeEmulator, probe: KubernetesFluxProbe
) -> None:
    artifact_source(kube, "ExternalArtifact", revision=f"latest@{DIGEST}", origin=f"main@sha1:{NEW}")
    kustomization_of(kube, "ExternalArtifact", {"lastAppliedRevision": f"latest@{DIGEST}"})

    probe.request_reconcile("jupyter", NAMESPACE, datetime(2025, 3, 4, tzinfo=UTC))

    assert [path for path, _ in kube.patches] == [
        f"/apis/{KUSTOMIZE}/v1/namespaces/{NAMESPACE}/kustomizations/jupyter"
    ]
