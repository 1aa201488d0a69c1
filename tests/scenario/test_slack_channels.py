"""Hot-fixes in the channels incidents really use: private ones (which Slack calls "privategroup"
in every command and click), DMs ("directmessage"), and the start form, which names no channel."""

from __future__ import annotations

import pytest

from slackbot.domain.hotfix_commands import Start
from slackbot.sandbox.harness import INCIDENT, PRIVATE_INCIDENT, Sandbox
from slackbot.sandbox.world import open_pulls
from slackbot.services.access import Actor
from tests.scenario.helpers import JUPYTER, hotfix, push_fix, thread_root


def test_a_private_incident_channel_starts_a_hotfix_with_the_ticket_from_its_name(box: Sandbox) -> None:
    talk = box.conversation_with(box.person(channel=PRIVATE_INCIDENT))

    text = talk.ask("/hotfix prod jupyter_hub spawner times out", timeout=15).text

    assert "Hot-fix 125 started" in text  # from #inc-125-kc, though Slack sent "privategroup"
    assert hotfix(box, "125").channel_id == PRIVATE_INCIDENT[0]
    assert "HOT-FIX 125 — JUPYTER_HUB IN PROD" in thread_root(box, "125")


def test_the_buttons_work_in_a_private_incident_channel(box: Sandbox) -> None:
    operator = Actor(user_id="operator", channel_id=PRIVATE_INCIDENT[0], via="cli")  # its thread is there
    box.bot.hotfixes.handle(
        Start(environment="prod", component="jupyter_hub", ticket="125", summary=""), operator
    )
    push_fix(box, "125")
    talk = box.conversation_with(box.person(channel=PRIVATE_INCIDENT))

    clicked = talk.click("hotfix_open_pr", "125", timeout=15)

    assert "Pull request opened" in clicked.text
    [pull] = open_pulls(box.world.repos_dir, JUPYTER)
    assert pull["head"] == "hotfix/125"


def test_a_private_channel_the_bot_is_not_in_asks_to_be_invited_and_works_once_it_is(box: Sandbox) -> None:
    box.slack.add_channel("C0PRIV77", "inc-77-db", is_private=True, members=[])  # the bot is not in it
    talk = box.conversation_with(box.person(channel=("C0PRIV77", "inc-77-db")))

    refused = talk.ask("/hotfix prod jupyter_hub").text
    box.slack.invite("C0PRIV77", box.slack.bot_user_id)  # /invite @fluxbot
    started = talk.ask("/hotfix prod jupyter_hub", timeout=15).text

    assert "can't see this private channel" in refused
    assert "`/invite @fluxbot`" in refused
    assert "Hot-fix 77 started" in started  # at once: a name that could not be read is not cached


def test_a_direct_message_is_not_an_incident_channel(box: Sandbox) -> None:
    talk = box.conversation_with(box.person(channel=("D0ALICE", "alice")))

    text = talk.ask("/hotfix prod jupyter_hub INC-1").text

    assert "works only in incident channels" in text
    assert box.bot.store.find("INC-1", active_only=False) == []


@pytest.mark.parametrize(("channel", "ticket"), [(INCIDENT, "2291"), (PRIVATE_INCIDENT, "125")])
def test_the_start_form_without_a_ticket_takes_it_from_the_channels_name(
    box: Sandbox, channel: tuple[str, str], ticket: str
) -> None:
    talk = box.conversation_with(box.person(channel=channel))
    talk.ask("/hotfix")

    submitted = talk.submit(
        "hotfix_start",
        {"environment": {"value": "prod"}, "component": {"value": "jupyter_hub"}, "ticket": {"value": ""}},
        timeout=15,
        settle=0.5,
    )

    assert f"Hot-fix {ticket} started" in submitted.text
    assert hotfix(box, ticket).channel_id == channel[0]
