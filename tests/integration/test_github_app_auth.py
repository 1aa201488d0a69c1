"""GitHub App authentication end to end: the bot's own wiring (``github_connector`` with GITHUB_APP_*
settings) and PyGithub's ``AppInstallationAuth`` against the emulator's App endpoints, which check
the App's JWT as GitHub does and issue installation tokens that expire."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from slackbot.adapters.github import GitHubForge, web_base_from_api
from slackbot.bootstrap import SetupError, github_connector
from slackbot.domain.errors import NotFound, Unavailable
from slackbot.sandbox.github_emulator import (
    JWT_EXP_PAST,
    JWT_EXP_TOO_FAR,
    JWT_IAT_INVALID,
    JWT_UNDECODABLE,
    GitHubEmulator,
    RequestRecord,
)
from slackbot.sandbox.world import World
from slackbot.settings import Secrets

APP_ID = 424242
INSTALLATION_ID = 31337
CORE = "lsc-sde/iac-flux-lscsde"
FLUX = "core/flux-config.yaml"
ACCESS_TOKENS = f"/app/installations/{INSTALLATION_ID}/access_tokens"
GITHUB_VARIABLES = (
    "GITHUB_TOKEN",
    "GITHUB_APP_ID",
    "GITHUB_APP_PRIVATE_KEY",
    "GITHUB_APP_PRIVATE_KEY_FILE",
    "GITHUB_APP_INSTALLATION_ID",
    "GITHUB_API_URL",
)


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str


def _key_pair() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(private.decode(), public.decode())


@pytest.fixture(scope="module")
def app_key() -> KeyPair:
    """The App's key pair: GitHub holds the public half, the bot the private one."""
    return _key_pair()


@pytest.fixture(scope="module")
def other_key() -> KeyPair:
    """A key of no App (a stale or mistyped GITHUB_APP_PRIVATE_KEY)."""
    return _key_pair()


@pytest.fixture(autouse=True)
def _no_github_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Secrets reads the environment too: a GITHUB_TOKEN there would win over the App.
    for name in GITHUB_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def app_emulator(sandbox_world: World, app_key: KeyPair) -> Iterator[GitHubEmulator]:
    with GitHubEmulator(
        sandbox_world.repos_dir, app=(APP_ID, app_key.public_pem), app_installations=[INSTALLATION_ID]
    ) as emulator:
        yield emulator


ForgeFactory = Callable[[Secrets], GitHubForge]


@pytest.fixture
def make_forge() -> Iterator[ForgeFactory]:
    """The production adapter over the production client, as ``build_bot`` wires them."""
    made: list[GitHubForge] = []

    def make(secrets: Secrets) -> GitHubForge:
        forge = GitHubForge(github_connector(secrets), web_base=web_base_from_api(secrets.github_api_url))
        made.append(forge)
        return forge

    yield make
    for forge in made:
        forge.close()


def app_secrets(emulator: GitHubEmulator, **settings: Any) -> Secrets:
    return Secrets(
        **{
            "github_app_id": str(APP_ID),
            "github_app_installation_id": INSTALLATION_ID,
            "github_api_url": emulator.base_url,
            **settings,
        }
    )


def token_exchanges(emulator: GitHubEmulator) -> list[RequestRecord]:
    return [r for r in emulator.requests if r.method == "POST" and r.path.startswith("/app/installations/")]


def repository_reads(emulator: GitHubEmulator) -> list[RequestRecord]:
    return [r for r in emulator.requests if r.path.startswith("/repos/")]


def app_jwt(
    key: str, *, iss: int | str = str(APP_ID), iat: int = -60, exp: int = 300, algorithm: str = "RS256"
) -> str:
    """A JWT as an App signs it; ``iat`` and ``exp`` are seconds from now."""
    now = int(time.time())
    claims = {"iat": now + iat, "exp": now + exp, "iss": iss}
    # Signed as it stands: PyJWT's jwt.encode refuses a numeric ``iss``, which GitHub accepts.
    return jwt.PyJWS().encode(json.dumps(claims).encode(), key, algorithm=algorithm, headers={"typ": "JWT"})


