"""The scheduled follow-up: move hot-fixes along, confirm roll-outs, chase back-merges.

Calm by design: every announcement is claimed in the shared database before it is posted, so a
restart or a second copy of the bot never repeats one; an outage is one "can't reach" note per
hot-fix and one "reachable again", not one per run. GitHub stays the source of truth: pending
back-merges are found by comparing branches with main, not from the bot's memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from slackbot.domain.errors import BotError, NotFound, Unavailable
from slackbot.domain.followup import PendingBackmerge, RolloutState, RolloutTarget
from slackbot.domain.forge import CommitStatus
from slackbot.domain.hotfix import Hotfix, Kind, Stage
from slackbot.domain.rollout import ClusterView, FluxObservation, Verdict, describe_duration, judge
from slackbot.domain.versions import ComponentReport
from slackbot.services.hotfix import HotfixService
from slackbot.services.ports import Forge, ReminderPoster, RolloutProbe, StateStore

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(days=1)  # stop watching a roll-out nobody can confirm


@dataclass(frozen=True)
class EnvironmentFollowup:
    name: str
    deadline: timedelta = timedelta(minutes=10)
    probe: RolloutProbe | None = None
    namespace: str = "flux-system"
    reconcile: bool = False


@dataclass(frozen=True)
class ReminderPolicy:
    team_channel: str | None = None
    escalate_after: int = 3
    main_branch: str = "main"


@dataclass
class Report:
    """What one run of a job did, for `slackbot jobs run` and the logs."""

    checked: int = 0
    announced: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [f"checked {self.checked}", f"announced {len(self.announced)}"]
        if self.unreachable:
            parts.append(f"unreachable: {', '.join(sorted(set(self.unreachable)))}")
        return ", ".join(parts)


class CommitStatusProbe:
    """Roll-outs read from the commit statuses Flux's notification-controller posts on GitHub."""

    description = "Flux's commit statuses on GitHub"

    def __init__(self, forge: Forge, status_id: str | None = None) -> None:
        self._forge = forge
        self._status_id = status_id

    def observe(self, target: RolloutTarget) -> FluxObservation:
        # Flux posts on the commit it applied: the merge commit, or a later head of the branch.
        head = self._forge.branch_head(target.repository, target.branch).sha
        for sha in dict.fromkeys((head, target.merge_sha)):
            status = self._matching(self._forge.commit_statuses(target.repository, sha), target.flux_name)
            if status is not None:
                return FluxObservation(
                    source_revision=sha,
                    applied_revision=sha,
                    ready=status.state == "success",
                    reason="ReconciliationSucceeded" if status.state == "success" else "ReconciliationFailed",
                    message=status.description,
                    api_version="commit-status",
                )
        return FluxObservation(
            source_revision=None, applied_revision=None, ready=None, api_version="commit-status"
        )

    def _matching(self, statuses: list[CommitStatus], flux_name: str) -> CommitStatus | None:
        prefix = f"kustomization/{flux_name}/".lower()
        for status in statuses:  # newest first
            context = status.context.lower()
            if context.startswith(prefix) and (
                self._status_id is None or context.endswith(f"/{self._status_id}")
            ):
                return status
        return None

    def request_reconcile(self, target: RolloutTarget, at: datetime) -> None:
        return None  # GitHub cannot ask a cluster to reconcile


