"""What following hot-fixes costs: GitHub requests per watch cycle, and how soon a roll-out is told.

Measured through the whole bot on the sandbox (the same composition root, PyGithub adapter and
services as production; only GitHub, Slack and the clusters are the loopback emulators):

1. Cost. 50 open hot-fixes across the 5 environments (prod, stg, dev, uat, sandbox) in a mix of
   stages: 15 branched (no commits yet), 15 with their pull request open, 10 merged and waiting
   for Flux (the clusters are held still), 10 with their back-merge pull request open (pairs of
   hot-fixes on one release branch share it), plus 5 done (back-merged, roll-outs confirmed). They
   are made through the hot-fix service with an operator's rights, as `slackbot hotfix` does.
   From the GitHub emulator's request log, for one watch cycle (`FollowupService.watch()`, what
   the scheduler runs every poll interval): requests per cycle and per hour at the configured
   interval; requests counted against the rate limit (not 304) per hour when nothing changes and
   when one thing changes per cycle (a push, a merge, a cluster applying, a pull request closed);
   and the requests made for the done hot-fixes (asserted to be zero).
2. Latency. With the real scheduler polling every --poll seconds and the simulated clusters
   ticking on their own threads: the time from a simulated Flux applying a merge commit to the
   bot's "rolled out" reply in the hot-fix's thread (mean and max), and the bound at 60 s.

Run: `.venv/bin/python benchmarks/followup_bench.py [--cycles 10] [--poll 1.0] [--rounds 5]`
(about two minutes; setting up the 55 hot-fixes takes most of it).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from github import Auth, Github
from scale_bench import config_for, extra_names, many_environments  # benchmarks/ is on the path

from slackbot.domain.followup import RolloutState
from slackbot.domain.hotfix import Hotfix, PullRequestRef, Stage
from slackbot.domain.hotfix_commands import Start
from slackbot.sandbox.github_emulator import RequestRecord
from slackbot.sandbox.harness import INCIDENT, SANDBOX_GITHUB_TOKEN, Sandbox
from slackbot.sandbox.world import commit_file, merge_pull
from slackbot.services.access import Actor

OPERATOR = Actor(user_id="U0BENCH", channel_id=INCIDENT[0], via="cli")  # threads in the incident channel
HOUR = 3600.0
PAIRS = 2  # hot-fixes per release branch in the merged groups (they share reads and back-merges)

# (environment, component) per group. Done ones use branches no open hot-fix uses.
DONE = [
    ("uat", "jupyter_hub"),
    ("uat", "ingress_nginx"),
    ("uat", "cert_manager"),
    ("uat", "keycloak"),
    ("stg", "guacamole"),
]
BACKMERGE_OPEN = [
    pair
    for pair in [
        ("prod", "cert_manager"),
        ("prod", "guacamole"),
        ("dev", "ingress_nginx"),
        ("dev", "guacamole"),
        ("sandbox", "keycloak"),
    ]
    for _ in range(PAIRS)
]
WAITING = [
    pair
    for pair in [
        ("prod", "jupyter_hub"),
        ("stg", "ingress_nginx"),
        ("prod", "keycloak"),
        ("dev", "jupyter_hub"),
        ("stg", "cert_manager"),
    ]
    for _ in range(PAIRS)
]
SPREAD = [
    ("prod", "jupyter_hub"),
    ("stg", "ingress_nginx"),
    ("dev", "keycloak"),
    ("uat", "jupyter_hub"),
    ("sandbox", "keycloak"),
]
PR_OPEN = SPREAD * 3
BRANCHED = SPREAD * 3


@dataclass
class Cycle:
    requests: int
    counted: int
    seconds: float
    change: str = ""


# -- setting up --------------------------------------------------------------------------------------


def start(box: Sandbox, ticket: str, environment: str, component: str) -> Hotfix:
    outcome = box.bot.services.starter.start(
        Start(environment, component, ticket, f"benchmark {ticket}"), OPERATOR
    )
    assert outcome.hotfix is not None
    return outcome.hotfix


def current(box: Sandbox, ticket: str) -> Hotfix:
    [hotfix] = box.bot.store.find(ticket, active_only=False)
    return hotfix


def push(box: Sandbox, hotfix: Hotfix, n: int = 1) -> None:
    commit_file(
        box.world.repo_dir(hotfix.repository),
        hotfix.branch,
        f"fixes/{hotfix.ticket}-{n}.txt",
        f"fix {n} for {hotfix.ticket}\n",
        f"{hotfix.ticket}: fix {n}",
    )


def merge(box: Sandbox, hotfix: Hotfix, *, backmerge: bool = False) -> None:
    now = current(box, hotfix.ticket)
    ref = now.backmerge if backmerge else now.pull
    assert ref is not None, hotfix.ticket
    merge_pull(box.world.repos_dir, hotfix.repository, ref.number)


@contextmanager
def unthrottled(box: Sandbox) -> Iterator[None]:
    """Lift PyGithub's one-second spacing of writes (see ``slackbot.bootstrap``) while setting up only:
    the ~150 branches, pull requests and back-merges would otherwise take minutes."""
    requester = box.bot.source._github().requester  # a benchmark's shortcut into this thread's client
    name = "_Requester__seconds_between_writes"
    spacing = getattr(requester, name)
    setattr(requester, name, None)
    try:
        yield
    finally:
        setattr(requester, name, spacing)


def plans_for(scale: int, extra: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """(environment, component) per group: the 55 above, times ``scale`` for the open ones, with
    the branched and pull-request ones spread over the ``extra`` environments too."""
    spread = SPREAD + [(env, SPREAD[n % len(SPREAD)][1]) for n, env in enumerate(extra)]
    return {
        "done": DONE,
        "backmerge_open": BACKMERGE_OPEN * scale,
        "waiting": WAITING * scale,
        "pr_open": (spread * scale * 3)[: len(PR_OPEN) * scale],
        "branched": (spread[::-1] * scale * 3)[: len(BRANCHED) * scale],
    }


def build_world(box: Sandbox, plans: dict[str, list[tuple[str, str]]]) -> dict[str, list[Hotfix]]:
    """The hot-fixes, each moved to its stage through the service and the watcher."""
    numbered = iter(range(1, 10_000))
    groups = {
        name: [start(box, f"BENCH-{next(numbered)}", env, comp) for env, comp in plan]
        for name, plan in plans.items()
    }
    for name in ("done", "backmerge_open", "waiting", "pr_open"):
        for hotfix in groups[name]:
            push(box, hotfix)
    followup = box.bot.followup
    followup.watch()  # opens the pull requests of the branches with commits
    # Done and back-merge open: merged, rolled out everywhere, back-merge pull request opened.
    for hotfix in [*groups["done"], *groups["backmerge_open"]]:
        merge(box, hotfix)
    followup.watch()  # notices the merges
    for _ in range(3):
        box.tick_clusters()  # apply_delay=0: applied at once
        followup.watch()
    for hotfix in [*groups["done"], *groups["backmerge_open"]]:
        box.bot.services.backmerges.promote(hotfix.ticket, OPERATOR)
    for hotfix in groups["done"]:
        merge(box, hotfix, backmerge=True)
    followup.watch()  # done: back-merged
    # Waiting: merged, but the clusters are held still from here on (ticked only as a "change").
    for hotfix in groups["waiting"]:
        merge(box, hotfix)
    followup.watch()
    wanted = {
        "done": Stage.DONE,
        "backmerge_open": Stage.BACKMERGE_OPEN,
        "waiting": Stage.MERGED,
        "pr_open": Stage.PR_OPEN,
        "branched": Stage.BRANCHED,
    }
    for name, hotfixes in groups.items():
        groups[name] = [current(box, h.ticket) for h in hotfixes]
        stages = Counter(h.stage for h in groups[name])
        assert stages == {wanted[name]: len(hotfixes)}, (name, stages)
    for hotfix in groups["done"]:
        assert box.bot.services.rollouts.settled(hotfix), hotfix.ticket
    return groups


# -- measuring ---------------------------------------------------------------------------------------


def measure_cycle(box: Sandbox, change: str = "") -> tuple[Cycle, list[RequestRecord]]:
    box.github.clear_log()
    began = time.perf_counter()
    box.bot.followup.watch()
    seconds = time.perf_counter() - began
    return Cycle(
        len(box.github.requests), box.github.rate_limited_count(), seconds, change
    ), box.github.requests


def touches(record: RequestRecord, hotfix: Hotfix) -> bool:
    """Whether a request reads something of ``hotfix``'s own: its branch, pull requests or merge commit."""
    repo = f"/repos/{hotfix.repository}/"
    if not record.path.startswith(repo):
        return False
    kind, _, rest = record.path.removeprefix(repo).partition("/")
    own = {hotfix.branch, *(sha for sha in (hotfix.merge_sha,) if sha)}
    if kind == "pulls":
        return rest in {str(ref.number) for ref in (hotfix.pull, hotfix.backmerge) if ref is not None}
    if kind == "compare":
        return bool(own & set(rest.split("...")))
    if kind == "branches":
        return rest in own
    if kind == "commits":
        return rest.removesuffix("/statuses") in own
    return False


