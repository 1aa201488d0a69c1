"""The CRD schema check the emulator's objects are held to: it accepts what Flux writes, and refuses
what an API server would refuse (or silently prune)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.integration.flux_schema import problems

SOURCE = "source.toolkit.fluxcd.io"
SHA = "1" * 40


def oci_repository() -> dict[str, Any]:
    """An OCIRepository as source-controller leaves it after pulling an artifact built from a commit."""
    return {
        "apiVersion": f"{SOURCE}/v1",
        "kind": "OCIRepository",
        "metadata": {"name": "jupyter", "namespace": "flux-system", "generation": 1},
        "spec": {"interval": "5m", "url": "oci://ghcr.io/lsc-sde/manifests", "ref": {"tag": "latest"}},
        "status": {
            "observedGeneration": 1,
            "artifact": {
                "revision": "latest@sha256:" + "a" * 64,
                "digest": "sha256:" + "a" * 64,
                "lastUpdateTime": "2025-03-04T09:30:00Z",
                "path": "ocirepository/flux-system/jupyter/" + "a" * 64 + ".tar.gz",
                "url": "http://source-controller.flux-system.svc.cluster.local./ocirepository/x.tar.gz",
                "size": 1024,
                "metadata": {"org.opencontainers.image.revision": f"main@sha1:{SHA}"},
            },
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "Succeeded",
                    "message": "stored artifact for digest 'latest@sha256:aaaa'",
                    "lastTransitionTime": "2025-03-04T09:30:00Z",
                    "observedGeneration": 1,
                }
            ],
        },
    }


def test_an_object_as_flux_writes_it_passes() -> None:
    assert problems(SOURCE, "ocirepositories", oci_repository()) == []


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (("status", "artifact", "lastUpdateTime"), None, ".status.artifact.lastUpdateTime: required"),
        (("spec", "interval"), None, ".spec.interval: required"),
        (("spec", "interval"), "5 minutes", ".spec.interval: '5 minutes' does not match"),
        (("status", "artifact", "lastUpdateTime"), "yesterday", "is not an RFC 3339 date-time"),
        (("status", "artifact", "size"), "1 KiB", ".status.artifact.size: not integer"),
        (("status", "conditions", 0, "status"), "Yes", "'Yes' not one of ['True', 'False', 'Unknown']"),
        (("status", "conditions", 0, "message"), "x" * 32769, "message: length 32769 out of bounds"),
        (("status", "lastAppliedRevision"), "x", ".status.lastAppliedRevision: not in the schema"),
        (("status", "artifact", "metadata", "count"), 3, ".status.artifact.metadata.count: not string"),
    ],
)
def test_what_the_crd_refuses_is_named(path: tuple[Any, ...], value: Any, problem: str) -> None:
    body = copy.deepcopy(oci_repository())
    parent: Any = body
    for key in path[:-1]:
        parent = parent[key]
    if value is None:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value

    found = problems(SOURCE, "ocirepositories", body)

    assert len(found) == 1, found
    assert problem in found[0]
