"""A thin helper around the ``git`` CLI for bare repositories.

Used by the GitHub emulator (to answer from real git objects), by the sandbox world seeder and by
demo commands that commit "as a developer would". Everything runs ``git`` with argument lists
(never a shell), isolated from the user's and the system's git configuration so that results do
not depend on the machine (no ``~/.gitconfig`` needed, no commit signing, no hooks).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ZERO_SHA = "0" * 40
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # the empty tree in every SHA-1 repository
DEFAULT_AUTHOR = "Demo Developer <dev@example.test>"

_SHA_RE = re.compile(r"[0-9a-f]{40}")
_IDENTITY_RE = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<(?P<email>[^<>]*)>\s*$")
# Variables that would point git at another repository, index or object store than ours.
_INHERITED_GIT_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_COMMON_DIR",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
)
_FIELD = "\x1f"  # separates the fields of one commit in `git log` output (never in metadata)
_LOG_FORMAT = _FIELD.join(["%H", "%T", "%P", "%an", "%ae", "%at", "%cn", "%ce", "%ct", "%B"])


class GitError(RuntimeError):
    """A git command failed."""

    def __init__(self, args: Sequence[str], returncode: int, stderr: str) -> None:
        super().__init__(f"git {' '.join(args)} failed ({returncode}): {stderr.strip()}")
        self.returncode = returncode
        self.stderr = stderr


@dataclass(frozen=True)
class Identity:
    """A git author or committer."""

    name: str
    email: str

    @classmethod
    def parse(cls, text: str) -> Identity:
        """Read ``"Name <email>"``."""
        match = _IDENTITY_RE.match(text)
        if match is None or not match["name"]:
            raise ValueError(f"not an identity of the form 'Name <email>': {text!r}")
        return cls(match["name"], match["email"])

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True)
class Signature:
    """Who made a commit and when (seconds since the epoch, UTC)."""

    name: str
    email: str
    timestamp: int


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Signature
    committer: Signature
    message: str


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a tree: ``type`` is blob, tree or commit (a submodule)."""

    mode: str
    type: str
    sha: str
    size: int | None
    path: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class FileChange:
    """A file changed between two commits; status uses GitHub's words (added/modified/removed)."""

    path: str
    status: str
    sha: str
    additions: int
    deletions: int


def _git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _INHERITED_GIT_VARS}
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,  # a user's commit.gpgSign or hooksPath must not leak in
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_LITERAL_PATHSPECS": "1",  # paths from requests are paths, never globs
            "LC_ALL": "C",
        }
    )
    if extra:
        env.update(extra)
    return env


def _check_rev(rev: str) -> str:
    # A revision starting with "-" would be read as an option; NUL or newlines cannot be revisions.
    if not rev or rev.startswith("-") or any(c in rev for c in "\0\n\r"):
        raise ValueError(f"not a revision: {rev!r}")
    return rev


def _utc_date(timestamp: int) -> str:
    return f"@{timestamp} +0000"


