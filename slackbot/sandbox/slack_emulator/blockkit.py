"""Slack's Block Kit and message limits, and the checks that enforce them.

``check_message`` and ``check_blocks`` answer the ``Refusal`` Slack would (``msg_too_long``,
``no_text``, ``invalid_blocks``, ``msg_blocks_too_long``) or None; ``view_problem`` says why
views.open/update would refuse a view (``invalid_arguments``), or None, and ``home_view_problem``
the same for a Home tab's view (views.publish: ``type: home``, no ``submit`` or ``close``). Each refusal carries the
reason as Slack words it in ``response_metadata.messages``: what is wrong and a JSON pointer to it.

Two layers, so that neither one's gaps let through what Slack refuses: Slack's documented rules,
written out here (known block and element types only, text object types — a header, a button, a
label or a modal title take ``plain_text`` only — text lengths, counts of fields, elements and
options (at least 1 and at most 100 options in a select), ids, a modal's ``submit`` when it has an
input block, and the ~13k total of a message's blocks, as observed); then slack_sdk's own models
(``Block.parse`` / ``View`` and ``validate_json``), which raise ``SlackObjectFormationError``.
Pure functions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from slackbot.sandbox.slack_emulator.model import JsonDict

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT_OBJECT = 3000
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ID_CHARS = 255
MAX_MARKDOWN_TEXT = 12_000
MAX_SELECT_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_PLACEHOLDER = 150
MAX_LABEL = 2000
MAX_BLOCKS_JSON_CHARS = 13_000
MAX_TEXT_CHARS = 40_000
MAX_VIEW_TITLE = 24
MAX_PRIVATE_METADATA = 3000
MAX_VIEW_BYTES = 250 * 1024  # views.publish answers view_too_large above this

BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "context_actions",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)
_SELECTS = {
    "static_select": 100,
    "multi_static_select": 100,
    "overflow": 5,
    "radio_buttons": 10,
    "checkboxes": 10,
}
_OTHER_ELEMENTS = {
    "button",
    "channels_select",
    "conversations_select",
    "datepicker",
    "datetimepicker",
    "email_text_input",
    "external_select",
    "file_input",
    "image",
    "multi_channels_select",
    "multi_conversations_select",
    "multi_external_select",
    "multi_users_select",
    "number_input",
    "plain_text_input",
    "rich_text_input",
    "timepicker",
    "url_text_input",
    "users_select",
    "workflow_button",
}
ELEMENT_TYPES = frozenset(_SELECTS) | frozenset(_OTHER_ELEMENTS)
_CONFIRM_LIMITS = {"title": 100, "text": 300, "confirm": 30, "deny": 30}


class Refusal(NamedTuple):
    """Slack's error code, and why (as ``response_metadata.messages`` says it)."""

    code: str
    reason: str


Problem = str | None  # what is wrong, with a JSON pointer to it; None when nothing is


def text_of(obj: Any) -> str | None:
    """The text of a Block Kit text object, or None when it is not one."""
    if isinstance(obj, dict) and obj.get("type") in ("plain_text", "mrkdwn"):
        text = obj.get("text")
        if isinstance(text, str):
            return text
    return None


def _at(where: str, what: str) -> str:
    return f"{what} [json-pointer:{where}]"


def _text(obj: Any, where: str, limit: int, *, plain: bool = False, optional: bool = False) -> Problem:
    """A text object: ``plain_text`` (or ``mrkdwn`` unless ``plain``) of 1 to ``limit`` characters."""
    if obj is None and optional:
        return None
    kinds = ("plain_text",) if plain else ("plain_text", "mrkdwn")
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        return _at(where, f"must be a text object of type {' or '.join(kinds)}")
    text = obj.get("text")
    if not isinstance(text, str) or not 0 < len(text) <= limit:
        return _at(where + "/text", f"must be between 1 and {limit} characters")
    return None


def _id(value: Any, where: str) -> Problem:
    """An optional block_id or action_id: absent, or a string of at most 255 characters."""
    if value is None or (isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS):
        return None
    return _at(where, f"must be a string of 1 to {MAX_ID_CHARS} characters")


def _first(*problems: Problem) -> Problem:
    return next((p for p in problems if p), None)


def _confirm(obj: Any, where: str) -> Problem:
    if obj is None:
        return None
    if not isinstance(obj, dict):
        return _at(where, "must be a confirmation dialog object")
    return _first(
        _text(obj.get("title"), where + "/title", _CONFIRM_LIMITS["title"], plain=True),
        _text(obj.get("text"), where + "/text", _CONFIRM_LIMITS["text"]),
        *(
            _text(obj.get(k), f"{where}/{k}", _CONFIRM_LIMITS[k], plain=True, optional=True)
            for k in ("confirm", "deny")
        ),
    )


