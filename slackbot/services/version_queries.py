"""`/versions` answered as data: help, one environment, one component and its blast radius, how two
environments differ (`diff`), and where a component runs (`where`, both in :mod:`version_views`).

The Slack command and `slackbot versions` ask the same queries and word the answers with
:mod:`slackbot.render.versions_blocks`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from slackbot.domain.events import Rollout
from slackbot.domain.rollout import ClusterView
from slackbot.domain.versions import ComponentReport, EnvironmentVersions
from slackbot.domain.versions_commands import (
    ChangesQuery,
    ComponentQuery,
    DiffQuery,
    EnvironmentQuery,
    VersionsQuery,
    WhereQuery,
)
from slackbot.services.access import HotfixPolicy
from slackbot.services.pin_changes import ChangesAnswer, PinChanges
from slackbot.services.version_views import DiffAnswer, VersionViews, WhereAnswer
from slackbot.services.versions import VersionService

ClusterLookup = Callable[[ComponentReport], ClusterView | None]


@dataclass(frozen=True)
class VersionsHelpAnswer:
    environments: Mapping[str, tuple[str, ...]]  # name -> aliases
    components: tuple[str, ...]


@dataclass(frozen=True)
class EnvironmentAnswer:
    versions: EnvironmentVersions
    commit_url: str


@dataclass(frozen=True)
class ComponentAnswer:
    report: ComponentReport
    rollout: Rollout  # where a merge into its branch goes, and how soon
    commit_url: str
    repo_url: str | None = None
    branch_url: str | None = None
    cluster: ClusterView | None = None


VersionsAnswer = (
    VersionsHelpAnswer | EnvironmentAnswer | ComponentAnswer | DiffAnswer | WhereAnswer | ChangesAnswer
)


class VersionQueries:
    def __init__(
        self,
        versions: VersionService,
        policy: HotfixPolicy,
        clusters: ClusterLookup | None = None,
        changes: PinChanges | None = None,  # `changes`: the history of the pins
    ) -> None:
        self.versions = versions
        self.policy = policy
        self.clusters = clusters
        self.views = VersionViews(versions, policy)
        self.changes = changes

    def answer(self, query: VersionsQuery) -> VersionsAnswer:
        versions, source = self.versions, self.versions.source
        if isinstance(query, EnvironmentQuery):
            deployed = versions.environment(versions.resolve_environment(query.environment))
            return EnvironmentAnswer(deployed, source.web_url(deployed.repository, commit=deployed.commit))
        if isinstance(query, ComponentQuery):
            return self._component(query)
        if isinstance(query, DiffQuery):
            return self.views.diff(query)
        if isinstance(query, WhereQuery):
            return self.views.where(query)
        if isinstance(query, ChangesQuery) and self.changes is not None:
            return self.changes.answer(query)
        return VersionsHelpAnswer(
            {name: tuple(env.aliases) for name, env in versions.environments.items()}, tuple(versions.catalog)
        )

    def _component(self, query: ComponentQuery) -> ComponentAnswer:
        source = self.versions.source
        report = self.versions.component(
            self.versions.resolve_environment(query.environment), query.component
        )
        c, env = report.component, report.environment
        return ComponentAnswer(
            report=report,
            rollout=self.policy.rollout((env.environment, *report.shared_with), env.environment),
            commit_url=source.web_url(env.repository, commit=env.commit),
            repo_url=source.web_url(c.repository) if c.repository else None,
            branch_url=source.web_url(c.repository, branch=c.branch) if c.repository and c.branch else None,
            cluster=self.clusters(report) if self.clusters else None,
        )
