""" "Make prod like stg": the pin hot-fix a `/versions diff` button asks for, planned from what both
environments pin *now*.

The button's value names the two environments and the component as they were when the diff was
drawn; by the time someone clicks, either branch may have moved. So both are read again (one read
of the core repository's branches), the names are resolved as typed names are (configured, or
deployed in either environment), and the differing pins become the :class:`Start` that `/hotfix`
would run: its ticket, permissions, audit, thread and pull request are the ordinary ones.
"""

from __future__ import annotations

from slackbot.domain.core_files import CorePaths
from slackbot.domain.errors import BotError, NotFound, UsageError
from slackbot.domain.hotfix_commands import MakeLike, Start
from slackbot.domain.make_like_pins import make_like_summary, pins_to_make_like
from slackbot.domain.pin_edit import legacy_refusal
from slackbot.domain.quoting import quote
from slackbot.domain.versions import ComponentVersions, EnvironmentVersions, Layout
from slackbot.services.versions import VersionService


def make_like_start(command: MakeLike, versions: VersionService, ticket: str, paths: CorePaths) -> Start:
    """The start that gives ``command.target`` the pins ``command.source`` has for the component.

    Raises UsageError (AlreadyAlike when nothing differs any more, or a target on the legacy
    layout), NotFound for a component one of the two does not deploy, or what reading the
    environments raised."""
    target = versions.resolve_environment(command.target)
    source = versions.resolve_environment(command.source)
    if target == source:
        raise UsageError(f"`{quote(command.target)}` and `{quote(command.source)}` are the same environment.")
    both = versions.environments_named((target, source))
    mine, theirs = _read(both[target]), _read(both[source])
    if mine.layout is not Layout.SPLIT:
        raise legacy_refusal(target, paths.legacy)  # before comparing: its pins are changed by hand
    component = versions.resolve_component(command.component, mine, theirs)
    pins = pins_to_make_like(
        component,
        target,
        _deployed(mine, component, f"so it cannot be made like {source}"),
        source,
        _deployed(theirs, component, f"so there is nothing to make {target} like"),
    )
    return Start(
        environment=target,
        component=component,
        ticket=ticket,
        summary=make_like_summary(target, source),
        pin=pins[0],
        more_pins=pins[1:],
    )


def _read(versions: EnvironmentVersions | BotError) -> EnvironmentVersions:
    if isinstance(versions, BotError):
        raise versions
    return versions


def _deployed(versions: EnvironmentVersions, component: str, consequence: str) -> ComponentVersions:
    pins = versions.component(component)
    if pins is None:
        raise NotFound(
            f"{versions.environment} does not deploy `{quote(component)}` (no core file on "
            f"`{versions.branch}` mentions it), {consequence}; nothing was changed."
        )
    return pins
