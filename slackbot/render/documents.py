"""The stable JSON documents of `slackbot … --json`: scripts rely on their keys, so keep them.

Values are the text written in the files (``"2.10"`` stays a string), ``null`` where nothing says.
"""

from __future__ import annotations

from typing import Any

from slackbot.domain.environment_diff import PIN_FIELDS, EnvironmentDiff, Whereabouts, pin
from slackbot.domain.hotfix import Hotfix
from slackbot.domain.versions import ComponentReport, ComponentVersions, EnvironmentVersions

__all__ = ["component_document", "diff_document", "hotfix_document", "versions_document", "where_document"]


def _component_json(c: ComponentVersions) -> dict[str, Any]:
    return {
        "name": c.name,
        "repository": c.repository,
        "branch": c.branch,
        "chart_version": c.chart_version,
        "image": c.image,
        "extra": dict(c.extra),
    }


def versions_document(
    env: EnvironmentVersions, components: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """`slackbot versions ENV --json`."""
    return {
        "environment": env.environment,
        "repository": env.repository,
        "branch": env.branch,
        "commit": env.commit,
        "layout": env.layout.value,
        "components": components if components is not None else [_component_json(c) for c in env.components],
        "core_charts": [{"name": c.name, "chart": c.chart, "version": c.version} for c in env.core_charts],
        "problems": [str(p) for p in env.problems],
    }


def component_document(report: ComponentReport) -> dict[str, Any]:
    """`slackbot versions ENV COMPONENT --json`: the environment's document with one component,
    its branch's head and the environments sharing the branch."""
    detail = _component_json(report.component)
    head = report.release_head
    detail["branch_head"] = head.sha if head else None
    detail["shared_with"] = list(report.shared_with)
    return versions_document(report.environment, [detail])


def _pins_json(c: ComponentVersions) -> dict[str, str | None]:
    return {field: pin(c, field) for field in PIN_FIELDS}


def diff_document(diff: EnvironmentDiff) -> dict[str, Any]:
    """`slackbot versions diff LEFT RIGHT --json`. ``apart`` compares the left environment's flux
    branch with the right's: ``ahead_by`` commits the left's has that the right's lacks,
    ``behind_by`` the reverse; null when the branches are the same, of unknown repositories, or
    could not be compared."""
    left, right = diff.left.environment, diff.right.environment
    return {
        "environments": [left, right],
        "components": [
            {
                "name": d.name,
                "fields": list(d.fields),
                left: _pins_json(d.left),
                right: _pins_json(d.right),
                "apart": (
                    {"ahead_by": d.apart.ahead_by, "behind_by": d.apart.behind_by} if d.apart else None
                ),
            }
            for d in diff.differences
        ],
        "same": list(diff.same),
        "only": {left: list(diff.only_left), right: list(diff.only_right)},
    }


def where_document(whereabouts: Whereabouts) -> dict[str, Any]:
    """`slackbot versions where COMPONENT --json`; ``commit`` is the head of the environment's
    branch of the core repository, where the pins were read."""
    return {
        "component": whereabouts.component,
        "environments": [
            {"environment": p.environment, **_pins_json(p.component), "commit": p.commit}
            for p in whereabouts.placements
        ],
        "not_deployed": list(whereabouts.not_deployed),
    }


def hotfix_document(hotfix: Hotfix) -> dict[str, Any]:
    """`slackbot hotfix status --json`, one hot-fix."""
    return {
        "ticket": hotfix.ticket,
        "kind": hotfix.kind.value,
        "stage": hotfix.stage.value,
        "environment": hotfix.environment,
        "component": hotfix.component,
        "repository": hotfix.repository,
        "base_branch": hotfix.base_branch,
        "base_sha": hotfix.base_sha,
        "branch": hotfix.branch,
        "pull_request": hotfix.pull.url if hotfix.pull else None,
        "merge_sha": hotfix.merge_sha,
        "backmerge_pull_request": hotfix.backmerge.url if hotfix.backmerge else None,
        "rollout_environments": list(hotfix.rollout_environments),
        "pin": (
            {
                "field": hotfix.pin.field.value,
                "path": hotfix.pin.path,
                "old": hotfix.pin.old,
                "new": hotfix.pin.new,
            }
            if hotfix.pin
            else None
        ),
        # Every pin changed, ``pin`` (the first) included: [] for a branch hot-fix.
        "pins": [
            {"field": change.field.value, "path": change.path, "old": change.old, "new": change.new}
            for change in hotfix.pins
        ],
        "started_by": hotfix.started_by,
        "channel": hotfix.channel_id or None,
        "created_at": hotfix.created_at.isoformat() if hotfix.created_at else None,
        "updated_at": hotfix.updated_at.isoformat() if hotfix.updated_at else None,
    }