def ask_for_token(
    emulator: GitHubEmulator,
    authorization: str | None,
    *,
    installation: int = INSTALLATION_ID,
    body: dict[str, Any] | None = None,
) -> requests.Response:
    return requests.post(
        f"{emulator.base_url}/app/installations/{installation}/access_tokens",
        headers={"Authorization": authorization} if authorization else {},
        json={"permissions": {}} if body is None else body,
        timeout=5,
    )


def read_repository(emulator: GitHubEmulator, authorization: str | None) -> requests.Response:
    headers = {"Authorization": authorization} if authorization else {}
    return requests.get(f"{emulator.base_url}/repos/{CORE}", headers=headers, timeout=5)


# -- the bot, as production wires it -----------------------------------------------------------------


def test_the_bot_reads_branches_and_files_as_an_app_installation(
    app_emulator: GitHubEmulator, app_key: KeyPair, make_forge: ForgeFactory, sandbox_world: World
) -> None:
    forge = make_forge(app_secrets(app_emulator, github_app_private_key=SecretStr(app_key.private_pem)))

    head = forge.branch_head(CORE, "prod")
    found = forge.read_file(CORE, FLUX, "prod")

    assert head.sha == sandbox_world.repo(CORE).resolve("refs/heads/prod")
    assert found is not None
    assert "release/0.2.105" in found.text
    # One token, asked for once and reused by both reads (it is valid for an hour).
    assert [r.status for r in token_exchanges(app_emulator)] == [201]
    assert [t.installation_id for t in app_emulator.installation_tokens] == [INSTALLATION_ID]
    assert [r.status for r in repository_reads(app_emulator)] == [200, 200]


def test_the_app_key_can_come_from_a_file(
    app_emulator: GitHubEmulator,
    app_key: KeyPair,
    make_forge: ForgeFactory,
    sandbox_world: World,
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "app.private-key.pem"
    key_file.write_text(app_key.private_pem, encoding="utf-8")
    forge = make_forge(app_secrets(app_emulator, github_app_private_key_file=key_file))

    head = forge.branch_head(CORE, "prod")

    assert head.sha == sandbox_world.repo(CORE).resolve("refs/heads/prod")
    assert [r.status for r in token_exchanges(app_emulator)] == [201]


def test_a_wrong_app_key_is_reported_as_a_credentials_problem(
    app_emulator: GitHubEmulator, other_key: KeyPair, make_forge: ForgeFactory
) -> None:
    forge = make_forge(app_secrets(app_emulator, github_app_private_key=SecretStr(other_key.private_pem)))

    with pytest.raises(Unavailable) as raised:
        forge.branch_head(CORE, "prod")

    sentence = str(raised.value)
    assert "credentials" in sentence
    assert "GitHub App" in sentence
    assert [r.status for r in token_exchanges(app_emulator)] == [401]
    assert repository_reads(app_emulator) == []  # nothing is asked without a token


def test_an_installation_the_app_does_not_have_gets_no_token(
    app_emulator: GitHubEmulator, app_key: KeyPair, make_forge: ForgeFactory
) -> None:
    forge = make_forge(
        app_secrets(
            app_emulator,
            github_app_private_key=SecretStr(app_key.private_pem),
            github_app_installation_id=INSTALLATION_ID + 1,
        )
    )

    # GitHub answers 404, so the adapter blames the repository; it does mention the credentials.
    with pytest.raises((NotFound, Unavailable)) as raised:
        forge.branch_head(CORE, "prod")

    assert "credentials" in str(raised.value)
    assert [(r.path, r.status) for r in token_exchanges(app_emulator)] == [
        (f"/app/installations/{INSTALLATION_ID + 1}/access_tokens", 404)
    ]
    assert repository_reads(app_emulator) == []


def test_an_expired_installation_token_is_replaced_without_the_caller_noticing(
    sandbox_world: World, app_key: KeyPair, make_forge: ForgeFactory
) -> None:
    with GitHubEmulator(
        sandbox_world.repos_dir, app=(APP_ID, app_key.public_pem), installation_token_ttl=2.0
    ) as emulator:
        forge = make_forge(app_secrets(emulator, github_app_private_key=SecretStr(app_key.private_pem)))
        head = forge.branch_head(CORE, "prod")
        [first] = emulator.installation_tokens
        time.sleep(max(0.0, first.expires - time.time()) + 0.05)
        # GitHub refuses the first token now ...
        refused = read_repository(emulator, f"token {first.token}")
        assert (refused.status_code, refused.json()["message"]) == (401, "Bad credentials")

        # ... and the bot reads on, with a new one.
        found = forge.read_file(CORE, FLUX, head.sha)

        assert found is not None
        assert "release/0.2.105" in found.text
        assert [r.status for r in token_exchanges(emulator)] == [201, 201]
        assert len({t.token for t in emulator.installation_tokens}) == 2
        assert [r.status for r in repository_reads(emulator)] == [200, 401, 200]  # the 401 was ours


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("github_app_installation_id", "GITHUB_APP_INSTALLATION_ID"),
        ("github_app_private_key", "GITHUB_APP_PRIVATE_KEY"),
    ],
)
def test_an_incomplete_app_setup_stops_the_bot_naming_the_setting(
    app_key: KeyPair, missing: str, named: str
) -> None:
    settings: dict[str, Any] = {
        "github_app_id": str(APP_ID),
        "github_app_private_key": SecretStr(app_key.private_pem),
        "github_app_installation_id": INSTALLATION_ID,
        missing: None,
    }

    with pytest.raises(SetupError, match=named):
        github_connector(Secrets(**settings))


