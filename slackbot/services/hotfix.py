"""The hot-fix lifecycle: branch, pull request, merge, back-merge — each step idempotent.

Every step first records its intent, then asks GitHub, then records the result, so a crash or a
failure anywhere leaves a state from which repeating the command finishes the job:

- a hot-fix is stored (stage ``starting``, with the base commit) *before* its branch is created;
  a retry finds the record and adopts the branch if it exists on that base;
- "already exists" from GitHub (a retried POST, a double click, a second person) is success once
  the existing branch or pull request is shown to be the one wanted;
- the Slack thread is found again by the hot-fix id in its metadata rather than posted twice;
- each announcement is claimed in the database before it is posted, so two copies of the bot (or
  a restart) never post the same news twice;
- a step that fails part-way says what was and was not done, and leaves the hot-fix where the
  same command picks it up again.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from slackbot.domain.core_files import CorePaths
from slackbot.domain.errors import BotError, Conflict, NotFound, NotPermitted, Unavailable, UsageError
from slackbot.domain.followup import RolloutState
from slackbot.domain.forge import NothingToMerge, PullInfo
from slackbot.domain.hotfix import (
    AuditEntry,
    DuplicateHotfix,
    Hotfix,
    Kind,
    PinChange,
    PullRequestRef,
    Stage,
    StaleHotfix,
)
from slackbot.domain.hotfix_commands import Start
from slackbot.domain.pin_edit import PinUnchanged, edit_pin, pin_path
from slackbot.domain.tickets import (
    DEFAULT_BRANCH_TEMPLATE,
    DEFAULT_TICKET_PATTERN,
    hotfix_branch,
    ticket_from_channel,
    validate_ticket,
)
from slackbot.domain.versions import FileRef
from slackbot.services.ports import Directory, Forge, HotfixStore, StateStore, Threads
from slackbot.services.versions import VersionService

log = logging.getLogger(__name__)

CORE_COMPONENT = "core"
THREAD_CLAIM_TTL = timedelta(seconds=60)  # a claim older than this was left by a crashed attempt
RELEASED = ""  # a claim given up by an attempt that failed: the next one may take it at once
# What GitHub or Slack failing looks like once the adapters have translated it.
OUTSIDE_FAILURES: tuple[type[BotError], ...] = (Unavailable, NotFound, NotPermitted)


@dataclass(frozen=True)
class Actor:
    """Who asked, and from where."""

    user_id: str
    channel_id: str = ""
    channel_name: str | None = None
    via: str = "slack"  # "slack" or "cli" (an operator with the bot's own credentials)

    @property
    def name(self) -> str:
        return self.user_id if self.via == "slack" else f"cli:{self.user_id}"


@dataclass(frozen=True)
class HotfixPolicy:
    core_repository: str
    branch_template: str = DEFAULT_BRANCH_TEMPLATE
    ticket_pattern: str = DEFAULT_TICKET_PATTERN
    channel_pattern: str = "^inc-"
    channels: tuple[str, ...] = ()
    allowed_users: tuple[str, ...] = ()
    allowed_usergroups: tuple[str, ...] = ()
    main_branch: str = "main"


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
        pin: PinChange | None = None,
    ) -> Hotfix:
        return Hotfix(
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
            pin=pin,
        )


@dataclass(frozen=True)
class Outcome:
    """What to tell the person who asked (the thread gets its own messages)."""

    message: str
    hotfix: Hotfix | None = None
    thread_link: str | None = None


class HotfixService:
    def __init__(
        self,
        *,
        forge: Forge,
        store: HotfixStore,
        state: StateStore,
        versions: VersionService,
        threads: Threads,
        directory: Directory,
        policy: HotfixPolicy,
        paths: CorePaths | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.forge = forge
        self.store = store
        self.state = state
        self.versions = versions
        self.threads = threads
        self.directory = directory
        self.policy = policy
        self.paths = paths or CorePaths()
        self.clock = clock

    # -- rules ----------------------------------------------------------------------------------

    def authorize(self, actor: Actor) -> None:
        """Hot-fixes start only in incident channels, and only by permitted people."""
        if actor.via == "cli":
            return  # an operator holding the bot's credentials
        channel_name = actor.channel_name or self.directory.channel_name(actor.channel_id) or ""
        in_incident = actor.channel_id in self.policy.channels or bool(
            re.search(self.policy.channel_pattern, channel_name)
        )
        if not in_incident:
            raise NotPermitted(
                "`/hotfix` works only in incident channels (names matching "
                f"`{self.policy.channel_pattern}`"
                + (" or the configured channels" if self.policy.channels else "")
                + "); nothing was changed. Run it in the incident's channel."
            )
        self.authorize_person(actor)

    def authorize_person(self, actor: Actor) -> None:
        """Only permitted people steer hot-fixes (anywhere, e.g. snoozing from the team channel)."""
        if actor.via == "cli" or actor.user_id in self.policy.allowed_users:
            return
        for group in self.policy.allowed_usergroups:
            if actor.user_id in self.directory.usergroup_members(group):
                return
        groups = ", ".join(f"@{g}" for g in self.policy.allowed_usergroups)
        raise NotPermitted(
            "You are not allowed to run hot-fixes; nothing was changed. Ask a platform admin to add you to "
            "`hotfix.allowed_users`" + (f" or to {groups}" if groups else "") + "."
        )

    def ticket_for(self, typed: str | None, actor: Actor) -> str:
        if typed:
            return validate_ticket(typed, self.policy.ticket_pattern)
        from_channel = ticket_from_channel(actor.channel_name or "", self.policy.ticket_pattern)
        if from_channel:
            return validate_ticket(from_channel, self.policy.ticket_pattern)
        raise UsageError(
            "Which ticket is this for? This channel's name has no incident number, so add one: "
            "`/hotfix prod jupyter_hub INC-123 what is broken`."
        )

    # -- start ----------------------------------------------------------------------------------

    def start(self, command: Start, actor: Actor) -> Outcome:
        self.authorize(actor)
        environment = self.versions.resolve_environment(command.environment)
        ticket = self.ticket_for(command.ticket, actor)
        branch = hotfix_branch(ticket, self.policy.branch_template)
        asked = _Asked(environment, command, ticket, branch, actor)
        plan = self._plan_pin(asked) if command.pin is not None else self._plan_branch(asked)
        hotfix, adopted = self._record(plan, actor)
        if adopted is not None:
            return adopted
        return self._finish_start(hotfix, actor)

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
        pin, environment = asked.command.pin, asked.environment
        assert pin is not None
        deployed = self.versions.environment(environment)
        component = self.versions.resolve_component(asked.command.component, deployed)
        if deployed.layout != "split":
            raise UsageError(
                f"{environment} uses the legacy `{self.paths.legacy}`; change its pins by hand "
                "(pin hot-fixes edit the split `core/*-config.yaml` files only)."
            )
        path = pin_path(pin.field, self.paths)
        base = deployed.branch
        found = self.forge.read_file(self.policy.core_repository, path, deployed.commit)
        if found is None:
            raise NotFound(f"`{path}` does not exist on `{base}`; a pin can only change an existing file.")
        ref = FileRef(self.policy.core_repository, base, path)
        _, old = edit_pin(found.text, ref, component, pin.field, pin.value)
        return asked.hotfix(
            kind=Kind.PIN,
            component=component,
            repository=self.policy.core_repository,
            base_branch=base,
            base_sha=deployed.commit,
            rollout_environments=self._environments_on_core_branch(base),
            pin=PinChange(field=pin.field, path=path, old=old, new=pin.value),
        )

    def _environments_on_core_branch(self, branch: str) -> tuple[str, ...]:
        return tuple(name for name, env in self.versions.environments.items() if env.branch == branch)

    def _record(self, plan: Hotfix, actor: Actor) -> tuple[Hotfix, Outcome | None]:
        """Store the intent (or find it); an active hot-fix past its first step is reported, not redone."""
        existing = [h for h in self.store.find(plan.ticket) if h.repository == plan.repository]
        if not existing:
            base_sha = plan.base_sha or self.forge.branch_head(plan.repository, plan.base_branch).sha
            try:
                return self.store.add(replace(plan, base_sha=base_sha)), None
            except DuplicateHotfix as duplicate:  # someone typed the same command at the same moment
                existing = [duplicate.existing]
        hotfix = existing[0]
        if hotfix.stage is Stage.STARTING:
            return hotfix, None  # an earlier attempt stopped half-way: finish it
        if hotfix.thread_ts is None and hotfix.stage.is_active:
            # An earlier attempt stopped before its thread was posted (or recorded): finish that.
            hotfix = self._ensure_thread(
                hotfix,
                unfinished=f"`{hotfix.branch}` exists in `{hotfix.repository}`, but the hot-fix thread "
                "was not posted; run the same command again to post it.",
            )
            if self._announce_branch(hotfix, "created"):  # this attempt finished the start
                self._audit(actor, "start", hotfix, "ok", "thread posted")
        follow = (
            "follow it in its thread"
            if hotfix.thread_ts or not hotfix.channel_id
            else "its thread is still being posted; ask again in a minute if it does not appear"
        )
        return hotfix, Outcome(
            f"{hotfix.ticket} is already being hot-fixed in `{hotfix.repository}` "
            f"({_stage_words(hotfix)}); {follow}.",
            hotfix,
            self.threads.link(hotfix),
        )

    def _finish_start(self, hotfix: Hotfix, actor: Actor) -> Outcome:
        base_sha = hotfix.base_sha
        assert base_sha is not None
        where = f"`{hotfix.branch}` in `{hotfix.repository}`"
        try:
            created = self.forge.create_branch(hotfix.repository, hotfix.branch, base_sha)
        except OUTSIDE_FAILURES as error:
            raise _unfinished(
                error,
                f"`{hotfix.branch}` was not created in `{hotfix.repository}`; run the same command "
                f"again to finish starting {hotfix.ticket}.",
            ) from error
        try:
            if not created:
                self._check_adoptable(hotfix, actor)
            if hotfix.pin is not None:
                self._commit_pin(hotfix)
        except OUTSIDE_FAILURES as error:
            raise _unfinished(
                error,
                f"{where} exists, but "
                + ("the pin change was not committed to it" if hotfix.pin else "was not checked")
                + "; run the same command again to finish.",
            ) from error
        hotfix = self._advance(hotfix, Stage.BRANCHED)
        hotfix = self._ensure_thread(
            hotfix,
            unfinished=f"`{hotfix.branch}` was created in `{hotfix.repository}`, but the hot-fix thread "
            "was not posted; run the same command again to post it.",
        )
        self._announce_branch(hotfix, "created" if created else "found (adopted)")
        if hotfix.pin is not None or not created:
            try:
                hotfix = self._try_open_pull(hotfix, quiet=True)
            except OUTSIDE_FAILURES as error:
                raise _unfinished(
                    error,
                    f"{where} is ready, but its pull request was not opened; "
                    f"run `/hotfix pr {hotfix.ticket}` to open it.",
                ) from error
        self._audit(
            actor,
            "start",
            hotfix,
            "ok",
            f"{hotfix.repository} {hotfix.base_branch}@{base_sha[:7]}"
            + ("" if created else " (existing branch adopted)"),
        )
        return Outcome(
            f"Hot-fix {hotfix.ticket} started: `{hotfix.branch}` in `{hotfix.repository}`. "
            + (
                "Its pull request is open."
                if hotfix.stage is Stage.PR_OPEN
                else "Push your fix to that branch; the pull request opens once it has commits "
                f"(or run `/hotfix pr {hotfix.ticket}`)."
            ),
            hotfix,
            self.threads.link(hotfix),
        )

    def _announce_branch(self, hotfix: Hotfix, verb: str) -> bool:
        return self._announce(
            hotfix,
            "branched",
            f"Branch `{hotfix.branch}` {verb} from `{hotfix.base_branch}` at `{(hotfix.base_sha or '')[:7]}`.",
        )

    def _check_adoptable(self, hotfix: Hotfix, actor: Actor) -> None:
        """An existing hot-fix branch is ours only if it was cut from (and still holds) our base."""
        assert hotfix.base_sha is not None
        comparison = self.forge.compare(hotfix.repository, hotfix.base_sha, hotfix.branch)
        if comparison.behind_by == 0:
            return
        self._save(hotfix.moved_to(Stage.CANCELLED), show=False)
        self._audit(actor, "start", hotfix, "refused: branch on another base")
        raise Conflict(
            f"`{hotfix.branch}` already exists in `{hotfix.repository}` but was not cut from "
            f"`{hotfix.base_branch}` (it lacks {comparison.behind_by} of its commits). Nothing was changed: "
            "use another ticket, or rename that branch by hand."
        )

    def _commit_pin(self, hotfix: Hotfix) -> None:
        """Put the one changed value on the hot-fix branch (once, even when retried)."""
        pin = hotfix.pin
        assert pin is not None
        on_branch = self.forge.read_file(hotfix.repository, pin.path, hotfix.branch)
        if on_branch is None:
            raise NotFound(f"`{pin.path}` disappeared from `{hotfix.branch}`; nothing was committed.")
        ref = FileRef(hotfix.repository, hotfix.branch, pin.path)
        try:
            new_text, _ = edit_pin(on_branch.text, ref, hotfix.component, pin.field, pin.new)
        except PinUnchanged:
            return  # the branch already pins the new value: committed by an earlier attempt
        message = (
            f"{hotfix.ticket}: set {hotfix.component} {pin.field.value} to {pin.new} on {hotfix.base_branch}"
        )
        self.forge.commit_file(
            hotfix.repository, hotfix.branch, pin.path, new_text, message=message, replaces=on_branch.sha
        )

    # -- pull requests ----------------------------------------------------------------------------

    def open_pr(self, ticket: str, actor: Actor) -> Outcome:
        self.authorize(actor)
        hotfix = self._one(ticket)
        if hotfix.stage is Stage.STARTING:
            raise UsageError(
                f"{hotfix.ticket} did not finish starting; run the `/hotfix` command again first."
            )
        if hotfix.stage is not Stage.BRANCHED:
            return Outcome(
                f"{hotfix.ticket}'s pull request is already open ({_stage_words(hotfix)}).", hotfix
            )
        try:
            hotfix = self._try_open_pull(hotfix, quiet=False)
        except OUTSIDE_FAILURES as error:
            raise _unfinished(
                error, f"No pull request was opened; run `/hotfix pr {hotfix.ticket}` again to open it."
            ) from error
        self._audit(actor, "pr", hotfix, "ok")
        assert hotfix.pull is not None
        return Outcome(f"Pull request opened: {hotfix.pull.url}", hotfix, self.threads.link(hotfix))

    def _try_open_pull(self, hotfix: Hotfix, *, quiet: bool) -> Hotfix:
        try:
            pull = self.forge.open_pull(
                hotfix.repository,
                hotfix.branch,
                hotfix.base_branch,
                self._pull_title(hotfix),
                self._pull_body(hotfix),
            )
        except NothingToMerge:
            if quiet:
                return hotfix
            raise UsageError(
                f"`{hotfix.branch}` has no commits yet, so GitHub cannot open a pull request. "
                f"Push your fix to it first, then run `/hotfix pr {hotfix.ticket}` again."
            ) from None
        hotfix = self._advance(hotfix, Stage.PR_OPEN, pull=PullRequestRef(pull.number, pull.url))
        self._announce(
            hotfix,
            f"pr:{pull.number}",
            f"Pull request <{pull.url}|#{pull.number}> opened into `{hotfix.base_branch}`. "
            + _rollout_sentence(hotfix, "Merging it"),
        )
        return hotfix

    def _pull_title(self, hotfix: Hotfix) -> str:
        if hotfix.pin is not None:
            return f"{hotfix.ticket}: {hotfix.environment} {hotfix.component} {hotfix.pin.field.value} → {hotfix.pin.new}"
        return f"Hot-fix {hotfix.ticket}: {hotfix.summary or hotfix.component}"

    def _pull_body(self, hotfix: Hotfix) -> str:
        lines = [
            f"Hot-fix **{hotfix.ticket}** for `{hotfix.component}` in **{hotfix.environment}**.",
            "",
        ]
        if hotfix.summary:
            lines += [hotfix.summary, ""]
        if hotfix.pin is not None:
            lines += [
                f"Changes `{hotfix.pin.path}`: {hotfix.pin.field.value} `{hotfix.pin.old}` → `{hotfix.pin.new}`.",
                "",
            ]
        lines += [
            f"- Base: `{hotfix.base_branch}` at {hotfix.base_sha}",
            f"- Rolls out to: {', '.join(hotfix.rollout_environments) or hotfix.environment} (within about 10 minutes of merging)",
            f"- Started by {hotfix.started_by} in Slack channel {hotfix.channel_id or '(none)'}",
        ]
        link = self.threads.link(hotfix)
        if link:
            lines.append(f"- Incident thread: {link}")
        return "\n".join(lines)

    # -- back-merge -------------------------------------------------------------------------------

    def promote(self, ticket: str, actor: Actor) -> Outcome:
        self.authorize(actor)
        hotfix = self._one(ticket)
        try:
            return self._promote(hotfix, actor)
        except OUTSIDE_FAILURES as error:
            raise _unfinished(
                error,
                "No back-merge pull request was opened; "
                f"run `/hotfix promote {hotfix.ticket}` again to open it.",
            ) from error

    def _promote(self, hotfix: Hotfix, actor: Actor) -> Outcome:
        hotfix = self.refresh(hotfix)
        if not hotfix.needs_backmerge:
            return Outcome(
                f"{hotfix.ticket} changes a pin on `{hotfix.base_branch}`; it needs no back-merge.", hotfix
            )
        if hotfix.stage in (Stage.STARTING, Stage.BRANCHED, Stage.PR_OPEN):
            raise UsageError(
                f"{hotfix.ticket} is not merged into `{hotfix.base_branch}` yet ({_stage_words(hotfix)}); "
                "promote it to main once it is."
            )
        if hotfix.stage is Stage.DONE:
            return Outcome(
                f"{hotfix.ticket} is already back-merged into `{self.policy.main_branch}`.", hotfix
            )
        main = self.policy.main_branch
        comparison = self.forge.compare(hotfix.repository, main, hotfix.base_branch)
        if comparison.ahead_by == 0:
            hotfix = self._advance(hotfix, Stage.DONE)
            self._announce(
                hotfix,
                "done",
                f"`{main}` already has everything in `{hotfix.base_branch}`: hot-fix complete. :white_check_mark:",
            )
            self._audit(actor, "promote", hotfix, "ok", "nothing to back-merge")
            return Outcome(
                f"`{main}` already has every commit of `{hotfix.base_branch}`; {hotfix.ticket} is complete.",
                hotfix,
            )
        pull = self.forge.open_pull(
            hotfix.repository,
            hotfix.base_branch,
            main,
            f"Back-merge {hotfix.base_branch} into {main} ({hotfix.ticket})",
            f"Carries hot-fix {hotfix.ticket} forward so the next release keeps it.\n\n"
            f"`{hotfix.base_branch}` has {comparison.ahead_by} commit(s) that `{main}` lacks.",
        )
        if hotfix.stage is Stage.MERGED:
            hotfix = self._advance(
                hotfix, Stage.BACKMERGE_OPEN, backmerge=PullRequestRef(pull.number, pull.url)
            )
        mergeability = _mergeability(pull)
        self._announce(
            hotfix,
            f"backmerge:{pull.number}",
            f"Back-merge pull request <{pull.url}|#{pull.number}> into `{main}` is open; {mergeability}.",
        )
        self._audit(actor, "promote", hotfix, "ok", f"#{pull.number}")
        return Outcome(
            f"Back-merge pull request: {pull.url} ({mergeability}).", hotfix, self.threads.link(hotfix)
        )

    # -- cancel and status ---------------------------------------------------------------------------

    def cancel(self, ticket: str, actor: Actor) -> Outcome:
        self.authorize(actor)
        hotfix = self._one(ticket)
        hotfix = self._advance(hotfix, Stage.CANCELLED)
        self._announce(
            hotfix,
            "cancelled",
            f"Cancelled by <@{actor.user_id}>: the bot stops tracking {hotfix.ticket}. "
            f"Nothing was deleted; `{hotfix.branch}` and any pull request stay as they are.",
        )
        self._audit(actor, "cancel", hotfix, "ok")
        return Outcome(f"{hotfix.ticket} is no longer tracked; nothing was deleted.", hotfix)

    def status(self, ticket: str | None = None) -> list[Hotfix]:
        """Active hot-fixes (or every hot-fix with that ticket), brought up to date with GitHub."""
        hotfixes = self.store.find(ticket, active_only=False) if ticket else self.store.active()
        if ticket and not hotfixes:
            raise NotFound(f"No hot-fix has the ticket {ticket}. `/hotfix status` lists the active ones.")
        if not ticket:
            return [self._refreshed_or_stored(h) for h in hotfixes]  # one failure must not hide the list
        try:
            return [self.refresh(h) for h in hotfixes]
        except OUTSIDE_FAILURES as error:
            raise _unfinished(error, "Nothing was changed; ask again for the latest.") from error

    def _refreshed_or_stored(self, hotfix: Hotfix) -> Hotfix:
        try:
            return self.refresh(hotfix)
        except OUTSIDE_FAILURES:
            log.warning("could not refresh %s; showing its stored state", hotfix.ticket, exc_info=True)
            return hotfix

    # -- following GitHub -------------------------------------------------------------------------

    def refresh(self, hotfix: Hotfix) -> Hotfix:
        """Bring one hot-fix up to date with GitHub, announcing each change once."""
        if hotfix.stage is Stage.BRANCHED:
            hotfix = self._follow_branch(hotfix)
        if hotfix.stage is Stage.PR_OPEN and hotfix.pull is not None:
            hotfix = self._follow_pull(hotfix)
        if hotfix.stage is Stage.BACKMERGE_OPEN and hotfix.backmerge is not None:
            hotfix = self._follow_backmerge(hotfix)
        return hotfix

    def _follow_branch(self, hotfix: Hotfix) -> Hotfix:
        try:
            comparison = self.forge.compare(hotfix.repository, hotfix.base_branch, hotfix.branch)
        except NotFound:
            if not self._branch_deleted(hotfix):
                raise  # the base branch or the repository is what is missing
            return self._stop_following_deleted(hotfix)
        # Opened on its own once the branch has commits, unless someone closed one: then only
        # when asked (`/hotfix pr`), as the thread was told.
        if comparison.ahead_by > 0 and self.state.get_state(_closed_key(hotfix)) is None:
            hotfix = self._try_open_pull(hotfix, quiet=True)
        return hotfix

    def _branch_deleted(self, hotfix: Hotfix) -> bool:
        """The hot-fix branch is gone while its base is still there (not a repository gone from view)."""
        self.forge.branch_head(hotfix.repository, hotfix.base_branch)  # NotFound: not a deletion
        try:
            self.forge.branch_head(hotfix.repository, hotfix.branch)
        except NotFound:
            return True
        return False

    def _stop_following_deleted(self, hotfix: Hotfix, closed: int | None = None) -> Hotfix:
        """Someone deleted the hot-fix branch: say so once and stop following it (nothing to do)."""
        hotfix = self._advance(hotfix, Stage.CANCELLED)
        closing = f" and pull request #{closed} closed" if closed is not None else ""
        self._announce(
            hotfix,
            "branch-deleted",
            f"`{hotfix.branch}` was deleted from `{hotfix.repository}`{closing}, so the bot stops "
            f"following {hotfix.ticket}. If the fix is still needed, start again with `/hotfix`.",
        )
        self.store.audit(
            AuditEntry(
                actor="slackbot",
                action="cancel",
                ticket=hotfix.ticket,
                result="ok",
                detail=f"{hotfix.branch} was deleted",
                at=self.clock(),
                hotfix_id=hotfix.id,
            )
        )
        return hotfix

    def _follow_pull(self, hotfix: Hotfix) -> Hotfix:
        assert hotfix.pull is not None
        pull = self.forge.pull(hotfix.repository, hotfix.pull.number)
        if pull.merged:
            final = Stage.DONE if not hotfix.needs_backmerge else Stage.MERGED
            hotfix = self._advance(
                hotfix, final, merge_sha=pull.merge_sha, merged_at=pull.merged_at or self.clock()
            )
            sha = (pull.merge_sha or "")[:7]
            text = (
                f"Merged into `{hotfix.base_branch}` as `{sha}`. "
                + _rollout_sentence(hotfix, "It", rolling=True)
                + (
                    f" Next: `/hotfix promote {hotfix.ticket}` to back-merge into `{self.policy.main_branch}`."
                    if hotfix.needs_backmerge
                    else " A pin needs no back-merge: done. :white_check_mark:"
                )
            )
            self._announce(hotfix, "merged", text)
        elif pull.state == "closed":
            if self._branch_deleted(hotfix):  # as GitHub closes a pull request whose branch is deleted
                return self._stop_following_deleted(hotfix, closed=pull.number)
            # Closed without merging: back to waiting for a new pull request, opened when asked.
            self.state.put_state(_closed_key(hotfix), str(pull.number))
            hotfix = self._save(replace(hotfix, stage=Stage.BRANCHED, pull=None))
            self._announce(
                hotfix,
                f"closed:{pull.number}",
                f"Pull request #{pull.number} was closed without merging. `/hotfix pr {hotfix.ticket}` opens a new one.",
            )
        return hotfix

    def _follow_backmerge(self, hotfix: Hotfix) -> Hotfix:
        assert hotfix.backmerge is not None
        pull = self.forge.pull(hotfix.repository, hotfix.backmerge.number)
        if pull.merged:
            hotfix = self._advance(hotfix, Stage.DONE)
            self._announce(
                hotfix,
                "done",
                f"Back-merged into `{self.policy.main_branch}`: hot-fix complete. :white_check_mark:",
            )
        elif pull.state == "closed":
            hotfix = self._save(replace(hotfix, stage=Stage.MERGED, backmerge=None))
            self._announce(
                hotfix,
                f"backmerge-closed:{pull.number}",
                f"Back-merge pull request #{pull.number} was closed without merging; "
                f"`{self.policy.main_branch}` still lacks the fix. `/hotfix promote {hotfix.ticket}` opens a new one.",
            )
        return hotfix

    # -- helpers -------------------------------------------------------------------------------------

    def _one(self, ticket: str) -> Hotfix:
        ticket = validate_ticket(ticket, self.policy.ticket_pattern)
        found = self.store.find(ticket)
        if not found:
            done = self.store.find(ticket, active_only=False)
            if done:
                raise UsageError(f"{ticket} is {done[0].stage.value}; nothing more to do.")
            raise NotFound(f"No active hot-fix has the ticket {ticket}. `/hotfix status` lists them.")
        if len(found) > 1:
            where = ", ".join(h.component for h in found)
            raise UsageError(
                f"{ticket} has several active hot-fixes ({where}); finish them one at a time in their threads."
            )
        return found[0]

    def _advance(self, hotfix: Hotfix, stage: Stage, **changes: object) -> Hotfix:
        if hotfix.stage is stage and not changes:
            return hotfix
        return self._save(hotfix.moved_to(stage, **changes))

    def _save(self, hotfix: Hotfix, *, show: bool = True) -> Hotfix:
        """Store a change and show it on the thread's parent message (``show``)."""
        try:
            saved = self.store.save(hotfix)
        except StaleHotfix:
            # Someone (a click, another copy of the bot) moved it first; their state is as good.
            assert hotfix.id is not None
            current = self.store.get(hotfix.id)
            if current is None:
                raise
            return current
        if show and saved.thread_ts:
            try:
                self.threads.update_thread(saved, self.links(saved))
            except BotError:  # the step is done and stored; the next change redraws the message
                log.warning("could not update the thread of %s", saved.ticket, exc_info=True)
        return saved

    def _ensure_thread(self, hotfix: Hotfix, *, unfinished: str) -> Hotfix:
        """Exactly one thread per hot-fix, even when two requests get here at once.

        ``unfinished`` says what is done and what to do when Slack refuses the thread."""
        if hotfix.thread_ts or not hotfix.channel_id or hotfix.id is None:
            return hotfix  # started from a terminal without a channel: no thread
        key, now = f"thread:{hotfix.id}", self.clock()
        claim = self.state.get_state(key)
        lapsed = claim is not None and _claim_lapsed(claim, now)
        mine = now.isoformat()
        if not self.state.put_state_if(key, mine, expected=claim if lapsed else None):
            return self._wait_for_thread(hotfix)  # the other request is posting it
        try:
            ts = self.threads.open_thread(hotfix, self.links(hotfix))  # finds one posted before a crash
        except BaseException as error:
            self.state.put_state_if(key, RELEASED, expected=mine)  # the next attempt may post it
            if isinstance(error, OUTSIDE_FAILURES):
                raise _unfinished(error, unfinished) from error
            raise
        return self._keep_thread(hotfix, ts)

    def _keep_thread(self, hotfix: Hotfix, ts: str) -> Hotfix:
        """Record the thread, on top of whatever others stored meanwhile (it must not be lost)."""
        assert hotfix.id is not None
        current: Hotfix | None = hotfix
        while current is not None and not current.thread_ts:
            try:
                return self.store.save(replace(current, thread_ts=ts))
            except StaleHotfix:
                current = self.store.get(hotfix.id)
        return current or hotfix

    def _wait_for_thread(self, hotfix: Hotfix) -> Hotfix:
        assert hotfix.id is not None
        deadline = time.monotonic() + THREAD_CLAIM_TTL.total_seconds() / 6
        while time.monotonic() < deadline:
            current = self.store.get(hotfix.id)
            if current is not None and current.thread_ts:
                return current
            time.sleep(0.1)
        return hotfix

    def _announce(self, hotfix: Hotfix, event: str, text: str) -> bool:
        """Reply in the thread once per (hot-fix, event), whichever copy of the bot gets there first."""
        if hotfix.id is None or not hotfix.thread_ts:
            return False
        key, claim = f"announced:{hotfix.id}:{event}", self.clock().isoformat()
        # A released claim is "": the last attempt could not post, so this one may.
        if not (
            self.state.put_state_if(key, claim, expected=None)
            or self.state.put_state_if(key, claim, expected="")
        ):
            return False
        try:
            self.threads.reply(hotfix, text)
        except BotError:
            log.warning("could not announce %s for %s; will try again", event, hotfix.ticket, exc_info=True)
            self.state.put_state_if(key, "", expected=claim)  # release it for the next run
            return False
        return True

    announce = _announce  # the follow-up jobs announce through the same once-only claim

    # -- roll-outs, as the follow-up jobs record them ------------------------------------------------

    # -- snoozing back-merge reminders ---------------------------------------------------------------

    def snooze(self, key: str, duration: timedelta, actor: Actor) -> Outcome:
        """Quiet the reminders about ``key`` (``hotfix:TICKET`` or ``branch:REPO:BRANCH``) for a while."""
        self.authorize_person(actor)
        if key.startswith("hotfix:"):
            hotfix = self._one(key.removeprefix("hotfix:"))
            key = f"hotfix:{hotfix.ticket}"
        until = self.clock() + duration
        self.state.put_state(f"snooze:{key}", until.isoformat())
        self.store.audit(
            AuditEntry(
                actor=actor.name,
                action="snooze",
                ticket=key,
                result="ok",
                detail=until.isoformat(),
                at=self.clock(),
            )
        )
        return Outcome(
            f"Back-merge reminders for {key.split(':', 1)[1]} are snoozed until {until:%a %d %b %H:%M} UTC."
        )

    def snoozed(self, key: str) -> bool:
        until = self.state.get_state(f"snooze:{key}")
        return bool(until) and datetime.fromisoformat(until or "") > self.clock()

    def rollout_state(self, hotfix: Hotfix, environment: str) -> RolloutState | None:
        value = self.state.get_state(f"rollout:{hotfix.id}:{environment}")
        return RolloutState(value) if value else None

    def record_rollout(self, hotfix: Hotfix, environment: str, state: RolloutState) -> None:
        """Remember an environment's roll-out state; the thread's parent message shows it."""
        key = f"rollout:{hotfix.id}:{environment}"
        old = self.state.get_state(key)
        if old == state.value:
            return
        if self.state.put_state_if(key, state.value, expected=old) and hotfix.thread_ts:
            try:
                self.threads.update_thread(hotfix, self.links(hotfix))
            except BotError:
                log.warning("could not update the thread of %s", hotfix.ticket, exc_info=True)

    def rollouts_settled(self, hotfix: Hotfix) -> bool:
        """Every environment confirmed (or impossible to confirm): nothing left to watch."""
        settled = {RolloutState.ROLLED_OUT, RolloutState.UNKNOWN}
        return all(self.rollout_state(hotfix, env) in settled for env in hotfix.rollout_environments)

    def mark_backmerged(self, hotfix: Hotfix) -> Hotfix:
        """Main got the base branch's commits some other way (a back-merge by hand)."""
        hotfix = self._advance(hotfix, Stage.DONE)
        self._announce(
            hotfix,
            "done",
            f"`{self.policy.main_branch}` now has everything in `{hotfix.base_branch}`: hot-fix complete. :white_check_mark:",
        )
        return hotfix

    def _audit(self, actor: Actor, action: str, hotfix: Hotfix, result: str, detail: str = "") -> None:
        self.store.audit(
            AuditEntry(
                actor=actor.name,
                action=action,
                ticket=hotfix.ticket,
                result=result,
                detail=detail,
                at=self.clock(),
                hotfix_id=hotfix.id,
            )
        )

    def audit_failure(self, actor: Actor, action: str, ticket: str, error: Exception) -> None:
        """Record a refused or failed action (called by the Slack layer and the CLI)."""
        kind = "refused" if isinstance(error, BotError) else "failed"
        self.store.audit(
            AuditEntry(
                actor=actor.name, action=action, ticket=ticket, result=f"{kind}: {error}", at=self.clock()
            )
        )

    def links(self, hotfix: Hotfix) -> Mapping[str, str]:
        links = {
            "repository": self.forge.web_url(hotfix.repository),
            "base": self.forge.web_url(hotfix.repository, branch=hotfix.base_branch),
            "branch": self.forge.web_url(hotfix.repository, branch=hotfix.branch),
            "compare": self.forge.web_url(hotfix.repository, compare=(hotfix.base_branch, hotfix.branch)),
        }
        if hotfix.base_sha:
            links["base_commit"] = self.forge.web_url(hotfix.repository, commit=hotfix.base_sha)
        if hotfix.pull:
            links["pull"] = hotfix.pull.url
        if hotfix.merge_sha:
            links["merge_commit"] = self.forge.web_url(hotfix.repository, commit=hotfix.merge_sha)
        if hotfix.backmerge:
            links["backmerge"] = hotfix.backmerge.url
        if hotfix.merge_sha:  # the parent message shows each environment's roll-out
            for environment in hotfix.rollout_environments:
                state = self.rollout_state(hotfix, environment)
                links[f"rollout:{environment}"] = state.value if state else RolloutState.WAITING.value
        return links


