"""Hot-fixes when things go wrong: GitHub and Slack failing mid-step, the bot crashing between
steps, Slack retrying, people double-clicking, and wrong inputs.

Each conversation ends the same way as a smooth one: exactly one branch, one pull request and one
thread, every change announced once, and the person told in one plain sentence what did and did
not happen whenever a step failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from github import Auth, Github

from slackbot.adapters.slack_web import THREAD_EVENT
from slackbot.domain.hotfix import Hotfix, Kind, Stage
from slackbot.sandbox.github_emulator import SECONDARY_RATE_LIMIT_MESSAGE
from slackbot.sandbox.harness import INCIDENT, SANDBOX_GITHUB_TOKEN, Sandbox
from slackbot.sandbox.render import render_message
from slackbot.sandbox.slack_emulator import Message
from slackbot.sandbox.slack_user import Conversation, Reply
from slackbot.sandbox.world import commit_file, merge_pull, open_pulls

JUPYTER = "lsc-sde/iac-flux-jupyter"
CORE = "lsc-sde/iac-flux-lscsde"
RELEASE = "release/0.2.105"  # what prod (and stg) pin for jupyter_hub
T = TypeVar("T")


# -- talking -----------------------------------------------------------------------------------


def ask(bot: Sandbox, line: str, talk: Conversation | None = None) -> Reply:
    return (talk or bot.conversation).ask(line, timeout=20, settle=0.1)


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


def together(*calls: Callable[[], T]) -> list[T]:
    """Run the calls at the same moment, as two people (or Slack and a person) would."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [f.result() for f in [pool.submit(call) for call in calls]]


# -- what exists -------------------------------------------------------------------------------


def hotfix(bot: Sandbox, ticket: str) -> Hotfix:
    [found] = bot.bot.store.find(ticket, active_only=False)
    return found


def branches(bot: Sandbox, ticket: str, repository: str = JUPYTER) -> list[str]:
    return [
        name for name in bot.world.repo(repository).branches() if name.lower() == f"hotfix/{ticket}".lower()
    ]


def pulls(
    bot: Sandbox, head: str, base: str | None = None, repository: str = JUPYTER
) -> list[dict[str, Any]]:
    return [
        p
        for p in open_pulls(bot.world.repos_dir, repository, include_closed=True)
        if p["head"] == head and base in (None, p["base"])
    ]


def threads(bot: Sandbox, ticket: str) -> list[Message]:
    """Parent messages of hot-fix threads for ``ticket`` in the incident channel."""
    return [
        m
        for m in bot.slack.messages(INCIDENT[0])
        if (m.metadata or {}).get("event_type") == THREAD_EVENT
        and (m.metadata or {}).get("event_payload", {}).get("ticket") == ticket
    ]


def replies(bot: Sandbox, ticket: str) -> list[str]:
    [thread] = threads(bot, ticket)
    return [m.text for m in bot.slack.thread(INCIDENT[0], thread.ts)]


def audit(bot: Sandbox, ticket: str) -> list[tuple[str, str]]:
    """(action, result) for the ticket, oldest first."""
    return [(e.action, e.result) for e in reversed(bot.bot.store.audit_log(ticket=ticket))]


def writes(bot: Sandbox, method: str, path_end: str) -> int:
    return sum(1 for r in bot.github.requests if r.method == method and r.path.endswith(path_end))


def assert_one_of_each(bot: Sandbox, ticket: str, *, pull: bool = False) -> Hotfix:
    """Exactly one branch, one thread (recorded), and with ``pull`` one pull request."""
    found = hotfix(bot, ticket)
    assert branches(bot, ticket, found.repository) == [found.branch]
    [thread] = threads(bot, ticket)
    assert found.thread_ts == thread.ts
    if pull:
        [opened] = pulls(bot, found.branch, found.base_branch, found.repository)
        assert found.pull is not None
        assert found.pull.number == opened["number"]
    return found


def push_fix(bot: Sandbox, ticket: str, repository: str = JUPYTER) -> None:
    commit_file(
        bot.world.repo_dir(repository),
        f"hotfix/{ticket}",
        "values/hub.yaml",
        "hub:\n  timeout: 90\n",
        "Fix it",
    )


