"""The composition root: settings in, wired adapters and services out. Nothing else builds them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from github import Auth, Github
from github.Requester import Requester
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from slackbot.adapters.db_engine import normalise_url
from slackbot.adapters.github import GitHubForge, web_base_from_api
from slackbot.adapters.github_errors import PatientRetry
from slackbot.adapters.github_statuses import CommitStatusProbe
from slackbot.adapters.kubernetes import KubernetesFluxProbe, KubernetesRolloutProbe
from slackbot.adapters.ledger import StateLedger
from slackbot.adapters.replays import SharedSignatures
from slackbot.adapters.shared_reads import SharedReads
from slackbot.adapters.slack_web import NoDirectory, NoThreads, SlackDirectory, SlackThreads
from slackbot.adapters.store import Store
from slackbot.observability.metrics import Metrics
from slackbot.scheduler import LEASE, BotScheduler, JobSpec, Lease, job_specs
from slackbot.scheduler import scheduled_jobs as stored_jobs
from slackbot.services.access import HotfixPolicy
from slackbot.services.commands import HotfixCommands
from slackbot.services.followup import FollowupService
from slackbot.services.ports import Forge, RolloutProbe
from slackbot.services.reminders import ReminderPolicy
from slackbot.services.rollouts import EnvironmentFollowup
from slackbot.services.versions import EnvironmentSpec, VersionService
from slackbot.services.wiring import Services, wire_services
from slackbot.settings import BotConfig, EnvironmentConfig, Secrets
from slackbot.slack.app import create_app
from slackbot.slack.guard import RecentSignatures


class SetupError(Exception):
    """A missing secret or setting that stops the bot from starting; the message says which."""


@dataclass
class Bot:
    config: BotConfig
    secrets: Secrets
    source: GitHubForge
    versions: VersionService
    store: Store
    services: Services
    slack: WebClient | None
    metrics: Metrics

    @property
    def hotfixes(self) -> HotfixCommands:
        return self.services.hotfixes

    @property
    def followup(self) -> FollowupService:
        return self.services.followup

    def close(self) -> None:
        self.services.home.close()
        self.versions.close()
        self.source.close()
        for environment in self.followup.environments.values():
            if environment.probe is not None:
                environment.probe.close()
        self.store.close()


def github_auth(secrets: Secrets) -> Auth.Auth | None:
    """A token, or a GitHub App installation (whose tokens PyGithub refreshes itself)."""
    if secrets.github_token is not None:
        return Auth.Token(secrets.github_token.get_secret_value())
    if secrets.github_app_id:
        if secrets.github_app_private_key is not None:
            key = secrets.github_app_private_key.get_secret_value()
        elif secrets.github_app_private_key_file is not None:
            key = secrets.github_app_private_key_file.read_text(encoding="utf-8")
        else:
            raise SetupError("GITHUB_APP_ID is set but neither GITHUB_APP_PRIVATE_KEY nor _FILE is.")
        if secrets.github_app_installation_id is None:
            raise SetupError("GITHUB_APP_ID is set but GITHUB_APP_INSTALLATION_ID is not.")
        try:  # fail at start-up, not on the first request, when the key is not a key
            serialization.load_pem_private_key(key.encode(), password=None)
        except (ValueError, TypeError):
            raise SetupError("The GitHub App private key is not an unencrypted PEM private key.") from None
        return SharedInstallationAuth(
            Auth.AppAuth(secrets.github_app_id, key), secrets.github_app_installation_id
        )
    return None


class SharedInstallationAuth(Auth.AppInstallationAuth):
    """One GitHub App installation token for every thread's client, fetched by one thread at a time.

    PyGithub exchanges and refreshes the token without a lock, and rebinds it to each new client;
    here it is bound once (every client has the same settings) and refreshed under a lock."""

    def __init__(self, app_auth: Auth.AppAuth, installation_id: int) -> None:
        self._lock = threading.RLock()
        self._bound = False
        super().__init__(app_auth, installation_id)

    def withRequester(self, requester: Requester) -> Auth.AppInstallationAuth:  # noqa: N802 - PyGithub's name
        with self._lock:
            if not self._bound:
                super().withRequester(requester)
                self._bound = True
        return self

    @property
    def token(self) -> str:
        with self._lock:
            return super().token


def github_connector(secrets: Secrets) -> Callable[[], Github]:
    """Makes the PyGithub clients of one bot: each thread gets its own (see GitHubForge), all
    sharing one authentication. Raises SetupError now for missing or unusable credentials."""
    auth = github_auth(secrets)
    return lambda: _github_client(secrets, auth)


def _github_client(secrets: Secrets, auth: Auth.Auth | None) -> Github:
    return Github(
        auth=auth,
        base_url=secrets.github_api_url.rstrip("/"),
        timeout=10,
        # Reads go out in parallel; PyGithub's default spacing (0.25 s) would serialise them.
        seconds_between_requests=None,
        seconds_between_writes=1.0,
        # A person is waiting: retry briefly, and never sleep out a rate limit (an hour for the
        # primary one; GitHub's Retry-After for secondary ones): say when to come back instead.
        retry=PatientRetry(
            total=2,
            backoff_factor=0.2,
            max_rate_limit_wait=5,
            secondary_rate_wait=5,
            respect_retry_after_header=False,
        ),
        pool_size=2,  # one client per thread: one request at a time (and a spare for redirects)
        lazy=True,  # get_repo() costs no request; the first real call does the work
    )


def build_slack_client(secrets: Secrets) -> WebClient | None:
    if secrets.slack_bot_token is None:
        return None
    client = WebClient(token=secrets.slack_bot_token.get_secret_value(), base_url=secrets.slack_api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def database_url(config: BotConfig, secrets: Secrets) -> str:
    """The environment's SLACKBOT_DATABASE_URL (it may hold a password) wins over the file's."""
    if secrets.slackbot_database_url is not None:
        return secrets.slackbot_database_url.get_secret_value()
    return config.database_url


def open_store(url: str) -> Store:
    """The store, migrated; a database that cannot be reached is one sentence naming it, password hidden."""
    try:
        shown = normalise_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        raise SetupError(
            "The database URL is not one SQLAlchemy can read (see SLACKBOT_DATABASE_URL)."
        ) from None
    try:
        store = Store(url)
    except (ArgumentError, ValueError, SQLAlchemyError, ImportError) as error:
        raise SetupError(f"The database URL `{shown}` cannot be used: {_first_line(error)}") from None
    try:
        store.migrate()
    except SQLAlchemyError as error:
        store.close()
        reason = _first_line(getattr(error, "orig", None) or error)
        raise SetupError(
            f"The database at `{shown}` could not be reached ({reason}); check SLACKBOT_DATABASE_URL "
            "and that the database is up."
        ) from None
    return store


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def build_bot(config: BotConfig, secrets: Secrets, *, clock: Callable[[], datetime] | None = None) -> Bot:
    """Wire the bot; ``clock`` lets the sandbox's tests move time instead of sleeping."""
    now = clock or (lambda: datetime.now(UTC))
    metrics = Metrics()
    source = GitHubForge(
        github_connector(secrets), web_base=web_base_from_api(secrets.github_api_url), metrics=metrics
    )
    versions = build_versions(config, source)
    # The follow-up jobs' reads are shared within each run (one per branch or pull request);
    # outside a run every call goes straight to GitHub.
    reads = SharedReads(source)
    try:
        store = open_store(database_url(config, secrets))
    except SetupError:
        source.close()
        raise
    slack = build_slack_client(secrets)
    services = build_services(
        config, secrets, versions=versions, reads=reads, store=store, slack=slack, clock=now, metrics=metrics
    )
    metrics.count_open_hotfixes(store.open_by_stage)
    return Bot(
        config=config,
        secrets=secrets,
        source=source,
        versions=versions,
        store=store,
        services=services,
        slack=slack,
        metrics=metrics,
    )


