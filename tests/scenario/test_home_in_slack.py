"""Conversations on the bot's Home tab: a person opens it in Slack (an ``app_home_opened`` event,
signed like every request) and reads the open hot-fixes, the release branches main lacks and every
environment; they snooze a branch and open `/versions` answers from it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from slackbot.domain.snooze import SnoozeSubject
from slackbot.render.home_blocks import VERSIONS
from slackbot.render.hotfix_blocks import SNOOZE
from slackbot.render.terminal import render_message
from slackbot.sandbox.harness import Sandbox
from slackbot.sandbox.slack_home import home_action_payload
from slackbot.sandbox.world import commit_file, seed_world
from slackbot.settings import EnvironmentConfig, load_config
from tests.scenario.helpers import CORE, JUPYTER, push_fix

GUACAMOLE = "lsc-sde/iac-flux-guacamole"
NEXT_RELEASE = "release/0.2.106"  # what dev pins for jupyter_hub: level with main in the seeded world


def test_the_home_tab_shows_what_main_lacks_and_every_environment(shared_box: Sandbox) -> None:
    tab = shared_box.conversation.open_home()

    assert (tab.status, tab.timed_out) == (200, False)
    text = tab.text
    assert "No open hot-fixes." in text
    assert "RELEASE BRANCHES MAIN LACKS (2)" in text  # the seeded world's two forgotten back-merges
    assert f"*{GUACAMOLE}* release/0.1.21-patched-20241010" in text
    assert f"*{JUPYTER}* release/0.2.105" in text
    assert "main lacks (the oldest made" in text
    assert "pinned by prod, stg" in text
    assert "ENVIRONMENTS (5)" in text
    assert (
        "*jupyter_hub*  `release/0.2.105` prod, stg  ·  `release/0.2.106` dev  ·  `release/0.2.69` uat"
        in text
    )
    prod_head = shared_box.world.repo(CORE).resolve("refs/heads/prod")
    assert prod_head is not None
    assert f"*prod* — 16 components at {prod_head[:7]}" in text
    assert "*uat* — 7 components" in text
    assert "(legacy layout)" in text
    assert len(tab.blocks) <= 100


def test_a_hotfix_started_in_slack_is_on_the_home_tab_with_its_links(box: Sandbox) -> None:
    box.ask("/hotfix prod jupyter_hub spawner times out")

    text = box.conversation.open_home().text

    assert "OPEN HOT-FIXES (1)" in text
    assert "*2291 (https://" in text  # the ticket links to its thread
    assert "— jupyter_hub in prod: branch created, waiting for commits" in text
    assert "Started by @U0ALICE · `release/0.2.105` in lsc-sde/iac-flux-jupyter" in text
    assert f"hotfix/2291 ({box.github.base_url}/{JUPYTER}/tree/hotfix/2291)" in text
    assert ":hourglass_flowing_sand: pull request" in text

    push_fix(box, "2291")
    box.ask("/hotfix pr 2291")
    assert f"PR #1 ({box.github.base_url}/{JUPYTER}/pull/1)" in box.conversation.open_home().text


def test_a_merge_main_lacks_shows_up_and_snoozing_it_quiets_its_reminders(box: Sandbox) -> None:
    commit_file(
        box.world.repo_dir(JUPYTER),
        NEXT_RELEASE,
        "values/hub.yaml",
        "hub:\n  timeout: 120\n",
        "Merge pull request #40 from lsc-sde/fix-hub-timeout",
    )
    tab = box.conversation.open_home()
    value = SnoozeSubject.of_branch(JUPYTER, NEXT_RELEASE).key
    assert f"*{JUPYTER}* release/0.2.106" in tab.text
    assert "RELEASE BRANCHES MAIN LACKS (3)" in tab.text
    assert value in tab.options(SNOOZE)

    reply = box.conversation.choose_in_home(SNOOZE, value)

    assert [p["kind"] for p in reply.posts] == ["views.publish"]
    snoozed = box.conversation.open_home()
    assert f"Back-merge reminders for {JUPYTER}:release/0.2.106 are snoozed until" in render_message(
        "", reply.posts[0]["blocks"]
    )
    assert ":zzz: reminders snoozed until" in snoozed.text
    assert value not in snoozed.options(SNOOZE)
    assert box.bot.services.snoozes.snoozed(SnoozeSubject.of_branch(JUPYTER, NEXT_RELEASE))
    assert box.slack.messages("C0PLATFORM") == []  # snoozing posts nothing anywhere


def test_someone_not_allowed_to_steer_hotfixes_cannot_snooze_and_is_told_why(box: Sandbox) -> None:
    bob = box.conversation_with(box.person("U0BOB", "bob"))
    value = bob.open_home().options(SNOOZE)[0]

    reply = bob.choose_in_home(SNOOZE, value)

    shown = render_message("", reply.posts[-1]["blocks"])
    assert ":warning: You are not allowed to run hot-fixes; nothing was changed." in shown
    assert not box.bot.services.snoozes.snoozed(SnoozeSubject.parse(value))


def test_a_versions_answer_opens_from_the_home_tab_as_the_slash_command_gives_it(shared_box: Sandbox) -> None:
    home = shared_box.conversation.open_home()
    assert "prod jupyter_hub" in home.options(VERSIONS)

    reply = shared_box.conversation.choose_in_home(VERSIONS, "prod jupyter_hub")

    assert [p["kind"] for p in reply.posts] == ["views.open", "views.update"]
    assert "Reading `/versions prod jupyter_hub` from GitHub…" in render_message("", reply.posts[0]["blocks"])
    modal = shared_box.slack.views()[-1]
    assert modal["title"]["text"] == "prod jupyter_hub"
    assert render_message("", modal["blocks"]) == shared_box.ask("/versions prod jupyter_hub").text


def test_everything_in_an_environment_opens_from_its_menu(shared_box: Sandbox) -> None:
    shared_box.conversation.open_home()

    reply = shared_box.conversation.choose_in_home(VERSIONS, "uat")

    text = render_message("", reply.posts[-1]["blocks"])
    assert text.startswith("UAT — VERSIONS")
    assert "release/0.2.69" in text


@pytest.mark.parametrize(
    ("value", "said"),
    [
        pytest.param("moon", "Known environments", id="an-environment-no-longer-configured"),
        pytest.param("prod jupiter", "Did you mean `jupyter_hub`?", id="a-component-renamed-since"),
        pytest.param("prod <!channel>", "That menu is out of date", id="a-forged-value"),
    ],
)
def test_a_stale_or_forged_menu_choice_gets_a_sentence_in_the_modal(
    shared_box: Sandbox, value: str, said: str
) -> None:
    tab = shared_box.conversation.open_home()
    assert tab.view is not None
    payload = home_action_payload(shared_box.user, tab.view, VERSIONS, "prod")
    payload["actions"][0]["selected_option"]["value"] = value  # what an old tab or a forger sends
    mark = shared_box.slack.post_mark()

    assert shared_box.delivery.send_interaction(payload).status == 200

    shown = shared_box.slack.wait_for(
        lambda: [p for p in shared_box.slack.posts_since(mark) if p.kind.startswith("views.")][-1:]
    )
    shared_box.slack.wait_for(lambda: said in render_message("", shared_box.slack.views()[-1]["blocks"]))
    assert shown
    assert "<!channel>" not in json.dumps(shared_box.slack.views()[-1])


def test_the_messages_tab_is_left_alone(shared_box: Sandbox) -> None:
    before = len(shared_box.slack.home_publishes())
    tab = shared_box.conversation.open_home(tab="messages", timeout=0.5)
    assert (tab.status, tab.timed_out) == (200, True)
    assert len(shared_box.slack.home_publishes()) == before


def test_a_malformed_or_unsigned_event_is_refused_and_publishes_nothing(shared_box: Sandbox) -> None:
    before = len(shared_box.slack.home_publishes())
    envelope = shared_box.slack.app_home_opened_event("U0ALICE")

    no_event = {key: value for key, value in envelope.items() if key != "event"}
    assert shared_box.delivery.send_event(no_event).status == 400
    assert shared_box.delivery.send_event({**envelope, "type": "block_actions"}).status == 400
    assert shared_box.delivery.send_event(envelope, signature="").status == 401

    time.sleep(0.3)
    assert len(shared_box.slack.home_publishes()) == before


def test_slack_s_retry_of_an_event_already_handled_is_not_read_again(shared_box: Sandbox) -> None:
    envelope = shared_box.slack.app_home_opened_event("U0ALICE")
    before = len(shared_box.slack.home_publishes())
    assert shared_box.delivery.send_event(envelope).status == 200
    shared_box.slack.wait_for(lambda: len(shared_box.slack.home_publishes()) > before, timeout=10)

    # Slack's retry: the same event in a new request (a new timestamp, so a new signature).
    retry = shared_box.delivery.send_event(envelope, retry_num=1, timestamp=int(time.time()) + 1)

    assert retry.status == 200
    time.sleep(0.5)
    assert len(shared_box.slack.home_publishes()) == before + 1


def test_one_repository_github_cannot_compare_is_a_line_and_the_rest_still_shows(box: Sandbox) -> None:
    box.github.inject_fault("GET", rf"/repos/{GUACAMOLE}/compare/", 502, times=50)

    text = box.conversation.open_home(timeout=20).text

    assert f"could not compare with `main`: `{GUACAMOLE}` `release/0.1.21-patched-20241010`:" in text
    assert f"*{JUPYTER}* release/0.2.105" in text
    assert "*prod* — 16 components" in text


def test_github_down_still_shows_the_tab_with_what_could_not_be_read(box: Sandbox) -> None:
    box.ask("/hotfix prod jupyter_hub")
    box.github.inject_fault("*", r".", 503, times=1000)

    text = box.conversation.open_home(timeout=20).text

    assert "OPEN HOT-FIXES (1)" in text  # from the bot's own records
    assert ":warning: *prod* could not be read: GitHub is having trouble (HTTP 503)" in text
    assert "Traceback" not in text


def test_one_opening_costs_few_github_requests_cold_and_none_of_the_rate_limit_warm(box: Sandbox) -> None:
    box.restart_bot()  # empty caches
    box.github.clear_log()
    box.conversation.open_home()
    cold = list(box.github.requests)
    cold_limited = box.github.rate_limited_count()

    box.github.clear_log()
    box.conversation.open_home()
    warm = list(box.github.requests)

    # One listing of the core repository's branches (plus the environments' files, cold), one
    # comparison with main per release branch an environment pins (15 in the sandbox), and the
    # pull requests of the 2 that main lacks; warm, every one of them a free 304.
    compares = [r.path for r in cold if "/compare/" in r.path]
    assert len(compares) == len(set(compares)) == 15
    assert sorted(r.path for r in warm if "/compare/" in r.path) == sorted(compares)
    assert len([r for r in warm if "/pulls" in r.path]) == 2
    assert cold_limited <= 50
    assert len(warm) == 18
    assert box.github.rate_limited_count() == 0


def test_the_home_tab_works_over_socket_mode(tmp_path: Path) -> None:
    with Sandbox(tmp_path, socket_mode=True) as box:
        tab = box.conversation.open_home()
        assert "ENVIRONMENTS (5)" in tab.text

        reply = box.conversation.choose_in_home(VERSIONS, "prod")

        assert [p["kind"] for p in reply.posts] == ["views.open", "views.update"]
        assert render_message("", reply.posts[-1]["blocks"]).startswith("PROD — VERSIONS")


def test_forty_components_in_thirty_environments_fit_the_home_tab(tmp_path: Path) -> None:
    config = load_config(seed_world(tmp_path / "probe").config_path)
    extra = {f"env{n:02d}": EnvironmentConfig(branch=f"env{n:02d}") for n in range(1, 26)}
    config = config.model_copy(update={"environments": {**config.environments, **extra}})
    with Sandbox(tmp_path / "box", config=config) as box:
        core = box.world.repo(CORE)
        names = [f"component_{i:02d}_with_a_longish_name" for i in range(40)]
        for env in extra:
            flux = "components:\n" + "".join(
                f"  {n}:\n    repository:\n      branch: release/0.{i}.{100 + i}-{env}-hotfix-20240329-001\n"
                for i, n in enumerate(names)
            )
            sha = core.ref("refs/heads/dev")
            assert sha is not None
            core.create_ref(f"refs/heads/{env}", sha)
            core.commit_file(env, "core/flux-config.yaml", flux, f"{env}: forty components")

        tab = box.conversation.open_home(timeout=60)

        assert (tab.status, tab.timed_out) == (200, False)
        [published] = [r for r in box.slack.received() if r.via == "views.publish"]
        assert published.error is None  # Slack took it
        assert len(tab.blocks) <= 100
        assert "ENVIRONMENTS (30)" in tab.text
        for env in extra:
            assert f"*{env}* — 54 components at" in tab.text  # 40 of its own, 14 from dev's other files
        assert f"{names[0]}" in tab.text
        menus = tab.options(VERSIONS)
        assert "env25 component_39_with_a_longish_name" in menus
