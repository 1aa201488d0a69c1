"""Credentials as GitHub checks them: the emulator's token (401 "Bad credentials" for any other),
and GitHub App authentication: ``POST /app/installations/{id}/access_tokens`` with a JWT checked as
GitHub does (RS256, the App's key, ``iss``, ``iat`` and ``exp`` with 60 s of clock drift, GitHub's
messages) answers with an installation token (``ghs_...``) accepted like the token until it
expires. Times are the emulator's clock. PyJWT and cryptography are imported only with an App.
"""

from __future__ import annotations

import logging
import re
import secrets
import string
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

from slackbot.sandbox.github_emulator.api import ApiError, Clock, Reply, iso, not_found

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

log = logging.getLogger(__name__)

# GitHub App authentication: what GitHub answers for a JWT it refuses, and what it allows.
JWT_UNDECODABLE = "A JSON web token could not be decoded"
JWT_IAT_INVALID = (
    "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
)
JWT_EXP_PAST = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
JWT_EXP_TOO_FAR = "'Expiration time' claim ('exp') is too far in the future"
JWT_MAX_LIFETIME = 600.0  # seconds: ``exp`` at most 10 minutes ahead
JWT_CLOCK_DRIFT = 60.0  # seconds allowed either way between the App's clock and ours
INSTALLATION_TOKEN_TTL = 3600.0
APP_PERMISSIONS = {"contents": "write", "metadata": "read", "pull_requests": "write", "statuses": "write"}
_PERMISSION_LEVELS = {"read": 1, "write": 2, "admin": 3}
_TOKEN_ALPHABET = string.ascii_letters + string.digits
_ACCESS_TOKENS = re.compile(r"/app/installations/(?P<installation>\d+)/access_tokens")


@dataclass(frozen=True)
class InstallationToken:
    """An installation access token issued to the GitHub App; ``expires`` is a POSIX timestamp on
    the emulator's clock (``time.time()`` with the default clock)."""

    installation_id: int
    token: str
    expires: float


class Credentials:
    """The token (None: any), the GitHub App (its id and public key), its installations (None: any
    id) and the installation tokens it was issued."""

    def __init__(
        self,
        clock: Clock,
        token: str | None,
        app: tuple[int, str] | None,
        app_installations: frozenset[int] | None,
    ) -> None:
        self._clock = clock
        self._token = token
        self._app_id = str(app[0]) if app is not None else None
        self._app_key = _rsa_public_key(app[1]) if app is not None else None
        self._app_installations = app_installations
        self._lock = threading.Lock()
        self._installation_tokens: dict[str, InstallationToken] = {}

    def _now(self) -> float:
        return self._clock().timestamp()

    def installation_tokens(self) -> list[InstallationToken]:
        with self._lock:
            return list(self._installation_tokens.values())

    def check_token(self, authorization: str | None) -> None:
        """Refuse (401) anything but the token or a live installation token, if either is set up."""
        if self._token is None and self._app_key is None:
            return
        scheme, _, value = (authorization or "").partition(" ")
        value = value.strip()
        if scheme.lower() not in ("token", "bearer") or (
            value != self._token and not self._live_installation_token(value)
        ):
            raise ApiError(401, "Bad credentials")

    def _live_installation_token(self, value: str) -> bool:
        with self._lock:
            issued = self._installation_tokens.get(value)
        return issued is not None and self._now() < issued.expires

    def installation_in(self, method: str, raw_path: str) -> int | None:
        """The installation whose token is asked for, if this is that request (and an App is set)."""
        match = _ACCESS_TOKENS.fullmatch(raw_path) if method == "POST" and self._app_key else None
        return int(match.group("installation")) if match else None

    def check_app_jwt(self, authorization: str | None) -> None:
        """Refuse (401, GitHub's messages) anything but a current JWT signed by the App's key."""
        import jwt  # noqa: PLC0415  (only App authentication needs PyJWT)

        assert self._app_key is not None
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            raise ApiError(401, JWT_UNDECODABLE)
        try:
            # The signature only: GitHub's own checks of the claims follow, with its messages.
            claims = jwt.decode(
                value.strip(),
                self._app_key,
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_iss": False},
            )
        except jwt.InvalidTokenError as exc:
            raise ApiError(401, JWT_UNDECODABLE) from exc
        iss, iat, exp = claims.get("iss"), claims.get("iat"), claims.get("exp")
        if isinstance(iss, bool) or not isinstance(iss, str | int) or str(iss) != self._app_id:
            raise ApiError(401, JWT_UNDECODABLE)  # another App's JWT, or none of an App
        now = self._now()
        if not _is_number(iat) or iat > now + JWT_CLOCK_DRIFT:
            raise ApiError(401, JWT_IAT_INVALID)
        if not _is_number(exp) or exp <= now - JWT_CLOCK_DRIFT:
            raise ApiError(401, JWT_EXP_PAST)
        if exp > now + JWT_MAX_LIFETIME + JWT_CLOCK_DRIFT:
            raise ApiError(401, JWT_EXP_TOO_FAR)

    def issue_installation_token(self, installation: int, body: Any, ttl: float) -> Reply:
        """201 with a new token for ``installation`` living ``ttl`` seconds, narrowed if asked."""
        if self._app_installations is not None and installation not in self._app_installations:
            raise not_found()
        requested = body.get("permissions") if isinstance(body, dict) else None
        permissions = dict(APP_PERMISSIONS)
        if isinstance(requested, dict) and requested:  # a narrower token, as GitHub allows
            if not all(_grants(APP_PERMISSIONS.get(str(n)), level) for n, level in requested.items()):
                raise ApiError(422, "The permissions requested are not granted to this installation.")
            permissions = {str(n): str(level) for n, level in requested.items()}
        token = "ghs_" + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(36))
        issued = InstallationToken(installation, token, self._now() + ttl)
        with self._lock:
            self._installation_tokens[token] = issued
        log.info("issued a token for installation %d of GitHub App %s", installation, self._app_id)
        return Reply(
            201,
            {
                "token": token,
                # Whole seconds, rounded down: a client trusting it never sends an expired token.
                "expires_at": iso(issued.expires),
                "permissions": permissions,
                "repository_selection": "all",
            },
        )


def _rsa_public_key(pem: str) -> RSAPublicKey:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey  # noqa: PLC0415
    from cryptography.hazmat.primitives.serialization import load_pem_public_key  # noqa: PLC0415

    key = load_pem_public_key(pem.encode())
    if not isinstance(key, RSAPublicKey):
        raise TypeError("app: the GitHub App's key must be an RSA public key in PEM form")
    return key


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _grants(granted: str | None, wanted: Any) -> bool:
    """Whether the App's ``granted`` level of a permission covers the ``wanted`` one."""
    levels = _PERMISSION_LEVELS
    if granted not in levels or not isinstance(wanted, str) or wanted not in levels:
        return False
    return levels[wanted] <= levels[granted]
