"""Conversations about how environments differ and where a component runs, as people have them in
Slack during an incident: "how does prod differ from staging?", "where else does this run?"."""

from __future__ import annotations

import json
from typing import Any

import pytest

from slackbot.domain.make_like import MAKE_LIKE_ACTION, parse_make_like_value
from slackbot.sandbox.harness import Sandbox
from slackbot.sandbox.slack_user import Reply
from slackbot.sandbox.world import commit_file
from tests.scenario.helpers import CORE

CERTMANAGER = "lsc-sde/iac-flux-certmanager"
GUACAMOLE = "lsc-sde/iac-flux-guacamole"


def make_like_buttons(reply: Reply) -> dict[str, dict[str, Any]]:
    """The "Make … like …" buttons of the answer, by component."""
    found = {}
    for post in reply.posts:
        for block in post.get("blocks") or []:
            accessory = block.get("accessory") or {}
            if accessory.get("action_id") == MAKE_LIKE_ACTION:
                found[parse_make_like_value(accessory["value"])[2]] = accessory
    return found


def head(box: Sandbox, branch: str) -> str:
    sha = box.world.repo(CORE).resolve(f"refs/heads/{branch}")
    assert sha is not None
    return sha


def test_prod_against_staging_shows_each_difference_both_values_and_the_rest_in_a_line(
    shared_box: Sandbox,
) -> None:
    text = shared_box.ask("/versions diff prod stg").text
    assert text.splitlines()[0] == "PROD VS STG"
    assert "Each change reads prod → stg" in text
    assert head(shared_box, "prod")[:7] in text
    assert head(shared_box, "stg")[:7] in text
    assert "*6 components differ* · 1 only in prod · 1 only in stg · 9 the same" in text
    assert "chart: `2.10` → `2.13.1`" in text  # keda, as written
    assert "image: `lscsde/awms-guacamole-operator:0.1.28` → `lscsde/awms-guacamole-operator:0.1.29`" in text
    assert "*Only in prod* (1): `observability-metrics`" in text
    assert "*Only in stg* (1): `superset`" in text  # still commented out in prod
    assert "*The same in both* (9):" in text
    assert "`jupyter_hub`" in text.split("*The same in both* (9):")[1]


def test_differing_release_branches_say_how_far_apart_they_are_with_a_compare_link(
    shared_box: Sandbox,
) -> None:
    text = shared_box.ask("/versions diff prod stg").text
    assert f"/{CERTMANAGER}/tree/release/0.1.40) → release/0.1.41" in text
    assert "prod is 1 commit behind stg" in text  # cert_manager: 0.1.41 was cut a commit later
    assert f"/{CERTMANAGER}/compare/release/0.1.41...release/0.1.40" in text
    assert "prod is 1 commit ahead of stg" in text  # guacamole: the emergency patch stg lacks
    assert f"/{GUACAMOLE}/compare/release/0.1.21...release/0.1.21-patched-20241010" in text
    dev = shared_box.ask("/versions diff prod dev").text
    assert "diverged: prod has 1 commit dev lacks, dev has 1 commit prod lacks" in dev  # jupyter_hub


def test_each_difference_offers_to_make_prod_like_staging_saying_what_changes_and_where(
    shared_box: Sandbox,
) -> None:
    buttons = make_like_buttons(shared_box.ask("/versions diff prod stg"))
    assert set(buttons) == {
        "analytics_workspace_management",
        "awms_guacamole",
        "cert_manager",
        "guacamole",
        "keda",
        "ohdsi",
    }
    cert_manager = buttons["cert_manager"]
    assert cert_manager["value"] == "prod|stg|cert_manager"
    assert cert_manager["style"] == "primary"
    assert cert_manager["text"]["text"] == "Make prod like stg"
    confirm = cert_manager["confirm"]
    assert confirm["title"]["text"] == "Make prod's cert_manager like stg's?"
    assert confirm["text"]["text"] == (
        "One pull request into prod of the core repository changes flux branch release/0.1.40 → "
        "release/0.1.41; chart v1.14.2 → v1.14.4. Merged, it rolls out to prod within about 10 minutes."
    )


def test_no_button_where_a_pin_hot_fix_could_not_make_them_alike(shared_box: Sandbox) -> None:
    reply = shared_box.ask("/versions diff prod uat")
    assert "jupyter_hub" not in make_like_buttons(reply)
    assert "No button: uat's files write no `image` to copy" in reply.text
    legacy = shared_box.ask("/versions diff uat prod")
    assert make_like_buttons(legacy) == {}
    assert "uat uses the legacy `deployment-config.yaml`" in legacy.text


def test_aliases_and_case_are_forgiven(shared_box: Sandbox) -> None:
    text = shared_box.ask("/versions diff Production STAGING").text
    assert text.splitlines()[0] == "PROD VS STG"


@pytest.mark.parametrize(
    ("line", "fragments"),
    [
        pytest.param("/versions diff prdo stg", ["Did you mean `prod`?"], id="a-misspelt-environment"),
        pytest.param(
            "/versions diff prod production",
            ["`prod` and `production` are both prod"],
            id="one-environment-twice",
        ),
        pytest.param(
            "/versions diff prod prod", ["needs two different environments"], id="the-same-name-twice"
        ),
        pytest.param("/versions diff prod moon", ["Known environments", "stg"], id="an-unknown-environment"),
        pytest.param("/versions diff prod", ["compares two environments"], id="one-environment-only"),
        pytest.param("/versions where jupiter", ["Did you mean `jupyter_hub`?"], id="a-misspelt-component"),
        pytest.param("/versions where", ["takes one component"], id="no-component"),
    ],
)
def test_a_mistake_gets_one_helpful_sentence(shared_box: Sandbox, line: str, fragments: list[str]) -> None:
    reply = shared_box.ask(line)
    for fragment in fragments:
        assert fragment in reply.text, reply.text
    assert "Traceback" not in reply.text
    assert make_like_buttons(reply) == {}


