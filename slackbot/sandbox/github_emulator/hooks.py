"""The test hooks' state: the log of every request as answered (:class:`RequestRecord`, writes and
refusals included, with the count of those that cost rate limit) and the faults tests inject to
answer the next matching requests with an error instead (or after carrying them out: the answer
lost, as when GitHub applies a write and then fails).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from slackbot.sandbox.github_emulator.api import Json


@dataclass(frozen=True)
class RequestRecord:
    """One request as answered. ``path`` and ``query`` are percent-decoded; times are ``time.monotonic()``."""

    method: str
    path: str
    query: str
    status: int
    started: float
    finished: float
    conditional: bool


class RequestLog:
    """Every request as answered, oldest first, and how many of them counted against the rate limit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._counted = 0  # since clear

    def append(self, record: RequestRecord, *, counted: bool) -> None:
        with self._lock:
            self._records.append(record)
            self._counted += counted

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def counted(self) -> int:
        with self._lock:
            return self._counted

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._counted = 0


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    headers: dict[str, str]
    body: Json | None
    after_applying: bool = False  # carry the request out, then answer with the fault (a lost answer)


class Faults:
    """Injected faults, each used up after its number of matching requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching ``method`` and the decoded ``path``, counted as used once."""
        with self._lock:
            for fault in self._faults:
                if fault.method in ("*", method) and fault.pattern.search(path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None