class GitRepo:
    """A bare repository on disk."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def init_bare(cls, path: Path, initial_branch: str = "main") -> GitRepo:
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            # An empty template: no sample hooks, so repositories are small and quick to copy.
            [
                "git",
                "init",
                "--quiet",
                "--bare",
                "--template=",
                f"--initial-branch={initial_branch}",
                str(path),
            ],
            check=True,
            capture_output=True,
            env=_git_env(),
        )
        return cls(path)

    def exists(self) -> bool:
        return (self.path / "HEAD").is_file() and (self.path / "objects").is_dir()

    # -- running git -------------------------------------------------------------------------------

    def run(
        self,
        *args: str,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
        ok_codes: Iterable[int] = (0,),
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``git --git-dir=PATH ARGS``; raise GitError unless the exit code is in ``ok_codes``."""
        proc = subprocess.run(
            ["git", f"--git-dir={self.path}", *args],
            input=stdin,
            capture_output=True,
            env=_git_env(env),
            check=False,
        )
        if proc.returncode not in tuple(ok_codes):
            raise GitError(args, proc.returncode, proc.stderr.decode("utf-8", "replace"))
        return proc

    def text(self, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None) -> str:
        return self.run(*args, stdin=stdin, env=env).stdout.decode("utf-8", "replace").strip()

    # -- objects -----------------------------------------------------------------------------------

    def resolve(self, rev: str) -> str | None:
        """The commit sha ``rev`` names (sha, short sha, branch, tag, full ref), or None."""
        try:
            _check_rev(rev)
        except ValueError:
            return None
        proc = self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", ok_codes=(0, 1, 128))
        out = proc.stdout.decode().strip()
        return out if proc.returncode == 0 and _SHA_RE.fullmatch(out) else None

    def object_type(self, sha: str) -> str | None:
        if not re.fullmatch(r"[0-9a-f]{4,40}", sha):
            return None
        proc = self.run("cat-file", "-t", sha, ok_codes=(0, 1, 128))
        return proc.stdout.decode().strip() if proc.returncode == 0 else None

    def full_sha(self, sha: str) -> str | None:
        """Expand a (short) object id to 40 hex digits, or None if no such object."""
        if self.object_type(sha) is None:
            return None
        return self.text("rev-parse", "--verify", "--quiet", sha)

    def object_size(self, sha: str) -> int:
        return int(self.text("cat-file", "-s", sha))

    def read_blob(self, sha: str) -> bytes:
        return self.run("cat-file", "blob", sha).stdout

    def write_blob(self, data: bytes) -> str:
        return self.text("hash-object", "-w", "--stdin", stdin=data)

    def commit_info(self, rev: str) -> CommitInfo | None:
        sha = self.resolve(rev)
        if sha is None:
            return None
        return self.log(sha, max_count=1)[0]

    def log(
        self,
        rev: str,
        *,
        max_count: int,
        skip: int = 0,
        path: str | None = None,
        since: int | None = None,
        until: int | None = None,
    ) -> list[CommitInfo]:
        """Commits reachable from ``rev``, newest first; ``since``/``until``: committer dates, inclusive."""
        args = ["log", "-z", f"--format={_LOG_FORMAT}", f"--max-count={max_count}", f"--skip={skip}"]
        args += [f"--since=@{since}"] if since is not None else []
        args += [f"--until=@{until}"] if until is not None else []
        args += [_check_rev(rev), "--"]
        if path:
            args.append(path)
        out = self.run(*args).stdout.decode("utf-8", "replace")
        return [_parse_commit(record) for record in out.split("\0") if record]

    def commits_between(self, base: str, head: str) -> list[CommitInfo]:
        """Commits in ``head`` that ``base`` lacks, oldest first (as GitHub's compare lists them)."""
        out = self.run(
            "log",
            "-z",
            "--reverse",
            f"--format={_LOG_FORMAT}",
            _check_rev(head),
            f"^{_check_rev(base)}",
            "--",
        ).stdout.decode("utf-8", "replace")
        return [_parse_commit(record) for record in out.split("\0") if record]

    def count(self, base: str, head: str) -> int:
        """How many commits ``head`` has that ``base`` lacks."""
        return int(self.text("rev-list", "--count", _check_rev(head), f"^{_check_rev(base)}", "--"))

    def merge_base(self, a: str, b: str) -> str | None:
        proc = self.run("merge-base", _check_rev(a), _check_rev(b), ok_codes=(0, 1))
        return proc.stdout.decode().strip() or None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        proc = self.run(
            "merge-base", "--is-ancestor", _check_rev(ancestor), _check_rev(descendant), ok_codes=(0, 1)
        )
        return proc.returncode == 0

    def tree_entry(self, rev: str, path: str) -> TreeEntry | None:
        """The entry at ``path`` in commit ``rev`` (the root tree for an empty path), or None."""
        path = path.strip("/")
        if not path:
            tree = self.text("rev-parse", "--verify", f"{_check_rev(rev)}^{{tree}}")
            return TreeEntry("040000", "tree", tree, None, "")
        entries = self._ls_tree(rev, "--full-tree", "--", path)
        return next((e for e in entries if e.path == path), None)

    def list_tree(self, tree_sha: str, prefix: str = "", *, recursive: bool = False) -> list[TreeEntry]:
        """Entries of a tree; paths are prefixed with ``prefix`` (the tree's own path)."""
        entries = self._ls_tree(tree_sha, *(["-r", "-t"] if recursive else []))
        if not prefix:
            return entries
        return [TreeEntry(e.mode, e.type, e.sha, e.size, f"{prefix}/{e.path}") for e in entries]

    def _ls_tree(self, treeish: str, *args: str) -> list[TreeEntry]:
        out = self.run("ls-tree", "-l", "-z", _check_rev(treeish), *args).stdout.decode("utf-8", "replace")
        entries = []
        for record in out.split("\0"):
            if not record:
                continue
            meta, path = record.split("\t", 1)
            mode, kind, sha, size = meta.split()
            entries.append(TreeEntry(mode, kind, sha, None if size == "-" else int(size), path))
        return entries

    def changed_files(self, old: str | None, new: str) -> list[FileChange]:
        """Files that differ between two commits (``old`` None: against the empty tree)."""
        base = old or EMPTY_TREE
        raw = self.run("diff-tree", "-r", "-z", "--no-renames", base, new).stdout.decode("utf-8", "replace")
        numstat = self.run("diff-tree", "-r", "-z", "--no-renames", "--numstat", base, new).stdout
        counts: dict[str, tuple[int, int]] = {}
        num_fields = numstat.decode("utf-8", "replace").split("\0")
        for record in num_fields:
            parts = record.split("\t", 2)
            if len(parts) == 3:
                plus, minus, path = parts
                # Binary files show "-": GitHub reports 0 changed lines for them.
                counts[path] = (int(plus) if plus.isdigit() else 0, int(minus) if minus.isdigit() else 0)
        fields = raw.split("\0")
        changes = []
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            if not meta.startswith(":"):
                continue
            _old_mode, _new_mode, old_sha, new_sha, letter = meta[1:].split()
            status = {"A": "added", "D": "removed"}.get(letter, "modified")
            added, deleted = counts.get(path, (0, 0))
            changes.append(FileChange(path, status, old_sha if letter == "D" else new_sha, added, deleted))
        return changes

    # -- refs --------------------------------------------------------------------------------------

    def refs(self, prefix: str = "refs/") -> dict[str, str]:
        """Full ref name -> the sha it points at, for refs whose name starts with ``prefix``."""
        out = self.text("for-each-ref", "--format=%(refname)%00%(objectname)")
        result = {}
        for line in out.splitlines():
            name, _, sha = line.partition("\0")
            if name.startswith(prefix):
                result[name] = sha
        return result

    def branches(self) -> dict[str, str]:
        """Branch name (without refs/heads/) -> tip sha."""
        return {name.removeprefix("refs/heads/"): sha for name, sha in self.refs("refs/heads/").items()}

    def ref(self, name: str) -> str | None:
        """The sha a full ref name (``refs/heads/x``) points at, or None."""
        return self.refs(name).get(name)

    def head_branch(self) -> str | None:
        """The branch HEAD points at (the repository's default branch)."""
        proc = self.run("symbolic-ref", "--quiet", "--short", "HEAD", ok_codes=(0, 1, 128))
        return proc.stdout.decode().strip() or None

    @staticmethod
    def is_valid_ref_name(name: str) -> bool:
        """Whether git accepts ``name`` (a full ref such as ``refs/heads/x``) as a ref name."""
        if not name or name.startswith("-"):
            return False
        proc = subprocess.run(
            ["git", "check-ref-format", name], capture_output=True, env=_git_env(), check=False
        )
        return proc.returncode == 0

    def create_ref(self, name: str, sha: str) -> bool:
        """Create ``name`` at ``sha``; False (and nothing changed) if the ref already exists."""
        # The all-zero old value makes git refuse atomically when the ref exists.
        proc = self.run("update-ref", "--no-deref", name, sha, ZERO_SHA, ok_codes=(0, 128))
        return proc.returncode == 0

    def update_ref(self, name: str, new: str, old: str | None = None, message: str | None = None) -> None:
        """Move ``name`` to ``new``; with ``old``, only if it still points there (else GitError)."""
        args = ["update-ref", "--no-deref"]
        if message:
            args += ["-m", message]
        args += [name, new]
        if old is not None:
            args.append(old)
        self.run(*args)

    # -- writing commits ---------------------------------------------------------------------------

    def commit_tree(
        self,
        tree: str,
        parents: Sequence[str],
        message: str,
        *,
        author: Identity,
        committer: Identity | None = None,
        timestamp: int | None = None,
    ) -> str:
        """Write a commit object (no ref moves); returns its sha."""
        when = _utc_date(int(time.time()) if timestamp is None else timestamp)
        committer = committer or author
        env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": committer.name,
            "GIT_COMMITTER_EMAIL": committer.email,
            "GIT_COMMITTER_DATE": when,
        }
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        # The message goes through stdin so that no text is ever read as an option.
        return self.text(*args, "-F", "-", stdin=message.encode(), env=env)

    def merge_tree(self, ours: str, theirs: str) -> str | None:
        """The tree of merging ``theirs`` into ``ours`` (git merge-tree --write-tree), None on conflict."""
        proc = self.run(
            "merge-tree",
            "--write-tree",
            "--no-messages",
            _check_rev(ours),
            _check_rev(theirs),
            ok_codes=(0, 1, 128),
        )
        if proc.returncode != 0:  # 1: conflicts; 128: e.g. unrelated histories
            return None
        return proc.stdout.decode().split("\n", 1)[0].strip()

    def tree_with_files(self, base: str | None, files: Mapping[str, bytes], *, mode: str = "100644") -> str:
        """A tree equal to commit/tree ``base`` (None: empty) with ``files`` written into it
        (``mode`` 120000: each is a symbolic link, its data the target)."""
        with tempfile.TemporaryDirectory(prefix="slackbot-git-index-") as tmp:
            # A throwaway index lets plumbing build the tree without any working tree.
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if base is not None:
                self.run("read-tree", _check_rev(base), env=env)
            for path, data in files.items():
                blob = self.write_blob(data)
                self.run("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path.strip('/')}", env=env)
            return self.text("write-tree", env=env)

    def commit_file(
        self,
        branch: str,
        path: str,
        text: str | bytes,
        message: str,
        author: str = DEFAULT_AUTHOR,
        *,
        timestamp: int | None = None,
        mode: str = "100644",
    ) -> str:
        """Commit one file to an existing branch, as a developer's push would; returns the new tip.

        ``text`` is written as UTF-8 (bytes as they are); ``mode`` 120000 makes it a symbolic link
        to ``text``. If the file already has exactly this content the branch is left alone and its
        tip returned (git itself refuses to make an empty commit).
        """
        ref = f"refs/heads/{branch}"
        parent = self.ref(ref)
        if parent is None:
            raise GitError(["commit_file", branch], 1, f"no branch {branch!r} in {self.path}")
        data = text.encode("utf-8") if isinstance(text, str) else text
        tree = self.tree_with_files(parent, {path: data}, mode=mode)
        if tree == self.text("rev-parse", f"{parent}^{{tree}}"):
            return parent
        sha = self.commit_tree(tree, [parent], message, author=Identity.parse(author), timestamp=timestamp)
        self.update_ref(ref, sha, parent, message=f"commit: {message.splitlines()[0] if message else ''}")
        return sha

    def fast_import(self, stream: bytes) -> None:
        """Feed a ``git fast-import`` stream (the seeder builds whole histories in one process)."""
        # Keep the result as one pack (git explodes small imports into loose objects): quicker to copy.
        self.run("-c", "fastimport.unpackLimit=0", "fast-import", "--quiet", "--done", stdin=stream)


def commit_file(  # noqa: PLR0917 - the signature the demo and the tests were promised
    repo_dir: Path,
    branch: str,
    path: str,
    text: str,
    message: str,
    author: str = DEFAULT_AUTHOR,
) -> str:
    """Commit ``text`` as ``path`` on ``branch`` of the bare repository ``repo_dir``; returns the new sha."""
    return GitRepo(repo_dir).commit_file(branch, path, text, message, author)


def _parse_commit(record: str) -> CommitInfo:
    fields = record.lstrip("\n").split(_FIELD, 9)
    sha, tree, parents, an, ae, at, cn, ce, ct, body = fields
    return CommitInfo(
        sha=sha,
        tree=tree,
        parents=tuple(parents.split()),
        author=Signature(an, ae, int(at)),
        committer=Signature(cn, ce, int(ct)),
        message=body.rstrip("\n"),
    )
