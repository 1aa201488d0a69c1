"""The Bolt app factory: the same app serves Slack, the demo and the tests."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from slackbot.services.versions import VersionService
from slackbot.slack import errors
from slackbot.slack.commands import versions


def create_app(
    *,
    bot_token: str,
    signing_secret: str,
    api_url: str,
    versions_service: VersionService,
    token_verification: bool = True,
) -> App:
    """Build the Bolt app; nothing happens at import time and nothing global is touched."""
    client = WebClient(token=bot_token, base_url=api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    app = App(
        client=client,
        # Listeners ack at once and then wait on GitHub; Bolt's default of 5 threads would make
        # the 6th concurrent command wait for an earlier answer before it could even be acked.
        listener_executor=ThreadPoolExecutor(max_workers=64, thread_name_prefix="listener"),
        signing_secret=signing_secret,
        token_verification_enabled=token_verification,
        logger=logging.getLogger("slackbot.bolt"),
    )
    errors.register(app)
    versions.register(app, versions_service)
    return app
