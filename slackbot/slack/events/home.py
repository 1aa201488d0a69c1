"""The Home tab: published afresh each time someone opens it (``app_home_opened``).

:class:`HomePublisher` reads the tab's contents (:class:`~slackbot.services.home.HomeService`)
and publishes them to one person with views.publish; the Home tab's buttons
(:mod:`slackbot.slack.actions.home`) publish it again to show what they did. Nothing raises to
the person: a tab that cannot be read shows the sentence saying why, and a views.publish Slack
refuses is one line in the log with Slack's error code.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slackbot.observability.logs import handling
from slackbot.render.home_blocks import home_error_view, home_view
from slackbot.services.home import HomeService
from slackbot.slack.errors import CommandHandled, user_sentence

log = logging.getLogger(__name__)


class HomePublisher:
    """Publishes one person's Home tab; ``handled`` hears how each publish ended (metrics)."""

    def __init__(self, home: HomeService, handled: CommandHandled | None = None) -> None:
        self._home = home
        self._handled = handled

    def publish(
        self,
        client: WebClient,
        user_id: str,
        *,
        notice: str | None = None,
        command: str = "home",
        refused: BaseException | None = None,
    ) -> None:
        """Read the tab and publish it to ``user_id``, ``notice`` on top; ``command`` names what
        is being answered (for the logs and metrics) and ``refused`` what it was refused with."""
        started, failure = time.monotonic(), refused
        with handling(command):
            try:
                view = home_view(self._home.snapshot(), notice=notice)
            except Exception as error:  # the database or a bug: say so on the tab, log the rest
                failure = error
                view = home_error_view(user_sentence(error))
            try:
                client.views_publish(user_id=user_id, view=view.to_dict())
            except SlackApiError as error:
                failure = failure or error
                code = error.response.get("error") if error.response is not None else None
                log.warning("Slack refused the Home tab of %s (%s)", user_id, code or "no answer")
            except Exception as error:  # Slack unreachable: the person sees the previous tab
                failure = failure or error
                log.warning("could not publish the Home tab of %s: %s", user_id, type(error).__name__)
        if self._handled is not None:
            self._handled(command, failure, time.monotonic() - started)


class RecentEvents:
    """The ids of the last ``capacity`` events handled: Slack retries an event it thinks was not
    acknowledged in time (a new request, the same ``event_id``), and one reading is enough."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._seen:
                return False
            self._seen[event_id] = None
            while len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return True


def register(app: App, publisher: HomePublisher, recent: RecentEvents | None = None) -> None:
    seen = recent or RecentEvents()

    @app.event("app_home_opened")
    def home_opened(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") != "home" or not event.get("user"):
            return  # the Messages tab: nothing to publish
        if not seen.first_time(str(body.get("event_id") or "")):
            log.info("a retry of an app_home_opened event already handled")
            return
        publisher.publish(client, str(event["user"]))
