"""Flux objects for the probe's tests, as Flux's controllers leave them: each checked against the
v1 CRD schema (:mod:`tests.integration.flux_schema`) before it is stored, so the tests seed only
what a real cluster could hold."""

from __future__ import annotations

from typing import Any

from slackbot.adapters.kubernetes import ORIGIN_REVISION
from slackbot.sandbox.kube_emulator import KubeEmulator
from tests.integration.flux_schema import problems

SOURCE = "source.toolkit.fluxcd.io"
KUSTOMIZE = "kustomize.toolkit.fluxcd.io"
NAMESPACE = "lscsde-config"
OLD = "1" * 40
NEW = "2" * 40
DIGEST = "sha256:" + "a" * 64  # an OCI artifact's digest: no git commit


def ready(status: str, reason: str, message: str) -> dict[str, Any]:
    return {"type": "Ready", "status": status, "reason": reason, "message": message}


def timed(conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Conditions as Flux writes them: each with its lastTransitionTime."""
    return [{"lastTransitionTime": "2025-03-04T09:00:00Z", **c} for c in conditions]


def artifact(revision: str, origin: str | None = None) -> dict[str, Any]:
    """An Artifact with the fields the CRDs require (and the commit it was built from, if known)."""
    found: dict[str, Any] = {
        "revision": revision,
        "digest": "sha256:" + "d" * 64,
        "lastUpdateTime": "2025-03-04T09:00:00Z",
        "path": "source/x.tar.gz",
        "url": "http://source-controller.flux-system.svc.cluster.local./source/x.tar.gz",
    }
    if origin is not None:
        found["metadata"] = {ORIGIN_REVISION: origin}
    return found


def put(kube: KubeEmulator, group: str, plural: str, name: str, body: dict[str, Any]) -> None:
    """Store a v1 object, checked first against Flux's CRD schema: the tests seed what Flux could."""
    assert problems(group, plural, body) == []
    kube.put(group, "v1", plural, NAMESPACE, name, body)


def seed(
    kube: KubeEmulator,
    name: str = "jupyter",
    *,
    source: str = NEW,
    applied: str = NEW,
    conditions: list[dict[str, Any]] | None = None,
    source_name: str | None = None,
) -> None:
    """A GitRepository and a Kustomization as Flux leaves them."""
    put(
        kube,
        SOURCE,
        "gitrepositories",
        source_name or name,
        {
            "spec": {
                "interval": "1m0s",
                "url": "https://github.com/lsc-sde/iac-flux-jupyter",
                "ref": {"branch": "release/0.2.105"},
            },
            "status": {"artifact": artifact(f"release/0.2.105@sha1:{source}")},
        },
    )
    revision = f"release/0.2.105@sha1:{applied}"
    put(
        kube,
        KUSTOMIZE,
        "kustomizations",
        name,
        {
            "spec": {
                "interval": "10m0s",
                "prune": True,
                "sourceRef": {"kind": "GitRepository", "name": source_name or name},
                "path": "./",
            },
            "status": {
                "lastAppliedRevision": revision,
                "conditions": timed(
                    conditions
                    if conditions is not None
                    else [ready("True", "ReconciliationSucceeded", f"Applied revision: {revision}")]
                ),
            },
        },
    )


def artifact_source(
    kube: KubeEmulator, kind: str, *, revision: str, origin: str | None, name: str = "jupyter"
) -> None:
    """A source of ``kind`` holding an artifact (``origin``: the commit it was built from)."""
    spec = {
        "OCIRepository": {"interval": "1m0s", "url": "oci://ghcr.io/lsc-sde/manifests/jupyter"},
        "Bucket": {"interval": "1m0s", "bucketName": "manifests", "endpoint": "minio.example.org"},
        "ExternalArtifact": {"sourceRef": {"apiVersion": "example.com/v1", "kind": "Source", "name": name}},
    }[kind]
    plural = {
        "OCIRepository": "ocirepositories",
        "Bucket": "buckets",
        "ExternalArtifact": "externalartifacts",
    }
    put(kube, SOURCE, plural[kind], name, {"spec": spec, "status": {"artifact": artifact(revision, origin)}})


def kustomization_of(kube: KubeEmulator, kind: str, status: dict[str, Any], name: str = "jupyter") -> None:
    spec = {"interval": "10m0s", "prune": True, "sourceRef": {"kind": kind, "name": name}}
    conditions = status.pop("conditions", [ready("True", "ReconciliationSucceeded", "Applied")])
    put(
        kube,
        KUSTOMIZE,
        "kustomizations",
        name,
        {"spec": spec, "status": {**status, "conditions": timed(conditions)}},
    )
