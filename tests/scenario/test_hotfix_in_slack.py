"""Conversations about hot-fixes in an incident channel: the whole lifecycle, and its rules."""

from __future__ import annotations

import pytest

from slackbot.domain.hotfix import Stage
from slackbot.sandbox.harness import GENERAL, INCIDENT, Sandbox
from slackbot.sandbox.world import merge_pull, open_pulls
from tests.scenario.helpers import CORE, JUPYTER, hotfix, push_fix, replies, thread_root, together


def test_the_whole_lifecycle_from_branch_to_back_merge(box: Sandbox) -> None:
    started = box.ask("/hotfix prod jupyter_hub spawner times out").text
    assert "Hot-fix 2291 started" in started  # the ticket comes from #inc-2291-jupyter
    release_head = box.world.repo(JUPYTER).resolve("refs/heads/release/0.2.105")
    assert box.world.repo(JUPYTER).resolve("refs/heads/hotfix/2291") == release_head
    root = thread_root(box, "2291")
    assert "HOT-FIX 2291 — JUPYTER_HUB IN PROD" in root
    assert "spawner times out" in root
    assert "rolls out to *prod and stg*" in root
    assert (
        f"release/0.2.105 ({box.github.base_url}/{JUPYTER}/tree/release/0.2.105) @ {release_head[:7]}" in root
    )
    assert "compare" in root

    refused = box.ask("/hotfix pr 2291").text
    assert "has no commits yet" in refused

    push_fix(box, "2291")
    assert "Pull request opened" in box.ask("/hotfix pr 2291").text
    [pull] = open_pulls(box.world.repos_dir, JUPYTER)
    assert (pull["head"], pull["base"]) == ("hotfix/2291", "release/0.2.105")

    merge_sha = merge_pull(box.world.repos_dir, JUPYTER, pull["number"])
    box.ask("/hotfix status 2291")
    assert any(f"Merged into `release/0.2.105` as `{merge_sha[:7]}`" in r for r in replies(box, "2291"))

    promoted = box.ask("/hotfix promote 2291").text
    assert "GitHub is still checking whether it merges cleanly" in promoted  # just opened
    backmerge = next(p for p in open_pulls(box.world.repos_dir, JUPYTER) if p["base"] == "main")
    assert backmerge["head"] == "release/0.2.105"
    merge_pull(box.world.repos_dir, JUPYTER, backmerge["number"])
    box.ask("/hotfix status 2291")

    assert hotfix(box, "2291").stage is Stage.DONE
    assert box.world.repo(JUPYTER).is_ancestor(merge_sha, "refs/heads/main")
    assert sum("Back-merged into `main`" in r for r in replies(box, "2291")) == 1
    every_step_done = (
        "  :white_check_mark: branch  →  :white_check_mark: pull request  →  :white_check_mark: merged"
        "  →  :white_check_mark: back-merge PR  →  :white_check_mark: back-merged"
    )
    assert every_step_done in thread_root(box, "2291").splitlines()


def test_a_back_merge_is_being_checked_when_opened_and_its_mergeability_told_once_github_knows(
    box: Sandbox,
) -> None:
    box.ask("/hotfix prod jupyter_hub INC-12")
    push_fix(box, "INC-12")
    box.ask("/hotfix pr INC-12")
    [pull] = open_pulls(box.world.repos_dir, JUPYTER)
    merge_pull(box.world.repos_dir, JUPYTER, pull["number"])
    box.ask("/hotfix status INC-12")

    # GitHub answers null while it computes whether the pull request merges: on opening it, and
    # on the first read after (following the back-merge reads it once before it is asked about).
    assert "GitHub is still checking whether it merges cleanly" in box.ask("/hotfix promote INC-12").text
    assert "GitHub can merge it cleanly" in box.ask("/hotfix promote INC-12").text
    assert len([p for p in open_pulls(box.world.repos_dir, JUPYTER) if p["base"] == "main"]) == 1


def test_asking_again_never_duplicates_a_branch_a_pull_request_or_a_thread(box: Sandbox) -> None:
    box.ask("/hotfix prod jupyter_hub INC-5")
    again = box.ask("/hotfix prod jupyter_hub INC-5").text
    assert "already being hot-fixed" in again
    push_fix(box, "INC-5")
    box.ask("/hotfix pr INC-5")
    assert "already open" in box.ask("/hotfix pr INC-5").text
    assert len(open_pulls(box.world.repos_dir, JUPYTER)) == 1
    roots = [m for m in box.slack.messages(INCIDENT[0]) if "INC-5" in m.text]
    assert len(roots) == 1