def test_a_private_key_that_is_not_a_key_stops_the_bot_at_start_up() -> None:
    secrets = Secrets(
        github_app_id=str(APP_ID),
        github_app_private_key=SecretStr("not a PEM key"),
        github_app_installation_id=INSTALLATION_ID,
    )
    with pytest.raises(SetupError, match="not an unencrypted PEM private key"):
        github_connector(secrets)


# -- the emulator's App endpoints, as GitHub answers ------------------------------------------------


def test_a_token_is_issued_for_an_app_jwt_in_githubs_shape(
    app_emulator: GitHubEmulator, app_key: KeyPair
) -> None:
    answer = ask_for_token(app_emulator, f"Bearer {app_jwt(app_key.private_pem)}")

    assert answer.status_code == 201
    body = answer.json()
    assert body["token"].startswith("ghs_")
    assert len(body["token"]) == 40
    expires = dt.datetime.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert 3590 <= (expires - dt.datetime.now(dt.UTC)).total_seconds() <= 3600
    assert body["permissions"]["contents"] == "write"
    assert body["repository_selection"] == "all"
    assert read_repository(app_emulator, f"token {body['token']}").status_code == 200
    assert read_repository(app_emulator, f"Bearer {body['token']}").status_code == 200


@pytest.mark.parametrize("iss", [APP_ID, str(APP_ID)], ids=["number", "string (as PyGithub sends it)"])
def test_the_app_id_may_be_a_number_or_a_string(
    app_emulator: GitHubEmulator, app_key: KeyPair, iss: int | str
) -> None:
    assert ask_for_token(app_emulator, f"Bearer {app_jwt(app_key.private_pem, iss=iss)}").status_code == 201


