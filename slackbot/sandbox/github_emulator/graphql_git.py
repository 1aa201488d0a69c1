"""Git objects for one GraphQL request through one ``git cat-file --batch-command``: a query asking
for 60 files at 30 commits walks 30 commits' trees and reads their blobs through one process
instead of a hundred.

Trees are read as git stores them (``<mode> <name>\\0<20-byte sha>`` entries), so a path's entry
carries its mode (a symbolic link, a submodule) as ``git ls-tree`` would give it.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from slackbot.sandbox.gitrepo import GitRepo, TreeEntry, _git_env

_SHA = re.compile(r"[0-9a-f]{40}")
_KINDS = {"40000": "tree", "160000": "commit"}  # any other mode is a blob


@dataclass(frozen=True)
class GitObject:
    kind: str  # commit, tree, blob or tag
    size: int


class ObjectReader:
    """Objects of one repository by sha; started on first use, stopped by :meth:`close`."""

    def __init__(self, git: GitRepo) -> None:
        self._git = git
        self._process: subprocess.Popen[bytes] | None = None
        self._info: dict[str, GitObject | None] = {}
        self._data: dict[str, bytes] = {}

    def _ask(self, command: str, sha: str) -> tuple[GitObject | None, bytes | None]:
        if self._process is None:
            self._process = subprocess.Popen(
                ["git", f"--git-dir={self._git.path}", "cat-file", "--batch-command"],
                env=_git_env(),  # as GitRepo runs git: no user or system configuration
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None
        assert stdout is not None
        stdin.write(f"{command} {sha}\n".encode())
        stdin.flush()
        header = stdout.readline().decode().split()
        if len(header) != 3:  # "<sha> missing"
            return None, None
        found = GitObject(header[1], int(header[2]))
        if command != "contents":
            return found, None
        data = stdout.read(found.size)
        stdout.read(1)  # the newline after the contents
        return found, data

    def info(self, sha: str) -> GitObject | None:
        """The object's kind and size; None when there is no such object (or no such sha)."""
        if not _SHA.fullmatch(sha):
            return None
        if sha not in self._info:
            self._info[sha] = self._ask("info", sha)[0]
        return self._info[sha]

    def data(self, sha: str) -> bytes:
        """The object's bytes (it must exist)."""
        if not _SHA.fullmatch(sha):
            raise LookupError(sha)
        if sha not in self._data:
            found, data = self._ask("contents", sha)
            if found is None or data is None:
                raise LookupError(sha)
            self._info[sha], self._data[sha] = found, data
        return self._data[sha]

    def entry(self, commit: str, path: str) -> TreeEntry | None:
        """The entry at ``path`` in ``commit``'s tree, as ``git ls-tree -l`` gives it; None if absent."""
        tree = self.data(commit).split(b"\n", 1)[0].removeprefix(b"tree ").decode()
        parts = path.split("/")
        for depth, name in enumerate(parts):
            found = self._child(tree, name)
            if found is None:
                return None
            mode, sha = found
            kind = _KINDS.get(mode, "blob")
            if depth == len(parts) - 1:
                info = self.info(sha) if kind == "blob" else None
                return TreeEntry(mode.rjust(6, "0"), kind, sha, info.size if info else None, path)
            if kind != "tree":
                return None
            tree = sha
        return None

    def _child(self, tree: str, name: str) -> tuple[str, str] | None:
        """(mode, sha) of ``name`` in ``tree``."""
        data, at = self.data(tree), 0
        wanted = name.encode()
        while at < len(data):
            space, nul = data.index(b" ", at), data.index(b"\0", at)
            if data[space + 1 : nul] == wanted:
                return data[at:space].decode(), data[nul + 1 : nul + 21].hex()
            at = nul + 21
        return None

    def close(self) -> None:
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None
