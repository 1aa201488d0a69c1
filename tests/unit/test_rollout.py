"""Has Flux applied the merge commit? The pure judgement over what a probe saw, and how it is told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from slackbot.domain.rollout import FluxObservation, Verdict, describe_duration, judge, revision_sha

SHA = "0123456789abcdef0123456789abcdef01234567"
MERGED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEADLINE = timedelta(minutes=10)


# -- revision_sha -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("revision", "sha"),
    [
        (f"release/0.2.105@sha1:{SHA}", SHA),  # Flux v2 (GitRepository v1, Kustomization v1)
        (f"release/0.2.99-patched-20241010@sha1:{SHA}", SHA),
        (f"hotfix/INC-1@sha1:{SHA}", SHA),  # a branch name with a slash and a dash
        (f"main@sha1:{SHA}", SHA),
        (f"release/0.2.105/{SHA}", SHA),  # older Flux (v1beta2 sources): branch/sha
        (f"main/{SHA[:7]}", SHA[:7]),  # a short sha is still a sha
        ("latest@sha256:" + "ab" * 32, "ab" * 32),  # an OCI artifact's digest
    ],
)
def test_the_sha_is_taken_from_every_revision_format(revision: str, sha: str) -> None:
    assert revision_sha(revision) == sha


@pytest.mark.parametrize(
    "revision",
    [
        None,
        "",
        "main",
        "release/0.2.105",
        "release/0.2.105/abc12",
        "v1.2.3",
        f"main/{SHA.upper()}",
        "main/xyz1234",
    ],
)
def test_a_revision_without_a_sha_gives_none(revision: str | None) -> None:
    assert revision_sha(revision) is None


# -- judge ------------------------------------------------------------------------------------------


def seen(*, ready: bool | None, applied: str | None = SHA) -> FluxObservation:
    return FluxObservation(
        source_revision=applied, applied_revision=applied, ready=ready, reason="R", message="M"
    )


def verdict(observation: FluxObservation, *, contains: bool, after: timedelta) -> Verdict:
    return judge(
        observation, contains_commit=contains, merged_at=MERGED, now=MERGED + after, deadline=DEADLINE
    )


@pytest.mark.parametrize("after", [timedelta(seconds=1), timedelta(minutes=9), timedelta(hours=3)])
def test_applied_and_ready_is_rolled_out_however_late(after: timedelta) -> None:
    assert verdict(seen(ready=True), contains=True, after=after) is Verdict.ROLLED_OUT


@pytest.mark.parametrize("after", [timedelta(seconds=1), timedelta(hours=3)])
def test_applied_and_not_ready_is_a_failure_at_once(after: timedelta) -> None:
    assert verdict(seen(ready=False), contains=True, after=after) is Verdict.FAILED


def test_applied_while_still_reconciling_is_waiting_until_the_deadline() -> None:
    assert verdict(seen(ready=None), contains=True, after=timedelta(minutes=5)) is Verdict.WAITING
    assert verdict(seen(ready=None), contains=True, after=timedelta(minutes=11)) is Verdict.LATE


@pytest.mark.parametrize("ready", [True, False, None])
def test_an_older_revision_is_waiting_then_late_whatever_its_readiness(ready: bool | None) -> None:
    old = seen(ready=ready, applied="f" * 40)
    assert verdict(old, contains=False, after=timedelta(minutes=3)) is Verdict.WAITING
    assert verdict(old, contains=False, after=timedelta(minutes=10, seconds=1)) is Verdict.LATE


def test_a_failed_attempt_at_the_commit_is_a_failure_at_once_while_the_old_one_stays_applied() -> None:
    old_applied_new_failing = seen(ready=False, applied="f" * 40)
    told = judge(
        old_applied_new_failing,
        contains_commit=False,
        attempt_contains_commit=True,
        merged_at=MERGED,
        now=MERGED + timedelta(seconds=30),
        deadline=DEADLINE,
    )
    assert told is Verdict.FAILED
    still_trying = seen(ready=None, applied="f" * 40)
    assert (
        judge(
            still_trying,
            contains_commit=False,
            attempt_contains_commit=True,
            merged_at=MERGED,
            now=MERGED,
            deadline=DEADLINE,
        )
        is Verdict.WAITING
    )


def test_nothing_seen_yet_is_waiting_then_late() -> None:
    nothing = FluxObservation(source_revision=None, applied_revision=None, ready=None)
    assert verdict(nothing, contains=False, after=timedelta(0)) is Verdict.WAITING
    assert verdict(nothing, contains=False, after=timedelta(days=1)) is Verdict.LATE


def test_the_deadline_itself_is_still_on_time() -> None:
    assert verdict(seen(ready=None), contains=False, after=DEADLINE) is Verdict.WAITING
    assert verdict(seen(ready=None), contains=False, after=DEADLINE + timedelta(seconds=1)) is Verdict.LATE


def test_a_clock_behind_the_merge_time_is_waiting() -> None:
    assert verdict(seen(ready=None), contains=False, after=-timedelta(minutes=5)) is Verdict.WAITING


# -- describe_duration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=35), "35s"),
        (timedelta(seconds=59.99), "59s"),  # whole seconds, rounded down
        (timedelta(seconds=60), "1m00s"),
        (timedelta(minutes=4, seconds=12), "4m12s"),
        (timedelta(minutes=10), "10m00s"),
        (timedelta(minutes=59, seconds=59), "59m59s"),
        (timedelta(hours=1), "1h00m"),
        (timedelta(hours=1, minutes=3, seconds=59), "1h03m"),
        (timedelta(days=1, hours=1), "25h00m"),
        (timedelta(seconds=-30), "0s"),  # clocks a little apart never say "-30s"
    ],
)
def test_durations_read_like_a_person_would_say_them(delta: timedelta, words: str) -> None:
    assert describe_duration(delta) == words