def merge(bot: Sandbox, head: str, base: str) -> str:
    [pull] = [p for p in pulls(bot, head, base) if p["state"] == "open"]
    return merge_pull(bot.world.repos_dir, JUPYTER, pull["number"])


def started_with_pull(bot: Sandbox, ticket: str) -> None:
    ask(bot, f"/hotfix prod jupyter_hub {ticket}")
    push_fix(bot, ticket)
    assert "Pull request opened" in told(ask(bot, f"/hotfix pr {ticket}"))


def merged(bot: Sandbox, ticket: str) -> None:
    started_with_pull(bot, ticket)
    merge(bot, f"hotfix/{ticket}", RELEASE)
    ask(bot, f"/hotfix status {ticket}")
    assert hotfix(bot, ticket).stage is Stage.MERGED


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
    fresh_bot: Sandbox, faults: list[tuple[int, int, dict[str, Any] | None]], cause: str
) -> None:
    bot = fresh_bot
    for status, times, body in faults:
        bot.github.inject_fault("POST", r"/git/refs$", status, times=times, body=body)
    times = sum(times for _, times, _ in faults)

    failed = told(ask(bot, "/hotfix prod jupyter_hub INC-1 spawner times out"))

    assert_plain(failed, cause, "`hotfix/INC-1` was not created", "again")
    assert writes(bot, "POST", "/git/refs") == times
    assert branches(bot, "INC-1") == []
    assert threads(bot, "INC-1") == []
    assert hotfix(bot, "INC-1").stage is Stage.STARTING  # recorded, so asking again finishes it

    started = told(ask(bot, "/hotfix prod jupyter_hub INC-1 spawner times out"))

    assert "Hot-fix INC-1 started" in started
    found = assert_one_of_each(bot, "INC-1")
    assert found.stage is Stage.BRANCHED
    assert sum("Branch `hotfix/INC-1`" in r for r in replies(bot, "INC-1")) == 1
    actions = audit(bot, "INC-1")
    assert actions[0][0] == "start"
    assert actions[0][1].startswith(("refused", "failed"))
    assert cause in actions[0][1]
    assert actions[-1] == ("start", "ok")
    assert [result for _, result in actions].count("ok") == 1


def test_a_used_up_rate_limit_while_reading_the_release_branch_changes_nothing(fresh_bot: Sandbox) -> None:
    bot = fresh_bot
    reset = str(int(time.time()) + 3600)
    bot.github.inject_fault(
        "GET",
        r"/branches/release/0\.2\.105$",
        403,
        times=2,  # the versions report tolerates one failed read; the hot-fix's own read fails
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
        body={"message": "API rate limit exceeded for user ID 1."},
    )

    failed = told(ask(bot, "/hotfix prod jupyter_hub INC-2"))

    assert_plain(failed, "rate limit", "nothing was changed", "UTC")
    assert bot.bot.store.find("INC-2", active_only=False) == []
    assert branches(bot, "INC-2") == []
    assert audit(bot, "INC-2")[0][1].startswith("refused")

    assert "Hot-fix INC-2 started" in told(ask(bot, "/hotfix prod jupyter_hub INC-2"))
    assert_one_of_each(bot, "INC-2")


def test_a_secondary_rate_limit_on_opening_the_pull_request_is_finished_by_asking_again(
    fresh_bot: Sandbox,
) -> None:
    bot = fresh_bot
    ask(bot, "/hotfix prod jupyter_hub INC-3")
    push_fix(bot, "INC-3")
    bot.github.inject_fault(
        "POST",
        r"/pulls$",
        403,
        times=3,  # GithubRetry honours Retry-After and tries twice more
        headers={"Retry-After": "1"},
        body={"message": SECONDARY_RATE_LIMIT_MESSAGE, "documentation_url": "https://docs.github.com"},
    )

    failed = told(ask(bot, "/hotfix pr INC-3"))

    assert_plain(failed, "rate limit", "No pull request was opened", "/hotfix pr INC-3")
    assert pulls(bot, "hotfix/INC-3") == []
    assert hotfix(bot, "INC-3").stage is Stage.BRANCHED

    assert "Pull request opened" in told(ask(bot, "/hotfix pr INC-3"))
    found = assert_one_of_each(bot, "INC-3", pull=True)
    assert found.stage is Stage.PR_OPEN
    assert sum("Pull request <" in r for r in replies(bot, "INC-3")) == 1
    assert next(r for _, r in audit(bot, "INC-3") if r != "ok").startswith(("refused", "failed"))
    assert audit(bot, "INC-3")[-1] == ("pr", "ok")


