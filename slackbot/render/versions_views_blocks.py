"""`/versions diff` and `/versions where` as Block Kit, within Slack's limits however big the world.

A diff shows each differing component in its own section (the two sides' values with links, how
far apart two release branches are, and a "Make prod like stg" button) for as many components as
fit in one message; the rest are summarised a line each, and the identical ones in one line.
`where` groups the environments by the release branch they share, and within a group by identical
chart and image, so 30 environments take a handful of lines.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ConfirmObject,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from slackbot.domain.environment_diff import ComponentDifference, EnvironmentDiff, Placement
from slackbot.domain.forge import Comparison
from slackbot.domain.make_like import MAKE_LIKE_ACTION, make_like_value
from slackbot.domain.versions import EnvironmentVersions, Layout
from slackbot.render.blocks import (
    MAX_BLOCKS,
    MAX_MESSAGE_CHARS,
    MAX_SECTION_TEXT,
    Message,
    clip,
    context,
    header,
    json_len,
    json_size,
    link,
    mrkdwn_escape,
    section,
    within,
)
from slackbot.render.words import about, and_list
from slackbot.services.version_views import DiffAnswer, GroupView, WhereAnswer

__all__ = ["diff_message", "where_message"]

LABELS = {"branch": "flux branch", "chart_version": "chart", "image": "image"}
MAX_CONFIRM_TEXT = 300  # Slack's limit for a confirmation dialog's text
MAX_CONFIRM_TITLE = 100
MAX_BUTTON_TEXT = 75
MAX_FALLBACK = 3000  # the notification text: a summary, not the whole answer


def _budgeted(blocks: Sequence[Block], *, chars: int, most: int) -> int:
    """How many of ``blocks``, from the first, fit in ``chars`` characters and ``most`` blocks."""
    used = 0
    for count, block in enumerate(blocks):
        used += json_size([block])
        if count == most or used > chars:
            return count
    return min(len(blocks), most)


# -- diff -----------------------------------------------------------------------------------------


def _apart_words(difference: ComponentDifference, left: str, right: str) -> str:
    apart = difference.apart
    if apart is None:
        if difference.apart_problem:
            return f" (not compared: {mrkdwn_escape(clip(difference.apart_problem, 200))})"
        return ""
    return " — " + _distance(apart, left, right)


def _commits(count: int) -> str:
    return f"{count} commit{'' if count == 1 else 's'}"


def _distance(apart: Comparison, left: str, right: str) -> str:
    if apart.ahead_by and apart.behind_by:
        return (
            f"diverged: {left} has {_commits(apart.ahead_by)} {right} lacks, "
            f"{right} has {_commits(apart.behind_by)} {left} lacks"
        )
    if apart.ahead_by:
        return f"{left} is {_commits(apart.ahead_by)} ahead of {right}"
    if apart.behind_by:
        return f"{left} is {_commits(apart.behind_by)} behind {right}"
    return "both branches hold the same commits"


def _value(answer: DiffAnswer, difference: ComponentDifference, field: str, value: str | None) -> str:
    if value is None:
        return "—"
    repository = difference.repository
    if field == "branch" and repository and (url := answer.branch_urls.get((repository, value))):
        return link(url, value)
    return f"`{mrkdwn_escape(value)}`"


def _difference_text(answer: DiffAnswer, difference: ComponentDifference) -> str:
    left, right = answer.left, answer.right
    title = f"*{mrkdwn_escape(difference.name)}*"
    if difference.repository:
        title += f" · `{mrkdwn_escape(difference.repository)}`"
    lines = [title]
    for field, old, new in difference.changes():
        line = (
            f"{LABELS[field]}: {_value(answer, difference, field, old)} → "
            f"{_value(answer, difference, field, new)}"
        )
        if field == "branch":
            line += _apart_words(difference, left, right)
            compare_url = answer.compare_urls.get(difference.name)
            if compare_url and difference.apart is not None:
                line += f" ({link(compare_url, 'compare')})"
        lines.append(line)
    if answer.diff.left.layout is Layout.SPLIT and not answer.diff.can_make_like(difference):
        lines.append(f"_{_why_no_button(answer.diff, difference)}_")
    return "\n".join(lines)


def _why_no_button(diff: EnvironmentDiff, difference: ComponentDifference) -> str:
    left, right = diff.left.environment, diff.right.environment
    absent_left = [f"`{LABELS[f]}`" for f, old, _ in difference.changes() if old is None]
    absent_right = [f"`{LABELS[f]}`" for f, _, new in difference.changes() if new is None]
    reasons = []
    if absent_left:
        reasons.append(f"{left}'s files write no {and_list(absent_left)} to change")
    if absent_right:
        reasons.append(f"{right}'s files write no {and_list(absent_right)} to copy")
    return f"No button: {' and '.join(reasons)} (a pin hot-fix changes values; it adds and removes none)."


def _around_difference(old: str, new: str, most: int) -> tuple[str, str]:
    """``old`` and ``new`` cut to ``most`` characters each around where they start to differ
    (``…component:1.0.0-ab…`` → ``…component:1.0.1-ab…``), so that clipping never hides the change."""
    if len(old) <= most and len(new) <= most:
        return old, new
    common = next(
        (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new))
    )
    start = max(0, min(common - most // 3, max(len(old), len(new)) - most))

    def cut(value: str) -> str:
        piece = value[start:]
        head = "…" if start else ""
        return head + piece if len(head + piece) <= most else clip(head + piece, most)

    return cut(old), cut(new)


def _confirm(answer: DiffAnswer, difference: ComponentDifference) -> ConfirmObject:
    """What the click will do, exactly, and where it rolls out (within Slack's 300 characters)."""
    diff = answer.diff
    rollout = answer.make_like
    others = [e for e in rollout.environments if e != answer.left]
    reach = answer.left + (f" (and {clip(and_list(others), 80)}, on the same core branch)" if others else "")
    head = f"One pull request into {clip(diff.left.branch, 40)} of the core repository changes "
    tail = f". Merged, it rolls out to {reach} within about {about(rollout.within)}."
    room = MAX_CONFIRM_TEXT - len(head) - len(tail)
    changes = difference.changes()
    per_value = max(8, (room - 12 * len(changes)) // (2 * len(changes)))
    words = "; ".join(
        "{} {} → {}".format(LABELS[f], *_around_difference(old or "", new or "", per_value))
        for f, old, new in changes
    )
    return ConfirmObject(
        title=clip(f"Make {answer.left}'s {difference.name} like {answer.right}'s?", MAX_CONFIRM_TITLE),
        text=PlainTextObject(text=clip(head + words + tail, MAX_CONFIRM_TEXT)),
        confirm="Open the pull request",
        deny="Cancel",
    )


def _make_like_button(answer: DiffAnswer, difference: ComponentDifference) -> ButtonElement | None:
    if not answer.diff.can_make_like(difference):
        return None
    try:
        value = make_like_value(answer.left, answer.right, difference.name)
    except ValueError:
        return None  # a name no button value can carry: the handler would refuse it
    return ButtonElement(
        text=clip(f"Make {answer.left} like {answer.right}", MAX_BUTTON_TEXT),
        action_id=MAKE_LIKE_ACTION,
        value=value,
        style="primary",
        confirm=_confirm(answer, difference),
    )


def _difference_section(answer: DiffAnswer, difference: ComponentDifference) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=clip(_difference_text(answer, difference), MAX_SECTION_TEXT)),
        accessory=_make_like_button(answer, difference),
    )


