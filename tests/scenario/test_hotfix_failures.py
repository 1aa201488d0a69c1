"""Hot-fixes when things go wrong: GitHub and Slack failing mid-step, the bot crashing between
steps, Slack retrying, people double-clicking, and wrong inputs.

Each conversation ends the same way as a smooth one: exactly one branch, one pull request and one
thread, every change announced once, and the person told in one plain sentence what did and did
not happen whenever a step failed.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from github import Github

from slackbot.adapters.slack_web import THREAD_EVENT
from slackbot.domain.hotfix import Hotfix, Kind, Stage
from slackbot.render.terminal import render_message
from slackbot.sandbox.github_emulator import SECONDARY_RATE_LIMIT_MESSAGE
from slackbot.sandbox.harness import INCIDENT, ManualClock, Sandbox
from slackbot.sandbox.slack_emulator import Message
from slackbot.sandbox.slack_user import Conversation, Reply
from slackbot.sandbox.world import merge_pull, open_pulls
from tests.scenario.helpers import CORE, JUPYTER, RELEASE, hotfix, push_fix, together
from tests.slack_contract import assert_contract_kept

# -- talking -----------------------------------------------------------------------------------


def ask(box: Sandbox, line: str, talk: Conversation | None = None) -> Reply:
    return (talk or box.conversation).ask(line, timeout=20, settle=0.1)


def told(reply: Reply) -> str:
    """What the person who asked was told: the command's own answer, not the thread's posts."""
    shown = [p for p in reply.posts if p["kind"] in ("ack", "response_url")]
    return "\n".join(render_message(p["text"], p["blocks"]) for p in shown)


def assert_plain(text: str, *fragments: str) -> None:
    """One plain line for a person: no traceback, no "reference" for an unexpected error."""
    assert text, "the bot said nothing"
    assert len(text.strip().splitlines()) == 1, text
    for unwanted in ("Traceback", "reference", "Exception", "went wrong", "GithubException"):
        assert unwanted not in text, text
    for fragment in fragments:
        assert fragment in text, text


# -- what exists -------------------------------------------------------------------------------


def branches(box: Sandbox, ticket: str, repository: str = JUPYTER) -> list[str]:
    return [
        name for name in box.world.repo(repository).branches() if name.lower() == f"hotfix/{ticket}".lower()
    ]


def pulls(
    box: Sandbox, head: str, base: str | None = None, repository: str = JUPYTER
) -> list[dict[str, Any]]:
    return [
        p
        for p in open_pulls(box.world.repos_dir, repository, include_closed=True)
        if p["head"] == head and base in (None, p["base"])
    ]


def threads(box: Sandbox, ticket: str) -> list[Message]:
    """Parent messages of hot-fix threads for ``ticket`` in the incident channel."""
    return [
        m
        for m in box.slack.messages(INCIDENT[0])
        if (m.metadata or {}).get("event_type") == THREAD_EVENT
        and (m.metadata or {}).get("event_payload", {}).get("ticket") == ticket
    ]


def replies(box: Sandbox, ticket: str) -> list[str]:
    """The replies in the ticket's one thread, found by its metadata as the bot finds it after a
    crash, not through what the store recorded."""
    [thread] = threads(box, ticket)
    return [m.text for m in box.slack.thread(INCIDENT[0], thread.ts)]


def audit(box: Sandbox, ticket: str) -> list[tuple[str, str]]:
    """(action, result) for the ticket, oldest first."""
    return [(e.action, e.result) for e in reversed(box.bot.store.audit_log(ticket=ticket))]


def writes(box: Sandbox, method: str, path_end: str) -> int:
    return sum(1 for r in box.github.requests if r.method == method and r.path.endswith(path_end))


def assert_one_of_each(box: Sandbox, ticket: str, *, pull: bool = False) -> Hotfix:
    """Exactly one branch, one thread (recorded), and with ``pull`` one pull request."""
    found = hotfix(box, ticket)
    assert branches(box, ticket, found.repository) == [found.branch]
    [thread] = threads(box, ticket)
    assert found.thread_ts == thread.ts
    if pull:
        [opened] = pulls(box, found.branch, found.base_branch, found.repository)
        assert found.pull is not None
        assert found.pull.number == opened["number"]
    return found


def merge(box: Sandbox, head: str, base: str) -> str:
    [pull] = [p for p in pulls(box, head, base) if p["state"] == "open"]
    return merge_pull(box.world.repos_dir, JUPYTER, pull["number"])


def started_with_pull(box: Sandbox, ticket: str) -> None:
    ask(box, f"/hotfix prod jupyter_hub {ticket}")
    push_fix(box, ticket)
    assert "Pull request opened" in told(ask(box, f"/hotfix pr {ticket}"))


def merged(box: Sandbox, ticket: str) -> None:
    started_with_pull(box, ticket)
    merge(box, f"hotfix/{ticket}", RELEASE)
    ask(box, f"/hotfix status {ticket}")
    assert hotfix(box, ticket).stage is Stage.MERGED


# -- 1. GitHub failing at each step --------------------------------------------------------------

NO_PERMISSION = {
    "message": "Resource not accessible by integration",
    "documentation_url": "https://docs.github.com",
}


@pytest.mark.parametrize(
    ("faults", "cause"),
    [
        # PyGithub's GithubRetry retries 5xx, POST included (twice here): fail all three answers.
        pytest.param([(502, 2, None), (503, 1, None)], "HTTP 503", id="502-502-503"),
        pytest.param(
            [(403, 1, NO_PERMISSION)], "Resource not accessible by integration", id="403-permission"
        ),
        pytest.param([(404, 1, {"message": "Not Found"})], "HTTP 404", id="404-permission"),
    ],
)
def test_github_failing_to_create_the_branch_is_finished_by_asking_again(
    box: Sandbox, faults: list[tuple[int, int, dict[str, Any] | None]], cause: str
) -> None:
    for status, times, body in faults:
        box.github.inject_fault("POST", r"/git/refs$", status, times=times, body=body)
    times = sum(times for _, times, _ in faults)

    failed = told(ask(box, "/hotfix prod jupyter_hub INC-1 spawner times out"))

    assert_plain(failed, cause, "`hotfix/INC-1` was not created", "again")
    assert writes(box, "POST", "/git/refs") == times
    assert branches(box, "INC-1") == []
    assert threads(box, "INC-1") == []
    assert hotfix(box, "INC-1").stage is Stage.STARTING  # recorded, so asking again finishes it

    started = told(ask(box, "/hotfix prod jupyter_hub INC-1 spawner times out"))

    assert "Hot-fix INC-1 started" in started
    found = assert_one_of_each(box, "INC-1")
    assert found.stage is Stage.BRANCHED
    assert sum("Branch `hotfix/INC-1`" in r for r in replies(box, "INC-1")) == 1
    actions = audit(box, "INC-1")
    assert actions[0][0] == "start"
    assert actions[0][1].startswith("refused: ")
    assert cause in actions[0][1]
    assert actions[-1] == ("start", "ok")
    assert [result for _, result in actions].count("ok") == 1


def test_a_used_up_rate_limit_while_reading_the_release_branch_changes_nothing(box: Sandbox) -> None:
    reset = str(int(time.time()) + 3600)
    box.github.inject_fault(
        "GET",
        r"/branches/release/0\.2\.105$",
        403,
        times=2,  # the versions report tolerates one failed read; the hot-fix's own read fails
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
        body={"message": "API rate limit exceeded for user ID 1."},
    )

    failed = told(ask(box, "/hotfix prod jupyter_hub INC-2"))

    assert_plain(failed, "rate limit", "UTC")
    assert box.bot.store.find("INC-2", active_only=False) == []
    assert branches(box, "INC-2") == []
    assert audit(box, "INC-2")[0][1].startswith("refused")

    assert "Hot-fix INC-2 started" in told(ask(box, "/hotfix prod jupyter_hub INC-2"))
    assert_one_of_each(box, "INC-2")


def test_a_used_up_rate_limit_while_following_says_so_and_that_nothing_changed_once(box: Sandbox) -> None:
    ask(box, "/hotfix prod jupyter_hub INC-5")
    reset = int(time.time()) + 2532
    box.github.inject_fault(
        "GET",
        r".",
        403,
        times=50,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
        body={"message": "API rate limit exceeded for user ID 1."},
    )

    failed = told(ask(box, "/hotfix status INC-5"))

    assert_plain(failed, "rate limit", f"{time.strftime('%H:%M', time.gmtime(reset))} UTC")
    assert failed.lower().count("nothing was changed") == 1, failed
    assert hotfix(box, "INC-5").stage is Stage.BRANCHED


def test_a_secondary_rate_limit_on_opening_the_pull_request_is_finished_by_asking_again(
    box: Sandbox,
) -> None:
    ask(box, "/hotfix prod jupyter_hub INC-3")
    push_fix(box, "INC-3")
    box.github.inject_fault(
        "POST",
        r"/pulls$",
        403,
        times=3,  # GithubRetry honours Retry-After and tries twice more
        headers={"Retry-After": "1"},
        body={"message": SECONDARY_RATE_LIMIT_MESSAGE, "documentation_url": "https://docs.github.com"},
    )

    failed = told(ask(box, "/hotfix pr INC-3"))

    assert_plain(failed, "rate limit", "No pull request was opened", "/hotfix pr INC-3")
    assert pulls(box, "hotfix/INC-3") == []
    assert hotfix(box, "INC-3").stage is Stage.BRANCHED

    assert "Pull request opened" in told(ask(box, "/hotfix pr INC-3"))
    found = assert_one_of_each(box, "INC-3", pull=True)
    assert found.stage is Stage.PR_OPEN
    assert sum("Pull request <" in r for r in replies(box, "INC-3")) == 1
    assert next(r for _, r in audit(box, "INC-3") if r != "ok").startswith("refused: ")
    assert audit(box, "INC-3")[-1] == ("pr", "ok")


def test_github_failing_while_following_and_promoting_is_finished_by_asking_again(box: Sandbox) -> None:
    ask(box, "/hotfix prod jupyter_hub INC-4")
    push_fix(box, "INC-4")

    # Following GitHub: the compare that notices the pushed commits fails.
    box.github.inject_fault("GET", r"/compare/", 500, times=3)
    assert_plain(told(ask(box, "/hotfix status INC-4")), "HTTP 500", "Nothing was changed")
    assert hotfix(box, "INC-4").stage is Stage.BRANCHED
    ask(box, "/hotfix status INC-4")  # notices the commits and opens the pull request
    assert hotfix(box, "INC-4").stage is Stage.PR_OPEN

    # Reading the merged pull request fails; the merge is noticed next time, and announced once.
    merge_sha = merge(box, "hotfix/INC-4", RELEASE)
    box.github.inject_fault("GET", r"/pulls/\d+$", 502, times=3)
    assert_plain(told(ask(box, "/hotfix status INC-4")), "HTTP 502")
    assert hotfix(box, "INC-4").stage is Stage.PR_OPEN
    ask(box, "/hotfix status INC-4")
    assert hotfix(box, "INC-4").merge_sha == merge_sha

    # Promoting: the compare of main with the release branch fails, then opening the back-merge.
    box.github.inject_fault("GET", r"/compare/main\.\.\.", 500, times=3)
    assert_plain(told(ask(box, "/hotfix promote INC-4")), "HTTP 500", "No back-merge pull request was opened")
    box.github.inject_fault("POST", r"/pulls$", 502, times=3)
    assert_plain(told(ask(box, "/hotfix promote INC-4")), "HTTP 502", "No back-merge pull request was opened")
    assert pulls(box, RELEASE, "main") == []
    assert hotfix(box, "INC-4").stage is Stage.MERGED

    assert "GitHub is still checking whether it merges cleanly" in told(ask(box, "/hotfix promote INC-4"))
    assert len(pulls(box, RELEASE, "main")) == 1
    found = assert_one_of_each(box, "INC-4", pull=True)
    assert found.stage is Stage.BACKMERGE_OPEN
    thread = replies(box, "INC-4")
    for event in ("Pull request <", "Merged into", "Back-merge pull request <"):
        assert sum(event in r for r in thread) == 1, (event, thread)
    results = [result for action, result in audit(box, "INC-4") if action == "promote"]
    assert len(results) == 3
    assert results[-1] == "ok"


def test_github_failing_to_commit_a_pin_is_finished_by_asking_again(box: Sandbox) -> None:
    box.github.inject_fault("PUT", r"/contents/core/helm-config\.yaml$", 502, times=3)
    command = "/hotfix prod jupyter_hub --chart 3.2.2 INC-31"

    assert_plain(told(ask(box, command)), "HTTP 502", "not committed", "again")
    assert pulls(box, "hotfix/INC-31", repository=CORE) == []

    assert "Its pull request is open" in told(ask(box, command))
    core = box.world.repo(CORE)
    assert core.count("refs/heads/prod", "refs/heads/hotfix/INC-31") == 1  # one commit, not two
    assert_one_of_each(box, "INC-31", pull=True)


# -- 2. Slack failing ------------------------------------------------------------------------------


def test_slack_refusing_the_thread_leaves_the_branch_and_asking_again_posts_it_once(
    box: Sandbox,
) -> None:
    # The bot's client retries a rate-limited call twice: refuse all three posts of the thread.
    box.slack.inject_rate_limit("chat.postMessage", retry_after=0, times=3)

    failed = told(ask(box, "/hotfix prod jupyter_hub INC-6"))

    assert_plain(failed, "ratelimited", "`hotfix/INC-6` was created", "thread was not posted", "again")
    assert branches(box, "INC-6") == ["hotfix/INC-6"]
    assert hotfix(box, "INC-6").stage is Stage.BRANCHED
    assert hotfix(box, "INC-6").thread_ts is None
    assert threads(box, "INC-6") == []

    ask(box, "/hotfix prod jupyter_hub INC-6")

    assert_one_of_each(box, "INC-6")
    assert sum("Branch `hotfix/INC-6`" in r for r in replies(box, "INC-6")) == 1
    actions = audit(box, "INC-6")
    assert actions[0][1].startswith("refused: Slack refused")
    assert actions[-1] == ("start", "ok")


def test_slack_refusing_to_edit_the_thread_does_not_lose_the_step_or_its_announcement(
    box: Sandbox,
) -> None:
    ask(box, "/hotfix prod jupyter_hub INC-7")
    push_fix(box, "INC-7")
    box.slack.inject_rate_limit("chat.update", retry_after=0, times=3)

    ask(box, "/hotfix pr INC-7")

    assert_one_of_each(box, "INC-7", pull=True)
    assert sum("Pull request <" in r for r in replies(box, "INC-7")) == 1


# -- 3. Crashes between steps, then a restart ----------------------------------------------------


def test_a_crash_between_creating_the_branch_and_recording_it_is_finished_after_a_restart(
    box: Sandbox,
) -> None:
    repo = box.world.repo(JUPYTER)
    head = repo.resolve(f"refs/heads/{RELEASE}")
    assert head is not None
    box.bot.store.add(
        Hotfix(
            ticket="INC-8",
            kind=Kind.COMPONENT,
            environment="prod",
            component="jupyter_hub",
            repository=JUPYTER,
            base_branch=RELEASE,
            branch="hotfix/INC-8",
            started_by="U0ALICE",
            channel_id=INCIDENT[0],
            base_sha=head,
            stage=Stage.STARTING,
            rollout_environments=("prod", "stg"),
        )
    )
    repo.create_ref("refs/heads/hotfix/INC-8", head)  # the branch was created, then the bot died
    box.restart_bot()

    answer = told(ask(box, "/hotfix prod jupyter_hub INC-8"))

    assert "Hot-fix INC-8 started" in answer
    found = assert_one_of_each(box, "INC-8")
    assert found.stage is Stage.BRANCHED
    assert repo.resolve("refs/heads/hotfix/INC-8") == head
    assert writes(box, "POST", "/git/refs") == 1  # asked once, answered "already exists", adopted
    assert sum("found (adopted)" in r for r in replies(box, "INC-8")) == 1


def test_a_crash_after_posting_the_thread_but_before_recording_it_posts_no_second_thread(
    tmp_path: Path,
) -> None:
    with Sandbox(tmp_path, clock=ManualClock()) as box:
        ask(box, "/hotfix prod jupyter_hub INC-9")
        posted = hotfix(box, "INC-9")
        assert posted.id is not None
        box.bot.store.save(replace(posted, thread_ts=None))  # the ts never reached the database
        box.restart_bot()
        assert box.clock is not None
        box.clock.advance(minutes=5)  # the crashed attempt's claim on posting the thread is old now

        answer = told(ask(box, "/hotfix prod jupyter_hub INC-9"))

        assert "already being hot-fixed" in answer
        found = assert_one_of_each(box, "INC-9")  # found again by its metadata, not posted again
        assert found.thread_ts == posted.thread_ts
        assert len(box.slack.messages(INCIDENT[0])) == 1


def test_a_thread_lost_in_a_crash_is_found_again_under_more_than_a_page_of_newer_messages(
    tmp_path: Path,
) -> None:
    with Sandbox(tmp_path, clock=ManualClock()) as box:
        ask(box, "/hotfix prod jupyter_hub INC-9")
        posted = hotfix(box, "INC-9")
        box.bot.store.save(replace(posted, thread_ts=None))  # the ts never reached the database
        for n in range(250):  # the incident goes on: the thread is on the second page of history
            box.slack.user_says(INCIDENT[0], "U0CAROL", f"still broken ({n})")
        box.restart_bot()
        assert box.clock is not None
        box.clock.advance(minutes=5)

        answer = told(ask(box, "/hotfix prod jupyter_hub INC-9"))

        assert "already being hot-fixed" in answer
        found = assert_one_of_each(box, "INC-9")  # found again by its metadata, not posted again
        assert found.thread_ts == posted.thread_ts
        # The first start looked once before posting; after the crash, the thread was on page two.
        pages = box.slack.calls_to("conversations.history")
        assert [bool(call.args.get("cursor")) for call in pages] == [False, False, True]
        assert_contract_kept(box.slack.received())


def test_a_crash_after_opening_the_pull_request_but_before_recording_it_adopts_it(
    box: Sandbox, github: Github
) -> None:
    ask(box, "/hotfix prod jupyter_hub INC-10")
    push_fix(box, "INC-10")
    created = github.get_repo(JUPYTER).create_pull(
        base=RELEASE, head="hotfix/INC-10", title="Hot-fix INC-10", body="opened just before the crash"
    )
    assert hotfix(box, "INC-10").stage is Stage.BRANCHED
    box.restart_bot()

    answer = told(ask(box, "/hotfix pr INC-10"))

    assert "Pull request opened" in answer
    found = assert_one_of_each(box, "INC-10", pull=True)
    assert found.pull is not None
    assert found.pull.number == created.number
    assert writes(box, "POST", "/pulls") == 1  # only the one made before the "crash"
    assert sum(f"#{created.number}>" in r for r in replies(box, "INC-10")) == 1


# -- 4. Retried and concurrent requests -----------------------------------------------------------


def test_a_slash_command_slack_delivers_twice_starts_one_hotfix(box: Sandbox) -> None:
    payload = box.user.slash_command_payload("/hotfix prod jupyter_hub INC-11 retried")
    delivery = box.delivery
    url = payload["response_url"]
    box.github.delay = 0.05  # both read GitHub before either stores the hot-fix

    acks = together(
        lambda: delivery.send_command(payload),
        # Slack's retry: X-Slack-Retry-Num, and (a new request) its own timestamp and signature
        lambda: delivery.send_command(payload, retry_num=1, timestamp=int(time.time()) + 1),
    )

    assert [a.status for a in acks] == [200, 200]
    answers = box.slack.wait_for(lambda: (found := box.slack.responses(url))[1:] and found, timeout=20)
    texts = [render_message(a.get("text"), a.get("blocks")) for a in answers]
    for text in texts:
        assert "went wrong" not in text, texts
    # A race: the retry may finish the same start too, or find it already under way.
    assert any("Hot-fix INC-11 started" in t for t in texts), texts
    assert_one_of_each(box, "INC-11")
    assert len(box.bot.store.find("INC-11")) == 1
    assert writes(box, "POST", "/git/refs") <= 2
    assert sum("Branch `hotfix/INC-11`" in r for r in replies(box, "INC-11")) == 1


def test_two_people_starting_the_same_hotfix_at_once_both_get_a_proper_answer(box: Sandbox) -> None:
    carol = box.conversation_with(box.person("U0CAROL", "carol"))
    line = "/hotfix prod jupyter_hub INC-12 two at once"
    box.github.delay = 0.05  # both read GitHub before either stores the hot-fix

    answers = [told(r) for r in together(lambda: ask(box, line), lambda: ask(box, line, carol))]

    for answer in answers:
        assert_plain(answer, "INC-12")
    # A race: the second may finish the same start too, or find it already under way.
    assert any("Hot-fix INC-12 started" in a for a in answers), answers
    assert_one_of_each(box, "INC-12")
    assert sum("Branch `hotfix/INC-12`" in r for r in replies(box, "INC-12")) == 1


def test_two_pull_request_commands_at_once_open_one_pull_request(box: Sandbox) -> None:
    ask(box, "/hotfix prod jupyter_hub INC-13")
    push_fix(box, "INC-13")

    answers = [
        told(r)
        for r in together(lambda: ask(box, "/hotfix pr INC-13"), lambda: ask(box, "/hotfix pr INC-13"))
    ]

    for answer in answers:
        # A race: the second may adopt the pull request the first opened, or find it already open.
        assert_plain(answer, "INC-13" if "already" in answer else "Pull request opened")
    assert_one_of_each(box, "INC-13", pull=True)
    assert sum("Pull request <" in r for r in replies(box, "INC-13")) == 1


def test_a_double_clicked_open_pr_button_opens_one_pull_request(box: Sandbox) -> None:
    ask(box, "/hotfix prod jupyter_hub INC-14")
    push_fix(box, "INC-14")
    button = box.conversation.find_message_with("hotfix_open_pr")

    def click() -> Reply:
        return box.conversation.click("hotfix_open_pr", "INC-14", button, timeout=20, settle=0.1)

    answers = [told(r) for r in together(click, click)]

    for answer in answers:
        assert "went wrong" not in answer, answers
    assert_one_of_each(box, "INC-14", pull=True)
    assert sum("Pull request <" in r for r in replies(box, "INC-14")) == 1


def test_two_promotions_at_once_open_one_back_merge(box: Sandbox) -> None:
    merged(box, "INC-15")

    answers = [
        told(r)
        for r in together(
            lambda: ask(box, "/hotfix promote INC-15"), lambda: ask(box, "/hotfix promote INC-15")
        )
    ]

    for answer in answers:
        assert_plain(answer, "Back-merge pull request")
    assert len(pulls(box, RELEASE, "main")) == 1
    assert hotfix(box, "INC-15").stage is Stage.BACKMERGE_OPEN
    assert sum("Back-merge pull request <" in r for r in replies(box, "INC-15")) == 1


# -- 5. Each change of state announced once ----------------------------------------------------------


def test_each_change_of_state_is_announced_once_even_after_a_restart(box: Sandbox) -> None:
    merged(box, "INC-16")
    ask(box, "/hotfix promote INC-16")
    merge(box, RELEASE, "main")
    ask(box, "/hotfix status INC-16")
    assert hotfix(box, "INC-16").stage is Stage.DONE
    before = replies(box, "INC-16")

    box.restart_bot()
    ask(box, "/hotfix status INC-16")
    ask(box, "/hotfix status")
    ask(box, "/hotfix promote INC-16")

    after = replies(box, "INC-16")
    assert after == before
    events = ("Branch `hotfix/INC-16` created", "Pull request <", "Merged into", "Back-merge pull request <")
    for event in (*events, "Back-merged into `main`"):
        assert sum(event in r for r in after) == 1, (event, after)
    assert len(after) == 5, after


def test_a_pull_request_closed_without_merging_is_not_reopened_behind_anyones_back(
    box: Sandbox, github: Github
) -> None:
    started_with_pull(box, "INC-17")
    [pull] = pulls(box, "hotfix/INC-17")
    github.get_repo(JUPYTER).get_pull(pull["number"]).edit(state="closed")

    ask(box, "/hotfix status INC-17")
    ask(box, "/hotfix status INC-17")

    assert hotfix(box, "INC-17").stage is Stage.BRANCHED
    assert [p["state"] for p in pulls(box, "hotfix/INC-17")] == ["closed"]
    assert sum("closed without merging" in r for r in replies(box, "INC-17")) == 1
    assert "Pull request opened" in told(ask(box, "/hotfix pr INC-17"))  # asked for: opened
    assert len(pulls(box, "hotfix/INC-17")) == 2


# -- 6. Wrong inputs change nothing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/hotfix prdo jupyter_hub INC-90", "Did you mean `prod`?"),
        ("/hotfix prod jupyter_hub --chart 3.2.1 INC-96", "prod already pins chart 3.2.1"),
        ("/hotfix prod jupiter_hub INC-91", "jupyter_hub"),
        ("/hotfix pr INC-92", "No active hot-fix has the ticket INC-92"),
        ("/hotfix promote INC-93", "No active hot-fix has the ticket INC-93"),
        ("/hotfix cancel INC-94", "No active hot-fix has the ticket INC-94"),
        # Snoozing reminders of a ticket nobody is hot-fixing.
        ("/hotfix snooze INC-95 2d", "No active hot-fix has the ticket INC-95"),
    ],
)
def test_wrong_inputs_get_a_helpful_sentence_and_change_nothing(
    shared_box: Sandbox, line: str, expected: str
) -> None:
    before = {repo: shared_box.world.repo(repo).branches() for repo in (JUPYTER, CORE)}
    posts_before = writes(shared_box, "POST", "/pulls") + writes(shared_box, "POST", "/git/refs")
    ticket = next(word for word in line.split() if word.startswith("INC-"))

    answer = told(ask(shared_box, line))

    assert_plain(answer)
    assert expected in answer, answer
    assert {repo: shared_box.world.repo(repo).branches() for repo in (JUPYTER, CORE)} == before
    assert writes(shared_box, "POST", "/pulls") + writes(shared_box, "POST", "/git/refs") == posts_before
    assert shared_box.bot.store.find(ticket, active_only=False) == []
    assert threads(shared_box, ticket) == []


def test_a_branch_in_the_way_of_the_hotfix_branch_is_named_and_nothing_is_left_half_started(
    box: Sandbox,
) -> None:
    git = box.world.repo(JUPYTER)
    release = git.ref(f"refs/heads/{RELEASE}")
    assert release is not None
    assert git.create_ref("refs/heads/hotfix", release)  # someone's branch, named like the folder

    answer = told(ask(box, "/hotfix prod jupyter_hub INC-31"))

    assert_plain(answer, "the branch `hotfix` exists", "rename `hotfix`", "`hotfix.branch`")
    assert "again" not in answer  # asking again would meet the same branch
    assert branches(box, "INC-31") == []
    assert threads(box, "INC-31") == []
    assert box.bot.store.find("INC-31") == []  # nothing active to block a later attempt
    assert audit(box, "INC-31")[-1][1].startswith("refused")

    git.run("update-ref", "-d", "refs/heads/hotfix")  # renamed out of the way
    assert "Hot-fix INC-31 started" in told(ask(box, "/hotfix prod jupyter_hub INC-31"))
    [active] = box.bot.store.find("INC-31")
    assert active.stage is Stage.BRANCHED
    assert branches(box, "INC-31") == ["hotfix/INC-31"]


def test_promoting_before_the_merge_changes_nothing(box: Sandbox) -> None:
    started_with_pull(box, "INC-18")

    answer = told(ask(box, "/hotfix promote INC-18"))

    assert_plain(answer, "not merged into `release/0.2.105` yet")
    assert pulls(box, RELEASE, "main") == []
    assert hotfix(box, "INC-18").stage is Stage.PR_OPEN
    assert audit(box, "INC-18")[-1][1].startswith("refused")