@pytest.mark.parametrize(
    ("make_authorization", "message"),
    [
        pytest.param(lambda keys: None, JWT_UNDECODABLE, id="no credentials"),
        pytest.param(lambda keys: "token ghp_personal", JWT_UNDECODABLE, id="a personal token"),
        pytest.param(lambda keys: "Bearer not.a.jwt", JWT_UNDECODABLE, id="not a JWT"),
        pytest.param(lambda keys: f"Bearer {app_jwt(keys[1])}", JWT_UNDECODABLE, id="another key"),
        pytest.param(
            lambda keys: f"Bearer {app_jwt(keys[0], iss=APP_ID + 1)}", JWT_UNDECODABLE, id="another app"
        ),
        pytest.param(
            lambda keys: f"Bearer {app_jwt('s' * 32, algorithm='HS256')}", JWT_UNDECODABLE, id="not RS256"
        ),
        pytest.param(
            lambda keys: f"Bearer {app_jwt(keys[0], iat=-700, exp=-90)}", JWT_EXP_PAST, id="expired"
        ),
        pytest.param(
            lambda keys: f"Bearer {app_jwt(keys[0], exp=700)}", JWT_EXP_TOO_FAR, id="more than 10 minutes"
        ),
        pytest.param(
            lambda keys: f"Bearer {app_jwt(keys[0], iat=90, exp=300)}", JWT_IAT_INVALID, id="issued later"
        ),
    ],
)
def test_a_jwt_github_would_refuse_gets_its_401(
    app_emulator: GitHubEmulator,
    app_key: KeyPair,
    other_key: KeyPair,
    make_authorization: Callable[[tuple[str, str]], str | None],
    message: str,
) -> None:
    answer = ask_for_token(app_emulator, make_authorization((app_key.private_pem, other_key.private_pem)))

    assert (answer.status_code, answer.json()["message"]) == (401, message)
    assert app_emulator.installation_tokens == []


def test_a_minute_of_clock_drift_is_forgiven(app_emulator: GitHubEmulator, app_key: KeyPair) -> None:
    ahead = app_jwt(app_key.private_pem, iat=50, exp=650)  # the App's clock is 50 s fast
    behind = app_jwt(app_key.private_pem, iat=-660, exp=-50)  # ... or it signed 50 s too late
    assert ask_for_token(app_emulator, f"Bearer {ahead}").status_code == 201
    assert ask_for_token(app_emulator, f"Bearer {behind}").status_code == 201


def test_only_the_apps_installations_get_tokens(app_emulator: GitHubEmulator, app_key: KeyPair) -> None:
    answer = ask_for_token(app_emulator, f"Bearer {app_jwt(app_key.private_pem)}", installation=7)
    assert (answer.status_code, answer.json()["message"]) == (404, "Not Found")


def test_a_token_may_ask_for_less_than_the_app_was_granted(
    app_emulator: GitHubEmulator, app_key: KeyPair
) -> None:
    authorization = f"Bearer {app_jwt(app_key.private_pem)}"
    narrower = ask_for_token(app_emulator, authorization, body={"permissions": {"contents": "read"}})
    wider = ask_for_token(app_emulator, authorization, body={"permissions": {"administration": "write"}})

    assert (narrower.status_code, narrower.json()["permissions"]) == (201, {"contents": "read"})
    assert (wider.status_code, wider.json()["message"]) == (
        422,
        "The permissions requested are not granted to this installation.",
    )


def test_with_an_app_every_other_endpoint_needs_a_live_token(sandbox_world: World, app_key: KeyPair) -> None:
    with GitHubEmulator(
        sandbox_world.repos_dir, app=(APP_ID, app_key.public_pem), installation_token_ttl=0.5
    ) as emulator:
        token = ask_for_token(emulator, f"Bearer {app_jwt(app_key.private_pem)}").json()["token"]
        fresh = read_repository(emulator, f"token {token}")
        time.sleep(0.6)
        stale = read_repository(emulator, f"token {token}")
        anonymous = read_repository(emulator, None)
        the_jwt = read_repository(emulator, f"Bearer {app_jwt(app_key.private_pem)}")

    assert fresh.status_code == 200
    for refused in (stale, anonymous, the_jwt):
        assert (refused.status_code, refused.json()["message"]) == (401, "Bad credentials")


def test_the_configured_token_still_works_beside_the_app(sandbox_world: World, app_key: KeyPair) -> None:
    with GitHubEmulator(
        sandbox_world.repos_dir, token="test-token", app=(APP_ID, app_key.public_pem)
    ) as emulator:
        assert read_repository(emulator, "token test-token").status_code == 200
        assert read_repository(emulator, "token other").status_code == 401