def _summary_line(difference: ComponentDifference) -> str:
    """One line for a difference: with its values when they are short, else which fields differ."""
    changes = "; ".join(f"{LABELS[f]} {old or '—'} → {new or '—'}" for f, old, new in difference.changes())
    line = f"{difference.name}: {changes}"
    if len(line) > 120:
        line = f"{difference.name}: {', '.join(LABELS[f] for f in difference.fields)}"
    return clip(line, 200)


def _overflow(answer: DiffAnswer, rest: Sequence[ComponentDifference], chars: int) -> tuple[list[Block], int]:
    """The differences that did not fit as sections, a line each, as many as fit in ``chars``,
    then where to find them all; and how many were left out."""
    if not rest:
        return [], 0
    lines, left_out = within(
        [mrkdwn_escape(_summary_line(d)) for d in rest],
        chars=min(chars, MAX_SECTION_TEXT - 60),
        most=len(rest),
    )
    blocks: list[Block] = []
    if chars > 200:
        blocks.append(
            section(f"*{len(rest)} more differ* (no room for them in full):\n```" + "\n".join(lines) + "```")
        )
    else:
        left_out = len(rest)
    command = f"slackbot versions diff {answer.left} {answer.right} --json"
    tail = f"…and {left_out} more. " if left_out else ""
    blocks.append(
        context(
            f"{tail}Every difference: `{mrkdwn_escape(command)}`; one component: `/versions where COMPONENT`."
        )
    )
    return blocks, left_out