def test_github_failing_while_following_and_promoting_is_finished_by_asking_again(fresh_bot: Sandbox) -> None:
    bot = fresh_bot
    ask(bot, "/hotfix prod jupyter_hub INC-4")
    push_fix(bot, "INC-4")

    # Following GitHub: the compare that notices the pushed commits fails.
    bot.github.inject_fault("GET", r"/compare/", 500, times=3)
    assert_plain(told(ask(bot, "/hotfix status INC-4")), "HTTP 500", "Nothing was changed")
    assert hotfix(bot, "INC-4").stage is Stage.BRANCHED
    ask(bot, "/hotfix status INC-4")  # notices the commits and opens the pull request
    assert hotfix(bot, "INC-4").stage is Stage.PR_OPEN

    # Reading the merged pull request fails; the merge is noticed next time, and announced once.
    merge_sha = merge(bot, "hotfix/INC-4", RELEASE)
    bot.github.inject_fault("GET", r"/pulls/\d+$", 502, times=3)
    assert_plain(told(ask(bot, "/hotfix status INC-4")), "HTTP 502")
    assert hotfix(bot, "INC-4").stage is Stage.PR_OPEN
    ask(bot, "/hotfix status INC-4")
    assert hotfix(bot, "INC-4").merge_sha == merge_sha

    # Promoting: the compare of main with the release branch fails, then opening the back-merge.
    bot.github.inject_fault("GET", r"/compare/main\.\.\.", 500, times=3)
    assert_plain(told(ask(bot, "/hotfix promote INC-4")), "HTTP 500", "No back-merge pull request was opened")
    bot.github.inject_fault("POST", r"/pulls$", 502, times=3)
    assert_plain(told(ask(bot, "/hotfix promote INC-4")), "HTTP 502", "No back-merge pull request was opened")
    assert pulls(bot, RELEASE, "main") == []
    assert hotfix(bot, "INC-4").stage is Stage.MERGED

    assert "GitHub can merge it cleanly" in told(ask(bot, "/hotfix promote INC-4"))
    assert len(pulls(bot, RELEASE, "main")) == 1
    found = assert_one_of_each(bot, "INC-4", pull=True)
    assert found.stage is Stage.BACKMERGE_OPEN
    thread = replies(bot, "INC-4")
    for event in ("Pull request <", "Merged into", "Back-merge pull request <"):
        assert sum(event in r for r in thread) == 1, (event, thread)
    results = [result for action, result in audit(bot, "INC-4") if action == "promote"]
    assert len(results) == 3
    assert results[-1] == "ok"


def test_github_failing_to_commit_a_pin_is_finished_by_asking_again(fresh_bot: Sandbox) -> None:
    bot = fresh_bot
    bot.github.inject_fault("PUT", r"/contents/core/helm-config\.yaml$", 502, times=3)
    command = "/hotfix prod jupyter_hub --chart 3.2.2 INC-31"

    assert_plain(told(ask(bot, command)), "HTTP 502", "not committed", "again")
    assert pulls(bot, "hotfix/INC-31", repository=CORE) == []

    assert "Its pull request is open" in told(ask(bot, command))
    core = bot.world.repo(CORE)
    assert core.count("refs/heads/prod", "refs/heads/hotfix/INC-31") == 1  # one commit, not two
    assert_one_of_each(bot, "INC-31", pull=True)


# -- 2. Slack failing ------------------------------------------------------------------------------


