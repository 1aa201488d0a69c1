"""What a person's `/versions ENV COMPONENT` costs on GitHub: the blast radius reads every
environment, yet a freshly started bot answers in two round trips (one GraphQL query for every
environment's head and files beside the listing of heads, then the release branch's head), and
asking again when nothing changed is two free 304s. When GraphQL does not answer, the answer is the
same, through REST."""

from __future__ import annotations

from collections.abc import Sequence

from slackbot.sandbox.github_emulator import RequestRecord
from slackbot.sandbox.harness import Sandbox
from slackbot.sandbox.world import commit_file
from tests.scenario.helpers import CORE, JUPYTER, RELEASE

QUESTION = "/versions prod jupyter_hub"


def round_trips(records: Sequence[RequestRecord]) -> int:
    """The longest chain of requests each starting after the one before it answered."""
    ordered = sorted(records, key=lambda r: r.finished)
    depth: list[int] = []
    for n, record in enumerate(ordered):
        depth.append(
            1 + max((depth[k] for k in range(n) if ordered[k].finished <= record.started), default=0)
        )
    return max(depth, default=0)


def asked(box: Sandbox) -> list[tuple[str, str, int]]:
    return sorted((r.method, r.path, r.status) for r in box.github.requests)


def test_a_fresh_bot_answers_the_blast_radius_in_two_round_trips_and_then_for_free(box: Sandbox) -> None:
    box.github.delay = 0.05
    box.restart_bot()
    box.github.clear_log()

    first = box.ask(QUESTION).text

    assert "rolls out to *prod* and *stg*" in first
    assert asked(box) == sorted(
        [
            ("GET", f"/repos/{CORE}/git/matching-refs/heads", 200),
            ("POST", "/graphql", 200),
            ("GET", f"/repos/{JUPYTER}/branches/{RELEASE}", 200),
        ]
    )
    assert round_trips(box.github.requests) == 2
    assert box.github.graphql.points_used() == 1

    box.github.clear_log()
    again = box.ask(QUESTION).text

    assert again == first
    assert {status for _, _, status in asked(box)} == {304}
    assert len(box.github.requests) == 2
    assert round_trips(box.github.requests) == 1
    assert box.github.rate_limited_count() == 0


def test_a_pin_changed_on_one_environment_is_read_at_its_new_commit_only(box: Sandbox) -> None:
    box.ask(QUESTION)
    flux = box.world.repo(CORE).text("show", "stg:core/flux-config.yaml")
    commit_file(
        box.world.repo_dir(CORE),
        "stg",
        "core/flux-config.yaml",
        flux.replace(RELEASE, "release/0.2.106"),
        "stg moves on",
    )
    box.github.clear_log()

    text = box.ask(QUESTION).text

    assert "rolls out to *prod* and *stg*" not in text
    assert [r.path for r in box.github.requests if r.method == "POST"] == []
    contents = [r.path for r in box.github.requests if "/contents/" in r.path]
    assert len(contents) == 2  # stg's two branch-pinning files, at its new commit


def test_with_graphql_down_a_fresh_bot_gives_the_same_answer_through_rest(box: Sandbox) -> None:
    expected = box.ask(QUESTION).text
    box.restart_bot()
    box.github.inject_fault("POST", r"^/graphql$", 502, times=20)
    box.github.clear_log()

    assert box.ask(QUESTION).text == expected
    assert any("/contents/" in r.path for r in box.github.requests)
