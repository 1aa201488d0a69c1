"""The words of the pull requests the bot opens on GitHub (GitHub-flavoured Markdown)."""

from __future__ import annotations

from slackbot.domain.events import Rollout
from slackbot.domain.hotfix import Hotfix
from slackbot.render.words import about


def hotfix_title(hotfix: Hotfix) -> str:
    if hotfix.pin is not None:
        return f"{hotfix.ticket}: {hotfix.environment} {hotfix.component} {hotfix.pin.field.value} → {hotfix.pin.new}"
    return f"Hot-fix {hotfix.ticket}: {hotfix.summary or hotfix.component}"


def hotfix_body(hotfix: Hotfix, rollout: Rollout, thread_link: str | None) -> str:
    lines = [f"Hot-fix **{hotfix.ticket}** for `{hotfix.component}` in **{hotfix.environment}**.", ""]
    if hotfix.summary:
        lines += [hotfix.summary, ""]
    if hotfix.pin is not None:
        pin = hotfix.pin
        lines += [f"Changes `{pin.path}`: {pin.field.value} `{pin.old}` → `{pin.new}`.", ""]
    lines += [
        f"- Base: `{hotfix.base_branch}` at {hotfix.base_sha}",
        f"- Rolls out to: {', '.join(rollout.environments)} (within about {about(rollout.within)} of merging)",
        f"- Started by {hotfix.started_by} in Slack channel {hotfix.channel_id or '(none)'}",
    ]
    if thread_link:
        lines.append(f"- Incident thread: {thread_link}")
    return "\n".join(lines)


def backmerge_title(hotfix: Hotfix, main: str) -> str:
    return f"Back-merge {hotfix.base_branch} into {main} ({hotfix.ticket})"


def backmerge_body(hotfix: Hotfix, main: str, ahead_by: int) -> str:
    return (
        f"Carries hot-fix {hotfix.ticket} forward so the next release keeps it.\n\n"
        f"`{hotfix.base_branch}` has {ahead_by} commit(s) that `{main}` lacks."
    )


def pin_commit_message(hotfix: Hotfix) -> str:
    assert hotfix.pin is not None
    return f"{hotfix.ticket}: set {hotfix.component} {hotfix.pin.field.value} to {hotfix.pin.new} on {hotfix.base_branch}"
