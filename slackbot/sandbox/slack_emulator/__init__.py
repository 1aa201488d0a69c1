"""A loopback stand-in for Slack's servers.

Production, the demo and the tests run the same Bolt app; only Slack is replaced. The bot's
``WebClient(base_url=emulator.api_url)`` talks to the Web API served here, ``respond()`` posts to
the ``response_url`` handed out here, and ``SocketModeHandler`` connects to the websocket served
here. The emulator keeps a small model of the workspace (channels, users, user groups, messages,
threads, views) so tests can assert on what a person would see.

The parts:

* ``emulator`` — ``SlackEmulator``, the facade composing the parts below (start/stop, the
  test-facing API, ``wait_for`` and ``dump``).
* ``model`` — the records: ``Message``, ``Post``, ``Received``, ``ApiCall``, channels, users,
  user groups, ``SlackApiFailure``, ``HttpReply``, ``JsonDict``.
* ``state`` — ``Workspace``: the shared state, lock and clock, and the lookups with Slack's errors.
* ``blockkit`` — Block Kit and message limits and their checks.
* ``server`` — the HTTP server (the sandbox's ``LoopbackServer``) and its routing.
* ``web_api`` — the Web API's front door: arguments, dispatch, rate limits, the call log.
* ``auth`` — tokens and auth.test; ``chat`` — chat.* and reactions.add; ``conversations`` —
  conversations.info/history (paged); ``directory`` — users.info and usergroups.*; ``views`` —
  trigger ids, views.open/update; ``home`` — views.publish, each person's Home tab, and the
  ``app_home_opened`` event's Events API envelope.
* ``response_urls`` — response_url hooks (5 posts, 30 minutes, refusals) and slash command acks.
* ``socket_mode`` — apps.connections.open and the Socket Mode websocket (slash commands,
  interactions and Events API callbacks travel over it as ``slash_commands``, ``interactive`` and
  ``events_api`` envelopes).

Decisions worth knowing:

* Channels and users are *permissive until modelled*: while no channel was added, any channel id
  is accepted (and remembered); once one was added, unknown channels answer ``channel_not_found``.
  The same rule applies to users (``user_not_found``) and to a channel's members: a channel added
  without ``members`` has everyone in it, the bot included.
* Private channels and DMs are what Slack makes them: a slash command or a click from one names it
  ``privategroup`` / ``directmessage`` (``slack_payloads``), and a private channel the bot was not
  invited to does not exist for the bot (``channel_not_found`` from conversations.*, chat.*).
  Reading a public channel's history takes membership (``not_in_channel``); an ephemeral message
  reaches only a member (``user_not_in_channel``).
* conversations.history pages as Slack does (``limit``, ``has_more``,
  ``response_metadata.next_cursor``) and shows message metadata only with ``include_all_metadata``.
* ``thread_ts`` must name an existing top-level message in that channel, else
  ``thread_not_found``. Real Slack sometimes accepts a bad ``thread_ts`` and files the reply where
  nobody sees it; failing loudly here catches that bug in tests.
* Block Kit's rules are enforced as Slack does (``invalid_blocks``, ``msg_blocks_too_long``,
  ``msg_too_long``; views answer ``invalid_arguments``), with the reason in
  ``response_metadata.messages``: Slack's documented rules (known block and element types, text
  object types, lengths and counts, a modal's ``submit``) and slack_sdk's own models.
* views.publish checks a Home tab as Slack does: a known person's ``user_id``, ``type: home``, at most
  100 blocks, no ``submit``/``close``, 250 KB at most (``view_too_large``), a stale ``hash``
  (``hash_conflict``); ``home_tab_enabled`` off answers ``not_enabled``.
* ``received()`` keeps everything the bot asked Slack to show (messages, answers, views), refused
  or not, for contract tests.
* A ``response_url`` takes at most 5 posts and lives 30 minutes; afterwards it answers HTTP 404
  with ``used_url`` / ``expired_url``. Invalid content answers HTTP 400 (``invalid_blocks`` ...);
  ``inject_response_url_error`` stages such refusals.
  Bodies are JSON ``{"ok": ...}``. Slack documents the 5-in-30-minutes rule but not these error
  names; they are our best knowledge.
* Only what the bot and its tests use is emulated: other Web API methods answer
  ``unknown_method``.
"""

from slackbot.sandbox.slack_emulator.emulator import SlackEmulator
from slackbot.sandbox.slack_emulator.model import JsonDict, Message, Received

__all__ = ["JsonDict", "Message", "Received", "SlackEmulator"]
