"""GitHub's REST answers read into the bot's terms: pull requests, comparisons, contents, text.

An answer the bot cannot read becomes a sentence naming what was asked (:func:`parsed`).
"""

from __future__ import annotations

import codecs
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from slackbot.domain.errors import Unavailable
from slackbot.domain.forge import Comparison, PullInfo
from slackbot.domain.versions import UnreadableFile

log = logging.getLogger(__name__)
T = TypeVar("T")


def parsed(what: str, parse: Callable[[], T]) -> T:
    """An answer read into the bot's terms; one it cannot read is a sentence naming what was asked."""
    try:
        return parse()
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
        log.warning("GitHub's answer for %s could not be read: %r", what, error)
        raise Unavailable(
            f"GitHub answered for {what} in a form I cannot read; try again in a minute."
        ) from error


def pull_info(data: dict[str, Any]) -> PullInfo:
    return PullInfo(
        number=data["number"],
        url=data["html_url"],
        state=data["state"],
        merged=bool(data.get("merged") or data.get("merged_at")),
        head=data["head"]["ref"],
        base=data["base"]["ref"],
        title=data.get("title") or "",
        merge_sha=data.get("merge_commit_sha") if data.get("merged") or data.get("merged_at") else None,
        merged_at=time_of(data.get("merged_at")),
        mergeable=data.get("mergeable"),
        merged_by=(data.get("merged_by") or {}).get("login"),
        created_at=time_of(data.get("created_at")),
    )


def comparison_of(data: Any) -> Comparison:
    merge_base = (data.get("merge_base_commit") or {}).get("sha")
    commits = data.get("commits") or []
    return Comparison(
        status=data["status"],
        ahead_by=data["ahead_by"],
        behind_by=data["behind_by"],
        merge_base=merge_base,
        oldest_commit_at=commit_date(commits[0]) if commits else None,
    )


def commit_date(commit: Any) -> datetime | None:
    return time_of(((commit.get("commit") or {}).get("author") or {}).get("date"))


def content_of(data: Any) -> tuple[str, str, str | None]:
    """(type, sha, content) of a contents answer: for a file its base64 content (None when GitHub
    left it out, over 1 MB), for a symbolic link its target."""
    if not isinstance(data, dict):  # a folder's listing
        return "dir", "", None
    kind = str(data["type"])
    if kind == "symlink":
        return kind, str(data["sha"]), str(data["target"])
    if kind != "file":
        return kind, str(data["sha"]), None
    content = None if data.get("encoding") == "none" else str(data["content"])
    return kind, str(data["sha"]), content


def decoded(raw: bytes) -> str | UnreadableFile:
    """A file's bytes as text; the bot reads and writes UTF-8 only, as Flux and kustomize do."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return UnreadableFile("is UTF-16 text, not UTF-8; save it as UTF-8")
        return UnreadableFile(
            f"is not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start}: Latin-1, "
            "perhaps); save it as UTF-8"
        )


def time_of(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def json_body(body: str) -> Any:
    try:
        return json.loads(body) if body else {}
    except ValueError:
        return {"message": body[:200]}
