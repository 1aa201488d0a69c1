"""Answer "what does this environment run?" from the core flux repository.

Reads are planned for cost and latency: the heads of every environment branch come in one read of
the core repository's branches, then the files at those commits (the forge keeps them for good, so
a branch that has not moved costs no file read); the head of the component's release branch is
asked for speculatively, alongside, when an earlier answer says which branch it will be. Warm
(nothing moved): one round trip, two requests, both free 304s.
"""

from __future__ import annotations

import contextvars
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from slackbot.domain.core_files import ComponentSpec, CorePaths, assemble_environment
from slackbot.domain.environment_diff import (
    CompareKey,
    EnvironmentDiff,
    Whereabouts,
    diff_environments,
    find_component,
)
from slackbot.domain.errors import BotError, NotFound
from slackbot.domain.forge import Comparison
from slackbot.domain.names import UnknownName, resolve_name
from slackbot.domain.versions import (
    BranchSnapshot,
    CommitInfo,
    ComponentReport,
    ComponentVersions,
    EnvironmentVersions,
)
from slackbot.services.ports import SourceReader

_PARSED_ENTRIES = 512  # (environment, commit) pairs kept parsed: a few commits per environment


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
        self._parsed: OrderedDict[tuple[object, ...], EnvironmentVersions] = OrderedDict()
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
        with self.source.scope():
            return self._read_environment(environment, self._paths.all())

    def all_environments(self) -> dict[str, EnvironmentVersions | BotError]:
        """Every environment with all its files, in one read of the core repository's branches;
        an environment that cannot be read gives why, without failing the others."""
        with self.source.scope():
            wanted: dict[str, tuple[str, ...]] = {
                env.branch: self._paths.all() for env in self.environments.values()
            }
            snapshots = self.source.read_branches(self.core_repository, wanted)
            return {
                name: self._assembled_or_error(name, snapshots[env.branch])
                for name, env in self.environments.items()
            }

    def environments_named(self, names: Sequence[str]) -> dict[str, EnvironmentVersions | BotError]:
        """The named environments (canonical names) with all their files, in one read of the core
        repository's branches; one that cannot be read gives why."""
        with self.source.scope():
            wanted = {self.environments[name].branch: self._paths.all() for name in names}
            snapshots = self.source.read_branches(self.core_repository, wanted)
            return {
                name: self._assembled_or_error(name, snapshots[self.environments[name].branch])
                for name in names
            }

    def diff(self, left: str, right: str) -> EnvironmentDiff:
        """How ``left`` differs from ``right`` (canonical names): one read of both branches, then
        the comparisons of the release branches that differ, in parallel."""
        with self.source.scope():
            both = self.environments_named((left, right))
            left_versions, right_versions = both[left], both[right]
            if isinstance(left_versions, BotError):
                raise left_versions
            if isinstance(right_versions, BotError):
                raise right_versions
            diff = diff_environments(left_versions, right_versions)
            return diff.with_comparisons(self.compare_all(diff.comparisons()))

    def compare_all(self, keys: Sequence[CompareKey]) -> dict[CompareKey, Comparison | BotError]:
        """Each ``(repository, base, head)`` compared, in parallel within the caller's scope; one
        comparison failing is not the others'."""
        with self.source.scope():
            futures = {
                # a context each: one context cannot be entered by two threads at once
                key: self._executor.submit(contextvars.copy_context().run, self._compared, key)
                for key in keys
            }
            return {key: future.result() for key, future in futures.items()}

    def _compared(self, key: CompareKey) -> Comparison | BotError:
        try:
            return self.source.compare(*key)
        except BotError as error:
            return error

    def where(self, component_query: str) -> Whereabouts:
        """One component (by name or alias) in every environment, from one read of them all."""
        everything = self.all_environments()
        readable = [v for v in everything.values() if not isinstance(v, BotError)]
        if not readable:
            raise next(v for v in everything.values() if isinstance(v, BotError))
        return find_component(self.resolve_component(component_query, *readable), everything)

    def component(self, environment: str, component_query: str) -> ComponentReport:
        """One component's detail in one environment, and which environments share its branch."""
        with self.source.scope():  # one command: its reads share the forge's in-flight limit
            memo_key = (environment, self._configured_name(component_query))
            guess = self._last_release.get(memo_key)
            context = contextvars.copy_context()  # the speculative read stays inside this command
            speculative = (
                self._executor.submit(context.run, self.source.branch_head, guess[0], guess[1])
                if guess
                else None
            )
            everything = self._read_environments(environment)
            return self._report(environment, component_query, everything, speculative, guess)

    def _report(
        self,
        environment: str,
        component_query: str,
        everything: Mapping[str, EnvironmentVersions | BotError],
        speculative: Future[CommitInfo] | None,
        guess: tuple[str, str] | None,
    ) -> ComponentReport:
        deployed = everything[environment]
        if isinstance(deployed, BotError):
            raise deployed
        everywhere = {n: v for n, v in everything.items() if not isinstance(v, BotError)}
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
                self._last_release[(environment, self._configured_name(component_query))] = (
                    pins.repository,
                    pins.branch,
                )
        shared = tuple(
            other_name
            for other_name, versions in everywhere.items()
            if other_name != environment
            and (other := versions.component(pins.name)) is not None
            and (other.repository, other.branch) == (pins.repository, pins.branch)
        )
        return ComponentReport(
            environment=deployed,
            component=pins,
            release_head=head,
            release_problem=problem,
            shared_with=shared,
            unreadable=tuple(n for n in everything if n not in everywhere),
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
        return self._assembled(environment, self.source.read_branch(self.core_repository, branch, paths))

    def _read_environments(self, environment: str) -> dict[str, EnvironmentVersions | BotError]:
        """Every environment: ``environment`` with all its files, the others with the files that
        pin branches — in one read of the core repository's branches."""
        wanted: dict[str, tuple[str, ...]] = {}
        for name, env in self.environments.items():
            paths = self._paths.all() if name == environment else self._branch_paths()
            wanted[env.branch] = tuple(dict.fromkeys((*wanted.get(env.branch, ()), *paths)))
        snapshots = self.source.read_branches(self.core_repository, wanted)
        return {
            name: self._assembled_or_error(name, snapshots[env.branch])
            for name, env in self.environments.items()
        }

    def _assembled_or_error(
        self, environment: str, snapshot: BranchSnapshot | BotError
    ) -> EnvironmentVersions | BotError:
        return snapshot if isinstance(snapshot, BotError) else self._assembled(environment, snapshot)

    def _assembled(self, environment: str, snapshot: BranchSnapshot) -> EnvironmentVersions:
        """The pins the files give, parsed once per (environment, commit, files): parsing 30
        environments' YAML on every question would cost more than reading them warm."""
        key = (environment, snapshot.branch, snapshot.head.sha, tuple(sorted(snapshot.files.items())))
        with self._lock:
            known = self._parsed.get(key)
            if known is not None:
                self._parsed.move_to_end(key)
                return known
        assembled = assemble_environment(
            environment=environment,
            repository=self.core_repository,
            branch=snapshot.branch,
            commit=snapshot.head.sha,
            files=snapshot.files,
            catalog=self.catalog,
            paths=self._paths,
        )
        with self._lock:
            self._parsed[key] = assembled
            while len(self._parsed) > _PARSED_ENTRIES:
                self._parsed.popitem(last=False)
        return assembled

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
