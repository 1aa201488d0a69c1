"""Compose the core flux repository's YAML files into ruamel.yaml nodes and read them as written.

Under YAML 1.2 an unquoted ``1.10`` constructs as the float ``1.1`` and ``010`` as the integer
``10``, but people read versions as the text they wrote, so every core file parser composes the
node graph with ruamel.yaml (round-trip machinery) and reads each scalar's source text through the
helpers here instead of the constructed Python objects: an empty or comment-only file has no
documents, a YAML null (empty value, ``~``, ``null``) is ``None``, anchors, aliases and ``<<``
merge keys work with explicit keys winning over merged ones, a duplicate key anywhere (composing
does not check them) or malformed YAML raises :class:`ConfigFileError` with its line, and lists
and mappings render compactly (``[a, b]``, ``{k: v}``). No I/O: callers hand in each file's text.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from slackbot.domain.versions import ConfigFileError, FileRef

__all__ = [
    "MERGE_TAG",
    "NULL_TAG",
    "Entry",
    "compose_document",
    "compose_documents",
    "describe",
    "entries",
    "flatten",
    "is_null",
    "lookup",
    "node_line",
    "render",
    "require_mapping",
    "scalar_text",
    "text_at",
    "value_text",
]

NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"

Entry = tuple[str, int, Node]  # key text, 1-based line of the key, value node


def node_line(node: Node) -> int | None:
    """The 1-based line where ``node`` starts, None when it carries no mark."""
    mark: Any = getattr(node, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else None


def is_null(node: Node) -> bool:
    """Whether ``node`` is a YAML null: an empty value, ``~`` or ``null``."""
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG


def scalar_text(node: ScalarNode) -> str:
    """The scalar as written (without quotes); block scalars lose their trailing newlines."""
    text = str(node.value)
    if getattr(node, "style", None) in ("|", ">"):
        text = text.rstrip("\n")
    return text


def value_text(node: ScalarNode) -> str | None:
    """The scalar as written, None for a YAML null."""
    return None if is_null(node) else scalar_text(node)


def describe(node: Node) -> str:
    """A short phrase for messages: what was found instead of what was expected."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if is_null(node):
        return "nothing"
    return f"the single value `{render(node)}`"


def require_mapping(node: Node, ref: FileRef, expected: str, line: int | None = None) -> MappingNode:
    """``node`` when it is a mapping; else :class:`ConfigFileError`, ``expected`` and what was found.

    The error names ``line``, or the node's own line when none is given.
    """
    if not isinstance(node, MappingNode):
        raise ConfigFileError(
            ref, f"{expected}, found {describe(node)}", node_line(node) if line is None else line
        )
    return node


def render(node: Node, _stack: frozenset[int] = frozenset()) -> str:
    """Compact text for any node: scalars as written, ``[a, b]`` for lists, ``{k: v}`` for maps."""
    if isinstance(node, ScalarNode):
        return scalar_text(node)
    if id(node) in _stack:  # a recursive alias: show it rather than loop
        anchor = getattr(node, "anchor", None)
        return f"*{anchor}" if anchor else "..."
    inner = _stack | {id(node)}
    if isinstance(node, SequenceNode):
        return "[" + ", ".join(render(item, inner) for item in node.value) + "]"
    if isinstance(node, MappingNode):
        pairs = (f"{render(k, inner)}: {render(v, inner)}" for k, v in node.value)
        return "{" + ", ".join(pairs) + "}"
    return str(getattr(node, "value", ""))


