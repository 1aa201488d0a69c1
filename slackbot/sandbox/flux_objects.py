"""How the simulated Flux shows a component on the Kubernetes API emulator, as its controllers would.

:class:`FluxObjects` keeps, for each :class:`~slackbot.sandbox.flux_track.Track`, a
``GitRepository`` and a ``Kustomization`` named by its ``flux_name`` in one namespace of a
:class:`~slackbot.sandbox.kube_emulator.KubeEmulator` up to date (``status.artifact.revision``,
``status.lastAppliedRevision``, ``Ready``/``Reconciling`` conditions with their transition times,
``status.lastHandledReconcileAt``), and reads the ``reconcile.fluxcd.io/requestedAt`` annotations
someone set on them to ask Flux to reconcile. The objects are ``v1`` ones as the CRDs define them
(an artifact has the ``digest``, ``lastUpdateTime``, ``path``, ``revision`` and ``url`` it must have;
each condition its ``lastTransitionTime``), stored under the first version the emulator serves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from slackbot.sandbox.flux_track import Track, revision
from slackbot.sandbox.kube_emulator import KubeEmulator

__all__ = ["KUSTOMIZE_GROUP", "RECONCILE_ANNOTATION", "SOURCE_GROUP", "FluxObjects"]

SOURCE_GROUP = "source.toolkit.fluxcd.io"
KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
RECONCILE_ANNOTATION = "reconcile.fluxcd.io/requestedAt"


class FluxObjects:
    """The Flux objects of one cluster's ``namespace`` on ``kube``.

    While a new revision waits, the Kustomization is ``Reconciling=True`` (reason ``Progressing``)
    and ``Ready=Unknown``, still at the old ``lastAppliedRevision``. A failing component gets
    ``lastAttemptedRevision`` = the new revision, ``Ready=False`` with the failure's reason and
    message, and ``Reconciling=True`` reason ``ProgressingWithRetry``, as kustomize-controller
    reports a failure it retries; ``lastAppliedRevision`` stays where it was. A component whose
    pinned branch does not exist gets a ``GitRepository`` with ``Ready=False``
    (``GitOperationFailed``); its Kustomization keeps the last applied revision.
    """

    def __init__(self, kube: KubeEmulator, namespace: str) -> None:
        self.kube = kube
        self.namespace = namespace

    def reconcile_requests(self, track: Track) -> dict[str, str]:
        """plural -> requestedAt, for the objects someone asked Flux to reconcile since last time."""
        found = {}
        for group, plural in ((SOURCE_GROUP, "gitrepositories"), (KUSTOMIZE_GROUP, "kustomizations")):
            body = self.kube.get(group, plural, self.namespace, track.flux_name) or {}
            annotations = (body.get("metadata") or {}).get("annotations") or {}
            value = annotations.get(RECONCILE_ANNOTATION)
            if isinstance(value, str) and value and value != track.handled.get(plural):
                found[plural] = value
        return found

    def publish(self, track: Track, requests: Mapping[str, str]) -> None:
        """Show ``track`` (and the reconcile ``requests`` it handled) on its two objects."""
        track.handled.update(requests)
        self._sync(SOURCE_GROUP, "gitrepositories", track, _source_spec(track), self._source_status(track))
        self._sync(
            KUSTOMIZE_GROUP, "kustomizations", track, _kustomization_spec(track), _kustomization_status(track)
        )

    def _sync(
        self, group: str, plural: str, track: Track, spec: dict[str, Any], status: dict[str, Any]
    ) -> None:
        handled = track.handled.get(plural)
        if handled is not None:
            status["lastHandledReconcileAt"] = handled
        existing = self.kube.get(group, plural, self.namespace, track.flux_name)
        if existing is None:
            body = {"spec": spec, "status": _with_times(status, None)}
            self.kube.put(group, self.kube.api_versions[0], plural, self.namespace, track.flux_name, body)
            return
        old_status = existing.get("status") or {}
        status = _with_times(status, old_status)
        if existing.get("spec") == spec and old_status == status:
            return
        # Keys that disappeared are deleted (null in a merge patch).
        changes: dict[str, Any] = {"spec": spec, "status": {k: None for k in old_status if k not in status}}
        changes["status"].update(status)
        self.kube.update(group, plural, self.namespace, track.flux_name, changes)

    def _source_status(self, track: Track) -> dict[str, Any]:
        status: dict[str, Any] = {"observedGeneration": 1}
        if track.attempted is not None:
            sha = track.attempted[1]
            status["artifact"] = {
                "revision": revision(*track.attempted),
                "digest": f"sha256:{hashlib.sha256(sha.encode()).hexdigest()}",
                "path": f"gitrepository/{self.namespace}/{track.flux_name}/{sha}.tar.gz",
                "url": f"http://source-controller.flux-system.svc.cluster.local./gitrepository/"
                f"{self.namespace}/{track.flux_name}/{sha}.tar.gz",
            }
        if track.head is None:
            ready = _condition(
                "Ready",
                "False",
                "GitOperationFailed",
                f"failed to checkout and determine revision: unable to clone "
                f"'https://github.com/{track.repository}': couldn't find remote ref "
                f'"refs/heads/{track.branch}"',
            )
        elif track.attempted is not None:
            ready = _condition(
                "Ready", "True", "Succeeded", f"stored artifact for revision '{revision(*track.attempted)}'"
            )
        else:
            ready = _condition("Ready", "Unknown", "Progressing", "reconciliation in progress")
        status["conditions"] = [ready]
        return status


def _source_spec(track: Track) -> dict[str, Any]:
    return {
        "interval": "1m0s",
        "url": f"https://github.com/{track.repository}",
        "ref": {"branch": track.branch},
        "timeout": "60s",
    }


def _kustomization_spec(track: Track) -> dict[str, Any]:
    return {
        "interval": "10m0s",
        "path": "./",
        "prune": True,
        "sourceRef": {"kind": "GitRepository", "name": track.flux_name},
        "timeout": "5m0s",
    }


def _kustomization_status(track: Track) -> dict[str, Any]:
    status: dict[str, Any] = {"observedGeneration": 1}
    if track.applied is not None:
        status["lastAppliedRevision"] = revision(*track.applied)
    if track.attempted is not None:
        status["lastAttemptedRevision"] = revision(*track.attempted)
    conditions = []
    if track.waiting is not None:
        waiting = revision(*track.waiting[:2])
        conditions.append(_condition("Ready", "Unknown", "Progressing", "Reconciliation in progress"))
        conditions.append(
            _condition("Reconciling", "True", "Progressing", f"Fetching manifests for revision {waiting}")
        )
    elif track.ready is not None:
        ok, reason, message = track.ready
        conditions.append(_condition("Ready", "True" if ok else "False", reason, message))
        if not ok and track.attempted is not None:
            conditions.append(
                _condition(
                    "Reconciling",
                    "True",
                    "ProgressingWithRetry",
                    f"Detecting drift for revision {revision(*track.attempted)} with a timeout of 5m0s",
                )
            )
    status["conditions"] = conditions
    return status


def _condition(kind: str, status: str, reason: str, message: str) -> dict[str, Any]:
    return {"type": kind, "status": status, "reason": reason, "message": message, "observedGeneration": 1}


def _with_times(status: dict[str, Any], old_status: Mapping[str, Any] | None) -> dict[str, Any]:
    """Give each condition a lastTransitionTime (the old one while its status is unchanged) and the
    artifact its lastUpdateTime (the old one while its revision is unchanged)."""
    old = {c.get("type"): c for c in (old_status or {}).get("conditions") or [] if isinstance(c, dict)}
    conditions = []
    for condition in status.get("conditions") or []:
        previous = old.get(condition["type"])
        unchanged = previous is not None and previous.get("status") == condition["status"]
        when = previous.get("lastTransitionTime") if unchanged and previous is not None else None
        conditions.append({**condition, "lastTransitionTime": when or _now_text()})
    timed = {**status, "conditions": conditions}
    artifact = status.get("artifact")
    if artifact is not None:
        old_artifact = (old_status or {}).get("artifact") or {}
        same = old_artifact.get("revision") == artifact["revision"]
        updated = old_artifact.get("lastUpdateTime") if same else None
        timed["artifact"] = {**artifact, "lastUpdateTime": updated or _now_text()}
    return timed


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
