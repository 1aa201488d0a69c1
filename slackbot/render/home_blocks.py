"""Block Kit for the App Home tab, and the modals it opens with a `/versions` answer.

The tab has three parts: the open hot-fixes, the release branches main still lacks (each with the
reminders' snooze button), and every environment — a line per component saying which environments
pin which of its branches (the blast radius at a glance), then a line per environment with a menu
that opens any `/versions ENV [COMPONENT]` answer in a modal.

Slack takes at most 100 blocks in a Home tab and 250 KB in all, so each part is capped and says
how many it left out: at most 10 hot-fixes (2 blocks each), 15 branches, 6 sections of component
lines and 40 environments with a menu each — 92 blocks at most. With more environments, or when
the menus would make the view too heavy (100 options of up to 150 characters each), the
environments become packed lines and one menu of environments per 100 of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from slackbot.domain.errors import BotError
from slackbot.domain.home_choices import menu_value
from slackbot.domain.quoting import quote
from slackbot.domain.versions import EnvironmentVersions, Layout
from slackbot.domain.views import ThreadView
from slackbot.render.blocks import (
    MAX_SECTION_TEXT,
    MAX_SELECT_OPTIONS,
    Message,
    clip,
    context,
    header,
    link,
    mrkdwn_escape,
    section,
    within,
)
from slackbot.render.hotfix_blocks import SNOOZE, progress, rollout_line, title
from slackbot.render.words import stage_words, who
from slackbot.services.home import HomeSnapshot, OwedBackmerge

VERSIONS = "home_versions"  # a menu option: open `/versions VALUE` in a modal
VERSIONS_MODAL = "home_versions"  # the modal's callback id
MAX_HOME_BLOCKS = 100
MAX_HOTFIXES = 10
MAX_OWED = 15
MAX_OVERVIEW_SECTIONS = 6
MAX_ENVIRONMENT_MENUS = 40  # one section (and menu) per environment up to this many
MAX_ENVIRONMENT_LINE_SECTIONS = 4  # past that: packed lines, and menus of environments only
MAX_VIEW_BYTES = 200_000  # Slack refuses a view over 250 KB (view_too_large): keep well below
MAX_OPTION_TEXT = 75
MAX_MODAL_TITLE = 24
_ENTRY_CHARS = 1500  # one hot-fix's or one branch's section text
_LINE_CHARS = 400  # one component's or one environment's line


def home_view(snapshot: HomeSnapshot, *, notice: str | None = None) -> View:
    """The Home tab; ``notice`` (a sentence: what a button just did, or why it could not) on top.

    Lighter forms are tried while the view is too heavy for Slack: without the per-environment
    menus, then without the component lines too."""
    for menus, overview in ((True, True), (False, True), (False, False)):
        blocks = [
            *_top(snapshot.read_at, notice),
            *_hotfixes(snapshot.hotfixes),
            DividerBlock(),
            *_owed(snapshot),
            DividerBlock(),
            *_environments(snapshot, menus=menus, overview=overview),
        ]
        view = View(type="home", callback_id="home", blocks=blocks[:MAX_HOME_BLOCKS])
        if _bytes(view) <= MAX_VIEW_BYTES:
            break
    return view


def home_error_view(sentence: str) -> View:
    """The Home tab when it could not be read at all: the sentence saying why, and what to do."""
    return View(
        type="home",
        callback_id="home",
        blocks=[
            header("Hot-fixes and versions"),
            section(f":warning: {mrkdwn_escape(sentence)}"),
            context("Open this tab again to try again; `/versions` and `/hotfix status` answer meanwhile."),
        ],
    )


def _bytes(view: View) -> int:
    return len(json.dumps(view.to_dict(), ensure_ascii=False, separators=(",", ":")).encode())


def _top(read_at: datetime, notice: str | None) -> list[Block]:
    blocks: list[Block] = [
        header("Hot-fixes and versions"),
        context(
            f"Read at {read_at.astimezone(UTC):%H:%M} UTC; open this tab again to refresh. "
            "In any channel: `/versions ENV [COMPONENT]`, `/hotfix help`."
        ),
    ]
    if notice:
        blocks.append(section(mrkdwn_escape(notice)))
    return blocks


# -- open hot-fixes ---------------------------------------------------------------------------------


def _hotfixes(views: Sequence[ThreadView]) -> list[Block]:
    blocks: list[Block] = [header(f"Open hot-fixes ({len(views)})")]
    if not views:
        blocks.append(
            section("No open hot-fixes. `/hotfix ENV COMPONENT` in an incident channel starts one.")
        )
    for view in views[:MAX_HOTFIXES]:
        lines = [progress(view.hotfix)]
        rollout = rollout_line(view.rollouts)
        if rollout:
            lines.append(rollout)
        blocks += [section(clip(_hotfix_text(view), _ENTRY_CHARS)), context(*lines)]
    if len(views) > MAX_HOTFIXES:
        blocks.append(context(f"…and {len(views) - MAX_HOTFIXES} more: `/hotfix status` lists them all."))
    return blocks


def _hotfix_text(view: ThreadView) -> str:
    hotfix, links = view.hotfix, view.links
    what = mrkdwn_escape(title(hotfix).split(" — ", 1)[1])
    where = [link(links.branch, hotfix.branch)]
    if hotfix.pull:
        where.append(link(hotfix.pull.url, f"PR #{hotfix.pull.number}"))
    if hotfix.backmerge:
        where.append(link(hotfix.backmerge.url, f"back-merge #{hotfix.backmerge.number}"))
    where.append(
        link(view.thread_link, "thread") if view.thread_link else "no thread (started from a terminal)"
    )
    return (
        f"*{link(view.thread_link, hotfix.ticket)}* — {what}: {mrkdwn_escape(stage_words(hotfix))}\n"
        f"Started by {who(hotfix.started_by)} · `{mrkdwn_escape(hotfix.base_branch)}` in "
        f"{link(links.repository, hotfix.repository)}\n" + " · ".join(where)
    )


# -- release branches main lacks ------------------------------------------------------------------


def _owed(snapshot: HomeSnapshot) -> list[Block]:
    main, owed = snapshot.main_branch, snapshot.owed
    blocks: list[Block] = [header(f"Release branches {main} lacks ({len(owed)})")]
    if not owed:
        blocks.append(
            section(
                f":white_check_mark: `{mrkdwn_escape(main)}` has every commit of the branches the bot follows."
            )
        )
    for n, item in enumerate(owed[:MAX_OWED]):
        text = clip(_owed_text(item, main, snapshot.read_at), _ENTRY_CHARS)
        followed = item.pending.hotfix is not None or item.snoozed_until is not None
        button = (
            None
            if followed
            else ButtonElement(text="Snooze 1 day", action_id=SNOOZE, value=item.pending.snooze_subject.key)
        )
        blocks.append(
            SectionBlock(block_id=f"home_owed:{n}", text=MarkdownTextObject(text=text), accessory=button)
        )
    if len(owed) > MAX_OWED:
        blocks.append(context(f"…and {len(owed) - MAX_OWED} more; the team channel's digest lists them all."))
    if snapshot.unreadable:
        lines, left_out = within(
            [
                f":warning: could not compare with `{mrkdwn_escape(main)}`: {line}"
                for line in snapshot.unreadable
            ],
            chars=2000,
            most=9,
        )
        blocks.append(context(*lines, *([f"…and {left_out} more."] if left_out else [])))
    return blocks


def _owed_text(item: OwedBackmerge, main: str, now: datetime) -> str:
    pending = item.pending
    commits = f"{pending.ahead_by} commit{'' if pending.ahead_by == 1 else 's'}"
    age = f" (the oldest made {_age(now - pending.oldest_commit_at)} ago)" if pending.oldest_commit_at else ""
    where = f" · pinned by {', '.join(pending.environments)}" if pending.environments else ""
    pull = (
        link(pending.pull.url, f"back-merge PR #{pending.pull.number}")
        if pending.pull
        else "no back-merge PR yet"
    )
    if pending.hotfix is not None:
        pull += f" · followed by {mrkdwn_escape(pending.hotfix.ticket)} in its thread (snooze it there)"
    if item.snoozed_until is not None:
        pull += f" · :zzz: reminders snoozed until {item.snoozed_until.astimezone(UTC):%a %d %b %H:%M} UTC"
    return (
        f"*{mrkdwn_escape(pending.repository)}* {link(item.branch_url, pending.branch)}: "
        f"{link(item.compare_url, commits)} {mrkdwn_escape(main)} lacks{age}{where}\n{pull}"
    )


def _age(delta: timedelta) -> str:
    """How old, as people say it: 3 days, 5 hours, 12 minutes."""
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "under a minute"


# -- environments -----------------------------------------------------------------------------------


def _environments(snapshot: HomeSnapshot, *, menus: bool, overview: bool) -> list[Block]:
    environments = snapshot.environments
    blocks: list[Block] = [header(f"Environments ({len(environments)})")]
    if overview:
        blocks += _packed(
            _component_lines(environments),
            MAX_OVERVIEW_SECTIONS,
            more="…and {} more components: pick an environment below.",
        )
    lines = {
        name: _environment_line(name, found, snapshot.commit_links.get(name))
        for name, found in environments.items()
    }
    if menus and len(environments) <= MAX_ENVIRONMENT_MENUS:
        for n, (name, line) in enumerate(lines.items()):
            options = _options(name, environments[name])
            menu = _menu(f"Open /versions {name}", options) if options else None
            blocks.append(
                SectionBlock(block_id=f"home_env:{n}", text=MarkdownTextObject(text=line), accessory=menu)
            )
        return blocks
    blocks += _packed(list(lines.values()), MAX_ENVIRONMENT_LINE_SECTIONS, more="…and {} more environments.")
    choices = [(name, value) for name in environments if (value := menu_value(name)) is not None]
    chunks = [choices[i : i + MAX_SELECT_OPTIONS] for i in range(0, len(choices), MAX_SELECT_OPTIONS)][:3]
    blocks += [
        ActionsBlock(
            block_id=f"home_envs:{n}",
            elements=[_menu("Open /versions ENV", [_option(name, value) for name, value in chunk])],
        )
        for n, chunk in enumerate(chunks)
    ]
    shown = sum(len(chunk) for chunk in chunks)
    if shown < len(environments):
        blocks.append(context(f"The menus hold {shown} environments: type `/versions ENV` for the others."))
    return blocks


def _component_lines(environments: Mapping[str, EnvironmentVersions | BotError]) -> list[str]:
    """One line per component: each branch it is pinned to, and the environments pinning it."""
    groups: dict[str, dict[str, list[str]]] = {}
    for name, found in environments.items():
        if isinstance(found, BotError):
            continue
        for component in found.components:
            groups.setdefault(component.name, {}).setdefault(component.branch or "—", []).append(name)
    lines = []
    for name, branches in groups.items():
        pins = "  ·  ".join(
            f"`{mrkdwn_escape(branch)}` {', '.join(where)}" for branch, where in branches.items()
        )
        lines.append(clip(f"*{mrkdwn_escape(name)}*  {pins}", _LINE_CHARS))
    return lines or ["No environment could be read, so no component is shown."]


def _environment_line(name: str, found: EnvironmentVersions | BotError, commit_link: str | None) -> str:
    if isinstance(found, BotError):
        return clip(
            f":warning: *{mrkdwn_escape(name)}* could not be read: {mrkdwn_escape(str(found))}", _LINE_CHARS
        )
    line = (
        f"*{mrkdwn_escape(name)}* — {len(found.components)} components at "
        f"{link(commit_link, found.commit[:7])} on `{mrkdwn_escape(found.branch)}`"
    )
    if found.layout is Layout.LEGACY:
        line += " (legacy layout)"
    if found.problems:
        count = len(found.problems)
        line += f" · :warning: {count} file problem{'' if count == 1 else 's'}"
    return clip(line, _LINE_CHARS)


def _packed(lines: Iterable[str], most_sections: int, *, more: str) -> list[SectionBlock]:
    """Lines packed into at most ``most_sections`` sections (3000 characters each); when some are
    left out, the last section ends with ``more`` saying how many."""
    lines = list(lines)
    chunks: list[list[str]] = []
    index = 0
    while index < len(lines) and len(chunks) < most_sections:
        kept, _ = within(lines[index:], chars=MAX_SECTION_TEXT - 200, most=len(lines))
        chunks.append(kept)
        index += len(kept)
    if index < len(lines):
        chunks[-1] = [*chunks[-1], more.format(len(lines) - index)]
    return [section("\n".join(chunk)) for chunk in chunks]


def _options(environment: str, found: EnvironmentVersions | BotError) -> list[Option]:
    """Everything in the environment, then each component it deploys (as many as a menu holds)."""
    everything = menu_value(environment)
    options = [_option(f"Everything in {environment}", everything)] if everything else []
    if not isinstance(found, BotError):
        for component in found.components:
            value = menu_value(environment, component.name)
            if value is not None and len(options) < MAX_SELECT_OPTIONS:
                options.append(_option(component.name, value))
    return options


def _option(label: str, value: str) -> Option:
    return Option(text=PlainTextObject(text=clip(label, MAX_OPTION_TEXT)), value=value)


def _menu(placeholder: str, options: list[Option]) -> StaticSelectElement:
    return StaticSelectElement(action_id=VERSIONS, placeholder=clip(placeholder, 150), options=options)


# -- the /versions modal ----------------------------------------------------------------------------


def versions_modal(message: Message, asked: str) -> View:
    """The `/versions ASKED` answer, as a modal (a message's 50 blocks fit its 100)."""
    blocks = list(message.blocks) or [section(mrkdwn_escape(message.text))]
    return _modal(asked, blocks[:MAX_HOME_BLOCKS])


def versions_loading_modal(asked: str) -> View:
    """Opened at once (a trigger lasts 3 s), then updated with the answer."""
    return _modal(
        asked, [section(f":hourglass_flowing_sand: Reading `/versions {quote(asked)}` from GitHub…")]
    )


def versions_error_modal(asked: str, sentence: str) -> View:
    return _modal(asked, [section(f":warning: {mrkdwn_escape(sentence)}")])


def _modal(asked: str, blocks: list[Block]) -> View:
    """``asked`` is what the menu option said (``prod`` or ``prod jupyter_hub``); the handler
    accepts only names' characters, so it can title the modal as it is."""
    return View(
        type="modal",
        callback_id=VERSIONS_MODAL,
        title=PlainTextObject(text=clip(asked or "Versions", MAX_MODAL_TITLE)),
        close=PlainTextObject(text="Close"),
        blocks=blocks,
    )