def test_two_people_starting_the_same_hotfix_at_once_get_one(box: Sandbox) -> None:
    carol = box.conversation_with(box.person("U0CAROL", "carol"))
    line = "/hotfix prod jupyter_hub INC-8 double trouble"

    answers = together(lambda: box.conversation.ask(line, timeout=15), lambda: carol.ask(line, timeout=15))

    texts = [a.text for a in answers]
    # A race: the second may finish the same start too, or find it already under way.
    assert any("started" in t for t in texts), texts
    assert len(box.bot.store.find("INC-8")) == 1
    assert len([m for m in box.slack.messages(INCIDENT[0]) if "INC-8" in m.text]) == 1


def test_the_buttons_open_the_pull_request_promote_and_cancel_with_confirmation(box: Sandbox) -> None:
    box.ask("/hotfix prod jupyter_hub INC-12")
    push_fix(box, "INC-12")
    clicked = box.conversation.click("hotfix_open_pr", "INC-12")
    assert "Pull request opened" in clicked.text
    cancel = box.conversation.find_message_with("hotfix_cancel")
    button = next(
        e
        for b in cancel.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "hotfix_cancel"
    )
    assert button["confirm"]["confirm"]["text"] == "Stop tracking"
    assert "no longer tracked" in box.conversation.click("hotfix_cancel", "INC-12").text
    assert box.world.repo(JUPYTER).resolve("refs/heads/hotfix/INC-12") is not None  # nothing deleted


def test_hotfixes_start_only_in_incident_channels(box: Sandbox) -> None:
    talk = box.conversation_with(box.person(channel=GENERAL))
    text = talk.ask("/hotfix prod jupyter_hub INC-1").text
    assert "works only in incident channels" in text
    assert box.world.repo(JUPYTER).resolve("refs/heads/hotfix/INC-1") is None
    assert box.bot.store.find("INC-1", active_only=False) == []


def test_only_permitted_people_can_start_a_hotfix(box: Sandbox) -> None:
    bob = box.conversation_with(box.person("U0BOB", "bob"))
    text = bob.ask("/hotfix prod jupyter_hub INC-2").text
    assert "not allowed to run hot-fixes" in text
    assert "@platform" in text
    assert box.world.repo(JUPYTER).resolve("refs/heads/hotfix/INC-2") is None
    audit = box.bot.store.audit_log(ticket="INC-2")
    assert audit[0].actor == "U0BOB"
    assert audit[0].result.startswith("refused")


def test_a_member_of_an_allowed_user_group_may_start_one(box: Sandbox) -> None:
    carol = box.conversation_with(box.person("U0CAROL", "carol"))
    assert "started" in carol.ask("/hotfix prod jupyter_hub INC-3").text


@pytest.mark.parametrize(
    ("ticket", "reason"),
    [
        ("../x", "`..`"),
        ("a~b", "`~`"),
        ("a^b", "`^`"),
        ("a:b", "`:`"),
        ("a?b", "`?`"),
        ("a*b", "`*`"),
        ("a[b", "`[`"),
        ("a\\b", "`\\`"),
        ("a@{b", "`@{`"),
        ("INC-" + "1" * 196, "long"),
    ],
)
def test_bad_tickets_are_refused_with_the_reason(shared_box: Sandbox, ticket: str, reason: str) -> None:
    before = shared_box.world.repo(JUPYTER).branches()
    text = shared_box.ask(f"/hotfix prod jupyter_hub {ticket}").text
    assert reason in text, text
    assert shared_box.world.repo(JUPYTER).branches() == before  # nothing was created


def test_a_hotfix_branch_cut_from_another_base_is_refused(box: Sandbox) -> None:
    repo = box.world.repo(JUPYTER)
    other = repo.resolve("refs/heads/release/0.2.106")
    assert other is not None
    repo.create_ref("refs/heads/hotfix/INC-9", other)
    text = box.ask("/hotfix prod jupyter_hub INC-9").text
    assert "already exists" in text
    assert "was not cut from `release/0.2.105`" in text
    assert repo.resolve("refs/heads/hotfix/INC-9") == other  # untouched


