"""Simulated clusters: Flux that follows the sandbox's environment branches.

A :class:`SimulatedCluster` plays Flux for one environment. Each :meth:`~SimulatedCluster.tick`
reads the environment branch of the core repository (with the same parser the bot uses,
:func:`~slackbot.domain.core_files.assemble_environment`), finds the head of the branch each
configured component pins, and "applies" a new head ``apply_delay`` seconds after it first saw it
(at once when someone asks Flux to reconcile). What it applied is shown two ways, as in a real
cluster:

* as Flux objects on a :class:`~slackbot.sandbox.kube_emulator.KubeEmulator` (``kube``): for each
  component a ``GitRepository`` and a ``Kustomization`` named by its ``flux_name`` in ``namespace``
  (``status.artifact.revision``, ``status.lastAppliedRevision``, ``Ready``/``Reconciling``
  conditions, ``status.lastHandledReconcileAt``);
* as GitHub commit statuses (``github_api_url``), as Flux's notification-controller posts them:
  context ``kustomization/<flux_name>/<cluster_id>``, state ``success`` or ``failure`` (never
  ``pending``), description the event reason in words ("reconciliation succeeded").

Decisions worth knowing:

* The first tick applies what the environment pins at once: a cluster starts in step with git.
* Pins are read from the head of the environment branch, so a pin change starts the delay for the
  component's new branch at once (a real cluster would first apply the core Kustomization).
* The core repository is a component too: its environment branch is applied as the Kustomization
  ``lscsde-core`` (:data:`CORE_FLUX_NAME`, or ``config.core.flux_name`` if the configuration ever
  has one), with commit statuses on the core repository. ``applied`` has it under that name.
* While a new revision waits, the Kustomization is ``Reconciling=True`` (reason ``Progressing``)
  and ``Ready=Unknown``, still at the old ``lastAppliedRevision``. A failing component
  (:meth:`~SimulatedCluster.fail`) gets ``lastAttemptedRevision`` = the new revision, ``Ready=False``
  with the given reason and message, and ``Reconciling=True`` reason ``ProgressingWithRetry``, as
  kustomize-controller reports a failure it retries; ``lastAppliedRevision`` stays where it was.
* A component whose pinned branch does not exist gets a ``GitRepository`` with ``Ready=False``
  (``GitOperationFailed``); its Kustomization keeps the last applied revision.
* Components that the environment stops pinning keep their objects (nothing is pruned).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slackbot.domain.core_files import assemble_environment
from slackbot.sandbox.kube_emulator import KubeEmulator
from slackbot.sandbox.world import World
from slackbot.settings import BotConfig

__all__ = [
    "CORE_FLUX_NAME",
    "KUSTOMIZE_GROUP",
    "RECONCILE_ANNOTATION",
    "SOURCE_GROUP",
    "SimulatedCluster",
    "cluster_id_for",
    "write_kubeconfig",
]

log = logging.getLogger(__name__)

SOURCE_GROUP = "source.toolkit.fluxcd.io"
KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
RECONCILE_ANNOTATION = "reconcile.fluxcd.io/requestedAt"
CORE_FLUX_NAME = "lscsde-core"
DEFAULT_TOKEN = "sandbox-kube"  # noqa: S105 - the sandbox's made-up loopback credential


def cluster_id_for(environment: str) -> str:
    """Eight hex digits standing for the notification-controller Provider's UID prefix."""
    return hashlib.sha256(environment.encode("utf-8")).hexdigest()[:8]


