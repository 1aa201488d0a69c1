"""Starting a hot-fix: plan it from what the environment pins, record the intent, cut the branch.

The hot-fix is stored (stage ``starting``, with its base commit) *before* its branch is created,
so a retry finds the record and adopts the branch if it exists on that base; "already exists"
from GitHub (a retried POST, a double click, a second person) is success once the existing branch
is shown to have been cut from the base. A name git cannot hold beside an existing branch
(``hotfix/124`` while ``hotfix`` exists) cancels the intent and names the branch in the way. Three kinds of plan share one record:

- a *component* hot-fix branches from the release branch the environment pins;
- a *core* hot-fix branches from the environment's own branch of the core repository;
- a *pin* hot-fix changes one value in a core file — or several of one component's (branch, chart,
  image: "make prod like stg"), which may live in different files — through one pull request into the
  environment branch. The branch gets one commit per changed file; a retry commits only what is not
  there yet, so a crash between two commits is finished by the same command.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from slackbot.domain.core_files import CorePaths
from slackbot.domain.errors import (
    OUTSIDE_FAILURES,
    BotError,
    Conflict,
    NotFound,
    Unanswered,
    Unconfirmed,
    UsageError,
    unfinished,
)
from slackbot.domain.events import AlreadyStarted, BranchCut, Started
from slackbot.domain.forge import BranchNameBlocked
from slackbot.domain.hotfix import DuplicateHotfix, Hotfix, Kind, PinChange, PinField, Stage
from slackbot.domain.hotfix_commands import MakeLike, Start
from slackbot.domain.pin_edit import apply_pins, edit_pin, legacy_refusal, pin_path, pins_by_file
from slackbot.domain.tickets import hotfix_branch
from slackbot.domain.versions import FileRef, Layout
from slackbot.render import pull_requests as texts
from slackbot.services.access import Actor, HotfixPolicy
from slackbot.services.make_like import make_like_start
from slackbot.services.outcome import Outcome
from slackbot.services.pulls import PullRequests
from slackbot.services.step import LifecycleStep
from slackbot.services.versions import VersionService

CORE_COMPONENT = "core"
# What an interrupted cut leaves undone, by (a pin hot-fix?, of several pins?).
_UNDONE = {
    (False, False): "was not checked",
    (True, False): "the pin change was not committed to it",
    (True, True): "the pin changes were not all committed to it",
}


@dataclass(frozen=True)
class _Asked:
    """A start request once its names are resolved: what every kind of hot-fix plan shares."""

    environment: str
    command: Start
    ticket: str
    branch: str
    actor: Actor

    def hotfix(
        self,
        *,
        kind: Kind,
        component: str,
        repository: str,
        base_branch: str,
        rollout_environments: tuple[str, ...],
        base_sha: str | None = None,
        pins: tuple[PinChange, ...] = (),
    ) -> Hotfix:
        hotfix = Hotfix(
            ticket=self.ticket,
            kind=kind,
            environment=self.environment,
            component=component,
            repository=repository,
            base_branch=base_branch,
            branch=self.branch,
            started_by=self.actor.name,
            channel_id=self.actor.channel_id,
            summary=self.command.summary,
            base_sha=base_sha,
            rollout_environments=rollout_environments,
        )
        return hotfix.with_pins(pins)


@dataclass(frozen=True, kw_only=True)
class HotfixStarter(LifecycleStep):
    versions: VersionService
    pulls: PullRequests
    policy: HotfixPolicy
    paths: CorePaths

    def start(self, command: Start, actor: Actor) -> Outcome:
        self.access.authorize(actor)
        environment = self.versions.resolve_environment(command.environment)
        ticket = self.access.ticket_for(command.ticket, actor)
        branch = hotfix_branch(ticket, self.policy.branch_template)
        asked = _Asked(environment, command, ticket, branch, actor)
        plan = self._plan_pin(asked) if command.pins else self._plan_branch(asked)
        hotfix, adopted = self._record(plan, actor)
        if adopted is not None:
            return adopted
        return self._finish(hotfix, actor)

    # -- planning -------------------------------------------------------------------------------

    def make_like(self, command: MakeLike, ticket: str) -> Start:
        """The start a "Make prod like stg" button asks for, from both environments' pins now."""
        return make_like_start(command, self.versions, ticket, self.paths)

    def _plan_branch(self, asked: _Asked) -> Hotfix:
        environment = asked.environment
        if asked.command.component.lower() == CORE_COMPONENT:
            base = self.versions.environments[environment].branch
            return asked.hotfix(
                kind=Kind.CORE,
                component=CORE_COMPONENT,
                repository=self.policy.core_repository,
                base_branch=base,
                rollout_environments=self._environments_on_core_branch(base),
            )
        report = self.versions.component(environment, asked.command.component)
        pins = report.component
        if not pins.repository:
            raise UsageError(
                f"I don't know `{pins.name}`'s flux repository: add `repository:` for it under "
                "`components:` in the bot's configuration."
            )
        if not pins.branch:
            raise NotFound(
                f"{environment} pins no branch for `{pins.name}`, so there is nothing to branch from."
            )
        return asked.hotfix(
            kind=Kind.COMPONENT,
            component=pins.name,
            repository=pins.repository,
            base_branch=pins.branch,
            rollout_environments=(environment, *report.shared_with),
        )

    def _plan_pin(self, asked: _Asked) -> Hotfix:
        environment = asked.environment
        deployed = self.versions.environment(environment)
        component = self.versions.resolve_component(asked.command.component, deployed)
        pinned = next((c for c in deployed.components if c.name == component), None)
        for pin in asked.command.pins:
            if pin.field is PinField.BRANCH and pinned is not None and pinned.repository:
                self.forge.branch_head(pinned.repository, pin.value)  # NotFound: one sentence, nothing made
        if deployed.layout is not Layout.SPLIT:
            raise legacy_refusal(environment, self.paths.legacy)
        base = deployed.branch
        texts_read: dict[str, str] = {}  # each file once, edited pin by pin: every pin checked up front
        changes: list[PinChange] = []
        for pin in asked.command.pins:
            path = pin_path(pin.field, self.paths)
            if path not in texts_read:
                found = self.forge.read_file(self.policy.core_repository, path, deployed.commit)
                if found is None:
                    raise NotFound(
                        f"`{path}` does not exist on `{base}`; a pin can only change an existing file."
                    )
                texts_read[path] = found.text
            ref = FileRef(self.policy.core_repository, base, path)
            texts_read[path], old = edit_pin(texts_read[path], ref, component, pin.field, pin.value)
            changes.append(PinChange(field=pin.field, path=path, old=old, new=pin.value))
        return asked.hotfix(
            kind=Kind.PIN,
            component=component,
            repository=self.policy.core_repository,
            base_branch=base,
            base_sha=deployed.commit,
            rollout_environments=self._environments_on_core_branch(base),
            pins=tuple(changes),
        )

    def _environments_on_core_branch(self, branch: str) -> tuple[str, ...]:
        return tuple(name for name, env in self.versions.environments.items() if env.branch == branch)

    # -- recording the intent ----------------------------------------------------------------------

    def _record(self, plan: Hotfix, actor: Actor) -> tuple[Hotfix, Outcome | None]:
        """Store the intent (or find it); an active hot-fix past its first step is reported, not redone."""
        store = self.records.store
        existing = [h for h in store.find(plan.ticket) if h.repository == plan.repository]
        if not existing:
            base_sha = plan.base_sha or self.forge.branch_head(plan.repository, plan.base_branch).sha
            try:
                return store.add(replace(plan, base_sha=base_sha)), None
            except DuplicateHotfix as duplicate:  # someone typed the same command at the same moment
                existing = [duplicate.existing]
        hotfix = existing[0]
        if hotfix.stage is Stage.STARTING:
            return hotfix, None  # an earlier attempt stopped half-way: finish it
        if hotfix.thread_ts is None and hotfix.stage.is_active:
            # An earlier attempt stopped before its thread was posted (or recorded): finish that.
            hotfix = self.announcer.ensure_thread(
                hotfix,
                unfinished_sentence=f"`{hotfix.branch}` exists in `{hotfix.repository}`, but the hot-fix "
                "thread was not posted; run the same command again to post it.",
            )
            if self.announcer.announce(hotfix, BranchCut(hotfix, adopted=False)):  # this attempt finished it
                self.records.audit(actor, "start", hotfix, "ok", "thread posted")
        pending = not hotfix.thread_ts and bool(hotfix.channel_id)
        return hotfix, Outcome(AlreadyStarted(hotfix, thread_pending=pending), self.announcer.link(hotfix))

    # -- cutting the branch -------------------------------------------------------------------------

    def _finish(self, hotfix: Hotfix, actor: Actor) -> Outcome:
        base_sha = hotfix.base_sha
        assert base_sha is not None
        created = self._cut(hotfix, actor)
        hotfix = self.records.moved(hotfix, hotfix.branched())
        hotfix = self.announcer.ensure_thread(
            hotfix,
            unfinished_sentence=f"`{hotfix.branch}` was created in `{hotfix.repository}`, but the hot-fix "
            "thread was not posted; run the same command again to post it.",
        )
        self.announcer.announce(hotfix, BranchCut(hotfix, adopted=not created))
        if hotfix.pins or not created:
            try:
                hotfix = self.pulls.try_open(hotfix, quiet=True)
            except OUTSIDE_FAILURES as error:
                opened = (
                    "GitHub did not confirm whether its pull request was opened; "
                    f"`/hotfix pr {hotfix.ticket}` checks and finishes the job."
                    if isinstance(error, Unconfirmed)
                    else f"its pull request was not opened; run `/hotfix pr {hotfix.ticket}` to open it."
                )
                raise unfinished(
                    error, f"`{hotfix.branch}` in `{hotfix.repository}` is ready, but {opened}"
                ) from error
        adopted = "" if created else " (existing branch adopted)"
        self.records.audit(
            actor, "start", hotfix, "ok", f"{hotfix.repository} {hotfix.base_branch}@{base_sha[:7]}{adopted}"
        )
        return Outcome(Started(hotfix), self.announcer.link(hotfix))

    def _cut(self, hotfix: Hotfix, actor: Actor) -> bool:
        """Create the branch (or adopt one cut from the same base); commit the pin. True: created."""
        assert hotfix.base_sha is not None
        try:
            created = self.forge.create_branch(hotfix.repository, hotfix.branch, hotfix.base_sha)
        except BranchNameBlocked as blocked:
            self._give_up(hotfix, actor, f"refused: `{blocked.blocking}` blocks the branch name")
            raise Conflict(
                f"{blocked} Nothing was changed: rename `{blocked.blocking}`, or set `hotfix.branch` in "
                f"the bot's configuration (now `{self.policy.branch_template}`) to names that keep clear of it."
            ) from blocked
        except OUTSIDE_FAILURES as error:
            created = self._read_back_branch(hotfix, error)
        try:
            if not created:
                self._check_adoptable(hotfix, actor)
            self._commit_pins(hotfix, fresh=created)
        except OUTSIDE_FAILURES as error:
            undone = _UNDONE[(bool(hotfix.pin), bool(hotfix.more_pins))]
            raise unfinished(
                error,
                f"`{hotfix.branch}` in `{hotfix.repository}` exists, but {undone}; run the same command "
                "again to finish.",
            ) from error
        return created

    def _read_back_branch(self, hotfix: Hotfix, error: BotError) -> bool:
        """GitHub gave no answer to the create (a 5xx, a dropped connection): it may have made the
        branch. Ask; a branch there now is adopted (False: not known to be ours), else say what is known."""
        if isinstance(error, Unanswered):
            try:
                self.forge.branch_head(hotfix.repository, hotfix.branch)
            except NotFound:
                pass  # not there: the create did not happen
            except OUTSIDE_FAILURES:
                raise unfinished(
                    error,
                    f"GitHub did not confirm whether `{hotfix.branch}` was created in `{hotfix.repository}`; "
                    f"the same command checks and finishes starting {hotfix.ticket}.",
                ) from error
            else:
                return False
        raise unfinished(
            error,
            f"`{hotfix.branch}` was not created in `{hotfix.repository}`; run the same command "
            f"again to finish starting {hotfix.ticket}.",
        ) from error

    def _check_adoptable(self, hotfix: Hotfix, actor: Actor) -> None:
        """An existing hot-fix branch is ours only if it was cut from (and still holds) our base."""
        assert hotfix.base_sha is not None
        comparison = self.forge.compare(hotfix.repository, hotfix.base_sha, hotfix.branch)
        if comparison.behind_by == 0:
            return
        self._give_up(hotfix, actor, "refused: branch on another base")
        raise Conflict(
            f"`{hotfix.branch}` already exists in `{hotfix.repository}` but was not cut from "
            f"`{hotfix.base_branch}` (it lacks {comparison.behind_by} of its commits). Nothing was changed: "
            "use another ticket, or rename that branch by hand."
        )

    def _give_up(self, hotfix: Hotfix, actor: Actor, result: str) -> None:
        """The recorded intent cannot be carried out: cancel it, so it blocks no later attempt."""
        self.records.save(hotfix.cancelled(), show=False)
        self.records.audit(actor, "start", hotfix, result)

    def _commit_pins(self, hotfix: Hotfix, *, fresh: bool) -> None:
        """Put the changed values on the hot-fix branch: one commit per file, each made once even when
        retried (a file that already pins its new values was committed by an earlier attempt).

        On a branch this attempt has just cut (``fresh``), each file is still as it is at the base
        commit until its own commit (one file changes per commit), so it is read there: the reads
        the plan made, answered from the cache. An adopted branch is read as it is now."""
        assert hotfix.base_sha is not None
        at = hotfix.base_sha if fresh else hotfix.branch
        for path, pins in pins_by_file(hotfix.pins).items():
            on_branch = self.forge.read_file(hotfix.repository, path, at)
            if on_branch is None:
                raise NotFound(f"`{path}` disappeared from `{hotfix.branch}`; nothing was committed.")
            ref = FileRef(hotfix.repository, hotfix.branch, path)
            new_text = apply_pins(on_branch.text, ref, hotfix.component, pins)
            if new_text is None:
                continue
            self.forge.commit_file(
                hotfix.repository,
                hotfix.branch,
                path,
                new_text,
                message=texts.pin_commit_message(hotfix, pins),
                replaces=on_branch.sha,
            )
