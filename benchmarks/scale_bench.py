"""What `/versions` costs when there are many environments: 30 here, every GitHub request 300 ms.

The sandbox world plus 25 generated environments (``env01`` … ``env25``): each is a branch of the
core repository cut from one of the sandbox's environment branches with a commit of its own (its
`core/flux-config.yaml` differs), so no two environments share a commit or a flux file — the
worst case for any cache. The bot is the real one (composition root, PyGithub adapter, services,
Slack layer over HTTP); only GitHub and Slack are the loopback emulators, GitHub's answering every
request after --delay seconds.

For `/versions prod jupyter_hub` (the blast radius reads every environment) and `/versions prod`,
cold (a freshly started bot) and warm (asked again, nothing changed on GitHub), from the
emulator's request log: GitHub requests, how many counted against REST's rate limit (304s do not),
the points GraphQL queries cost (GraphQL's own budget), round trips on the critical path (the
longest chain of requests each starting after the previous one answered), the most requests in
flight at once, and the time from the slash command to the answer. Then --concurrent commands at once: their ack latency, the most requests in flight, and
whether every answer is the one a lone command gets.

Run: `.venv/bin/python benchmarks/scale_bench.py [--delay 0.3] [--runs 3] [--concurrent 20]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from versions_bench import critical_path

from slackbot.sandbox.github_emulator import RequestRecord
from slackbot.sandbox.harness import Sandbox
from slackbot.sandbox.world import seed_world
from slackbot.settings import EnvironmentConfig, load_config

CORE = "lsc-sde/iac-flux-lscsde"
EXTRA = 25
QUERIES = ("/versions prod jupyter_hub", "/versions prod")


def in_flight(records: Sequence[RequestRecord]) -> int:
    """The most requests the emulator was answering at one moment."""
    events = sorted([(r.started, 1) for r in records] + [(r.finished, -1) for r in records])
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


def extra_names(extra: int = EXTRA) -> list[str]:
    return [f"env{n:02d}" for n in range(1, extra + 1)]


def many_environments(box: Sandbox, extra: int = EXTRA) -> None:
    """``extra`` (25) more environment branches on the core repository, each with a commit of its own."""
    core = box.world.repo(CORE)
    bases = ("prod", "stg", "dev", "main")
    for n, name in enumerate(extra_names(extra), start=1):
        base = bases[n % len(bases)]
        sha = core.ref(f"refs/heads/{base}")
        assert sha is not None, base
        core.create_ref(f"refs/heads/{name}", sha)
        flux = core.text("show", f"{sha}:core/flux-config.yaml")
        core.commit_file(name, "core/flux-config.yaml", f"{flux}# {name}\n", f"{name}: its own flux file")


def config_for(root: Path, extra: int = EXTRA) -> tuple[object, int]:
    config = load_config(seed_world(root / "probe").config_path)
    environments = dict(config.environments)
    for name in extra_names(extra):
        environments[name] = EnvironmentConfig(branch=name)
    return config.model_copy(update={"environments": environments}), len(environments)


def answer_once(box: Sandbox, command_line: str) -> tuple[float, list[RequestRecord], int, int, str]:
    """(seconds to the answer, the requests, REST requests counted, GraphQL points, the answer)."""
    box.github.clear_log()
    points = box.github.graphql.points_used()
    payload = box.user.slash_command_payload(command_line)
    started = time.perf_counter()
    ack = box.delivery.send_command(payload)
    if ack.status != 200:
        raise RuntimeError(f"the bot did not ack {command_line!r}: {ack.status} {ack.body}")
    box.slack.wait_for(lambda: box.slack.responses(payload["response_url"]), timeout=60)
    elapsed = time.perf_counter() - started
    [answer] = box.slack.responses(payload["response_url"])
    log = list(box.github.requests)
    graphql = sum(r.path == "/graphql" for r in log)
    core = box.github.rate_limited_count() - graphql  # the log counts GraphQL's requests too
    return elapsed, log, core, box.github.graphql.points_used() - points, str(answer)


def measure(box: Sandbox, command_line: str, runs: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for phase in ("cold", "warm"):
        rows: list[tuple[float, int, int, int, int, int]] = []
        for _ in range(runs):
            if phase == "cold":
                box.restart_bot()
            else:
                answer_once(box, command_line)
            elapsed, log, limited, points, _ = answer_once(box, command_line)
            rows.append((elapsed, len(log), limited, critical_path(log), in_flight(log), points))
        results[phase] = {
            "requests": statistics.mean(r[1] for r in rows),
            "rate_limited": statistics.mean(r[2] for r in rows),
            "points": statistics.mean(r[5] for r in rows),
            "round_trips": statistics.median(r[3] for r in rows),
            "in_flight": max(r[4] for r in rows),
            "ms": statistics.median(r[0] for r in rows) * 1000,
        }
    return results


def concurrent(box: Sandbox, count: int) -> None:
    """``count`` commands at once (half each query) on a cold bot: acks, in flight, right answers."""
    box.restart_bot()
    expected = {}
    for query in QUERIES:
        *_, expected[query] = answer_once(box, query)
    box.restart_bot()
    box.github.clear_log()
    lines = [QUERIES[i % len(QUERIES)] for i in range(count)]
    payloads = [box.user.slash_command_payload(line) for line in lines]
    with ThreadPoolExecutor(max_workers=count) as pool:
        acks = list(pool.map(box.delivery.send_command, payloads))
    for payload in payloads:
        box.slack.wait_for(lambda p=payload: box.slack.responses(p["response_url"]), timeout=120)
    log = box.github.requests
    right = sum(
        str(box.slack.responses(p["response_url"])[0]) == expected[line]
        for p, line in zip(payloads, lines, strict=True)
    )
    print(
        f"\n{count} concurrent commands (cold bot): acked {sum(a.status == 200 for a in acks)}/{count}, "
        f"ack max {max(a.elapsed for a in acks) * 1000:.0f} ms; {len(log)} GitHub requests, "
        f"at most {in_flight(log)} in flight; answers identical to a lone command's: {right}/{count}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.3, help="seconds added to every GitHub request")
    parser.add_argument("--runs", type=int, default=3, help="measurements per query and phase")
    parser.add_argument("--concurrent", type=int, default=20, help="simultaneous commands")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="slackbot-scale-") as root:
        config, environments = config_for(Path(root))
        with Sandbox(Path(root) / "box", github_delay=args.delay, config=config) as box:  # type: ignore[arg-type]
            many_environments(box)
            print(
                f"{environments} environments; GitHub delay per request {args.delay * 1000:.0f} ms; "
                f"median of {args.runs} runs (in flight: the most)\n"
            )
            print(
                f"{'query':<28} {'phase':<5} {'requests':>8} {'counted':>7} {'points':>6} "
                f"{'round trips':>11} {'in flight':>9} {'answer ms':>9}"
            )
            for query in QUERIES:
                for phase, f in measure(box, query, args.runs).items():
                    print(
                        f"{query:<28} {phase:<5} {f['requests']:>8.0f} {f['rate_limited']:>7.0f} "
                        f"{f['points']:>6.0f} {f['round_trips']:>11.0f} {f['in_flight']:>9.0f} {f['ms']:>9.0f}"
                    )
            concurrent(box, args.concurrent)


if __name__ == "__main__":
    main()