def _stage_words(hotfix: Hotfix) -> str:
    return {
        Stage.STARTING: "starting",
        Stage.BRANCHED: "branch created, waiting for commits",
        Stage.PR_OPEN: f"pull request #{hotfix.pull.number if hotfix.pull else '?'} open",
        Stage.MERGED: f"merged into {hotfix.base_branch}, back-merge pending",
        Stage.BACKMERGE_OPEN: "back-merge pull request open",
        Stage.DONE: "complete",
        Stage.CANCELLED: "cancelled",
    }[hotfix.stage]


def _rollout_sentence(hotfix: Hotfix, subject: str, *, rolling: bool = False) -> str:
    environments = list(hotfix.rollout_environments) or [hotfix.environment]
    names = (
        environments[0]
        if len(environments) == 1
        else ", ".join(environments[:-1]) + " and " + environments[-1]
    )
    verb = "is rolling out to" if rolling else "rolls out to"
    return f"{subject} {verb} *{names}* within about 10 minutes."


def _mergeability(pull: PullInfo) -> str:
    if pull.mergeable is True:
        return "GitHub can merge it cleanly"
    if pull.mergeable is False:
        return "it has conflicts to resolve before it can merge"
    return "GitHub is still checking whether it merges cleanly"


def _unfinished(error: BotError, sentence: str) -> BotError:
    """The same kind of error, saying also what was and was not done and how to finish."""
    kind = next(k for k in OUTSIDE_FAILURES if isinstance(error, k))
    return kind(f"{error} {sentence}")


def _claim_lapsed(claim: str, now: datetime) -> bool:
    """A claim on posting a thread that another attempt may take over: given up, or left by a crash."""
    if claim == RELEASED:
        return True
    try:
        return now - datetime.fromisoformat(claim) > THREAD_CLAIM_TTL
    except ValueError:
        return True


def _closed_key(hotfix: Hotfix) -> str:
    """State key: the number of this hot-fix's last pull request closed without merging."""
    return f"closed-pull:{hotfix.id}"
