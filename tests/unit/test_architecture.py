"""The shape of the package, kept honest: which layer may import which, and how big a piece may grow.

Ports and adapters: the domain is pure; services talk to ports, never to an adapter, Slack or the
sandbox; adapters never reach into the Slack entry layer; production code never needs the sandbox.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "slackbot"
MAX_MODULE_LINES = 500
MAX_CLASS_LINES = 400
MAX_FUNCTION_LINES = 60
# The only commands allowed to bring the sandbox in: they run it.
SANDBOX_COMMANDS = {"demo", "sandbox_github"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")


def _imports(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """Every module imported, with the node that imports it."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node


def _imported_by(layer: str) -> list[tuple[str, str]]:
    found = []
    for path in _modules():
        module = _name(path)
        if module == layer or module.startswith(layer + "."):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found += [(module, imported) for imported, _ in _imports(tree)]
    return found


def _top(name: str) -> str:
    return name.split(".", maxsplit=1)[0]


def test_the_domain_imports_only_the_standard_library_ruamel_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"ruamel", "__future__"}
    strays = [
        (module, imported)
        for module, imported in _imported_by("slackbot.domain")
        if _top(imported) not in allowed and not imported.startswith("slackbot.domain")
    ]
    assert strays == []


@pytest.mark.parametrize(
    "forbidden",
    [
        "slackbot.adapters",
        "slackbot.slack",
        "slackbot.sandbox",
        "slack_sdk",
        "slack_bolt",
        "github",
        "sqlalchemy",
    ],
)
def test_services_talk_to_ports_not_to_adapters_slack_or_the_sandbox(forbidden: str) -> None:
    strays = [
        (module, imported)
        for module, imported in _imported_by("slackbot.services")
        if imported == forbidden or imported.startswith(forbidden + ".")
    ]
    assert strays == []


def test_no_adapter_reaches_into_the_slack_entry_layer() -> None:
    strays = [(m, i) for m, i in _imported_by("slackbot.adapters") if i.startswith("slackbot.slack")]
    assert strays == []


def test_production_code_does_not_import_the_sandbox() -> None:
    strays = []
    for path in _modules():
        module = _name(path)
        if module.startswith("slackbot.sandbox"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed_nodes = {
            id(node)
            for function in ast.walk(tree)
            if isinstance(function, ast.FunctionDef) and function.name in SANDBOX_COMMANDS
            for node in ast.walk(function)
        }
        strays += [
            (module, imported)
            for imported, node in _imports(tree)
            if imported.startswith("slackbot.sandbox") and id(node) not in allowed_nodes
        ]
    assert strays == []


def test_no_module_class_or_function_grows_past_what_a_newcomer_can_hold() -> None:
    too_big = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            too_big.append(f"{_name(path)}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                limit = MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else MAX_FUNCTION_LINES
                if size > limit:
                    too_big.append(f"{_name(path)}.{node.name}: {size} lines")
    assert too_big == []