def _names(names: Sequence[str], most: int = 1200) -> str:
    return clip(", ".join(f"`{mrkdwn_escape(n)}`" for n in names), most)


def _diff_tail(diff: EnvironmentDiff) -> list[Block]:
    left, right = diff.left.environment, diff.right.environment
    only = [
        f"*Only in {side}* ({len(names)}): {_names(names)}"
        for side, names in ((left, diff.only_left), (right, diff.only_right))
        if names
    ]
    blocks: list[Block] = [section("\n".join(only))] if only else []
    if diff.same:
        blocks.append(context(f"*The same in both* ({len(diff.same)}): {_names(diff.same, 2800)}"))
    problems = [
        f":warning: {env.environment}: {len(env.problems)} file{'' if len(env.problems) == 1 else 's'} "
        f"could not be read, so this may be incomplete — `/versions {env.environment}` names them."
        for env in (diff.left, diff.right)
        if env.problems
    ]
    if diff.left.layout is not Layout.SPLIT and diff.differences:
        problems.append(
            f"{left} uses the legacy `deployment-config.yaml`: its pins are changed by hand, so there are "
            f"no buttons to make it like {right}."
        )
    if problems:
        blocks.append(context(*problems))
    return blocks


def _diff_heading(answer: DiffAnswer) -> list[Block]:
    diff, left, right = answer.diff, answer.left, answer.right

    def read(env: EnvironmentVersions) -> str:
        return f"`{env.environment}` @ {link(answer.commit_urls.get(env.environment), env.commit[:7])}"

    counts = [f"*{len(diff.differences)} component{'' if len(diff.differences) == 1 else 's'} differ*"]
    counts += [
        f"{len(n)} only in {side}" for side, n in ((left, diff.only_left), (right, diff.only_right)) if n
    ]
    counts.append(f"{len(diff.same)} the same")
    summary = " · ".join(counts)
    if not diff.differences and not diff.only_left and not diff.only_right:
        summary = (
            f":white_check_mark: {left} and {right} pin the same flux branch, chart and image "
            f"for all {len(diff.same)} components."
        )
    return [
        header(f"{left} vs {right}"),
        context(
            f"Read from `{diff.left.repository}`: {read(diff.left)} and {read(diff.right)}. Each change reads {left} → {right}."
        ),
        section(summary),
    ]


def diff_message(answer: DiffAnswer) -> Message:
    diff = answer.diff
    heading, tail = _diff_heading(answer), _diff_tail(diff)
    room = MAX_MESSAGE_CHARS - json_size([*heading, *tail])
    most = MAX_BLOCKS - len(heading) - len(tail) - 2  # two for the summary of the rest
    sections = [_difference_section(answer, d) for d in diff.differences]
    sizes = [json_size([block]) for block in sections]
    # As many full sections as fit while the rest still get a line each; failing that, as many
    # full sections as fit.
    chosen: tuple[int, list[Block]] | None = None
    for shown in range(min(len(sections), most), -1, -1):
        used = sum(sizes[:shown])
        overflow, left_out = _overflow(answer, diff.differences[shown:], room - used - 500)
        if used + json_size(overflow) > room:
            continue
        chosen = chosen or (shown, overflow)
        if not left_out:
            chosen = (shown, overflow)
            break
    shown, overflow = chosen or (0, [])
    blocks = [*heading, *sections[:shown], *overflow, *tail]
    return Message(text=_diff_fallback(diff), blocks=blocks)


def _diff_fallback(diff: EnvironmentDiff) -> str:
    left, right = diff.left.environment, diff.right.environment
    parts = [
        f"{len(diff.differences)} components differ ({', '.join(d.name for d in diff.differences) or 'none'})"
    ]
    parts += [
        f"only in {side}: {', '.join(n)}"
        for side, n in ((left, diff.only_left), (right, diff.only_right))
        if n
    ]
    parts.append(f"{len(diff.same)} the same")
    return clip(f"{left} vs {right}: " + "; ".join(parts), MAX_FALLBACK)


# -- where ----------------------------------------------------------------------------------------


