"""What `/versions diff` and `/versions where` cost on GitHub, with 5 environments and with 30.

The bot is the real one (composition root, PyGithub adapter, services, Slack layer over HTTP); only
GitHub and Slack are the loopback emulators, GitHub answering each request after --delay seconds.
The 30-environment world is :mod:`scale_bench`'s: the sandbox plus 25 environment branches of the
core repository, each with a commit of its own. For each query, cold (a freshly started bot: empty
caches) and warm (asked again, nothing changed on GitHub): GitHub requests, how many counted
against the rate limit (304s do not), comparisons asked, round trips on the critical path, the most
requests in flight, and the time from the slash command to the answer. (GraphQL queries, when the
adapter reads files that way, count against GraphQL's own budget, not REST's.)

Run: `.venv/bin/python benchmarks/diffwhere_bench.py [--delay 0.05] [--runs 3]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_bench import config_for, in_flight, many_environments
from versions_bench import critical_path

from slackbot.sandbox.github_emulator import RequestRecord
from slackbot.sandbox.harness import Sandbox

QUERIES = ("/versions diff prod stg", "/versions diff prod dev", "/versions where jupyter_hub")


def answer_once(box: Sandbox, command_line: str) -> tuple[float, list[RequestRecord], int]:
    """Send one signed slash command: seconds to the answer, the GitHub requests, how many counted."""
    box.github.clear_log()
    payload = box.user.slash_command_payload(command_line)
    started = time.perf_counter()
    ack = box.delivery.send_command(payload)
    if ack.status != 200:
        raise RuntimeError(f"the bot did not ack {command_line!r}: {ack.status} {ack.body}")
    box.slack.wait_for(lambda: box.slack.responses(payload["response_url"]), timeout=60)
    return time.perf_counter() - started, list(box.github.requests), box.github.rate_limited_count()


def measure(box: Sandbox, command_line: str, runs: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for phase in ("cold", "warm"):
        rows: list[tuple[float, int, int, int, int, int, int]] = []
        for _ in range(runs):
            if phase == "cold":
                box.restart_bot()
            else:
                answer_once(box, command_line)
            elapsed, log, counted = answer_once(box, command_line)
            compares = sum("/compare/" in r.path for r in log)
            graphql = sum(r.path == "/graphql" for r in log)
            rows.append((elapsed, len(log), counted, compares, graphql, critical_path(log), in_flight(log)))
        results[phase] = {
            "requests": statistics.mean(r[1] for r in rows),
            "counted": statistics.mean(r[2] for r in rows),
            "compares": statistics.mean(r[3] for r in rows),
            "graphql": statistics.mean(r[4] for r in rows),
            "round_trips": statistics.median(r[5] for r in rows),
            "in_flight": max(r[6] for r in rows),
            "ms": statistics.median(r[0] for r in rows) * 1000,
        }
    return results


def report(box: Sandbox, title: str, runs: int) -> None:
    print(f"\n{title}")
    print(
        f"{'query':<30} {'phase':<5} {'requests':>8} {'counted':>7} {'compares':>8} {'graphql':>7} {'round trips':>11} "
        f"{'in flight':>9} {'answer ms':>9}"
    )
    for query in QUERIES:
        for phase, f in measure(box, query, runs).items():
            print(
                f"{query:<30} {phase:<5} {f['requests']:>8.0f} {f['counted']:>7.0f} {f['compares']:>8.0f} "
                f"{f['graphql']:>7.0f} "
                f"{f['round_trips']:>11.0f} {f['in_flight']:>9.0f} {f['ms']:>9.0f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added to every GitHub request")
    parser.add_argument("--runs", type=int, default=3, help="measurements per query and phase")
    args = parser.parse_args()
    print(
        f"GitHub delay per request {args.delay * 1000:.0f} ms; median of {args.runs} runs (in flight: the most)"
    )
    with tempfile.TemporaryDirectory(prefix="slackbot-diffwhere-") as root:
        with Sandbox(Path(root) / "small", github_delay=args.delay) as box:
            report(box, "the sandbox world: 5 environments", args.runs)
        config, environments = config_for(Path(root))
        with Sandbox(Path(root) / "big", github_delay=args.delay, config=config) as box:  # type: ignore[arg-type]
            many_environments(box)
            report(box, f"{environments} environments", args.runs)


if __name__ == "__main__":
    main()
