"""Read the split layout of the core flux repository (``core/flux-config.yaml``,
``core/helm-config.yaml``, ``core/image-config.yaml``) into pins, and assemble one environment
branch's files (split or legacy config, plus the core HelmReleases) into an
:class:`EnvironmentVersions`; values are read as written (see :mod:`slackbot.domain.yaml_nodes`).
A wrong shape where a mapping is required (the top level, ``components``, one component) raises
:class:`ConfigFileError` naming what to fix; below a component nothing raises: keys other than the
file's own pin go to ``Pins.extra`` flattened with dots, lists and mappings rendered compactly, and
a pin whose value is a list or mapping is kept in ``extra`` instead of used. The legacy and
HelmRelease parsers are re-exported, so every core file parser can be imported from here. No I/O:
callers hand in the text of each file (or an ``UnreadableFile`` saying why it has none).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from slackbot.domain.helm_releases import parse_helm_releases
from slackbot.domain.legacy_files import legacy_unmatched_keys, parse_legacy_config
from slackbot.domain.versions import (
    ComponentVersions,
    ConfigFileError,
    CoreChart,
    EnvironmentVersions,
    FileRef,
    Layout,
    Pins,
    UnreadableFile,
)
from slackbot.domain.yaml_nodes import (
    compose_document,
    entries,
    flatten,
    is_null,
    lookup,
    node_line,
    render,
    require_mapping,
    text_at,
    value_text,
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
# The split layout: core/{flux,helm,image}-config.yaml
# --------------------------------------------------------------------------------------------

_PinsReader = Callable[[Node, FileRef], Pins]
_ComponentsParser = Callable[[str, FileRef], dict[str, Pins]]


def _components_node(text: str, ref: FileRef) -> MappingNode | None:
    """The file's ``components:`` mapping; None for an empty file or when it is null."""
    root = compose_document(text, ref)
    if root is None:
        return None
    require_mapping(root, ref, "the file should be a mapping starting with `components:`")
    components = lookup(root, ref, "components")
    if components is None:
        raise ConfigFileError(
            ref, "no top-level `components:` key; put each component under `components:`", node_line(root)
        )
    if is_null(components):  # every component commented out
        return None
    return require_mapping(components, ref, "`components` should be a mapping of component names")


def _parse_components(text: str, ref: FileRef, read: _PinsReader) -> dict[str, Pins]:
    """Walk ``components.<name>`` and let ``read`` turn each component's mapping into Pins."""
    components = _components_node(text, ref)
    if components is None:
        return {}
    result: dict[str, Pins] = {}
    for name, line, value in entries(components, ref):
        if is_null(value):
            result[name] = Pins()
        else:
            expected = f"component `{name}` should be a mapping of settings"
            result[name] = read(require_mapping(value, ref, expected, line), ref)
    return result


def _split_pin(component: Node, ref: FileRef, pin_key: str) -> tuple[str | None, dict[str, str]]:
    """The pin at dotted ``pin_key`` (when it is a single value) and every other leaf as extra."""
    leaves: dict[str, Node] = {}
    flatten("", component, ref, leaves)
    pin: str | None = None
    extra: dict[str, str] = {}
    for key, node in leaves.items():
        if key == pin_key and isinstance(node, ScalarNode):
            pin = value_text(node)
        else:
            extra[key] = render(node)
    return pin, extra


def _read_flux(component: Node, ref: FileRef) -> Pins:
    branch, extra = _split_pin(component, ref, "repository.branch")
    return Pins(branch=branch, extra=extra)


def _read_helm(component: Node, ref: FileRef) -> Pins:
    chart_version, extra = _split_pin(component, ref, "chart_version")
    return Pins(chart_version=chart_version, extra=extra)


def _read_image(component: Node, ref: FileRef) -> Pins:
    image, extra = _split_pin(component, ref, "image")
    image_node = lookup(component, ref, "image")
    if isinstance(image_node, MappingNode):
        repository = text_at(image_node, ref, "repository")
        tag = text_at(image_node, ref, "tag")
        if repository is not None and tag is not None:
            registry = text_at(image_node, ref, "registry")
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
# One environment
# --------------------------------------------------------------------------------------------

_Parsed = TypeVar("_Parsed")


