""" "Make prod like stg": a pin hot-fix of several pins, planned from what both environments pin now,
run through the command bus as the `/hotfix` start it becomes — against in-memory fakes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from slackbot.adapters.ledger import StateLedger
from slackbot.domain.core_files import ComponentSpec, CorePaths
from slackbot.domain.errors import BotError, NotFound, NotPermitted, Unavailable, UsageError
from slackbot.domain.hotfix import Kind, PinChange, PinField, Stage
from slackbot.domain.hotfix_commands import MakeLike, PinRequest, Start
from slackbot.domain.make_like_pins import AlreadyAlike, NotAlikeByPins
from slackbot.render.hotfix_blocks import answer_message
from slackbot.services.access import Actor, HotfixPolicy
from slackbot.services.reminders import ReminderPolicy
from slackbot.services.versions import EnvironmentSpec, VersionService
from slackbot.services.wiring import Services, wire_services
from tests.unit.fakes import FakeDirectory, FakeForge, FakeHotfixStore, FakeThreads

CORE = "acme/core"
JUPYTER = "acme/flux-jupyter"
PROD_HEAD = "a" * 40
ALICE = Actor(user_id="U0ALICE", channel_id="C0INC123", channel_name="inc-123-jupyter")
FLUX, HELM, IMAGE = "core/flux-config.yaml", "core/helm-config.yaml", "core/image-config.yaml"
LEGACY = "core/deployment-config.yaml"


def split_files(branch: str, chart: str, image: str, keycloak: str = "release/0.1.70") -> dict[str, str]:
    return {
        FLUX: (
            "# which release branch each component follows\n"
            "components:\n"
            f"  jupyter_hub:\n    repository:\n      branch: {branch}  # the hub\n"
            f"  keycloak:\n    repository:\n      branch: {keycloak}\n"
        ),
        HELM: f'components:\n  jupyter_hub:\n    chart_version: "{chart}"\n',
        IMAGE: f"components:\n  jupyter_hub:\n    image: {image}\n",
    }


PROD = split_files("release/0.2.105", "3.2.1", "lscsde/jupyterhub:4.1.5")
STG = split_files("release/0.2.106", "3.2.2", "lscsde/jupyterhub:4.1.6")


@dataclass
class CrashingForge(FakeForge):
    """A forge whose commit number ``crash_at`` (0 the first) fails once, as if the bot died there."""

    crash_at: int | None = None

    def commit_file(
        self, repository: str, branch: str, path: str, text: str, *, message: str, replaces: str
    ) -> str:
        if self.crash_at is not None and len(self.commits) == self.crash_at:
            self.crash_at = None
            raise Unavailable("GitHub is having trouble (HTTP 502); try again in a minute.")
        return super().commit_file(repository, branch, path, text, message=message, replaces=replaces)


@pytest.fixture
def forge() -> CrashingForge:
    forge = CrashingForge()
    forge.add_branch(CORE, "prod", PROD_HEAD, PROD)
    forge.add_branch(CORE, "stg", "b" * 40, STG)
    forge.add_branch(CORE, "uat", "c" * 40, {LEGACY: "data:\n  jupyter_branch: release/0.2.69\n"})
    for branch in ("main", "release/0.2.105", "release/0.2.106"):
        forge.add_branch(JUPYTER, branch, forge.new_sha())
    return forge


@pytest.fixture
def store() -> FakeHotfixStore:
    return FakeHotfixStore()


@pytest.fixture
def services(forge: CrashingForge, store: FakeHotfixStore) -> Services:
    versions = VersionService(
        forge,
        core_repository=CORE,
        environments={
            "prod": EnvironmentSpec("prod", "prod", aliases=("production",)),
            "stg": EnvironmentSpec("stg", "stg", aliases=("staging",)),
            "uat": EnvironmentSpec("uat", "uat"),
        },
        catalog={"jupyter_hub": ComponentSpec("jupyter_hub", repository=JUPYTER, aliases=("jupyter",))},
    )
    return wire_services(
        forge=forge,
        store=store,
        ledger=StateLedger(store),
        slack=FakeThreads(),
        directory=FakeDirectory(),
        versions=versions,
        policy=HotfixPolicy(core_repository=CORE, allowed_users=("U0ALICE",)),
        reminder_policy=ReminderPolicy(),
        environments={},
        paths=CorePaths(),
        core_flux_name="flux-system",
        clock=lambda: datetime.now(UTC),
    )


def click(services: Services, value: tuple[str, str, str], actor: Actor = ALICE) -> str:
    """What the person who clicked "Make prod like stg" reads."""
    return answer_message(services.hotfixes.handle(MakeLike(*value), actor)).text


def file_on(forge: FakeForge, path: str, ref: str) -> str:
    found = forge.read_file(CORE, path, ref)
    assert found is not None
    return found.text


# -- the button -----------------------------------------------------------------------------------


def test_prod_gets_stg_pins_in_one_pull_request_with_one_commit_per_file(
    services: Services, forge: CrashingForge, store: FakeHotfixStore
) -> None:
    answer = click(services, ("prod", "stg", "jupyter_hub"))

    assert answer.startswith("Hot-fix 123 started: `hotfix/123` in `acme/core`. Its pull request is open.")
    assert forge.created_branches == [(CORE, "hotfix/123", PROD_HEAD)]
    assert [(path, message) for _, _, path, message in forge.commits] == [
        (FLUX, "123: set jupyter_hub branch to release/0.2.106 on prod"),
        (HELM, "123: set jupyter_hub chart to 3.2.2 on prod"),
        (IMAGE, "123: set jupyter_hub image to lscsde/jupyterhub:4.1.6 on prod"),
    ]
    # Exactly those values changed: comments, quotes and keycloak stay as prod had them.
    assert file_on(forge, FLUX, "hotfix/123") == PROD[FLUX].replace("release/0.2.105", "release/0.2.106")
    assert file_on(forge, HELM, "hotfix/123") == PROD[HELM].replace('"3.2.1"', '"3.2.2"')
    assert file_on(forge, IMAGE, "hotfix/123") == STG[IMAGE]
    [pull] = forge.open_pulls(CORE)
    assert (pull.head, pull.base) == ("hotfix/123", "prod")
    assert pull.title == (
        "123: prod jupyter_hub branch → release/0.2.106, chart → 3.2.2, image → lscsde/jupyterhub:4.1.6"
    )
    for line in (
        "- `core/flux-config.yaml`: branch `release/0.2.105` → `release/0.2.106`",
        "- `core/helm-config.yaml`: chart `3.2.1` → `3.2.2`",
        "- `core/image-config.yaml`: image `lscsde/jupyterhub:4.1.5` → `lscsde/jupyterhub:4.1.6`",
    ):
        assert line in pull.body
    [hotfix] = store.find("123")
    assert (hotfix.kind, hotfix.stage, hotfix.summary) == (Kind.PIN, Stage.PR_OPEN, "Make prod like stg")
    assert hotfix.pins == (
        PinChange(PinField.BRANCH, FLUX, "release/0.2.105", "release/0.2.106"),
        PinChange(PinField.CHART, HELM, "3.2.1", "3.2.2"),
        PinChange(PinField.IMAGE, IMAGE, "lscsde/jupyterhub:4.1.5", "lscsde/jupyterhub:4.1.6"),
    )
    assert [(e.action, e.result) for e in store.audits] == [("start", "ok")]


def test_only_the_values_that_differ_are_changed(services: Services, forge: CrashingForge) -> None:
    forge.push(CORE, "stg", {**PROD, HELM: PROD[HELM].replace("3.2.1", "3.2.4")})

    click(services, ("prod", "stg", "jupyter_hub"))

    assert [path for _, _, path, _ in forge.commits] == [HELM]
    [pull] = forge.open_pulls(CORE)
    assert pull.title == "123: prod jupyter_hub chart → 3.2.4"
    assert "Changes `core/helm-config.yaml`: chart `3.2.1` → `3.2.4`." in pull.body


def test_clicking_again_adopts_the_hotfix_and_opens_no_second_pull_request(
    services: Services, forge: CrashingForge
) -> None:
    click(services, ("prod", "stg", "jupyter_hub"))

    again = click(services, ("prod", "stg", "jupyter_hub"))

    assert again.startswith("123 is already being hot-fixed in `acme/core` (pull request #1 open)")
    assert len(forge.created_pulls) == 1
    assert len(forge.commits) == 3


def test_a_crash_between_two_commits_is_finished_by_clicking_again(
    services: Services, forge: CrashingForge, store: FakeHotfixStore
) -> None:
    forge.crash_at = 1  # the flux file is committed, the helm file is not

    with pytest.raises(Unavailable, match="the pin changes were not all committed to it"):
        click(services, ("prod", "stg", "jupyter_hub"))
    assert [path for _, _, path, _ in forge.commits] == [FLUX]
    assert [h.stage for h in store.find("123")] == [Stage.STARTING]

    answer = click(services, ("prod", "stg", "jupyter_hub"))

    assert "Its pull request is open" in answer
    assert [path for _, _, path, _ in forge.commits] == [FLUX, HELM, IMAGE]  # each file once
    assert len(forge.created_pulls) == 1


def test_the_pins_are_read_again_when_the_button_is_clicked(services: Services, forge: CrashingForge) -> None:
    forge.push(CORE, "stg", split_files("release/0.2.106", "3.2.3", "lscsde/jupyterhub:4.1.5"))

    click(services, ("prod", "stg", "jupyter_hub"))

    assert [path for _, _, path, _ in forge.commits] == [FLUX, HELM]  # the image is alike now
    assert file_on(forge, HELM, "hotfix/123") == PROD[HELM].replace("3.2.1", "3.2.3")


def test_pins_already_the_same_say_so_and_create_nothing(
    services: Services, forge: CrashingForge, store: FakeHotfixStore
) -> None:
    forge.push(CORE, "stg", PROD)

    with pytest.raises(AlreadyAlike, match=r"^`jupyter_hub` is already the same in prod and stg"):
        click(services, ("prod", "stg", "jupyter_hub"))
    assert forge.created_branches == []
    assert store.hotfixes == {}
    assert [(e.action, e.result.split(":")[0]) for e in store.audits] == [("start", "refused")]


def test_outside_an_incident_channel_the_start_sentence_comes_before_any_read(
    services: Services, forge: CrashingForge, store: FakeHotfixStore
) -> None:
    general = Actor(user_id="U0ALICE", channel_id="C0GENERAL", channel_name="general")
    with pytest.raises(NotPermitted) as typed:
        services.hotfixes.handle(
            Start("prod", "jupyter_hub", None, "", PinRequest(PinField.CHART, "3.2.2")), general
        )
    forge.reads.clear()

    with pytest.raises(NotPermitted) as clicked:
        click(services, ("prod", "stg", "jupyter_hub"), general)

    assert str(clicked.value) == str(typed.value)
    assert "only in incident channels" in str(clicked.value)
    assert forge.reads == []
    assert forge.created_branches == []
    assert store.hotfixes == {}


def test_someone_not_allowed_is_refused_as_by_hotfix(services: Services, forge: CrashingForge) -> None:
    bob = Actor(user_id="U0BOB", channel_id="C0INC123", channel_name="inc-123-jupyter")

    with pytest.raises(NotPermitted, match="not allowed to run hot-fixes"):
        click(services, ("prod", "stg", "jupyter_hub"), bob)
    assert forge.reads == []


def test_an_incident_channel_without_a_number_asks_for_the_ticket(services: Services) -> None:
    unnumbered = Actor(user_id="U0ALICE", channel_id="C0INCDB", channel_name="inc-database")

    with pytest.raises(UsageError, match="Which ticket is this for"):
        click(services, ("prod", "stg", "jupyter_hub"), unnumbered)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (("prod", "stg", "jupiter_hub"), "Did you mean `jupyter_hub`?"),
        (("prod", "moon", "jupyter_hub"), "Known environments"),
        (("prdo", "stg", "jupyter_hub"), "Did you mean `prod`?"),
        (("prod", "staging", "<!channel>"), "&lt;!channel&gt;"),
        (("prod", "production", "jupyter_hub"), "are the same environment"),
    ],
)
def test_names_that_resolve_to_nothing_get_one_sentence_and_create_nothing(
    services: Services, forge: CrashingForge, value: tuple[str, str, str], words: str
) -> None:
    with pytest.raises(BotError) as refused:
        click(services, value)
    assert words in str(refused.value)
    assert "<!channel>" not in str(refused.value)
    assert forge.created_branches == []


def test_aliases_are_forgiven_like_typed_names(services: Services, forge: CrashingForge) -> None:
    click(services, ("production", "staging", "jupyter"))

    assert [pull.title.split(" ")[1] for pull in forge.open_pulls(CORE)] == ["prod"]


def test_a_component_only_one_side_deploys_is_named(services: Services, forge: CrashingForge) -> None:
    forge.push(CORE, "stg", {**STG, FLUX: "components:\n  jupyter_hub:\n    repository:\n      branch: x\n"})

    with pytest.raises(NotFound, match=r"stg does not deploy `keycloak`.*nothing to make prod like"):
        click(services, ("prod", "stg", "keycloak"))


def test_a_pin_the_target_does_not_write_is_not_added(services: Services, forge: CrashingForge) -> None:
    forge.push(CORE, "prod", {**PROD, IMAGE: "components: {}\n"})

    with pytest.raises(NotAlikeByPins, match=r"prod pins no image for `jupyter_hub`.*does not add pins"):
        click(services, ("prod", "stg", "jupyter_hub"))
    assert forge.created_branches == []


def test_a_legacy_target_is_changed_by_hand(services: Services, forge: CrashingForge) -> None:
    with pytest.raises(UsageError, match=r"uat uses the legacy `core/deployment-config\.yaml`"):
        click(services, ("uat", "stg", "jupyter_hub"))
    assert forge.created_branches == []


def test_the_one_pin_hotfix_is_as_it_was(
    services: Services, forge: CrashingForge, store: FakeHotfixStore
) -> None:
    start = Start("prod", "jupyter_hub", "INC-1", "", PinRequest(PinField.CHART, "3.2.2"))

    services.hotfixes.handle(start, ALICE)

    [hotfix] = store.find("INC-1")
    assert hotfix.pin == PinChange(PinField.CHART, HELM, "3.2.1", "3.2.2")
    assert hotfix.more_pins == ()
    assert [message for _, _, _, message in forge.commits] == [
        "INC-1: set jupyter_hub chart to 3.2.2 on prod"
    ]
    assert forge.open_pulls(CORE)[0].title == "INC-1: prod jupyter_hub chart → 3.2.2"
