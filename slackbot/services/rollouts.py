"""Confirming roll-outs: did Flux apply the merge commit in every environment pinned to the branch?

Each environment is asked through its probe (its cluster's API, or Flux's commit statuses on
GitHub); what Flux says is judged by the pure rules in :mod:`slackbot.domain.rollout`, and each
verdict is announced once ("prod rolled out abc1234 in 4m12s", or a warning past the deadline).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from slackbot.domain.errors import BotError, NotFound, Unavailable
from slackbot.domain.events import Announcement, RolledOut, RolloutFailed, RolloutLate, RolloutUnwatchable
from slackbot.domain.followup import RolloutState, RolloutTarget
from slackbot.domain.hotfix import Hotfix, Kind
from slackbot.domain.rollout import ClusterView, FluxObservation, Verdict, judge
from slackbot.domain.versions import ComponentReport
from slackbot.services.access import DEFAULT_ROLLOUT_DEADLINE
from slackbot.services.announcer import Announcer
from slackbot.services.outages import Outages
from slackbot.services.ports import Forge, Ledger, RolloutProbe
from slackbot.services.report import Report
from slackbot.services.versions import VersionService

_SETTLED = {RolloutState.ROLLED_OUT, RolloutState.UNKNOWN}


@dataclass(frozen=True)
class EnvironmentFollowup:
    name: str
    deadline: timedelta = DEFAULT_ROLLOUT_DEADLINE
    probe: RolloutProbe | None = None
    namespace: str = "flux-system"
    reconcile: bool = False


@dataclass(frozen=True, kw_only=True)
class Rollouts:
    environments: Mapping[str, EnvironmentFollowup]
    forge: Forge
    versions: VersionService
    announcer: Announcer
    ledger: Ledger
    outages: Outages
    core_flux_name: str
    clock: Callable[[], datetime]

    def state(self, hotfix: Hotfix, environment: str) -> RolloutState | None:
        assert hotfix.id is not None
        return self.ledger.rollout(hotfix.id, environment)

    def settled(self, hotfix: Hotfix) -> bool:
        """Every environment confirmed (or impossible to confirm): nothing left to watch."""
        return all(self.state(hotfix, env) in _SETTLED for env in hotfix.rollout_environments)

    def check(self, hotfix: Hotfix, report: Report) -> None:
        """Ask every environment the merge rolls out to, and announce what changed."""
        assert hotfix.merge_sha is not None
        merged_at = hotfix.merged_at or self.clock()
        for name in hotfix.rollout_environments:
            if self.state(hotfix, name) is RolloutState.ROLLED_OUT:
                continue
            environment = self.environments.get(name)
            if environment is None or environment.probe is None:
                self.announcer.record_rollout(hotfix, name, RolloutState.UNKNOWN)
                continue
            target = self._target(hotfix, environment)
            probe = environment.probe
            try:
                if environment.reconcile:
                    self._reconcile_once(hotfix, name, probe, target)
                observation = probe.observe(target)
            except Unavailable as error:
                self.outages.down(hotfix, probe.description, error, report)
                continue
            except NotFound as error:
                self._announce(hotfix, RolloutUnwatchable(name, str(error)), report)
                continue
            self.outages.back(hotfix, probe.description, report)
            self._judge(hotfix, environment, target, observation, merged_at=merged_at, report=report)

    def _reconcile_once(self, hotfix: Hotfix, name: str, probe: RolloutProbe, target: RolloutTarget) -> None:
        """Ask Flux to reconcile once per hot-fix and environment (whichever copy of the bot claims it);
        a request the cluster could not take is asked again once it can be reached."""
        assert hotfix.id is not None
        claim = self.ledger.claim_reconcile(hotfix.id, name, self.clock())
        if claim is None:
            return  # asked already (or being asked by another copy)
        try:
            probe.request_reconcile(target, self.clock())
        except (Unavailable, NotFound):  # asked again once the cluster answers, or the objects exist
            self.ledger.release_reconcile(hotfix.id, name, claim)
            raise

    def _judge(
        self,
        hotfix: Hotfix,
        environment: EnvironmentFollowup,
        target: RolloutTarget,
        observation: FluxObservation,
        *,
        merged_at: datetime,
        report: Report,
    ) -> None:
        name, sha, now = environment.name, target.merge_sha, self.clock()
        applied = self._contains(target, observation.applied_revision)
        attempted = (
            not applied
            and observation.ready is False
            and self._contains(target, observation.attempted_revision)
        )
        verdict = judge(
            observation,
            contains_commit=applied,
            attempt_contains_commit=attempted,
            merged_at=merged_at,
            now=now,
            deadline=environment.deadline,
        )
        news: Announcement | None = None
        if verdict is Verdict.ROLLED_OUT:
            state, news = RolloutState.ROLLED_OUT, RolledOut(name, sha, took=now - merged_at)
        elif verdict is Verdict.FAILED:
            revision = observation.applied_revision if applied else observation.attempted_revision
            state = RolloutState.FAILED
            news = RolloutFailed(name, sha, applied, revision, observation.reason, observation.message)
        elif verdict is Verdict.LATE:
            state = RolloutState.LATE
            news = RolloutLate(
                name, sha, now - merged_at, environment.deadline, observation.reason, observation.message
            )
        else:
            state = RolloutState.WAITING
        self.announcer.record_rollout(hotfix, name, state)
        if news is not None:
            self._announce(hotfix, news, report)

    def _contains(self, target: RolloutTarget, applied: str | None) -> bool:
        """Flux applied the merge commit itself, or a later commit of the branch that contains it."""
        if not applied:
            return False
        if applied.startswith(target.merge_sha) or target.merge_sha.startswith(applied):
            return True
        return self.forge.compare(target.repository, target.merge_sha, applied).behind_by == 0

    def _flux_name(self, component: str) -> str:
        spec = self.versions.catalog.get(component)
        return spec.flux_name if spec and spec.flux_name else component

    def _target(self, hotfix: Hotfix, environment: EnvironmentFollowup) -> RolloutTarget:
        assert hotfix.merge_sha is not None
        return RolloutTarget(
            environment=environment.name,
            flux_name=self.core_flux_name
            if hotfix.kind is not Kind.COMPONENT
            else self._flux_name(hotfix.component),
            namespace=environment.namespace,
            repository=hotfix.repository,
            branch=hotfix.base_branch,
            merge_sha=hotfix.merge_sha,
        )

    def _announce(self, hotfix: Hotfix, news: Announcement, report: Report) -> None:
        if self.announcer.announce(hotfix, news):
            report.announced.append(news.key)

    # -- what a cluster runs, for /versions ---------------------------------------------------------

    def cluster_view(self, report: ComponentReport) -> ClusterView | None:
        """The applied revision of one component in one environment, when a probe is configured."""
        environment = self.environments.get(report.environment.environment)
        component = report.component
        if (
            environment is None
            or environment.probe is None
            or not component.repository
            or not component.branch
        ):
            return None
        head = report.release_head.sha if report.release_head else None
        target = RolloutTarget(
            environment=environment.name,
            flux_name=self._flux_name(component.name),
            namespace=environment.namespace,
            repository=component.repository,
            branch=component.branch,
            merge_sha=head or "",
        )
        probe = environment.probe
        try:
            observed = probe.observe(target)
        except BotError as error:
            return ClusterView(source=probe.description, branch_head=head, problem=str(error))
        return ClusterView(
            source=probe.description,
            applied=observed.applied_revision,
            ready=observed.ready,
            reason=observed.reason,
            message=observed.message,
            branch_head=head,
        )
