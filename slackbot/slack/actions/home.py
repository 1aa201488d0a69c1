"""The Home tab's controls: a menu opening any `/versions` answer in a modal, and Snooze.

A click on a Home tab carries no channel and no ``response_url``, so these answer in the tab
itself or in a modal, never through :func:`~slackbot.slack.delivery.deliver`:

- the `/versions` menu opens a modal at once with the trigger id (it lasts 3 seconds, GitHub may
  take longer) and fills it with the same answer `/versions ENV [COMPONENT]` gives;
- Snooze takes the reminders' own action id and value (``branch:REPOSITORY:BRANCH``), goes through
  the same command as the button on a digest, and publishes the tab again saying what it did — or
  why it did not (it is registered before that button's listener, for clicks from a Home tab).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slackbot.domain.errors import UsageError
from slackbot.domain.home_choices import parse_menu_value
from slackbot.domain.hotfix_commands import SnoozeReminders
from slackbot.domain.snooze import SnoozeSubject
from slackbot.observability.logs import handling
from slackbot.render.home_blocks import VERSIONS, versions_error_modal, versions_loading_modal, versions_modal
from slackbot.render.hotfix_blocks import SNOOZE, answer_message
from slackbot.render.versions_blocks import versions_message
from slackbot.services.access import Actor
from slackbot.services.commands import HotfixCommands
from slackbot.services.version_queries import VersionQueries
from slackbot.slack.errors import CommandHandled, user_sentence
from slackbot.slack.events.home import HomePublisher

log = logging.getLogger(__name__)
_OUT_OF_DATE = "That button is out of date or was not made by me; nothing was changed."


def _on_a_home_tab(body: dict[str, Any]) -> bool:
    """Whether a click came from a Home tab (not from a message)."""
    container = body.get("container") or {}
    view = body.get("view") or {}
    return container.get("type") == "view" and view.get("type") == "home"


def register(
    app: App,
    publisher: HomePublisher,
    queries: VersionQueries,
    hotfixes: HotfixCommands,
    handled: CommandHandled | None = None,
) -> None:
    @app.action(VERSIONS, matchers=[_on_a_home_tab])
    def versions_menu(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        chosen = str((action.get("selected_option") or {}).get("value") or action.get("value") or "")
        started = time.monotonic()
        failure: BaseException | None = None
        with handling("home:versions"):
            try:
                _open_versions(client, str(body.get("trigger_id") or ""), chosen, queries)
            except SlackApiError as error:  # Slack refused the modal (an expired trigger): nowhere to say so
                failure = error
                code = error.response.get("error") if error.response is not None else "no answer"
                log.warning("could not show a /versions answer in a modal (%s)", code)
            except Exception as error:  # Slack unreachable, or a bug: the log has it
                failure = error
                log.exception("could not show a /versions answer in a modal")
        if handled is not None:
            handled("home:versions", failure, time.monotonic() - started)

    @app.action(SNOOZE, matchers=[_on_a_home_tab])
    def snooze_from_home(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        user_id, refused = str(body["user"]["id"]), None
        try:
            subject = _subject(str(action.get("value") or ""), hotfixes.ticket_pattern)
            answer = hotfixes.handle(SnoozeReminders(subject, timedelta(days=1)), Actor(user_id=user_id))
            notice = answer_message(answer).text
        except Exception as error:  # refused (not allowed, out of date) or failed: said on the tab
            refused, notice = error, f":warning: {user_sentence(error)}"
        publisher.publish(client, user_id, notice=notice, command="home:snooze", refused=refused)


def _subject(value: str, ticket_pattern: str) -> SnoozeSubject:
    try:
        return SnoozeSubject.parse(value, ticket_pattern)
    except ValueError:
        raise UsageError(_OUT_OF_DATE) from None


def _open_versions(client: WebClient, trigger_id: str, chosen: str, queries: VersionQueries) -> None:
    """The modal, opened at once and then filled with the answer (or the sentence why not)."""
    try:
        query = parse_menu_value(chosen)
    except UsageError as error:
        client.views_open(trigger_id=trigger_id, view=versions_error_modal("Versions", str(error)).to_dict())
        return
    opened = client.views_open(trigger_id=trigger_id, view=versions_loading_modal(chosen).to_dict())
    view_id = str(opened["view"]["id"])
    try:
        view = versions_modal(versions_message(queries.answer(query)), chosen)
    except Exception as error:  # a helpful sentence, or a reference to find in the log
        view = versions_error_modal(chosen, user_sentence(error))
    try:
        client.views_update(view_id=view_id, view=view.to_dict())
    except SlackApiError as error:  # the answer itself was refused: say so, shortly
        code = error.response.get("error") if error.response is not None else "no answer"
        log.warning("Slack refused the /versions modal (%s)", code)
        sentence = f"Slack would not show my answer ({code}); `/versions {chosen}` in a channel shows it."
        client.views_update(view_id=view_id, view=versions_error_modal(chosen, sentence).to_dict())
