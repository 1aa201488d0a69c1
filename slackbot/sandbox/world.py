"""The sandbox world: the demo's git repositories, seeded from the data files in ``world/``.

``seed_world(root)`` writes bare repositories under ``root/repos/OWNER/NAME.git`` (what the GitHub
emulator serves) and a copy of ``world/slackbot.yml``, the sandbox's bot configuration. The
histories are described in ``world/repositories.toml`` and replayed with ``git fast-import`` (one
process per repository, so seeding takes a few hundredths of a second), with fixed authors and
dates, so every seeding produces the same commit shas.

What the world holds (owner ``lsc-sde``):

Core repository ``lsc-sde/iac-flux-lscsde``: branches ``prod``, ``stg``, ``dev``, ``main`` (the
sandbox environment) in the split layout (``core/flux-config.yaml``, ``helm-config.yaml``,
``image-config.yaml``, ``release.yaml``, ``release-namespaces.yaml``) and ``uat`` in the legacy
layout (only ``core/deployment-config.yaml``). The component pins (``release/`` left out):

    component      prod                     stg      dev      sandbox  uat
    jupyter_hub    0.2.105                  0.2.105  0.2.106  main     0.2.69
    ingress_nginx  0.1.61                   0.1.61   0.1.62   main     0.1.55
    cert_manager   0.1.40                   0.1.41   0.1.41   main     0.1.38
    keycloak       0.1.70                   0.1.70   0.1.71   0.1.71   0.1.66
    guacamole      0.1.21-patched-20241010  0.1.21   0.1.22   main     -

(sandbox is the core repository's ``main`` branch; uat's legacy file has no guacamole key.)
Unconfigured components (keda, ohdsi, superset, ...) differ between environments too.

Prod's files are messy on purpose: comments, a commented-out component (superset), quoted and
unquoted versions (keda's ``chart_version: 2.10`` is unquoted and reads as the float 2.1 if
one is careless), extra keys under ohdsi, an image with extra keys (awms_guacamole), a
component name with a hyphen (observability-metrics). ``dev/core/release.yaml`` pins an unquoted
chart version. Core charts: lscsde-flux 0.1.97 (prod), 0.1.98 (stg), 0.1.99 (dev), 0.1.100
(main); lscsde-namespaces 0.1.12 (prod, stg), 0.1.13 (dev, main).

Component repositories, each with ``main`` and every release branch an environment pins:

- ``lsc-sde/iac-flux-jupyter``: release/0.2.69, release/0.2.105, release/0.2.106.
  **release/0.2.105 is ahead of main** (hotfix "Raise the hub's memory limit to 2Gi (INC-2291)"
  never merged back; release/0.2.106 lacks it too). The release/0.2.69 hotfix was merged back.
- ``lsc-sde/iac-flux-nginx``: release/0.1.55, release/0.1.61, release/0.1.62; the release/0.1.61
  hotfix was merged back, so no branch is ahead of main.
- ``lsc-sde/iac-flux-certmanager``: release/0.1.38, release/0.1.40, release/0.1.41; none ahead.
- ``lsc-sde/iac-flux-keycloak``: release/0.1.66, release/0.1.70, release/0.1.71; the
  release/0.1.70 hotfix was merged back, none ahead.
- ``lsc-sde/iac-flux-guacamole``: release/0.1.21, release/0.1.22 and
  **release/0.1.21-patched-20241010, ahead of main** (patch "Stop recording shared connections
  (INC-2187)").

Both forgotten back-merges merge cleanly into main. Branches ``main`` and ``release/*`` (and the
core repository's environment branches) are listed as protected for the emulator: only merging
a pull request moves them through its API.

For the demo console and scripts, standing in for people: ``commit_file`` (a developer's push),
``merge_pull`` (a reviewer pressing GitHub's merge button) and ``open_pulls`` (what GitHub's pull
request list shows).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slackbot.sandbox.github_emulator import ApiError, merge_pull_request, pull_request_summaries
from slackbot.sandbox.gitrepo import GitRepo, Identity, commit_file

__all__ = [
    "CORE_REPOSITORY",
    "WORLD_DATA",
    "ApiError",
    "World",
    "commit_file",
    "merge_pull",
    "open_pulls",
    "seed_world",
]

WORLD_DATA = Path(__file__).with_name("world")
CORE_REPOSITORY = "lsc-sde/iac-flux-lscsde"
PROTECTED_FILE = "emulator-protected"  # read by the GitHub emulator: branch patterns, one a line
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class World:
    repos_dir: Path
    config_path: Path
    core_repository: str = CORE_REPOSITORY

    def repo_dir(self, full_name: str) -> Path:
        """The bare repository of ``owner/name``."""
        return self.repos_dir / f"{full_name}.git"

    def repo(self, full_name: str) -> GitRepo:
        return GitRepo(self.repo_dir(full_name))


def seed_world(root: Path) -> World:
    """Create the sandbox world under ``root``, or reuse the one already there."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    world = World(repos_dir=root / "repos", config_path=root / "slackbot.yml")
    if not world.repos_dir.is_dir():
        # Built aside and renamed into place, so a crash never leaves a half-seeded world to reuse.
        building = Path(tempfile.mkdtemp(prefix=".repos-", dir=root))
        try:
            for plan in _load_plans(WORLD_DATA / "repositories.toml"):
                _seed_repository(building / f"{plan.name}.git", plan)
            building.rename(world.repos_dir)
        except OSError:
            if not world.repos_dir.is_dir():  # not merely a concurrent seeder that won the race
                raise
        finally:
            if building.exists():
                shutil.rmtree(building)
    if not world.config_path.exists():
        _write_atomically(world.config_path, (WORLD_DATA / "slackbot.yml").read_bytes())
    return world


