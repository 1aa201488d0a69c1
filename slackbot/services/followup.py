"""The scheduled follow-up: move hot-fixes along, confirm roll-outs, chase back-merges.

Calm by design: every announcement is claimed in the shared database before it is posted, so a
restart or a second copy of the bot never repeats one; an outage is one "can't reach" note per
hot-fix and one "reachable again", not one per run. GitHub stays the source of truth: pending
back-merges are found by comparing branches with main, not from the bot's memory.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar, cast

from slackbot.domain.errors import BotError, NotFound, Unavailable
from slackbot.domain.followup import PendingBackmerge, RolloutState, RolloutTarget
from slackbot.domain.forge import CommitStatus, Comparison, FileText, PullInfo
from slackbot.domain.hotfix import Hotfix, Kind, Stage
from slackbot.domain.rollout import ClusterView, FluxObservation, Verdict, describe_duration, judge
from slackbot.domain.versions import BranchSnapshot, CommitInfo, ComponentReport
from slackbot.services.hotfix import HotfixService
from slackbot.services.ports import Forge, ReminderPoster, RolloutProbe, StateStore

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(days=1)  # stop watching a roll-out nobody can confirm
T = TypeVar("T")


# -- one read per distinct branch, pull request or commit per cycle -----------------------------------

# The reads made during the current cycle, by (forge, method, arguments); None outside a cycle.
_CYCLE: ContextVar[dict[tuple[object, ...], object] | None] = ContextVar("followup_cycle", default=None)
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_FIXED_ENTRIES = 1024
_CANT_REACH = re.compile(r"^can't reach [^:]*:\s*", re.IGNORECASE)


@contextmanager
def shared_reads() -> Iterator[None]:
    """Within this block (one run of a job, in this thread), each distinct GitHub read made through
    :class:`SharedReads` is made once and its answer shared by every hot-fix and environment."""
    if _CYCLE.get() is not None:  # already inside a cycle
        yield
        return
    token = _CYCLE.set({})
    try:
        yield
    finally:
        _CYCLE.reset(token)


class SharedReads:
    """The forge as the follow-up jobs read it: during a cycle (:func:`shared_reads`) each distinct
    read is asked once and shared, so ten hot-fixes merged into one release branch cost one read of
    that branch, and a back-merge pull request two hot-fixes share is read once. A comparison of two
    commits never changes, so it is kept for good. Outside a cycle (a Slack command, another thread)
    every call goes straight to the forge; a write ends the sharing for the rest of the cycle.
    """

    def __init__(self, forge: Forge) -> None:
        self.forge = forge
        self._lock = threading.Lock()
        self._fixed: OrderedDict[tuple[str, str, str], Comparison] = OrderedDict()

    def _read(self, key: tuple[object, ...], read: Callable[[], T]) -> T:
        memo = _CYCLE.get()
        if memo is None:
            return read()
        key = (id(self.forge), *key)
        if key in memo:
            found = memo[key]
            if isinstance(found, BotError):
                raise found  # the same failure, not a second request during an outage
            return cast(T, found)
        try:
            value = read()
        except BotError as error:
            memo[key] = error
            raise
        memo[key] = value
        return value

    def _wrote(self) -> None:
        memo = _CYCLE.get()
        if memo is not None:
            memo.clear()

    # -- reads

    def read_branch(self, repository: str, branch: str, paths: Sequence[str]) -> BranchSnapshot:
        return self._read(
            ("read_branch", repository, branch, tuple(paths)),
            lambda: self.forge.read_branch(repository, branch, paths),
        )

    def branch_head(self, repository: str, branch: str) -> CommitInfo:
        return self._read(
            ("branch_head", repository, branch), lambda: self.forge.branch_head(repository, branch)
        )

    def read_file(self, repository: str, path: str, ref: str) -> FileText | None:
        return self._read(
            ("read_file", repository, path, ref), lambda: self.forge.read_file(repository, path, ref)
        )

    def compare(self, repository: str, base: str, head: str) -> Comparison:
        fixed = _FULL_SHA.match(base) is not None and _FULL_SHA.match(head) is not None
        if fixed:
            with self._lock:
                known = self._fixed.get((repository, base, head))
            if known is not None:
                return known
        comparison = self._read(
            ("compare", repository, base, head), lambda: self.forge.compare(repository, base, head)
        )
        if fixed:
            with self._lock:
                self._fixed[(repository, base, head)] = comparison
                while len(self._fixed) > _FIXED_ENTRIES:
                    self._fixed.popitem(last=False)
        return comparison

    def find_pull(self, repository: str, head: str, base: str) -> PullInfo | None:
        return self._read(
            ("find_pull", repository, head, base), lambda: self.forge.find_pull(repository, head, base)
        )

    def pull(self, repository: str, number: int) -> PullInfo:
        return self._read(("pull", repository, number), lambda: self.forge.pull(repository, number))

    def commit_statuses(self, repository: str, ref: str) -> list[CommitStatus]:
        return self._read(("statuses", repository, ref), lambda: self.forge.commit_statuses(repository, ref))

    def web_url(
        self,
        repository: str,
        *,
        branch: str | None = None,
        commit: str | None = None,
        compare: tuple[str, str] | None = None,
    ) -> str:
        return self.forge.web_url(repository, branch=branch, commit=commit, compare=compare)

    # -- writes: straight through

    def create_branch(self, repository: str, branch: str, sha: str) -> bool:
        self._wrote()
        return self.forge.create_branch(repository, branch, sha)

    def open_pull(self, repository: str, head: str, base: str, title: str, body: str) -> PullInfo:
        self._wrote()
        return self.forge.open_pull(repository, head, base, title, body)

    def commit_file(
        self, repository: str, branch: str, path: str, text: str, *, message: str, replaces: str
    ) -> str:
        self._wrote()
        return self.forge.commit_file(repository, branch, path, text, message=message, replaces=replaces)


def sharing_reads(forge: Forge) -> SharedReads:
    return forge if isinstance(forge, SharedReads) else SharedReads(forge)


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
        self._forge = sharing_reads(forge)
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

    def close(self) -> None:
        return None  # the forge is closed by its owner


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
        with shared_reads():
            self._watch(report)
        return report

    def _watch(self, report: Report) -> None:
        for followed in self._followed():
            report.checked += 1
            hotfix = followed
            try:
                if hotfix.stage.is_active:
                    hotfix = self.hotfixes.refresh(hotfix)
                    if hotfix.stage is not followed.stage:  # announced in its thread by the service
                        report.announced.append(f"{hotfix.ticket}:{hotfix.stage.value}")
                self._back(hotfix, "GitHub", report)
                if hotfix.merge_sha:
                    self._check_rollouts(hotfix, report)
            except Unavailable as error:
                self._down(hotfix, "GitHub", error, report)
            except BotError:
                log.warning("could not follow %s", hotfix.ticket, exc_info=True)

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
                if environment.reconcile:
                    self._reconcile_once(hotfix, name, probe, target)
                observation = probe.observe(target)
            except Unavailable as error:
                self._down(hotfix, probe.description, error, report)
                continue
            except NotFound as error:
                self._announce(hotfix, f"rollout-missing:{name}", f":warning: {error}", report)
                continue
            self._back(hotfix, probe.description, report)
            self._judge(hotfix, environment, target, observation, merged_at=merged_at, report=report)

    def _reconcile_once(self, hotfix: Hotfix, name: str, probe: RolloutProbe, target: RolloutTarget) -> None:
        """Ask Flux to reconcile once per hot-fix and environment (whichever copy of the bot claims it);
        a request the cluster could not take is asked again once it can be reached."""
        key = f"reconcile:{hotfix.id}:{name}"
        claim = self._state.get_state(key)
        mine = self.clock().isoformat()
        if claim not in (None, "") or not self._state.put_state_if(key, mine, expected=claim):
            return  # asked already (or being asked by another copy)
        try:
            probe.request_reconcile(target, self.clock())
        except Unavailable:
            self._state.put_state_if(key, "", expected=mine)
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
        name, sha = environment.name, target.merge_sha[:7]
        now = self.clock()
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
        if verdict is Verdict.ROLLED_OUT:
            self.hotfixes.record_rollout(hotfix, name, RolloutState.ROLLED_OUT)
            took = describe_duration(now - merged_at)
            self._announce(
                hotfix, f"rollout:{name}", f":white_check_mark: {name} rolled out `{sha}` in {took}.", report
            )
        elif verdict is Verdict.FAILED:
            self.hotfixes.record_rollout(hotfix, name, RolloutState.FAILED)
            verb = "applied" if applied else "tried to apply"
            revision = observation.applied_revision if applied else observation.attempted_revision
            self._announce(
                hotfix,
                f"rollout-failed:{name}:{revision}",
                f":x: {name} {verb} `{sha}` but Flux reports {observation.reason or 'a failure'}: "
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
            # The adapters' sentences may start "can't reach X:" themselves, and end with a full stop.
            detail = _CANT_REACH.sub("", str(error)).rstrip(". ")
            self._post(
                hotfix,
                f":warning: Can't reach {system}: {detail}. I'll keep trying and say when it's back.",
                report,
            )

    def _back(self, hotfix: Hotfix, system: str, report: Report) -> None:
        key = f"outage:{hotfix.id}:{system}"
        since = self._state.get_state(key)
        if since and self._state.put_state_if(key, "", expected=since):
            self._post(hotfix, f"{system[:1].upper()}{system[1:]} is reachable again.", report)

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
        with shared_reads():
            return self._remind()

    def _remind(self) -> Report:
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
        forge = self.hotfixes.forge
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
            hotfix = followed.get((repository, branch))
            try:
                comparison = forge.compare(repository, main, branch)
                if comparison.ahead_by == 0:
                    if hotfix is not None and hotfix.stage is Stage.MERGED:
                        self.hotfixes.mark_backmerged(hotfix)  # someone back-merged by hand
                    continue
                pull = forge.find_pull(repository, branch, main)
            except BotError as error:  # one branch unreadable: remind about the others all the same
                if report is not None:
                    report.unreachable.append(f"{repository}: {error}")
                continue
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
