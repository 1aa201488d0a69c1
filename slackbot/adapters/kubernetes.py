"""Flux's view of one cluster, read through the official ``kubernetes`` client.

:class:`KubernetesFluxProbe` reads a component's Flux ``Kustomization`` (kustomize.toolkit.fluxcd.io)
and the source it points at (normally a ``GitRepository`` of the same name, source.toolkit.fluxcd.io)
and turns them into a :class:`~slackbot.domain.rollout.FluxObservation`. It can also ask Flux to
reconcile at once, as ``flux reconcile kustomization NAME --with-source`` does (an ExternalArtifact
is written by some other controller, which the flux CLI will not reconcile either: then only the
Kustomization is annotated).

Decisions worth knowing:

* One probe per cluster. Each builds its own ``ApiClient`` from a fresh ``Configuration`` (never the
  client's global default), lazily on first use, so one process can watch several clusters and a
  probe that is never used costs nothing.
* Versions: ``v1`` first, then ``v1beta2`` (older Flux; Flux 2.8 serves only ``v1``). A 404 whose
  Status names the object means "no such object" under a version the server serves; any other 404
  means the version is not served. The version that answered is remembered per kind for the next
  call (kinds differ: before Flux 2.6 an OCIRepository is served only as ``v1beta2`` while a
  GitRepository is ``v1``).
* The source is the one the Kustomization's ``spec.sourceRef`` names (same namespace unless given),
  else a GitRepository named like the Kustomization. Every kind the v1 Kustomization CRD allows is
  read from source.toolkit.fluxcd.io: GitRepository (``gitrepositories``), OCIRepository
  (``ocirepositories``), Bucket (``buckets``), each ``v1`` or ``v1beta2``, and ExternalArtifact
  (``externalartifacts``, ``v1`` only, Flux 2.7+). A missing source gives ``source_revision=None``,
  not an error: the Kustomization's Ready message says what is wrong.
* Commits: a GitRepository's revisions (``main@sha1:<sha>``) name the commit. Any other source's
  revision is an artifact digest (``latest@sha256:<digest>``); its commit is the artifact's origin
  revision (the ``org.opencontainers.image.revision`` metadata, which kustomize-controller copies to
  ``status.lastAppliedOriginRevision``). An applied artifact without one, as a Bucket's always is,
  is :class:`NotFound` with one sentence saying the bot can't tell which commit it runs.
* Ready: the Kustomization's ``Ready`` condition: "True" -> True, "False" -> False, anything else
  (Unknown, absent) -> None. ``Reconciling=True`` makes it None (an apply is in progress), except
  with reason ``ProgressingWithRetry`` and Ready False: Flux documents that state as "failing and
  retrying", so it stays a failure.
* Errors become one sentence: :class:`Unavailable` for a cluster that cannot be reached, answers
  5xx or refuses the bot (401/403, naming the RBAC it needs); :class:`NotFound` for a missing
  Kustomization, or one whose applied revision names no commit.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import urllib3
from kubernetes import client as kube_client
from kubernetes import config as _kube_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from slackbot.domain.errors import NotFound, Unavailable
from slackbot.domain.followup import RolloutTarget
from slackbot.domain.rollout import FluxObservation, revision_sha

__all__ = [
    "KUSTOMIZE_GROUP",
    "ORIGIN_REVISION",
    "RECONCILE_ANNOTATION",
    "SOURCE_GROUP",
    "SOURCE_KINDS",
    "KubernetesFluxProbe",
    "KubernetesRolloutProbe",
]

log = logging.getLogger(__name__)

# The config loaders are untyped (in some client versions the whole package is): used through Any.
kube_config: Any = _kube_config

SOURCE_GROUP = "source.toolkit.fluxcd.io"
KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
FLUX_VERSIONS: tuple[str, ...] = ("v1", "v1beta2")
RECONCILE_ANNOTATION = "reconcile.fluxcd.io/requestedAt"
ORIGIN_REVISION = "org.opencontainers.image.revision"  # an artifact's metadata: the commit it was built from
MERGE_PATCH = "application/merge-patch+json"


@dataclass(frozen=True)
class SourceKind:
    """How to read one kind of source a Kustomization can point at (all in source.toolkit.fluxcd.io)."""

    plural: str
    versions: tuple[str, ...]  # the versions source-controller has served it under, newest first
    git: bool = False  # its revisions name a git commit (``main@sha1:<sha>``), not an artifact digest
    reconcilable: bool = True  # source-controller acts on reconcile.fluxcd.io/requestedAt


# spec.sourceRef.kind -> how to read it: every kind the v1 Kustomization CRD allows
# (kustomize-controller config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml). OCIRepository
# is v1 from Flux 2.6, Bucket from 2.4; ExternalArtifact exists from 2.7, only as v1.
SOURCE_KINDS: dict[str, SourceKind] = {
    "GitRepository": SourceKind("gitrepositories", FLUX_VERSIONS, git=True),
    "OCIRepository": SourceKind("ocirepositories", FLUX_VERSIONS),
    "Bucket": SourceKind("buckets", FLUX_VERSIONS),
    "ExternalArtifact": SourceKind("externalartifacts", ("v1",), reconcilable=False),
}


@dataclass(frozen=True)
class _SourceRef:
    kind: str
    namespace: str
    name: str

    def shown(self) -> tuple[str, str, str]:
        return self.kind, self.namespace, self.name


class _Missing(Exception):
    """The object does not exist under any Flux API version the server serves."""


class KubernetesFluxProbe:
    """Reads Flux objects of one cluster: a kubeconfig context, or the cluster the bot runs in."""

    def __init__(
        self,
        *,
        kube_context: str | None = None,
        in_cluster: bool = False,
        kubeconfig: str | None = None,
        request_timeout: float = 5.0,
    ) -> None:
        self._context = kube_context
        self._in_cluster = in_cluster
        self._kubeconfig = kubeconfig
        self._timeout = request_timeout
        self._label = "in-cluster" if in_cluster else (kube_context or "current-context")
        self._lock = threading.Lock()
        self._api_client: Any = None
        self._api: Any = None
        self._versions: dict[tuple[str, str], str] = {}  # (group, plural) -> the version that answered

    # -- the probe ---------------------------------------------------------------------------------

    def observe(self, name: str, namespace: str) -> FluxObservation:
        """What Flux in this cluster says about Kustomization ``name`` and its source."""
        kustomization, api_version = self._kustomization(name, namespace)
        ref = _source_ref(kustomization, name, namespace)
        status = _mapping(kustomization.get("status"))
        commits = _commits(SOURCE_KINDS.get(ref.kind), status, self._artifact(ref))
        if commits is None:
            raise NotFound(self._no_commit(name, ref, _text(status.get("lastAppliedRevision"))))
        ready, reason, message = _readiness(status)
        return FluxObservation(
            source_revision=commits[0],
            applied_revision=commits[1],
            attempted_revision=commits[2],
            ready=ready,
            reason=reason,
            message=message,
            api_version=api_version,
        )

    def request_reconcile(self, name: str, namespace: str, at: datetime) -> None:
        """Ask Flux to reconcile the Kustomization and its source now (``flux reconcile --with-source``).

        Sets the ``reconcile.fluxcd.io/requestedAt`` annotation with a merge patch, on the source
        first and then on the Kustomization, as the flux CLI does. Needs RBAC ``get`` and ``patch``.
        A source no Flux controller reconciles on request (an ExternalArtifact) is left alone.
        """
        body = {"metadata": {"annotations": {RECONCILE_ANNOTATION: at.isoformat()}}}
        kustomization, _ = self._kustomization(name, namespace)
        ref = _source_ref(kustomization, name, namespace)
        kind = SOURCE_KINDS.get(ref.kind)
        if kind is None or not kind.reconcilable:
            log.info("%s %s/%s on %s: not reconciled on request by Flux", *ref.shown(), self._where())
        else:
            try:
                self._patch(SOURCE_GROUP, kind.plural, ref.namespace, ref.name, body, kind.versions)
            except _Missing:
                log.info("no %s %s/%s to annotate on %s", kind.plural, ref.namespace, ref.name, self._where())
        try:
            self._patch(KUSTOMIZE_GROUP, "kustomizations", namespace, name, body, FLUX_VERSIONS)
        except _Missing:
            raise NotFound(
                f"no Flux Kustomization `{name}` in namespace `{namespace}` on {self._where()}"
            ) from None

    def close(self) -> None:
        with self._lock:
            api_client, self._api_client, self._api = self._api_client, None, None
        if api_client is not None:
            api_client.close()

    # -- talking to the API server -----------------------------------------------------------------

    def _kustomization(self, name: str, namespace: str) -> tuple[dict[str, Any], str]:
        """The Kustomization and the API version that served it; NotFound when there is none."""
        try:
            return self._get(KUSTOMIZE_GROUP, "kustomizations", namespace, name, "get", FLUX_VERSIONS)
        except _Missing:
            raise NotFound(
                f"no Flux Kustomization `{name}` in namespace `{namespace}` on {self._where()}"
            ) from None

    def _artifact(self, ref: _SourceRef) -> dict[str, Any]:
        """The source's ``status.artifact``: {} when it has none, does not exist or can't be read."""
        kind = SOURCE_KINDS.get(ref.kind)
        if kind is None:
            log.info("%s %s/%s on %s: a kind of source the bot can't read", *ref.shown(), self._where())
            return {}
        try:
            found, _ = self._get(SOURCE_GROUP, kind.plural, ref.namespace, ref.name, "get", kind.versions)
        except _Missing:
            log.info("no %s %s/%s on %s", kind.plural, ref.namespace, ref.name, self._where())
            return {}
        return _mapping(_mapping(found.get("status")).get("artifact"))

    def _no_commit(self, name: str, ref: _SourceRef, applied: str | None) -> str:
        """The one sentence for a Kustomization whose applied revision names no git commit."""
        if ref.kind not in SOURCE_KINDS:
            return (
                f"Flux Kustomization `{name}` on {self._where()} applies a {ref.kind}, a kind of source "
                "the bot can't read, so it can't tell which commit that cluster runs"
            )
        return (
            f"Flux Kustomization `{name}` on {self._where()} applies a {ref.kind} artifact (`{applied}`) "
            f"whose metadata names no git commit (no `{ORIGIN_REVISION}`), so the bot can't tell which "
            "commit that cluster runs"
        )

    def _where(self) -> str:
        return "this cluster (in-cluster config)" if self._in_cluster else f"the {self._label} cluster"

    def _custom_objects(self) -> Any:
        with self._lock:
            if self._api is None:
                self._api_client = self._build_client()
                self._api = kube_client.CustomObjectsApi(self._api_client)
            return self._api

    def _build_client(self) -> Any:
        configuration = kube_client.Configuration()  # a fresh one: the global default stays untouched
        try:
            if self._in_cluster:
                kube_config.load_incluster_config(client_configuration=configuration)
            else:
                # Read at first use (the client reads KUBECONFIG once, when it is imported).
                path = self._kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
                if self._context is None:
                    _, active = kube_config.list_kube_config_contexts(config_file=path)
                    self._label = str(active.get("name") or self._label)
                kube_config.load_kube_config(
                    config_file=path,
                    context=self._context,
                    client_configuration=configuration,
                    persist_config=False,  # never write refreshed credentials into someone's kubeconfig
                )
        except (ConfigException, OSError, ValueError, TypeError, KeyError) as error:
            raise Unavailable(
                f"can't reach {self._where()}: its configuration can't be used ({error})"
            ) from None
        # One quick retry of a failed connection, no retried reads: a dead cluster answers fast.
        configuration.retries = urllib3.util.Retry(total=1, connect=1, read=0, redirect=0, status=0)
        return kube_client.ApiClient(configuration=configuration)

    def _versions_to_try(self, group: str, plural: str, versions: tuple[str, ...]) -> list[str]:
        known = self._versions.get((group, plural))
        return [known, *(v for v in versions if v != known)] if known else list(versions)

    def _get(  # noqa: PLR0917 - the custom-objects API's own path parts, in its order
        self, group: str, plural: str, namespace: str, name: str, verb: str, versions: tuple[str, ...]
    ) -> tuple[dict[str, Any], str]:
        """The object and the version that served it; _Missing when no version has it."""
        api = self._custom_objects()
        for version in self._versions_to_try(group, plural, versions):
            try:
                found = api.get_namespaced_custom_object(
                    group, version, namespace, plural, name, _request_timeout=self._timeout
                )
            except ApiException as error:
                if error.status == 404:
                    if _names_object(error, name):  # served version, no such object
                        self._versions[group, plural] = version
                        raise _Missing from None
                    continue  # this version is not served here: try the next one
                raise self._api_error(error, verb) from None
            except (urllib3.exceptions.HTTPError, OSError) as error:
                raise Unavailable(f"can't reach {self._where()}: {_reason(error)}") from None
            self._versions[group, plural] = version
            return (found if isinstance(found, dict) else {}), version
        raise _Missing

    def _patch(  # noqa: PLR0917 - as _get
        self,
        group: str,
        plural: str,
        namespace: str,
        name: str,
        body: dict[str, Any],
        versions: tuple[str, ...],
    ) -> None:
        api = self._custom_objects()
        for version in self._versions_to_try(group, plural, versions):
            try:
                api.patch_namespaced_custom_object(
                    group,
                    version,
                    namespace,
                    plural,
                    name,
                    body,
                    _content_type=MERGE_PATCH,
                    _request_timeout=self._timeout,
                )
            except ApiException as error:
                if error.status == 404:
                    if _names_object(error, name):
                        raise _Missing from None
                    continue
                raise self._api_error(error, "patch") from None
            except (urllib3.exceptions.HTTPError, OSError) as error:
                raise Unavailable(f"can't reach {self._where()}: {_reason(error)}") from None
            self._versions[group, plural] = version
            return
        raise _Missing

    def _api_error(self, error: ApiException, verb: str) -> Unavailable:
        status = int(error.status or 0)
        if status == 401:
            return Unavailable(
                f"{self._where()} refused the bot (401): its credentials were not accepted; "
                "check the token or certificate in the kubeconfig (or the service account)"
            )
        if status == 403:
            return Unavailable(
                f"{self._where()} refused the bot (403): it needs {verb} on gitrepositories "
                "and kustomizations"
            )
        detail = _status_message(error) or f"{status} {error.reason or ''}".strip()
        if status == 0:
            detail = str(error.reason or error)
        elif not detail.startswith(str(status)):
            detail = f"{status} {detail}"
        return Unavailable(f"can't reach {self._where()}: {detail}")


# -- reading Flux objects ----------------------------------------------------------------------------


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _conditions(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = status.get("conditions")
    if not isinstance(found, list):
        return {}
    return {str(c.get("type")): c for c in found if isinstance(c, dict)}


def _readiness(status: dict[str, Any]) -> tuple[bool | None, str, str]:
    """(ready, reason, message) from the Kustomization's Ready and Reconciling conditions."""
    conditions = _conditions(status)
    ready_condition = conditions.get("Ready", {})
    reconciling = conditions.get("Reconciling", {})
    reason = str(ready_condition.get("reason") or "")
    message = str(ready_condition.get("message") or "")
    state = ready_condition.get("status")
    in_progress = reconciling.get("status") == "True"
    if state == "False" and (not in_progress or reconciling.get("reason") == "ProgressingWithRetry"):
        return False, reason, message
    if state == "True" and not in_progress:
        return True, reason, message
    if in_progress and not message:
        reason = str(reconciling.get("reason") or "Progressing")
        message = str(reconciling.get("message") or "")
    return None, reason, message


