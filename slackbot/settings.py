"""Configuration: one YAML file for what the bot knows, the environment for secrets.

The YAML file (``SLACKBOT_CONFIG``, default ``slackbot.yml``) is validated at start-up; every
problem is reported with the key path and the line it is on, so ``slackbot check-config`` can say
exactly what to fix.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
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
from slackbot.domain.tickets import DEFAULT_BRANCH_TEMPLATE, DEFAULT_TICKET_PATTERN

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
    flux_name: str = "flux-system"  # the core repository's own GitRepository/Kustomization in clusters

    _repository = field_validator("repository")(_check_repository)


def parse_duration(value: object) -> timedelta:
    """``90s``, ``10m``, ``2h``, ``1d``, or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(value))
    if not match:
        raise ValueError(f"'{value}' is not a duration like 90s, 10m, 2h or 1d")
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return timedelta(seconds=float(match.group(1)) * unit)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class FluxProbeConfig(_Strict):
    """How the bot sees what Flux applied in an environment: the cluster's API or commit statuses."""

    kube_context: str | None = None  # a context in KUBECONFIG
    in_cluster: bool = False  # the bot runs in this environment's cluster
    namespace: str = "flux-system"  # where the components' GitRepository/Kustomization live
    commit_status: bool = False  # read the commit statuses Flux's notification-controller posts
    status_id: str | None = None  # the `<id>` in `kustomization/<name>/<id>` that is this cluster's
    reconcile: bool = False  # ask Flux to reconcile right after a merge (needs RBAC patch)

    @model_validator(mode="after")
    def _one_way(self) -> FluxProbeConfig:
        if not (self.kube_context or self.in_cluster or self.commit_status):
            raise ValueError("give kube_context, in_cluster: true or commit_status: true")
        return self


class EnvironmentConfig(_Strict):
    branch: str
    aliases: tuple[str, ...] = ()
    rollout_deadline: Duration = timedelta(minutes=10)
    flux: FluxProbeConfig | None = None


class ComponentConfig(_Strict):
    repository: str | None = None
    aliases: tuple[str, ...] = ()
    flux_name: str | None = None

    @field_validator("repository")
    @classmethod
    def _repository_shape(cls, value: str | None) -> str | None:
        return None if value is None else _check_repository(value)


class HotfixConfig(_Strict):
    branch: str = DEFAULT_BRANCH_TEMPLATE
    ticket_pattern: str = DEFAULT_TICKET_PATTERN
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


class RemindersConfig(_Strict):
    schedule: str = "30 9 * * mon-fri"  # cron: minute hour day month day-of-week
    timezone: str = "UTC"
    team_channel: str | None = None  # digests of back-merges no thread follows, and escalations
    escalate_after: int = Field(default=3, ge=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone name like Europe/London") from None
        return value

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError(f"'{value}' is not a five-field cron expression like '30 9 * * mon-fri'")
        return value


class SchedulerConfig(_Strict):
    enabled: bool = True
    poll_interval: Duration = timedelta(seconds=60)  # the hot-fix watcher and roll-out checks
    lease_ttl: Duration = timedelta(seconds=30)  # another copy takes over this long after the holder stops


class BotConfig(_Strict):
    core: CoreConfig
    environments: dict[str, EnvironmentConfig] = Field(min_length=1)
    components: dict[str, ComponentConfig] = {}
    hotfix: HotfixConfig = HotfixConfig()
    reminders: RemindersConfig = RemindersConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    database_url: str = "sqlite:///slackbot.db"
    log_format: Literal["text", "json"] = "text"  # json: one object a line (SLACKBOT_LOG_FORMAT wins)

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
    slackbot_log_format: Literal["text", "json"] | None = None
    kubeconfig: str | None = None  # KUBECONFIG: where the environments' kube_context entries live


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