def _options(element: JsonDict, where: str, most: int) -> Problem:
    options, groups = element.get("options"), element.get("option_groups")
    if groups is not None and element["type"] in ("static_select", "multi_static_select"):
        if not isinstance(groups, list) or not 0 < len(groups) <= MAX_SELECT_OPTIONS:
            return _at(where + "/option_groups", f"must hold between 1 and {MAX_SELECT_OPTIONS} groups")
        return None
    if not isinstance(options, list) or not 0 < len(options) <= most:
        return _at(where + "/options", f"must hold between 1 and {most} options")
    plain = element["type"] not in ("radio_buttons", "checkboxes")
    for n, option in enumerate(options):
        here = f"{where}/options/{n}"
        if not isinstance(option, dict):
            return _at(here, "must be an option object")
        value = option.get("value")
        problem = _text(option.get("text"), here + "/text", MAX_OPTION_TEXT, plain=plain) or (
            None
            if isinstance(value, str) and 0 < len(value) <= MAX_OPTION_VALUE
            else _at(here + "/value", f"must be between 1 and {MAX_OPTION_VALUE} characters")
        )
        if problem:
            return problem
    return None


def _element(element: Any, where: str) -> Problem:
    if not isinstance(element, dict) or element.get("type") not in ELEMENT_TYPES:
        return _at(where + "/type", "must be a known block element type")
    kind = element["type"]
    problem = _first(
        _id(element.get("action_id"), where + "/action_id"),
        _text(element.get("placeholder"), where + "/placeholder", MAX_PLACEHOLDER, plain=True, optional=True),
        _confirm(element.get("confirm"), where + "/confirm"),
    )
    if problem or kind not in ("button", *_SELECTS):
        return problem
    if kind in _SELECTS:
        return _options(element, where, _SELECTS[kind])
    value = element.get("value")
    if value is not None and not (isinstance(value, str) and len(value) <= MAX_BUTTON_VALUE):
        return _at(where + "/value", f"must be at most {MAX_BUTTON_VALUE} characters")
    if element.get("style") not in (None, "primary", "danger"):
        return _at(where + "/style", "must be primary or danger")
    return _text(element.get("text"), where + "/text", MAX_BUTTON_TEXT, plain=True)


def _elements(block: JsonDict, where: str, most: int, check: Callable[[Any, str], Problem]) -> Problem:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 0 < len(elements) <= most:
        return _at(where + "/elements", f"must hold between 1 and {most} elements")
    return _first(*(check(e, f"{where}/elements/{n}") for n, e in enumerate(elements)))


def _context_element(element: Any, where: str) -> Problem:
    if isinstance(element, dict) and element.get("type") == "image":
        return None
    return _text(element, where, MAX_TEXT_OBJECT)


def _section(block: JsonDict, where: str) -> Problem:
    text, fields, accessory = block.get("text"), block.get("fields"), block.get("accessory")
    if text is None and fields is None:
        return _at(where, "must provide either text or fields")
    if fields is not None:
        if not isinstance(fields, list) or not 0 < len(fields) <= MAX_SECTION_FIELDS:
            return _at(where + "/fields", f"must hold between 1 and {MAX_SECTION_FIELDS} items")
        problem = _first(*(_text(f, f"{where}/fields/{n}", MAX_FIELD_TEXT) for n, f in enumerate(fields)))
        if problem:
            return problem
    return _first(
        _text(text, where + "/text", MAX_SECTION_TEXT, optional=True),
        None if accessory is None else _element(accessory, where + "/accessory"),
    )


def _input(block: JsonDict, where: str) -> Problem:
    return _first(
        _text(block.get("label"), where + "/label", MAX_LABEL, plain=True),
        _text(block.get("hint"), where + "/hint", MAX_LABEL, plain=True, optional=True),
        _element(block.get("element"), where + "/element"),
    )


def _markdown(block: JsonDict, where: str) -> Problem:
    text = block.get("text")
    if isinstance(text, str) and 0 < len(text) <= MAX_MARKDOWN_TEXT:
        return None
    return _at(where + "/text", f"must be between 1 and {MAX_MARKDOWN_TEXT} characters")


_BLOCK_RULES: dict[str, Callable[[JsonDict, str], Problem]] = {
    "section": _section,
    "header": lambda b, w: _text(b.get("text"), w + "/text", MAX_HEADER_TEXT, plain=True),
    "context": lambda b, w: _elements(b, w, MAX_CONTEXT_ELEMENTS, _context_element),
    "actions": lambda b, w: _elements(b, w, MAX_ACTIONS_ELEMENTS, _element),
    "input": _input,
    "markdown": _markdown,
    "rich_text": lambda b, w: None if isinstance(b.get("elements"), list) else _at(w, "needs elements"),
}


def _by_slack_sdk(check: Callable[[], object], where: str) -> Problem:
    """slack_sdk's own model of it: a problem when its validators refuse it."""
    try:
        check()
    except Exception as error:  # SlackObjectFormationError, or a model that cannot be built at all
        return _at(where, f"slack_sdk refuses it: {error}")
    return None


