"""A loopback Kubernetes API server holding custom objects: just enough for Flux's objects.

The bot's Kubernetes client (lightkube) talks to it unchanged (a kubeconfig whose server is
``emulator.base_url``, see :func:`slackbot.sandbox.clusters.write_kubeconfig`), so the probe that
reads a real cluster reads this one in the demo and the tests. Served:

* ``GET /apis/{group}/{version}/namespaces/{ns}/{plural}/{name}``: the object, or 404 as a Status.
* ``PATCH`` the same path with ``application/merge-patch+json`` (RFC 7386); other patch types
  answer 415. As for a CRD with a status subresource, a patch cannot change ``status``.
* ``GET /apis/{group}/{version}``: discovery (an APIResourceList of the plurals served there).

Versions, as Flux's CRDs serve them: by default only ``v1`` (Flux 2.8 and later: kustomize-controller
and source-controller 1.8 dropped ``v1beta2``). ``api_versions=OLDER_FLUX`` (``v1``, ``v1beta2``) is
an older cluster (Flux 2.0 to 2.7, ``v1beta2`` deprecated but served), ``("v1beta2",)`` one from before
Flux 2.0; ``served_versions`` overrides one plural (before Flux 2.6 an OCIRepository is only
``v1beta2``). A Flux kind is never served under a version its CRD never had: an ExternalArtifact
(Flux 2.7+) is ``v1`` only. Every object is served under each version its kind is served under (a
trivial conversion: the same body with ``apiVersion`` swapped); other versions answer 404 "the
server could not find the requested resource", as an API server that does not serve them. Errors
are Kubernetes ``Status`` objects. Requests need ``Authorization: Bearer <token>`` (401 otherwise).

Test hooks: ``unreachable`` (503 to everything: the cluster is down), ``forbidden_verbs`` ("get",
"patch": 403 as RBAC would), ``requests`` (method, path, status) and ``patches`` (path, body).

Only the standard library.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import re
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slackbot.sandbox.loopback import LoopbackHandler, LoopbackHTTPServer, LoopbackServer

__all__ = ["CURRENT_FLUX", "FLUX_KINDS", "OLDER_FLUX", "KubeEmulator", "KubeRequest"]

log = logging.getLogger(__name__)

Json = dict[str, Any]

_OBJECT_PATH = re.compile(r"^/apis/([^/]+)/([^/]+)/namespaces/([^/]+)/([^/]+)/([^/]+)$")
_GROUP_VERSION_PATH = re.compile(r"^/apis/([^/]+)/([^/]+)$")
SOURCE_GROUP = "source.toolkit.fluxcd.io"
KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
# (group, plural) -> (kind, every version its CRD has had that the bot may ask for), from the CRDs in
# fluxcd/source-controller and fluxcd/kustomize-controller (config/crd/bases/).
FLUX_KINDS: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    (SOURCE_GROUP, "gitrepositories"): ("GitRepository", ("v1", "v1beta2")),
    (SOURCE_GROUP, "ocirepositories"): ("OCIRepository", ("v1", "v1beta2")),
    (SOURCE_GROUP, "buckets"): ("Bucket", ("v1", "v1beta2")),
    (SOURCE_GROUP, "externalartifacts"): ("ExternalArtifact", ("v1",)),
    (KUSTOMIZE_GROUP, "kustomizations"): ("Kustomization", ("v1", "v1beta2")),
}
CURRENT_FLUX: tuple[str, ...] = ("v1",)  # Flux 2.8 and later
OLDER_FLUX: tuple[str, ...] = ("v1", "v1beta2")  # Flux 2.0 to 2.7


@dataclass(frozen=True)
class KubeRequest:
    method: str
    path: str
    status: int


class _Reply(Exception):
    def __init__(self, status: int, body: Json) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _status(code: int, reason: str, message: str, details: Json | None = None) -> _Reply:
    body: Json = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details is not None:
        body["details"] = details
    return _Reply(code, body)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: mappings merge recursively, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class KubeEmulator(LoopbackServer):
    """Serve stored custom objects as a Kubernetes API server on loopback."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_versions: tuple[str, ...] = CURRENT_FLUX,
        served_versions: Mapping[str, tuple[str, ...]] | None = None,
        token: str = "sandbox-kube",  # noqa: S107 - a made-up loopback credential
    ) -> None:
        self.api_versions = tuple(api_versions)
        self.served_versions = dict(served_versions or {})  # a Flux kind's plural -> its versions here
        self.token = token
        self.unreachable = False
        self.forbidden_verbs: set[str] = set()
        self._lock = threading.Lock()
        self._objects: dict[tuple[str, str, str, str], Json] = {}  # (group, plural, ns, name)
        self._requests: list[KubeRequest] = []
        self._patches: list[tuple[str, Json]] = []
        self._resource_versions = itertools.count(1)
        super().__init__(host, port, _Handler, thread_name="kube-emulator")

    def _announce(self) -> None:
        log.info("Kubernetes API emulator at %s", self.base_url)

    # -- the store

    def put(  # noqa: PLR0917 - the signature the sandbox and the tests were promised
        self, group: str, version: str, plural: str, namespace: str, name: str, body: Json
    ) -> None:
        """Store ``body`` as the object the API returns (metadata name/namespace filled in)."""
        stored = copy.deepcopy(body)
        stored["apiVersion"] = f"{group}/{version}"
        stored.setdefault("kind", _kind(group, plural))
        metadata = stored.setdefault("metadata", {})
        metadata["name"] = name
        metadata["namespace"] = namespace
        with self._lock:
            metadata["resourceVersion"] = str(next(self._resource_versions))
            metadata.setdefault("generation", 1)
            self._objects[(group, plural, namespace, name)] = stored

    def get(self, group: str, plural: str, namespace: str, name: str) -> Json | None:
        """A copy of the stored object, or None."""
        with self._lock:
            found = self._objects.get((group, plural, namespace, name))
            return copy.deepcopy(found) if found is not None else None

    def update(self, group: str, plural: str, namespace: str, name: str, changes: Json) -> Json | None:
        """Merge ``changes`` (RFC 7386, ``status`` included) into a stored object atomically, as a
        controller writing its status would; None when there is no such object."""
        with self._lock:
            found = self._objects.get((group, plural, namespace, name))
            if found is None:
                return None
            updated: Json = merge_patch(found, changes)
            updated["metadata"]["resourceVersion"] = str(next(self._resource_versions))
            self._objects[(group, plural, namespace, name)] = updated
            return copy.deepcopy(updated)

    def delete(self, group: str, plural: str, namespace: str, name: str) -> bool:
        with self._lock:
            return self._objects.pop((group, plural, namespace, name), None) is not None

    @property
    def requests(self) -> list[KubeRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def patches(self) -> list[tuple[str, Json]]:
        with self._lock:
            return copy.deepcopy(self._patches)

    def clear_log(self) -> None:
        with self._lock:
            self._requests.clear()
            self._patches.clear()

    # -- one request

    def _handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, Json]:
        path = urllib.parse.unquote(urllib.parse.urlsplit(target).path).rstrip("/")
        try:
            reply = self._reply(method, path, headers, body)
        except _Reply as error:
            reply = error
        except Exception:
            log.exception("Kubernetes emulator failed on %s %s", method, path)
            reply = _status(500, "InternalError", "an error on the server has prevented the request")
        with self._lock:
            self._requests.append(KubeRequest(method, path, reply.status))
        log.debug("%s %s -> %d", method, path, reply.status)
        return reply.status, reply.body

    def _reply(self, method: str, path: str, headers: dict[str, str], body: bytes) -> _Reply:
        if self.unreachable:
            raise _status(503, "ServiceUnavailable", "the server is currently unable to handle the request")
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.token:
            raise _status(401, "Unauthorized", "Unauthorized")
        match = _GROUP_VERSION_PATH.match(path)
        if match and method == "GET":
            return _Reply(200, self._discovery(*match.groups()))
        match = _OBJECT_PATH.match(path)
        if match is None:
            raise _status(404, "NotFound", "the server could not find the requested resource")
        group, version, namespace, plural, name = match.groups()
        verb = {"GET": "get", "PATCH": "patch"}.get(method)
        if verb is None:
            raise _status(405, "MethodNotAllowed", f"the server does not allow this method: {method}")
        if not self._serves(group, version, plural):
            raise _status(404, "NotFound", "the server could not find the requested resource")
        if verb in self.forbidden_verbs:
            raise _status(
                403,
                "Forbidden",
                f'{plural}.{group} "{name}" is forbidden: User "system:serviceaccount:sandbox:slackbot" '
                f'cannot {verb} resource "{plural}" in API group "{group}" in the namespace "{namespace}"',
                {"name": name, "group": group, "kind": plural},
            )
        key = (group, plural, namespace, name)
        with self._lock:
            found = self._objects.get(key)
            if found is None:
                raise _status(
                    404,
                    "NotFound",
                    f'{plural}.{group} "{name}" not found',
                    {"name": name, "group": group, "kind": plural},
                )
            if verb == "patch":
                found = self._patch(key, found, path, headers, body)
            served = copy.deepcopy(found)
        served["apiVersion"] = f"{group}/{version}"
        return _Reply(200, served)

    def _patch(
        self, key: tuple[str, str, str, str], found: Json, path: str, headers: dict[str, str], body: bytes
    ) -> Json:
        content_type = headers.get("content-type", "").split(";")[0].strip()
        if content_type != "application/merge-patch+json":
            raise _status(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format: {content_type}",
            )
        try:
            patch = json.loads(body or b"null")
        except ValueError:
            raise _status(400, "BadRequest", "the request body is not valid JSON") from None
        if not isinstance(patch, dict):
            raise _status(400, "BadRequest", "a merge patch must be a JSON object")
        self._patches.append((path, copy.deepcopy(patch)))
        patch.pop("status", None)  # the status subresource: only controllers write it
        updated: Json = merge_patch(found, patch)
        updated["metadata"]["resourceVersion"] = str(next(self._resource_versions))
        self._objects[key] = updated
        return updated

    def _versions_of(self, group: str, plural: str) -> tuple[str, ...]:
        """The versions ``plural`` of ``group`` is served under here (none: its CRD is not installed)."""
        known = FLUX_KINDS.get((group, plural))
        if known is not None:
            if plural in self.served_versions:
                return self.served_versions[plural]
            return tuple(v for v in self.api_versions if v in known[1])
        with self._lock:  # another kind: served, under every version, once an object of it is stored
            stored = any(g == group and p == plural for g, p, _, _ in self._objects)
        return self.api_versions if stored else ()

    def _serves(self, group: str, version: str, plural: str) -> bool:
        return version in self._versions_of(group, plural)

    def _discovery(self, group: str, version: str) -> Json:
        with self._lock:
            stored = {p for g, p, _, _ in self._objects if g == group}
        candidates = stored | {p for g, p in FLUX_KINDS if g == group}
        plurals = sorted(p for p in candidates if self._serves(group, version, p))
        if not plurals:
            raise _status(404, "NotFound", "the server could not find the requested resource")
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}",
            "resources": [
                {
                    "name": plural,
                    "singularName": _kind(group, plural).lower(),
                    "namespaced": True,
                    "kind": _kind(group, plural),
                    "verbs": ["get", "list", "patch", "update", "watch"],
                }
                for plural in plurals
            ],
        }


def _kind(group: str, plural: str) -> str:
    known = FLUX_KINDS.get((group, plural))
    return known[0] if known is not None else plural


class _Handler(LoopbackHandler):
    server: LoopbackHTTPServer[KubeEmulator]

    def _serve(self) -> None:
        headers, body = self.read_request()
        status, reply = self.server.owner._handle(self.command, self.path, headers, body)
        payload = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PATCH = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815