def test_slack_refusing_the_thread_leaves_the_branch_and_asking_again_posts_it_once(
    fresh_bot: Sandbox,
) -> None:
    bot = fresh_bot
    # The bot's client retries a rate-limited call twice: refuse all three posts of the thread.
    bot.slack.inject_rate_limit("chat.postMessage", retry_after=0, times=3)

    failed = told(ask(bot, "/hotfix prod jupyter_hub INC-6"))

    assert_plain(failed, "ratelimited", "`hotfix/INC-6` was created", "thread was not posted", "again")
    assert branches(bot, "INC-6") == ["hotfix/INC-6"]
    assert hotfix(bot, "INC-6").stage is Stage.BRANCHED
    assert hotfix(bot, "INC-6").thread_ts is None
    assert threads(bot, "INC-6") == []

    ask(bot, "/hotfix prod jupyter_hub INC-6")

    assert_one_of_each(bot, "INC-6")
    assert sum("Branch `hotfix/INC-6`" in r for r in replies(bot, "INC-6")) == 1
    actions = audit(bot, "INC-6")
    assert actions[0][1].startswith("refused: Slack refused")
    assert actions[-1] == ("start", "ok")


def test_slack_refusing_to_edit_the_thread_does_not_lose_the_step_or_its_announcement(
    fresh_bot: Sandbox,
) -> None:
    bot = fresh_bot
    ask(bot, "/hotfix prod jupyter_hub INC-7")
    push_fix(bot, "INC-7")
    bot.slack.inject_rate_limit("chat.update", retry_after=0, times=3)

    ask(bot, "/hotfix pr INC-7")

    assert_one_of_each(bot, "INC-7", pull=True)
    assert sum("Pull request <" in r for r in replies(bot, "INC-7")) == 1


# -- 3. Crashes between steps, then a restart ----------------------------------------------------


