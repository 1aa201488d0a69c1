"""In an incident channel someone compares prod with stg and presses "Make prod like stg" for one
component: one pull request into prod's branch of the core repository, changing exactly the values
that differ, one commit per file — started, audited and announced as `/hotfix` starts a pin hot-fix.

In the sandbox world prod and stg differ for awms_guacamole in all three pins, each in its own file
(flux branch release/0.1.28 → 0.1.29, chart 0.1.28 → 0.1.29, image …-operator:0.1.28 → 0.1.29).
"""

from __future__ import annotations

import difflib

from slackbot.domain.hotfix import Kind, Stage
from slackbot.domain.make_like import MAKE_LIKE_ACTION
from slackbot.render.terminal import render_message
from slackbot.sandbox.github_emulator.hooks import RequestRecord
from slackbot.sandbox.harness import Sandbox
from slackbot.sandbox.slack_emulator import Message
from slackbot.sandbox.slack_user import Conversation
from slackbot.sandbox.world import commit_file, merge_pull, open_pulls
from tests.scenario.helpers import CORE, hotfix, thread_root

FLUX, HELM, IMAGE = "core/flux-config.yaml", "core/helm-config.yaml", "core/image-config.yaml"
# A hot-fix started from "#inc-2291-jupyter" takes its ticket from the channel's name.
TICKET = "2291"
ALREADY_STARTED = "2291 is already being hot-fixed in `lsc-sde/iac-flux-lscsde`"
OUTSIDE = (
    "`/hotfix` works only in incident channels (names matching `^inc-`); nothing was changed. "
    "Run it in the incident's channel."
)


def writes(box: Sandbox) -> list[RequestRecord]:
    """What the bot changed on GitHub since the log was cleared (a GraphQL POST only reads)."""
    return [
        r
        for r in box.github.requests
        if r.method in ("POST", "PUT", "PATCH", "DELETE") and r.path != "/graphql"
    ]


def the_diff(person: Conversation) -> Message:
    """``/versions diff prod stg``, as the person sees the answer."""
    reply = person.ask("/versions diff prod stg", timeout=10)
    assert "PROD VS STG" in reply.text, reply.text
    return person.find_message_with(MAKE_LIKE_ACTION)


def press_make_like(person: Conversation, diff: Message, component: str) -> str:
    """Press the diff's "Make prod like stg" button of ``component`` (its confirmation accepted);
    the answer the person reads (starting takes a few requests: wait for it, not for a pause)."""
    for block in diff.blocks:
        button = block.get("accessory") or {}
        if button.get("action_id") == MAKE_LIKE_ACTION and str(button.get("value")).endswith(f"|{component}"):
            assert button["text"]["text"] == "Make prod like stg"
            assert "confirm" in button  # Slack asks first, showing what changes where
            mark = person.emulator.post_mark()
            reply = person.click(MAKE_LIKE_ACTION, button["value"], diff, block_id=block.get("block_id"))
            assert reply.ack.acked_in_time
            return answer_since(person, mark)
    raise AssertionError(f"the diff has no button for {component}")


def answer_since(person: Conversation, mark: int) -> str:
    """The first answer shown to the person alone since ``mark`` (their response_url, or ephemeral)."""
    answer = person.emulator.wait_for(
        lambda: next(
            (
                post
                for post in person.emulator.posts_since(mark)
                if post.kind in ("response_url", "chat.postEphemeral") and post.user == person.user.user_id
            ),
            None,
        ),
        timeout=15,
    )
    return render_message(answer.text, answer.blocks)


def one_value_changed(before: str, after: str) -> tuple[str, str]:
    """The one line that differs, (before, after)."""
    pairs = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert len(pairs) == 1, list(difflib.unified_diff(before.splitlines(), after.splitlines()))
    return pairs[0]