class FollowupService:
    def __init__(
        self,
        *,
        hotfixes: HotfixService,
        environments: Mapping[str, EnvironmentFollowup],
        reminders: ReminderPoster,
        policy: ReminderPolicy,
        core_flux_name: str = "flux-system",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.hotfixes = hotfixes
        self.environments = dict(environments)
        self.reminders = reminders
        self.policy = policy
        self.core_flux_name = core_flux_name
        self.clock = clock

    @property
    def _state(self) -> StateStore:
        return self.hotfixes.state

    # -- the watcher ------------------------------------------------------------------------------

    def watch(self) -> Report:
        """Move every open hot-fix along and check the roll-outs of merged ones."""
        report = Report()
        for followed in self._followed():
            report.checked += 1
            hotfix = followed
            try:
                if hotfix.stage.is_active:
                    hotfix = self.hotfixes.refresh(hotfix)
                self._back(hotfix, "GitHub", report)
                if hotfix.merge_sha:
                    self._check_rollouts(hotfix, report)
            except Unavailable as error:
                self._down(hotfix, "GitHub", error, report)
            except BotError:
                log.warning("could not follow %s", hotfix.ticket, exc_info=True)
        return report

    def _followed(self) -> list[Hotfix]:
        """Open hot-fixes, and finished ones whose roll-out is still unconfirmed (for a day)."""
        active = self.hotfixes.store.active()
        now = self.clock()
        settling = [
            h
            for h in self.hotfixes.store.all(limit=200)
            if h.stage is Stage.DONE
            and h.merged_at is not None
            and now - h.merged_at < GIVE_UP_AFTER
            and not self.hotfixes.rollouts_settled(h)
        ]
        return [*active, *settling]

    # -- roll-outs --------------------------------------------------------------------------------

    def _check_rollouts(self, hotfix: Hotfix, report: Report) -> None:
        assert hotfix.merge_sha is not None
        merged_at = hotfix.merged_at or self.clock()
        for name in hotfix.rollout_environments:
            state = self.hotfixes.rollout_state(hotfix, name)
            if state is RolloutState.ROLLED_OUT:
                continue
            environment = self.environments.get(name)
            if environment is None or environment.probe is None:
                self.hotfixes.record_rollout(hotfix, name, RolloutState.UNKNOWN)
                continue
            target = self._target(hotfix, environment)
            probe = environment.probe
            try:
                if environment.reconcile and self._state.put_state_if(
                    f"reconcile:{hotfix.id}:{name}", self.clock().isoformat(), expected=None
                ):
                    probe.request_reconcile(target, self.clock())
                observation = probe.observe(target)
            except Unavailable as error:
                self._down(hotfix, probe.description, error, report)
                continue
            except NotFound as error:
                self._announce(hotfix, f"rollout-missing:{name}", f":warning: {error}", report)
                continue
            self._back(hotfix, probe.description, report)
            self._judge(hotfix, environment, target, observation, merged_at=merged_at, report=report)

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
        name, sha = environment.name, target.merge_sha[:7]
        now = self.clock()
        verdict = judge(
            observation,
            contains_commit=self._contains(target, observation.applied_revision),
            merged_at=merged_at,
            now=now,
            deadline=environment.deadline,
        )
        if verdict is Verdict.ROLLED_OUT:
            self.hotfixes.record_rollout(hotfix, name, RolloutState.ROLLED_OUT)
            took = describe_duration(now - merged_at)
            self._announce(
                hotfix, f"rollout:{name}", f":white_check_mark: {name} rolled out `{sha}` in {took}.", report
            )
        elif verdict is Verdict.FAILED:
            self.hotfixes.record_rollout(hotfix, name, RolloutState.FAILED)
            self._announce(
                hotfix,
                f"rollout-failed:{name}:{observation.applied_revision}",
                f":x: {name} applied `{sha}` but Flux reports {observation.reason or 'a failure'}: "
                f"{observation.message or 'no message'}",
                report,
            )
        elif verdict is Verdict.LATE:
            self.hotfixes.record_rollout(hotfix, name, RolloutState.LATE)
            flux_says = f"{observation.reason}: {observation.message}".strip(": ") or "nothing yet"
            self._announce(
                hotfix,
                f"rollout-late:{name}",
                f":warning: {name} has not applied `{sha}` {describe_duration(now - merged_at)} after the merge "
                f"(deadline {describe_duration(environment.deadline)}). Flux says: {flux_says}.",
                report,
            )
        else:
            self.hotfixes.record_rollout(hotfix, name, RolloutState.WAITING)

    def _contains(self, target: RolloutTarget, applied: str | None) -> bool:
        """Flux applied the merge commit itself, or a later commit of the branch that contains it."""
        if not applied:
            return False
        if applied.startswith(target.merge_sha) or target.merge_sha.startswith(applied):
            return True
        comparison = self.hotfixes.forge.compare(target.repository, target.merge_sha, applied)
        return comparison.behind_by == 0

    def _target(self, hotfix: Hotfix, environment: EnvironmentFollowup) -> RolloutTarget:
        spec = self.hotfixes.versions.catalog.get(hotfix.component)
        flux_name = (
            self.core_flux_name
            if hotfix.kind is not Kind.COMPONENT
            else (spec.flux_name if spec and spec.flux_name else hotfix.component)
        )
        assert hotfix.merge_sha is not None
        return RolloutTarget(
            environment=environment.name,
            flux_name=flux_name,
            namespace=environment.namespace,
            repository=hotfix.repository,
            branch=hotfix.base_branch,
            merge_sha=hotfix.merge_sha,
        )

    # -- outages: one note when it goes, one when it comes back -------------------------------------

    def _down(self, hotfix: Hotfix, system: str, error: Exception, report: Report) -> None:
        report.unreachable.append(system)
        key = f"outage:{hotfix.id}:{system}"
        now = self.clock().isoformat()
        if self._state.put_state_if(key, now, expected=None) or self._state.put_state_if(
            key, now, expected=""
        ):
            self._post(
                hotfix,
                f":warning: Can't reach {system}: {error} I'll keep trying and say when it's back.",
                report,
            )

    def _back(self, hotfix: Hotfix, system: str, report: Report) -> None:
        key = f"outage:{hotfix.id}:{system}"
        since = self._state.get_state(key)
        if since and self._state.put_state_if(key, "", expected=since):
            self._post(hotfix, f"{system} is reachable again.", report)

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
        spec = self.hotfixes.versions.catalog.get(component.name)
        head = report.release_head.sha if report.release_head else None
        target = RolloutTarget(
            environment=environment.name,
            flux_name=spec.flux_name if spec and spec.flux_name else component.name,
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

    # -- back-merge reminders ------------------------------------------------------------------------

    def remind(self) -> Report:
        """Remind about every branch with commits main lacks; GitHub is the source of truth."""
        report = Report()
        digest: list[PendingBackmerge] = []
        today = self.clock().date().isoformat()
        for item in self.pending_backmerges(report):
            report.checked += 1
            if self.hotfixes.snoozed(item.key):
                continue
            hotfix = item.hotfix
            if hotfix is None or not hotfix.thread_ts:
                digest.append(item)
                continue
            if not self._state.put_state_if(f"reminded:{hotfix.id}:{today}", "1", expected=None):
                continue  # already reminded today (a manual run, or another copy of the bot)
            count = int(self._state.get_state(f"reminders:{hotfix.id}") or 0) + 1
            self._state.put_state(f"reminders:{hotfix.id}", str(count))
            self.reminders.remind_in_thread(hotfix, _reminder_text(item, hotfix, self.policy.main_branch))
            report.announced.append(f"reminder:{hotfix.ticket}")
            if (
                count >= self.policy.escalate_after
                and self.policy.team_channel
                and self._state.put_state_if(f"escalated:{hotfix.id}", today, expected=None)
            ):
                self.reminders.post_to_channel(
                    self.policy.team_channel,
                    f":rotating_light: {hotfix.ticket}'s back-merge into `{self.policy.main_branch}` is still "
                    f"pending after {count} reminders (<@{hotfix.started_by}>).",
                    [item],
                )
                report.announced.append(f"escalation:{hotfix.ticket}")
        if (
            digest
            and self.policy.team_channel
            and self._state.put_state_if(f"digest:{today}", "1", expected=None)
        ):
            self.reminders.post_to_channel(
                self.policy.team_channel,
                f"{len(digest)} release branch(es) have commits `{self.policy.main_branch}` lacks — back-merges to do:",
                digest,
            )
            report.announced.append("digest")
        return report

    def pending_backmerges(self, report: Report | None = None) -> list[PendingBackmerge]:
        """Every branch an environment pins, and every hot-fix base, that main lacks commits of."""
        versions = self.hotfixes.versions
        main = self.policy.main_branch
        branches: dict[tuple[str, str], set[str]] = {}
        for environment in versions.environments:
            try:
                deployed = versions.environment(environment)
            except BotError as error:
                if report is not None:
                    report.unreachable.append(f"{environment}: {error}")
                continue
            for component in deployed.components:
                if component.repository and component.branch and component.branch != main:
                    branches.setdefault((component.repository, component.branch), set()).add(environment)
        followed = {
            (h.repository, h.base_branch): h
            for h in self.hotfixes.store.active()
            if h.needs_backmerge and h.stage in (Stage.MERGED, Stage.BACKMERGE_OPEN)
        }
        for key in followed:
            branches.setdefault(key, set())
        pending = []
        for (repository, branch), environments in sorted(branches.items()):
            try:
                comparison = self.hotfixes.forge.compare(repository, main, branch)
            except BotError as error:
                if report is not None:
                    report.unreachable.append(f"{repository}: {error}")
                continue
            hotfix = followed.get((repository, branch))
            if comparison.ahead_by == 0:
                if hotfix is not None and hotfix.stage is Stage.MERGED:
                    self.hotfixes.mark_backmerged(hotfix)  # someone back-merged by hand
                continue
            pull = self.hotfixes.forge.find_pull(repository, branch, main)
            pending.append(
                PendingBackmerge(
                    repository=repository,
                    branch=branch,
                    ahead_by=comparison.ahead_by,
                    oldest_commit_at=comparison.oldest_commit_at,
                    pull=pull,
                    hotfix=hotfix,
                    environments=tuple(sorted(environments)),
                )
            )
        return pending

    # -- helpers ----------------------------------------------------------------------------------

    def _announce(self, hotfix: Hotfix, event: str, text: str, report: Report) -> None:
        if self.hotfixes.announce(hotfix, event, text):
            report.announced.append(event)

    def _post(self, hotfix: Hotfix, text: str, report: Report) -> None:
        try:
            self.hotfixes.threads.reply(hotfix, text)
            report.announced.append(text[:40])
        except BotError:
            log.warning("could not post to %s's thread", hotfix.ticket, exc_info=True)


def _reminder_text(item: PendingBackmerge, hotfix: Hotfix, main: str) -> str:
    age = ""
    if item.oldest_commit_at is not None:
        age = f", the oldest from {item.oldest_commit_at:%Y-%m-%d}"
    pull = (
        f"Back-merge pull request <{item.pull.url}|#{item.pull.number}> is open"
        if item.pull
        else f"No back-merge pull request yet: `/hotfix promote {hotfix.ticket}` opens one"
    )
    return (
        f"Reminder <@{hotfix.started_by}>: `{item.branch}` still has {item.ahead_by} commit(s) `{main}` lacks{age}. "
        f"{pull}. (Snooze with `/hotfix snooze {hotfix.ticket} 2d`.)"
    )
