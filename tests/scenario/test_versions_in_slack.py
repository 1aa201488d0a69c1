"""Conversations with the bot about versions, as a person has them in Slack."""

from __future__ import annotations

import time
from pathlib import Path

from slackbot.sandbox.harness import ManualClock, Sandbox
from slackbot.sandbox.world import commit_file

CORE = "lsc-sde/iac-flux-lscsde"


def test_versions_alone_explains_itself_and_lists_the_environments(bot: Sandbox) -> None:
    reply = bot.ask("/versions")
    assert "/versions ENV COMPONENT" in reply.text
    for environment in ("prod", "stg", "dev", "uat", "sandbox"):
        assert f"`{environment}`" in reply.text
    assert "`production`" in reply.text  # aliases are shown too


def test_an_environment_shows_every_component_with_branch_chart_and_image(bot: Sandbox) -> None:
    reply = bot.ask("/versions prod")
    text = reply.text
    assert "jupyter_hub" in text
    assert "release/0.2.105" in text
    assert "lscsde/awms-keycloak:0.1.8" in text
    assert "v1.14.2" in text
    assert "2.10" in text  # keda's unquoted chart version, as written
    assert "release/0.1.21-patched-20241010" in text
    assert "observability-metrics" in text
    assert "observability_metrics" in text
    assert "lscsde-flux` 0.1.97" in text  # the core chart from core/release.yaml
    prod_head = bot.world.repo(CORE).resolve("refs/heads/prod")
    assert prod_head is not None
    assert prod_head[:7] in text


def test_the_answer_is_acknowledged_at_once_and_follows_through_the_response_url(bot: Sandbox) -> None:
    reply = bot.ask("/versions prod jupyter_hub")
    assert reply.ack.status == 200
    assert reply.ack.body == ""  # an empty ack: nothing shown until the answer arrives
    assert [p["kind"] for p in reply.posts] == ["response_url"]


def test_one_component_shows_its_release_branch_head_and_blast_radius(bot: Sandbox) -> None:
    text = bot.ask("/versions prod jupyter_hub").text
    assert "lsc-sde/iac-flux-jupyter" in text
    assert "release/0.2.105" in text
    head = bot.world.repo("lsc-sde/iac-flux-jupyter").resolve("refs/heads/release/0.2.105")
    assert head is not None
    assert head[:7] in text
    assert "Raise the hub's memory limit" in text  # the head commit's title
    assert "3.2.1" in text
    assert "rolls out to *prod* and *stg*" in text


def test_a_branch_no_other_environment_uses_says_so(bot: Sandbox) -> None:
    text = bot.ask("/versions dev jupyter_hub").text
    assert "release/0.2.106" in text
    assert "No other environment uses this branch" in text


def test_aliases_and_case_are_forgiven(bot: Sandbox) -> None:
    text = bot.ask("/versions Production JUPYTER").text
    assert "jupyter_hub in prod" in text.lower() or "JUPYTER_HUB IN PROD" in text


def test_a_misspelt_component_gets_a_did_you_mean(bot: Sandbox) -> None:
    text = bot.ask("/versions prod jupiter").text
    assert "Did you mean `jupyter_hub`?" in text
    assert "Traceback" not in text


def test_a_misspelt_environment_gets_a_did_you_mean(bot: Sandbox) -> None:
    text = bot.ask("/versions prdo").text
    assert "environment" in text
    assert "`prod`" in text


def test_an_unknown_environment_lists_the_known_ones(bot: Sandbox) -> None:
    text = bot.ask("/versions moon").text
    assert "Known environments" in text
    assert "prod" in text


def test_too_many_words_get_a_usage_sentence(bot: Sandbox) -> None:
    text = bot.ask("/versions prod jupyter_hub extra").text
    assert "takes an environment and optionally one component" in text


def test_a_component_the_environment_does_not_deploy_says_where_it_is(bot: Sandbox) -> None:
    text = bot.ask("/versions uat guacamole").text
    assert "uat does not deploy `guacamole`" in text
    assert "prod" in text


def test_a_legacy_environment_branch_is_read_through_aliases(bot: Sandbox) -> None:
    env = bot.ask("/versions uat").text
    assert "legacy" in env
    assert "release/0.2.69" in env
    detail = bot.ask("/versions uat jupyter").text
    assert "release/0.2.69" in detail
    assert "lsc-sde/iac-flux-jupyter" in detail


