"""The Bolt app factory: the same app serves Slack, the demo and the tests."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from slackbot.observability.metrics import Metrics
from slackbot.services.commands import HotfixCommands
from slackbot.services.home import HomeService
from slackbot.services.version_queries import VersionQueries
from slackbot.slack import errors, guard
from slackbot.slack.actions import home as home_actions
from slackbot.slack.actions import hotfix as hotfix_actions
from slackbot.slack.actions import make_like as make_like_actions
from slackbot.slack.commands import hotfix as hotfix_command
from slackbot.slack.commands import versions as versions_command
from slackbot.slack.events import home as home_events
from slackbot.slack.views import hotfix as hotfix_views


def create_app(
    *,
    client: WebClient,
    signing_secret: str,
    queries: VersionQueries,
    hotfixes: HotfixCommands,
    metrics: Metrics | None = None,
    listeners: ThreadPoolExecutor | None = None,
    token_verification: bool = True,
    home: HomeService | None = None,
    signatures: guard.SignatureMemory | None = None,
) -> App:
    """Build the Bolt app; nothing happens at import time and nothing global is touched."""
    app = App(
        client=client,
        # Listeners ack at once and then wait on GitHub; Bolt's default of 5 threads would make
        # the 6th concurrent command wait for an earlier answer before it could even be acked.
        listener_executor=listeners or ThreadPoolExecutor(max_workers=64, thread_name_prefix="listener"),
        signing_secret=signing_secret,
        token_verification_enabled=token_verification,
        logger=logging.getLogger("slackbot.bolt"),
    )
    guard.bound_unauthenticated_logs()
    # After Bolt has verified the signature; `signatures` shared by every copy when it is given.
    app.use(guard.refusing_replays(signatures or guard.RecentSignatures()))
    handled = metrics.command_handled if metrics is not None else None
    errors.register(app)
    if home is not None:  # first: its Snooze takes the clicks from a Home tab, the reminders' the rest
        publisher = home_events.HomePublisher(home, handled)
        home_events.register(app, publisher)
        home_actions.register(app, publisher, queries, hotfixes, handled)
    versions_command.register(app, queries, handled)
    hotfix_command.register(app, hotfixes, handled)
    hotfix_actions.register(app, hotfixes, handled)
    make_like_actions.register(app, hotfixes, handled)
    hotfix_views.register(app, hotfixes, handled)
    return app