def describe_reason(reason: str) -> str:
    """``HealthCheckFailed`` -> ``health check failed``, as the notification-controller words it."""
    return " ".join(re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", reason)).lower() or reason.lower()


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Target:
    """What one component should run: a branch of a repository and its head (None: no branch)."""

    key: str
    flux_name: str
    repository: str
    branch: str
    head: str | None


@dataclass
class _Track:
    """What the simulated Flux did so far for one component."""

    key: str
    flux_name: str
    repository: str
    branch: str = ""
    head: str | None = None
    applied: tuple[str, str] | None = None  # (branch, sha) applied successfully
    attempted: tuple[str, str] | None = None  # (branch, sha) tried last
    waiting: tuple[str, str, float] | None = None  # (branch, sha, clock time first seen)
    ready: tuple[bool, str, str] | None = None  # (ready, reason, message) of the last attempt
    handled: dict[str, str] = field(default_factory=dict)  # plural -> requestedAt handled
    posted: tuple[str, str, str] | None = None  # (sha, state, description) last posted


def _revision(branch: str, sha: str) -> str:
    return f"{branch}@sha1:{sha}"


class SimulatedCluster:
    """Flux in one environment's cluster, following ``env_branch`` of the core repository."""

    def __init__(
        self,
        environment: str,
        env_branch: str,
        world: World,
        config: BotConfig,
        *,
        kube: KubeEmulator | None,
        github_api_url: str | None = None,
        github_token: str | None = None,
        namespace: str = "lscsde-config",
        apply_delay: float = 5.0,
        cluster_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.environment = environment
        self.env_branch = env_branch
        self.world = world
        self.config = config
        self.kube = kube
        self.github_api_url = github_api_url.rstrip("/") if github_api_url else None
        self.github_token = github_token
        self.namespace = namespace
        self.apply_delay = apply_delay
        self.cluster_id = cluster_id or cluster_id_for(environment)
        self.clock = clock
        self.applied: dict[str, tuple[str, float]] = {}  # component -> (sha, clock time applied)
        self.core_flux_name = str(getattr(config.core, "flux_name", None) or CORE_FLUX_NAME)
        self._tracks: dict[str, _Track] = {}
        self._failing: dict[str, tuple[str, str]] = {}  # component -> (reason, message)
        self._lock = threading.RLock()
        self._pins: tuple[str, list[_Target]] | None = None  # (core commit, components it pins)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- driving it ------------------------------------------------------------------------------

    def start(self, interval: float = 1.0) -> SimulatedCluster:
        """Tick now and every ``interval`` seconds on a daemon thread, until :meth:`stop`."""
        self._stop.clear()

        def run() -> None:
            while True:
                try:
                    self.tick()
                except Exception:  # keep simulating: the next tick may do better
                    log.exception("simulated cluster %s: tick failed", self.environment)
                if self._stop.wait(interval):
                    return

        self._thread = threading.Thread(target=run, name=f"cluster-{self.environment}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def fail(self, component: str, reason: str = "HealthCheckFailed", message: str | None = None) -> None:
        """Make ``component`` (its config name, or its Flux name) fail from the next tick on."""
        with self._lock:
            key = self._key(component)
            flux_name = self._tracks[key].flux_name if key in self._tracks else key
            text = message or (
                f"Health check failed after 5m0s: timeout waiting for: "
                f"[Deployment/{self.namespace}/{flux_name} status: 'InProgress']"
            )
            self._failing[key] = (reason, text)

    def heal(self, component: str) -> None:
        with self._lock:
            self._failing.pop(self._key(component), None)

    def tick(self) -> None:
        """Look at git once, apply what is due, show it in the cluster and on GitHub."""
        with self._lock:
            now = self.clock()
            for target in self._targets():
                track = self._tracks.get(target.key)
                if track is None:
                    track = self._tracks[target.key] = _Track(
                        key=target.key, flux_name=target.flux_name, repository=target.repository
                    )
                requests = self._reconcile_requests(track)
                self._advance(track, target, now, forced=bool(requests))
                self._publish(track, requests)
                self._post_status(track)

    # -- what git says -----------------------------------------------------------------------------

    def _key(self, component: str) -> str:
        if component in self.config.components or component == self.core_flux_name:
            return component
        for name, spec in self.config.components.items():
            if component in (spec.flux_name, *spec.aliases) or name.casefold() == component.casefold():
                return name
        return component

    def _targets(self) -> list[_Target]:
        core_name = self.config.core.repository
        core = self.world.repo(core_name)
        commit = core.resolve(f"refs/heads/{self.env_branch}")
        if commit is None:
            log.warning(
                "simulated cluster %s: no branch %s in %s", self.environment, self.env_branch, core_name
            )
            return []
        targets = [_Target(self.core_flux_name, self.core_flux_name, core_name, self.env_branch, commit)]
        if self._pins is None or self._pins[0] != commit:
            self._pins = (commit, self._read_pins(commit))
        for pinned in self._pins[1]:
            head = self.world.repo(pinned.repository).resolve(f"refs/heads/{pinned.branch}")
            targets.append(_Target(pinned.key, pinned.flux_name, pinned.repository, pinned.branch, head))
        return targets

    def _read_pins(self, commit: str) -> list[_Target]:
        core = self.world.repo(self.config.core.repository)
        paths = self.config.core.files.paths()
        files: dict[str, str | None] = {}
        for path in paths.all():
            proc = core.run("cat-file", "blob", f"{commit}:{path}", ok_codes=(0, 128))
            files[path] = proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else None
        catalog = self.config.catalog()
        environment = assemble_environment(
            environment=self.environment,
            repository=self.config.core.repository,
            branch=self.env_branch,
            commit=commit,
            files=files,
            catalog=catalog,
            paths=paths,
        )
        for problem in environment.problems:
            log.warning("simulated cluster %s: %s", self.environment, problem)
        folded = {name.casefold(): name for name in catalog}
        targets = []
        for component in environment.components:
            name = component.name if component.name in catalog else folded.get(component.name.casefold())
            spec = catalog.get(name) if name is not None else None
            if spec is None or not spec.flux_name or not spec.repository or not component.branch:
                continue
            targets.append(_Target(spec.name, spec.flux_name, spec.repository, component.branch, None))
        return targets

    # -- what Flux does ----------------------------------------------------------------------------

    def _advance(self, track: _Track, target: _Target, now: float, *, forced: bool) -> None:
        track.branch, track.head = target.branch, target.head
        if target.head is None:
            track.waiting = None
            return
        wanted = (target.branch, target.head)
        if track.attempted is None:  # the cluster's first sync: in step with git from the start
            self._apply(track, wanted, now)
            return
        if wanted != track.attempted:
            if track.waiting is None or track.waiting[:2] != wanted:
                track.waiting = (*wanted, now)
            if forced or now - track.waiting[2] >= self.apply_delay:
                self._apply(track, wanted, now)
            return
        failing = self._failing.get(track.key)
        shown_failing = (
            (track.ready[1], track.ready[2]) if track.ready is not None and not track.ready[0] else None
        )
        if failing != shown_failing or forced:  # fail(), heal() or a reconcile request: retry now
            self._apply(track, wanted, now)

    def _apply(self, track: _Track, wanted: tuple[str, str], now: float) -> None:
        track.waiting = None
        track.attempted = wanted
        failing = self._failing.get(track.key)
        if failing is not None:
            track.ready = (False, *failing)
            return
        track.ready = (True, "ReconciliationSucceeded", f"Applied revision: {_revision(*wanted)}")
        if track.applied != wanted:
            track.applied = wanted
            self.applied[track.key] = (wanted[1], now)

    # -- the Kubernetes side -----------------------------------------------------------------------

    def _reconcile_requests(self, track: _Track) -> dict[str, str]:
        """plural -> requestedAt, for the objects someone asked Flux to reconcile since last time."""
        if self.kube is None:
            return {}
        found = {}
        for group, plural in ((SOURCE_GROUP, "gitrepositories"), (KUSTOMIZE_GROUP, "kustomizations")):
            body = self.kube.get(group, plural, self.namespace, track.flux_name) or {}
            annotations = (body.get("metadata") or {}).get("annotations") or {}
            value = annotations.get(RECONCILE_ANNOTATION)
            if isinstance(value, str) and value and value != track.handled.get(plural):
                found[plural] = value
        return found

    def _publish(self, track: _Track, requests: Mapping[str, str]) -> None:
        if self.kube is None:
            return
        track.handled.update(requests)
        self._sync(
            SOURCE_GROUP, "gitrepositories", track, self._source_spec(track), self._source_status(track)
        )
        self._sync(
            KUSTOMIZE_GROUP,
            "kustomizations",
            track,
            self._kustomization_spec(track),
            self._kustomization_status(track),
        )

    def _sync(
        self, group: str, plural: str, track: _Track, spec: dict[str, Any], status: dict[str, Any]
    ) -> None:
        assert self.kube is not None
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

    def _source_spec(self, track: _Track) -> dict[str, Any]:
        return {
            "interval": "1m0s",
            "url": f"https://github.com/{track.repository}",
            "ref": {"branch": track.branch},
            "timeout": "60s",
        }

    def _source_status(self, track: _Track) -> dict[str, Any]:
        status: dict[str, Any] = {"observedGeneration": 1}
        if track.attempted is not None:
            revision = _revision(*track.attempted)
            sha = track.attempted[1]
            status["artifact"] = {
                "revision": revision,
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
                "Ready", "True", "Succeeded", f"stored artifact for revision '{_revision(*track.attempted)}'"
            )
        else:
            ready = _condition("Ready", "Unknown", "Progressing", "reconciliation in progress")
        status["conditions"] = [ready]
        return status

    def _kustomization_spec(self, track: _Track) -> dict[str, Any]:
        return {
            "interval": "10m0s",
            "path": "./",
            "prune": True,
            "sourceRef": {"kind": "GitRepository", "name": track.flux_name},
            "timeout": "5m0s",
        }

    def _kustomization_status(self, track: _Track) -> dict[str, Any]:
        status: dict[str, Any] = {"observedGeneration": 1}
        if track.applied is not None:
            status["lastAppliedRevision"] = _revision(*track.applied)
        if track.attempted is not None:
            status["lastAttemptedRevision"] = _revision(*track.attempted)
        conditions = []
        if track.waiting is not None:
            revision = _revision(*track.waiting[:2])
            conditions.append(_condition("Ready", "Unknown", "Progressing", "Reconciliation in progress"))
            conditions.append(
                _condition(
                    "Reconciling", "True", "Progressing", f"Fetching manifests for revision {revision}"
                )
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
                        f"Detecting drift for revision {_revision(*track.attempted)} with a timeout of 5m0s",
                    )
                )
        status["conditions"] = conditions
        return status

    # -- the GitHub side ---------------------------------------------------------------------------

    def _post_status(self, track: _Track) -> None:
        if self.github_api_url is None or track.ready is None or track.attempted is None:
            return
        ok, reason, _message = track.ready
        wanted = (track.attempted[1], "success" if ok else "failure", describe_reason(reason))
        if wanted == track.posted:
            return
        sha, state, description = wanted
        url = f"{self.github_api_url}/repos/{track.repository}/statuses/{sha}"
        body = {
            "state": state,
            "context": f"kustomization/{track.flux_name}/{self.cluster_id}",
            "description": description,
        }
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"not an HTTP URL: {url}")
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked just above
            url,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Accept": "application/vnd.github+json",
                "Content-Type": "application/json",
                **({"Authorization": f"token {self.github_token}"} if self.github_token else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - checked above
                response.read()
        except (urllib.error.URLError, OSError) as error:
            log.warning(
                "simulated cluster %s: commit status on %s@%s not posted: %s",
                self.environment,
                track.repository,
                sha[:7],
                error,
            )
            return  # tried again on the next tick
        track.posted = wanted


def _condition(kind: str, status: str, reason: str, message: str) -> dict[str, Any]:
    return {"type": kind, "status": status, "reason": reason, "message": message, "observedGeneration": 1}


def _with_times(status: dict[str, Any], old_status: Mapping[str, Any] | None) -> dict[str, Any]:
    """Give each condition a lastTransitionTime: the old one while its status is unchanged."""
    old = {c.get("type"): c for c in (old_status or {}).get("conditions") or [] if isinstance(c, dict)}
    conditions = []
    for condition in status.get("conditions") or []:
        previous = old.get(condition["type"])
        unchanged = previous is not None and previous.get("status") == condition["status"]
        when = previous.get("lastTransitionTime") if unchanged and previous is not None else None
        conditions.append({**condition, "lastTransitionTime": when or _now_text()})
    return {**status, "conditions": conditions}


def write_kubeconfig(path: Path, clusters: Mapping[str, KubeEmulator], *, token: str = DEFAULT_TOKEN) -> Path:
    """Write a kubeconfig with one context per key of ``clusters`` (the context's name is the key),
    each pointing at its emulator with a bearer token; the first key is the current context.

    Written as JSON (which is YAML), readable by the official client and by kubectl, mode 0600.
    """
    path = Path(path)
    names = list(clusters)
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": name, "cluster": {"server": clusters[name].base_url}} for name in names],
        "users": [{"name": f"{name}-bot", "user": {"token": token}} for name in names],
        "contexts": [
            {"name": name, "context": {"cluster": name, "user": f"{name}-bot", "namespace": "lscsde-config"}}
            for name in names
        ],
        "current-context": names[0] if names else "",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
    return path