def _sdk_block(block: JsonDict) -> None:
    parsed = Block.parse(block)
    if parsed is None:
        raise ValueError("unknown block type")
    parsed.validate_json()


def block_problem(block: Any, where: str) -> Problem:
    """Why Slack would refuse one block (None when it would not)."""
    if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
        return _at(where + "/type", "must be a known block type")
    rule = _BLOCK_RULES.get(block["type"])
    return _first(
        _id(block.get("block_id"), where + "/block_id"),
        rule(block, where) if rule else None,
        _by_slack_sdk(lambda: _sdk_block(block), where),
    )


def check_blocks(blocks: Any, *, max_blocks: int = MAX_MESSAGE_BLOCKS) -> Refusal | None:
    """The refusal Slack would answer for these message blocks, or None when they are fine."""
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) > max_blocks:
        return Refusal("invalid_blocks", _at("/blocks", f"must be a list of at most {max_blocks} blocks"))
    problem = _first(*(block_problem(b, f"/blocks/{n}") for n, b in enumerate(blocks)))
    if problem:
        return Refusal("invalid_blocks", problem)
    size = len(json.dumps(blocks, ensure_ascii=False, separators=(",", ":")))
    if size > MAX_BLOCKS_JSON_CHARS:
        return Refusal("msg_blocks_too_long", _at("/blocks", f"are {size} characters; Slack takes ~13k"))
    return None


def check_message(text: str, blocks: Any, attachments: Any = None) -> Refusal | None:
    """The refusal Slack would answer for this message content, or None."""
    if len(text) > MAX_TEXT_CHARS:
        return Refusal("msg_too_long", _at("/text", f"must be at most {MAX_TEXT_CHARS} characters"))
    if not text and not blocks and not attachments:
        return Refusal("no_text", _at("/text", "a message needs text, blocks or attachments"))
    return check_blocks(blocks)


def view_problem(view: Any) -> Problem:
    """Why views.open/update would refuse this modal (answering ``invalid_arguments``), or None.

    A view's blocks may exceed a message's ~13k total; only invalid blocks are refused.
    """
    if not isinstance(view, dict) or view.get("type") != "modal":
        return _at("/view/type", "must be modal")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not 0 < len(blocks) <= MAX_VIEW_BLOCKS:
        return _at("/view/blocks", f"must hold between 1 and {MAX_VIEW_BLOCKS} blocks")
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if has_input and view.get("submit") is None:
        return _at("/view/submit", "submit is required when the view has an input block")
    metadata = view.get("private_metadata")
    if metadata is not None and not (isinstance(metadata, str) and len(metadata) <= MAX_PRIVATE_METADATA):
        return _at("/view/private_metadata", f"must be at most {MAX_PRIVATE_METADATA} characters")
    return _first(
        _text(view.get("title"), "/view/title", MAX_VIEW_TITLE, plain=True),
        *(
            _text(view.get(k), f"/view/{k}", MAX_VIEW_TITLE, plain=True, optional=True)
            for k in ("submit", "close")
        ),
        _id(view.get("callback_id"), "/view/callback_id"),
        _id(view.get("external_id"), "/view/external_id"),
        *(block_problem(b, f"/view/blocks/{n}") for n, b in enumerate(blocks)),
        _by_slack_sdk(lambda: View(**view).validate_json(), "/view"),
    )


def home_view_problem(view: Any) -> Problem:
    """Why views.publish would refuse this Home tab view (answering ``invalid_arguments``), or None.

    As Slack documents it: ``type: home``, 1 to 100 blocks (the Home tab's limit, twice a
    message's), no ``submit`` or ``close`` (a Home tab has neither), ``private_metadata`` of at
    most 3000 characters; like a modal's, its blocks may exceed a message's ~13k total.
    """
    if not isinstance(view, dict) or view.get("type") != "home":
        return _at("/view/type", "must be home")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not 0 < len(blocks) <= MAX_VIEW_BLOCKS:
        return _at("/view/blocks", f"must hold between 1 and {MAX_VIEW_BLOCKS} blocks")
    for key in ("submit", "close"):
        if view.get(key) is not None:
            return _at(f"/view/{key}", "a home view cannot have submit or close")
    metadata = view.get("private_metadata")
    if metadata is not None and not (isinstance(metadata, str) and len(metadata) <= MAX_PRIVATE_METADATA):
        return _at("/view/private_metadata", f"must be at most {MAX_PRIVATE_METADATA} characters")
    return _first(
        _text(view.get("title"), "/view/title", MAX_VIEW_TITLE, plain=True, optional=True),
        _id(view.get("callback_id"), "/view/callback_id"),
        _id(view.get("external_id"), "/view/external_id"),
        *(block_problem(b, f"/view/blocks/{n}") for n, b in enumerate(blocks)),
        _by_slack_sdk(lambda: View(**view).validate_json(), "/view"),
    )