def test_an_existing_hotfix_branch_on_the_right_base_is_adopted(box: Sandbox) -> None:
    repo = box.world.repo(JUPYTER)
    head = repo.resolve("refs/heads/release/0.2.105")
    assert head is not None
    repo.create_ref("refs/heads/hotfix/INC-10", head)
    push_fix(box, "INC-10")
    text = box.ask("/hotfix prod jupyter_hub INC-10").text
    assert "Its pull request is open" in text
    assert any("found (adopted)" in r for r in replies(box, "INC-10"))


def test_a_version_pin_hotfix_changes_one_line_and_needs_no_back_merge(box: Sandbox) -> None:
    before = box.world.repo(CORE).text("show", "prod:core/helm-config.yaml")
    text = box.ask("/hotfix prod jupyter_hub --chart 3.2.2 INC-31 bump the chart").text
    assert "Its pull request is open" in text
    after = box.world.repo(CORE).text("show", "hotfix/INC-31:core/helm-config.yaml")
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert len(changed) == 1
    assert "3.2.1" in changed[0][0]
    assert changed[0][1] == changed[0][0].replace("3.2.1", "3.2.2")
    [pull] = open_pulls(box.world.repos_dir, CORE)
    assert (pull["head"], pull["base"]) == ("hotfix/INC-31", "prod")
    merge_sha = merge_pull(box.world.repos_dir, CORE, pull["number"])
    box.ask("/hotfix status INC-31")
    assert hotfix(box, "INC-31").stage is Stage.DONE
    [merged] = [r for r in replies(box, "INC-31") if r.startswith("Merged into")]
    assert merged.startswith(f"Merged into `prod` as `{merge_sha[:7]}`.")
    assert merged.endswith("A pin needs no back-merge: done. :white_check_mark:")
    assert box.ask("/hotfix promote INC-31").text == ":warning: INC-31 is done; nothing more to do."
    assert len(open_pulls(box.world.repos_dir, CORE, include_closed=True)) == 1  # no back-merge opened


def test_a_core_repository_hotfix_branches_from_the_environment_branch(box: Sandbox) -> None:
    text = box.ask("/hotfix stg core INC-40 broken kustomization").text
    assert "started" in text
    core = box.world.repo(CORE)
    assert core.resolve("refs/heads/hotfix/INC-40") == core.resolve("refs/heads/stg")
    assert "CORE REPOSITORY IN STG" in thread_root(box, "INC-40")


def test_status_lists_active_hotfixes_with_their_stage(box: Sandbox) -> None:
    box.ask("/hotfix prod jupyter_hub INC-50")
    box.ask("/hotfix dev jupyter_hub INC-51")
    text = box.ask("/hotfix status").text
    assert "INC-50" in text
    assert "INC-51" in text
    assert "HOT-FIXES (2)" in text


def test_hotfix_alone_opens_the_start_form(box: Sandbox) -> None:
    reply = box.ask("/hotfix")
    [opened] = box.slack.views()
    assert opened["callback_id"] == "hotfix_start"
    assert reply.ack.status == 200
    submitted = box.conversation.submit(
        "hotfix_start",
        {
            "environment": {"value": "prod"},
            "component": {"value": "jupyter_hub"},
            "ticket": {"value": "INC-60"},
            "summary": {"value": "from the form"},
        },
        private_metadata=INCIDENT[0],
        timeout=10,
        settle=1.0,
    )
    assert submitted.ack.status == 200
    box.slack.wait_for(lambda: box.bot.store.find("INC-60"))
    assert box.world.repo(JUPYTER).resolve("refs/heads/hotfix/INC-60") is not None


def test_the_bot_never_writes_to_protected_branches_never_forces_never_deletes(box: Sandbox) -> None:
    box.ask("/hotfix prod jupyter_hub INC-70")
    push_fix(box, "INC-70")
    box.ask("/hotfix pr INC-70")
    box.ask("/hotfix prod jupyter_hub --image lscsde/jupyterhub:4.1.6 INC-71")
    # POST /graphql is a query (the emulator serves no mutations): a read.
    writes = [r for r in box.github.requests if r.method not in ("GET", "HEAD") and r.path != "/graphql"]
    assert writes
    assert not [r for r in writes if r.method in ("DELETE", "PATCH")]
    for record in writes:
        if record.method == "PUT":
            assert "/contents/" in record.path  # only the pin commit, on the hot-fix branch
        else:
            assert record.method == "POST"
            assert record.path.endswith(("/git/refs", "/pulls")), record.path
