"""How the simulated Flux shows a component on GitHub: commit statuses, as Flux posts them.

:class:`CommitStatuses` posts, for each :class:`~slackbot.sandbox.flux_track.Track` whose last
attempt is known, a commit status on the attempted commit of its repository through a GitHub API
(the emulator's), as notification-controller does: context ``kustomization/<flux_name>/<cluster_id>``, state ``success`` or
``failure`` (never ``pending``), description the event reason in words ("reconciliation
succeeded"). Each status is posted once; one that could not be posted is tried again next time.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request

from slackbot.sandbox.flux_track import Track

__all__ = ["CommitStatuses", "describe_reason"]

log = logging.getLogger(__name__)


def describe_reason(reason: str) -> str:
    """``HealthCheckFailed`` -> ``health check failed``, as the notification-controller words it."""
    return " ".join(re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", reason)).lower() or reason.lower()


class CommitStatuses:
    """One cluster's notification-controller GitHub provider (``cluster_id``: its UID prefix)."""

    def __init__(self, api_url: str, token: str | None, *, cluster_id: str, environment: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.cluster_id = cluster_id
        self.environment = environment  # for the log only

    def post(self, track: Track) -> None:
        """Post ``track``'s last attempt unless it is the status posted last for it."""
        if track.ready is None or track.attempted is None:
            return
        ok, reason, _message = track.ready
        wanted = (track.attempted[1], "success" if ok else "failure", describe_reason(reason))
        if wanted == track.posted:
            return
        sha, state, description = wanted
        url = f"{self.api_url}/repos/{track.repository}/statuses/{sha}"
        body = {
            "state": state,
            "context": f"kustomization/{track.flux_name}/{self.cluster_id}",
            "description": description,
        }
        try:
            self._send(url, body)
        except (urllib.error.URLError, OSError) as error:
            log.warning(
                "simulated cluster %s: commit status on %s@%s not posted: %s",
                self.environment,
                track.repository,
                sha[:7],
                error,
            )
            return  # tried again on the next tick
        track.posted = wanted

    def _send(self, url: str, body: dict[str, str]) -> None:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"not an HTTP URL: {url}")
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked just above
            url,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Accept": "application/vnd.github+json",
                "Content-Type": "application/json",
                **({"Authorization": f"token {self.token}"} if self.token else {}),
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - checked above
            response.read()
