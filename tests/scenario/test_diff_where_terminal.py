"""`slackbot versions diff|where …` in a terminal: the same questions as Slack, the documented JSON."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from slackbot.cli import app
from slackbot.sandbox.harness import SANDBOX_GITHUB_TOKEN, Sandbox
from tests.scenario.helpers import CORE


@pytest.fixture(autouse=True)
def github_env(shared_box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACKBOT_CONFIG", str(shared_box.world.config_path))
    monkeypatch.setenv("GITHUB_TOKEN", SANDBOX_GITHUB_TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", shared_box.github.base_url)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_diff_json_is_the_documented_document() -> None:
    code, out, err = run("versions", "diff", "production", "staging", "--json")
    assert code == 0, err
    document = json.loads(out)
    assert set(document) == {"environments", "components", "same", "only"}
    assert document["environments"] == ["prod", "stg"]
    by_name = {c["name"]: c for c in document["components"]}
    assert by_name["cert_manager"] == {
        "name": "cert_manager",
        "fields": ["branch", "chart_version"],
        "prod": {"branch": "release/0.1.40", "chart_version": "v1.14.2", "image": None},
        "stg": {"branch": "release/0.1.41", "chart_version": "v1.14.4", "image": None},
        "apart": {"ahead_by": 0, "behind_by": 1},  # prod's branch lacks one commit of stg's
    }
    assert by_name["guacamole"]["apart"] == {"ahead_by": 1, "behind_by": 0}
    assert by_name["keda"]["fields"] == ["branch", "chart_version"]
    assert by_name["keda"]["prod"]["chart_version"] == "2.10"  # as written
    assert by_name["keda"]["apart"] is None  # no repository configured: nothing to compare
    assert "jupyter_hub" in document["same"]
    assert document["only"] == {"prod": ["observability-metrics"], "stg": ["superset"]}


def test_where_json_is_the_documented_document(shared_box: Sandbox) -> None:
    code, out, err = run("versions", "where", "jupyter", "--json")
    assert code == 0, err
    document = json.loads(out)
    assert set(document) == {"component", "environments", "not_deployed"}
    assert document["component"] == "jupyter_hub"
    prod = document["environments"][0]
    assert prod == {
        "environment": "prod",
        "branch": "release/0.2.105",
        "chart_version": "3.2.1",
        "image": "lscsde/jupyterhub:4.1.5",
        "commit": shared_box.world.repo(CORE).resolve("refs/heads/prod"),
    }
    assert [e["environment"] for e in document["environments"]] == ["prod", "stg", "dev", "uat", "sandbox"]
    assert document["not_deployed"] == []
    code, out, _ = run("versions", "where", "superset", "--json")
    assert json.loads(out)["not_deployed"] == ["prod", "uat", "sandbox"]


def test_diff_and_where_in_a_terminal_read_like_slack() -> None:
    code, out, _ = run("versions", "diff", "prod", "stg")
    assert code == 0
    assert "PROD VS STG" in out
    assert "prod is 1 commit behind stg" in out
    assert "[ Make prod like stg ]" in out
    code, out, _ = run("versions", "where", "jupyter_hub")
    assert code == 0
    assert "a merge into it rolls out to 2 environments" in out


def test_the_words_before_and_after_keep_working_as_they_did() -> None:
    code, out, _ = run("versions", "prod", "jupyter", "--json")
    assert code == 0
    [component] = json.loads(out)["components"]
    assert component["shared_with"] == ["stg"]
    code, out, _ = run("versions", "--json", "prod")  # options anywhere
    assert json.loads(out)["environment"] == "prod"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("diff", "prod", "prdo", "--json"), "Did you mean `prod`?", id="a-misspelt-environment"),
        pytest.param(("diff", "prod", "production"), "are both prod", id="one-environment-twice"),
        pytest.param(
            ("where", "jupiter", "--json"), "Did you mean `jupyter_hub`?", id="a-misspelt-component"
        ),
        pytest.param(
            ("changes", "prod", "--since", "100d"), "at most 90 days", id="since-reaches-the-parser"
        ),
        pytest.param(("--json",), "no JSON document", id="help-has-no-document"),
    ],
)
def test_a_mistake_exits_non_zero_with_the_sentence_slack_would_give(
    args: tuple[str, ...], message: str
) -> None:
    code, out, err = run("versions", *args)
    assert code == 1
    assert out == ""
    assert message in err


def test_help_in_a_terminal_names_every_question() -> None:
    code, out, _ = run("versions")
    assert code == 0
    assert "/versions diff ENV ENV" in out
    assert "/versions where COMPONENT" in out
