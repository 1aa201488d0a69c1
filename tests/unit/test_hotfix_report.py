"""The hot-fix report from plain facts: its timeline, the durations between, what it says it does not
know, its JSON document, and how it reads in Slack, in a thread and in a review document."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from slackbot.domain.errors import UsageError
from slackbot.domain.followup import RolloutState
from slackbot.domain.forge import PullInfo
from slackbot.domain.hotfix import AuditEntry, Hotfix, Kind, PinChange, PinField, PullRequestRef, Stage
from slackbot.domain.hotfix_commands import Report, parse_hotfix, usage
from slackbot.domain.hotfix_report import (
    BOT_ACTOR,
    HotfixReport,
    Note,
    ReportFacts,
    ReportLinks,
    RolloutSeen,
    Status,
    Step,
    TimelineEvent,
    build_report,
)
from slackbot.domain.report_document import report_document, report_from_document
from slackbot.render.report_blocks import report_message
from slackbot.render.report_text import report_markdown, thread_text, timeline_lines
from slackbot.render.terminal import render_message
from slackbot.services.records import BOT_ACTOR as AUDIT_BOT_ACTOR
from tests.slack_contract import message_problems

T0 = datetime(2026, 11, 29, 10, 31, tzinfo=UTC)
REPO = "acme/flux-jupyter"
PULL_URL = f"https://github.test/{REPO}/pull/7"
BACKMERGE_URL = f"https://github.test/{REPO}/pull/8"
SHA = "abc1234" + "0" * 33


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def a_hotfix(**changes: object) -> Hotfix:
    hotfix = Hotfix(
        ticket="INC-123",
        kind=Kind.COMPONENT,
        environment="prod",
        component="jupyter_hub",
        repository=REPO,
        base_branch="release/0.2.105",
        branch="hotfix/INC-123",
        started_by="U0ALICE",
        channel_id="C0INC123",
        summary="spawner times out",
        stage=Stage.DONE,
        pull=PullRequestRef(7, PULL_URL),
        merge_sha=SHA,
        merged_at=at(17),
        backmerge=PullRequestRef(8, BACKMERGE_URL),
        rollout_environments=("prod", "stg"),
        id=1,
        created_at=T0,
    )
    return replace(hotfix, **changes)  # type: ignore[arg-type]


def audit(action: str, minutes: float, actor: str = "U0ALICE", detail: str = "") -> AuditEntry:
    return AuditEntry(actor, action, "INC-123", "ok", detail, at(minutes), hotfix_id=1)


def pull(number: int, opened: float, merged: float | None, by: str | None = "carol") -> PullInfo:
    return PullInfo(
        number=number,
        url=PULL_URL if number == 7 else BACKMERGE_URL,
        state="closed" if merged is not None else "open",
        merged=merged is not None,
        head="hotfix/INC-123",
        base="release/0.2.105",
        merge_sha=SHA if merged is not None else None,
        merged_at=at(merged) if merged is not None else None,
        merged_by=by if merged is not None else None,
        created_at=at(opened),
    )


def whole(**changes: object) -> ReportFacts:
    """A branch hot-fix followed to the end: every fact recorded."""
    facts = ReportFacts(
        hotfix=a_hotfix(),
        audit=(
            audit("start", 0.5, detail=f"{REPO} release/0.2.105@e1e1e1e"),
            audit("promote", 40, detail="#8"),
        ),
        pull=pull(7, 12, 17),
        backmerge=pull(8, 40, 75, by="dave"),
        rollouts=(
            RolloutSeen("prod", RolloutState.ROLLED_OUT, at(21.2)),
            RolloutSeen("stg", RolloutState.ROLLED_OUT, at(22.2)),
        ),
        links=ReportLinks(
            branch=f"https://github.test/{REPO}/tree/hotfix/INC-123",
            merge_commit=f"https://github.test/{REPO}/commit/{SHA}",
            thread="https://slack.test/archives/C0INC123/p1",
        ),
        channel_name="inc-123-jupyter",
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def steps(report: HotfixReport) -> list[tuple[str, str | None, str]]:
    return [(e.step.value, e.environment, e.status.value) for e in report.timeline]


def event(report: HotfixReport, step: Step, environment: str | None = None) -> TimelineEvent:
    [found] = [e for e in report.timeline if e.step is step and e.environment == environment]
    return found


# -- the timeline and the durations ------------------------------------------------------------------


def test_a_hotfix_followed_to_the_end_has_every_step_its_time_its_author_and_the_durations() -> None:
    report = build_report(whole())

    assert report.complete
    assert steps(report) == [
        ("started", None, "done"),
        ("branch_created", None, "done"),
        ("pull_opened", None, "done"),
        ("merged", None, "done"),
        ("rolled_out", "prod", "done"),
        ("rolled_out", "stg", "done"),
        ("backmerge_opened", None, "done"),
        ("backmerged", None, "done"),
    ]
    assert (event(report, Step.STARTED).actor, event(report, Step.STARTED).at) == ("U0ALICE", T0)
    assert event(report, Step.PULL_OPENED).actor == BOT_ACTOR  # nobody asked: the bot opened it
    assert event(report, Step.MERGED).actor == "github:carol"
    assert event(report, Step.BACKMERGE_OPENED).actor == "U0ALICE"  # who promoted it
    assert event(report, Step.BACKMERGED).actor == "github:dave"
    assert event(report, Step.PULL_OPENED).url == PULL_URL
    durations = report.durations
    assert durations.start_to_pull_request == timedelta(minutes=12)
    assert durations.pull_request_to_merge == timedelta(minutes=5)
    assert durations.merge_to_rollout == (
        ("prod", timedelta(minutes=4, seconds=12)),
        ("stg", timedelta(minutes=5, seconds=12)),
    )
    assert durations.merge_to_backmerge == timedelta(minutes=58)
    assert durations.total == timedelta(minutes=75)


def test_what_follows_the_merge_is_in_the_order_it_happened() -> None:
    facts = whole(
        rollouts=(
            RolloutSeen("prod", RolloutState.ROLLED_OUT, at(90)),  # after the back-merge
            RolloutSeen("stg", RolloutState.ROLLED_OUT, at(22)),
        )
    )

    report = build_report(facts)

    assert [(e.step.value, e.environment) for e in report.timeline][4:] == [
        ("rolled_out", "stg"),
        ("backmerge_opened", None),
        ("backmerged", None),
        ("rolled_out", "prod"),
    ]
    assert report.durations.total == timedelta(minutes=90)  # the last step ends it


def test_a_hotfix_under_way_shows_what_is_still_to_come_as_pending() -> None:
    hotfix = a_hotfix(stage=Stage.PR_OPEN, merge_sha=None, merged_at=None, backmerge=None)

    rollouts = (RolloutSeen("prod", None), RolloutSeen("stg", None))
    report = build_report(whole(hotfix=hotfix, pull=pull(7, 12, None), backmerge=None, rollouts=rollouts))

    assert not report.complete
    assert steps(report)[3:] == [
        ("merged", None, "pending"),
        ("rolled_out", "prod", "pending"),
        ("rolled_out", "stg", "pending"),
        ("backmerge_opened", None, "pending"),
        ("backmerged", None, "pending"),
    ]
    assert report.durations.start_to_pull_request == timedelta(minutes=12)
    assert report.durations.pull_request_to_merge is None
    assert report.durations.total is None


# -- what is not known ---------------------------------------------------------------------------------


def test_a_missing_audit_row_and_a_rollout_recorded_without_its_time_are_said_to_be_unknown() -> None:
    facts = whole(
        audit=(audit("promote", 40, detail="#8"),),  # the start's row is missing
        rollouts=(
            RolloutSeen("prod", RolloutState.ROLLED_OUT, None),  # recorded by an older version
            RolloutSeen("stg", RolloutState.ROLLED_OUT, at(22.2)),
        ),
    )

    report = build_report(facts)

    branch = event(report, Step.BRANCH_CREATED)
    assert (branch.status, branch.at, branch.note) == (Status.UNKNOWN, None, Note.NO_RECORD)
    prod = event(report, Step.ROLLED_OUT, "prod")
    assert (prod.status, prod.note) == (Status.UNKNOWN, Note.TIME_NOT_RECORDED)
    assert dict(report.durations.merge_to_rollout) == {"prod": None, "stg": timedelta(minutes=5, seconds=12)}
    assert report.complete  # it is done; only its timing is partly unknown
    assert report.durations.total is None  # its last roll-out's time is not known: no guess


def test_when_github_does_not_answer_the_bots_own_records_are_used_and_who_merged_is_unknown() -> None:
    facts = whole(pull=None, backmerge=None, audit=(*whole().audit, audit("pr", 11, actor="U0BOB")))

    report = build_report(facts)

    opened = event(report, Step.PULL_OPENED)
    assert (opened.status, opened.at, opened.actor, opened.note) == (
        Status.DONE,
        at(11),  # from the audit trail: `/hotfix pr` by Bob
        "U0BOB",
        Note.GITHUB_UNANSWERED,
    )
    merged = event(report, Step.MERGED)
    assert (merged.at, merged.actor, merged.note) == (at(17), None, Note.GITHUB_UNANSWERED)
    backmerged = event(report, Step.BACKMERGED)
    assert (backmerged.status, backmerged.note) == (Status.UNKNOWN, Note.GITHUB_UNANSWERED)


def test_rollouts_flux_never_confirmed_are_told_apart() -> None:
    facts = whole(
        hotfix=a_hotfix(rollout_environments=("prod", "stg", "uat", "dev")),
        rollouts=(
            RolloutSeen("prod", RolloutState.FAILED, at(19)),
            RolloutSeen("stg", RolloutState.LATE, at(28)),
            RolloutSeen("uat", RolloutState.UNKNOWN, at(18)),
            RolloutSeen("dev", RolloutState.WAITING, at(18)),
        ),
    )

    watching = build_report(facts)
    gave_up = build_report(replace(facts, stopped_watching=True))

    assert [(e.environment, e.status, e.at) for e in watching.timeline if e.step is Step.ROLLED_OUT] == [
        ("prod", Status.FAILED, at(19)),  # when it was first seen failing
        ("stg", Status.LATE, at(28)),
        ("uat", Status.NOT_WATCHED, None),
        ("dev", Status.PENDING, None),
    ]
    assert not watching.complete
    assert event(gave_up, Step.ROLLED_OUT, "dev").status is Status.UNCONFIRMED
    assert gave_up.complete  # the watcher stopped waiting: what is known is all there will be
    assert gave_up.durations.total is None


def test_main_that_already_had_the_commits_or_got_them_by_hand() -> None:
    done = a_hotfix(backmerge=None)
    already = build_report(
        whole(hotfix=done, backmerge=None, audit=(audit("promote", 30, detail="nothing to back-merge"),))
    )
    by_hand = build_report(whole(hotfix=done, backmerge=None, audit=()))

    backmerged = event(already, Step.BACKMERGED)
    assert (backmerged.status, backmerged.at, backmerged.note) == (Status.DONE, at(30), Note.ALREADY_IN_MAIN)
    assert already.durations.merge_to_backmerge == timedelta(minutes=13)
    assert Step.BACKMERGE_OPENED not in {e.step for e in already.timeline}
    assert (event(by_hand, Step.BACKMERGED).status, event(by_hand, Step.BACKMERGED).note) == (
        Status.UNKNOWN,
        Note.BY_HAND,
    )
    assert by_hand.durations.total is None


def test_a_pin_needs_no_backmerge_and_is_complete_once_rolled_out() -> None:
    pin = a_hotfix(
        kind=Kind.PIN,
        repository="acme/core",
        base_branch="prod",
        backmerge=None,
        pin=PinChange(PinField.CHART, "core/helm-config.yaml", "3.2.1", "3.2.2"),
    )
    rolling = whole(
        hotfix=pin,
        backmerge=None,
        rollouts=(RolloutSeen("prod", RolloutState.WAITING, at(17)), RolloutSeen("stg", None)),
    )

    assert not build_report(rolling).complete  # done at the merge, but not rolled out yet
    report = build_report(whole(hotfix=pin, backmerge=None))

    assert report.complete
    assert event(report, Step.BACKMERGED).status is Status.NOT_NEEDED
    assert report.durations.merge_to_backmerge is None
    assert report.durations.total == timedelta(minutes=22, seconds=12)  # start to the last roll-out


def test_a_cancelled_hotfix_ends_with_who_cancelled_it_and_leaves_out_what_never_came() -> None:
    hotfix = a_hotfix(stage=Stage.CANCELLED, merge_sha=None, merged_at=None, backmerge=None)
    facts = whole(
        hotfix=hotfix,
        pull=pull(7, 12, None),
        backmerge=None,
        rollouts=(RolloutSeen("prod", None), RolloutSeen("stg", None)),
        audit=(*whole().audit[:1], audit("cancel", 30, actor="U0CAROL")),
    )

    report = build_report(facts)

    assert steps(report) == [
        ("started", None, "done"),
        ("branch_created", None, "done"),
        ("pull_opened", None, "done"),
        ("cancelled", None, "done"),
    ]
    assert event(report, Step.CANCELLED).actor == "U0CAROL"
    assert not report.complete


def test_the_report_and_the_audit_trail_name_the_bot_alike() -> None:
    assert BOT_ACTOR == AUDIT_BOT_ACTOR


# -- the JSON document -------------------------------------------------------------------------------


def test_the_document_is_plain_json_and_reads_back_as_the_same_report() -> None:
    report = build_report(whole())

    document = report_document(report)

    assert json.loads(json.dumps(document)) == document
    assert list(document) == [  # the documented shape, in its order
        "ticket",
        "kind",
        "stage",
        "complete",
        "environment",
        "component",
        "repository",
        "base_branch",
        "branch",
        "summary",
        "merge_sha",
        "started_by",
        "channel",
        "channel_name",
        "thread",
        "main_branch",
        "timeline",
        "durations",
    ]
    assert document["durations"] == {
        "start_to_pull_request": 720,
        "pull_request_to_merge": 300,
        "merge_to_rollout": {"prod": 252, "stg": 312},
        "merge_to_backmerge": 3480,
        "total": 4500,
    }
    assert document["timeline"][3] == {
        "step": "merged",
        "status": "done",
        "at": "2026-11-29T10:48:00+00:00",
        "actor": "github:carol",
        "environment": None,
        "url": f"https://github.test/{REPO}/commit/{SHA}",
        "note": None,
    }
    assert report_from_document(document) == report


# -- in words ------------------------------------------------------------------------------------------


def test_in_slack_each_step_is_a_line_with_its_time_author_and_how_long_it_took() -> None:
    lines = timeline_lines(build_report(whole()))

    assert lines[0] == (
        ":white_check_mark: *Started* by <@U0ALICE> in <#C0INC123|inc-123-jupyter> · 2026-11-29 10:31 UTC"
    )
    assert lines[2] == (
        f":white_check_mark: *Pull request* <{PULL_URL}|#7> *opened* by the bot · 10:43 UTC"
        " · 12m00s after the start"
    )
    assert "*Merged* into `release/0.2.105` as" in lines[3]
    assert "by carol on GitHub · 10:48 UTC · 5m00s after the pull request" in lines[3]
    assert lines[4] == ":white_check_mark: *prod* rolled out · 10:52 UTC · 4m12s after the merge"
    assert lines[7].endswith(
        "*Back-merged* into `main` by dave on GitHub · 11:46 UTC · 58m00s after the merge"
    )


def test_unknowns_are_worded_not_hidden() -> None:
    facts = whole(
        audit=(),
        rollouts=(RolloutSeen("prod", RolloutState.FAILED, at(19)), RolloutSeen("stg", RolloutState.UNKNOWN)),
    )

    text = "\n".join(timeline_lines(build_report(facts)))

    assert ":grey_question: *Branch* " in text
    assert "(when is not recorded)" in text
    assert ":x: *prod* failed since 10:50 UTC (Flux reported a failure)" in text
    assert ":grey_question: *stg* not watched (no probe configured), so not confirmed" in text


def test_the_thread_gets_the_whole_timeline_and_the_durations() -> None:
    text = thread_text(build_report(whole()))

    assert text.startswith(":clipboard: *INC-123 is complete: its timeline for the post-incident review*")
    assert (
        "*Durations:* start → pull request 12m00s · pull request → merge 5m00s · "
        "merge → last roll-out 5m12s (stg) · merge → back-merge 58m00s · total 1h15m"
    ) in text
    assert "`slackbot hotfix report INC-123 --markdown`" in text


def test_markdown_for_a_review_document_is_a_table_people_can_paste() -> None:
    text = report_markdown(build_report(whole()))

    assert text.startswith("## Hot-fix INC-123 — jupyter_hub in prod: timeline\n\n> spawner times out\n")
    assert (
        "- Started by @U0ALICE in #inc-123-jupyter ([thread](https://slack.test/archives/C0INC123/p1))"
        in text
    )
    assert "| Time | Step | Notes |" in text
    assert (
        f"| 2026-11-29 10:48:00 UTC | Merged into `release/0.2.105` as [`abc1234`](https://github.test/{REPO}/"
        f"commit/{SHA}) by carol on GitHub | 5m00s after the pull request |"
    ) in text
    assert "| 2026-11-29 10:52:12 UTC | prod rolled out | 4m12s after the merge |" in text
    assert "**Durations:** start → pull request 12m00s" in text
    assert "<" not in text.replace("&lt;", "")  # no Slack markup


def test_the_answer_in_slack_is_a_message_slack_takes() -> None:
    message = report_message([build_report(whole())])
    shown = render_message(message.text, [b.to_dict() for b in message.blocks])

    assert message_problems(message.as_kwargs()) == []
    assert "HOT-FIX INC-123 — JUPYTER_HUB IN PROD: TIMELINE" in shown
    assert "*Complete*: 1h15m from start to finish." in shown
    assert ":white_check_mark: *prod* rolled out · 10:52 UTC · 4m12s after the merge" in shown


def test_thirty_environments_with_long_names_and_several_hotfixes_stay_within_slacks_limits() -> None:
    names = tuple(f"environment-with-a-rather-long-name-for-its-cluster-{n:02d}" for n in range(30))
    facts = whole(
        hotfix=a_hotfix(rollout_environments=names, summary="x" * 4000),
        rollouts=tuple(
            RolloutSeen(name, RolloutState.ROLLED_OUT if n % 3 else RolloutState.FAILED, at(20 + n))
            for n, name in enumerate(names)
        ),
    )
    reports = [build_report(facts)] * 4

    message = report_message(reports)

    assert message_problems(message.as_kwargs()) == []
    shown = render_message(message.text, [b.to_dict() for b in message.blocks])
    assert "more hot-fix(es) with this ticket: `slackbot hotfix report INC-123 --markdown`" in shown
    assert len(thread_text(reports[0])) < 40_000  # the thread's news is text: within Slack's 40k


def test_a_report_too_long_for_one_message_sums_up_the_environments_that_rolled_out() -> None:
    names = tuple(f"{'e' * 350}-{n:02d}" for n in range(30))  # 10k characters of names alone
    facts = whole(
        hotfix=a_hotfix(rollout_environments=names),
        rollouts=tuple(
            RolloutSeen(name, RolloutState.ROLLED_OUT, at(20 + n)) for n, name in enumerate(names)
        ),
    )

    message = report_message([build_report(facts)])

    assert message_problems(message.as_kwargs()) == []
    shown = render_message(message.text, [b.to_dict() for b in message.blocks])
    assert (
        "*30 environments rolled out* · from 10:51 UTC 3m00s to 32m00s after the merge, the last eee" in shown
    )


# -- the command ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ticket"),
    [("report INC-123", "INC-123"), ("REPORT inc-123", "inc-123"), (" report  'INC-123' ", "INC-123")],
)
def test_report_is_parsed_beside_status(text: str, ticket: str) -> None:
    assert parse_hotfix(text) == Report(ticket)


def test_report_needs_one_ticket_and_is_in_the_help() -> None:
    with pytest.raises(
        UsageError, match=r"`/hotfix report` needs the ticket, for example `/hotfix report INC-123`"
    ):
        parse_hotfix("report")
    with pytest.raises(UsageError, match="takes only the ticket"):
        parse_hotfix("report INC-1 INC-2")
    assert "`/hotfix report INC-123`" in usage()
