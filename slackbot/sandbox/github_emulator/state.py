"""What GitHub keeps beside the git data: pull requests and commit statuses, stored as JSON inside
each bare repository (``NAME.git/emulator/pulls.json`` and ``statuses.json``) so a restart keeps
them, written atomically and read-modified-written under a lock that threads and processes share.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from slackbot.sandbox.github_emulator.api import STATE_DIR, Json, Repo, not_found

if sys.platform != "win32":
    import fcntl

_STATE_LOCK = threading.RLock()
_state_files: dict[Path, tuple[int, int]] = {}  # lock file -> (descriptor, depth); guarded by _STATE_LOCK


def load_state(repo: Repo, name: str) -> Json:
    path = repo.state_path(name)
    if not path.is_file():
        return {}
    data: Json = json.loads(path.read_text(encoding="utf-8"))
    return data


@contextlib.contextmanager
def state_lock(repo: Repo) -> Iterator[None]:
    """Hold the pull requests and statuses of ``repo`` (read-modify-write, merges).

    Threads of this process wait on one lock; other processes (``slackbot sandbox github`` and a
    script merging with :func:`merge_pull_request`) on an advisory lock on ``NAME.git/emulator/lock``.
    Re-entrant within a thread.
    """
    path = repo.git.path / STATE_DIR / "lock"
    with _STATE_LOCK:
        fd, depth = _state_files.get(path, (-1, 0))
        if depth == 0:
            path.parent.mkdir(exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            if sys.platform != "win32":
                fcntl.flock(fd, fcntl.LOCK_EX)
        _state_files[path] = (fd, depth + 1)
        try:
            yield
        finally:
            fd, depth = _state_files.pop(path)
            if depth > 1:
                _state_files[path] = (fd, depth - 1)
            else:
                os.close(fd)  # releases the flock


def save_state(repo: Repo, name: str, data: Json) -> None:
    path = repo.state_path(name)
    path.parent.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
    Path(tmp).replace(path)  # atomic: a concurrent reader sees the old or the new file


# -- pull requests ----------------------------------------------------------------------------------


def stored_pulls(repo: Repo) -> list[Json]:
    pulls: list[Json] = load_state(repo, "pulls").get("pulls", [])
    return pulls


def find_pull(repo: Repo, number: str) -> tuple[Json, Json]:
    """(all pull request state, the one numbered ``number``), or 404."""
    data = load_state(repo, "pulls")
    for pr in data.get("pulls", []):
        if str(pr["number"]) == number:
            return data, pr
    raise not_found()


def pull_shas(repo: Repo, pr: Json) -> tuple[str, str]:
    """Head and base shas: the branch tips while open, as frozen when it was closed or merged."""
    if pr["state"] != "open":
        return pr["head_sha"], pr["base_sha"]
    head = repo.git.ref(f"refs/heads/{pr['head_ref']}") or pr["head_sha"]
    base = repo.git.ref(f"refs/heads/{pr['base_ref']}") or pr["base_sha"]
    return head, base
