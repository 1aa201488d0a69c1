"""What an operator scrapes at ``GET /metrics``: commands, GitHub's cost, jobs, hot-fixes, the lease.

Every metric lives on the bot's own registry (no process-wide default), so two bots in one
process (the tests) never count into each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from slackbot.domain.errors import BotError

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
M = TypeVar("M")
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30)


def outcome_of(error: BaseException | None) -> str:
    """ok, refused (a sentence for the person: a BotError), or failed (a bug, or worse)."""
    if error is None:
        return "ok"
    return "refused" if isinstance(error, BotError) else "failed"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        counter, gauge = self._on_registry(Counter), self._on_registry(Gauge)
        self.commands = counter(
            "slackbot_commands",
            "Commands, buttons and forms handled, by name and outcome.",
            ["command", "outcome"],
        )
        self.command_seconds = Histogram(
            "slackbot_command_seconds",
            "Time from a command's arrival to its answer.",
            ["command"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.github_requests = counter(
            "slackbot_github_requests",
            "Requests to GitHub by method and status; counted: against the rate limit.",
            ["method", "status", "counted"],
        )
        self.github_rate_limit_remaining = gauge(
            "slackbot_github_rate_limit_remaining",
            "Requests left in GitHub's rate limit, as it last said.",
            [],
        )
        self.github_graphql_points = counter(
            "slackbot_github_graphql_points",
            "Points GitHub's GraphQL API charged (a budget of its own, apart from REST's requests).",
            [],
        )
        self.github_graphql_points_remaining = gauge(
            "slackbot_github_graphql_points_remaining",
            "Points left in GitHub's GraphQL rate limit, as it last said.",
            [],
        )
        self.job_runs = counter(
            "slackbot_job_runs", "Runs of the scheduled jobs by job and outcome.", ["job", "outcome"]
        )
        self.announcements = counter(
            "slackbot_announcements",
            "Messages the bot posted on its own (thread news, reminders, digests).",
            ["kind"],
        )
        self.lease_held = gauge(
            "slackbot_scheduler_lease_held", "1 while this copy of the bot holds the scheduler lease.", []
        )

    def _on_registry(self, kind: Callable[..., M]) -> Callable[[str, str, list[str]], M]:
        """A maker of ``kind`` metrics (name, help, labels) on this bot's registry."""
        return lambda name, documentation, labels: kind(name, documentation, labels, registry=self.registry)

    def command_handled(self, name: str, error: BaseException | None, seconds: float) -> None:
        """One command answered (``error``: what it was refused or failed with, if anything)."""
        self.commands.labels(name, outcome_of(error)).inc()
        self.command_seconds.labels(name).observe(seconds)

    def github_answered(self, method: str, status: int, headers: Mapping[str, str]) -> None:
        counted = "false" if status == 304 else "true"  # a 304 to a conditional request is free
        self.github_requests.labels(method, str(status), counted).inc()
        remaining = headers.get("x-ratelimit-remaining")
        if headers.get("x-ratelimit-resource") == "graphql":  # GraphQL's points: github_graphql_cost
            return
        if remaining is not None and remaining.isdigit():
            self.github_rate_limit_remaining.set(int(remaining))

    def github_graphql_cost(self, cost: int, remaining: int | None) -> None:
        """One GraphQL answer's cost in points (its ``rateLimit``), and the points left."""
        self.github_graphql_points.inc(cost)
        if remaining is not None:
            self.github_graphql_points_remaining.set(remaining)

    def count_open_hotfixes(self, by_stage: Callable[[], Mapping[str, int]]) -> None:
        """Report the open hot-fixes by stage, read when scraped."""
        self.registry.register(_OpenHotfixes(by_stage))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _OpenHotfixes(Collector):
    def __init__(self, by_stage: Callable[[], Mapping[str, int]]) -> None:
        self._by_stage = by_stage

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("slackbot_hotfixes_open", "Open hot-fixes by stage.", labels=["stage"])
        try:
            counts = self._by_stage()
        except Exception:  # the database is down: /readyz says so; scraping must not fail
            counts = {}
        for stage, count in sorted(counts.items()):
            family.add_metric([stage], count)
        yield family
