"""The configuration file: what is accepted, and how mistakes are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from slackbot.settings import ConfigError, Secrets, load_config, parse_config

VALID = """\
core:
  repository: lsc-sde/iac-flux-lscsde   # the core flux repo
environments:
  prod: {branch: prod, aliases: [production]}
  sandbox: {branch: main}
components:
  jupyter_hub: {repository: lsc-sde/iac-flux-jupyter, aliases: [jupyter], flux_name: jupyter}
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, Path("slackbot.yml"))
    return caught.value.problems


def test_the_documented_example_is_valid_and_keeps_its_defaults() -> None:
    config = parse_config(VALID, Path("slackbot.yml"))
    assert config.core.repository == "lsc-sde/iac-flux-lscsde"
    assert config.core.files.flux == "core/flux-config.yaml"
    assert config.environments["prod"].aliases == ("production",)
    spec = config.catalog()["jupyter_hub"]
    assert (spec.repository, spec.aliases, spec.flux_name) == (
        "lsc-sde/iac-flux-jupyter",
        ("jupyter",),
        "jupyter",
    )


def test_a_missing_key_is_reported_with_its_path() -> None:
    assert problems_of("core:\n  repository: a/b\n") == ["environments: Field required"]


def test_a_typo_in_a_key_is_reported_with_its_line() -> None:
    text = VALID.replace("  sandbox: {branch: main}", "  sandbox: {brnch: main}")
    assert problems_of(text) == [
        "line 5: environments.sandbox.branch: Field required",
        "line 5: environments.sandbox.brnch: Extra inputs are not permitted",
    ]


def test_a_repository_must_be_owner_slash_name() -> None:
    found = problems_of(VALID.replace("lsc-sde/iac-flux-jupyter", "iac-flux-jupyter"))
    assert found == [
        "line 7: components.jupyter_hub.repository: "
        "'iac-flux-jupyter' is not a repository name of the form owner/name"
    ]


def test_an_alias_used_twice_is_refused() -> None:
    text = VALID.replace("sandbox: {branch: main}", "sandbox: {branch: main, aliases: [Production]}")
    assert problems_of(text) == [
        "environment name or alias 'Production' is used by both 'prod' and 'sandbox'"
    ]


def test_malformed_yaml_names_the_line() -> None:
    [problem] = problems_of("core:\n  repository: [a\nenvironments: {}\n")
    assert problem.startswith("line 3: ")


def test_a_missing_file_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SLACKBOT_CONFIG"):
        load_config(tmp_path / "nope.yml")


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example.test/api/v3")
    secrets = Secrets()
    assert secrets.github_token is not None
    assert secrets.github_token.get_secret_value() == "ghp_secret"
    assert "ghp_secret" not in repr(secrets)
    assert secrets.github_api_url == "https://ghe.example.test/api/v3"
