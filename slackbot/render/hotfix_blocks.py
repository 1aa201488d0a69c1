"""Block Kit for hot-fixes: the thread's parent message, status lists, the start modal, reminders."""

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

from slackbot.domain.events import BackmergeReminder, ChannelPost, Digest
from slackbot.domain.followup import RolloutState
from slackbot.domain.hotfix import Hotfix, Kind, Stage, StepState
from slackbot.domain.hotfix_commands import usage
from slackbot.domain.snooze import SnoozeSubject
from slackbot.domain.views import ThreadView
from slackbot.render.blocks import (
    MAX_BLOCKS,
    MAX_MESSAGE_CHARS,
    MAX_SECTION_TEXT,
    MAX_SELECT_OPTIONS,
    Message,
    clip,
    context,
    header,
    json_size,
    link,
    mrkdwn_escape,
    section,
)
from slackbot.render.report_blocks import report_message
from slackbot.render.words import channel_post_text, reminder_text, rolls_out, sentence, who
from slackbot.services.outcome import Answer, HelpText, ReportAnswer, StartForm, StatusList

OPEN_PR = "hotfix_open_pr"
PROMOTE = "hotfix_promote"
CANCEL = "hotfix_cancel"
START_MODAL = "hotfix_start"

_STEP_LABELS = {
    Stage.BRANCHED: "branch",
    Stage.PR_OPEN: "pull request",
    Stage.MERGED: "merged",
    Stage.BACKMERGE_OPEN: "back-merge PR",
    Stage.DONE: "back-merged",
}
_STEP_MARKS = {
    StepState.DONE: ":white_check_mark:",
    StepState.CURRENT: ":hourglass_flowing_sand:",
    StepState.TODO: ":white_square:",
}


def progress(hotfix: Hotfix) -> str:
    """The lifecycle at a glance: ✅ done steps, ⏳ the current one, ◻ what is left."""
    if hotfix.stage is Stage.CANCELLED:
        return ":no_entry_sign: cancelled (nothing was deleted)"
    return "  →  ".join(f"{_STEP_MARKS[state]} {_STEP_LABELS[step]}" for step, state in hotfix.steps())


_ROLLOUT_MARKS = {
    RolloutState.ROLLED_OUT: ":white_check_mark: rolled out",
    RolloutState.WAITING: ":hourglass_flowing_sand: rolling out",
    RolloutState.LATE: ":warning: late",
    RolloutState.FAILED: ":x: failed",
    RolloutState.UNKNOWN: ":grey_question: not watched (no probe)",
}


def rollout_line(rollouts: Mapping[str, RolloutState]) -> str:
    """Each environment's roll-out, once merged."""
    parts = [f"{environment} {_ROLLOUT_MARKS[state]}" for environment, state in rollouts.items()]
    return "Roll-out: " + " · ".join(parts) if parts else ""


def title(hotfix: Hotfix) -> str:
    what = "core repository" if hotfix.kind is Kind.CORE else hotfix.component
    return f"Hot-fix {hotfix.ticket} — {what} in {hotfix.environment}"