def followed_resources(box: Sandbox) -> tuple[int, int]:
    """(distinct branches and pull requests the open hot-fixes follow, distinct release branches
    whose roll-out is read from commit statuses)."""
    followed: set[tuple[str, str]] = set()
    by_status: set[tuple[str, str]] = set()
    status_environments = {
        name for name, env in box.config.environments.items() if env.flux and env.flux.commit_status
    }
    for hotfix in box.bot.store.active():
        ref: PullRequestRef | None = {Stage.PR_OPEN: hotfix.pull, Stage.BACKMERGE_OPEN: hotfix.backmerge}.get(
            hotfix.stage
        )
        if hotfix.stage is Stage.BRANCHED:
            followed.add((hotfix.repository, hotfix.branch))
        elif ref is not None:
            followed.add((hotfix.repository, f"#{ref.number}"))
        for env in status_environments & set(hotfix.rollout_environments):
            if (
                hotfix.merge_sha
                and box.bot.services.rollouts.state(hotfix, env) is not RolloutState.ROLLED_OUT
            ):
                by_status.add((hotfix.repository, hotfix.base_branch))
    return len(followed), len(by_status)


def changes(box: Sandbox, groups: dict[str, list[Hotfix]]) -> Iterator[tuple[str, Callable[[], None]]]:
    """One change on GitHub or in a cluster per cycle, in rotation."""
    branched = iter(groups["branched"])
    with_pull = iter(groups["pr_open"])
    waiting = iter(groups["waiting"][::PAIRS])
    person = Github(auth=Auth.Token(SANDBOX_GITHUB_TOKEN), base_url=box.github.base_url)

    def close_pull(hotfix: Hotfix) -> None:
        ref = current(box, hotfix.ticket).pull
        assert ref is not None
        person.get_repo(hotfix.repository).get_pull(ref.number).edit(state="closed")

    while True:
        hotfix = next(branched)
        yield f"push to {hotfix.branch} (the bot opens its pull request)", lambda h=hotfix: push(box, h)
        hotfix = next(with_pull)
        yield f"merge {hotfix.ticket}'s pull request", lambda h=hotfix: merge(box, h)
        hotfix = next(with_pull)
        yield f"push another commit to {hotfix.branch} (pull request open)", lambda h=hotfix: push(box, h, 2)
        hotfix = next(with_pull)
        yield f"close {hotfix.ticket}'s pull request unmerged", lambda h=hotfix: close_pull(h)
        hotfix = next(waiting)
        env = hotfix.rollout_environments[0]
        yield f"{env} applies {hotfix.base_branch}", lambda e=env: box.clusters[e].tick()


