"""The HTTP side: the routing table (method and path pattern to endpoint), the request handler on
the sandbox's :class:`~slackbot.sandbox.loopback.LoopbackServer`, and :class:`GitHubEmulator`, which
answers each request in order (injected fault, credentials, rate limits, the endpoint) and adds what
GitHub adds to every answer: ETags and 304s, rate-limit and cache headers, a request id, the log.
"""

from __future__ import annotations

import hashlib
import http
import itertools
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from slackbot.sandbox.github_emulator import (
    commits,
    contents,
    git_objects,
    git_refs,
    merge,
    meta,
    pulls,
    repos,
    statuses,
)
from slackbot.sandbox.github_emulator.api import (
    DOCS_URL,
    Api,
    ApiError,
    Clock,
    Reply,
    Request,
    not_found,
    utc_now,
)
from slackbot.sandbox.github_emulator.auth import INSTALLATION_TOKEN_TTL, Credentials, InstallationToken
from slackbot.sandbox.github_emulator.graphql_api import GRAPHQL_PATH, GraphQLEndpoint
from slackbot.sandbox.github_emulator.hooks import Fault, Faults, RequestLog, RequestRecord
from slackbot.sandbox.github_emulator.limits import RATE_LIMIT, WRITE_METHODS, RateLimits
from slackbot.sandbox.loopback import LoopbackHandler, LoopbackHTTPServer, LoopbackServer

log = logging.getLogger(__name__)

Handler = Callable[[Api, Request], Reply]
_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
# First match wins: longer paths before the catch-all ``(?P<ref>.+)`` ones. Matched against the raw
# (percent-encoded) path; groups are decoded afterwards, so `release%2F0.2.105` and
# `release/0.2.105` both work.
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (method, re.compile(pattern), handler)
    for method, pattern, handler in [
        ("GET", r"/rate_limit", meta.get_rate_limit),
        ("GET", r"/user", meta.get_user),
        ("GET", r"/users/(?P<login>[^/]+)", meta.get_named_user),
        ("GET", _REPO, repos.get_repo),
        ("GET", _REPO + r"/branches/(?P<branch>.+)", repos.get_branch),
        ("POST", _REPO + r"/git/refs", git_refs.create_ref),
        ("GET", _REPO + r"/git/ref/(?P<ref>.+)", git_refs.get_ref),
        ("GET", _REPO + r"/git/refs/(?P<ref>.+)", git_refs.get_refs_prefix),
        ("PATCH", _REPO + r"/git/refs/(?P<ref>.+)", git_refs.update_git_ref),
        ("GET", _REPO + r"/git/matching-refs(?:/(?P<ref>.*))?", git_refs.get_matching_refs),
        ("GET", _REPO + r"/git/commits/(?P<sha>[^/]+)", git_objects.get_git_commit),
        ("GET", _REPO + r"/git/blobs/(?P<sha>[^/]+)", git_objects.get_blob),
        ("GET", _REPO + r"/git/trees/(?P<sha>.+)", git_objects.get_tree),
        ("GET", _REPO + r"/contents(?:/(?P<path>.*))?", contents.get_contents),
        ("PUT", _REPO + r"/contents/(?P<path>.+)", contents.put_contents),
        ("GET", _REPO + r"/commits", commits.list_commits),
        ("GET", _REPO + r"/commits/(?P<ref>.+)/statuses", statuses.list_statuses),
        ("GET", _REPO + r"/commits/(?P<ref>.+)/status", statuses.combined_status),
        ("GET", _REPO + r"/commits/(?P<ref>.+)/pulls", pulls.commit_pulls),
        ("GET", _REPO + r"/commits/(?P<ref>.+)", commits.get_commit),
        ("GET", _REPO + r"/compare/(?P<basehead>.+)", commits.compare),
        ("GET", _REPO + r"/statuses/(?P<ref>.+)", statuses.list_statuses),
        ("POST", _REPO + r"/statuses/(?P<sha>[^/]+)", statuses.create_status),
        ("GET", _REPO + r"/pulls", pulls.list_pulls),
        ("POST", _REPO + r"/pulls", pulls.create_pull),
        ("GET", _REPO + r"/pulls/(?P<number>\d+)", pulls.get_pull),
        ("PATCH", _REPO + r"/pulls/(?P<number>\d+)", pulls.update_pull),
        ("GET", _REPO + r"/pulls/(?P<number>\d+)/commits", pulls.list_pull_commits),
        ("GET", _REPO + r"/pulls/(?P<number>\d+)/files", pulls.list_pull_files),
        ("GET", _REPO + r"/pulls/(?P<number>\d+)/merge", pulls.pull_merged),
        ("PUT", _REPO + r"/pulls/(?P<number>\d+)/merge", merge.merge_pull),
    ]
]