def _environment_list(answer: WhereAnswer, placements: Sequence[Placement], chars: int) -> str:
    """The environments, each with a link to the commit its pins were read from while they fit in
    ``chars``; beyond that by name alone, and then as many names as fit and a count."""
    linked = [
        f"*{mrkdwn_escape(p.environment)}* ({link(answer.commit_urls.get(p.environment), p.commit[:7])})"
        for p in placements
    ]
    if json_len(", ".join(linked)) <= chars:
        return ", ".join(linked)
    names = [f"*{mrkdwn_escape(p.environment)}*" for p in placements]
    kept, left_out = within([f"{name}, " for name in names], chars=chars - 20, most=len(names))
    shown = "".join(kept).removesuffix(", ")
    return shown + (f" and {left_out} more" if left_out else "")


def _group_text(answer: WhereAnswer, view: GroupView) -> str:
    group, rollout = view.group, view.rollout
    branch = link(view.branch_url, group.branch) if group.branch else "no flux branch pinned"
    count = len(group.environments)
    if group.branch and count > 1:
        reach = f":rotating_light: a merge into it rolls out to {count} environments within about {about(rollout.within)}"
    elif group.branch:
        reach = f"only {mrkdwn_escape(group.environments[0])} uses this branch"
    else:
        reach = f"{count} environment{'' if count == 1 else 's'}"
    sets = group.pin_sets()
    room = (MAX_SECTION_TEXT - 400) // len(sets)
    pin_lines = [
        f"chart `{mrkdwn_escape(chart or '—')}` · image `{mrkdwn_escape(image or '—')}`: "
        + _environment_list(answer, [p for p in group.placements if p.environment in envs], max(room, 300))
        for chart, image, envs in sets
    ]
    kept, left_out = within(pin_lines, chars=MAX_SECTION_TEXT - 400, most=len(pin_lines))
    if left_out:
        kept.append(f"…and {left_out} more combinations of chart and image.")
    return "\n".join([f"{branch} — {reach}.", *kept])


def _where_tail(answer: WhereAnswer) -> list[Block]:
    found = answer.whereabouts
    blocks: list[Block] = []
    if found.not_deployed:
        blocks.append(
            context(f"*Not deployed in* ({len(found.not_deployed)}): {_names(found.not_deployed, 2800)}")
        )
    if found.unreadable:
        lines = [f":warning: Could not read {env}: {mrkdwn_escape(why)}" for env, why in found.unreadable]
        kept, left_out = within(lines, chars=1500, most=9)
        if left_out:
            kept.append(f"…and {left_out} more environments could not be read.")
        blocks.append(context(*kept))
    return blocks


def where_message(answer: WhereAnswer) -> Message:
    found = answer.whereabouts
    name = found.component
    repository = link(answer.repo_url, found.repository) if found.repository else "an unconfigured repository"
    deployed = len(found.placements)
    summary = (
        f"`{mrkdwn_escape(name)}` ({repository}) is deployed in {deployed} environment"
        f"{'' if deployed == 1 else 's'} on {len(answer.groups)} flux branch{'' if len(answer.groups) == 1 else 'es'}."
        if deployed
        else f"`{mrkdwn_escape(name)}` is not deployed in any environment."
    )
    heading: list[Block] = [header(f"{name} in every environment"), section(summary)]
    tail = _where_tail(answer)
    sections: list[Block] = [section(_group_text(answer, view)) for view in answer.groups]
    room = MAX_MESSAGE_CHARS - json_size([*heading, *tail]) - 400
    shown = _budgeted(sections, chars=room, most=MAX_BLOCKS - len(heading) - len(tail) - 1)
    blocks = [*heading, *sections[:shown]]
    if shown < len(sections):
        hidden = answer.groups[shown:]
        count = sum(len(v.group.environments) for v in hidden)
        blocks.append(
            context(
                f"…and {len(hidden)} more branches ({count} environments): "
                f"`slackbot versions where {mrkdwn_escape(name)} --json` lists them all."
            )
        )
    return Message(text=_where_fallback(answer), blocks=[*blocks, *tail])


def _where_fallback(answer: WhereAnswer) -> str:
    found = answer.whereabouts
    groups = [f"{v.group.branch or 'no branch'} in {', '.join(v.group.environments)}" for v in answer.groups]
    text = f"{found.component}: " + ("; ".join(groups) or "not deployed anywhere")
    if found.not_deployed and found.placements:
        text += f"; not deployed in {', '.join(found.not_deployed)}"
    return clip(text, MAX_FALLBACK)