@dataclass
class _BranchFiles:
    """One environment branch's files while they are read; each broken file becomes a problem."""

    repository: str
    branch: str
    files: Mapping[str, str | UnreadableFile | None]
    problems: list[ConfigFileError] = field(default_factory=list)

    def ref(self, path: str) -> FileRef:
        return FileRef(repository=self.repository, branch=self.branch, path=path)

    def exists(self, path: str) -> bool:
        return self.files.get(path) is not None

    def parse(self, path: str, parse: Callable[[str, FileRef], _Parsed]) -> _Parsed | None:
        """``parse`` of the file at ``path``; None when it does not exist or cannot be read."""
        text = self.files.get(path)
        if text is None:
            return None
        if isinstance(text, UnreadableFile):  # there, but without text: say why, read the rest
            self.problems.append(ConfigFileError(self.ref(path), text.reason))
            return None
        try:
            return parse(text, self.ref(path))
        except ConfigFileError as error:
            self.problems.append(error)
            return None


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


def _add_pins(pins: dict[str, Pins], name: str, found: Pins) -> None:
    """Record ``found`` for ``name``; pins already recorded win, ``found`` fills their gaps."""
    pins[name] = pins[name].merged_with(found) if name in pins else found


def _read_pins(
    source: _BranchFiles, catalog: Mapping[str, ComponentSpec], paths: CorePaths
) -> tuple[Layout, dict[str, Pins]]:
    """The branch's layout and its pins by component: the split files when any exists, else the
    legacy ConfigMap (short names mapped to components), else none and a problem saying so."""
    split_files: tuple[tuple[str, _ComponentsParser], ...] = (
        (paths.flux, parse_flux_config),
        (paths.helm, parse_helm_config),
        (paths.image, parse_image_config),
    )
    pins: dict[str, Pins] = {}
    if any(source.exists(path) for path, _ in split_files):
        for path, parse in split_files:
            for name, found in (source.parse(path, parse) or {}).items():
                _add_pins(pins, name, found)
        return Layout.SPLIT, pins
    if source.exists(paths.legacy):
        for short, found in (source.parse(paths.legacy, parse_legacy_config) or {}).items():
            _add_pins(pins, _legacy_component(short, catalog), found)
        return Layout.LEGACY, pins
    looked_for = ", ".join((paths.flux, paths.helm, paths.image, paths.legacy))
    source.problems.append(
        ConfigFileError(
            source.ref(paths.flux),
            f"none of the core configuration files exist on this branch (looked for {looked_for})",
        )
    )
    return Layout.MISSING, pins


def _read_core_charts(source: _BranchFiles, paths: CorePaths) -> list[CoreChart]:
    """The HelmReleases of every release file that exists, each path once, in order."""
    charts: list[CoreChart] = []
    for path in dict.fromkeys(paths.releases):
        charts.extend(source.parse(path, parse_helm_releases) or ())
    return charts


def _component_versions(
    pins: Mapping[str, Pins], catalog: Mapping[str, ComponentSpec]
) -> tuple[ComponentVersions, ...]:
    """Each component's pins by name, with its own repository when the catalog configures it."""
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
    return tuple(components)


def assemble_environment(
    *,
    environment: str,
    repository: str,
    branch: str,
    commit: str,
    files: Mapping[str, str | UnreadableFile | None],
    catalog: Mapping[str, ComponentSpec],
    paths: CorePaths = DEFAULT_CORE_PATHS,
) -> EnvironmentVersions:
    """Combine one environment branch's files into what it runs.

    Each file is parsed on its own: a broken file (or one without text, an
    :class:`UnreadableFile`) becomes an entry in ``problems`` and the others still answer.
    ``files`` maps path -> text (None or absent when the file does not exist). Configured
    components that no file mentions are not listed.
    """
    source = _BranchFiles(repository=repository, branch=branch, files=files)
    layout, pins = _read_pins(source, catalog, paths)
    core_charts = _read_core_charts(source, paths)
    return EnvironmentVersions(
        environment=environment,
        repository=repository,
        branch=branch,
        commit=commit,
        layout=layout,
        components=_component_versions(pins, catalog),
        core_charts=tuple(core_charts),
        problems=tuple(source.problems),
    )