def thread_message(view: ThreadView) -> Message:
    """The thread's parent message, edited in place as the hot-fix moves on."""
    hotfix, links = view.hotfix, view.links
    base = f"{link(links.base, hotfix.base_branch)} @ {link(links.base_commit, (hotfix.base_sha or '')[:7])}"
    fields = [
        f"*Repository*\n{link(links.repository, hotfix.repository)}",
        f"*Base*\n{base}",
        f"*Branch*\n{link(links.branch, hotfix.branch)} ({link(links.compare, 'compare')})",
        f"*Started by*\n{who(hotfix.started_by)}",
    ]
    if hotfix.pull:
        fields.append(f"*Pull request*\n{link(hotfix.pull.url, f'#{hotfix.pull.number}')}")
    if hotfix.merge_sha:
        fields.append(f"*Merge commit*\n{link(links.merge_commit, hotfix.merge_sha[:7])}")
    if hotfix.backmerge:
        fields.append(f"*Back-merge*\n{link(hotfix.backmerge.url, f'#{hotfix.backmerge.number}')}")
    if hotfix.pins:
        changes = "\n".join(
            mrkdwn_escape(f"`{p.path}`: {p.field.value} `{p.old}` → `{p.new}`") for p in hotfix.pins
        )
        fields.append(clip(f"*Change{'s' if hotfix.more_pins else ''}*\n{changes}", 2000))  # a field's most
    blocks: list[Block] = [HeaderBlock(text=title(hotfix)[:150])]
    if hotfix.summary:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=mrkdwn_escape(hotfix.summary)[:2900])))
    alarm = ":rotating_light: " if len(hotfix.rollout_environments) > 1 else ""
    blocks += [
        SectionBlock(fields=[MarkdownTextObject(text=f) for f in fields[:10]]),
        SectionBlock(
            text=MarkdownTextObject(
                text=alarm + rolls_out(view.rollout, f"Merging into `{mrkdwn_escape(hotfix.base_branch)}`")
            )
        ),
        ContextBlock(elements=[MarkdownTextObject(text=progress(hotfix))]),
    ]
    rollout = rollout_line(view.rollouts)
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


def answer_message(answer: Answer) -> Message:
    """What a `/hotfix` command answers the person who asked, whichever way they asked."""
    if isinstance(answer, HelpText):
        return Message(text=usage(), blocks=[])
    if isinstance(answer, StatusList):
        return status_list(answer.views)
    if isinstance(answer, ReportAnswer):
        return report_message(answer.reports)
    if isinstance(answer, StartForm):
        return Message(
            text="`/hotfix` alone opens a form in Slack; elsewhere, name the environment and component."
        )
    text = sentence(answer.reply)
    if answer.thread_link:
        text += f" {link(answer.thread_link, 'Open the thread')}."
    return Message(text=text, blocks=[])


def status_list(views: Sequence[ThreadView]) -> Message:
    """Hot-fixes with their stage and links: as many as Slack shows in one message (by blocks and
    by characters), then how many more there are and where to see them."""
    if not views:
        return Message(
            text="No active hot-fixes.",
            blocks=[section("No active hot-fixes. Start one with `/hotfix ENV COMPONENT TICKET`.")],
        )
    blocks: list[Block] = [header(f"Hot-fixes ({len(views)})")]
    used, shown = json_size(blocks), 0
    for view in views:
        entry = _status_entry(view)
        size = json_size(entry) + 1
        if len(blocks) + len(entry) >= MAX_BLOCKS or used + size > MAX_MESSAGE_CHARS - _MORE_ROOM:
            break
        blocks += entry
        used, shown = used + size, shown + 1
    if shown < len(views):
        blocks.append(
            context(
                f"…and {len(views) - shown} more: `/hotfix status TICKET` shows one, "
                "`slackbot hotfix status --json` lists them all."
            )
        )
    text = "Hot-fixes: " + ", ".join(f"{v.hotfix.ticket} ({v.hotfix.stage.value})" for v in views)
    return Message(text=clip(text, MAX_SECTION_TEXT), blocks=blocks)


_MORE_ROOM = 400  # characters kept for the closing "…and N more" line


def _status_entry(view: ThreadView) -> list[Block]:
    """One hot-fix in the status list: what and where, its links, its progress."""
    hotfix, thread = view.hotfix, view.thread_link
    parts = [f"*{mrkdwn_escape(hotfix.ticket)}* — {mrkdwn_escape(title(hotfix).split(' — ', 1)[1])}"]
    parts.append(
        f"`{mrkdwn_escape(hotfix.branch)}` → `{mrkdwn_escape(hotfix.base_branch)}` in "
        f"{link(view.links.repository, hotfix.repository)}"
    )
    extras = [link(hotfix.pull.url, f"PR #{hotfix.pull.number}")] if hotfix.pull else []
    if hotfix.backmerge:
        extras.append(link(hotfix.backmerge.url, f"back-merge #{hotfix.backmerge.number}"))
    if thread:
        extras.append(link(thread, "thread"))
    if extras:
        parts.append(" · ".join(extras))
    return [section("\n".join(parts)), context(progress(hotfix)), DividerBlock()]