def entries(node: MappingNode, ref: FileRef) -> list[Entry]:
    """The mapping's entries in file order, ``<<`` merges resolved, duplicate keys rejected."""
    explicit: list[Entry] = []
    first_line: dict[str, int] = {}
    merged: list[Entry] = []
    for key_node, value_node in node.value:
        line = node_line(key_node) or 0
        if isinstance(key_node, ScalarNode) and key_node.tag == MERGE_TAG:
            merged.extend(_merge_sources(value_node, ref, line))
            continue
        key = render(key_node)
        if key in first_line:
            raise ConfigFileError(
                ref,
                f"duplicate key '{key}' (first at line {first_line[key]}); remove or rename one of them",
                line,
            )
        first_line[key] = line
        explicit.append((key, line, value_node))
    for key, line, value_node in merged:
        if key not in first_line:  # explicit keys and earlier merge sources win
            first_line[key] = line
            explicit.append((key, line, value_node))
    return explicit


def _merge_sources(value: Node, ref: FileRef, line: int) -> list[Entry]:
    sources = value.value if isinstance(value, SequenceNode) else [value]
    found: list[Entry] = []
    for source in sources:
        mapping = require_mapping(source, ref, "`<<` should merge a mapping (like `<<: *defaults`)", line)
        found.extend(entries(mapping, ref))
    return found


def _check_duplicates(root: Node, ref: FileRef) -> None:
    """Walk the whole document once so a duplicate key anywhere is reported."""
    seen: set[int] = set()
    pending: list[Node] = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            entries(node, ref)
            for key_node, value_node in node.value:
                pending.extend((key_node, value_node))
        elif isinstance(node, SequenceNode):
            pending.extend(node.value)


def compose_documents(text: str, ref: FileRef) -> list[Node]:
    """Every non-empty document of the file, checked for duplicate keys."""
    yaml = YAML()  # round-trip, YAML 1.2; one instance per call keeps this thread-safe
    try:
        nodes: list[Node] = list(yaml.compose_all(text))
    except MarkedYAMLError as exc:
        mark: Any = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else None
        problem = exc.problem or exc.context or "unreadable"
        raise ConfigFileError(
            ref, f"not valid YAML: {problem}; check the indentation and quoting", line
        ) from exc
    except ReaderError as exc:
        position = exc.position if isinstance(exc.position, int) else None
        line = text.count("\n", 0, position) + 1 if position is not None else None
        raise ConfigFileError(
            ref, f"not valid YAML: {exc.reason}; remove the special character", line
        ) from exc
    except YAMLError as exc:
        raise ConfigFileError(ref, f"not valid YAML: {exc}") from exc
    documents = [node for node in nodes if not is_null(node)]
    for document in documents:
        _check_duplicates(document, ref)
    return documents


def compose_document(text: str, ref: FileRef) -> Node | None:
    """The file's only document, None for an empty file; more than one document is an error."""
    documents = compose_documents(text, ref)
    if len(documents) > 1:
        raise ConfigFileError(
            ref,
            "found more than one YAML document; keep a single `components:` mapping in this file",
            node_line(documents[1]),
        )
    return documents[0] if documents else None


def lookup(node: Node | None, ref: FileRef, *path: str) -> Node | None:
    """Follow mapping keys; None when a key is missing or a step is not a mapping."""
    for key in path:
        if not isinstance(node, MappingNode):
            return None
        node = next((value for name, _, value in entries(node, ref) if name == key), None)
    return node


def text_at(node: Node | None, ref: FileRef, *path: str) -> str | None:
    """The scalar text at ``path``; None for missing, null or non-scalar values."""
    found = lookup(node, ref, *path)
    if isinstance(found, ScalarNode) and not is_null(found):
        return scalar_text(found)
    return None


def flatten(
    prefix: str, node: Node, ref: FileRef, out: dict[str, Node], _stack: frozenset[int] = frozenset()
) -> None:
    """Leaves below a component by dotted key; lists and empty/recursive mappings are leaves."""
    if isinstance(node, MappingNode) and node.value and id(node) not in _stack:
        inner = _stack | {id(node)}
        for key, _, value in entries(node, ref):
            flatten(f"{prefix}.{key}" if prefix else key, value, ref, out, inner)
    else:
        out[prefix] = node
