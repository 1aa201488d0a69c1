"""Flux's view of one cluster, read through ``lightkube`` (a small Kubernetes client).

:class:`KubernetesFluxProbe` reads a component's Flux ``Kustomization`` (kustomize.toolkit.fluxcd.io)
and the source it points at (normally a ``GitRepository`` of the same name, source.toolkit.fluxcd.io)
and turns them into a :class:`~slackbot.domain.rollout.FluxObservation`. It can also ask Flux to
reconcile at once, as ``flux reconcile kustomization NAME --with-source`` does (an ExternalArtifact
is written by some other controller, which the flux CLI will not reconcile either: then only the
Kustomization is annotated). Which kinds and versions Flux serves, and how a source's revisions name
a commit, is :mod:`slackbot.adapters.kubernetes_sources`.

Decisions worth knowing:

* One probe per cluster. Each builds its own lightkube ``Client`` from its own kubeconfig context
  (or the in-cluster service account), lazily on first use, so one process can watch several
  clusters and a probe that is never used costs nothing. Nothing process-wide is configured: the
  Flux kinds are lightkube generic resources defined once, at import, from constants; no discovery
  request is made (the paths are built from group, version and plural).
* Kubeconfig: ``kubeconfig`` if given, else ``KUBECONFIG`` (several files separated by ``:`` are
  merged as kubectl does: the first file to name a cluster, user or context wins), else
  ``~/.kube/config``; read at first use. The bot never writes it. The API server is reached
  directly: ``HTTPS_PROXY`` and the like are not for it (``trust_env=False``).
* Versions: ``v1`` first, then ``v1beta2``. A 404 whose Status names the object means "no such
  object" under a version the server serves; any other 404 means the version is not served. The
  version that answered is remembered per kind for the next call.
* The source is the one the Kustomization's ``spec.sourceRef`` names (same namespace unless given),
  else a GitRepository named like the Kustomization. A missing source gives ``source_revision=None``,
  not an error: the Kustomization's Ready message says what is wrong. An applied artifact whose
  metadata names no commit, as a Bucket's never does, is :class:`NotFound` with one sentence saying
  the bot can't tell which commit it runs.
* Ready: the Kustomization's ``Ready`` condition: "True" -> True, "False" -> False, anything else
  (Unknown, absent) -> None. ``Reconciling=True`` makes it None (an apply is in progress), except
  with reason ``ProgressingWithRetry`` and Ready False: Flux documents that state as "failing and
  retrying", so it stays a failure.
* Errors become one sentence: :class:`Unavailable` for a cluster that cannot be reached (one quick
  retry of a refused connection, none of a read), answers 5xx or refuses the bot (401/403, naming
  the RBAC it needs); :class:`NotFound` for a missing Kustomization, or one whose applied revision
  names no commit.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
from lightkube import Client
from lightkube.config.kubeconfig import KubeConfig, SingleConfig
from lightkube.config.models import User
from lightkube.core.exceptions import ConfigError
from lightkube.generic_resource import GenericNamespacedResource, create_namespaced_resource
from lightkube.types import PatchType
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from slackbot.adapters.kubernetes_sources import (
    FLUX_VERSIONS,
    KUSTOMIZATION,
    KUSTOMIZE_GROUP,
    ORIGIN_REVISION,
    RECONCILE_ANNOTATION,
    SOURCE_GROUP,
    SOURCE_KINDS,
    FluxKind,
    SourceRef,
    commits,
    mapping,
    source_ref,
    text,
)
from slackbot.domain.errors import NotFound, Unavailable
from slackbot.domain.followup import RolloutTarget
from slackbot.domain.rollout import FluxObservation

__all__ = [
    "FLUX_VERSIONS",
    "KUSTOMIZE_GROUP",
    "ORIGIN_REVISION",
    "RECONCILE_ANNOTATION",
    "SOURCE_GROUP",
    "SOURCE_KINDS",
    "KubernetesFluxProbe",
    "KubernetesRolloutProbe",
]

log = logging.getLogger(__name__)

Resource = type[GenericNamespacedResource]
# (group, plural, version) -> the lightkube resource for it: every Flux kind under every version it has had.
_RESOURCES: dict[tuple[str, str, str], Resource] = {
    (kind.group, kind.plural, version): create_namespaced_resource(
        kind.group, version, kind.kind, kind.plural
    )
    for kind in (KUSTOMIZATION, *SOURCE_KINDS.values())
    for version in kind.versions
}
# Files a kubeconfig entry may name, resolved against the kubeconfig that names them.
_FILE_FIELDS = {
    "cluster": ("certificate-authority",),
    "user": ("client-certificate", "client-key", "tokenFile"),
}


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
        self._client: Client | None = None
        self._versions: dict[tuple[str, str], str] = {}  # (group, plural) -> the version that answered

    # -- the probe ---------------------------------------------------------------------------------

    def observe(self, name: str, namespace: str) -> FluxObservation:
        """What Flux in this cluster says about Kustomization ``name`` and its source."""
        kustomization, api_version = self._kustomization(name, namespace)
        ref = source_ref(kustomization, name, namespace)
        status = mapping(kustomization.get("status"))
        found = commits(SOURCE_KINDS.get(ref.kind), status, self._artifact(ref))
        if found is None:
            raise NotFound(self._no_commit(name, ref, text(status.get("lastAppliedRevision"))))
        ready, reason, message = _readiness(status)
        return FluxObservation(
            source_revision=found[0],
            applied_revision=found[1],
            attempted_revision=found[2],
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
        ref = source_ref(kustomization, name, namespace)
        kind = SOURCE_KINDS.get(ref.kind)
        if kind is None or not kind.reconcilable:
            log.info("%s %s/%s on %s: not reconciled on request by Flux", *ref.shown(), self._where())
        else:
            try:
                self._call(kind, ref.namespace, ref.name, "patch", body)
            except _Missing:
                log.info("no %s %s/%s to annotate on %s", kind.plural, ref.namespace, ref.name, self._where())
        try:
            self._call(KUSTOMIZATION, namespace, name, "patch", body)
        except _Missing:
            raise NotFound(
                f"no Flux Kustomization `{name}` in namespace `{namespace}` on {self._where()}"
            ) from None

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- reading Flux objects ----------------------------------------------------------------------

    def _kustomization(self, name: str, namespace: str) -> tuple[dict[str, Any], str]:
        """The Kustomization and the API version that served it; NotFound when there is none."""
        try:
            return self._call(KUSTOMIZATION, namespace, name, "get")
        except _Missing:
            raise NotFound(
                f"no Flux Kustomization `{name}` in namespace `{namespace}` on {self._where()}"
            ) from None

    def _artifact(self, ref: SourceRef) -> dict[str, Any]:
        """The source's ``status.artifact``: {} when it has none, does not exist or can't be read."""
        kind = SOURCE_KINDS.get(ref.kind)
        if kind is None:
            log.info("%s %s/%s on %s: a kind of source the bot can't read", *ref.shown(), self._where())
            return {}
        try:
            found, _ = self._call(kind, ref.namespace, ref.name, "get")
        except _Missing:
            log.info("no %s %s/%s on %s", kind.plural, ref.namespace, ref.name, self._where())
            return {}
        return mapping(mapping(found.get("status")).get("artifact"))

    def _no_commit(self, name: str, ref: SourceRef, applied: str | None) -> str:
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

    # -- talking to the API server -----------------------------------------------------------------

    def _lightkube(self) -> Client:
        with self._lock:
            if self._client is None:
                self._client = self._build_client()
            return self._client

    def _build_client(self) -> Client:
        try:
            config = self._config()
            # The pool is this probe's own; environment proxies are not for the cluster.
            return Client(config, timeout=httpx2.Timeout(self._timeout), trust_env=False)
        except (ConfigError, OSError, ValueError, TypeError, KeyError, YAMLError) as error:
            raise self._unusable(error) from None

    def _config(self) -> SingleConfig:
        if self._in_cluster:
            if not (os.environ.get("KUBERNETES_SERVICE_HOST") and os.environ.get("KUBERNETES_SERVICE_PORT")):
                raise ConfigError("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set")
            single = KubeConfig.from_service_account().get()
        else:
            path = self._kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
            single = _read_kubeconfig(path).get(self._context)
            if single is not None and self._context is None:
                self._label = single.context_name
        if single is None:
            raise ConfigError("it names no current context")
        # A context without a user sends no credentials (lightkube insists on a user entry).
        return single if single.user is not None else single._replace(user=User())

    def _unusable(self, error: BaseException) -> Unavailable:
        return Unavailable(f"can't reach {self._where()}: its configuration can't be used ({error})")

    def _versions_to_try(self, kind: FluxKind) -> list[str]:
        known = self._versions.get((kind.group, kind.plural))
        return [known, *(v for v in kind.versions if v != known)] if known else list(kind.versions)

    def _call(
        self, kind: FluxKind, namespace: str, name: str, verb: str, patch: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], str]:
        """Get (or merge-patch) the object: it and the version that served it; _Missing when no
        version has it."""
        client = self._lightkube()
        for version in self._versions_to_try(kind):
            resource = _RESOURCES[kind.group, kind.plural, version]
            try:
                found = self._send(client, resource, namespace, name, patch)
            except httpx2.HTTPStatusError as error:  # lightkube's ApiError for a Status, or a bare answer
                if error.response.status_code == 404:
                    if _names_object(error.response, name):  # a served version, no such object
                        self._versions[kind.group, kind.plural] = version
                        raise _Missing from None
                    continue  # this version is not served here: try the next one
                raise self._api_error(error.response, verb) from None
            self._versions[kind.group, kind.plural] = version
            return (dict(found) if isinstance(found, dict) else {}), version
        raise _Missing

    def _send(
        self, client: Client, resource: Resource, namespace: str, name: str, patch: dict[str, Any] | None
    ) -> object:
        try:
            try:
                return _request(client, resource, namespace, name, patch)
            except httpx2.ConnectError:
                # One quick retry of a failed connection, no retried reads: a dead cluster answers fast.
                return _request(client, resource, namespace, name, patch)
        except KeyError as error:
            # lightkube reads the Content-Type of an error answer; one without it (a proxy's 502, say)
            # fails there: the answer's own error is what happened.
            if isinstance(error.__context__, httpx2.HTTPStatusError):
                raise error.__context__ from None
            raise
        except ConfigError as error:  # an exec credential plugin that failed
            raise self._unusable(error) from None
        except (httpx2.RequestError, httpx2.InvalidURL, OSError) as error:
            raise Unavailable(f"can't reach {self._where()}: {_reason(error)}") from None
        except ValueError as error:  # an answer that is not JSON
            raise Unavailable(f"can't reach {self._where()}: its answer can't be read ({error})") from None

    def _api_error(self, response: httpx2.Response, verb: str) -> Unavailable:
        status = response.status_code
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
        detail = str(_status_body(response).get("message") or "") or f"{status} {response.reason_phrase}"
        if not detail.startswith(str(status)):
            detail = f"{status} {detail}"
        return Unavailable(f"can't reach {self._where()}: {detail.strip()}")


def _request(
    client: Client, resource: Resource, namespace: str, name: str, patch: dict[str, Any] | None
) -> object:
    if patch is None:
        return client.get(resource, name, namespace=namespace)
    return client.patch(resource, name, patch, namespace=namespace, patch_type=PatchType.MERGE)


# -- kubeconfig --------------------------------------------------------------------------------------


def _read_kubeconfig(spec: str) -> KubeConfig:
    """The kubeconfig at ``spec``: one path, or several separated by ``os.pathsep``, merged as kubectl
    merges KUBECONFIG (missing files are skipped, the first file to name an entry or a current context
    wins, relative file names are relative to the file naming them)."""
    paths = [Path(part).expanduser() for part in spec.split(os.pathsep) if part]
    merged: dict[str, list[dict[str, Any]]] = {"clusters": [], "contexts": [], "users": []}
    current: str | None = None
    seen: set[tuple[str, object]] = set()
    files = [p for p in paths if p.is_file()]
    if not files:
        raise ConfigError(f"no kubeconfig file at {spec}")
    for path in files:
        document = mapping(YAML(typ="safe").load(path.read_text(encoding="utf-8")))
        current = current or text(document.get("current-context"))
        for section, entries in merged.items():
            for entry in document.get(section) or []:
                if isinstance(entry, dict) and (section, entry.get("name")) not in seen:
                    seen.add((section, entry.get("name")))
                    entries.append(_absolute(entry, path.parent))
    return KubeConfig.from_dict({**merged, "current-context": current}, fname=files[0])


def _absolute(entry: dict[str, Any], directory: Path) -> dict[str, Any]:
    """A kubeconfig entry whose relative file names are resolved against its own file's directory."""
    for key, fields in _FILE_FIELDS.items():
        body = entry.get(key)
        if isinstance(body, dict):
            for field in fields:
                value = body.get(field)
                if isinstance(value, str) and value and not Path(value).is_absolute():
                    body[field] = str(directory / value)
    return entry


# -- answers -----------------------------------------------------------------------------------------


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


def _status_body(response: httpx2.Response) -> dict[str, Any]:
    try:
        return mapping(response.json())
    except ValueError:
        return {}


def _names_object(response: httpx2.Response, name: str) -> bool:
    """Whether a 404 says "this object does not exist" (rather than "this version is not served")."""
    return mapping(_status_body(response).get("details")).get("name") == name


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if "Connection refused" in text:
        return "connection refused"
    if "timed out" in text.lower() or isinstance(error, httpx2.TimeoutException):
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
