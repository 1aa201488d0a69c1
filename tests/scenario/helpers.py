"""What the scenario tests ask of the sandbox's world: the hot-fix the bot recorded, its thread, a
fix pushed to its branch, and people acting at the same moment."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from slackbot.domain.hotfix import Hotfix
from slackbot.render.terminal import render_message
from slackbot.sandbox.harness import Sandbox
from slackbot.sandbox.world import commit_file

JUPYTER = "lsc-sde/iac-flux-jupyter"
CORE = "lsc-sde/iac-flux-lscsde"
RELEASE = "release/0.2.105"  # what prod and stg pin for jupyter_hub
T = TypeVar("T")


def hotfix(box: Sandbox, ticket: str) -> Hotfix:
    """The one hot-fix the bot recorded for ``ticket``, active or not."""
    [found] = box.bot.store.find(ticket, active_only=False)
    return found


def thread_root(box: Sandbox, ticket: str) -> str:
    """The hot-fix's thread's first message, as a person reads it."""
    found = hotfix(box, ticket)
    assert found.thread_ts is not None
    message = box.slack.message(found.channel_id, found.thread_ts)
    assert message is not None
    return render_message(message.text, message.blocks)


def replies(box: Sandbox, ticket: str) -> list[str]:
    """The replies in the hot-fix's thread, oldest first."""
    found = hotfix(box, ticket)
    assert found.thread_ts is not None
    return [m.text for m in box.slack.thread(found.channel_id, found.thread_ts)]


def push_fix(box: Sandbox, ticket: str, repository: str = JUPYTER) -> None:
    """Someone pushes a fix to the hot-fix branch ``hotfix/<ticket>`` of ``repository``."""
    commit_file(
        box.world.repo_dir(repository),
        f"hotfix/{ticket}",
        "values/hub.yaml",
        "hub:\n  timeout: 90\n",
        "Fix the spawner",
    )


def together(*calls: Callable[[], T]) -> list[T]:
    """Run the calls at the same moment, as two people (or Slack and a person) would."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [f.result() for f in [pool.submit(call) for call in calls]]
