"""What Flux serves, and how a Kustomization's source names the commit it runs: no client here.

:mod:`slackbot.adapters.kubernetes` reads the objects; this module knows their API groups, the
versions each kind has been served under, which kinds of source a Kustomization may point at, and
turns a Kustomization's status and its source's artifact into commits.

* Versions: ``v1`` first, then ``v1beta2`` (older Flux; Flux 2.8 serves only ``v1``). Kinds differ:
  before Flux 2.6 an OCIRepository is served only as ``v1beta2`` while a GitRepository is ``v1``.
* Every kind the v1 Kustomization CRD allows in ``spec.sourceRef`` is read from
  source.toolkit.fluxcd.io: GitRepository, OCIRepository, Bucket (each ``v1`` or ``v1beta2``) and
  ExternalArtifact (``v1`` only, Flux 2.7+; written by some other controller, so Flux does not
  reconcile it on request).
* Commits: a GitRepository's revisions (``main@sha1:<sha>``) name the commit. Any other source's
  revision is an artifact digest (``latest@sha256:<digest>``); its commit is the artifact's origin
  revision (the ``org.opencontainers.image.revision`` metadata, which kustomize-controller copies to
  ``status.lastAppliedOriginRevision``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slackbot.domain.rollout import revision_sha

__all__ = [
    "FLUX_VERSIONS",
    "KUSTOMIZATION",
    "KUSTOMIZE_GROUP",
    "ORIGIN_REVISION",
    "RECONCILE_ANNOTATION",
    "SOURCE_GROUP",
    "SOURCE_KINDS",
    "FluxKind",
    "SourceRef",
    "commits",
    "mapping",
    "source_ref",
    "text",
]

SOURCE_GROUP = "source.toolkit.fluxcd.io"
KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
FLUX_VERSIONS: tuple[str, ...] = ("v1", "v1beta2")
RECONCILE_ANNOTATION = "reconcile.fluxcd.io/requestedAt"
ORIGIN_REVISION = "org.opencontainers.image.revision"  # an artifact's metadata: the commit it was built from


@dataclass(frozen=True)
class FluxKind:
    """How to read one kind of Flux object (a source, in source.toolkit.fluxcd.io, unless ``group`` says)."""

    kind: str
    plural: str
    versions: tuple[str, ...]  # the versions its controller has served it under, newest first
    git: bool = False  # its revisions name a git commit (``main@sha1:<sha>``), not an artifact digest
    reconcilable: bool = True  # its controller acts on reconcile.fluxcd.io/requestedAt
    group: str = SOURCE_GROUP


KUSTOMIZATION = FluxKind("Kustomization", "kustomizations", FLUX_VERSIONS, group=KUSTOMIZE_GROUP)

# spec.sourceRef.kind -> how to read it: every kind the v1 Kustomization CRD allows
# (kustomize-controller config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml). OCIRepository
# is v1 from Flux 2.6, Bucket from 2.4; ExternalArtifact exists from 2.7, only as v1.
SOURCE_KINDS: dict[str, FluxKind] = {
    kind.kind: kind
    for kind in (
        FluxKind("GitRepository", "gitrepositories", FLUX_VERSIONS, git=True),
        FluxKind("OCIRepository", "ocirepositories", FLUX_VERSIONS),
        FluxKind("Bucket", "buckets", FLUX_VERSIONS),
        FluxKind("ExternalArtifact", "externalartifacts", ("v1",), reconcilable=False),
    )
}


@dataclass(frozen=True)
class SourceRef:
    kind: str
    namespace: str
    name: str

    def shown(self) -> tuple[str, str, str]:
        return self.kind, self.namespace, self.name


def mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def source_ref(kustomization: dict[str, Any], name: str, namespace: str) -> SourceRef:
    """The source the Kustomization's ``spec.sourceRef`` names; a GitRepository of its name if none."""
    ref = mapping(mapping(kustomization.get("spec")).get("sourceRef"))
    return SourceRef(
        str(ref.get("kind") or "GitRepository"),
        str(ref.get("namespace") or namespace),
        str(ref.get("name") or name),
    )


def commits(
    kind: FluxKind | None, status: dict[str, Any], artifact: dict[str, Any]
) -> tuple[str | None, str | None, str | None] | None:
    """The (source, applied, attempted) commits; None when an artifact was applied but nothing says
    which commit it was built from.

    A git source's revisions name the commit. Any other's are artifact digests: the commit is the
    origin revision, which kustomize-controller (1.5+) keeps as ``lastAppliedOriginRevision``; the
    source's own artifact carries it too, so an applied or attempted revision equal to the source's
    current one has that artifact's origin. (There is no origin for the last attempt in the status.)
    """
    applied = text(status.get("lastAppliedRevision"))
    attempted = text(status.get("lastAttemptedRevision"))
    current = text(artifact.get("revision"))
    if kind is not None and kind.git:
        return revision_sha(current), revision_sha(applied), revision_sha(attempted)
    origin = revision_sha(text(mapping(artifact.get("metadata")).get(ORIGIN_REVISION)))
    applied_origin = revision_sha(text(status.get("lastAppliedOriginRevision")))
    if applied_origin is None and applied is not None and applied == current:
        applied_origin = origin
    if applied is not None and applied_origin is None and origin is None:
        return None
    return origin, applied_origin, origin if attempted is not None and attempted == current else None