def test_a_crash_between_creating_the_branch_and_recording_it_is_finished_after_a_restart(
    fresh_bot: Sandbox,
) -> None:
    bot = fresh_bot
    repo = bot.world.repo(JUPYTER)
    head = repo.resolve(f"refs/heads/{RELEASE}")
    assert head is not None
    bot.bot.store.add(
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
    bot.restart_bot()

    answer = told(ask(bot, "/hotfix prod jupyter_hub INC-8"))

    assert "Hot-fix INC-8 started" in answer
    found = assert_one_of_each(bot, "INC-8")
    assert found.stage is Stage.BRANCHED
    assert repo.resolve("refs/heads/hotfix/INC-8") == head
    assert writes(bot, "POST", "/git/refs") == 1  # asked once, answered "already exists", adopted
    assert sum("found (adopted)" in r for r in replies(bot, "INC-8")) == 1


def test_a_crash_after_posting_the_thread_but_before_recording_it_posts_no_second_thread(
    fresh_bot: Sandbox,
) -> None:
    bot = fresh_bot
    ask(bot, "/hotfix prod jupyter_hub INC-9")
    posted = hotfix(bot, "INC-9")
    assert posted.id is not None
    bot.bot.store.save(replace(posted, thread_ts=None))  # the ts never reached the database
    # The crashed attempt's claim on posting the thread is old by the time someone asks again.
    stale = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    bot.bot.store.put_state(f"thread:{posted.id}", stale)
    bot.restart_bot()

    answer = told(ask(bot, "/hotfix prod jupyter_hub INC-9"))

    assert "already being hot-fixed" in answer
    found = assert_one_of_each(bot, "INC-9")  # found again by its metadata, not posted again
    assert found.thread_ts == posted.thread_ts
    assert len(bot.slack.messages(INCIDENT[0])) == 1


def test_a_crash_after_opening_the_pull_request_but_before_recording_it_adopts_it(fresh_bot: Sandbox) -> None:
    bot = fresh_bot
    ask(bot, "/hotfix prod jupyter_hub INC-10")
    push_fix(bot, "INC-10")
    github = Github(auth=Auth.Token(SANDBOX_GITHUB_TOKEN), base_url=bot.github.base_url)
    created = github.get_repo(JUPYTER).create_pull(
        base=RELEASE, head="hotfix/INC-10", title="Hot-fix INC-10", body="opened just before the crash"
    )
    assert hotfix(bot, "INC-10").stage is Stage.BRANCHED
    bot.restart_bot()

    answer = told(ask(bot, "/hotfix pr INC-10"))

    assert "Pull request opened" in answer
    found = assert_one_of_each(bot, "INC-10", pull=True)
    assert found.pull is not None
    assert found.pull.number == created.number
    assert writes(bot, "POST", "/pulls") == 1  # only the one made before the "crash"
    assert sum(f"#{created.number}>" in r for r in replies(bot, "INC-10")) == 1


# -- 4. Retried and concurrent requests -----------------------------------------------------------


def test_a_slash_command_slack_delivers_twice_starts_one_hotfix(fresh_bot: Sandbox) -> None:
    bot = fresh_bot
    payload = bot.user.slash_command_payload("/hotfix prod jupyter_hub INC-11 retried")
    delivery = bot.delivery
    url = payload["response_url"]
    bot.github.delay = 0.05  # both read GitHub before either stores the hot-fix

    acks = together(
        lambda: delivery.send_command(payload),
        lambda: delivery.send_command(payload, retry_num=1),  # Slack's retry: X-Slack-Retry-Num
    )

    assert [a.status for a in acks] == [200, 200]
    answers = bot.slack.wait_for(lambda: (found := bot.slack.responses(url))[1:] and found, timeout=20)
    texts = [render_message(a.get("text"), a.get("blocks")) for a in answers]
    for text in texts:
        assert "went wrong" not in text, texts
    assert any("Hot-fix INC-11 started" in t for t in texts), texts
    assert_one_of_each(bot, "INC-11")
    assert len(bot.bot.store.find("INC-11")) == 1
    assert writes(bot, "POST", "/git/refs") <= 2
    assert sum("Branch `hotfix/INC-11`" in r for r in replies(bot, "INC-11")) == 1


def test_two_people_starting_the_same_hotfix_at_once_both_get_a_proper_answer(fresh_bot: Sandbox) -> None:
    bot = fresh_bot
    carol = bot.conversation_with(bot.person("U0CAROL", "carol"))
    line = "/hotfix prod jupyter_hub INC-12 two at once"
    bot.github.delay = 0.05  # both read GitHub before either stores the hot-fix

    answers = [told(r) for r in together(lambda: ask(bot, line), lambda: ask(bot, line, carol))]

    for answer in answers:
        assert_plain(answer, "INC-12")
    assert any("Hot-fix INC-12 started" in a for a in answers), answers
    assert_one_of_each(bot, "INC-12")
    assert sum("Branch `hotfix/INC-12`" in r for r in replies(bot, "INC-12")) == 1


def test_two_pull_request_commands_at_once_open_one_pull_request(fresh_bot: Sandbox) -> None:
    bot = fresh_bot
    ask(bot, "/hotfix prod jupyter_hub INC-13")
    push_fix(bot, "INC-13")

    answers = [
        told(r)
        for r in together(lambda: ask(bot, "/hotfix pr INC-13"), lambda: ask(bot, "/hotfix pr INC-13"))
    ]

    for answer in answers:
        assert_plain(answer, "INC-13" if "already" in answer else "Pull request opened")
    assert_one_of_each(bot, "INC-13", pull=True)
    assert sum("Pull request <" in r for r in replies(bot, "INC-13")) == 1


def test_a_double_clicked_open_pr_button_opens_one_pull_request(fresh_bot: Sandbox) -> None:
    bot = fresh_bot
    ask(bot, "/hotfix prod jupyter_hub INC-14")
    push_fix(bot, "INC-14")
    button = bot.conversation.find_message_with("hotfix_open_pr")

    def click() -> Reply:
        return bot.conversation.click("hotfix_open_pr", "INC-14", button, timeout=20, settle=0.1)

    answers = [told(r) for r in together(click, click)]

    for answer in answers:
        assert "went wrong" not in answer, answers
    assert_one_of_each(bot, "INC-14", pull=True)
    assert sum("Pull request <" in r for r in replies(bot, "INC-14")) == 1


def test_two_promotions_at_once_open_one_back_merge(fresh_bot: Sandbox) -> None:
    bot = fresh_bot
    merged(bot, "INC-15")

    answers = [
        told(r)
        for r in together(
            lambda: ask(bot, "/hotfix promote INC-15"), lambda: ask(bot, "/hotfix promote INC-15")
        )
    ]

    for answer in answers:
        assert_plain(answer, "Back-merge pull request")
    assert len(pulls(bot, RELEASE, "main")) == 1
    assert hotfix(bot, "INC-15").stage is Stage.BACKMERGE_OPEN
    assert sum("Back-merge pull request <" in r for r in replies(bot, "INC-15")) == 1


# -- 5. Each change of state announced once ----------------------------------------------------------


def test_each_change_of_state_is_announced_once_even_after_a_restart(fresh_bot: Sandbox) -> None:
    bot = fresh_bot
    merged(bot, "INC-16")
    ask(bot, "/hotfix promote INC-16")
    merge(bot, RELEASE, "main")
    ask(bot, "/hotfix status INC-16")
    assert hotfix(bot, "INC-16").stage is Stage.DONE
    before = replies(bot, "INC-16")

    bot.restart_bot()
    ask(bot, "/hotfix status INC-16")
    ask(bot, "/hotfix status")
    ask(bot, "/hotfix promote INC-16")

    after = replies(bot, "INC-16")
    assert after == before
    events = ("Branch `hotfix/INC-16` created", "Pull request <", "Merged into", "Back-merge pull request <")
    for event in (*events, "Back-merged into `main`"):
        assert sum(event in r for r in after) == 1, (event, after)
    assert len(after) == 5, after


def test_a_pull_request_closed_without_merging_is_not_reopened_behind_anyones_back(
    fresh_bot: Sandbox,
) -> None:
    bot = fresh_bot
    started_with_pull(bot, "INC-17")
    [pull] = pulls(bot, "hotfix/INC-17")
    github = Github(auth=Auth.Token(SANDBOX_GITHUB_TOKEN), base_url=bot.github.base_url)
    github.get_repo(JUPYTER).get_pull(pull["number"]).edit(state="closed")

    ask(bot, "/hotfix status INC-17")
    ask(bot, "/hotfix status INC-17")

    assert hotfix(bot, "INC-17").stage is Stage.BRANCHED
    assert [p["state"] for p in pulls(bot, "hotfix/INC-17")] == ["closed"]
    assert sum("closed without merging" in r for r in replies(bot, "INC-17")) == 1
    assert "Pull request opened" in told(ask(bot, "/hotfix pr INC-17"))  # asked for: opened
    assert len(pulls(bot, "hotfix/INC-17")) == 2


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
        # Snoozing reminders of a ticket nobody is hot-fixing (or before reminders exist).
        ("/hotfix snooze INC-95 2d", "INC-95|not available yet"),
    ],
)
def test_wrong_inputs_get_a_helpful_sentence_and_change_nothing(
    bot: Sandbox, line: str, expected: str
) -> None:
    before = {repo: bot.world.repo(repo).branches() for repo in (JUPYTER, CORE)}
    posts_before = writes(bot, "POST", "/pulls") + writes(bot, "POST", "/git/refs")
    ticket = next(word for word in line.split() if word.startswith("INC-"))

    answer = told(ask(bot, line))

    assert_plain(answer)
    assert any(choice in answer for choice in expected.split("|")), answer
    assert {repo: bot.world.repo(repo).branches() for repo in (JUPYTER, CORE)} == before
    assert writes(bot, "POST", "/pulls") + writes(bot, "POST", "/git/refs") == posts_before
    assert bot.bot.store.find(ticket, active_only=False) == []
    assert threads(bot, ticket) == []


def test_promoting_before_the_merge_changes_nothing(fresh_bot: Sandbox) -> None:
    bot = fresh_bot
    started_with_pull(bot, "INC-18")

    answer = told(ask(bot, "/hotfix promote INC-18"))

    assert_plain(answer, "not merged into `release/0.2.105` yet")
    assert pulls(bot, RELEASE, "main") == []
    assert hotfix(bot, "INC-18").stage is Stage.PR_OPEN
    assert audit(bot, "INC-18")[-1][1].startswith("refused")
