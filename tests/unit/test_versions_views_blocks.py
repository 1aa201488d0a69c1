"""`/versions diff` and `/versions where` as Slack shows them: the button exactly as specified, and
every message within Block Kit's limits even with 40 components and 30 environments.

Each message is checked twice: by the Slack emulator's rules (what Slack refuses) and by the
contract tests' second opinion (slack_sdk's models and the documented limits).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from slackbot.domain.core_files import ComponentSpec
from slackbot.domain.make_like import MAKE_LIKE_ACTION, parse_make_like_value
from slackbot.domain.versions_commands import VersionsHelp, parse_versions
from slackbot.render.blocks import Message
from slackbot.render.terminal import render_message
from slackbot.render.versions_blocks import versions_message
from slackbot.sandbox.slack_emulator.blockkit import check_message
from slackbot.services.access import HotfixPolicy
from slackbot.services.version_queries import VersionQueries
from slackbot.services.versions import EnvironmentSpec, VersionService
from tests.slack_contract import message_problems
from tests.unit.fakes import FakeSource
from tests.unit.test_version_views import config

CORE = "acme/core"


def ask(source: FakeSource, text: str, environments: dict[str, str], catalog: dict[str, str]) -> Message:
    versions = VersionService(
        source,
        core_repository=CORE,
        environments={name: EnvironmentSpec(name, branch) for name, branch in environments.items()},
        catalog={name: ComponentSpec(name, repository=repo) for name, repo in catalog.items()},
    )
    queries = VersionQueries(versions, HotfixPolicy(core_repository=CORE))
    return versions_message(queries.answer(parse_versions(text)))


def within_slack(message: Message) -> dict[str, Any]:
    content = message.as_kwargs()
    assert check_message(content["text"], content["blocks"]) is None
    assert message_problems(content) == []
    return content


def buttons(content: dict[str, Any]) -> list[dict[str, Any]]:
    return [b["accessory"] for b in content["blocks"] if b.get("accessory", {}).get("type") == "button"]


# -- the demo-sized world -------------------------------------------------------------------------


@pytest.fixture
def small() -> FakeSource:
    source = FakeSource()
    source.add_branch(
        CORE,
        "prod",
        "a" * 40,
        config(
            jupyter_hub={"branch": "release/0.2.105", "chart": "3.2.1", "image": "lscsde/jupyterhub:4.1.5"},
            keycloak={"branch": "release/0.1.70", "image": "lscsde/awms-keycloak:0.1.8"},
            aks_dns={"branch": "main", "chart": "0.2.13"},
        ),
    )
    source.add_branch(
        CORE,
        "stg",
        "b" * 40,
        config(
            jupyter_hub={"branch": "release/0.2.106", "chart": "3.3.0", "image": "lscsde/jupyterhub:4.1.5"},
            keycloak={"branch": "release/0.1.71"},  # no image written: nothing to copy
            aks_dns={"branch": "main", "chart": "0.2.13"},
        ),
    )
    source.add_branch("acme/jupyter", "release/0.2.105", "j2", parents=["j0", "j1"])
    source.add_branch("acme/jupyter", "release/0.2.106", "j3", parents=["j0"])
    return source


def small_diff(small: FakeSource) -> dict[str, Any]:
    environments = {"prod": "prod", "stg": "stg", "hotcopy": "prod"}
    return within_slack(ask(small, "diff prod stg", environments, {"jupyter_hub": "acme/jupyter"}))


def test_each_differing_component_carries_the_make_like_button_exactly_as_specified(
    small: FakeSource,
) -> None:
    [button] = buttons(small_diff(small))  # keycloak gets none: stg writes no image to copy
    assert button["action_id"] == MAKE_LIKE_ACTION == "versions_make_like"
    assert button["value"] == "prod|stg|jupyter_hub"
    assert parse_make_like_value(button["value"]) == ("prod", "stg", "jupyter_hub")
    assert button["style"] == "primary"
    assert button["text"]["text"] == "Make prod like stg"
    confirm = button["confirm"]
    assert confirm["title"]["text"] == "Make prod's jupyter_hub like stg's?"
    text = confirm["text"]["text"]
    assert "One pull request into prod of the core repository" in text
    assert "flux branch release/0.2.105 → release/0.2.106" in text
    assert "chart 3.2.1 → 3.3.0" in text
    assert "image" not in text  # the same on both sides: nothing changes
    assert "rolls out to prod (and hotcopy, on the same core branch) within about 10 minutes" in text


def test_the_diff_reads_left_to_right_with_distance_and_the_same_in_one_line(small: FakeSource) -> None:
    shown = render_message(**small_diff(small))
    assert "Each change reads prod → stg" in shown
    assert "prod is" not in shown  # diverged, so neither ahead nor behind
    assert "diverged: prod has 2 commits stg lacks, stg has 1 commit prod lacks" in shown
    assert "/acme/jupyter/compare/release/0.2.106...release/0.2.105" in shown
    assert "No button: stg's files write no `image` to copy" in shown
    assert "The same in both* (1): `aks_dns`" in shown


def test_help_names_every_question() -> None:
    versions = VersionService(FakeSource(), core_repository=CORE, environments={}, catalog={})
    answer = VersionQueries(versions, HotfixPolicy(core_repository=CORE)).answer(VersionsHelp())
    text = render_message(**within_slack(versions_message(answer)))
    assert "/versions diff ENV ENV" in text
    assert "/versions where COMPONENT" in text
    assert "/versions changes ENV [COMPONENT] [--since 7d]" in text


# -- 40 components, 30 environments ---------------------------------------------------------------

ENVIRONMENTS = {f"environment-{n:02d}-eu-west": f"env/{n:02d}" for n in range(30)}
COMPONENTS = [f"component_{i:02d}_with_a_rather_long_name" for i in range(40)]
CATALOG = {name: f"acme-platform/iac-flux-{name.replace('_', '-')}" for name in COMPONENTS}


def pins(n: int, i: int) -> dict[str, str]:
    """Environment ``n``'s pins for component ``i``: a release branch of its own, long values."""
    return {
        "branch": f"release/0.{i}.{100 + n}-hotfix-20240329-{n:03d}",
        "chart": f"{i}.{n}.0-rc.{n}+build.{1000 + n}",
        "image": f"registry.example.test/platform-team/{COMPONENTS[i]}:1.{i}.{n}-{'f' * 20}",
    }


