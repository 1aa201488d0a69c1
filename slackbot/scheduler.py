"""APScheduler wiring: the follow-up jobs, run by exactly one copy of the bot at a time.

A job store must never be shared by two running schedulers, so each copy of the bot runs a small
lease keeper: only the holder of the database lease starts its scheduler; when a holder stops
renewing (crash, shutdown, network split), another copy takes over after the lease's time-to-live.

Jobs are stored in the bot's database (SQLAlchemyJobStore) with fixed ids and
``replace_existing=True``, so a restart neither loses nor duplicates them. APScheduler pickles
job references, so the jobs are module-level functions that reach the running bot through
:data:`_RUNNING` (set by :class:`BotScheduler`; the one piece of module state, reset in tests).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from slackbot.observability.metrics import Metrics
from slackbot.services.followup import FollowupService, Report

log = logging.getLogger(__name__)

LEASE = "scheduler"
JOB_TABLE = "apscheduler_jobs"

_RUNNING: FollowupService | None = None


def run_watch() -> str:
    """Job: move hot-fixes along and confirm roll-outs."""
    return str(_followup().watch())


def run_reminders() -> str:
    """Job: remind about back-merges main still lacks."""
    return str(_followup().remind())


def _followup() -> FollowupService:
    if _RUNNING is None:
        raise RuntimeError("no bot is running in this process")
    return _RUNNING


@dataclass(frozen=True)
class JobSpec:
    id: str
    description: str
    function: Callable[[], str]
    trigger: BaseTrigger


def job_specs(*, poll_seconds: float, reminder_cron: str, timezone: str) -> list[JobSpec]:
    return [
        JobSpec(
            "watch",
            "move hot-fixes along and confirm Flux roll-outs",
            run_watch,
            IntervalTrigger(seconds=poll_seconds, timezone=timezone),
        ),
        JobSpec(
            "reminders",
            "remind about back-merges main still lacks",
            run_reminders,
            CronTrigger.from_crontab(reminder_cron, timezone=timezone),
        ),
    ]


def holder_id() -> str:
    """Who holds the lease: host, process and a random part (two processes on one host differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Lease:
    """What the lease keeper needs from the database."""

    def __init__(
        self,
        acquire: Callable[[str, str, float], bool],
        release: Callable[[str, str], None],
    ) -> None:
        self.acquire = acquire
        self.release = release


class BotScheduler:
    """Runs the jobs while this copy of the bot holds the lease."""

    def __init__(
        self,
        followup: FollowupService,
        *,
        engine: object,
        lease: Lease,
        specs: list[JobSpec],
        lease_ttl: float = 30.0,
        holder: str | None = None,
        timezone: str = "UTC",
        metrics: Metrics | None = None,
    ) -> None:
        self.followup = followup
        self._metrics = metrics
        self.holder = holder or holder_id()
        self._engine = engine
        self._lease = lease
        self._specs = specs
        self._ttl = lease_ttl
        self._timezone = timezone
        self._scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None

    @property
    def leading(self) -> bool:
        return self._scheduler is not None

    def start(self) -> None:
        global _RUNNING  # noqa: PLW0603 -- APScheduler's pickled jobs find the bot here
        _RUNNING = self.followup
        self._keeper = threading.Thread(target=self._keep_lease, name="scheduler-lease", daemon=True)
        self._keeper.start()

    def stop(self, *, finish_within: float = 20.0) -> None:
        """Stop running jobs, letting a job in progress finish (for ``finish_within`` seconds at most),
        then give the lease up at once so another copy takes over without waiting for it to lapse."""
        global _RUNNING  # noqa: PLW0603
        self._stop.set()
        if self._keeper is not None:
            self._keeper.join(timeout=5)
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            finishing = threading.Thread(
                target=scheduler.shutdown, kwargs={"wait": True}, name="jobs-finishing"
            )
            finishing.start()
            finishing.join(timeout=finish_within)
        self._lease.release(LEASE, self.holder)
        if self._metrics is not None:
            self._metrics.lease_held.set(0)
        _RUNNING = None

    def tick(self) -> bool:
        """Renew or take the lease; start or stop the scheduler to match. Returns whether leading."""
        try:
            holding = self._lease.acquire(LEASE, self.holder, self._ttl)
        except Exception:  # the database is unreachable: stop running jobs rather than risk two
            log.warning("could not renew the scheduler lease", exc_info=True)
            holding = False
        if self._metrics is not None:
            self._metrics.lease_held.set(1 if holding else 0)
        if holding and self._scheduler is None:
            self._lead()
        elif not holding and self._scheduler is not None:
            log.warning("lost the scheduler lease; stopping jobs")
            self._step_down()
        return holding

    def _keep_lease(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self._ttl / 3)

    def _lead(self) -> None:
        scheduler = build_scheduler(self._engine, self._timezone)
        for spec in self._specs:
            scheduler.add_job(
                spec.function, spec.trigger, id=spec.id, name=spec.description, replace_existing=True
            )
        if self._metrics is not None:
            scheduler.add_listener(self._count_run, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        scheduler.start()
        self._scheduler = scheduler
        log.info("holding the scheduler lease as %s; jobs running", self.holder)

    def _count_run(self, event: JobExecutionEvent) -> None:
        assert self._metrics is not None
        self._metrics.job_runs.labels(event.job_id, "failed" if event.exception else "ok").inc()

    def _step_down(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None


def build_scheduler(engine: object, timezone: str) -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)},
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        timezone=timezone,
    )


def scheduled_jobs(
    engine: object, specs: list[JobSpec], timezone: str
) -> list[tuple[str, str, datetime | None, bool]]:
    """(id, description, next run, stored): from the job store when a bot has stored the jobs,
    otherwise as the configuration would schedule them."""
    scheduler = build_scheduler(engine, timezone)
    scheduler.start(paused=True)  # paused: reads the store, runs nothing
    try:
        stored = {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    now = datetime.now().astimezone()
    rows = []
    for spec in specs:
        job = stored.get(spec.id)
        next_run = job.next_run_time if job is not None else spec.trigger.get_next_fire_time(None, now)
        rows.append((spec.id, spec.description, next_run, job is not None))
    return rows


def run_job(followup: FollowupService, name: str) -> Report:
    """Run one job now, in this process (`slackbot jobs run NAME`)."""
    if name == "watch":
        return followup.watch()
    if name == "reminders":
        return followup.remind()
    raise KeyError(name)
