"""Who may steer hot-fixes from where: the channel's real name, even when Slack does not send it.

From a private channel Slack sends ``privategroup`` as the channel's name, from a DM
``directmessage``, and a modal's submission no name at all: the rules then go by the name the
directory knows for the channel's id.
"""

from __future__ import annotations

import pytest

from slackbot.domain.errors import NotPermitted, UsageError
from slackbot.services.access import Access, Actor, HotfixPolicy
from tests.unit.fakes import FakeDirectory

CHANNELS = {"C0INC125": "inc-125-kc", "C0GENERAL": "general"}


def access(**policy: object) -> Access:
    return Access(
        HotfixPolicy(core_repository="acme/core", allowed_users=("U0ALICE",), **policy),  # type: ignore[arg-type]
        FakeDirectory(channels=dict(CHANNELS)),
    )


@pytest.mark.parametrize("sent", ["privategroup", "directmessage", None, ""])
def test_a_placeholder_or_missing_name_is_looked_up_by_the_channels_id(sent: str | None) -> None:
    alice = Actor(user_id="U0ALICE", channel_id="C0INC125", channel_name=sent)

    access().authorize(alice)

    assert access().ticket_for(None, alice) == "125"
    assert access().channel_name(alice) == "inc-125-kc"


def test_a_name_slack_sent_is_taken_as_it_is() -> None:
    alice = Actor(user_id="U0ALICE", channel_id="C0INC125", channel_name="inc-7-renamed")

    assert access().ticket_for(None, alice) == "7"


def test_a_typed_ticket_wins_over_the_channels_name() -> None:
    alice = Actor(user_id="U0ALICE", channel_id="C0INC125", channel_name="privategroup")

    assert access().ticket_for("INC-9", alice) == "INC-9"


def test_a_private_channel_the_bot_cannot_see_asks_to_invite_it() -> None:
    hidden = Actor(user_id="U0ALICE", channel_id="C0HIDDEN", channel_name="privategroup")

    with pytest.raises(NotPermitted, match=r"can't see this private channel.*`/invite @fluxbot`"):
        access().authorize(hidden)


@pytest.mark.parametrize(
    ("channel", "sent"),
    [("D0ALICE", "directmessage"), ("C0GENERAL", "general"), ("C0GENERAL", "privategroup")],
)
def test_dms_and_other_channels_are_not_incident_channels(channel: str, sent: str) -> None:
    with pytest.raises(NotPermitted, match="only in incident channels"):
        access().authorize(Actor(user_id="U0ALICE", channel_id=channel, channel_name=sent))


def test_a_configured_private_channel_needs_no_name() -> None:
    war_room = Actor(user_id="U0ALICE", channel_id="C0WAR", channel_name="privategroup")

    access(channels=("C0WAR",)).authorize(war_room)
    with pytest.raises(UsageError, match="Which ticket"):
        access(channels=("C0WAR",)).ticket_for(None, war_room)