def _route(method: str, raw_path: str) -> tuple[Handler, dict[str, str]]:
    for route_method, pattern, handler in ROUTES:
        match = pattern.fullmatch(raw_path) if route_method == method else None
        if match is not None:
            return handler, {
                k: urllib.parse.unquote(v) for k, v in match.groupdict().items() if v is not None
            }
    raise not_found()  # GitHub answers 404 for unknown paths and for unsupported methods alike


class _Handler(LoopbackHandler):
    server: LoopbackHTTPServer[GitHubEmulator]
    disable_nagle_algorithm = True  # headers and body go out in two writes: no delayed-ACK stalls

    def _serve(self) -> None:
        headers, body = self.read_request()
        status, reply_headers, payload = self.server.owner._handle(self.command, self.path, headers, body)
        self.send_response(status)
        for name, value in reply_headers.items():
            self.send_header(name, value)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and status not in (204, 304):
            self.wfile.write(payload)

    # http.server dispatches on these names.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815


class GitHubEmulator(LoopbackServer):
    """Serve ``repos_dir/OWNER/NAME.git`` as GitHub's REST API on loopback.

    ``clock`` is GitHub's time (default: the real time in UTC): it stamps pull requests, merges and
    statuses, and runs the rate-limit windows and the App's JWT and token expiry checks.
    """

    def __init__(
        self,
        repos_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        delay: float = 0.0,
        token: str | None = None,
        rate_limit: int = RATE_LIMIT,
        write_limit_per_minute: int | None = None,
        app: tuple[int, str] | None = None,
        app_installations: Collection[int] | None = None,
        installation_token_ttl: float = INSTALLATION_TOKEN_TTL,
        clock: Clock | None = None,
    ) -> None:
        self.repos_dir = Path(repos_dir)
        self.delay = delay
        self.clock: Clock = clock or utc_now
        installations = frozenset(app_installations) if app_installations is not None else None
        self._credentials = Credentials(self.clock, token, app, installations)
        self.installation_token_ttl = installation_token_ttl
        self.rate_limit = rate_limit
        # GitHub's secondary rate limit on content creation; None (the default) never limits.
        self.write_limit_per_minute = write_limit_per_minute
        self._limits = RateLimits(self.clock)
        super().__init__(host, port, _Handler, thread_name="github-emulator")
        self._api = Api(self.repos_dir, self.base_url, self.clock)
        self._log = RequestLog()
        self._faults = Faults()
        self._request_ids = itertools.count(1)
        # POST /graphql, with its own points budget (``graphql.points_per_hour``, ``graphql.points_used()``).
        self.graphql = GraphQLEndpoint(self._api, self.clock)

    def _announce(self) -> None:
        log.info("GitHub emulator serving %s at %s", self.repos_dir, self.base_url)

    # -- test hooks

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, oldest first."""
        return self._log.records()

    def clear_log(self) -> None:
        self._log.clear()

    def inject_fault(
        self,
        method: str,
        path_pattern: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        after_applying: bool = False,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` ("*" for any) and ``path_pattern``
        (``re.search`` on the decoded path) with ``status`` instead, changing nothing; with
        ``after_applying``, carry each request out first (GitHub applied it, its answer was lost)."""
        self._faults.add(
            Fault(
                method.upper(),
                re.compile(path_pattern),
                status,
                times,
                dict(headers or {}),
                body,
                after_applying,
            )
        )

    @property
    def installation_tokens(self) -> list[InstallationToken]:
        """The installation tokens issued to the GitHub App, oldest first (expired ones included)."""
        return self._credentials.installation_tokens()

    def rate_limited_count(self) -> int:
        """Requests that counted against the rate limit since ``clear_log`` (not 304s, not /rate_limit)."""
        return self._log.counted()

    # -- one request

    def _handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        started = time.monotonic()
        if self.delay > 0:
            time.sleep(self.delay)
        raw_path, _, query = target.partition("?")
        if len(raw_path) > 1:
            raw_path = raw_path.rstrip("/") or "/"
        path = urllib.parse.unquote(raw_path)
        conditional = "if-none-match" in headers or "if-modified-since" in headers
        reply = self._reply(method, raw_path, query, headers=headers, body=body)
        payload = _payload(reply.body)
        if method == "GET" and reply.status == 200:
            # ETags are tied to the credentials, as on GitHub: a new token invalidates old ETags.
            digest = hashlib.sha256(headers.get("authorization", "").encode() + b"\0" + payload).hexdigest()
            etag = f'W/"{digest[:40]}"'
            reply.headers["ETag"] = etag
            if _etag_matches(headers.get("if-none-match"), etag):
                reply = Reply(304, None, {"ETag": etag})
                payload = b""
        # As on GitHub: a 304 and a look at /rate_limit cost nothing.
        counted = reply.status != 304 and path != "/rate_limit"
        # GraphQL's points are a budget of their own: its answers carry their own X-RateLimit-* headers.
        core = counted and path != GRAPHQL_PATH
        reply.headers.update(self._limits.headers(self.rate_limit, count=core, override=reply.headers))
        _add_github_headers(method, reply, payload, request_id=next(self._request_ids))
        finished = time.monotonic()
        record = RequestRecord(
            method, path, urllib.parse.unquote(query), reply.status, started, finished, conditional
        )
        self._log.append(record, counted=counted)
        log.debug("%s %s -> %d (%.1f ms)", method, path, reply.status, (finished - started) * 1000)
        return reply.status, reply.headers, payload

    def _reply(
        self, method: str, raw_path: str, query: str, *, headers: dict[str, str], body: bytes
    ) -> Reply:
        path = urllib.parse.unquote(raw_path)
        fault = self._faults.take(method, path)
        if fault is not None and not fault.after_applying:
            return _fault_reply(fault)
        reply = self._answer(method, raw_path, query, headers=headers, body=body)
        return reply if fault is None else _fault_reply(fault)

    def _answer(
        self, method: str, raw_path: str, query: str, *, headers: dict[str, str], body: bytes
    ) -> Reply:
        path = urllib.parse.unquote(raw_path)
        handler: Handler | None = None
        try:
            installation = self._credentials.installation_in(method, raw_path)
            if installation is None:
                self._credentials.check_token(headers.get("authorization"))
            else:
                self._credentials.check_app_jwt(headers.get("authorization"))
            if raw_path == GRAPHQL_PATH and method == "POST":  # its own points; a query is no write
                return self.graphql.answer(body)
            self._limits.check(self.rate_limit)
            if installation is not None:
                ttl = self.installation_token_ttl
                reply = self._credentials.issue_installation_token(installation, _parse_json(body), ttl)
            else:
                if method in WRITE_METHODS:
                    self._limits.check_write(self.write_limit_per_minute)
                handler, args = _route(method, raw_path)
                params = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
                request = Request(method, raw_path, params, _parse_json(body), args, headers)
                reply = handler(self._api, request)
        except ApiError as error:
            return Reply(error.status, error.body(), dict(error.headers))
        except Exception:
            log.exception("GitHub emulator failed on %s %s", method, path)
            return Reply(500, {"message": "Server Error", "documentation_url": DOCS_URL, "status": "500"})
        if handler is meta.get_rate_limit:
            reply.body = self._limits.body(self.rate_limit)
        return reply


def _fault_reply(fault: Fault) -> Reply:
    error = ApiError(fault.status, http.HTTPStatus(fault.status).phrase)
    return Reply(fault.status, fault.body if fault.body is not None else error.body(), dict(fault.headers))


def _add_github_headers(method: str, reply: Reply, payload: bytes, *, request_id: int) -> None:
    """The headers GitHub adds to every answer: content type, request id, media type, caching."""
    if payload:
        reply.headers.setdefault("Content-Type", "application/json; charset=utf-8")
    reply.headers["X-GitHub-Request-Id"] = f"EMU0:{request_id:08X}"
    reply.headers.setdefault("X-GitHub-Media-Type", "github.v3; format=json")
    if method == "GET" and reply.status in (200, 304):
        reply.headers.setdefault("Cache-Control", "private, max-age=60, s-maxage=60")
        reply.headers.setdefault("Vary", "Accept, Authorization, Cookie")


def _payload(body: Any) -> bytes:
    if body is None:
        return b""
    return body if isinstance(body, bytes) else json.dumps(body, indent=2).encode()


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in wanted or etag.removeprefix("W/") in wanted


def _parse_json(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ApiError(400, "Problems parsing JSON") from exc
