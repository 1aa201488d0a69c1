"""Configuration: one YAML file for what the bot knows, the environment for secrets.

The YAML file (``SLACKBOT_CONFIG``, default ``slackbot.yml``) is validated at start-up; every
problem is reported with the key path and the line it is on, so ``slackbot check-config`` can say
exactly what to fix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from slackbot.domain.core_files import ComponentSpec, CorePaths

REPOSITORY_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class _Strict(BaseModel):
    # Unknown keys are almost always typos; refusing them saves an evening of "why is it ignored".
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_repository(value: str) -> str:
    if not REPOSITORY_PATTERN.match(value):
        raise ValueError(f"'{value}' is not a repository name of the form owner/name")
    return value


class CoreFiles(_Strict):
    flux: str = "core/flux-config.yaml"
    helm: str = "core/helm-config.yaml"
    image: str = "core/image-config.yaml"
    releases: tuple[str, ...] = ("core/release.yaml", "core/release-namespaces.yaml")
    legacy: str = "core/deployment-config.yaml"

    def paths(self) -> CorePaths:
        return CorePaths(
            flux=self.flux, helm=self.helm, image=self.image, releases=self.releases, legacy=self.legacy
        )


class CoreConfig(_Strict):
    repository: str
    files: CoreFiles = CoreFiles()

    _repository = field_validator("repository")(_check_repository)


class EnvironmentConfig(_Strict):
    branch: str
    aliases: tuple[str, ...] = ()


class ComponentConfig(_Strict):
    repository: str | None = None
    aliases: tuple[str, ...] = ()
    flux_name: str | None = None

    @field_validator("repository")
    @classmethod
    def _repository_shape(cls, value: str | None) -> str | None:
        return None if value is None else _check_repository(value)


class HotfixConfig(_Strict):
    branch: str = "hotfix/{ticket}"
    ticket_pattern: str = r"^(?:\d+|[A-Za-z][A-Za-z0-9]*-\d+)$"
    channel_pattern: str = "^inc-"
    channels: tuple[str, ...] = ()
    allowed_users: tuple[str, ...] = ()
    allowed_usergroups: tuple[str, ...] = ()
    main_branch: str = "main"

    @field_validator("ticket_pattern", "channel_pattern")
    @classmethod
    def _is_regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"'{value}' is not a valid regular expression ({error})") from None
        return value

    @field_validator("branch")
    @classmethod
    def _has_ticket(cls, value: str) -> str:
        if "{ticket}" not in value:
            raise ValueError("the hot-fix branch template must contain {ticket}, e.g. hotfix/{ticket}")
        return value


class BotConfig(_Strict):
    core: CoreConfig
    environments: dict[str, EnvironmentConfig] = Field(min_length=1)
    components: dict[str, ComponentConfig] = {}
    hotfix: HotfixConfig = HotfixConfig()
    database_url: str = "sqlite:///slackbot.db"

    @model_validator(mode="after")
    def _aliases_are_unambiguous(self) -> BotConfig:
        for kind, entries in (
            ("environment", {k: v.aliases for k, v in self.environments.items()}),
            ("component", {k: v.aliases for k, v in self.components.items()}),
        ):
            owner: dict[str, str] = {}
            for name, aliases in entries.items():
                for word in (name, *aliases):
                    other = owner.setdefault(word.lower(), name)
                    if other != name:
                        raise ValueError(
                            f"{kind} name or alias '{word}' is used by both '{other}' and '{name}'"
                        )
        return self

    def catalog(self) -> dict[str, ComponentSpec]:
        return {
            name: ComponentSpec(
                name=name, repository=c.repository, aliases=tuple(c.aliases), flux_name=c.flux_name
            )
            for name, c in self.components.items()
        }


class Secrets(BaseSettings):
    """Secrets and endpoints, read from the environment only (never from the YAML file)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    slackbot_config: Path = Path("slackbot.yml")
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    github_token: SecretStr | None = None
    github_app_id: str | None = None
    github_app_private_key: SecretStr | None = None
    github_app_private_key_file: Path | None = None
    github_app_installation_id: int | None = None
    github_api_url: str = "https://api.github.com"
    slackbot_database_url: SecretStr | None = None


class ConfigError(Exception):
    """The configuration file cannot be used; ``problems`` has one readable line per mistake."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.path = path
        self.problems = problems


def load_config(path: Path) -> BotConfig:
    """Read and validate the bot's YAML configuration, naming the line of every mistake."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, ["file not found (set SLACKBOT_CONFIG or create slackbot.yml)"]) from None
    except OSError as error:
        raise ConfigError(path, [f"cannot be read: {error.strerror}"]) from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> BotConfig:
    try:
        document = YAML(typ="rt").load(text)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(path, [f"{where}{problem}"]) from None
    if not isinstance(document, dict):
        raise ConfigError(path, ["the file should be a mapping with at least `core` and `environments`"])
    try:
        return BotConfig.model_validate(_plain(document))
    except ValidationError as error:
        problems = []
        for item in error.errors():
            location = ".".join(str(part) for part in item["loc"])
            line = _line_of(document, item["loc"])
            where = f"line {line}: " if line else ""
            message = item["msg"].removeprefix("Value error, ")
            problems.append(f"{where}{location}: {message}" if location else f"{where}{message}")
        raise ConfigError(path, problems) from None


def _plain(node: Any) -> Any:
    """Round-trip containers (CommentedMap, CommentedSeq) as plain dicts and lists for pydantic."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _line_of(document: Any, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the deepest key in ``loc`` that exists in the YAML document."""
    node, line = document, None
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line