def start_modal(form: StartForm, channel_id: str) -> View:
    """The form `/hotfix` alone opens: environment and component from config, ticket, summary.

    A select holds at most 100 options: past that, the list is cut (``core`` always stays) and the
    hint says how to name any other with `/hotfix ENV COMPONENT`."""

    def select(block_id: str, label: str, names: Sequence[str], *, keep: str | None = None) -> InputBlock:
        shown, left_out = _choices(names, keep)
        hint = (
            f"{left_out} more are not listed here: close this and type `/hotfix ENV COMPONENT` for one of them."
            if left_out
            else None
        )
        return InputBlock(
            block_id=block_id,
            label=label,
            hint=hint,
            element=StaticSelectElement(
                action_id="value",
                placeholder=f"Choose the {label.lower()}",
                options=[Option(text=clip(name, MAX_OPTION_TEXT), value=name) for name in shown],
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
            select("environment", "Environment", form.environments),
            select("component", "Component", form.components, keep=form.core),
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


MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150


def _choices(names: Sequence[str], keep: str | None) -> tuple[list[str], int]:
    """The names a select can offer (at most 100, ``keep`` always among them, none too long to be
    an option's value), and how many are left out."""
    wanted = list(dict.fromkeys([*names, *([keep] if keep else [])]))
    usable = [n for n in wanted if 0 < len(n) <= MAX_OPTION_VALUE and n != keep]
    shown = usable[: MAX_SELECT_OPTIONS - (1 if keep else 0)] + ([keep] if keep else [])
    return shown, len(wanted) - len(shown)


SNOOZE = "reminder_snooze"


def _snooze_button(subject: SnoozeSubject) -> ButtonElement:
    return ButtonElement(text="Snooze 1 day", action_id=SNOOZE, value=subject.key)


def reminder_message(reminder: BackmergeReminder) -> Message:
    """A back-merge reminder in a hot-fix thread, with a button to snooze it."""
    text = reminder_text(reminder)
    return Message(
        text=text,
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=text[:2900])),
            ActionsBlock(block_id="reminder", elements=[_snooze_button(reminder.item.snooze_subject)]),
        ],
    )


def channel_message(post: ChannelPost) -> Message:
    """Pending back-merges the team owes, one section each: repository, branch, commits, age, PR."""
    text = channel_post_text(post)
    items = post.items if isinstance(post, Digest) else (post.item,)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text[:2900]))]
    for item in items[:15]:
        age = f", oldest from {item.oldest_commit_at:%Y-%m-%d}" if item.oldest_commit_at else ""
        pull = (
            link(item.pull.url, f"back-merge PR #{item.pull.number}") if item.pull else "no back-merge PR yet"
        )
        where = f" (pinned by {', '.join(item.environments)})" if item.environments else ""
        by = f" — {item.hotfix.ticket}, {who(item.hotfix.started_by)}" if item.hotfix else ""
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{mrkdwn_escape(item.repository)}* `{mrkdwn_escape(item.branch)}`{where}{by}\n"
                    f"{item.ahead_by} commit(s) ahead of main{age} · {pull}"
                ),
                accessory=_snooze_button(item.snooze_subject),
            )
        )
    if len(items) > 15:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"…and {len(items) - 15} more.")]))
    lines = [f"{i.repository} {i.branch}: {i.ahead_by} ahead" for i in items]
    return Message(text=text + " " + "; ".join(lines), blocks=blocks[:50])
