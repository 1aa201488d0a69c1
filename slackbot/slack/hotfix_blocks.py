"""Block Kit for hot-fixes: the thread's parent message, status lists, the start modal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from slackbot.domain.followup import PendingBackmerge
from slackbot.domain.hotfix import Hotfix, Kind, Stage
from slackbot.slack.blocks import Message, link, mrkdwn_escape

OPEN_PR = "hotfix_open_pr"
PROMOTE = "hotfix_promote"
CANCEL = "hotfix_cancel"
START_MODAL = "hotfix_start"

_STEPS: tuple[tuple[Stage, str], ...] = (
    (Stage.BRANCHED, "branch"),
    (Stage.PR_OPEN, "pull request"),
    (Stage.MERGED, "merged"),
    (Stage.BACKMERGE_OPEN, "back-merge PR"),
    (Stage.DONE, "back-merged"),
)
_ORDER = [Stage.STARTING, *(stage for stage, _ in _STEPS)]


def progress(hotfix: Hotfix) -> str:
    """The lifecycle at a glance: ✅ done steps, ⏳ the current one, ◻ what is left."""
    if hotfix.stage is Stage.CANCELLED:
        return ":no_entry_sign: cancelled (nothing was deleted)"
    steps = _STEPS if hotfix.needs_backmerge else _STEPS[:3]
    reached = _ORDER.index(hotfix.stage) if hotfix.stage in _ORDER else len(_ORDER)
    if not hotfix.needs_backmerge and hotfix.stage is Stage.DONE:
        reached = _ORDER.index(Stage.MERGED)
    marks = []
    for stage, label in steps:
        index = _ORDER.index(stage)
        mark = (
            ":white_check_mark:"
            if index <= reached
            else ":hourglass_flowing_sand:"
            if index == reached + 1
            else ":white_square:"
        )
        marks.append(f"{mark} {label}")
    return "  →  ".join(marks)


_ROLLOUT_MARKS = {
    "rolled_out": ":white_check_mark: rolled out",
    "waiting": ":hourglass_flowing_sand: rolling out",
    "late": ":warning: late",
    "failed": ":x: failed",
    "unknown": ":grey_question: not watched (no probe)",
}


def rollout_line(links: Mapping[str, str]) -> str:
    """Each environment's roll-out, from the ``rollout:<env>`` entries the service adds once merged."""
    parts = [
        f"{key.removeprefix('rollout:')} {_ROLLOUT_MARKS.get(state, state)}"
        for key, state in links.items()
        if key.startswith("rollout:")
    ]
    return "Roll-out: " + " · ".join(parts) if parts else ""


def title(hotfix: Hotfix) -> str:
    what = "core repository" if hotfix.kind is Kind.CORE else hotfix.component
    return f"Hot-fix {hotfix.ticket} — {what} in {hotfix.environment}"


def _rollout(hotfix: Hotfix) -> str:
    environments = list(hotfix.rollout_environments) or [hotfix.environment]
    names = " and ".join(
        [", ".join(environments[:-1]), environments[-1]] if len(environments) > 1 else environments
    )
    return (
        f"Merging into `{mrkdwn_escape(hotfix.base_branch)}` rolls out to *{names}* within about 10 minutes."
    )


def thread_message(hotfix: Hotfix, links: Mapping[str, str]) -> Message:
    """The thread's parent message, edited in place as the hot-fix moves on."""
    base = f"{link(links.get('base'), hotfix.base_branch)} @ {link(links.get('base_commit'), (hotfix.base_sha or '')[:7])}"
    fields = [
        f"*Repository*\n{link(links.get('repository'), hotfix.repository)}",
        f"*Base*\n{base}",
        f"*Branch*\n{link(links.get('branch'), hotfix.branch)} ({link(links.get('compare'), 'compare')})",
        f"*Started by*\n<@{hotfix.started_by}>"
        if not hotfix.started_by.startswith("cli:")
        else f"*Started by*\n{hotfix.started_by}",
    ]
    if hotfix.pull:
        fields.append(f"*Pull request*\n{link(hotfix.pull.url, f'#{hotfix.pull.number}')}")
    if hotfix.merge_sha:
        fields.append(f"*Merge commit*\n{link(links.get('merge_commit'), hotfix.merge_sha[:7])}")
    if hotfix.backmerge:
        fields.append(f"*Back-merge*\n{link(hotfix.backmerge.url, f'#{hotfix.backmerge.number}')}")
    if hotfix.pin:
        fields.append(
            f"*Change*\n`{hotfix.pin.path}`: {hotfix.pin.field.value} `{hotfix.pin.old}` → `{hotfix.pin.new}`"
        )
    blocks: list[Block] = [HeaderBlock(text=title(hotfix)[:150])]
    if hotfix.summary:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=mrkdwn_escape(hotfix.summary)[:2900])))
    blocks += [
        SectionBlock(fields=[MarkdownTextObject(text=f) for f in fields[:10]]),
        SectionBlock(
            text=MarkdownTextObject(
                text=(":rotating_light: " if len(hotfix.rollout_environments) > 1 else "") + _rollout(hotfix)
            )
        ),
        ContextBlock(elements=[MarkdownTextObject(text=progress(hotfix))]),
    ]
    rollout = rollout_line(links)
    if rollout:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=rollout)]))
    buttons = _buttons(hotfix)
    if buttons:
        blocks.append(ActionsBlock(block_id=f"hotfix:{hotfix.id}", elements=buttons))
    text = f"{title(hotfix)}: {hotfix.stage.value} — {hotfix.branch} in {hotfix.repository}"
    return Message(text=text, blocks=blocks)


