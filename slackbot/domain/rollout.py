"""Has Flux applied a commit in an environment? Pure judgement over what a probe observed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class FluxObservation:
    """What one cluster's Flux objects (or commit statuses) say about one component."""

    # The commits: for an OCIRepository, Bucket or ExternalArtifact source, what the artifact was built
    # from (its origin revision), not the artifact's digest.
    source_revision: str | None  # the source's .status.artifact.revision, sha only
    applied_revision: str | None  # Kustomization .status.lastAppliedRevision, sha only
    ready: bool | None  # the Kustomization's Ready condition (None: unknown or reconciling)
    reason: str = ""  # ReconciliationSucceeded, BuildFailed, HealthCheckFailed, …
    message: str = ""
    api_version: str = ""  # which Flux API version answered (v1, v1beta2) or "commit-status"
    attempted_revision: str | None = None  # Kustomization .status.lastAttemptedRevision, sha only


def revision_sha(revision: str | None) -> str | None:
    """``release/0.2.105@sha1:<sha>`` (Flux v2) or ``release/0.2.105/<sha>`` (older) → ``<sha>``."""
    if not revision:
        return None
    if "@sha1:" in revision:
        return revision.rsplit("@sha1:", 1)[1]
    if "@sha256:" in revision:
        return revision.rsplit("@sha256:", 1)[1]
    tail = revision.rsplit("/", 1)[-1]
    return tail if len(tail) >= 7 and all(c in "0123456789abcdef" for c in tail) else None


class Verdict(StrEnum):
    WAITING = "waiting"  # not applied yet, still within the deadline
    ROLLED_OUT = "rolled_out"  # the commit (or a later one containing it) is applied and Ready
    FAILED = "failed"  # applied or attempted, and Ready=False: say why
    LATE = "late"  # the deadline passed without the commit being applied


def judge(
    observation: FluxObservation,
    *,
    contains_commit: bool,
    merged_at: datetime,
    now: datetime,
    deadline: timedelta,
    attempt_contains_commit: bool = False,
) -> Verdict:
    """``contains_commit``: the applied revision is the merge commit or a descendant of it;
    ``attempt_contains_commit``: the same for the revision Flux last tried (and may have failed)."""
    if contains_commit and observation.ready is True:
        return Verdict.ROLLED_OUT
    if observation.ready is False and (contains_commit or attempt_contains_commit):
        return Verdict.FAILED
    if now - merged_at > deadline:
        return Verdict.LATE
    return Verdict.WAITING


def describe_duration(delta: timedelta) -> str:
    """4m12s, 1h03m, 35s."""
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{seconds:02d}s"
    return f"{seconds}s"


@dataclass(frozen=True)
class ClusterView:
    """What a cluster runs for one component, next to what its branch says it should."""

    source: str  # how it was read: "the prod cluster", "Flux's commit statuses on GitHub"
    applied: str | None = None  # the applied commit
    ready: bool | None = None
    reason: str = ""
    message: str = ""
    branch_head: str | None = None
    problem: str | None = None  # why nothing could be read

    @property
    def behind(self) -> bool:
        """The cluster runs something other than the head of the pinned branch (yet)."""
        return bool(self.applied and self.branch_head and not self.branch_head.startswith(self.applied[:7]))
