"""A hot-fix and the stages it moves through. Pure: no I/O, no Slack, no GitHub, no database.

Two shapes share one lifecycle:

- a *branch* hot-fix: ``hotfix/TICKET`` is cut from the branch an environment pins (a component's
  release branch, or for the core repository the environment branch itself), pull-requested back
  into it, and once merged that base branch is back-merged into ``main``;
- a *pin* hot-fix: one value in a core file on an environment branch (chart version, image or
  flux branch) — or several of one component's, at most one per field — is changed through one pull
  request. Environment branches differ from ``main`` on purpose, so a pin needs no back-merge.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    COMPONENT = "component"  # a component's release branch
    CORE = "core"  # the core flux repository's environment branch
    PIN = "pin"  # version pins in core files (one component's; one per field)


class Stage(StrEnum):
    STARTING = "starting"  # recorded, branch not confirmed yet (a crash here is finished by a retry)
    BRANCHED = "branched"  # hotfix branch exists; waiting for commits
    PR_OPEN = "pr_open"  # pull request into the base branch is open
    MERGED = "merged"  # merged into the base branch: rolling out
    BACKMERGE_OPEN = "backmerge_open"  # pull request from the base branch into main is open
    DONE = "done"  # back-merged (or, for a pin, merged)
    CANCELLED = "cancelled"  # no longer tracked; nothing was deleted

    @property
    def is_active(self) -> bool:
        return self not in {Stage.DONE, Stage.CANCELLED}


# The order stages are shown in, and the only forward moves the lifecycle allows.
STAGE_ORDER = (
    Stage.STARTING,
    Stage.BRANCHED,
    Stage.PR_OPEN,
    Stage.MERGED,
    Stage.BACKMERGE_OPEN,
    Stage.DONE,
)


class PinField(StrEnum):
    CHART = "chart"  # components.<name>.chart_version in the helm file
    IMAGE = "image"  # components.<name>.image in the image file
    BRANCH = "branch"  # components.<name>.repository.branch in the flux file


@dataclass(frozen=True)
class PinChange:
    """Change one pinned value in one core file."""

    field: PinField
    path: str  # the core file, e.g. core/helm-config.yaml
    old: str | None
    new: str


@dataclass(frozen=True)
class PullRequestRef:
    number: int
    url: str


@dataclass(frozen=True)
class Hotfix:
    """One hot-fix as the bot tracks it. GitHub stays the source of truth for branches and pulls;
    this records what git cannot: who, where in Slack, and what the bot has already announced."""

    ticket: str
    kind: Kind
    environment: str
    component: str  # "core" for core-repository hot-fixes
    repository: str
    base_branch: str  # where hotfix/TICKET was cut and where its pull request goes
    branch: str  # hotfix/TICKET
    started_by: str  # Slack user id (or "cli:<user>")
    channel_id: str
    summary: str = ""
    base_sha: str | None = None
    stage: Stage = Stage.STARTING
    thread_ts: str | None = None
    pull: PullRequestRef | None = None
    merge_sha: str | None = None
    merged_at: datetime | None = None
    backmerge: PullRequestRef | None = None
    rollout_environments: tuple[str, ...] = ()
    pin: PinChange | None = None  # the first (often only) pin of a pin hot-fix
    more_pins: tuple[PinChange, ...] = ()  # the others: branch, chart and image of one component
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.more_pins and self.pin is None:
            raise ValueError("a hot-fix with more pins needs its first one in `pin`")
        fields = [pin.field.value for pin in self.pins]
        if len(set(fields)) != len(fields):  # the component's branch, chart and image: once each
            raise ValueError(f"a pin hot-fix changes each field at most once, not {fields}")

    @property
    def pins(self) -> tuple[PinChange, ...]:
        """Every pin a pin hot-fix changes, the first one (``pin``) first; () for a branch hot-fix."""
        return () if self.pin is None else (self.pin, *self.more_pins)

    def with_pins(self, pins: tuple[PinChange, ...]) -> Hotfix:
        """This hot-fix changing ``pins`` (one at least, at most one per field)."""
        return replace(self, pin=pins[0] if pins else None, more_pins=pins[1:])

    @property
    def needs_backmerge(self) -> bool:
        return self.kind is not Kind.PIN

    def moved_to(self, stage: Stage, **changes: object) -> Hotfix:
        """This hot-fix at a later stage (never backwards; cancelling is always allowed)."""
        if stage is not Stage.CANCELLED and _rank(stage) < _rank(self.stage):
            raise ValueError(f"a hot-fix cannot go back from {self.stage} to {stage}")
        return replace(self, stage=stage, **changes)  # type: ignore[arg-type]

    # -- the named steps of the lifecycle ----------------------------------------------------------

    def branched(self) -> Hotfix:
        return self.moved_to(Stage.BRANCHED)

    def pull_opened(self, pull: PullRequestRef) -> Hotfix:
        return self.moved_to(Stage.PR_OPEN, pull=pull)

    def merged(self, merge_sha: str | None, merged_at: datetime) -> Hotfix:
        """Merged into its base: rolling out; a pin needs no back-merge, so it is done."""
        final = Stage.MERGED if self.needs_backmerge else Stage.DONE
        return self.moved_to(final, merge_sha=merge_sha, merged_at=merged_at)

    def pull_closed(self) -> Hotfix:
        """Its pull request was closed without merging: back to waiting for a new one."""
        if self.stage is not Stage.PR_OPEN:
            raise ValueError(f"a hot-fix at {self.stage} has no open pull request to close")
        return replace(self, stage=Stage.BRANCHED, pull=None)

    def backmerge_opened(self, backmerge: PullRequestRef) -> Hotfix:
        return self.moved_to(Stage.BACKMERGE_OPEN, backmerge=backmerge)

    def backmerge_closed(self) -> Hotfix:
        """Its back-merge pull request was closed without merging: main still lacks the fix."""
        if self.stage is not Stage.BACKMERGE_OPEN:
            raise ValueError(f"a hot-fix at {self.stage} has no open back-merge to close")
        return replace(self, stage=Stage.MERGED, backmerge=None)

    def completed(self) -> Hotfix:
        return self.moved_to(Stage.DONE)

    def cancelled(self) -> Hotfix:
        return self.moved_to(Stage.CANCELLED)

    def steps(self) -> list[tuple[Stage, StepState]]:
        """The lifecycle at a glance: each step this kind of hot-fix goes through, and how far it is."""
        if self.stage is Stage.CANCELLED:
            return []
        steps = LIFECYCLE if self.needs_backmerge else LIFECYCLE[:3]
        reached = _rank(self.stage if self.needs_backmerge or self.stage is not Stage.DONE else Stage.MERGED)
        return [
            (
                step,
                StepState.DONE
                if _rank(step) <= reached
                else StepState.CURRENT
                if _rank(step) == reached + 1
                else StepState.TODO,
            )
            for step in steps
        ]


class StepState(StrEnum):
    DONE = "done"
    CURRENT = "current"  # the step the hot-fix waits for now
    TODO = "todo"


# The steps a person sees, in order (``starting`` is only the bot's own bookkeeping).
LIFECYCLE = STAGE_ORDER[1:]


def _rank(stage: Stage) -> int:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)


@dataclass(frozen=True)
class AuditEntry:
    """Who did what to which hot-fix, when, and how it ended."""

    actor: str
    action: str
    ticket: str
    result: str  # "ok", "refused: …", "failed: …"
    detail: str = ""
    at: datetime | None = None
    hotfix_id: int | None = None


class DuplicateHotfix(Exception):
    """An active hot-fix already has this ticket in this repository."""

    def __init__(self, existing: Hotfix) -> None:
        super().__init__(f"{existing.ticket} is already an active hot-fix of {existing.repository}")
        self.existing = existing


class StaleHotfix(Exception):
    """A hot-fix was saved by someone else since it was read; read it again and retry."""