def cost(cycles: int, scale: int = 1, extra_environments: int = 0) -> float:
    """Prints the cost figures; returns a quiet cycle's mean duration in seconds."""
    with tempfile.TemporaryDirectory() as root:
        config, _ = config_for(Path(root), extra_environments)
        with Sandbox(Path(root) / "box", clusters=True, apply_delay=0, config=config) as box:  # type: ignore[arg-type]
            many_environments(box, extra_environments)
            return _cost(box, cycles, plans_for(scale, extra_names(extra_environments)))


def _cost(box: Sandbox, cycles: int, plans: dict[str, list[tuple[str, str]]]) -> float:
    began = time.perf_counter()
    with unthrottled(box):
        groups = build_world(box, plans)
    opened = sum(len(v) for k, v in groups.items() if k != "done")
    where = sorted(
        {e for hs in groups.values() for h in hs for e in (h.environment, *h.rollout_environments)}
    )
    print(
        f"{opened} open hot-fixes (+{len(groups['done'])} done) across {len(where)} environments "
        f"({', '.join(where[:6])}{', …' if len(where) > 6 else ''}) in {repositories(groups)} "
        f"repositories, set up in {time.perf_counter() - began:.0f} s"
    )
    poll = box.config.scheduler.poll_interval.total_seconds()
    per_hour = HOUR / poll

    measure_cycle(box)  # settles anything the set-up left
    followed, by_status = followed_resources(box)
    quiet: list[Cycle] = []
    done_requests = 0
    for _ in range(cycles):
        cycle, records = measure_cycle(box)
        quiet.append(cycle)
        done_requests += sum(touches(r, h) for r in records for h in groups["done"])
    by_kind = Counter(_kind(r) for r in records)

    busy: list[Cycle] = []
    rotation = changes(box, groups)
    for _ in range(cycles):
        what, change = next(rotation)
        change()
        cycle, records = measure_cycle(box, what)
        busy.append(cycle)
        done_requests += sum(touches(r, h) for r in records for h in groups["done"])

    seconds = statistics.mean(c.seconds for c in quiet)
    print(f"\nGitHub requests per watch cycle (poll interval {poll:.0f} s: {per_hour:.0f} cycles an hour)")
    q_req, q_cnt = statistics.mean(c.requests for c in quiet), statistics.mean(c.counted for c in quiet)
    print(
        f"  nothing changes: {q_req:.0f} requests/cycle = {q_req * per_hour:,.0f}/hour, of which "
        f"{q_cnt:.1f}/cycle = {q_cnt * per_hour:,.0f}/hour count against the rate limit (not 304)"
    )
    print(f"    by kind: {', '.join(f'{k} x{n}' for k, n in sorted(by_kind.items()))}")
    print(
        f"    followed: {followed} distinct branches and pull requests, read as one listing of heads "
        f"and one of recently updated pull requests per repository; {by_status} release branch(es) "
        f"whose roll-out is read from commit statuses"
    )
    print(f"    one cycle takes {seconds * 1000:.0f} ms (requests one after another)")
    b_req, b_cnt = statistics.mean(c.requests for c in busy), statistics.mean(c.counted for c in busy)
    print(
        f"  one change per cycle: {b_req:.1f} requests/cycle = {b_req * per_hour:,.0f}/hour; "
        f"counted {b_cnt:.1f}/cycle = {b_cnt * per_hour:,.0f}/hour (GitHub allows 5,000/hour)"
    )
    for cycle in busy:
        print(f"    {cycle.requests:3d} requests, {cycle.counted:2d} counted: {cycle.change}")
    print(
        f"  requests for the {len(groups['done'])} done hot-fixes over {2 * cycles} cycles: {done_requests}"
    )
    assert done_requests == 0, done_requests
    return seconds


