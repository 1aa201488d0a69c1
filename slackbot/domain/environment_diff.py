"""How two environments differ, and where one component runs across every environment. Pure.

`/versions diff prod stg` compares what the two environment branches pin for each component — its
flux branch, chart version and image, as the text written in the files — and sorts the components
into those that differ, those that are the same, and those only one side deploys. For a component
whose two flux branches differ within one repository, the forge's comparison of the branches says
how far apart they are; asking for it is the service's job (:meth:`EnvironmentDiff.comparisons`),
the answer comes back through :meth:`EnvironmentDiff.with_comparisons`.

`/versions where jupyter_hub` lists one component in every environment, grouped by the release
branch they pin: a merge into that branch rolls out to the whole group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from slackbot.domain.errors import BotError
from slackbot.domain.forge import Comparison
from slackbot.domain.versions import ComponentVersions, EnvironmentVersions, Layout

__all__ = [
    "PIN_FIELDS",
    "BranchGroup",
    "CompareKey",
    "ComponentDifference",
    "EnvironmentDiff",
    "Placement",
    "Whereabouts",
    "diff_environments",
    "find_component",
    "pin",
]

PIN_FIELDS = ("branch", "chart_version", "image")
CompareKey = tuple[str, str, str]  # (repository, base, head) as the forge compares them


def pin(component: ComponentVersions, field: str) -> str | None:
    """One of :data:`PIN_FIELDS` of ``component``, as written."""
    value: str | None = getattr(component, field)
    return value


@dataclass(frozen=True)
class ComponentDifference:
    """One component both environments deploy with different pins.

    ``apart`` compares the left environment's flux branch with the right's: ``ahead_by`` counts the
    commits the left branch has that the right lacks, ``behind_by`` the reverse."""

    name: str
    left: ComponentVersions
    right: ComponentVersions
    fields: tuple[str, ...]  # which of PIN_FIELDS differ, in that order
    apart: Comparison | None = None
    apart_problem: str | None = None  # why ``apart`` is missing although it was asked for

    @property
    def repository(self) -> str | None:
        return self.left.repository or self.right.repository

    def changes(self) -> tuple[tuple[str, str | None, str | None], ...]:
        """``(field, left value, right value)`` for each differing field."""
        return tuple((f, pin(self.left, f), pin(self.right, f)) for f in self.fields)

    @property
    def compare_key(self) -> CompareKey | None:
        """Two release branches of one repository: the comparison that says how far apart they are
        (the right's branch as the base, the left's as the head)."""
        left, right = self.left, self.right
        if "branch" not in self.fields or not (left.branch and right.branch):
            return None
        if not left.repository or left.repository != right.repository:
            return None
        return (left.repository, right.branch, left.branch)

    @property
    def unchangeable(self) -> tuple[str, ...]:
        """Differing fields a pin hot-fix cannot make alike: one side writes no value (a hot-fix
        changes a value in a file; it neither adds nor removes keys)."""
        return tuple(f for f, old, new in self.changes() if old is None or new is None)


@dataclass(frozen=True)
class EnvironmentDiff:
    """How ``left`` differs from ``right``; every list in the order the environments list components."""

    left: EnvironmentVersions
    right: EnvironmentVersions
    differences: tuple[ComponentDifference, ...]
    same: tuple[str, ...]
    only_left: tuple[str, ...]
    only_right: tuple[str, ...]

    def comparisons(self) -> tuple[CompareKey, ...]:
        """Each comparison worth asking the forge for, once."""
        keys = (d.compare_key for d in self.differences)
        return tuple(dict.fromkeys(key for key in keys if key is not None))

    def with_comparisons(self, found: Mapping[CompareKey, Comparison | BotError]) -> EnvironmentDiff:
        """The same diff with each difference's ``apart`` (or why it is missing) filled in."""
        return replace(self, differences=tuple(_compared(d, found) for d in self.differences))

    def can_make_like(self, difference: ComponentDifference) -> bool:
        """Whether a pin hot-fix can give ``left`` the right's pins for this component: the left's
        files use the split layout (the legacy file is changed by hand) and every differing field
        has a value on both sides."""
        return self.left.layout is Layout.SPLIT and not difference.unchangeable


