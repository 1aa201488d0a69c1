"""The Home tab's Block Kit: what a person reads, and that Slack takes it however big the world is —
at most 100 blocks, under 250 KB, every block valid (the emulator's checks and the contract's) —
and the menus' values, which only the bot's own shapes pass."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from slackbot.domain.errors import Unavailable, UsageError
from slackbot.domain.events import Rollout
from slackbot.domain.followup import PendingBackmerge, RolloutState
from slackbot.domain.forge import PullInfo
from slackbot.domain.home_choices import menu_value, parse_menu_value
from slackbot.domain.hotfix import Hotfix, Kind, PullRequestRef, Stage
from slackbot.domain.snooze import SnoozeSubject
from slackbot.domain.versions import ComponentVersions, EnvironmentVersions, Layout
from slackbot.domain.versions_commands import ComponentQuery, EnvironmentQuery
from slackbot.domain.views import HotfixLinks, ThreadView
from slackbot.render.blocks import Message, section
from slackbot.render.home_blocks import (
    VERSIONS,
    home_error_view,
    home_view,
    versions_error_modal,
    versions_loading_modal,
    versions_modal,
)
from slackbot.render.hotfix_blocks import SNOOZE
from slackbot.render.terminal import render_message
from slackbot.sandbox.slack_emulator.blockkit import MAX_VIEW_BYTES, home_view_problem, view_problem
from slackbot.services.home import HomeSnapshot, OwedBackmerge
from tests.slack_contract import view_problems

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
CORE = "acme/core"


def hotfix(n: int, *, stage: Stage = Stage.MERGED, long: int = 0) -> ThreadView:
    ticket = f"INC-{n}" + "9" * long
    found = Hotfix(
        ticket=ticket,
        kind=Kind.COMPONENT,
        environment="prod",
        component="jupyter_hub" + "_x" * long,
        repository="acme/flux-jupyter",
        base_branch="release/0.2.105" + "-patched" * long,
        branch=f"hotfix/{ticket}",
        started_by="U0ALICE",
        channel_id="C0INC",
        stage=stage,
        pull=PullRequestRef(7, "https://forge.test/acme/flux-jupyter/pull/7"),
        merge_sha="d" * 40,
        rollout_environments=("prod", "stg"),
        id=n,
    )
    links = HotfixLinks(
        repository="https://forge.test/acme/flux-jupyter",
        base="https://forge.test/b",
        branch=f"https://forge.test/acme/flux-jupyter/tree/hotfix/{ticket}",
        compare="https://forge.test/c",
    )
    return ThreadView(
        hotfix=found,
        links=links,
        rollout=Rollout(("prod", "stg"), timedelta(minutes=10)),
        rollouts={"prod": RolloutState.ROLLED_OUT, "stg": RolloutState.WAITING},
        thread_link=f"https://slack.test/C0INC/{n}",
    )


def owed(n: int, *, followed: bool = False, snoozed: bool = False, long: int = 0) -> OwedBackmerge:
    branch = f"release/0.{n}.0" + "-patched-20241010" * long
    pending = PendingBackmerge(
        repository=f"acme/flux-component-{n}",
        branch=branch,
        ahead_by=n + 1,
        oldest_commit_at=NOW - timedelta(days=n + 2),
        pull=PullInfo(3, "https://forge.test/p/3", "open", False, branch, "main", "Back-merge")
        if n % 2
        else None,
        hotfix=hotfix(n).hotfix if followed else None,
        environments=("prod", "stg"),
    )
    return OwedBackmerge(
        pending=pending,
        compare_url=f"https://forge.test/acme/flux-component-{n}/compare/main...{branch}",
        branch_url=f"https://forge.test/acme/flux-component-{n}/tree/{branch}",
        snoozed_until=NOW + timedelta(hours=20) if snoozed else None,
    )


def environment(name: str, components: int, *, name_length: int = 0) -> EnvironmentVersions:
    pins = tuple(
        ComponentVersions(
            name=f"component_{n:02d}_with_a_longish_name" + "x" * name_length,
            repository=f"acme/flux-component-{n}",
            branch=f"release/0.{n}.{100 + n}-{name}-hotfix-20240329-001",  # every environment its own
            chart_version="1.2.3",
            image=None,
        )
        for n in range(components)
    )
    return EnvironmentVersions(
        environment=name,
        repository=CORE,
        branch=name,
        commit="c" * 40,
        layout=Layout.SPLIT,
        components=pins,
        core_charts=(),
    )


def snapshot(
    *,
    environments: int = 3,
    components: int = 5,
    hotfixes: int = 1,
    branches: int = 1,
    unreadable: int = 0,
    long: int = 0,
) -> HomeSnapshot:
    names = [f"env{n:03d}" + "e" * long for n in range(environments)]
    found = {name: environment(name, components, name_length=long) for name in names}
    return HomeSnapshot(
        hotfixes=tuple(hotfix(n, long=long) for n in range(hotfixes)),
        owed=tuple(owed(n, long=long) for n in range(branches)),
        environments=found,
        commit_links=dict.fromkeys(names, f"https://forge.test/{CORE}/commit/{'c' * 40}"),
        unreadable=tuple(
            f"`acme/x-{n}` `release/{n}`: GitHub is having trouble (HTTP 502)" for n in range(unreadable)
        ),
        main_branch="main",
        read_at=NOW,
    )


def published(view_json: dict[str, Any]) -> list[str]:
    """Why Slack (the emulator's rules) or the contract would refuse it; [] when they would not."""
    problems = [p for p in (home_view_problem(view_json),) if p]
    size = len(json.dumps(view_json, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_VIEW_BYTES:
        problems.append(f"{size} bytes")
    return problems + view_problems(view_json)


def elements(blocks: list[dict[str, Any]], action_id: str) -> list[dict[str, Any]]:
    found = [b["accessory"] for b in blocks if isinstance(b.get("accessory"), dict)]
    found += [e for b in blocks for e in b.get("elements") or [] if isinstance(e, dict)]
    return [e for e in found if e.get("action_id") == action_id]


def text_of(view_json: dict[str, Any]) -> str:
    return render_message("", view_json["blocks"])


# -- what a person reads ----------------------------------------------------------------------------


def test_a_small_world_reads_as_three_parts() -> None:
    view = home_view(
        snapshot(hotfixes=1, branches=2), notice="Back-merge reminders for x are snoozed."
    ).to_dict()
    text = text_of(view)

    assert published(view) == []
    assert "Read at 09:30 UTC" in text
    assert "Back-merge reminders for x are snoozed." in text
    assert "OPEN HOT-FIXES (1)" in text
    assert "INC-0 (https://slack.test/C0INC/0)* — jupyter_hub in prod: merged into release/0.2.105" in text
    assert "Started by @U0ALICE" in text
    assert "PR #7 (https://forge.test/acme/flux-jupyter/pull/7)" in text
    assert "Roll-out: prod :white_check_mark: rolled out · stg :hourglass_flowing_sand: rolling out" in text
    assert "RELEASE BRANCHES MAIN LACKS (2)" in text
    assert (
        "2 commits (https://forge.test/acme/flux-component-1/compare/main...release/0.1.0) main lacks" in text
    )
    assert "(the oldest made 3 days ago) · pinned by prod, stg" in text
    assert "back-merge PR #3" in text
    assert "no back-merge PR yet" in text
    assert "ENVIRONMENTS (3)" in text
    assert "*component_00_with_a_longish_name*  `release/0.0.100-env000-hotfix-20240329-001` env000" in text
    assert "*env001* — 5 components at ccccccc" in text


def test_nothing_open_and_nothing_owed_says_so() -> None:
    text = text_of(home_view(snapshot(hotfixes=0, branches=0)).to_dict())
    assert "No open hot-fixes." in text
    assert "`main` has every commit of the branches the bot follows." in text


def test_branches_nobody_follows_get_the_reminders_snooze_button_and_others_say_why_not() -> None:
    shown = snapshot(branches=0)
    shown = HomeSnapshot(**{**vars(shown), "owed": (owed(1), owed(2, followed=True), owed(3, snoozed=True))})
    view = home_view(shown).to_dict()

    buttons = elements(view["blocks"], SNOOZE)

    assert [b["value"] for b in buttons] == ["branch:acme/flux-component-1:release/0.1.0"]
    assert SnoozeSubject.parse(buttons[0]["value"]) == SnoozeSubject.of_branch(
        "acme/flux-component-1", "release/0.1.0"
    )
    text = text_of(view)
    assert "followed by INC-2 in its thread (snooze it there)" in text
    assert "reminders snoozed until Tue 03 Nov 05:30 UTC" in text


def test_each_environment_has_a_menu_of_its_versions_answers() -> None:
    view = home_view(snapshot(environments=2, components=3)).to_dict()

    menus = elements(view["blocks"], VERSIONS)

    assert [m["placeholder"]["text"] for m in menus] == ["Open /versions env000", "Open /versions env001"]
    values = [o["value"] for o in menus[0]["options"]]
    assert values[0] == "env000"
    assert values[1:] == [f"env000 component_{n:02d}_with_a_longish_name" for n in range(3)]
    assert [parse_menu_value(v) for v in values[:2]] == [
        EnvironmentQuery("env000"),
        ComponentQuery("env000", "component_00_with_a_longish_name"),
    ]


def test_an_unreadable_environment_and_unreadable_comparisons_are_lines() -> None:
    shown = snapshot(environments=2, unreadable=12)
    environments = {
        **shown.environments,
        "env001": Unavailable("GitHub is having trouble (HTTP 503); try again."),
    }
    view = home_view(HomeSnapshot(**{**vars(shown), "environments": environments})).to_dict()
    text = text_of(view)

    assert published(view) == []
    assert ":warning: *env001* could not be read: GitHub is having trouble (HTTP 503)" in text
    assert "could not compare with `main`: `acme/x-0` `release/0`: GitHub is having trouble" in text
    assert "…and 3 more." in text  # nine lines, then how many more
    [menu] = [m for m in elements(view["blocks"], VERSIONS) if m["placeholder"]["text"].endswith("env001")]
    assert [o["value"] for o in menu["options"]] == ["env001"]  # still a way to ask, and read why


def test_the_tab_that_could_not_be_read_says_why() -> None:
    view = home_error_view("The database does not answer.").to_dict()
    assert published(view) == []
    assert ":warning: The database does not answer." in text_of(view)


# -- however big the world is ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("world", "menus_in_sections"),
    [
        pytest.param({"environments": 30, "components": 40}, True, id="40-components-in-30-environments"),
        pytest.param({"environments": 40, "components": 2}, True, id="the-most-blocks-40-menus"),
        pytest.param({"environments": 40, "components": 99}, False, id="menus-too-heavy-become-one-menu"),
        pytest.param({"environments": 300, "components": 40}, False, id="300-environments"),
        pytest.param({"environments": 30, "components": 40, "long": 60}, True, id="very-long-names"),
    ],
)
def test_a_big_world_fits_slacks_home_tab(world: dict[str, int], menus_in_sections: bool) -> None:
    shown = snapshot(**world, hotfixes=60, branches=80, unreadable=40)

    view = home_view(shown).to_dict()

    assert published(view) == []
    assert len(view["blocks"]) <= 92  # the most the parts' caps allow (the module's docstring)
    block_ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    text = text_of(view)
    assert "…and 50 more: `/hotfix status` lists them all." in text
    assert "…and 65 more; the team channel's digest lists them all." in text
    components = {c.name for found in shown.environments.values() for c in getattr(found, "components", ())}
    assert all(f"*{name}*" in text for name in components) or "more components: pick an environment" in text
    menus = elements(view["blocks"], VERSIONS)
    in_sections = all(m["placeholder"]["text"] != "Open /versions ENV" for m in menus)
    assert in_sections is menus_in_sections
    offered = {o["value"] for m in menus for o in m["options"]}
    assert set(list(shown.environments)[:300]) <= offered  # every environment's answer, one choice away


def test_three_hundred_environments_offer_the_first_three_hundred_and_say_so() -> None:
    view = home_view(snapshot(environments=301, components=1, hotfixes=0, branches=0)).to_dict()
    text = text_of(view)

    menus = elements(view["blocks"], VERSIONS)

    assert sum(len(m["options"]) for m in menus) == 300
    assert "The menus hold 300 environments: type `/versions ENV` for the others." in text
    assert "more environments." in text


# -- the menus' values and the modal --------------------------------------------------------------------


@pytest.mark.parametrize(
    "forged",
    [
        "",
        "prod  jupyter",
        "prod jupyter extra",
        "diff prod stg extra",
        "<!channel>",
        "prod\njupyter",
        "p" * 151,
    ],
)
def test_a_menu_value_the_bot_does_not_issue_is_out_of_date(forged: str) -> None:
    with pytest.raises(UsageError, match="out of date"):
        parse_menu_value(forged)


def test_names_a_menu_cannot_carry_get_no_option() -> None:
    assert menu_value("prod", "jupyter_hub") == "prod jupyter_hub"
    assert menu_value("prod", "two words") is None
    assert menu_value("prod", "x" * 150) is None


def test_the_versions_modal_holds_the_same_blocks_as_the_answer() -> None:
    answer = Message(text="prod runs 1 component", blocks=[section("*prod* — versions")])

    modal = versions_modal(answer, "prod jupyter_hub").to_dict()

    assert view_problem(modal) is None
    assert view_problems(modal) == []
    assert modal["title"]["text"] == "prod jupyter_hub"
    assert modal["blocks"] == [section("*prod* — versions").to_dict()]
    long_title = versions_loading_modal("a" * 40 + " b").to_dict()
    assert len(long_title["title"]["text"]) == 24
    assert view_problem(long_title) is None
    assert "Reading `/versions" in render_message("", long_title["blocks"])
    assert view_problem(versions_error_modal("prod", "No such environment.").to_dict()) is None