# -- standing in for a person on GitHub ------------------------------------------------------------


def merge_pull(
    repos_dir: Path,
    repository: str,
    number: int,
    *,
    merged_by: str = "demo-reviewer",
    clock: Callable[[], dt.datetime] | None = None,
) -> str:
    """Merge pull request ``number`` of ``owner/name`` as ``merged_by`` pressing GitHub's button.

    The same code path as the emulator's ``PUT .../pulls/{number}/merge`` (a real merge commit,
    the pull request closed and marked merged by ``merged_by``); safe while an emulator serves the
    same repositories, in this process or another. Returns the merge commit's sha. Raises
    :class:`ApiError` with GitHub's status and message: 404 "Not Found" (no such repository or pull
    request), 405 "Pull Request is not mergeable" (closed, already merged, or conflicting). The
    merge is stamped with ``clock`` (the emulator's, when it runs on a manual one), else the real time.
    """
    return merge_pull_request(Path(repos_dir) / f"{repository}.git", number, merged_by=merged_by, clock=clock)


def open_pulls(repos_dir: Path, repository: str, *, include_closed: bool = False) -> list[dict[str, Any]]:
    """The pull requests of ``owner/name`` that are open (all of them with ``include_closed``),
    oldest first, each as a dict: number, title, head, base (branch names), state ("open" or
    "closed"), merged, merged_by, merge_commit_sha, mergeable (whether head merges cleanly into
    base now; None unless open)."""
    pulls = pull_request_summaries(Path(repos_dir) / f"{repository}.git")
    return [pr for pr in pulls if include_closed or pr["state"] == "open"]


# -- replaying repositories.toml ---------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    branch: str | None = None
    message: str = ""
    files: Mapping[str, bytes] = field(default_factory=dict)
    merge: str | None = None
    cut: str | None = None
    cut_from: str | None = None
    date: dt.datetime | None = None


@dataclass(frozen=True)
class _Plan:
    name: str
    start: dt.datetime
    protected: tuple[str, ...]
    authors: tuple[Identity, ...]
    steps: tuple[_Step, ...]


def _load_plans(path: Path) -> list[_Plan]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    authors = tuple(Identity.parse(a) for a in data["authors"])
    return [
        _Plan(
            name=repo["name"],
            start=repo["start"],
            protected=tuple(repo.get("protected", ())),
            authors=authors,
            steps=tuple(_load_step(step, path.parent) for step in repo["step"]),
        )
        for repo in data["repository"]
    ]


def _load_step(step: dict[str, Any], data_dir: Path) -> _Step:
    if "cut" in step:
        return _Step(cut=step["cut"], cut_from=step["from"])
    files: dict[str, bytes] = {}
    if "files_from" in step:
        folder = data_dir / step["files_from"]
        files.update(
            {
                p.relative_to(folder).as_posix(): p.read_bytes()
                for p in sorted(folder.rglob("*"))
                if p.is_file()
            }
        )
    files.update({name: text.encode("utf-8") for name, text in step.get("files", {}).items()})
    return _Step(
        branch=step["branch"],
        message=step["message"],
        files=files,
        merge=step.get("merge"),
        date=step.get("date"),
    )


def _seed_repository(repo_dir: Path, plan: _Plan) -> None:
    repo = GitRepo.init_bare(repo_dir, initial_branch="main")
    repo.fast_import(_fast_import_stream(plan))
    if plan.protected:
        (repo_dir / PROTECTED_FILE).write_text("\n".join(plan.protected) + "\n", encoding="utf-8")


def _fast_import_stream(plan: _Plan) -> bytes:
    """The ``git fast-import`` commands that build ``plan``'s history."""
    out = bytearray()
    tips: dict[str, int] = {}  # branch -> mark of its tip commit
    when = plan.start
    mark = 0
    for step in plan.steps:
        if step.cut is not None:
            source = _tip(tips, step.cut_from, plan)
            out += f"reset refs/heads/{step.cut}\nfrom :{source}\n\n".encode()
            tips[step.cut] = source
            continue
        if step.branch is None:
            raise ValueError(f"{plan.name}: a step needs `cut` or `branch`")
        if tips and step.branch not in tips:
            raise ValueError(f"{plan.name}: commit to {step.branch!r} before it was cut")
        when = step.date or (when + _ONE_DAY if mark else when)
        mark += 1
        author = plan.authors[(mark - 1) % len(plan.authors)]
        stamp = f"{author} {int(when.timestamp())} +0000"
        message = step.message.encode("utf-8") + b"\n"
        out += f"commit refs/heads/{step.branch}\nmark :{mark}\n".encode()
        out += f"author {stamp}\ncommitter {stamp}\ndata {len(message)}\n".encode() + message
        if step.branch in tips:
            out += f"from :{tips[step.branch]}\n".encode()
        if step.merge is not None:
            out += f"merge :{_tip(tips, step.merge, plan)}\n".encode()
        for name, data in step.files.items():
            out += f"M 100644 inline {name}\ndata {len(data)}\n".encode() + data + b"\n"
        out += b"\n"
        tips[step.branch] = mark
    out += b"done\n"
    return bytes(out)


def _tip(tips: Mapping[str, int], branch: str | None, plan: _Plan) -> int:
    if branch is None or branch not in tips:
        raise ValueError(f"{plan.name}: no branch {branch!r} yet")
    return tips[branch]


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
