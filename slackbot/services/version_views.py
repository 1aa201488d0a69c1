"""`/versions diff` and `/versions where` answered as data: the domain's results plus their links.

Both the Slack command and `slackbot versions` ask through :class:`VersionViews` (by way of
:class:`~slackbot.services.version_queries.VersionQueries`); the words and blocks are
:mod:`slackbot.render.versions_views_blocks`'s, the JSON documents :mod:`slackbot.render.documents`'s.

What they cost on the forge: `diff` reads the two environment branches in one read of the core
repository's branches, then compares, in parallel, each pair of differing release branches of one
repository; `where` reads every environment once. Links are made, not fetched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from slackbot.domain.environment_diff import BranchGroup, EnvironmentDiff, Whereabouts
from slackbot.domain.errors import UsageError
from slackbot.domain.events import Rollout
from slackbot.domain.quoting import quote
from slackbot.domain.versions_commands import DiffQuery, WhereQuery
from slackbot.services.access import HotfixPolicy
from slackbot.services.versions import VersionService


@dataclass(frozen=True)
class DiffAnswer:
    diff: EnvironmentDiff
    commit_urls: Mapping[str, str]  # environment -> the commit its pins were read from
    branch_urls: Mapping[tuple[str, str], str]  # (repository, flux branch) -> its page
    compare_urls: Mapping[str, str]  # component -> the comparison of its two flux branches
    make_like: Rollout  # where a pin hot-fix into the left environment's core branch rolls out

    @property
    def left(self) -> str:
        return self.diff.left.environment

    @property
    def right(self) -> str:
        return self.diff.right.environment


@dataclass(frozen=True)
class GroupView:
    """Environments sharing one release branch, with the branch's page and where a merge goes."""

    group: BranchGroup
    branch_url: str | None
    rollout: Rollout


@dataclass(frozen=True)
class WhereAnswer:
    whereabouts: Whereabouts
    groups: tuple[GroupView, ...]
    commit_urls: Mapping[str, str]  # environment -> the commit its pins were read from
    repo_url: str | None


class VersionViews:
    def __init__(self, versions: VersionService, policy: HotfixPolicy) -> None:
        self.versions = versions
        self.policy = policy

    def diff(self, query: DiffQuery) -> DiffAnswer:
        versions, source = self.versions, self.versions.source
        left, right = versions.resolve_environment(query.left), versions.resolve_environment(query.right)
        if left == right:
            raise UsageError(
                f"`{quote(query.left)}` and `{quote(query.right)}` are both {left}: `/versions diff` "
                "compares two different environments, for example `/versions diff prod stg`."
            )
        diff = versions.diff(left, right)
        branch_urls = {
            (c.repository, c.branch): source.web_url(c.repository, branch=c.branch)
            for d in diff.differences
            for c in (d.left, d.right)
            if c.repository and c.branch
        }
        compare_urls = {
            d.name: source.web_url(key[0], compare=(key[1], key[2]))
            for d in diff.differences
            if (key := d.compare_key) is not None
        }
        core_branch = versions.environments[left].branch
        mates = tuple(name for name, env in versions.environments.items() if env.branch == core_branch)
        return DiffAnswer(
            diff=diff,
            commit_urls={
                env.environment: source.web_url(env.repository, commit=env.commit)
                for env in (diff.left, diff.right)
            },
            branch_urls=branch_urls,
            compare_urls=compare_urls,
            make_like=self.policy.rollout(mates, left),
        )

    def where(self, query: WhereQuery) -> WhereAnswer:
        versions, source = self.versions, self.versions.source
        found = versions.where(query.component)
        groups = tuple(
            GroupView(
                group=group,
                branch_url=(
                    source.web_url(group.repository, branch=group.branch)
                    if group.repository and group.branch
                    else None
                ),
                rollout=self.policy.rollout(group.environments, group.environments[0]),
            )
            for group in found.groups
        )
        repository = found.repository
        return WhereAnswer(
            whereabouts=found,
            groups=groups,
            commit_urls={
                p.environment: source.web_url(versions.core_repository, commit=p.commit)
                for p in found.placements
            },
            repo_url=source.web_url(repository) if repository else None,
        )