def _source_ref(kustomization: dict[str, Any], name: str, namespace: str) -> _SourceRef:
    """The source the Kustomization's ``spec.sourceRef`` names; a GitRepository of its name if none."""
    ref = _mapping(_mapping(kustomization.get("spec")).get("sourceRef"))
    return _SourceRef(
        str(ref.get("kind") or "GitRepository"),
        str(ref.get("namespace") or namespace),
        str(ref.get("name") or name),
    )


def _commits(
    kind: SourceKind | None, status: dict[str, Any], artifact: dict[str, Any]
) -> tuple[str | None, str | None, str | None] | None:
    """The (source, applied, attempted) commits; None when an artifact was applied but nothing says
    which commit it was built from.

    A git source's revisions name the commit. Any other's are artifact digests: the commit is the
    origin revision, which kustomize-controller (1.5+) keeps as ``lastAppliedOriginRevision``; the
    source's own artifact carries it too, so an applied or attempted revision equal to the source's
    current one has that artifact's origin. (There is no origin for the last attempt in the status.)
    """
    applied = _text(status.get("lastAppliedRevision"))
    attempted = _text(status.get("lastAttemptedRevision"))
    current = _text(artifact.get("revision"))
    if kind is not None and kind.git:
        return revision_sha(current), revision_sha(applied), revision_sha(attempted)
    origin = revision_sha(_text(_mapping(artifact.get("metadata")).get(ORIGIN_REVISION)))
    applied_origin = revision_sha(_text(status.get("lastAppliedOriginRevision")))
    if applied_origin is None and applied is not None and applied == current:
        applied_origin = origin
    if applied is not None and applied_origin is None and origin is None:
        return None
    return origin, applied_origin, origin if attempted is not None and attempted == current else None


# -- errors ------------------------------------------------------------------------------------------


def _status_body(error: ApiException) -> dict[str, Any]:
    try:
        body = json.loads(error.body or "")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def _names_object(error: ApiException, name: str) -> bool:
    """Whether a 404 says "this object does not exist" (rather than "this version is not served")."""
    details = _mapping(_status_body(error).get("details"))
    return details.get("name") == name


def _status_message(error: ApiException) -> str:
    return str(_status_body(error).get("message") or "")


def _reason(error: BaseException) -> str:
    inner = getattr(error, "reason", None)  # MaxRetryError wraps the connection error
    text = str(inner or error)
    if "Connection refused" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "timed out"
    return text


class KubernetesRolloutProbe:
    """One cluster's probe as the roll-out checks ask it: by roll-out target."""

    def __init__(self, probe: KubernetesFluxProbe, description: str) -> None:
        self._probe = probe
        self.description = description

    def observe(self, target: RolloutTarget) -> FluxObservation:
        return self._probe.observe(target.flux_name, target.namespace)

    def request_reconcile(self, target: RolloutTarget, at: datetime) -> None:
        self._probe.request_reconcile(target.flux_name, target.namespace, at)

    def close(self) -> None:
        self._probe.close()
