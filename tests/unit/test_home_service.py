"""The App Home's service, wired as in the bot, against in-memory fakes: what one opening of the
Home tab reads — open hot-fixes, the release branches main lacks, every environment — and that
looking changes nothing.

The world is :mod:`tests.unit.test_followup`'s: prod and stg pin jupyter_hub's ``release/0.2.105``,
one hand-made hot-fix ahead of ``main``; dev pins ``release/0.2.106``, level with ``main``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from slackbot.domain.errors import NotFound
from slackbot.domain.followup import RolloutState
from slackbot.domain.hotfix import Stage
from slackbot.domain.snooze import SnoozeSubject
from slackbot.domain.versions import EnvironmentVersions
from slackbot.services.home import HomeSnapshot
from tests.unit.test_followup import ALICE, CORE, JUPYTER, NEXT_RELEASE, OPERATOR, RELEASE, Bot, watched


@pytest.fixture
def bot() -> Bot:
    return Bot(watched("prod"), watched("stg"))


def opened(bot: Bot) -> HomeSnapshot:
    return bot.service.home.snapshot()


def test_the_open_hotfixes_are_shown_newest_first_with_each_environment_s_roll_out(bot: Bot) -> None:
    bot.merged("INC-1")
    bot.start("INC-2")

    home = opened(bot)

    assert [v.hotfix.ticket for v in home.hotfixes] == ["INC-2", "INC-1"]
    merged = home.hotfixes[1]
    assert merged.rollouts == {"prod": RolloutState.WAITING, "stg": RolloutState.WAITING}
    assert merged.thread_link is not None
    assert merged.links.branch.endswith("/tree/hotfix/INC-1")
    assert merged.hotfix.started_by == "U0ALICE"


def test_finished_and_cancelled_hotfixes_are_not_open(bot: Bot) -> None:
    bot.start("INC-1")
    bot.service.tracker.cancel("INC-1", ALICE)
    bot.merged("INC-2")
    bot.backmerged("INC-2")
    bot.watch()
    assert bot.hotfix("INC-2").stage is Stage.DONE

    assert opened(bot).hotfixes == ()


def test_a_release_branch_main_lacks_is_owed_with_who_pins_it_and_a_level_one_is_not(bot: Bot) -> None:
    home = opened(bot)

    [owed] = home.owed
    assert (owed.pending.repository, owed.pending.branch, owed.pending.ahead_by) == (JUPYTER, RELEASE, 1)
    assert owed.pending.environments == ("prod", "stg")
    assert (owed.pending.hotfix, owed.pending.pull, owed.snoozed_until) == (None, None, None)
    assert owed.compare_url == f"https://forge.test/{JUPYTER}/compare/main...{RELEASE}"
    assert home.main_branch == "main"
    assert home.unreadable == ()


def test_a_merged_hotfix_s_base_is_owed_by_that_hotfix_and_shows_its_back_merge_pull_request(
    bot: Bot,
) -> None:
    bot.merged("INC-1")
    bot.service.backmerges.promote("INC-1", ALICE)

    [owed] = opened(bot).owed

    assert owed.pending.hotfix is not None
    assert owed.pending.hotfix.ticket == "INC-1"
    assert owed.pending.pull is not None
    assert owed.pending.pull.base == "main"
    assert owed.pending.snooze_subject == SnoozeSubject.of_hotfix("INC-1")


def test_a_branch_main_got_by_hand_stops_showing_and_looking_moves_nothing(bot: Bot) -> None:
    bot.merged("INC-1")
    bot.main_gets_the_release_branch_by_hand()
    replies, audits = list(bot.threads.replies), list(bot.store.audits)

    home = opened(bot)

    assert home.owed == ()
    assert bot.hotfix("INC-1").stage is Stage.MERGED  # the reminders job completes it; the Home only looks
    assert (bot.threads.replies, bot.store.audits) == (replies, audits)


def test_an_opening_writes_nothing_on_the_forge(bot: Bot) -> None:
    bot.merged("INC-1")
    created = (list(bot.forge.created_branches), list(bot.forge.created_pulls), list(bot.forge.commits))

    opened(bot)

    assert (bot.forge.created_branches, bot.forge.created_pulls, bot.forge.commits) == created


def test_every_environment_is_read_with_its_commit_link(bot: Bot) -> None:
    home = opened(bot)

    assert list(home.environments) == ["prod", "stg", "dev"]
    prod = home.environments["prod"]
    assert isinstance(prod, EnvironmentVersions)
    assert prod.component("jupyter_hub") is not None
    assert home.commit_links["prod"] == f"https://forge.test/{CORE}/commit/{'a' * 40}"


def test_an_environment_that_cannot_be_read_is_a_line_not_a_failure(bot: Bot) -> None:
    del bot.forge.branches[(CORE, "dev")]

    home = opened(bot)

    assert isinstance(home.environments["dev"], NotFound)
    assert "has no branch `dev`" in str(home.environments["dev"])
    assert isinstance(home.environments["prod"], EnvironmentVersions)
    assert "dev" not in home.commit_links
    assert [o.pending.branch for o in home.owed] == [RELEASE]  # the others still say what main lacks


def test_a_comparison_that_fails_is_a_line_and_the_other_branches_still_show(bot: Bot) -> None:
    del bot.forge.history[(JUPYTER, NEXT_RELEASE)]  # dev's branch cannot be compared any more

    home = opened(bot)

    assert [o.pending.branch for o in home.owed] == [RELEASE]
    [line] = home.unreadable
    assert line.startswith(f"`{JUPYTER}` `{NEXT_RELEASE}`: ")
    assert "has no branch" in line


def test_a_snoozed_branch_says_until_when_and_the_snooze_passes(bot: Bot) -> None:
    subject = SnoozeSubject.of_branch(JUPYTER, RELEASE)
    bot.service.snoozes.snooze(subject, timedelta(days=1), ALICE)

    [owed] = opened(bot).owed
    assert owed.snoozed_until == bot.clock() + timedelta(days=1)

    bot.clock.advance(days=2)
    [owed] = opened(bot).owed
    assert owed.snoozed_until is None


def test_a_hotfix_started_from_a_terminal_is_shown_without_a_thread(bot: Bot) -> None:
    bot.start("INC-9", OPERATOR)

    [view] = opened(bot).hotfixes

    assert view.hotfix.ticket == "INC-9"
    assert view.thread_link is None
