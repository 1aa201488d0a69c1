"""Roll-outs read from the commit statuses Flux's notification-controller posts on GitHub.

Flux posts ``kustomization/<name>/<id>`` statuses on the commit it applied; this probe finds the
one for a component's Kustomization on the branch head or on the merge commit.
"""

from __future__ import annotations

from datetime import datetime

from slackbot.domain.followup import RolloutTarget
from slackbot.domain.forge import CommitStatus
from slackbot.domain.rollout import FluxObservation
from slackbot.services.ports import Forge


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

    def close(self) -> None:
        return None  # the forge is closed by its owner
