"""`/versions` answers as Block Kit: help, one environment's table, one component in detail; `diff`
and `where` are :mod:`slackbot.render.versions_views_blocks`'s."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from slack_sdk.models.blocks import Block, DividerBlock, MarkdownTextObject, SectionBlock

from slackbot.domain.events import Rollout
from slackbot.domain.rollout import ClusterView
from slackbot.domain.versions import ComponentReport, EnvironmentVersions, Layout
from slackbot.render.blocks import (
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENTS,
    MAX_FIELDS,
    MAX_MESSAGE_CHARS,
    MAX_SECTION_TEXT,
    Message,
    clip,
    context,
    header,
    json_len,
    link,
    mrkdwn_escape,
    section,
    within,
)
from slackbot.render.changes_blocks import changes_message
from slackbot.render.versions_views_blocks import diff_message, where_message
from slackbot.render.words import about, and_list
from slackbot.services.pin_changes import ChangesAnswer
from slackbot.services.version_queries import (
    ComponentAnswer,
    EnvironmentAnswer,
    VersionsAnswer,
)
from slackbot.services.version_views import DiffAnswer, WhereAnswer

# How much of a message the problems' context may take, all of them together.
MAX_PROBLEM_CHARS = 2000
# What a code section costs in the message's JSON beyond its lines.
_SECTION_OVERHEAD = len(json.dumps(section("``````").to_dict(), separators=(",", ":")))


def versions_message(answer: VersionsAnswer) -> Message:
    """The reply to `/versions` (and `slackbot versions`)."""
    if isinstance(answer, EnvironmentAnswer):
        return environment_versions(answer.versions, commit_url=answer.commit_url)
    if isinstance(answer, ComponentAnswer):
        return component_detail(answer)
    if isinstance(answer, DiffAnswer):
        return diff_message(answer)
    if isinstance(answer, WhereAnswer):
        return where_message(answer)
    if isinstance(answer, ChangesAnswer):
        return changes_message(answer)
    return versions_help(answer.environments, answer.components)


def versions_help(environments: Mapping[str, Sequence[str]], components: Sequence[str]) -> Message:
    env_lines = [
        f"• `{name}`" + (f" (also {', '.join(f'`{a}`' for a in aliases)})" if aliases else "")
        for name, aliases in environments.items()
    ]
    example_env = next(iter(environments), "prod")
    example_component = components[0] if components else "jupyter_hub"
    example_other = next(iter(list(environments)[1:]), "stg")
    usage = (
        "*`/versions ENV`* — every component an environment runs: flux branch, chart version, image.\n"
        "*`/versions ENV COMPONENT`* — one component in detail, and every environment that shares "
        "its release branch.\n"
        "*`/versions diff ENV ENV`* — the components whose branch, chart or image differ between two "
        "environments, how far apart their release branches are, and a button to make the first like "
        "the second.\n"
        "*`/versions where COMPONENT`* — one component in every environment, grouped by the release "
        "branch they share.\n"
        "*`/versions changes ENV [COMPONENT] [--since 7d]`* — what changed in an environment's pins lately.\n"
        f"For example `/versions {example_env} {example_component}`, "
        f"`/versions diff {example_env} {example_other}` or `/versions where {example_component}`."
    )
    return Message(
        text="Usage: /versions ENV [COMPONENT] · diff ENV ENV · where COMPONENT · changes ENV. Environments: "
        + ", ".join(environments),
        blocks=[section(usage), section("*Environments*\n" + "\n".join(env_lines))],
    )


def _table_rows(versions: EnvironmentVersions) -> list[str]:
    headers = ("component", "flux branch", "chart", "image")
    rows = [(c.name, c.branch or "—", c.chart_version or "—", c.image or "—") for c in versions.components]
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(3)]

    def line(cells: tuple[str, str, str, str]) -> str:
        return "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells[:3])) + "  " + cells[3]

    return [line(headers), *(line(row) for row in rows)]


def _code_sections(lines: Iterable[str], budget: int) -> tuple[list[SectionBlock], int]:
    """Lines as code blocks, split to fit sections; returns the blocks and how many lines were left out."""
    lines = list(lines)
    sections: list[SectionBlock] = []
    chunk: list[str] = []
    used = 0

    def flush() -> None:
        if chunk:
            sections.append(section("```" + "\n".join(chunk) + "```"))
            chunk.clear()

    for index, raw in enumerate(lines):
        text = mrkdwn_escape(raw)
        cost = json_len(text + "\n")  # as Slack counts it: JSON-escaped
        if used + cost > budget:
            flush()
            return sections, len(lines) - index
        if sum(len(x) + 1 for x in chunk) + len(text) + 6 > MAX_SECTION_TEXT:
            flush()
            used += _SECTION_OVERHEAD
        chunk.append(text)
        used += cost
    flush()
    return sections, 0


def _problem_lines(versions: EnvironmentVersions) -> list[str]:
    """The files that could not be read, as context lines: bounded in number and in characters
    (ten long parse errors would take Slack past its ~13k total), saying how many are left out."""
    lines = [f":warning: {mrkdwn_escape(str(p))}" for p in versions.problems]
    kept, left_out = within(lines, chars=MAX_PROBLEM_CHARS, most=MAX_CONTEXT_ELEMENTS - 1)
    if left_out:
        kept.append(
            f"…and {left_out} more {'problem' if left_out == 1 else 'problems'}: "
            f"`slackbot versions {versions.environment} --json` lists them all."
        )
    return kept


def environment_versions(versions: EnvironmentVersions, *, commit_url: str | None) -> Message:
    blocks: list[Block] = [header(f"{versions.environment} — versions")]
    source = f"`{versions.repository}` @ `{versions.branch}`, commit {link(commit_url, versions.commit[:7])}"
    if versions.layout is Layout.LEGACY:
        source += " (legacy `deployment-config.yaml`)"
    blocks.append(context(f"Read from {source}"))
    problems = _problem_lines(versions)
    charts = clip(
        " · ".join(f"`{c.name}` {c.version or '—'}" for c in versions.core_charts), MAX_SECTION_TEXT - 20
    )
    tail_chars = sum(json_len(p) for p in problems) + json_len(charts) + 500
    tables, left_out = _code_sections(_table_rows(versions), MAX_MESSAGE_CHARS - tail_chars)
    blocks.extend(tables[: MAX_BLOCKS - 6])
    if left_out:
        blocks.append(
            context(
                f"…and {left_out} more components: ask for one with "
                f"`/versions {versions.environment} COMPONENT`, or run `slackbot versions "
                f"{versions.environment} --json`."
            )
        )
    if charts:
        blocks.append(section(f"*Core charts:* {charts}"))
    if problems:
        blocks.append(context(*problems))
    text = (
        f"{versions.environment} runs {len(versions.components)} components "
        f"(from {versions.branch} at {versions.commit[:7]})"
    )
    return Message(text=text, blocks=blocks[:MAX_BLOCKS])


def _rollout_sentence(report: ComponentReport, rollout: Rollout) -> str:
    c, env = report.component, report.environment.environment
    if not c.branch:
        return f"No branch is pinned for `{c.name}` in {env}."
    names = and_list([f"*{e}*" for e in rollout.environments])
    sentence = (
        f"Merging into `{mrkdwn_escape(c.branch)}` rolls out to {names} within about {about(rollout.within)}."
    )
    if not report.shared_with:
        sentence += " No other environment uses this branch."
    if report.unreadable:
        sentence += f" (Could not read {', '.join(report.unreadable)} to check.)"
    return ":rotating_light: " + sentence if report.shared_with else sentence


def _cluster_field(cluster: ClusterView) -> str:
    if cluster.problem:
        return f"*In the cluster*\n:grey_question: {mrkdwn_escape(cluster.problem)}"
    if not cluster.applied:
        return f"*In the cluster*\nnothing applied yet ({mrkdwn_escape(cluster.source)})"
    state = {
        True: "Ready",
        False: f"not ready: {cluster.reason} {cluster.message}".strip(),
        None: "reconciling",
    }
    text = f"`{cluster.applied[:7]}` applied, {mrkdwn_escape(state[cluster.ready])}"
    if cluster.behind and cluster.branch_head:
        text = f":warning: {text} — the branch head is `{cluster.branch_head[:7]}`"
    return f"*In the cluster*\n{text}"


def component_detail(answer: ComponentAnswer) -> Message:
    report, repo_url, branch_url, commit_url = (
        answer.report,
        answer.repo_url,
        answer.branch_url,
        answer.commit_url,
    )
    cluster = answer.cluster
    c, env = report.component, report.environment
    head = report.release_head
    if head is not None:
        when = f", {head.date[:10]}" if head.date else ""
        head_text = f"{link(head.url, head.short_sha)} {mrkdwn_escape(head.title)}" + (
            f" ({mrkdwn_escape(head.author)}{when})" if head.author else ""
        )
    else:
        head_text = f"unknown: {mrkdwn_escape(report.release_problem or 'not read')}"
    fields = [
        f"*Repository*\n{link(repo_url, c.repository) if c.repository else 'unknown (not configured)'}",
        f"*Flux branch*\n{link(branch_url, c.branch) if c.branch else '—'}",
        f"*Branch head*\n{head_text}",
        f"*Chart version*\n{mrkdwn_escape(c.chart_version) if c.chart_version else '—'}",
        f"*Image*\n{'`' + mrkdwn_escape(c.image) + '`' if c.image else '—'}",
    ]
    if cluster is not None:
        fields.append(_cluster_field(cluster))
    blocks: list[Block] = [
        header(f"{c.name} in {env.environment}"),
        SectionBlock(fields=[MarkdownTextObject(text=f[:2000]) for f in fields[:MAX_FIELDS]]),
        section(_rollout_sentence(report, answer.rollout)),
    ]
    if c.extra:
        extras = "\n".join(f"{mrkdwn_escape(k)}: {mrkdwn_escape(v)}" for k, v in sorted(c.extra.items()))
        blocks.append(section(f"*Other settings*\n```{extras}```"))
    blocks.append(DividerBlock())
    blocks.append(
        context(f"Read from `{env.repository}` @ `{env.branch}`, commit {link(commit_url, env.commit[:7])}")
    )
    if env.problems:
        blocks.append(context(*_problem_lines(env)))
    text = (
        f"{c.name} in {env.environment}: branch {c.branch or '—'}, chart {c.chart_version or '—'}, "
        f"image {c.image or '—'}"
    )
    return Message(text=text, blocks=blocks)