def test_what_people_typed_is_echoed_quoted_never_as_a_mention(shared_box: Sandbox) -> None:
    for line in ("/versions where <!channel>", "/versions diff prod <!here>"):
        sent = json.dumps(shared_box.ask(line).posts)
        assert "<!" not in sent
        assert "&lt;!" in sent


def test_where_groups_environments_by_the_release_branch_they_share(shared_box: Sandbox) -> None:
    text = shared_box.ask("/versions where jupyter").text
    assert text.splitlines()[0] == "JUPYTER_HUB IN EVERY ENVIRONMENT"
    assert "is deployed in 5 environments on 4 flux branches" in text
    assert "release/0.2.105" in text
    assert "a merge into it rolls out to 2 environments within about 10 minutes" in text
    shared = next(
        line
        for line in text.splitlines()
        if line.startswith("chart `3.2.1` · image `lscsde/jupyterhub:4.1.5`")
    )
    assert f"*prod* ({head(shared_box, 'prod')[:7]}" in shared
    assert f"*stg* ({head(shared_box, 'stg')[:7]}" in shared
    assert "only dev uses this branch" in text
    assert "only uat uses this branch" in text  # through the legacy file


def test_where_names_the_environments_that_do_not_deploy_it(shared_box: Sandbox) -> None:
    text = shared_box.ask("/versions where superset").text
    assert "is deployed in 2 environments" in text
    assert "*stg* (" in text
    assert "*dev* (" in text
    assert "*Not deployed in* (3): `prod`, `uat`, `sandbox`" in text


def test_a_diff_costs_one_read_of_both_branches_and_the_comparisons_then_nothing_warm(box: Sandbox) -> None:
    box.restart_bot()
    box.github.clear_log()
    box.ask("/versions diff prod stg")
    cold = box.github.requests
    compares = sorted(r.path for r in cold if "/compare/" in r.path)
    assert compares == [
        f"/repos/{CERTMANAGER}/compare/release/0.1.41...release/0.1.40",
        f"/repos/{GUACAMOLE}/compare/release/0.1.21...release/0.1.21-patched-20241010",
    ]
    assert len([r for r in cold if r.path.endswith("/git/matching-refs/heads")]) == 1
    # Besides the comparisons, only the core repository's branches and files are read (REST
    # contents at the two heads, or one GraphQL query for both): no release branch heads.
    others = [r for r in cold if "/compare/" not in r.path]
    assert all(r.path.startswith(f"/repos/{CORE}/") or r.path == "/graphql" for r in others), others
    files_at = {r.query.removeprefix("ref=") for r in others if "/contents/" in r.path}
    assert files_at <= {head(box, "prod"), head(box, "stg")}  # no other environment's files

    box.github.clear_log()
    box.ask("/versions diff prod stg")
    assert len(box.github.requests) == 3  # the heads and the two comparisons, asked again
    assert box.github.rate_limited_count() == 0  # all 304s: free


def test_where_costs_one_read_of_every_environment_and_nothing_warm(box: Sandbox) -> None:
    box.ask("/versions where jupyter")
    box.github.clear_log()
    box.ask("/versions where jupyter")
    assert [r.path for r in box.github.requests] == [f"/repos/{CORE}/git/matching-refs/heads"]
    assert box.github.rate_limited_count() == 0


def test_a_change_pushed_to_staging_shows_at_once(box: Sandbox) -> None:
    assert "keda" in box.ask("/versions diff prod stg").text
    helm = box.world.repo(CORE).text("show", "stg:core/helm-config.yaml")
    flux = box.world.repo(CORE).text("show", "stg:core/flux-config.yaml")
    repo = box.world.repo_dir(CORE)
    commit_file(repo, "stg", "core/helm-config.yaml", helm.replace('"2.13.1"', "2.10"), "Hold keda back")
    commit_file(repo, "stg", "core/flux-config.yaml", flux.replace("0.1.45", "0.1.44"), "Hold keda back")
    text = box.ask("/versions diff prod stg").text
    assert "*5 components differ*" in text
    assert "`keda`" in text.split("*The same in both* (10):")[1]


def test_forty_differing_components_still_fit_in_one_message(box: Sandbox) -> None:
    names = [f"component_{i:02d}_with_a_longish_name" for i in range(40)]
    repo = box.world.repo_dir(CORE)
    for env, minor in (("dev", 0), ("stg", 1)):
        flux = "components:\n" + "".join(
            f"  {n}:\n    repository:\n      branch: release/0.{i}.{100 + minor}-hotfix-20240329-001\n"
            for i, n in enumerate(names)
        )
        image = "components:\n" + "".join(
            f"  {n}:\n    image: registry.example.test/team/{n}:1.{i}.{minor}\n" for i, n in enumerate(names)
        )
        commit_file(repo, env, "core/flux-config.yaml", flux, "Forty components")
        commit_file(repo, env, "core/image-config.yaml", image, "Forty images")
    reply = box.ask("/versions diff dev stg")
    assert not reply.timed_out
    assert "invalid_blocks" not in reply.text
    assert "msg_blocks_too_long" not in reply.text
    assert [p["kind"] for p in reply.posts] == ["response_url"]  # the whole answer, not its short form
    for name in names:
        assert name in reply.text
    assert len(make_like_buttons(reply)) >= 5
