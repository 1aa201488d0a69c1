"""`slackbot` on the command line: serve, the demo, the same answers as Slack, and the sandbox."""

from __future__ import annotations

import html
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from slackbot.domain.errors import BotError
from slackbot.domain.names import UnknownName
from slackbot.settings import BotConfig, ConfigError, Secrets, load_config

if TYPE_CHECKING:
    from slackbot.bootstrap import Bot
    from slackbot.domain.hotfix_commands import HotfixCommand
    from slackbot.domain.versions_commands import VersionsQuery
    from slackbot.render.blocks import Message

app = typer.Typer(
    help="Chat-ops Slack bot for Flux CD environments: versions, hot-fixes, roll-outs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sandbox_app = typer.Typer(help="Run the built-in emulators on their own.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
jobs_app = typer.Typer(help="The scheduled follow-up jobs.", invoke_without_command=True)
app.add_typer(jobs_app, name="jobs")
hotfix_app = typer.Typer(
    help="The `/hotfix` commands from a terminal (an operator's own credentials).", no_args_is_help=True
)
app.add_typer(hotfix_app, name="hotfix")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Bot configuration file [env SLACKBOT_CONFIG, slackbot.yml]."),
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    # Sentences quote what people typed escaped for Slack (`&lt;`); a terminal shows the characters.
    typer.echo(html.unescape(message), err=True)
    return typer.Exit(code)


def _build_bot(config: BotConfig, secrets: Secrets) -> Bot:
    """The bot, or a one-line reason it cannot start (a missing secret, an unreadable key)."""
    from slackbot.bootstrap import SetupError, build_bot

    try:
        return build_bot(config, secrets)
    except SetupError as error:
        raise _fail(str(error), 2) from None


@contextmanager
def _bot(config_path: Path | None) -> Iterator[Bot]:
    """The bot for one command: any sentence it answers with goes to stderr (exit 1); closed after."""
    bot = _build_bot(*_load(config_path))
    try:
        yield bot
    except (BotError, UnknownName) as error:
        raise _fail(str(error)) from None
    finally:
        bot.close()


def _print(message: Message) -> None:
    from slackbot.render.terminal import render_message

    typer.echo(render_message(message.text, [block.to_dict() for block in message.blocks]))


def _load(config_path: Path | None) -> tuple[BotConfig, Secrets]:
    secrets = Secrets()
    path = config_path or secrets.slackbot_config
    try:
        return load_config(path), secrets
    except ConfigError as error:
        raise _fail("\n".join(f"{error.path}: {problem}" for problem in error.problems), 2) from None


@app.command("check-config")
def check_config(path: Annotated[Path | None, typer.Argument(help="The file to check.")] = None) -> None:
    """Validate a configuration file and say what is wrong with it."""
    config, _ = _load(path)
    typer.echo(
        f"{path or Secrets().slackbot_config}: OK — core repository {config.core.repository}, "
        f"{len(config.environments)} environments ({', '.join(config.environments)}), "
        f"{len(config.components)} configured components."
    )


@app.command()
def versions(
    words: Annotated[
        list[str] | None,
        typer.Argument(
            help="What to ask, as after `/versions` in Slack: `prod`, `prod jupyter_hub`, "
            "`diff prod stg`, `where jupyter_hub`, `changes prod`.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the stable JSON document.")] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="With `changes`: how far back, e.g. 12h, 7d or 2w.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """What an environment runs, how two differ, where a component runs — the same answers as `/versions`."""
    from slackbot.domain.versions_commands import parse_versions
    from slackbot.render.versions_blocks import versions_message

    text = " ".join(words or []) + (f" --since {since}" if since is not None else "")
    try:
        query = parse_versions(text)  # the same parser as Slack's
    except BotError as error:
        raise _fail(str(error)) from None
    with _bot(config) as bot:
        if as_json:
            typer.echo(json.dumps(_versions_document(bot, query), indent=2))
        else:
            _print(versions_message(bot.services.versions.answer(query)))


def _versions_document(bot: Bot, query: VersionsQuery) -> dict[str, Any]:
    """The JSON document answering ``query`` (see slackbot.render.documents)."""
    from slackbot.domain.versions_commands import ComponentQuery, EnvironmentQuery
    from slackbot.render import documents
    from slackbot.render.changes_document import changes_document
    from slackbot.services.pin_changes import ChangesAnswer
    from slackbot.services.version_views import DiffAnswer, WhereAnswer

    if isinstance(query, EnvironmentQuery):
        env = bot.versions.resolve_environment(query.environment)
        return documents.versions_document(bot.versions.environment(env))
    if isinstance(query, ComponentQuery):
        env = bot.versions.resolve_environment(query.environment)
        return documents.component_document(bot.versions.component(env, query.component))
    answer = bot.services.versions.answer(query)
    if isinstance(answer, DiffAnswer):
        return documents.diff_document(answer.diff)
    if isinstance(answer, WhereAnswer):
        for environment, why in answer.whereabouts.unreadable:  # the document keeps its keys
            typer.echo(html.unescape(f"warning: could not read {environment}: {why}"), err=True)
        return documents.where_document(answer.whereabouts)
    if isinstance(answer, ChangesAnswer):
        return changes_document(answer)
    raise _fail("That question has no JSON document; ask it without `--json`.")


def _run_hotfix(config: Path | None, channel: str | None, command: HotfixCommand) -> None:
    """Build the bot, run one hot-fix command as the terminal's user, print its answer."""
    import getpass

    from slackbot.render.hotfix_blocks import answer_message
    from slackbot.services.access import Actor

    actor = Actor(user_id=getpass.getuser(), channel_id=channel or "", via="cli")
    with _bot(config) as bot:
        _print(answer_message(bot.hotfixes.handle(command, actor)))


ChannelOption = Annotated[
    str | None,
    typer.Option("--channel", help="Slack channel id for the hot-fix thread (needs SLACK_BOT_TOKEN)."),
]


@hotfix_app.command("start")
def hotfix_start(
    environment: Annotated[str, typer.Argument(help="Environment, e.g. prod.")],
    component: Annotated[str, typer.Argument(help="Component, or `core` for the core repository.")],
    ticket: Annotated[str, typer.Argument(help="Ticket, e.g. INC-123.")],
    summary: Annotated[str, typer.Option(help="What is broken.")] = "",
    chart: Annotated[str | None, typer.Option(help="Pin hot-fix: new chart version.")] = None,
    image: Annotated[str | None, typer.Option(help="Pin hot-fix: new image.")] = None,
    branch: Annotated[str | None, typer.Option(help="Pin hot-fix: new flux branch.")] = None,
    channel: ChannelOption = None,
    config: ConfigOption = None,
) -> None:
    """Cut hotfix/TICKET from the branch ENV pins for COMPONENT (or change one pin)."""
    from slackbot.domain.hotfix_commands import Start, pin_request

    try:
        pin = pin_request(chart=chart, image=image, branch=branch)
    except BotError as error:
        raise _fail(str(error)) from None
    _run_hotfix(config, channel, Start(environment, component, ticket, summary, pin))


def _ticket_command(name: str, help_text: str, command_type: Callable[[str], HotfixCommand]) -> None:
    def command(
        ticket: Annotated[str, typer.Argument(help="The hot-fix's ticket.")],
        config: ConfigOption = None,
    ) -> None:
        _run_hotfix(config, None, command_type(ticket))

    command.__doc__ = help_text
    hotfix_app.command(name)(command)


def _register_ticket_commands() -> None:
    from slackbot.domain.hotfix_commands import Cancel, OpenPr, Promote

    _ticket_command("pr", "Open the pull request from hotfix/TICKET into its base branch.", OpenPr)
    _ticket_command(
        "promote", "Open (or reuse) the back-merge pull request from the base branch into main.", Promote
    )
    _ticket_command("cancel", "Stop tracking a hot-fix (nothing is deleted).", Cancel)


_register_ticket_commands()


@hotfix_app.command("status")
def hotfix_status(
    ticket: Annotated[
        str | None, typer.Argument(help="One ticket; all active hot-fixes when absent.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    config: ConfigOption = None,
) -> None:
    """Hot-fixes with their stage and links, brought up to date with GitHub."""
    from slackbot.domain.hotfix_commands import Status
    from slackbot.render.documents import hotfix_document

    if not as_json:
        _run_hotfix(config, None, Status(ticket))
        return
    with _bot(config) as bot:
        found = bot.services.tracker.status(ticket)
        typer.echo(json.dumps([hotfix_document(view.hotfix) for view in found.views], indent=2))


@hotfix_app.command("report")
def hotfix_report(
    ticket: Annotated[str, typer.Argument(help="The hot-fix's ticket.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the stable JSON documents.")] = False,
    as_markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown for a review.")] = False,
    config: ConfigOption = None,
) -> None:
    """A hot-fix's timeline and durations for its post-incident review (`/hotfix report` in Slack)."""
    from slackbot.domain.hotfix_commands import Report
    from slackbot.render.report_text import reports_json, reports_markdown

    if as_json and as_markdown:
        raise _fail("Give `--json` or `--markdown`, not both.", 2)
    if not (as_json or as_markdown):
        _run_hotfix(config, None, Report(ticket))
        return
    with _bot(config) as bot:
        reports = bot.services.reports.reports(ticket)
        typer.echo(reports_json(reports) if as_json else reports_markdown(reports))


@jobs_app.callback()
def jobs_list(ctx: typer.Context, config: ConfigOption = None) -> None:
    """List the scheduled jobs and their next run (`slackbot jobs run NAME` runs one now)."""
    if ctx.invoked_subcommand is not None:
        return
    from slackbot.bootstrap import scheduled_jobs

    bot_config, secrets = _load(config)
    rows, holder = scheduled_jobs(bot_config, secrets)
    for job_id, description, next_run, stored in rows:
        when = f"{next_run:%Y-%m-%d %H:%M:%S %Z}" if next_run else "never"
        note = "" if stored else "  (not stored yet: `slackbot serve` schedules it)"
        typer.echo(f"{job_id:<10} next run {when}  — {description}{note}")
    typer.echo(f"scheduler lease: {holder or 'nobody holds it (no bot is running jobs)'}")


@jobs_app.command("run")
def jobs_run(
    name: Annotated[str, typer.Argument(help="watch or reminders")],
    config: ConfigOption = None,
) -> None:
    """Run one job once, now, in this process."""
    from slackbot.scheduler import run_job

    with _bot(config) as bot:
        try:
            report = run_job(bot.followup, name)
        except KeyError:
            raise _fail(
                f"There is no job called `{name}`; the jobs are `watch` and `reminders`.", 2
            ) from None
        typer.echo(f"{name}: {report}")


@app.command()
def serve(
    http: Annotated[
        bool, typer.Option("--http", help="Serve HTTP even when SLACK_APP_TOKEN is set.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address to bind in HTTP mode.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port in HTTP mode.")] = 3000,
    health_host: Annotated[
        str, typer.Option(help="Socket Mode: address for /healthz, /readyz and /metrics.")
    ] = "127.0.0.1",
    health_port: Annotated[
        int, typer.Option(help="Socket Mode: port for /healthz, /readyz and /metrics.")
    ] = 8080,
    config: ConfigOption = None,
) -> None:
    """Run the bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP at POST /slack/events.

    SIGTERM stops it cleanly: no new work, in-flight work finished, the scheduler lease released."""
    from slackbot.bootstrap import SetupError
    from slackbot.observability.logs import configure_logging
    from slackbot.serving import Listen
    from slackbot.serving import serve as run

    bot_config, secrets = _load(config)
    configure_logging(secrets.slackbot_log_format or bot_config.log_format)
    bot = _build_bot(bot_config, secrets)
    try:
        run(
            bot,
            Listen(http=http, host=host, port=port, health_host=health_host, health_port=health_port),
            say=lambda line: typer.echo(line, err=True),
        )
    except SetupError as error:
        raise _fail(str(error), 2) from None


@app.command()
def demo(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Keep the sandbox world here (default: a temporary folder).")
    ] = None,
) -> None:
    """Start the sandbox (GitHub and Slack emulators, seeded repositories) and a Slack-like console."""
    import shutil

    from slackbot.sandbox.demo import run_demo

    if shutil.which("git") is None:
        raise _fail(
            "The demo keeps its repositories in git, and git is not installed here; install git first.", 2
        )
    run_demo(directory, stdin=sys.stdin, stdout=sys.stdout)


@sandbox_app.command("github")
def sandbox_github(
    repos: Annotated[Path, typer.Option(help="Folder of bare repositories OWNER/NAME.git.")],
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8080,
    seed: Annotated[bool, typer.Option(help="Seed the demo world into --repos first.")] = False,
) -> None:
    """Serve bare git repositories through the GitHub REST API subset the bot uses."""
    from slackbot.sandbox.github_emulator import GitHubEmulator
    from slackbot.sandbox.world import seed_world

    if seed:
        world = seed_world(repos)
        typer.echo(f"Seeded the demo world; config at {world.config_path}", err=True)
        repos = world.repos_dir
    if not repos.is_dir():
        raise _fail(f"{repos} is not a folder of bare repositories (OWNER/NAME.git); try --seed.", 2)
    emulator = GitHubEmulator(repos, host=host, port=port)
    typer.echo(f"GitHub emulator on {emulator.base_url} serving {repos}", err=True)
    emulator.serve_forever()


def main() -> None:
    app()
