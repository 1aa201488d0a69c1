"""The JSON document of `slackbot versions changes ENV [COMPONENT] --json`: stable, for scripts.

Documented in the README; add keys, never rename or remove them.
"""

from __future__ import annotations

from typing import Any

from slackbot.domain.pin_history import CommitChanges
from slackbot.services.pin_changes import ChangesAnswer


def changes_document(answer: ChangesAnswer) -> dict[str, Any]:
    return {
        "environment": answer.environment,
        "repository": answer.repository,
        "branch": answer.branch,
        "component": answer.component,
        "since": answer.since.isoformat(),
        "commits": [_commit(found) for found in answer.commits],
        "unchanged_commits": answer.unchanged,
        "more": answer.more,
        "earlier": [_commit(found) for found in answer.earlier],
    }


def _commit(found: CommitChanges) -> dict[str, Any]:
    commit = found.commit
    return {
        "sha": commit.sha,
        "url": commit.url,
        "author": commit.author,
        "date": commit.date.isoformat(),
        "message": commit.message,
        "parents": list(commit.parents),
        "paths": sorted(commit.paths),
        "changes": [
            {
                "component": change.component,
                "field": change.field,
                "change": change.change.value,
                "old": change.old,
                "new": change.new,
            }
            for change in found.changes
        ],
        "problems": list(found.problems),
    }