def test_a_broken_file_is_named_with_its_line_and_the_rest_still_answers(fresh_bot: Sandbox) -> None:
    commit_file(
        fresh_bot.world.repo_dir(CORE),
        "stg",
        "core/helm-config.yaml",
        "components:\n  jupyter_hub:\n    chart_version: 3.2.1\n  jupyter_hub:\n    chart_version: 3.2.2\n",
        "Oops: a duplicate key",
    )
    text = fresh_bot.ask("/versions stg").text
    assert "lsc-sde/iac-flux-lscsde@stg:core/helm-config.yaml line 4" in text
    assert "duplicate key" in text
    assert "release/0.2.105" in text  # flux-config.yaml still answers


def test_forty_components_still_fit_in_one_message(fresh_bot: Sandbox) -> None:
    names = [f"component_{i:02d}_with_a_longish_name" for i in range(40)]
    flux = "components:\n" + "".join(
        f"  {n}:\n    repository:\n      branch: release/0.{i}.{100 + i}-hotfix-20240329-001\n"
        for i, n in enumerate(names)
    )
    image = "components:\n" + "".join(
        f"  {n}:\n    image: registry.example.test/team/{n}:1.{i}.0\n" for i, n in enumerate(names)
    )
    repo = fresh_bot.world.repo_dir(CORE)
    commit_file(repo, "dev", "core/flux-config.yaml", flux, "Forty components")
    commit_file(repo, "dev", "core/image-config.yaml", image, "Forty images")
    reply = fresh_bot.ask("/versions dev")
    assert not reply.timed_out
    for name in names:
        assert name in reply.text
    assert "invalid_blocks" not in reply.text


def test_github_being_down_gets_a_plain_sentence(fresh_bot: Sandbox) -> None:
    fresh_bot.github.inject_fault("GET", r"/branches/", 503, times=50)
    text = fresh_bot.ask("/versions prod", timeout=20).text
    assert "GitHub is having trouble (HTTP 503)" in text
    assert "Traceback" not in text


def test_the_bot_notices_a_new_pin_without_restarting(fresh_bot: Sandbox) -> None:
    assert "release/0.2.105" in fresh_bot.ask("/versions stg jupyter_hub").text
    flux = fresh_bot.world.repo(CORE).text("show", "stg:core/flux-config.yaml")
    commit_file(
        fresh_bot.world.repo_dir(CORE),
        "stg",
        "core/flux-config.yaml",
        flux.replace("release/0.2.105", "release/0.2.106"),
        "Move stg to 0.2.106",
    )
    text = fresh_bot.ask("/versions stg jupyter_hub").text
    assert "release/0.2.106" in text
    assert "rolls out to *stg* and *dev*" in text


def test_unsigned_badly_signed_and_stale_requests_are_refused(bot: Sandbox) -> None:
    payload = bot.user.slash_command_payload("/versions prod")
    before = len(bot.slack.responses(payload["response_url"]))
    assert bot.delivery.send_command(payload, signature="").status == 401
    assert bot.delivery.send_command(payload, signature="v0=" + "0" * 64).status == 401
    assert bot.delivery.send_command(payload, timestamp=int(time.time()) - 600).status == 401
    time.sleep(0.3)
    assert len(bot.slack.responses(payload["response_url"])) == before  # nothing was answered


def test_a_watched_environment_shows_what_its_cluster_applied(tmp_path: Path) -> None:
    with Sandbox(tmp_path, clusters=True, clock=ManualClock(), apply_delay=60) as box:
        head = box.world.repo("lsc-sde/iac-flux-jupyter").resolve("refs/heads/release/0.2.105")
        assert head is not None
        assert f"`{head[:7]}` applied, Ready" in box.ask("/versions prod jupyter_hub").text
        new_head = commit_file(
            box.world.repo_dir("lsc-sde/iac-flux-jupyter"),
            "release/0.2.105",
            "values/hub.yaml",
            "x: 1\n",
            "Hotter fix",
        )
        box.tick_clusters()  # the cluster saw it but waits apply_delay before applying
        text = box.ask("/versions prod jupyter_hub").text
        assert f":warning: `{head[:7]}` applied" in text
        assert f"the branch head is `{new_head[:7]}`" in text


def test_an_unreachable_cluster_is_said_plainly(tmp_path: Path) -> None:
    with Sandbox(tmp_path, clusters=True) as box:
        box.kube["sandbox-prod"].unreachable = True
        text = box.ask("/versions prod jupyter_hub").text
        assert "can't reach the" in text
        assert "release/0.2.105" in text  # the rest of the answer still comes
