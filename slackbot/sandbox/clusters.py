"""Simulated clusters: Flux that follows the sandbox's environment branches.

A :class:`SimulatedCluster` plays Flux for one environment: each :meth:`~SimulatedCluster.tick`
reads the environment branch of the core repository (with the same parser the bot uses,
:func:`~slackbot.domain.core_files.assemble_environment`), finds the head of the branch each
configured component pins, moves each component's :class:`~slackbot.sandbox.flux_track.Track`
towards it, and shows the result as Flux objects on a Kubernetes API emulator
(:mod:`slackbot.sandbox.flux_objects`) and as GitHub commit statuses
(:mod:`slackbot.sandbox.flux_statuses`); :func:`write_kubeconfig` points the bot at the emulators.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from slackbot.domain.core_files import assemble_environment
from slackbot.sandbox.flux_objects import FluxObjects
from slackbot.sandbox.flux_statuses import CommitStatuses
from slackbot.sandbox.flux_track import Target, Track
from slackbot.sandbox.kube_emulator import KubeEmulator
from slackbot.sandbox.world import World
from slackbot.settings import BotConfig

__all__ = ["CORE_FLUX_NAME", "SimulatedCluster", "cluster_id_for", "write_kubeconfig"]

log = logging.getLogger(__name__)

CORE_FLUX_NAME = "lscsde-core"
DEFAULT_TOKEN = "sandbox-kube"  # noqa: S105 - the sandbox's made-up loopback credential


def cluster_id_for(environment: str) -> str:
    """Eight hex digits standing for the notification-controller Provider's UID prefix."""
    return hashlib.sha256(environment.encode("utf-8")).hexdigest()[:8]


class SimulatedCluster:
    """Flux in one environment's cluster, following ``env_branch`` of the core repository.

    A new head is "applied" ``apply_delay`` seconds after the cluster first saw it (at once when
    someone asks Flux to reconcile); ``applied`` maps each component to the sha it applied last
    and when. Shown on ``kube`` (if any) and as commit statuses through ``github_api_url`` (if
    any). Decisions worth knowing:

    * The first tick applies what the environment pins at once: a cluster starts in step with git.
    * Pins are read from the head of the environment branch, so a pin change starts the delay for
      the component's new branch at once (a real cluster would first apply the core Kustomization).
    * The core repository is a component too: its environment branch is applied as the
      Kustomization ``lscsde-core`` (:data:`CORE_FLUX_NAME`, or ``config.core.flux_name`` if the
      configuration ever has one), with commit statuses on the core repository. ``applied`` has it
      under that name.
    * A failing component (:meth:`fail`) keeps its last applied revision and retries.
    * Components that the environment stops pinning keep their objects (nothing is pruned).
    """

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
        self._objects = FluxObjects(kube, namespace) if kube is not None else None
        self._statuses = (
            CommitStatuses(
                self.github_api_url, github_token, cluster_id=self.cluster_id, environment=environment
            )
            if self.github_api_url is not None
            else None
        )
        self._tracks: dict[str, Track] = {}
        self._failing: dict[str, tuple[str, str]] = {}  # component -> (reason, message)
        self._lock = threading.RLock()
        self._pins: tuple[str, list[Target]] | None = None  # (core commit, components it pins)
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
                    track = self._tracks[target.key] = Track(
                        key=target.key, flux_name=target.flux_name, repository=target.repository
                    )
                requests = self._objects.reconcile_requests(track) if self._objects else {}
                failing = self._failing.get(track.key)
                applied = track.advance(
                    target, now, forced=bool(requests), failing=failing, apply_delay=self.apply_delay
                )
                if applied and track.applied is not None:
                    self.applied[track.key] = (track.applied[1], now)
                if self._objects is not None:
                    self._objects.publish(track, requests)
                if self._statuses is not None:
                    self._statuses.post(track)

    # -- what git says -----------------------------------------------------------------------------

    def _key(self, component: str) -> str:
        if component in self.config.components or component == self.core_flux_name:
            return component
        for name, spec in self.config.components.items():
            if component in (spec.flux_name, *spec.aliases) or name.casefold() == component.casefold():
                return name
        return component

    def _targets(self) -> list[Target]:
        core_name = self.config.core.repository
        core = self.world.repo(core_name)
        commit = core.resolve(f"refs/heads/{self.env_branch}")
        if commit is None:
            log.warning(
                "simulated cluster %s: no branch %s in %s", self.environment, self.env_branch, core_name
            )
            return []
        targets = [Target(self.core_flux_name, self.core_flux_name, core_name, self.env_branch, commit)]
        if self._pins is None or self._pins[0] != commit:
            self._pins = (commit, self._read_pins(commit))
        for pinned in self._pins[1]:
            head = self.world.repo(pinned.repository).resolve(f"refs/heads/{pinned.branch}")
            targets.append(Target(pinned.key, pinned.flux_name, pinned.repository, pinned.branch, head))
        return targets

    def _read_pins(self, commit: str) -> list[Target]:
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
            targets.append(Target(spec.name, spec.flux_name, spec.repository, component.branch, None))
        return targets


def write_kubeconfig(path: Path, clusters: Mapping[str, KubeEmulator], *, token: str = DEFAULT_TOKEN) -> Path:
    """Write a kubeconfig with one context per key of ``clusters`` (the context's name is the key),
    each pointing at its emulator with a bearer token; the first key is the current context.

    Written as JSON (which is YAML), readable by the bot's client (lightkube) and by kubectl, mode 0600.
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