def _compared(
    difference: ComponentDifference, found: Mapping[CompareKey, Comparison | BotError]
) -> ComponentDifference:
    key = difference.compare_key
    answer = found.get(key) if key is not None else None
    if isinstance(answer, Comparison):
        return replace(difference, apart=answer, apart_problem=None)
    if isinstance(answer, BotError):
        return replace(difference, apart=None, apart_problem=str(answer))
    return difference


def diff_environments(left: EnvironmentVersions, right: EnvironmentVersions) -> EnvironmentDiff:
    """Compare the pins of every component either environment deploys."""
    differences: list[ComponentDifference] = []
    same: list[str] = []
    only_left: list[str] = []
    for mine in left.components:
        theirs = right.component(mine.name)
        if theirs is None:
            only_left.append(mine.name)
            continue
        fields = tuple(f for f in PIN_FIELDS if pin(mine, f) != pin(theirs, f))
        if fields:
            differences.append(ComponentDifference(mine.name, mine, theirs, fields))
        else:
            same.append(mine.name)
    left_names = {c.name for c in left.components}
    only_right = [c.name for c in right.components if c.name not in left_names]
    return EnvironmentDiff(left, right, tuple(differences), tuple(same), tuple(only_left), tuple(only_right))


# -- one component everywhere ---------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """What one environment pins for the component, and the commit of the environment's branch."""

    environment: str
    component: ComponentVersions
    commit: str
    core_branch: str


@dataclass(frozen=True)
class BranchGroup:
    """The environments pinning one release branch: a merge into it rolls out to all of them."""

    repository: str | None
    branch: str | None
    placements: tuple[Placement, ...]

    @property
    def environments(self) -> tuple[str, ...]:
        return tuple(p.environment for p in self.placements)

    def pin_sets(self) -> tuple[tuple[str | None, str | None, tuple[str, ...]], ...]:
        """``(chart version, image, environments)`` for each distinct pair in the group."""
        found: dict[tuple[str | None, str | None], list[str]] = {}
        for placement in self.placements:
            c = placement.component
            found.setdefault((c.chart_version, c.image), []).append(placement.environment)
        return tuple((chart, image, tuple(envs)) for (chart, image), envs in found.items())


@dataclass(frozen=True)
class Whereabouts:
    """One component in every environment (in the configuration's order)."""

    component: str
    placements: tuple[Placement, ...]
    not_deployed: tuple[str, ...]
    unreadable: tuple[tuple[str, str], ...] = ()  # (environment, why it could not be read)

    @property
    def repository(self) -> str | None:
        return next((p.component.repository for p in self.placements if p.component.repository), None)

    @property
    def groups(self) -> tuple[BranchGroup, ...]:
        """The placements grouped by (repository, flux branch), in order of first appearance."""
        found: dict[tuple[str | None, str | None], list[Placement]] = {}
        for placement in self.placements:
            c = placement.component
            found.setdefault((c.repository, c.branch), []).append(placement)
        return tuple(
            BranchGroup(repository, branch, tuple(placements))
            for (repository, branch), placements in found.items()
        )


def find_component(component: str, environments: Mapping[str, EnvironmentVersions | BotError]) -> Whereabouts:
    """Where ``component`` (a canonical name) is deployed, where not, and which environments could
    not be read to tell."""
    placements: list[Placement] = []
    not_deployed: list[str] = []
    unreadable: list[tuple[str, str]] = []
    for name, versions in environments.items():
        if isinstance(versions, BotError):
            unreadable.append((name, str(versions)))
            continue
        pins = versions.component(component)
        if pins is None:
            not_deployed.append(name)
        else:
            placements.append(Placement(name, pins, versions.commit, versions.branch))
    return Whereabouts(component, tuple(placements), tuple(not_deployed), tuple(unreadable))
