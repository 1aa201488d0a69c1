"""Conversations with the bot about versions, as a person has them in Slack."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from slackbot.sandbox.harness import ManualClock, Sandbox
from slackbot.sandbox.world import commit_file
from tests.scenario.helpers import CORE, JUPYTER


def test_versions_alone_explains_itself_and_lists_the_environments(shared_box: Sandbox) -> None:
    reply = shared_box.ask("/versions")
    assert "/versions ENV COMPONENT" in reply.text
    for environment in ("prod", "stg", "dev", "uat", "sandbox"):
        assert f"`{environment}`" in reply.text
    assert "`production`" in reply.text  # aliases are shown too


def test_an_environment_shows_every_component_with_branch_chart_and_image(shared_box: Sandbox) -> None:
    reply = shared_box.ask("/versions prod")
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
    prod_head = shared_box.world.repo(CORE).resolve("refs/heads/prod")
    assert prod_head is not None
    assert prod_head[:7] in text


def test_the_answer_is_acknowledged_at_once_and_follows_through_the_response_url(shared_box: Sandbox) -> None:
    reply = shared_box.ask("/versions prod jupyter_hub")
    assert reply.ack.status == 200
    assert reply.ack.body == ""  # an empty ack: nothing shown until the answer arrives
    assert [p["kind"] for p in reply.posts] == ["response_url"]


def test_one_component_shows_its_release_branch_head_and_blast_radius(shared_box: Sandbox) -> None:
    text = shared_box.ask("/versions prod jupyter_hub").text
    assert JUPYTER in text
    assert "release/0.2.105" in text
    head = shared_box.world.repo(JUPYTER).resolve("refs/heads/release/0.2.105")
    assert head is not None
    assert head[:7] in text
    assert "Raise the hub's memory limit" in text  # the head commit's title
    assert "3.2.1" in text
    assert "rolls out to *prod* and *stg*" in text


def test_a_branch_no_other_environment_uses_says_so(shared_box: Sandbox) -> None:
    text = shared_box.ask("/versions dev jupyter_hub").text
    assert "release/0.2.106" in text
    assert "No other environment uses this branch" in text


def test_aliases_and_case_are_forgiven(shared_box: Sandbox) -> None:
    text = shared_box.ask("/versions Production JUPYTER").text
    assert text.splitlines()[0] == "JUPYTER_HUB IN PROD"  # the answer's heading


@pytest.mark.parametrize(
    ("line", "fragments"),
    [
        pytest.param(
            "/versions prod jupiter",
            ["Did you mean `jupyter_hub`?"],
            id="a-misspelt-component-gets-a-did-you-mean",
        ),
        pytest.param(
            "/versions prdo",
            ["environment", "Did you mean `prod`?"],
            id="a-misspelt-environment-gets-a-did-you-mean",
        ),
        pytest.param(
            "/versions moon", ["Known environments", "prod"], id="an-unknown-environment-lists-the-known-ones"
        ),
        pytest.param(
            "/versions prod jupyter_hub extra",
            ["takes an environment and optionally one component"],
            id="too-many-words-get-a-usage-sentence",
        ),
        pytest.param(
            "/versions uat guacamole",
            ["uat does not deploy `guacamole`", "prod"],
            id="a-component-the-environment-does-not-deploy-says-where-it-is",
        ),
    ],
)
def test_a_mistake_gets_a_helpful_sentence(shared_box: Sandbox, line: str, fragments: list[str]) -> None:
    text = shared_box.ask(line).text
    for fragment in fragments:
        assert fragment in text, text
    assert "Traceback" not in text


def test_a_legacy_environment_branch_is_read_through_aliases(shared_box: Sandbox) -> None:
    env = shared_box.ask("/versions uat").text
    assert "legacy" in env
    assert "release/0.2.69" in env
    detail = shared_box.ask("/versions uat jupyter").text
    assert "release/0.2.69" in detail
    assert JUPYTER in detail


def test_a_broken_file_is_named_with_its_line_and_the_rest_still_answers(box: Sandbox) -> None:
    commit_file(
        box.world.repo_dir(CORE),
        "stg",
        "core/helm-config.yaml",
        "components:\n  jupyter_hub:\n    chart_version: 3.2.1\n  jupyter_hub:\n    chart_version: 3.2.2\n",
        "Oops: a duplicate key",
    )
    text = box.ask("/versions stg").text
    assert "lsc-sde/iac-flux-lscsde@stg:core/helm-config.yaml line 4" in text
    assert "duplicate key" in text
    assert "release/0.2.105" in text  # flux-config.yaml still answers


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_a_file_that_is_not_utf8_is_named_and_the_rest_still_answers(box: Sandbox, encoding: str) -> None:
    git = box.world.repo(CORE)
    helm = git.text("show", "stg:core/helm-config.yaml") + "  café: {chart_version: 1.0.0}\n"
    git.commit_file("stg", "core/helm-config.yaml", helm.encode(encoding), "Saved by an old editor")

    text = box.ask("/versions stg").text

    assert "lsc-sde/iac-flux-lscsde@stg:core/helm-config.yaml: is" in text
    assert "save it as UTF-8" in text
    assert "release/0.2.105" in text  # flux-config.yaml still answers
    assert "Traceback" not in text


def test_a_symlinked_core_file_is_read_through_its_link_and_a_dangling_one_is_named(box: Sandbox) -> None:
    git = box.world.repo(CORE)
    flux = git.text("show", "stg:core/flux-config.yaml")
    git.commit_file("stg", "shared/flux-config.yaml", flux, "Share the flux file")
    git.commit_file("stg", "core/flux-config.yaml", "../shared/flux-config.yaml", "Link it", mode="120000")
    git.commit_file("stg", "core/helm-config.yaml", "../gone.yaml", "Link to nothing", mode="120000")

    text = box.ask("/versions stg").text

    assert "release/0.2.105" in text  # read through the link
    assert "core/helm-config.yaml: is a symbolic link to `../gone.yaml`" in text


def test_forty_components_still_fit_in_one_message(box: Sandbox) -> None:
    names = [f"component_{i:02d}_with_a_longish_name" for i in range(40)]
    flux = "components:\n" + "".join(
        f"  {n}:\n    repository:\n      branch: release/0.{i}.{100 + i}-hotfix-20240329-001\n"
        for i, n in enumerate(names)
    )
    image = "components:\n" + "".join(
        f"  {n}:\n    image: registry.example.test/team/{n}:1.{i}.0\n" for i, n in enumerate(names)
    )
    repo = box.world.repo_dir(CORE)
    commit_file(repo, "dev", "core/flux-config.yaml", flux, "Forty components")
    commit_file(repo, "dev", "core/image-config.yaml", image, "Forty images")
    reply = box.ask("/versions dev")
    assert not reply.timed_out
    for name in names:
        assert name in reply.text
    assert "invalid_blocks" not in reply.text


def test_github_being_down_gets_a_plain_sentence(box: Sandbox) -> None:
    box.github.inject_fault("GET", r"/git/ref/heads/prod$", 503, times=50)  # the head of prod
    text = box.ask("/versions prod", timeout=20).text
    assert "GitHub is having trouble (HTTP 503)" in text
    assert "Traceback" not in text


def test_a_used_up_rate_limit_says_when_it_resets_once_and_claims_nothing(box: Sandbox) -> None:
    reset = int(time.time()) + 2532
    box.github.inject_fault(
        "GET",
        r".",
        403,
        times=500,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
        body={"message": "API rate limit exceeded for user ID 1."},
    )

    text = box.ask("/versions prod jupyter_hub", timeout=20).text

    assert text.count(f"{time.strftime('%H:%M', time.gmtime(reset))} UTC") == 1, text
    assert "rate limit" in text
    assert "changed" not in text  # a question changes nothing: no need to say so


def test_the_bot_notices_a_new_pin_without_restarting(box: Sandbox) -> None:
    assert "release/0.2.105" in box.ask("/versions stg jupyter_hub").text
    flux = box.world.repo(CORE).text("show", "stg:core/flux-config.yaml")
    commit_file(
        box.world.repo_dir(CORE),
        "stg",
        "core/flux-config.yaml",
        flux.replace("release/0.2.105", "release/0.2.106"),
        "Move stg to 0.2.106",
    )
    text = box.ask("/versions stg jupyter_hub").text
    assert "release/0.2.106" in text
    assert "rolls out to *stg* and *dev*" in text


def test_unsigned_badly_signed_and_stale_requests_are_refused(shared_box: Sandbox) -> None:
    payload = shared_box.user.slash_command_payload("/versions prod")
    before = len(shared_box.slack.responses(payload["response_url"]))
    assert shared_box.delivery.send_command(payload, signature="").status == 401
    assert shared_box.delivery.send_command(payload, signature="v0=" + "0" * 64).status == 401
    assert shared_box.delivery.send_command(payload, timestamp=int(time.time()) - 600).status == 401
    time.sleep(0.3)
    assert len(shared_box.slack.responses(payload["response_url"])) == before  # nothing was answered


def test_a_watched_environment_shows_what_its_cluster_applied(tmp_path: Path) -> None:
    with Sandbox(tmp_path, clusters=True, clock=ManualClock(), apply_delay=60) as box:
        head = box.world.repo(JUPYTER).resolve("refs/heads/release/0.2.105")
        assert head is not None
        assert f"`{head[:7]}` applied, Ready" in box.ask("/versions prod jupyter_hub").text
        new_head = commit_file(
            box.world.repo_dir(JUPYTER),
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
