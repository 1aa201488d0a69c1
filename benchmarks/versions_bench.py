"""How fast and how cheap `/versions` is, measured through the whole bot on the sandbox.

Every GitHub request is delayed by --delay seconds in the emulator (default 50 ms, a realistic
round trip to api.github.com), so latency is dominated by round trips the way it is in production.
For each query it reports, cold (a freshly started bot: empty caches) and warm (asked again, nothing
changed on GitHub):

- GitHub requests per query, and how many of them counted against the rate limit (304s do not);
- round trips on the critical path: the longest chain of requests where each starts after the
  previous one answered, read from the emulator's request log;
- answer latency p50/p95: from sending the signed slash command to the answer reaching response_url;
- and the ack latency of 20 concurrent slash commands (Slack wants an ack within 3 s).

Run: `make bench` or `.venv/bin/python benchmarks/versions_bench.py [--delay 0.05] [--runs 10]`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from slackbot.sandbox.github_emulator import RequestRecord
from slackbot.sandbox.harness import Sandbox

QUERIES = ("/versions prod", "/versions prod jupyter_hub")


def critical_path(records: Sequence[RequestRecord]) -> int:
    """The longest chain of requests in which each one started after the previous one finished."""
    ordered = sorted(records, key=lambda r: r.finished)
    depth: list[int] = []
    for i, record in enumerate(ordered):
        before = [depth[j] for j in range(i) if ordered[j].finished <= record.started]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def answer_once(box: Sandbox, command_line: str) -> tuple[float, list[RequestRecord], int]:
    """Send one signed slash command; time until the answer reaches response_url."""
    box.github.clear_log()
    payload = box.user.slash_command_payload(command_line)
    started = time.perf_counter()
    ack = box.delivery.send_command(payload)
    if ack.status != 200:
        raise RuntimeError(f"the bot did not ack {command_line!r}: {ack.status} {ack.body}")
    box.slack.wait_for(lambda: box.slack.responses(payload["response_url"]), timeout=30)
    elapsed = time.perf_counter() - started
    return elapsed, list(box.github.requests), box.github.rate_limited_count()


def measure(box: Sandbox, command_line: str, runs: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for phase in ("cold", "warm"):
        latencies, requests, limited, trips = [], [], [], []
        for _ in range(runs):
            if phase == "cold":
                box.restart_bot()
            else:
                answer_once(box, command_line)  # make sure the caches hold this query
            elapsed, log, rate_limited = answer_once(box, command_line)
            latencies.append(elapsed)
            requests.append(len(log))
            limited.append(rate_limited)
            trips.append(critical_path(log))
        results[phase] = {
            "requests": statistics.mean(requests),
            "rate_limited": statistics.mean(limited),
            "round_trips": statistics.median(trips),
            "round_trips_max": max(trips),
            "p50_ms": percentile(latencies, 0.5) * 1000,
            "p95_ms": percentile(latencies, 0.95) * 1000,
        }
    return results


def ack_latency(box: Sandbox, concurrent: int) -> list[float]:
    payloads = [box.user.slash_command_payload("/versions prod jupyter_hub") for _ in range(concurrent)]
    with ThreadPoolExecutor(max_workers=concurrent) as pool:
        results = list(pool.map(box.delivery.send_command, payloads))
    for payload in payloads:  # let the answers finish before the next measurement
        box.slack.wait_for(lambda p=payload: box.slack.responses(p["response_url"]), timeout=60)
    if any(r.status != 200 for r in results):
        raise RuntimeError("some concurrent commands were not acked")
    return [r.elapsed for r in results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added to every GitHub request")
    parser.add_argument("--runs", type=int, default=10, help="measurements per query and phase")
    parser.add_argument("--concurrent", type=int, default=20, help="simultaneous commands for the ack test")
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="slackbot-bench-") as root,
        Sandbox(Path(root), github_delay=args.delay) as box,
    ):
        print(f"GitHub delay per request: {args.delay * 1000:.0f} ms; {args.runs} runs per figure\n")
        print(
            f"{'query':<28} {'phase':<5} {'requests':>8} {'rate-limited':>12} {'round trips':>11} "
            f"{'(max)':>5} {'p50 ms':>8} {'p95 ms':>8}"
        )
        for query in QUERIES:
            for phase, figures in measure(box, query, args.runs).items():
                print(
                    f"{query:<28} {phase:<5} {figures['requests']:>8.1f} {figures['rate_limited']:>12.1f} "
                    f"{figures['round_trips']:>11.0f} {figures['round_trips_max']:>5.0f} "
                    f"{figures['p50_ms']:>8.0f} {figures['p95_ms']:>8.0f}"
                )
        acks = ack_latency(box, args.concurrent)
        print(
            f"\nack latency, {args.concurrent} concurrent /versions commands: "
            f"p50 {percentile(acks, 0.5) * 1000:.0f} ms, p95 {percentile(acks, 0.95) * 1000:.0f} ms, "
            f"max {max(acks) * 1000:.0f} ms (Slack's limit: 3000 ms)"
        )


if __name__ == "__main__":
    main()
