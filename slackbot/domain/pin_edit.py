"""Change one pinned value in a core file, leaving every other byte as it was. Pure: text in, text out.

A round-trip dump with ruamel.yaml keeps comments but can still re-indent or reflow parts of a file,
so the edit is surgical instead: compose the document (with :mod:`yaml_nodes`, as the parsers do),
find the value's scalar node, and splice the new value into the original text between the node's
marks. Everything outside those marks (comments, CRLF line endings, anchors, key order, a trailing
``# comment``) is untouched by construction.

Quoting: a quoted value keeps its quote style, the new value escaped for it. A plain value stays
plain when the new value reads back as the same plain string in the same place (block or flow);
otherwise it is double-quoted. So ``3.2.1`` -> ``3.2.2`` stays plain, while a plain value replaced by
``1.10`` (a float under YAML 1.2, which Helm would read as 1.1), ``true``, ``a: b`` or ``@x`` gets
double quotes. An empty (null) value gets the new value after its colon.

Afterwards the result is parsed again with the :mod:`core_files` parser: the pin must read exactly
the new value and every other pin of every component must be unchanged, else
:class:`ConfigFileError` (a safety net; nothing is returned).

Refused, each with a sentence: a component or key missing from the file (adding keys is out of
scope), a value that is a mapping or list, a block scalar, a value shared through an anchor or
inherited through ``<<``, a new value with spaces or control characters, and a new value equal to
the old one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from slackbot.domain.core_files import (
    DEFAULT_CORE_PATHS,
    CorePaths,
    parse_flux_config,
    parse_helm_config,
    parse_image_config,
)
from slackbot.domain.errors import BotError, NotFound, UsageError
from slackbot.domain.hotfix import PinChange, PinField
from slackbot.domain.tickets import check_ref_name
from slackbot.domain.versions import ConfigFileError, FileRef, Pins
from slackbot.domain.yaml_nodes import (
    MERGE_TAG,
    compose_document,
    describe,
    node_line,
    render,
    value_text,
)

__all__ = [
    "PIN_KEYS",
    "PinNotEditable",
    "PinNotFound",
    "PinUnchanged",
    "apply_pins",
    "edit_pin",
    "legacy_refusal",
    "pin_path",
    "pins_by_file",
]

_STR_TAG = "tag:yaml.org,2002:str"

# Where each pin lives below ``components.<name>``.
PIN_KEYS: dict[PinField, tuple[str, ...]] = {
    PinField.CHART: ("chart_version",),
    PinField.IMAGE: ("image",),
    PinField.BRANCH: ("repository", "branch"),
}

_PARSERS: dict[PinField, Callable[[str, FileRef], dict[str, Pins]]] = {
    PinField.CHART: parse_helm_config,
    PinField.IMAGE: parse_image_config,
    PinField.BRANCH: parse_flux_config,
}

_PIN_ATTRIBUTE = {PinField.CHART: "chart_version", PinField.IMAGE: "image", PinField.BRANCH: "branch"}


def pin_path(field: PinField, paths: CorePaths = DEFAULT_CORE_PATHS) -> str:
    """The core file holding ``field``: helm, image or flux config."""
    return {PinField.CHART: paths.helm, PinField.IMAGE: paths.image, PinField.BRANCH: paths.flux}[field]


def legacy_refusal(environment: str, legacy_path: str) -> UsageError:
    """Why ``environment``, on the legacy layout (``legacy_path``), gets no pin hot-fix."""
    return UsageError(
        f"{environment} uses the legacy `{legacy_path}`; change its pins by hand "
        "(pin hot-fixes edit the split `core/*-config.yaml` files only)."
    )


class PinNotFound(NotFound):
    """The component or the pin's key is not in the file; the bot changes existing pins only."""

    def __init__(self, ref: FileRef, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.ref = ref
        self.line = line


class PinNotEditable(BotError):
    """The pin exists but is not a single value the bot can safely change on its own."""

    def __init__(self, ref: FileRef, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.ref = ref
        self.line = line


class PinUnchanged(UsageError):
    """The file already pins the new value (a retry after the change was committed, or a typo)."""

    def __init__(self, ref: FileRef, message: str, value: str) -> None:
        super().__init__(message)
        self.ref = ref
        self.value = value


@dataclass(frozen=True)
class _Target:
    node: ScalarNode
    key: ScalarNode
    flow: bool  # inside a flow mapping or sequence: `,[]{}` end a plain scalar there


def _where(ref: FileRef) -> str:
    return f"`{ref.path}` on `{ref.branch}`"


def _explicit(mapping: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
    """The entry written under ``key`` in this mapping itself (not merged in through ``<<``)."""
    for key_node, value_node in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.tag != MERGE_TAG and render(key_node) == key:
            return key_node, value_node
    return None


def _merged_in(mapping: MappingNode, key: str) -> bool:
    """Whether ``key`` reaches this mapping through a ``<<`` merge."""
    for key_node, value_node in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.tag == MERGE_TAG:
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if isinstance(source, MappingNode) and (
                    _explicit(source, key) is not None or _merged_in(source, key)
                ):
                    return True
    return False


def _reference_counts(root: Node) -> dict[int, int]:
    """How many places in the document refer to each node (more than one: an alias shares it)."""
    counts: dict[int, int] = {id(root): 1}
    seen: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children: list[Node] = []
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                children.extend((key_node, value_node))
        elif isinstance(node, SequenceNode):
            children.extend(node.value)
        for child in children:
            counts[id(child)] = counts.get(id(child), 0) + 1
            pending.append(child)
    return counts


def _shared(ref: FileRef, dotted: str, node: Node) -> PinNotEditable:
    return PinNotEditable(
        ref,
        f"`{dotted}` in {_where(ref)} is shared with other entries through an anchor, so changing it "
        "would change them too; edit the file by hand.",
        node_line(node),
    )


def _find(root: Node | None, ref: FileRef, component: str, field: PinField) -> _Target:
    """The scalar node of the pin, reached through keys written in the file itself."""
    keys = ("components", component, *PIN_KEYS[field])
    missing_component = f"{_where(ref)} has no component `{component}`; add it by hand."
    if root is None:  # an empty file
        raise PinNotFound(ref, missing_component)
    counts = _reference_counts(root)
    node: Node = root
    key_node: ScalarNode | None = None
    flow = False
    for depth, key in enumerate(keys):
        here = ".".join(keys[:depth])
        if depth > 0 and counts.get(id(node), 0) > 1:
            raise _shared(ref, here, node)
        if not isinstance(node, MappingNode):
            if depth <= 1:  # the parser has refused a top level or `components` of another shape
                raise PinNotFound(ref, missing_component)
            raise PinNotFound(
                ref,
                f"`{here}` in {_where(ref)} has no `{'.'.join(keys[depth:])}` (it is {describe(node)}); "
                "the bot only changes pins that are already there, so add it by hand.",
                node_line(key_node) if key_node is not None else None,
            )
        flow = flow or bool(node.flow_style)
        found = _explicit(node, key)
        if found is None:
            if _merged_in(node, key):
                raise PinNotEditable(
                    ref,
                    f"`{'.'.join(keys[: depth + 1])}` in {_where(ref)} is inherited through `<<`, so "
                    "changing it would change other entries too; edit the file by hand.",
                    node_line(node),
                )
            if depth <= 1:
                raise PinNotFound(ref, missing_component, node_line(node) if depth else None)
            raise PinNotFound(
                ref,
                f"{_where(ref)} has no `{key}` under `{here}`; the bot only changes pins that are "
                "already there, so add it by hand.",
                node_line(key_node) if key_node is not None else None,
            )
        key_node, node = found
    assert key_node is not None
    return _Target(node=_editable_value(node, ref, ".".join(keys), counts), key=key_node, flow=flow)


def _editable_value(node: Node, ref: FileRef, dotted: str, counts: dict[int, int]) -> ScalarNode:
    """The pin's value node when the bot may change it: one unshared value written on one line."""
    if counts.get(id(node), 0) > 1:
        raise _shared(ref, dotted, node)
    if not isinstance(node, ScalarNode):
        raise PinNotEditable(
            ref,
            f"`{dotted}` in {_where(ref)} is {describe(node)}, not one value; the bot changes single "
            "values only, so edit it by hand.",
            node_line(node),
        )
    if node.style in ("|", ">"):
        raise PinNotEditable(
            ref,
            f"`{dotted}` in {_where(ref)} is written as a block scalar (`{node.style}`); "
            "write it on one line or edit it by hand.",
            node_line(node),
        )
    return node


# --------------------------------------------------------------------------------------------
# Rendering the new value
# --------------------------------------------------------------------------------------------

_YAML_11 = re.compile(r"\A(?:\ufeff)?(?:#[^\n]*\n|\s*\n)*%YAML\s+1\.1\b")


def _reads_back_plain(value: str, prefix: str, flow: bool, yaml_11: bool) -> bool:
    """Whether ``value`` written plain (after ``prefix``: an anchor or tag) reads back as exactly
    this string, plain, in a block or flow mapping."""
    body = f"{{k: {prefix}{value}}}\n" if flow else f"k: {prefix}{value}\n"
    document = f"%YAML 1.1\n---\n{body}" if yaml_11 else body
    try:
        root = YAML().compose(document)
    except YAMLError:
        return False
    if not isinstance(root, MappingNode) or len(root.value) != 1:
        return False
    node = root.value[0][1]
    return (
        isinstance(node, ScalarNode)
        and node.style is None
        and node.tag == _STR_TAG
        and node.value == value
        and not getattr(node, "comment", None)
    )


def _double_quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _single_quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _value_start(text: str, start: int, end: int) -> int:
    """Skip an anchor (``&v``) and a tag (``!!str``) written before the value itself."""
    index = start
    while index < end and text[index] in "&!":
        while index < end and not text[index].isspace():
            index += 1
        while index < end and text[index].isspace():
            index += 1
    return index


def _colon_after(text: str, key: ScalarNode) -> int | None:
    """The index just after the ``:`` that follows ``key``."""
    index = int(key.end_mark.index)
    while index < len(text) and text[index] in " \t":
        index += 1
    return index + 1 if index < len(text) and text[index] == ":" else None


def _splice(text: str, ref: FileRef, target: _Target, new_value: str) -> str:
    node = target.node
    start, end = int(node.start_mark.index), int(node.end_mark.index)
    yaml_11 = _YAML_11.match(text) is not None
    if start == end:  # an empty value (null): write it after the key's colon
        colon = _colon_after(text, target.key)
        if colon is None:
            raise PinNotEditable(
                ref,
                f"the empty value at line {node_line(node)} of {_where(ref)} has no `:`; edit it by hand.",
            )
        rendered = (
            new_value if _reads_back_plain(new_value, "", target.flow, yaml_11) else _double_quoted(new_value)
        )
        return f"{text[:colon]} {rendered}{text[colon:]}"
    value_start = _value_start(text, start, end)
    prefix = text[start:value_start]
    if node.style == "'":
        rendered = _single_quoted(new_value)
    elif node.style == '"':
        rendered = _double_quoted(new_value)
    elif _reads_back_plain(new_value, prefix, target.flow, yaml_11):
        rendered = new_value
    else:
        rendered = _double_quoted(new_value)
    return text[:value_start] + rendered + text[end:]


# --------------------------------------------------------------------------------------------
# The edit
# --------------------------------------------------------------------------------------------


def _check_new_value(field: PinField, new_value: str) -> None:
    if not new_value:
        raise UsageError(f"The new {field.value} is empty; give a value such as {_EXAMPLES[field]}.")
    if any(ch.isspace() or not ch.isprintable() for ch in new_value):
        raise UsageError(
            f"The new {field.value} `{_shown(new_value)}` contains spaces or control characters; "
            f"give a value such as {_EXAMPLES[field]}."
        )
    if field is PinField.BRANCH:
        check_ref_name(new_value)


_EXAMPLES = {
    PinField.CHART: "`3.2.2`",
    PinField.IMAGE: "`repo/name:tag`",
    PinField.BRANCH: "`release/0.2.106`",
}


def _shown(value: str) -> str:
    shown = "".join(ch if ch.isprintable() else "?" for ch in value).replace("`", "'")
    return shown if len(shown) <= 60 else shown[:59] + "…"


def _pin(pins: Pins, field: PinField) -> str | None:
    value: str | None = getattr(pins, _PIN_ATTRIBUTE[field])
    return value


def _with_pin(pins: Pins, field: PinField, value: str) -> Pins:
    return Pins(
        branch=value if field is PinField.BRANCH else pins.branch,
        chart_version=value if field is PinField.CHART else pins.chart_version,
        image=value if field is PinField.IMAGE else pins.image,
        extra=dict(pins.extra),
    )


def _same(left: Pins, right: Pins) -> bool:
    return (left.branch, left.chart_version, left.image, dict(left.extra)) == (
        right.branch,
        right.chart_version,
        right.image,
        dict(right.extra),
    )


def edit_pin(
    text: str, ref: FileRef, component: str, field: PinField, new_value: str
) -> tuple[str, str | None]:
    """``text`` with ``components.<component>``'s ``field`` set to ``new_value``, and the old value
    as written (None when it was empty/null).

    ``text`` is the file for ``field`` (:func:`pin_path`): ``chart_version`` in the helm config,
    ``image`` in the image config, ``repository.branch`` in the flux config. ``ref`` names it in
    messages. Raises :class:`ConfigFileError` for a file that cannot be read (or an edit that would
    change anything else), :class:`PinNotFound`, :class:`PinNotEditable`, :class:`PinUnchanged` (a
    UsageError) when the file already pins ``new_value``, :class:`UsageError` for a bad value, and
    :class:`tickets.InvalidTicket` for a branch git would refuse.
    """
    _check_new_value(field, new_value)
    parse = _PARSERS[field]
    before = parse(text, ref)  # refuses malformed files, wrong shapes and duplicate keys with a line
    target = _find(compose_document(text, ref), ref, component, field)
    old = value_text(target.node)
    if old == new_value:
        raise PinUnchanged(
            ref, f"{ref.branch} already pins {field.value} {new_value} for {component}.", new_value
        )

    new_text = _splice(text, ref, target, new_value)

    after = parse(new_text, ref)
    line = node_line(target.node)
    if set(after) != set(before):
        raise ConfigFileError(
            ref, f"changing the {field.value} of `{component}` would change the components", line
        )
    if _pin(after[component], field) != new_value:
        raise ConfigFileError(
            ref,
            f"after the edit the {field.value} of `{component}` would read "
            f"`{_pin(after[component], field)}` instead of `{new_value}`; edit the file by hand",
            line,
        )
    changed = sorted(
        name
        for name, pins in before.items()
        if not _same(after[name], _with_pin(pins, field, new_value) if name == component else pins)
    )
    if changed:
        raise ConfigFileError(
            ref,
            f"changing the {field.value} of `{component}` would also change {', '.join(changed)}; "
            "edit the file by hand",
            line,
        )
    return new_text, old


# --------------------------------------------------------------------------------------------
# Several pins of one component
# --------------------------------------------------------------------------------------------


def pins_by_file(pins: Iterable[PinChange]) -> dict[str, tuple[PinChange, ...]]:
    """The pins grouped by the core file holding them, files in the order their first pin comes:
    a hot-fix of several pins commits once per file."""
    grouped: dict[str, list[PinChange]] = {}
    for pin in pins:
        grouped.setdefault(pin.path, []).append(pin)
    return {path: tuple(group) for path, group in grouped.items()}


def apply_pins(text: str, ref: FileRef, component: str, pins: Sequence[PinChange]) -> str | None:
    """``text`` (the file every one of ``pins`` lives in) with each pin set to its new value, leaving
    out those it already pins: what a retried commit still has to do. None when nothing is left.

    Raises as :func:`edit_pin` does, except :class:`PinUnchanged`."""
    changed = False
    for pin in pins:
        try:
            text, _ = edit_pin(text, ref, component, pin.field, pin.new)
        except PinUnchanged:
            continue  # committed by an earlier attempt (or by hand): nothing to do for this one
        changed = True
    return text if changed else None
