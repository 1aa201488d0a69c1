"""GitHub's rate limits: the primary limit (requests an hour; a 304 and ``GET /rate_limit`` cost
nothing), its ``X-RateLimit-*`` headers and the ``GET /rate_limit`` body, and the secondary limit on
content creation (writes a minute; 403 with ``Retry-After: 60`` beyond it; off by default). Both
windows run on the emulator's clock.
"""

from __future__ import annotations

import threading
from collections import deque

from slackbot.sandbox.github_emulator.api import BOT_LOGIN, ApiError, Clock, Json
from slackbot.sandbox.github_emulator.shapes import stable_id

RATE_LIMIT = 5000
RATE_WINDOW = 3600.0
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WRITE_WINDOW = 60.0  # seconds; the secondary rate limit counts writes per minute
SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit and have been temporarily blocked from content creation. "
    "Please retry your request again later."
)


class RateLimits:
    """The counters behind both limits; the limits themselves are the emulator's (tests change them)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._window_used = 0
        self._window_start = self._now()
        self._writes: deque[float] = deque()  # times of recent writes

    def _now(self) -> float:
        return self._clock().timestamp()

    def check(self, limit: int) -> None:
        """Refuse (403) a request beyond ``limit`` in this hour's window."""
        with self._lock:
            self._roll_window()
            exhausted = self._window_used >= limit
        if exhausted:
            raise ApiError(
                403,
                f"API rate limit exceeded for user ID {stable_id(f'user:{BOT_LOGIN}')}.",
                headers={"X-RateLimit-Remaining": "0"},
            )

    def check_write(self, limit: int | None) -> None:
        """Refuse (403, ``Retry-After``) a write beyond ``limit`` a minute (None: no limit); count it else."""
        if limit is None:
            return
        now = self._now()
        with self._lock:
            while self._writes and now - self._writes[0] >= WRITE_WINDOW:
                self._writes.popleft()
            refused = len(self._writes) >= limit
            if not refused:
                self._writes.append(now)
        if refused:
            raise ApiError(403, SECONDARY_RATE_LIMIT_MESSAGE, headers={"Retry-After": str(int(WRITE_WINDOW))})

    def _roll_window(self) -> None:
        if self._now() - self._window_start >= RATE_WINDOW:
            self._window_start = self._now()
            self._window_used = 0

    def headers(self, limit: int, *, count: bool, override: dict[str, str]) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers after this request (counted if ``count``); ``override`` wins."""
        with self._lock:
            self._roll_window()
            if count:
                self._window_used += 1
            used = self._window_used
            reset = int(self._window_start + RATE_WINDOW)
        values = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - used)),
            "X-RateLimit-Used": str(used),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Resource": "core",
        }
        return {**values, **{k: v for k, v in override.items() if k in values}}

    def body(self, limit: int) -> Json:
        """What ``GET /rate_limit`` answers."""
        with self._lock:
            used = self._window_used
            reset = int(self._window_start + RATE_WINDOW)
        core = {"limit": limit, "used": used, "remaining": max(0, limit - used), "reset": reset}
        other = {"limit": 5000, "used": 0, "remaining": 5000, "reset": reset}
        return {
            "resources": {
                "core": {**core, "resource": "core"},
                "search": {**other, "limit": 30, "remaining": 30, "resource": "search"},
                "graphql": {**other, "resource": "graphql"},
            },
            "rate": {**core, "resource": "core"},
        }
