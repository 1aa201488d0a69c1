"""The contract the bot keeps with Slack (:mod:`tests.slack_contract`): every message and view
parses with slack_sdk's models and keeps Slack's documented limits.

The scenario conversations are checked at the end of each (``tests/scenario/conftest.py``): the
emulator keeps everything the bot sent. Here: that the check itself can fail, and the bot's largest
answers — the ones that grow with the world — sent through the emulator as the bot sends them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from slack_sdk import WebClient

from slackbot.domain.events import Rollout
from slackbot.domain.hotfix import Hotfix, Kind, PullRequestRef, Stage
from slackbot.domain.versions import ComponentVersions, ConfigFileError, EnvironmentVersions, FileRef, Layout
from slackbot.domain.views import HotfixLinks, ThreadView
from slackbot.render.blocks import Message
from slackbot.render.hotfix_blocks import start_modal, status_list
from slackbot.render.terminal import render_message
from slackbot.render.versions_blocks import environment_versions
from slackbot.sandbox.slack_emulator import SlackEmulator
from slackbot.services.outcome import StartForm
from tests.slack_contract import contract_problems, message_problems, view_problems

CORE = "lsc-sde/iac-flux-lscsde"


def shown(client: WebClient, emulator: SlackEmulator, message: Message) -> str:
    """Post the message as the bot answers (ephemeral); what the person reads. Slack must take it
    and it must keep the contract."""
    client.chat_postEphemeral(channel="C0INC", user="U0ALICE", **message.as_kwargs())
    assert contract_problems(emulator.received()) == []
    [posted] = emulator.ephemeral_messages("C0INC", "U0ALICE")
    return render_message(posted.text, posted.blocks)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


# ---------------------------------------------------------------------- the check itself


@pytest.mark.parametrize(
    ("content", "breach"),
    [
        ({"text": "x", "blocks": [{"type": "teleporter", "elements": []}]}, "does not know this block"),
        (
            {"text": "x", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]},
            "plain text",
        ),
        ({"text": "x", "blocks": [section("x")] * 51}, "51 blocks"),
        ({"text": "x", "blocks": [section("x" * 3001)]}, "slack_sdk refuses it"),
        ({"text": "x", "blocks": [section("y" * 2900)] * 5}, "Slack refuses above"),
        ({"text": "x", "blocks": [{**section("x"), "colour": "red"}]}, "reads it differently"),
        ({"text": "t" * 40_001}, "text over"),
        ({"text": ""}, "nothing to show"),
    ],
)
def test_the_check_finds_what_slack_refuses_in_a_message(content: dict[str, Any], breach: str) -> None:
    [problem] = message_problems(content)

    assert breach in problem


def test_the_check_finds_what_slack_refuses_in_a_view() -> None:
    title = {"type": "plain_text", "text": "Start"}
    ticket = {
        "type": "input",
        "label": {"type": "plain_text", "text": "Ticket"},
        "element": {"type": "plain_text_input", "action_id": "v"},
    }

    assert view_problems({"type": "modal", "title": title, "blocks": [ticket]}) == [
        "view: an input block needs a submit button"
    ]
    assert (
        "slack_sdk refuses it"
        in view_problems({"type": "modal", "title": title, "blocks": [section("x")] * 101})[0]
    )
    assert view_problems({"type": "modal", "title": title, "submit": title, "blocks": [ticket]}) == []


# ---------------------------------------------------------------------- /versions


def environment(problems: int, components: int = 3, odd: str = "") -> EnvironmentVersions:
    """prod with that many components and problems; ``odd`` goes in every name and value."""
    ref = FileRef(repository=CORE, branch="prod", path="core/helm-config.yaml")
    unexpected = f"the YAML says something unexpected{odd} here. " * 30
    return EnvironmentVersions(
        environment="prod",
        repository=CORE,
        branch="prod",
        commit="a" * 40,
        layout=Layout.SPLIT,
        components=tuple(
            ComponentVersions(f"component_{n}{odd}", None, f"release/0.{n}{odd}", "1.0.0", f"img{odd}:1")
            for n in range(components)
        ),
        core_charts=(),
        problems=tuple(ConfigFileError(ref, f"problem {n}: {unexpected}", line=n) for n in range(problems)),
    )


def test_ten_long_problems_fit_one_answer_and_say_how_many_more_there_are(
    client: WebClient, emulator: SlackEmulator
) -> None:
    text = shown(client, emulator, environment_versions(environment(problems=10), commit_url=None))

    assert "problem 0: the YAML says" in text
    assert "problem 9" not in text
    assert "more problems: `slackbot versions prod --json` lists them all." in text
    assert "component_2" in text  # the table still comes first


def test_names_full_of_characters_json_escapes_still_fit_one_answer(
    client: WebClient, emulator: SlackEmulator
) -> None:
    odd = '"\\' * 10  # each takes two characters in the message's JSON, and Slack counts those
    text = shown(client, emulator, environment_versions(environment(12, 300, odd), commit_url=None))

    assert "more components: ask for one with `/versions prod COMPONENT`" in text
    assert "more problems" in text


def test_a_few_problems_are_all_shown(client: WebClient, emulator: SlackEmulator) -> None:
    text = shown(
        client, emulator, environment_versions(environment(problems=1, components=200), commit_url=None)
    )

    assert "problem 0" in text
    assert "more problems" not in text


# ---------------------------------------------------------------------- /hotfix status


REPOSITORY = "lsc-sde/iac-flux-jupyterhub-user-environments"
GITHUB = f"https://github.com/{REPOSITORY}"


def view_of(n: int) -> ThreadView:
    """A hot-fix merged and waiting for its back-merge, as long-named as real ones get."""
    ticket = f"INC-{1000 + n}-jupyterhub-spawner-timeouts-in-prod"
    hotfix = Hotfix(
        ticket=ticket,
        kind=Kind.COMPONENT,
        environment="prod",
        component="jupyterhub_user_environments",
        repository=REPOSITORY,
        base_branch="release/0.2.105-jupyterhub-4.1",
        branch=f"hotfix/{ticket}",
        started_by="U0ALICE",
        channel_id="C0INC",
        stage=Stage.BACKMERGE_OPEN,
        pull=PullRequestRef(number=100 + n, url=f"{GITHUB}/pull/{100 + n}"),
        backmerge=PullRequestRef(number=200 + n, url=f"{GITHUB}/pull/{200 + n}"),
    )
    links = HotfixLinks(
        repository=GITHUB,
        base=f"{GITHUB}/tree/{hotfix.base_branch}",
        branch=f"{GITHUB}/tree/{hotfix.branch}",
        compare=f"{GITHUB}/compare/{hotfix.base_branch}...{hotfix.branch}",
    )
    ts = f"{1_700_000_000 + n}.000100"
    thread = f"https://sandbox.slack.com/archives/C0INC/p{ts.replace('.', '')}?thread_ts={ts}&cid=C0INC"
    return ThreadView(hotfix, links, Rollout(("prod", "stg"), timedelta(minutes=10)), thread_link=thread)


def test_twenty_hotfixes_fit_one_status_answer_and_say_how_many_more_there_are(
    client: WebClient, emulator: SlackEmulator
) -> None:
    message = status_list([view_of(n) for n in range(20)])

    text = shown(client, emulator, message)

    assert len(message.blocks) <= 50
    assert "HOT-FIXES (20)" in text
    assert "INC-1000-jupyterhub-spawner-timeouts-in-prod" in text
    listed = sum(1 for block in message.blocks if block.type == "section")  # one per hot-fix shown
    assert f"…and {20 - listed} more: `/hotfix status TICKET` shows one" in text
    assert 0 < listed < 20


def test_a_few_hotfixes_are_all_listed(client: WebClient, emulator: SlackEmulator) -> None:
    text = shown(client, emulator, status_list([view_of(n) for n in range(3)]))

    assert all(f"INC-{1000 + n}-jupyterhub-spawner-timeouts-in-prod" in text for n in range(3))
    assert "more:" not in text


# ---------------------------------------------------------------------- the start form


def test_the_start_form_with_more_components_than_a_select_holds_keeps_core_and_says_what_to_do(
    client: WebClient, emulator: SlackEmulator
) -> None:
    form = StartForm(
        environments=("prod", "stg"), components=tuple(f"c{n:03}" for n in range(150)), core="core"
    )

    opened = client.views_open(trigger_id=emulator.new_trigger_id(), view=start_modal(form, "C0INC"))["view"]

    component = next(b for b in opened["blocks"] if b["block_id"] == "component")
    values = [o["value"] for o in component["element"]["options"]]
    assert len(values) == 100
    assert values[-1] == "core"
    assert values[:2] == ["c000", "c001"]
    assert "51 more are not listed here" in component["hint"]["text"]
    assert "`/hotfix ENV COMPONENT`" in component["hint"]["text"]
    assert contract_problems(emulator.received()) == []


def test_the_start_form_with_few_components_lists_them_all_and_core(
    client: WebClient, emulator: SlackEmulator
) -> None:
    form = StartForm(environments=("prod",), components=("jupyter_hub", "gateway"), core="core")

    opened = client.views_open(trigger_id=emulator.new_trigger_id(), view=start_modal(form, "C0INC"))["view"]

    component = next(b for b in opened["blocks"] if b["block_id"] == "component")
    assert [o["value"] for o in component["element"]["options"]] == ["jupyter_hub", "gateway", "core"]
    assert "hint" not in component
