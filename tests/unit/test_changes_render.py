"""`/versions changes` as a person reads it, within Slack's limits, and its JSON document."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from slackbot.domain.pin_history import CORE_CHART_FIELD, Change, CommitChanges, HistoryCommit, PinChange
from slackbot.render.changes_blocks import changes_message, span_words
from slackbot.render.changes_document import changes_document
from slackbot.render.terminal import render_message
from slackbot.sandbox.slack_emulator.blockkit import check_message
from slackbot.services.pin_changes import ChangesAnswer
from tests.slack_contract import message_problems

NOW = datetime(2024, 11, 8, 12, 0, tzinfo=UTC)


def commit(n: int, *changes: PinChange, problems: tuple[str, ...] = ()) -> CommitChanges:
    sha = f"{n:040x}"
    return CommitChanges(
        commit=HistoryCommit(
            sha=sha,
            parents=(f"{n - 1:040x}",),
            author=f"Author <{n}> & co",
            date=NOW - timedelta(hours=n),
            message=f"Commit {n}: move things along\n\nWith a body.",
            url=f"https://github.test/core/commit/{sha}",
            paths=frozenset({"core/flux-config.yaml"}),
        ),
        changes=changes,
        problems=problems,
    )


def answer(*commits: CommitChanges, **overrides: object) -> ChangesAnswer:
    fields: dict[str, object] = {
        "environment": "prod",
        "repository": "lsc-sde/iac-flux-lscsde",
        "branch": "prod",
        "component": None,
        "since": NOW - timedelta(days=7),
        "span": timedelta(days=7),
        "commits": commits,
        "unchanged": 0,
        "more": False,
        "branch_url": "https://github.test/core/tree/prod",
    }
    return ChangesAnswer(**{**fields, **overrides})  # type: ignore[arg-type]


def test_each_commit_says_who_when_and_old_to_new() -> None:
    message = changes_message(
        answer(
            commit(
                1,
                PinChange("jupyter_hub", "branch", "release/0.2.104", "release/0.2.105"),
                PinChange("jupyter_hub", "image", "lscsde/jupyterhub:4.1.4", "lscsde/jupyterhub:4.1.5"),
                PinChange("superset", "branch", None, "release/0.1.16", Change.ADDED),
                PinChange("rabbitmq", None, None, None, Change.REMOVED),
                PinChange("lscsde-flux", CORE_CHART_FIELD, "0.1.96", "0.1.97"),
            ),
            unchanged=2,
        )
    )
    text = render_message(message.text, [b.to_dict() for b in message.blocks])
    assert text.splitlines()[0] == "PROD — PIN CHANGES IN THE LAST 7 DAYS"
    assert "*0000000 (https://github.test/core/commit/" + "0" * 39 + "1)*" in text
    assert "Commit 1: move things along — Author <1> & co, 2024-11-08 11:00 UTC" in text
    assert "With a body" not in text  # the title only
    assert (
        "• `jupyter_hub` branch `release/0.2.104` → `release/0.2.105`, image `lscsde/jupyterhub:4.1.4`"
        in text
    )
    assert "• `superset` added: branch `release/0.1.16`" in text
    assert "• `rabbitmq` removed" in text
    assert "• `lscsde-flux` core chart `0.1.96` → `0.1.97`" in text
    assert "2 more commits touched the core files without changing a pin." in text
    assert "&lt;1&gt; &amp; co" in message.text  # what git holds is escaped for Slack


def test_a_quiet_window_says_so_and_shows_what_came_before() -> None:
    earlier = commit(300, PinChange("keycloak", "chart_version", "2.4.0", "2.4.1"))
    message = changes_message(answer(earlier=(earlier,), component="keycloak"))
    text = render_message(message.text, [b.to_dict() for b in message.blocks])
    assert "No `keycloak` pin changed in prod in the last 7 days" in text
    assert "The latest changes before that:" in text
    assert "`keycloak` chart `2.4.0` → `2.4.1`" in text
    assert message.text.startswith(
        "keycloak in prod: no pin changed in the last 7 days; the latest change was"
    )


def test_more_than_was_read_is_said() -> None:
    message = changes_message(answer(commit(1, PinChange("a", "image", "x", "y")), more=True))
    assert "Only the newest commits of the window were read" in render_message(
        message.text, [b.to_dict() for b in message.blocks]
    )


def test_thirty_commits_of_forty_components_each_stay_within_slacks_limits() -> None:
    names = [f"component_{i:02d}_with_a_rather_long_name" for i in range(40)]
    commits = [
        commit(
            n,
            *(
                PinChange(
                    name,
                    "image",
                    f"registry.example.test/team/{name}:1.{n}.0",
                    f"registry.example.test/team/{name}:1.{n + 1}.0",
                )
                for name in names
            ),
            problems=("core/helm-config.yaml line 4: " + "x" * 500,),
        )
        for n in range(1, 31)
    ]
    message = changes_message(answer(*commits, more=True))
    blocks = [b.to_dict() for b in message.blocks]
    assert check_message(message.text, blocks) is None
    assert message_problems(message.as_kwargs()) == []
    text = render_message(message.text, blocks)
    assert "…and 33 more" in text  # 40 components and a problem: eight shown per commit
    assert "older commits: `slackbot versions changes prod --json` lists them all." in text


def test_the_json_document_keeps_its_shape() -> None:
    found = commit(1, PinChange("keda", "chart_version", "2.10", "2.11"), problems=("core/x.yaml: broken",))
    document = changes_document(answer(found, unchanged=1))
    assert json.loads(json.dumps(document)) == {
        "environment": "prod",
        "repository": "lsc-sde/iac-flux-lscsde",
        "branch": "prod",
        "component": None,
        "since": "2024-11-01T12:00:00+00:00",
        "commits": [
            {
                "sha": "0" * 39 + "1",
                "url": "https://github.test/core/commit/" + "0" * 39 + "1",
                "author": "Author <1> & co",
                "date": "2024-11-08T11:00:00+00:00",
                "message": "Commit 1: move things along\n\nWith a body.",
                "parents": ["0" * 40],
                "paths": ["core/flux-config.yaml"],
                "changes": [
                    {
                        "component": "keda",
                        "field": "chart_version",
                        "change": "changed",
                        "old": "2.10",
                        "new": "2.11",
                    }
                ],
                "problems": ["core/x.yaml: broken"],
            }
        ],
        "unchanged_commits": 1,
        "more": False,
        "earlier": [],
    }


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(hours=12), "12 hours"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=7), "7 days"),
        (timedelta(weeks=2), "2 weeks"),
        (timedelta(days=90), "90 days"),
    ],
)
def test_the_window_is_worded_as_it_was_asked(span: timedelta, words: str) -> None:
    assert span_words(span) == words