def build_versions(config: BotConfig, source: GitHubForge) -> VersionService:
    return VersionService(
        source,
        core_repository=config.core.repository,
        environments={
            name: EnvironmentSpec(name=name, branch=env.branch, aliases=env.aliases)
            for name, env in config.environments.items()
        },
        catalog=config.catalog(),
        paths=config.core.files.paths(),
    )


def hotfix_policy(config: BotConfig) -> HotfixPolicy:
    rules = config.hotfix
    return HotfixPolicy(
        core_repository=config.core.repository,
        branch_template=rules.branch,
        ticket_pattern=rules.ticket_pattern,
        channel_pattern=rules.channel_pattern,
        channels=rules.channels,
        allowed_users=rules.allowed_users,
        allowed_usergroups=rules.allowed_usergroups,
        main_branch=rules.main_branch,
        team_channel=config.reminders.team_channel,
        rollout_deadlines={name: env.rollout_deadline for name, env in config.environments.items()},
    )


def build_services(
    config: BotConfig,
    secrets: Secrets,
    *,
    versions: VersionService,
    reads: SharedReads,
    store: Store,
    slack: WebClient | None,
    clock: Callable[[], datetime],
    metrics: Metrics | None = None,
) -> Services:
    """The services over the real adapters."""
    policy = hotfix_policy(config)
    return wire_services(
        forge=reads,
        store=store,
        ledger=StateLedger(store, clock=clock),
        slack=SlackThreads(slack, metrics=metrics) if slack else NoThreads(),
        directory=SlackDirectory(slack) if slack else NoDirectory(),
        versions=versions,
        policy=policy,
        reminder_policy=ReminderPolicy(
            team_channel=config.reminders.team_channel,
            escalate_after=config.reminders.escalate_after,
            main_branch=policy.main_branch,
        ),
        environments={
            name: EnvironmentFollowup(
                name=name,
                deadline=env.rollout_deadline,
                probe=build_probe(name, env, reads, secrets.kubeconfig),
                namespace=env.flux.namespace if env.flux else "flux-system",
                reconcile=bool(env.flux and env.flux.reconcile),
            )
            for name, env in config.environments.items()
        },
        paths=config.core.files.paths(),
        core_flux_name=config.core.flux_name,
        clock=clock,
        read_cycle=reads.cycle,
    )


