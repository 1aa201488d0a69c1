"""GitHub's refusals as the bot's errors, each one sentence a person can act on, and PyGithub's
retry log kept to a line per kind of trouble.

``translate`` turns a ``GithubException`` into NotFound, NotPermitted or Unavailable, telling a
missing branch from a missing repository, a refused write from a refused read, and a used-up rate
limit (when it resets, said once; "nothing was changed" is for the callers that could have changed
something to say). ``unreachable`` does the same for requests that never got an answer.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from github import GithubException, GithubRetry, RateLimitExceededException, UnknownObjectException
from urllib3 import BaseHTTPResponse
from urllib3.util.retry import Retry

from slackbot.domain.errors import NotFound, NotPermitted, Unanswered, Unavailable

RETRY_LOGGER = "github.GithubRetry"  # PyGithub's GithubRetry logs here
# The last: a commit listing's 404 for a `sha=` that names no branch or commit.
_BRANCH_MISSING = re.compile(
    r"Branch not found|Branch .+ not found|No commit found for the ref .*|No commit found for SHA: .*"
)


class TooLarge(Unavailable):
    """GitHub's API does not serve a file this large (over 100 MB); cloning would."""


def unreachable(error: requests.RequestException) -> Unavailable:
    if isinstance(error, requests.exceptions.RetryError):  # PyGithub's retries ran out
        found = re.search(r"too many (\d{3}) error responses", str(error))
        code = found.group(1) if found else "5xx"
        if code in ("403", "429"):  # retried only when GitHub says "rate limit" or "Retry-After"
            return Unavailable(
                f"GitHub's rate limit is holding the bot back (HTTP {code}, still refused after "
                "waiting and retrying); try again in a minute."
            )
        return Unanswered(f"GitHub is having trouble (HTTP {code}); try again in a minute.")
    return Unanswered(f"GitHub could not be reached ({type(error).__name__}); try again shortly.")


class PatientRetry(GithubRetry):
    """PyGithub's retry, except that a 403 or 429 whose ``Retry-After`` is longer than the bot waits
    is answered at once with GitHub's refusal (headers included, so the sentence can say when to
    come back) instead of retried until the retries run out."""

    def increment(self, *args: Any, **kwargs: Any) -> Retry:  # type: ignore[override]
        response = kwargs.get("response", args[2] if len(args) > 2 else None)
        if isinstance(response, BaseHTTPResponse) and response.status in (403, 429):
            after = str(response.headers.get("Retry-After") or "")
            if after.isdigit() and int(after) > (self.max_rate_limit_wait or 0):
                raise GithubException(response.status, _json_body(response), dict(response.headers))
        return super().increment(*args, **kwargs)


def _json_body(response: BaseHTTPResponse) -> Any:
    try:
        return json.loads(response.data or b"{}")
    except ValueError:
        return {"message": "rate limit (Retry-After)"}


def message_of(error: GithubException) -> str:
    """GitHub's message, including the per-field messages of a 422 'Validation Failed'."""
    data = error.data if isinstance(error.data, dict) else {}
    parts = [str(data.get("message", ""))]
    parts += [str(e.get("message", "")) for e in data.get("errors", []) if isinstance(e, dict)]
    return " ".join(p for p in parts if p)


def translate(  # noqa: PLR0911
    error: GithubException, repository: str, branch: str, *, writing: str | None = None
) -> Exception:
    """GitHub's answer as one sentence a person can act on; ``writing`` names a refused write."""
    text = error.data.get("message", "") if isinstance(error.data, dict) else ""
    branch_missing = bool(_BRANCH_MISSING.fullmatch(text))
    rate_limited = isinstance(error, RateLimitExceededException) or (
        error.status in (403, 429) and "rate limit" in text.lower()
    )
    if rate_limited:
        return Unavailable(_rate_limit_sentence(error.headers, repository, writing))
    if error.status == 403 and _too_large(error):
        return TooLarge(f"GitHub's API does not serve files this large from `{repository}` (over 100 MB).")
    if writing and error.status in (403, 404) and not branch_missing:
        # GitHub answers a write the credentials may not make with 403, or 404 as if the
        # repository did not exist (it was readable a moment ago).
        return NotPermitted(
            f"GitHub refused to {writing} in `{repository}` (HTTP {error.status}: {text or 'no message'}); "
            "the bot's token or GitHub App needs write access to contents and pull requests there."
        )
    if isinstance(error, UnknownObjectException) or error.status == 404:
        if branch_missing:
            return NotFound(f"`{repository}` has no branch `{branch}`.")
        return NotFound(f"GitHub has no repository `{repository}` (or the bot's credentials cannot see it).")
    if error.status == 401:
        return Unavailable(
            "GitHub refused the bot's credentials (401); check GITHUB_TOKEN, or the GitHub App's id, private key and installation id."
        )
    if error.status == 403:
        return Unavailable(
            f"GitHub refused access to `{repository}` (403); the bot's token lacks permission there."
        )
    if error.status >= 500:
        return Unanswered(f"GitHub is having trouble (HTTP {error.status}); try again in a minute.")
    return Unavailable(f"GitHub answered HTTP {error.status}: {text or 'no message'}.")


def _too_large(error: GithubException) -> bool:
    data = error.data if isinstance(error.data, dict) else {}
    errors = data.get("errors")
    coded = isinstance(errors, list) and any(
        isinstance(e, dict) and e.get("code") == "too_large" for e in errors
    )
    return coded or "too large" in str(data.get("message", "")).lower()


def _rate_limit_sentence(headers: dict[str, Any] | None, repository: str, writing: str | None) -> str:
    """The rate limit, when it lets the bot go on (once), and what could not be done."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    reset = str(headers.get("x-ratelimit-reset") or "")
    after = str(headers.get("retry-after") or "")
    if after.isdigit():
        until = datetime.now(UTC) + timedelta(seconds=int(after))
        limit, when = "GitHub's rate limit is holding the bot back", f"until {until:%H:%M} UTC ({after} s)"
    elif "retry-after" in headers:
        limit, when = "GitHub's rate limit is holding the bot back", f"for {headers['retry-after']}"
    elif reset.isdigit():
        limit, when = (
            "GitHub's rate limit is used up",
            f"until {datetime.fromtimestamp(int(reset), UTC):%H:%M} UTC",
        )
    else:
        limit, when = "GitHub's rate limit is used up", "for now; try again in a few minutes"
    if writing:
        return f"{limit} {when}, so the bot could not {writing} in `{repository}`."
    return f"{limit} {when}."


# -- PyGithub's retry log -----------------------------------------------------------------------------

_REQUEST = re.compile(r"^Request \S+ \S+")
_NUMBERS = re.compile(r"\d+(?:\.\d+)?")


class RetryLogThrottle(logging.Filter):
    """Let each kind of line PyGithub's retry logs through once per ``quiet`` seconds.

    For every request a rate limit refuses, GithubRetry logs "Request GET /repos/... failed with
    403: Forbidden" and "Required backoff of 2532.4s exceeds max_rate_limit_wait of 5s". The bot
    reads in parallel, so until the limit resets that is two lines for every read. A kind is the
    line without its request and its numbers.
    """

    def __init__(self, quiet: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._quiet = quiet
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        kind = _NUMBERS.sub("#", _REQUEST.sub("Request", record.getMessage()))
        now = self._clock()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < self._quiet:
                return False
            if len(self._last) > 64:  # kinds are few; never let a strange one grow this
                self._last.clear()
            self._last[kind] = now
        return True
