"""Read the legacy layout of the core flux repository, ``core/deployment-config.yaml``: a ConfigMap
whose ``data:`` holds flat keys such as ``jupyter_branch``, ``jupyter_chart_version`` and
``jupyter_image``, giving pins by the SHORT name the file spells (``jupyter``), values read as
written (see :mod:`slackbot.domain.yaml_nodes`); a document that is not a mapping, or a ``data``
that is not one, raises :class:`ConfigFileError` naming what to fix. No I/O: callers hand in the
file's text.
"""

from __future__ import annotations

from collections.abc import Iterator

from ruamel.yaml.nodes import ScalarNode

from slackbot.domain import yaml_nodes as nodes
from slackbot.domain.versions import ConfigFileError, FileRef, Pins

__all__ = ["legacy_unmatched_keys", "parse_legacy_config"]

# Suffixes of the legacy ConfigMap's flat keys, longest first, and the Pins field each one fills.
_LEGACY_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_chart_version", "chart_version"),
    ("_branch", "branch"),
    ("_image", "image"),
)


def _legacy_data(text: str, ref: FileRef) -> Iterator[nodes.Entry]:
    """The ``data:`` entries of every ConfigMap document (documents without ``kind`` count too)."""
    documents = nodes.compose_documents(text, ref)
    found_data = False
    for document in documents:
        nodes.require_mapping(document, ref, "expected a ConfigMap with a `data:` mapping")
        kind = nodes.text_at(document, ref, "kind")
        if kind is not None and kind != "ConfigMap":
            continue
        data = nodes.lookup(document, ref, "data")
        if data is None:
            continue
        found_data = True
        if nodes.is_null(data):
            continue
        mapping = nodes.require_mapping(data, ref, "`data` should be a mapping of keys like `jupyter_branch`")
        yield from nodes.entries(mapping, ref)
    if documents and not found_data:
        raise ConfigFileError(
            ref,
            "no ConfigMap `data:` section; expected keys like `jupyter_branch: release/0.2.69` under `data:`",
            nodes.node_line(documents[0]),
        )


def _legacy_split(key: str) -> tuple[str, str] | None:
    """``jupyter_chart_version`` -> (``jupyter``, ``chart_version``); None when no suffix fits."""
    for suffix, pin in _LEGACY_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)], pin
    return None


def parse_legacy_config(text: str, ref: FileRef) -> dict[str, Pins]:
    """The legacy ConfigMap's flat keys by SHORT name (``jupyter``), as the file spells it.

    ``<short>_branch``, ``<short>_chart_version`` and ``<short>_image`` fill the matching pin;
    a list or mapping value is kept in ``extra`` under the pin's name instead. Data keys that
    match none of the suffixes are not pins of any component: they are ignored here and can be
    read with :func:`legacy_unmatched_keys`. Mapping short names to components is
    :func:`~slackbot.domain.core_files.assemble_environment`'s job, because it needs the
    configured aliases.
    """
    fields: dict[str, dict[str, str | None]] = {}
    extras: dict[str, dict[str, str]] = {}
    for key, _, value in _legacy_data(text, ref):
        split = _legacy_split(key)
        if split is None:
            continue
        short, pin = split
        fields.setdefault(short, {})
        extras.setdefault(short, {})
        if isinstance(value, ScalarNode):
            fields[short][pin] = nodes.value_text(value)
        else:
            extras[short][pin] = nodes.render(value)
    return {
        short: Pins(
            branch=values.get("branch"),
            chart_version=values.get("chart_version"),
            image=values.get("image"),
            extra=extras[short],
        )
        for short, values in fields.items()
    }


def legacy_unmatched_keys(text: str, ref: FileRef) -> dict[str, str]:
    """Data keys of the legacy ConfigMap that name no pin, with their values as written.

    Useful for ``check-config`` style diagnostics; :func:`parse_legacy_config` ignores them.
    """
    return {
        key: nodes.render(value) for key, _, value in _legacy_data(text, ref) if _legacy_split(key) is None
    }