def repositories(groups: dict[str, list[Hotfix]]) -> int:
    return len({h.repository for hs in groups.values() for h in hs})


def _kind(record: RequestRecord) -> str:
    parts = record.path.split("/")
    kind = parts[4] if len(parts) > 4 else record.path
    if kind == "commits" and record.path.endswith("/statuses"):
        kind = "statuses"
    return f"{record.method} {kind} {record.status}"


# -- latency -----------------------------------------------------------------------------------------


def latency(poll: float, rounds: int, apply_delay: float, cycle_seconds: float) -> None:
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "skipped: already running" is expected
    with (
        tempfile.TemporaryDirectory() as root,
        Sandbox(Path(root), clusters=True, apply_delay=apply_delay, scheduler_poll=poll) as box,
    ):
        for cluster in box.clusters.values():
            cluster.start(interval=0.05)
        delays: list[float] = []
        for n in range(1, rounds + 1):
            hotfix = start(box, f"LAT-{n}", "prod", "jupyter_hub")  # rolls out to prod (reconciled) and stg
            push(box, hotfix)
            pull = wait(lambda t=hotfix.ticket: current(box, t).pull, 30)
            merge_sha = merge_pull(box.world.repos_dir, hotfix.repository, pull.number)
            told: dict[str, float] = {}
            deadline = time.monotonic() + 60
            while len(told) < 2 and time.monotonic() < deadline:
                for message in box.slack.thread(INCIDENT[0], current(box, hotfix.ticket).thread_ts or ""):
                    for env in ("prod", "stg"):
                        if env not in told and f"{env} rolled out `{merge_sha[:7]}`" in message.text:
                            told[env] = time.monotonic()
                time.sleep(0.005)
            for env in ("prod", "stg"):
                sha, applied_at = box.clusters[env].applied["jupyter_hub"]
                assert sha == merge_sha, (env, sha, merge_sha)
                assert env in told, (env, told)
                delays.append(told[env] - applied_at)
        print(
            f"\nFlux applied -> bot announced, with the real scheduler polling every {poll:g} s "
            f"({rounds} merges x prod and stg):"
        )
        print(f"  mean {statistics.mean(delays):.2f} s, max {max(delays):.2f} s, min {min(delays):.2f} s")
        print(
            "  bound: the next watch run plus that run's own time, i.e. at most the poll interval + one cycle. "
            f"At 60 s with the 50 hot-fixes above (a cycle of {cycle_seconds:.1f} s): at most about "
            f"{60 + cycle_seconds:.0f} s, {30 + cycle_seconds:.0f} s on average."
        )


def wait(predicate: Callable[[], PullRequestRef | None], timeout: float) -> PullRequestRef:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.02)
    raise TimeoutError("the bot did not get there in time")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--cycles", type=int, default=10, help="watch cycles per measurement")
    parser.add_argument(
        "--poll", type=float, default=1.0, help="the scheduler's poll interval in the latency run"
    )
    parser.add_argument("--rounds", type=int, default=5, help="merges timed in the latency run")
    parser.add_argument(
        "--apply-delay", type=float, default=0.5, help="simulated Flux's delay after a change"
    )
    parser.add_argument("--scale", type=int, default=1, help="open hot-fixes: 50 times this")
    parser.add_argument(
        "--extra-environments", type=int, default=0, help="generated environments beside the sandbox's 5"
    )
    parser.add_argument("--no-latency", action="store_true", help="measure the cost only")
    args = parser.parse_args(argv)
    cycle_seconds = cost(args.cycles, args.scale, args.extra_environments)
    if not args.no_latency:
        latency(args.poll, args.rounds, args.apply_delay, cycle_seconds)


if __name__ == "__main__":
    main()
