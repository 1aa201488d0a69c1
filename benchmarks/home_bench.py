"""What opening the Home tab costs on GitHub, measured through the whole bot on the sandbox.

A person opens the bot's Home tab in Slack: the emulator sends the signed ``app_home_opened``
event, the production bot reads the tab and publishes it with views.publish. For the sandbox
world (5 environments) and a large one (the sandbox plus 25 generated environments, each pinning
40 components of its own), cold (a freshly started bot) and warm (opened again, nothing changed on
GitHub), from the emulator's request log: GitHub requests, how many counted against the rate limit
(304s do not), round trips on the critical path, the most in flight, and the time from the event
to the published tab. Every GitHub request is delayed --delay seconds (50 ms: a round trip to
api.github.com).

Run: `.venv/bin/python benchmarks/home_bench.py [--delay 0.05] [--runs 3]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_bench import in_flight
from versions_bench import critical_path

from slackbot.sandbox.harness import Sandbox
from slackbot.sandbox.world import seed_world
from slackbot.settings import BotConfig, EnvironmentConfig, load_config

CORE = "lsc-sde/iac-flux-lscsde"
EXTRA = 25
COMPONENTS = 40


def large_config(root: Path) -> BotConfig:
    config = load_config(seed_world(root / "probe").config_path)
    extra = {f"env{n:02d}": EnvironmentConfig(branch=f"env{n:02d}") for n in range(1, EXTRA + 1)}
    return config.model_copy(update={"environments": {**config.environments, **extra}})


def large_world(box: Sandbox) -> None:
    """25 more environment branches, each pinning 40 components to branches of its own."""
    core = box.world.repo(CORE)
    names = [f"component_{i:02d}_with_a_longish_name" for i in range(COMPONENTS)]
    for n in range(1, EXTRA + 1):
        env = f"env{n:02d}"
        flux = "components:\n" + "".join(
            f"  {name}:\n    repository:\n      branch: release/0.{i}.{100 + i}-{env}\n"
            for i, name in enumerate(names)
        )
        sha = core.ref("refs/heads/dev")
        assert sha is not None
        core.create_ref(f"refs/heads/{env}", sha)
        core.commit_file(env, "core/flux-config.yaml", flux, f"{env}: {COMPONENTS} components")


def open_once(box: Sandbox) -> tuple[float, int, int, int, int, int]:
    box.github.clear_log()
    started = time.perf_counter()
    tab = box.conversation.open_home(timeout=120)
    elapsed = time.perf_counter() - started
    if tab.view is None or tab.timed_out:
        raise RuntimeError(f"no Home tab was published (ack {tab.status})")
    log = list(box.github.requests)
    limited = box.github.rate_limited_count()
    return elapsed, len(log), limited, critical_path(log), in_flight(log), len(tab.blocks)


def measure(box: Sandbox, label: str, runs: int) -> None:
    for phase in ("cold", "warm"):
        rows = []
        for _ in range(runs):
            if phase == "cold":
                box.restart_bot()
            else:
                open_once(box)
            rows.append(open_once(box))
        print(
            f"{label:<34} {phase:<5} {statistics.mean(r[1] for r in rows):>8.0f} "
            f"{statistics.mean(r[2] for r in rows):>7.0f} {statistics.median(r[3] for r in rows):>11.0f} "
            f"{max(r[4] for r in rows):>9} {statistics.median(r[0] for r in rows) * 1000:>9.0f} "
            f"{max(r[5] for r in rows):>6}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added to every GitHub request")
    parser.add_argument("--runs", type=int, default=3, help="measurements per world and phase")
    args = parser.parse_args()
    print(f"GitHub delay per request {args.delay * 1000:.0f} ms; median of {args.runs} runs\n")
    print(
        f"{'world':<34} {'phase':<5} {'requests':>8} {'counted':>7} {'round trips':>11} "
        f"{'in flight':>9} {'tab ms':>9} {'blocks':>6}"
    )
    with tempfile.TemporaryDirectory(prefix="slackbot-home-") as root:
        with Sandbox(Path(root) / "small", github_delay=args.delay) as box:
            measure(box, "sandbox: 5 environments", args.runs)
        config = large_config(Path(root))
        with Sandbox(Path(root) / "large", github_delay=args.delay, config=config) as box:
            large_world(box)
            measure(box, f"30 environments, {COMPONENTS} components each", args.runs)


if __name__ == "__main__":
    main()