def test_make_prod_like_stg_opens_one_pull_request_changing_exactly_those_values(box: Sandbox) -> None:
    core = box.world.repo(CORE)
    prod_head = core.resolve("refs/heads/prod")
    before = {path: core.text("show", f"prod:{path}") for path in (FLUX, HELM, IMAGE)}
    person = box.conversation
    diff = the_diff(person)
    box.github.clear_log()

    reply = press_make_like(person, diff, "awms_guacamole")

    assert reply.startswith(
        f"Hot-fix {TICKET} started: `hotfix/{TICKET}` in `{CORE}`. Its pull request is open. Open the thread"
    ), reply
    [pull] = open_pulls(box.world.repos_dir, CORE)
    assert (pull["head"], pull["base"]) == (f"hotfix/{TICKET}", "prod")
    assert pull["title"] == (
        f"{TICKET}: prod awms_guacamole branch → release/0.1.29, chart → 0.1.29, "
        "image → lscsde/awms-guacamole-operator:0.1.29"
    )
    # One commit per file on top of prod, each changing one value and nothing else.
    commits = core.text("log", "--format=%s", f"{prod_head}..hotfix/{TICKET}").splitlines()
    assert commits == [
        f"{TICKET}: set awms_guacamole image to lscsde/awms-guacamole-operator:0.1.29 on prod",
        f"{TICKET}: set awms_guacamole chart to 0.1.29 on prod",
        f"{TICKET}: set awms_guacamole branch to release/0.1.29 on prod",
    ]
    after = {path: core.text("show", f"hotfix/{TICKET}:{path}") for path in (FLUX, HELM, IMAGE)}
    assert one_value_changed(before[FLUX], after[FLUX]) == (
        "      branch: release/0.1.28",
        "      branch: release/0.1.29",
    )
    assert one_value_changed(before[HELM], after[HELM]) == (
        "    chart_version: 0.1.28",
        "    chart_version: 0.1.29",
    )
    assert one_value_changed(before[IMAGE], after[IMAGE]) == (
        "    image: lscsde/awms-guacamole-operator:0.1.28",
        "    image: lscsde/awms-guacamole-operator:0.1.29",
    )
    # What it costs on GitHub: one branch, three commits, one pull request.
    made = [(r.method, r.path.rsplit("/", 1)[-1]) for r in writes(box)]
    assert sorted(made) == sorted(
        [
            ("POST", "refs"),
            ("PUT", "flux-config.yaml"),
            ("PUT", "helm-config.yaml"),
            ("PUT", "image-config.yaml"),
            ("POST", "pulls"),
        ]
    )
    # The hot-fix, its thread and its audit are those of a `/hotfix … --chart` start.
    started = hotfix(box, TICKET)
    assert (started.kind, started.stage, started.environment, started.component) == (
        Kind.PIN,
        Stage.PR_OPEN,
        "prod",
        "awms_guacamole",
    )
    assert [p.field.value for p in started.pins] == ["branch", "chart", "image"]
    root = thread_root(box, TICKET)
    assert "Make prod like stg" in root
    assert "`core/helm-config.yaml`: chart `0.1.28` → `0.1.29`" in root
    assert [(e.action, e.result) for e in box.bot.store.audit_log(ticket=TICKET)] == [("start", "ok")]

    # Pressed again (a double click, or someone else): the same hot-fix, no second pull request.
    box.github.clear_log()
    again = press_make_like(person, diff, "awms_guacamole")
    assert again.startswith(ALREADY_STARTED), again
    assert writes(box) == []
    assert len(open_pulls(box.world.repos_dir, CORE, include_closed=True)) == 1

    # Merged, prod is like stg for it: the next diff no longer lists it.
    merge_pull(box.world.repos_dir, CORE, pull["number"])
    assert "awms_guacamole" in box.ask("/versions diff prod stg").text.split("*The same in both*")[1]


def test_github_failing_between_two_commits_is_finished_by_pressing_again(box: Sandbox) -> None:
    core = box.world.repo(CORE)
    prod_head = core.resolve("refs/heads/prod")
    person = box.conversation
    diff = the_diff(person)
    box.github.inject_fault("PUT", r"/contents/core/helm-config\.yaml$", 502, times=3)  # retries included

    failed = press_make_like(person, diff, "awms_guacamole")

    assert "the pin changes were not all committed to it" in failed, failed
    assert core.text("log", "--format=%s", f"{prod_head}..hotfix/{TICKET}").splitlines() == [
        f"{TICKET}: set awms_guacamole branch to release/0.1.29 on prod"
    ]
    assert open_pulls(box.world.repos_dir, CORE) == []

    finished = press_make_like(person, diff, "awms_guacamole")

    assert "Its pull request is open" in finished, finished
    changed = core.text("log", "--format=%s", "--name-only", f"{prod_head}..hotfix/{TICKET}").split()
    assert sorted(p for p in changed if p.startswith("core/")) == [FLUX, HELM, IMAGE]  # each file once
    assert len(open_pulls(box.world.repos_dir, CORE)) == 1


def test_values_that_became_the_same_since_the_diff_are_said_to_be_and_nothing_is_made(box: Sandbox) -> None:
    person = box.conversation
    diff = the_diff(person)
    stg_flux = box.world.repo(CORE).text("show", f"stg:{FLUX}")
    commit_file(  # someone gives stg prod's guacamole branch after the diff was drawn
        box.world.repo_dir(CORE),
        "stg",
        FLUX,
        stg_flux.replace("branch: release/0.1.21\n", "branch: release/0.1.21-patched-20241010\n"),
        "Staging follows the patched guacamole",
    )
    box.github.clear_log()

    reply = press_make_like(person, diff, "guacamole")

    assert reply == (
        ":warning: `guacamole` is already the same in prod and stg (branch, chart and image); nothing was changed."
    )
    assert writes(box) == []
    assert box.bot.store.find(TICKET, active_only=False) == []


def test_outside_an_incident_channel_the_button_says_what_hotfix_says(box: Sandbox) -> None:
    general = box.conversation_with(box.person(channel=("C0GENERAL", "general")))
    diff = the_diff(general)
    box.github.clear_log()

    reply = press_make_like(general, diff, "awms_guacamole")

    assert reply == f":warning: {OUTSIDE}"
    typed = general.ask("/hotfix prod awms_guacamole --chart 0.1.29")
    assert typed.text == reply  # word for word what `/hotfix` says there
    assert writes(box) == []
    assert box.bot.store.active() == []


def test_a_forged_value_gets_one_sentence_and_nothing_is_created(box: Sandbox) -> None:
    person = box.conversation
    for value, words in (
        ("prod|stg", "That button's value is not one the bot draws"),
        ("prod|prod|keda", "That button's value is not one the bot draws"),
        ("prod|stg|<!channel>", "I don't know a component called `&lt;!channel&gt;`"),
        ("prod|moon|keda", "environment"),
        ("../main|stg|keda", "environment"),
        ("prod|stg|" + "x" * 3000, "That button's value is not one the bot draws"),
    ):
        box.github.clear_log()
        reply = person.forge_click(MAKE_LIKE_ACTION, value)
        [answer] = [p for p in reply.posts if p.get("text")]
        text = str(answer["text"])
        assert words in text, (value, text)
        assert "<!channel>" not in text
        assert "\n" not in text
        assert writes(box) == [], value
    assert box.bot.store.find(TICKET, active_only=False) == []
