"""Read the core flux repository's configuration files into pins.

Why a node walker: under YAML 1.2 an unquoted ``1.10`` constructs as the float ``1.1`` and ``010``
as the integer ``10``. People read versions as the text they wrote, so every parser here composes
the node graph with ruamel.yaml (round-trip machinery) and takes each scalar's source text instead
of the constructed Python objects. Composing does not check duplicate keys, so the walker does.

Shapes and their treatment (the same in every parser):

- an empty file, or one holding only comments, gives an empty result;
- a YAML null (empty value, ``~``, ``null``) is ``None``;
- anchors, aliases and ``<<`` merge keys work; explicit keys win over merged ones;
- a wrong shape where a mapping is required (the top level, ``components``, one component,
  a ConfigMap's ``data``) raises :class:`ConfigFileError` naming what to fix;
- below a component nothing raises: keys other than the file's own pin go to ``Pins.extra``
  flattened with dots, lists and mappings rendered compactly (``[a, b]``, ``{k: v}``); a pin whose
  value is a list or mapping is not used as the pin and its compact text is kept in ``extra``.

No I/O: callers hand in the text of each file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from slackbot.domain.versions import (
    ComponentVersions,
    ConfigFileError,
    CoreChart,
    EnvironmentVersions,
    FileRef,
    Pins,
)

__all__ = [
    "ComponentSpec",
    "CorePaths",
    "assemble_environment",
    "legacy_unmatched_keys",
    "parse_flux_config",
    "parse_helm_config",
    "parse_helm_releases",
    "parse_image_config",
    "parse_legacy_config",
]

_NULL_TAG = "tag:yaml.org,2002:null"
_MERGE_TAG = "tag:yaml.org,2002:merge"

# Suffixes of the legacy ConfigMap's flat keys, longest first, and the Pins field each one fills.
_LEGACY_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_chart_version", "chart_version"),
    ("_branch", "branch"),
    ("_image", "image"),
)


@dataclass(frozen=True)
class CorePaths:
    """Where the core configuration files live on an environment branch."""

    flux: str = "core/flux-config.yaml"
    helm: str = "core/helm-config.yaml"
    image: str = "core/image-config.yaml"
    releases: tuple[str, ...] = ("core/release.yaml", "core/release-namespaces.yaml")
    legacy: str = "core/deployment-config.yaml"

    def all(self) -> tuple[str, ...]:
        """Every path once, flux first, so a caller can fetch them all in one go."""
        ordered = (self.flux, self.helm, self.image, *self.releases, self.legacy)
        return tuple(dict.fromkeys(ordered))


@dataclass(frozen=True)
class ComponentSpec:
    """One configured component (from the bot's YAML config)."""

    name: str
    repository: str | None = None  # "owner/name" of its own flux repository
    aliases: tuple[str, ...] = ()
    flux_name: str | None = None  # name of its Flux GitRepository/Kustomization in clusters


DEFAULT_CORE_PATHS = CorePaths()

# --------------------------------------------------------------------------------------------
# Node helpers
# --------------------------------------------------------------------------------------------

_Entry = tuple[str, int, Node]  # key text, 1-based line of the key, value node


def _line(node: Node) -> int | None:
    mark: Any = getattr(node, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else None


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL_TAG


def _scalar_text(node: ScalarNode) -> str:
    """The scalar as written (without quotes); block scalars lose their trailing newlines."""
    text = str(node.value)
    if getattr(node, "style", None) in ("|", ">"):
        text = text.rstrip("\n")
    return text


def _describe(node: Node) -> str:
    """A short phrase for messages: what was found instead of what was expected."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if _is_null(node):
        return "nothing"
    return f"the single value `{_render(node)}`"


def _render(node: Node, _stack: frozenset[int] = frozenset()) -> str:
    """Compact text for any node: scalars as written, ``[a, b]`` for lists, ``{k: v}`` for maps."""
    if isinstance(node, ScalarNode):
        return _scalar_text(node)
    if id(node) in _stack:  # a recursive alias: show it rather than loop
        anchor = getattr(node, "anchor", None)
        return f"*{anchor}" if anchor else "..."
    inner = _stack | {id(node)}
    if isinstance(node, SequenceNode):
        return "[" + ", ".join(_render(item, inner) for item in node.value) + "]"
    if isinstance(node, MappingNode):
        pairs = (f"{_render(k, inner)}: {_render(v, inner)}" for k, v in node.value)
        return "{" + ", ".join(pairs) + "}"
    return str(getattr(node, "value", ""))


def _entries(node: MappingNode, ref: FileRef) -> list[_Entry]:
    """The mapping's entries in file order, ``<<`` merges resolved, duplicate keys rejected."""
    explicit: list[_Entry] = []
    first_line: dict[str, int] = {}
    merged: list[_Entry] = []
    for key_node, value_node in node.value:
        line = _line(key_node) or 0
        if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE_TAG:
            merged.extend(_merge_sources(value_node, ref, line))
            continue
        key = _render(key_node)
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


def _merge_sources(value: Node, ref: FileRef, line: int) -> list[_Entry]:
    sources = value.value if isinstance(value, SequenceNode) else [value]
    found: list[_Entry] = []
    for source in sources:
        if not isinstance(source, MappingNode):
            raise ConfigFileError(
                ref, f"`<<` should merge a mapping (like `<<: *defaults`), found {_describe(source)}", line
            )
        found.extend(_entries(source, ref))
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
            _entries(node, ref)
            for key_node, value_node in node.value:
                pending.extend((key_node, value_node))
        elif isinstance(node, SequenceNode):
            pending.extend(node.value)


def _documents(text: str, ref: FileRef) -> list[Node]:
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
    documents = [node for node in nodes if not _is_null(node)]
    for document in documents:
        _check_duplicates(document, ref)
    return documents


def _single_document(text: str, ref: FileRef) -> Node | None:
    documents = _documents(text, ref)
    if len(documents) > 1:
        raise ConfigFileError(
            ref,
            "found more than one YAML document; keep a single `components:` mapping in this file",
            _line(documents[1]),
        )
    return documents[0] if documents else None


def _lookup(node: Node | None, ref: FileRef, *path: str) -> Node | None:
    """Follow mapping keys; None when a key is missing or a step is not a mapping."""
    for key in path:
        if not isinstance(node, MappingNode):
            return None
        node = next((value for name, _, value in _entries(node, ref) if name == key), None)
    return node


def _text_at(node: Node | None, ref: FileRef, *path: str) -> str | None:
    """The scalar text at ``path``; None for missing, null or non-scalar values."""
    found = _lookup(node, ref, *path)
    if isinstance(found, ScalarNode) and not _is_null(found):
        return _scalar_text(found)
    return None


def _flatten(
    prefix: str, node: Node, ref: FileRef, out: dict[str, Node], _stack: frozenset[int] = frozenset()
) -> None:
    """Leaves below a component by dotted key; lists and empty/recursive mappings are leaves."""
    if isinstance(node, MappingNode) and node.value and id(node) not in _stack:
        inner = _stack | {id(node)}
        for key, _, value in _entries(node, ref):
            _flatten(f"{prefix}.{key}" if prefix else key, value, ref, out, inner)
    else:
        out[prefix] = node


# --------------------------------------------------------------------------------------------
# The split layout: core/{flux,helm,image}-config.yaml
# --------------------------------------------------------------------------------------------

_PinsReader = Callable[[Node, FileRef], Pins]


def _parse_components(text: str, ref: FileRef, read: _PinsReader) -> dict[str, Pins]:
    """Walk ``components.<name>`` and let ``read`` turn each component's mapping into Pins."""
    root = _single_document(text, ref)
    if root is None:
        return {}
    if not isinstance(root, MappingNode):
        raise ConfigFileError(
            ref,
            f"the file should be a mapping starting with `components:`, found {_describe(root)}",
            _line(root),
        )
    components = next((value for key, _, value in _entries(root, ref) if key == "components"), None)
    if components is None:
        raise ConfigFileError(
            ref, "no top-level `components:` key; put each component under `components:`", _line(root)
        )
    if _is_null(components):  # every component commented out
        return {}
    if not isinstance(components, MappingNode):
        raise ConfigFileError(
            ref,
            f"`components` should be a mapping of component names, found {_describe(components)}",
            _line(components),
        )
    result: dict[str, Pins] = {}
    for name, line, value in _entries(components, ref):
        if _is_null(value):
            result[name] = Pins()
        elif isinstance(value, MappingNode):
            result[name] = read(value, ref)
        else:
            raise ConfigFileError(
                ref,
                f"component `{name}` should be a mapping of settings, found {_describe(value)}",
                line,
            )
    return result


def _split_pin(component: Node, ref: FileRef, pin_key: str) -> tuple[str | None, dict[str, str]]:
    """The pin at dotted ``pin_key`` (when it is a single value) and every other leaf as extra."""
    leaves: dict[str, Node] = {}
    _flatten("", component, ref, leaves)
    pin: str | None = None
    extra: dict[str, str] = {}
    for key, node in leaves.items():
        if key == pin_key and isinstance(node, ScalarNode):
            pin = None if _is_null(node) else _scalar_text(node)
        else:
            extra[key] = _render(node)
    return pin, extra


def _read_flux(component: Node, ref: FileRef) -> Pins:
    branch, extra = _split_pin(component, ref, "repository.branch")
    return Pins(branch=branch, extra=extra)


def _read_helm(component: Node, ref: FileRef) -> Pins:
    chart_version, extra = _split_pin(component, ref, "chart_version")
    return Pins(chart_version=chart_version, extra=extra)


def _read_image(component: Node, ref: FileRef) -> Pins:
    image, extra = _split_pin(component, ref, "image")
    image_node = _lookup(component, ref, "image")
    if isinstance(image_node, MappingNode):
        repository = _text_at(image_node, ref, "repository")
        tag = _text_at(image_node, ref, "tag")
        if repository is not None and tag is not None:
            registry = _text_at(image_node, ref, "registry")
            image = f"{registry}/{repository}:{tag}" if registry else f"{repository}:{tag}"
            for used in ("repository", "tag", "registry"):
                extra.pop(f"image.{used}", None)
    return Pins(image=image, extra=extra)


def parse_flux_config(text: str, ref: FileRef) -> dict[str, Pins]:
    """``components.<name>.repository.branch`` -> ``Pins.branch``, other keys into ``extra``."""
    return _parse_components(text, ref, _read_flux)


def parse_helm_config(text: str, ref: FileRef) -> dict[str, Pins]:
    """``components.<name>.chart_version`` -> ``Pins.chart_version``, other keys into ``extra``."""
    return _parse_components(text, ref, _read_helm)


def parse_image_config(text: str, ref: FileRef) -> dict[str, Pins]:
    """``components.<name>.image`` -> ``Pins.image``, other keys into ``extra``.

    An image written as a mapping with both ``repository`` and ``tag`` becomes ``repository:tag``
    (``registry/repository:tag`` when a ``registry`` is given too); its other keys stay in
    ``extra`` as ``image.<key>``. Without both parts ``image`` is None and every part is kept in
    ``extra`` (``image.repository``, ...).
    """
    return _parse_components(text, ref, _read_image)


# --------------------------------------------------------------------------------------------
# Core charts: core/release*.yaml
# --------------------------------------------------------------------------------------------


def parse_helm_releases(text: str, ref: FileRef) -> list[CoreChart]:
    """Every ``kind: HelmRelease`` document, in file order; other kinds are ignored.

    ``chart`` and ``version`` come from ``spec.chart.spec`` and are None when absent (a release
    using ``chartRef`` has neither). A HelmRelease without ``metadata.name`` is an error.
    """
    charts: list[CoreChart] = []
    for document in _documents(text, ref):
        if _text_at(document, ref, "kind") != "HelmRelease":
            continue
        name = _text_at(document, ref, "metadata", "name")
        if name is None:
            raise ConfigFileError(
                ref, "this HelmRelease has no `metadata.name`; give it a name", _line(document)
            )
        charts.append(
            CoreChart(
                name=name,
                chart=_text_at(document, ref, "spec", "chart", "spec", "chart"),
                version=_text_at(document, ref, "spec", "chart", "spec", "version"),
                path=ref.path,
            )
        )
    return charts


# --------------------------------------------------------------------------------------------
# The legacy layout: core/deployment-config.yaml, a ConfigMap of flat keys
# --------------------------------------------------------------------------------------------


def _legacy_data(text: str, ref: FileRef) -> Iterator[_Entry]:
    """The ``data:`` entries of every ConfigMap document (documents without ``kind`` count too)."""
    documents = _documents(text, ref)
    found_data = False
    for document in documents:
        if not isinstance(document, MappingNode):
            raise ConfigFileError(
                ref,
                f"expected a ConfigMap with a `data:` mapping, found {_describe(document)}",
                _line(document),
            )
        kind = _text_at(document, ref, "kind")
        if kind is not None and kind != "ConfigMap":
            continue
        data = _lookup(document, ref, "data")
        if data is None:
            continue
        found_data = True
        if _is_null(data):
            continue
        if not isinstance(data, MappingNode):
            raise ConfigFileError(
                ref,
                f"`data` should be a mapping of keys like `jupyter_branch`, found {_describe(data)}",
                _line(data),
            )
        yield from _entries(data, ref)
    if documents and not found_data:
        raise ConfigFileError(
            ref,
            "no ConfigMap `data:` section; expected keys like `jupyter_branch: release/0.2.69` under `data:`",
            _line(documents[0]),
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
    :func:`assemble_environment`'s job, because it needs the configured aliases.
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
            fields[short][pin] = None if _is_null(value) else _scalar_text(value)
        else:
            extras[short][pin] = _render(value)
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
    return {key: _render(value) for key, _, value in _legacy_data(text, ref) if _legacy_split(key) is None}


# --------------------------------------------------------------------------------------------
# One environment
# --------------------------------------------------------------------------------------------


def _configured_name(name: str, catalog: Mapping[str, ComponentSpec]) -> str | None:
    """The catalog key for ``name``: exact, else the one key equal ignoring case."""
    if name in catalog:
        return name
    matches = [key for key in catalog if key.casefold() == name.casefold()]
    return matches[0] if len(matches) == 1 else None


def _legacy_component(short: str, catalog: Mapping[str, ComponentSpec]) -> str:
    """A legacy short name's component: its key, else the one component with that alias."""
    key = _configured_name(short, catalog)
    if key is not None:
        return key
    folded = short.casefold()
    owners = [name for name, spec in catalog.items() if any(a.casefold() == folded for a in spec.aliases)]
    return owners[0] if len(owners) == 1 else short


def _parse_into(
    parse: Callable[[str, FileRef], dict[str, Pins]],
    text: str,
    ref: FileRef,
    problems: list[ConfigFileError],
) -> dict[str, Pins]:
    try:
        return parse(text, ref)
    except ConfigFileError as error:
        problems.append(error)
        return {}


def assemble_environment(
    *,
    environment: str,
    repository: str,
    branch: str,
    commit: str,
    files: Mapping[str, str | None],
    catalog: Mapping[str, ComponentSpec],
    paths: CorePaths = DEFAULT_CORE_PATHS,
) -> EnvironmentVersions:
    """Combine one environment branch's files into what it runs.

    Each file is parsed on its own: a broken file becomes an entry in ``problems`` and the
    others still answer. ``files`` maps path -> text (None or absent when the file does not
    exist). Configured components that no file mentions are not listed.
    """

    def ref(path: str) -> FileRef:
        return FileRef(repository=repository, branch=branch, path=path)

    problems: list[ConfigFileError] = []
    pins: dict[str, Pins] = {}

    def add(name: str, found: Pins) -> None:
        pins[name] = pins[name].merged_with(found) if name in pins else found

    split_files = (
        (paths.flux, parse_flux_config),
        (paths.helm, parse_helm_config),
        (paths.image, parse_image_config),
    )
    legacy_text = files.get(paths.legacy)
    if any(files.get(path) is not None for path, _ in split_files):
        layout = "split"
        for path, parse in split_files:
            text = files.get(path)
            if text is not None:
                for name, found in _parse_into(parse, text, ref(path), problems).items():
                    add(name, found)
    elif legacy_text is not None:
        layout = "legacy"
        for short, found in _parse_into(
            parse_legacy_config, legacy_text, ref(paths.legacy), problems
        ).items():
            add(_legacy_component(short, catalog), found)
    else:
        layout = "missing"
        looked_for = ", ".join((paths.flux, paths.helm, paths.image, paths.legacy))
        problems.append(
            ConfigFileError(
                ref(paths.flux),
                f"none of the core configuration files exist on this branch (looked for {looked_for})",
            )
        )

    core_charts: list[CoreChart] = []
    for path in dict.fromkeys(paths.releases):
        text = files.get(path)
        if text is None:
            continue
        try:
            core_charts.extend(parse_helm_releases(text, ref(path)))
        except ConfigFileError as error:
            problems.append(error)

    components = []
    for name in sorted(pins):
        found = pins[name]
        configured = _configured_name(name, catalog)
        components.append(
            ComponentVersions(
                name=name,
                repository=catalog[configured].repository if configured is not None else None,
                branch=found.branch,
                chart_version=found.chart_version,
                image=found.image,
                extra=dict(found.extra),
            )
        )
    return EnvironmentVersions(
        environment=environment,
        repository=repository,
        branch=branch,
        commit=commit,
        layout=layout,
        components=tuple(components),
        core_charts=tuple(core_charts),
        problems=tuple(problems),
    )