def build_probe(
    name: str, environment: EnvironmentConfig, forge: Forge, kubeconfig: str | None
) -> RolloutProbe | None:
    flux = environment.flux
    if flux is None:
        return None
    if flux.commit_status:
        return CommitStatusProbe(forge, flux.status_id)
    kube = KubernetesFluxProbe(
        kube_context=flux.kube_context, in_cluster=flux.in_cluster, kubeconfig=kubeconfig
    )
    return KubernetesRolloutProbe(kube, f"the {name} cluster")


def job_specs_for(config: BotConfig) -> list[JobSpec]:
    return job_specs(
        poll_seconds=config.scheduler.poll_interval.total_seconds(),
        reminder_cron=config.reminders.schedule,
        timezone=config.reminders.timezone,
    )


def scheduled_jobs(
    config: BotConfig, secrets: Secrets
) -> tuple[list[tuple[str, str, datetime | None, bool]], str | None]:
    """The jobs with their next runs as stored, and which copy of the bot holds the scheduler lease."""
    store = Store(database_url(config, secrets))
    try:
        store.migrate()
        rows = stored_jobs(store.engine, job_specs_for(config), config.reminders.timezone)
        return rows, store.lease_holder(LEASE)
    finally:
        store.close()


def build_scheduler(bot: Bot) -> BotScheduler:
    config = bot.config
    return BotScheduler(
        bot.followup,
        engine=bot.store.engine,
        lease=Lease(bot.store.acquire_lease, bot.store.release_lease),
        specs=job_specs_for(config),
        lease_ttl=config.scheduler.lease_ttl.total_seconds(),
        timezone=config.reminders.timezone,
        metrics=bot.metrics,
    )


def build_slack_app(bot: Bot, *, listeners: ThreadPoolExecutor | None = None) -> App:
    secrets = bot.secrets
    if bot.slack is None:
        raise SetupError("SLACK_BOT_TOKEN is not set.")
    if secrets.slack_signing_secret is None and secrets.slack_app_token is None:
        raise SetupError("SLACK_SIGNING_SECRET is not set (needed to verify Slack's requests in HTTP mode).")
    signing_secret = secrets.slack_signing_secret.get_secret_value() if secrets.slack_signing_secret else ""
    return create_app(
        client=bot.slack,
        signing_secret=signing_secret,
        queries=bot.services.versions,
        hotfixes=bot.hotfixes,
        metrics=bot.metrics,
        listeners=listeners,
        home=bot.services.home,
        # Replays refused across every copy of the bot: they share the database.
        # (The store stamps rows with the wall clock, so the memory keeps time by it too.)
        signatures=SharedSignatures(
            bot.store, lambda: datetime.now(UTC), local=RecentSignatures().first_time
        ),
    )
