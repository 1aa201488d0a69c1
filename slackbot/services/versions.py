"""Answer "what does this environment run?" from the core flux repository.

Reads are planned for latency: every environment branch is read in parallel (head and files at
once), and the head of the component's release branch is asked for speculatively, alongside them,
when an earlier answer says which branch it will be. Cold: two round trips to GitHub; warm: one.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from slackbot.domain.core_files import ComponentSpec, CorePaths, assemble_environment
from slackbot.domain.errors import BotError, NotFound
from slackbot.domain.names import UnknownName, resolve_name
from slackbot.domain.versions import (
    CommitInfo,
    ComponentReport,
    ComponentVersions,
    EnvironmentVersions,
)
from slackbot.services.ports import SourceReader


@dataclass(frozen=True)
class EnvironmentSpec:
    name: str
    branch: str
    aliases: tuple[str, ...] = ()


class VersionService:
    def __init__(
        self,
        source: SourceReader,
        *,
        core_repository: str,
        environments: Mapping[str, EnvironmentSpec],
        catalog: Mapping[str, ComponentSpec],
        paths: CorePaths | None = None,
        max_workers: int = 16,
    ) -> None:
        self.source = source
        self.core_repository = core_repository
        self.environments = dict(environments)
        self.catalog = dict(catalog)
        self._paths = paths or CorePaths()
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="versions")
        self._lock = threading.Lock()
        # (environment, component) -> (repository, branch) of the last answer: the release branch
        # whose head is worth asking for before the environment's files say which it is.
        self._last_release: dict[tuple[str, str], tuple[str, str]] = {}

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- names ----------------------------------------------------------------------------------

    def environment_names(self) -> list[str]:
        return list(self.environments)

    def resolve_environment(self, query: str) -> str:
        names = {name: env.aliases for name, env in self.environments.items()}
        return resolve_name(query, names, "environment")

    def resolve_component(self, query: str, *deployed: EnvironmentVersions) -> str:
        """A configured component, or one the given environments' files mention, by name or alias."""
        names: dict[str, tuple[str, ...]] = {name: spec.aliases for name, spec in self.catalog.items()}
        for versions in deployed:
            for component in versions.components:
                names.setdefault(component.name, ())
        return resolve_name(query, names, "component")

    # -- queries --------------------------------------------------------------------------------

    def environment(self, environment: str) -> EnvironmentVersions:
        """Everything one environment pins (``environment`` is a canonical name)."""
        return self._read_environment(environment, self._paths.all())

    def component(self, environment: str, component_query: str) -> ComponentReport:
        """One component's detail in one environment, and which environments share its branch."""
        memo_key = (environment, self._configured_name(component_query))
        guess = self._last_release.get(memo_key)
        speculative = self._executor.submit(self.source.branch_head, *guess) if guess else None
        reads = {
            name: self._executor.submit(
                self._read_environment,
                name,
                self._paths.all() if name == environment else self._branch_paths(),
            )
            for name in self.environments
        }
        deployed = reads[environment].result()
        everywhere = self._readable(reads)
        name = self.resolve_component(component_query, *everywhere.values())
        pins = deployed.component(name)
        if pins is None:
            elsewhere = [env for env, versions in everywhere.items() if versions.component(name)]
            hint = f" It is deployed in {', '.join(elsewhere)}." if elsewhere else ""
            raise NotFound(
                f"{environment} does not deploy `{name}`: no core file on branch "
                f"`{deployed.branch}` mentions it.{hint}"
            )
        head, problem = self._release_head(pins, speculative, guess)
        if pins.repository and pins.branch:
            with self._lock:
                self._last_release[memo_key] = (pins.repository, pins.branch)
        shared, unreadable = self._sharing(environment, pins, reads)
        return ComponentReport(
            environment=deployed,
            component=pins,
            release_head=head,
            release_problem=problem,
            shared_with=shared,
            unreadable=unreadable,
        )

    # -- helpers --------------------------------------------------------------------------------

    def _configured_name(self, query: str) -> str:
        try:
            return resolve_name(query, {n: s.aliases for n, s in self.catalog.items()}, "component")
        except UnknownName:
            return query.strip().lower()

    def _branch_paths(self) -> tuple[str, ...]:
        # Only the files that pin branches: enough to know who shares a release branch.
        return (self._paths.flux, self._paths.legacy)

    def _read_environment(self, environment: str, paths: tuple[str, ...]) -> EnvironmentVersions:
        branch = self.environments[environment].branch
        snapshot = self.source.read_branch(self.core_repository, branch, paths)
        return assemble_environment(
            environment=environment,
            repository=self.core_repository,
            branch=branch,
            commit=snapshot.head.sha,
            files=snapshot.files,
            catalog=self.catalog,
            paths=self._paths,
        )

    def _release_head(
        self,
        pins: ComponentVersions,
        speculative: Future[CommitInfo] | None,
        guess: tuple[str, str] | None,
    ) -> tuple[CommitInfo | None, str | None]:
        if not pins.repository:
            return None, f"no repository is configured for `{pins.name}` (add it under `components:`)"
        if not pins.branch:
            return None, "no branch is pinned for it"
        try:
            if speculative is not None and guess == (pins.repository, pins.branch):
                return speculative.result(), None
            return self.source.branch_head(pins.repository, pins.branch), None
        except BotError as error:
            return None, str(error)

    @staticmethod
    def _readable(reads: Mapping[str, Future[EnvironmentVersions]]) -> dict[str, EnvironmentVersions]:
        readable = {}
        for name, future in reads.items():
            try:
                readable[name] = future.result()
            except BotError:
                continue  # an unreadable environment must not stop the answer about another one
        return readable

    def _sharing(
        self,
        environment: str,
        pins: ComponentVersions,
        reads: Mapping[str, Future[EnvironmentVersions]],
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        readable = self._readable(reads)
        shared = tuple(
            name
            for name, versions in readable.items()
            if name != environment
            and (other := versions.component(pins.name)) is not None
            and (other.repository, other.branch) == (pins.repository, pins.branch)
        )
        return shared, tuple(name for name in reads if name not in readable)
