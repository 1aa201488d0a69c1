"""How many GitHub requests may be in flight: per command, and for the whole process.

GitHub refuses more than 100 concurrent requests from one client (a secondary rate limit), and a
burst of parallel reads from one command should not crowd out the others. Every request the GitHub
adapter makes (REST's, and GraphQL's queries) holds a permit of the process (``process_limit``, 32
by default) and, inside a :meth:`RequestBudget.scope` (one command, one job run), one of that
scope's (``per_scope``, 16).
A scope is carried by a context variable, so work fanned out through :meth:`RequestBudget.submit`
(or any ``contextvars.copy_context().run``) stays inside the scope that started it.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class _Scope:
    permits: threading.BoundedSemaphore


_SCOPE: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("github_scope", default=None)


class RequestBudget:
    def __init__(self, *, per_scope: int = 16, process_limit: int = 32) -> None:
        self.per_scope = per_scope
        self._process = threading.BoundedSemaphore(process_limit)

    @contextmanager
    def scope(self) -> Iterator[None]:
        """One command's or one job run's requests: at most ``per_scope`` in flight. Nested scopes
        are the outer one."""
        if _SCOPE.get() is not None:
            yield
            return
        token = _SCOPE.set(_Scope(threading.BoundedSemaphore(self.per_scope)))
        try:
            yield
        finally:
            _SCOPE.reset(token)

    @contextmanager
    def request(self) -> Iterator[None]:
        """Hold the permits of one request while it is in flight."""
        scope = _SCOPE.get()
        if scope is not None:
            scope.permits.acquire()
        try:
            with self._process:
                yield
        finally:
            if scope is not None:
                scope.permits.release()

    def submit(self, executor: Executor, fn: Callable[..., T], *args: Any) -> Future[T]:
        """``executor.submit`` inside the caller's scope."""
        return executor.submit(contextvars.copy_context().run, fn, *args)
