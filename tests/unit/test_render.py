"""Block Kit rendered as a person would read it, for the terminal."""

from __future__ import annotations

from typing import Any

import pytest

from slackbot.render.terminal import mrkdwn_to_text, render_message


def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def test_text_is_the_fallback_without_blocks() -> None:
    assert render_message("see <https://ci.example/1|build 1> &amp; retry", None) == (
        "see build 1 (https://ci.example/1) & retry"
    )
    assert render_message(None, []) == ""


def test_blocks_win_over_text() -> None:
    assert render_message("notification only", [{"type": "section", "text": mrkdwn("shown")}]) == "shown"


@pytest.mark.parametrize(
    ("source", "read"),
    [
        ("<https://x.example>", "https://x.example"),
        ("<https://x.example|x>", "x (https://x.example)"),
        ("<@U0ALICE> asked", "@U0ALICE asked"),
        ("in <#C0OPS|ops>", "in #ops"),
        ("<!here> look", "@here look"),
        ("<!subteam^S0PLAT|@platform>", "@platform"),
        ("*bold* _it_ `code`", "*bold* _it_ `code`"),
        ("a &lt;b&gt;", "a <b>"),
    ],
)
def test_mrkdwn_reads_like_slack(source: str, read: str) -> None:
    assert mrkdwn_to_text(source) == read


def test_code_blocks_are_kept_verbatim() -> None:
    text = "before <https://a|a>\n```\n<not|a link>  keep   spacing\n```\nafter"

    assert render_message(text, None) == "before a (https://a)\n```\n<not|a link>  keep   spacing\n```\nafter"


def test_header_divider_and_context() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain("Versions in prod")},
        {"type": "divider"},
        {"type": "context", "elements": [mrkdwn("read from <https://gh/core|core>"), plain("1 min ago")]},
    ]

    assert render_message(None, blocks, width=20).splitlines() == [
        "VERSIONS IN PROD",
        "═" * 16,
        "─" * 20,
        "  read from core (https://gh/core)  1 min ago",
    ]


def test_fields_are_laid_out_in_two_columns() -> None:
    fields = [mrkdwn("*Component*"), mrkdwn("*Branch*"), mrkdwn("jupyter_hub"), mrkdwn("release/0.2.105")]
    blocks = [{"type": "section", "text": mrkdwn("prod"), "fields": [*fields, mrkdwn("odd one")]}]

    assert render_message(None, blocks, width=30).splitlines() == [
        "prod",
        "*Component*    *Branch*",
        "jupyter_hub    release/0.2.105",
        "odd one",
    ]


def test_buttons_and_selects() -> None:
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": "env",
        "placeholder": plain("Environment"),
        "options": [{"text": plain("prod"), "value": "prod"}],
    }
    chosen = {**select, "initial_option": {"text": plain("stg"), "value": "stg"}}
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": mrkdwn("Start a hotfix?"),
            "accessory": {"type": "button", "text": plain("Go")},
        },
        {"type": "actions", "elements": [{"type": "button", "text": plain("Cancel")}, select, chosen]},
    ]

    assert render_message(None, blocks).splitlines() == [
        "Start a hotfix?  [ Go ]",
        "[ Cancel ]  [ Environment ▾ ]  [ stg ▾ ]",
    ]


def test_rich_text_minimal() -> None:
    block = {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "see "},
                    {"type": "link", "url": "https://pr/1", "text": "PR 1"},
                    {"type": "user", "user_id": "U0ALICE"},
                ],
            },
            {
                "type": "rich_text_list",
                "style": "bullet",
                "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]}],
            },
            {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "kubectl get ks"}]},
        ],
    }

    assert render_message(None, [block]).splitlines() == [
        "see PR 1 (https://pr/1)@U0ALICE",
        "• one",
        "```",
        "kubectl get ks",
        "```",
    ]


def test_long_prose_is_not_rewrapped() -> None:
    sentence = "jupyter_hub follows release/0.2.105 in prod, stg and dev " * 4

    assert render_message(None, [{"type": "section", "text": mrkdwn(sentence)}], width=40) == sentence


def test_unknown_blocks_are_skipped() -> None:
    blocks: list[Any] = [{"type": "video"}, {"type": "section", "text": plain("hi")}, "junk"]

    assert render_message(None, blocks) == "hi"