@pytest.fixture(scope="module")
def big() -> FakeSource:
    source = FakeSource()
    for n, branch in enumerate(ENVIRONMENTS.values()):
        source.add_branch(
            CORE, branch, f"{n:040x}", config(**{c: pins(n, i) for i, c in enumerate(COMPONENTS)})
        )
    return source


def test_forty_differing_components_fit_one_message_and_every_one_is_accounted_for(big: FakeSource) -> None:
    first, second = list(ENVIRONMENTS)[:2]
    content = within_slack(ask(big, f"diff {first} {second}", ENVIRONMENTS, CATALOG))
    assert len(content["blocks"]) <= 50
    shown = render_message(**content)
    full = [c for c in COMPONENTS if f"*{c}*" in shown]
    summarised = [c for c in COMPONENTS if f"{c}: flux branch" in shown]
    assert full, "some components are shown in full"
    assert len(full) + len(summarised) == 40  # the rest a line each: none left unnamed
    assert "…and" not in shown
    assert f"slackbot versions diff {first} {second} --json" in shown
    for button in buttons(content):
        assert len(button["confirm"]["text"]["text"]) <= 300
        assert len(button["confirm"]["title"]["text"]) <= 100
        assert len(button["text"]["text"]) <= 75
        target, source, _component = parse_make_like_value(button["value"])
        assert (target, source) == (first, second)
        assert "→" in button["confirm"]["text"]["text"]
    assert len(buttons(content)) == len(full)


def test_one_component_in_thirty_environments_on_thirty_branches_fits(big: FakeSource) -> None:
    content = within_slack(ask(big, f"where {COMPONENTS[39]}", ENVIRONMENTS, CATALOG))
    shown = render_message(**content)
    listed = [env for env in ENVIRONMENTS if f"*{env}*" in shown]
    if len(listed) < 30:
        assert f"more branches ({30 - len(listed)} environments)" in shown
    assert len(listed) >= 10


def test_environments_sharing_pins_are_grouped_into_one_line() -> None:
    source = FakeSource()
    for n, branch in enumerate(ENVIRONMENTS.values()):
        same = {"branch": "release/0.2.105", "chart": "3.2.1", "image": "hub:4.1.5"}
        source.add_branch(CORE, branch, f"{n:040x}", config(**dict.fromkeys(COMPONENTS, same)))
    content = within_slack(ask(source, f"where {COMPONENTS[0]}", ENVIRONMENTS, CATALOG))
    shown = render_message(**content)
    assert shown.count("release/0.2.105") == 1 + shown.count("/tree/release/0.2.105")  # one group
    assert "rolls out to 30 environments" in shown
    assert all(f"*{env}*" in shown for env in ENVIRONMENTS)
    diff = within_slack(
        ask(source, "diff environment-00-eu-west environment-01-eu-west", ENVIRONMENTS, CATALOG)
    )
    assert "pin the same flux branch, chart and image for all 40 components" in render_message(**diff)
    assert len(json.dumps(diff["blocks"])) < 13_000
