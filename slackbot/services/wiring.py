"""The services connected to each other over the ports: one wiring for the bot and for the tests.

:func:`slackbot.bootstrap.build_bot` builds the adapters from settings and hands them here; the
unit tests hand in their fakes. Each service is given exactly the collaborators it needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from slackbot.domain.core_files import CorePaths
from slackbot.services.access import Access, HotfixPolicy
from slackbot.services.announcer import Announcer
from slackbot.services.backmerge import Backmerges
from slackbot.services.commands import HotfixCommands
from slackbot.services.followup import FollowupService
from slackbot.services.home import HomeService
from slackbot.services.hotfix_report import HotfixReports
from slackbot.services.outages import Outages
from slackbot.services.pin_changes import PinChanges
from slackbot.services.ports import Directory, Forge, HotfixStore, Ledger, ReminderPoster, Threads
from slackbot.services.pulls import PullRequests
from slackbot.services.records import HotfixRecords
from slackbot.services.reminders import ReminderPolicy, Reminders, Snoozes
from slackbot.services.rollouts import EnvironmentFollowup, Rollouts
from slackbot.services.starting import HotfixStarter
from slackbot.services.step import LifecycleStep
from slackbot.services.tracking import HotfixTracker
from slackbot.services.version_queries import VersionQueries
from slackbot.services.versions import VersionService
from slackbot.services.watcher import Watcher


class Slack(Threads, ReminderPoster, Protocol):
    """Where the services post: hot-fix threads, reminders and the team channel."""


@dataclass(frozen=True)
class Services:
    hotfixes: HotfixCommands  # every `/hotfix` command, from any surface
    followup: FollowupService  # the scheduled jobs
    access: Access
    announcer: Announcer
    records: HotfixRecords
    starter: HotfixStarter
    pulls: PullRequests
    tracker: HotfixTracker
    backmerges: Backmerges
    snoozes: Snoozes
    rollouts: Rollouts
    reminders: Reminders
    versions: VersionQueries  # every `/versions` question
    home: HomeService  # the App Home tab
    reports: HotfixReports  # `/hotfix report`, and each hot-fix's report once it completes


def wire_services(
    *,
    forge: Forge,
    store: HotfixStore,
    ledger: Ledger,
    slack: Slack,
    directory: Directory,
    versions: VersionService,
    policy: HotfixPolicy,
    reminder_policy: ReminderPolicy,
    environments: Mapping[str, EnvironmentFollowup],
    paths: CorePaths,
    core_flux_name: str,
    clock: Callable[[], datetime],
    read_cycle: Callable[[], AbstractContextManager[None]] = nullcontext,
) -> Services:
    return _Wiring(
        forge=forge,
        store=store,
        ledger=ledger,
        slack=slack,
        directory=directory,
        versions=versions,
        policy=policy,
        reminder_policy=reminder_policy,
        environments=environments,
        paths=paths,
        core_flux_name=core_flux_name,
        clock=clock,
        read_cycle=read_cycle,
    ).services()


@dataclass(frozen=True, kw_only=True)
class _Wiring:
    """The ports and rules, and how each service is made from them."""

    forge: Forge
    store: HotfixStore
    ledger: Ledger
    slack: Slack
    directory: Directory
    versions: VersionService
    policy: HotfixPolicy
    reminder_policy: ReminderPolicy
    environments: Mapping[str, EnvironmentFollowup]
    paths: CorePaths
    core_flux_name: str
    clock: Callable[[], datetime]
    read_cycle: Callable[[], AbstractContextManager[None]]

    def services(self) -> Services:
        access = Access(self.policy, self.directory)
        announcer = Announcer(
            threads=self.slack,
            ledger=self.ledger,
            store=self.store,
            forge=self.forge,
            policy=self.policy,
            clock=self.clock,
        )
        records = HotfixRecords(
            store=self.store, announcer=announcer, ticket_pattern=self.policy.ticket_pattern, clock=self.clock
        )
        step = LifecycleStep(forge=self.forge, records=records, announcer=announcer, access=access)
        pulls = PullRequests(**vars(step))
        tracker = HotfixTracker(**vars(step), ledger=self.ledger, pulls=pulls, policy=self.policy)
        backmerges = Backmerges(**vars(step), tracker=tracker, policy=self.policy)
        snoozes = Snoozes(ledger=self.ledger, records=records, access=access, clock=self.clock)
        starter = HotfixStarter(
            **vars(step), versions=self.versions, pulls=pulls, policy=self.policy, paths=self.paths
        )
        reports = self._reports(announcer, tracker)
        rollouts, reminders, followup = self._follow_up(step, tracker, backmerges, snoozes, reports)
        return Services(
            hotfixes=HotfixCommands(
                starter=starter,
                pulls=pulls,
                backmerges=backmerges,
                tracker=tracker,
                snoozes=snoozes,
                records=records,
                access=access,
                versions=self.versions,
                reports=reports,
            ),
            followup=followup,
            access=access,
            announcer=announcer,
            records=records,
            starter=starter,
            pulls=pulls,
            tracker=tracker,
            backmerges=backmerges,
            snoozes=snoozes,
            rollouts=rollouts,
            reminders=reminders,
            versions=VersionQueries(
                self.versions, self.policy, rollouts.cluster_view, changes=self._pin_changes()
            ),
            home=HomeService(
                versions=self.versions,
                forge=self.forge,
                store=self.store,
                ledger=self.ledger,
                thread_view=announcer.view,
                main_branch=self.policy.main_branch,
                clock=self.clock,
            ),
            reports=reports,
        )

    def _pin_changes(self) -> PinChanges:
        """`/versions changes`: the history of the pins on the environments' branches."""
        versions = self.versions
        return PinChanges(
            versions.source,
            core_repository=versions.core_repository,
            branches={name: env.branch for name, env in versions.environments.items()},
            catalog=versions.catalog,
            paths=self.paths,
            clock=self.clock,
            names=versions,
        )

    def _reports(self, announcer: Announcer, tracker: HotfixTracker) -> HotfixReports:
        """`/hotfix report`, and the report posted in each hot-fix's thread once it completes."""
        return HotfixReports(
            store=self.store,
            ledger=self.ledger,
            forge=self.forge,
            announcer=announcer,
            directory=self.directory,
            refresh=tracker.refresh,
            ticket_pattern=self.policy.ticket_pattern,
            main_branch=self.policy.main_branch,
            clock=self.clock,
        )

    def _follow_up(
        self,
        step: LifecycleStep,
        tracker: HotfixTracker,
        backmerges: Backmerges,
        snoozes: Snoozes,
        reports: HotfixReports,
    ) -> tuple[Rollouts, Reminders, FollowupService]:
        """The scheduled jobs' services: roll-outs, outages, reminders, and the watcher over them."""
        outages = Outages(announcer=step.announcer, ledger=self.ledger, clock=self.clock)
        rollouts = Rollouts(
            environments=self.environments,
            forge=self.forge,
            versions=self.versions,
            announcer=step.announcer,
            ledger=self.ledger,
            outages=outages,
            core_flux_name=self.core_flux_name,
            clock=self.clock,
        )
        reminders = Reminders(
            forge=self.forge,
            versions=self.versions,
            store=self.store,
            ledger=self.ledger,
            snoozes=snoozes,
            backmerges=backmerges,
            poster=self.slack,
            policy=self.reminder_policy,
            clock=self.clock,
        )
        watcher = Watcher(
            store=self.store,
            tracker=tracker,
            rollouts=rollouts,
            outages=outages,
            announcer=step.announcer,
            clock=self.clock,
        )
        followup = FollowupService(
            watcher=watcher,
            reminders=reminders,
            rollouts=rollouts,
            reports=reports,
            read_cycle=self.read_cycle,
        )
        return rollouts, reminders, followup