def _buttons(hotfix: Hotfix) -> list[ButtonElement]:
    if not hotfix.stage.is_active:
        return []
    buttons = []
    if hotfix.stage is Stage.BRANCHED:
        buttons.append(ButtonElement(text="Open PR", action_id=OPEN_PR, value=hotfix.ticket, style="primary"))
    if hotfix.stage is Stage.MERGED and hotfix.needs_backmerge:
        buttons.append(
            ButtonElement(text="Promote to main", action_id=PROMOTE, value=hotfix.ticket, style="primary")
        )
    buttons.append(
        ButtonElement(
            text="Cancel",
            action_id=CANCEL,
            value=hotfix.ticket,
            style="danger",
            confirm=ConfirmObject(
                title="Stop tracking this hot-fix?",
                text=f"The bot stops following {hotfix.ticket}. Nothing is deleted: the branch and any pull request stay.",
                confirm="Stop tracking",
                deny="Keep it",
            ),
        )
    )
    return buttons


def status_list(hotfixes: Sequence[tuple[Hotfix, Mapping[str, str], str | None]]) -> Message:
    """Hot-fixes with their stage and links: (hot-fix, links, thread permalink)."""
    if not hotfixes:
        return Message(
            text="No active hot-fixes.",
            blocks=[
                SectionBlock(
                    text=MarkdownTextObject(
                        text="No active hot-fixes. Start one with `/hotfix ENV COMPONENT TICKET`."
                    )
                )
            ],
        )
    blocks: list[Block] = [HeaderBlock(text=f"Hot-fixes ({len(hotfixes)})")]
    for hotfix, links, thread in hotfixes[:15]:
        parts = [f"*{mrkdwn_escape(hotfix.ticket)}* — {mrkdwn_escape(title(hotfix).split(' — ', 1)[1])}"]
        parts.append(
            f"`{mrkdwn_escape(hotfix.branch)}` → `{mrkdwn_escape(hotfix.base_branch)}` in {link(links.get('repository'), hotfix.repository)}"
        )
        extras = [link(hotfix.pull.url, f"PR #{hotfix.pull.number}")] if hotfix.pull else []
        if hotfix.backmerge:
            extras.append(link(hotfix.backmerge.url, f"back-merge #{hotfix.backmerge.number}"))
        if thread:
            extras.append(link(thread, "thread"))
        if extras:
            parts.append(" · ".join(extras))
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(parts))))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=progress(hotfix))]))
        blocks.append(DividerBlock())
    if len(hotfixes) > 15:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"…and {len(hotfixes) - 15} more: `slackbot hotfix status --json` lists all."
                    )
                ]
            )
        )
    text = "Hot-fixes: " + ", ".join(f"{h.ticket} ({h.stage.value})" for h, _, _ in hotfixes)
    return Message(text=text, blocks=blocks[:50])


def start_modal(environments: Sequence[str], components: Sequence[str], channel_id: str) -> View:
    """The form `/hotfix` alone opens: environment and component from config, ticket, summary."""

    def select(block_id: str, label: str, names: Sequence[str]) -> InputBlock:
        return InputBlock(
            block_id=block_id,
            label=label,
            element=StaticSelectElement(
                action_id="value",
                placeholder=f"Choose the {label.lower()}",
                options=[Option(text=name, value=name) for name in names[:100]],
            ),
        )

    return View(
        type="modal",
        callback_id=START_MODAL,
        private_metadata=channel_id,
        title=PlainTextObject(text="Start a hot-fix"),
        submit=PlainTextObject(text="Start"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            select("environment", "Environment", environments),
            select("component", "Component", [*components, "core"]),
            InputBlock(
                block_id="ticket",
                label="Ticket",
                optional=True,
                hint="A number like 123 or a key like INC-123. Empty: taken from the channel name.",
                element=PlainTextInputElement(action_id="value", placeholder="INC-123"),
            ),
            InputBlock(
                block_id="summary",
                label="What is broken",
                optional=True,
                element=PlainTextInputElement(action_id="value", multiline=True),
            ),
        ],
    )


SNOOZE = "reminder_snooze"


def _snooze_button(key: str) -> ButtonElement:
    return ButtonElement(text="Snooze 1 day", action_id=SNOOZE, value=key)


def reminder_message(text: str, snooze_key: str) -> Message:
    """A back-merge reminder in a hot-fix thread, with a button to snooze it."""
    return Message(
        text=text,
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=text[:2900])),
            ActionsBlock(block_id="reminder", elements=[_snooze_button(snooze_key)]),
        ],
    )


def digest_message(text: str, items: Sequence[PendingBackmerge]) -> Message:
    """Pending back-merges the team owes, one section each: repository, branch, commits, age, PR."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text[:2900]))]
    for item in items[:15]:
        age = f", oldest from {item.oldest_commit_at:%Y-%m-%d}" if item.oldest_commit_at else ""
        pull = (
            link(item.pull.url, f"back-merge PR #{item.pull.number}") if item.pull else "no back-merge PR yet"
        )
        where = f" (pinned by {', '.join(item.environments)})" if item.environments else ""
        who = f" — {item.hotfix.ticket}, <@{item.hotfix.started_by}>" if item.hotfix else ""
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{mrkdwn_escape(item.repository)}* `{mrkdwn_escape(item.branch)}`{where}{who}\n"
                    f"{item.ahead_by} commit(s) ahead of main{age} · {pull}"
                ),
                accessory=_snooze_button(item.key),
            )
        )
    if len(items) > 15:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"…and {len(items) - 15} more.")]))
    lines = [f"{i.repository} {i.branch}: {i.ahead_by} ahead" for i in items]
    return Message(text=text + " " + "; ".join(lines), blocks=blocks[:50])
