"""A pin hot-fix of several pins: the domain's shape of it, the edit across files, the words it puts on
GitHub (mentions and issue references made inert) and in Slack, and its JSON document."""

from __future__ import annotations

import difflib
from datetime import timedelta
from pathlib import Path

import pytest

from slackbot.domain.events import Merged, NoBackmergeNeeded, Rollout
from slackbot.domain.hotfix import Hotfix, Kind, PinChange, PinField
from slackbot.domain.hotfix_commands import PinRequest, Start
from slackbot.domain.make_like_pins import AlreadyAlike, NotAlikeByPins, pins_to_make_like
from slackbot.domain.pin_edit import PinNotFound, apply_pins, edit_pin, pins_by_file
from slackbot.domain.versions import ComponentVersions, FileRef
from slackbot.domain.views import HotfixLinks, ThreadView
from slackbot.render import pull_requests as texts
from slackbot.render.documents import hotfix_document
from slackbot.render.hotfix_blocks import thread_message
from slackbot.render.pull_requests import ZERO_WIDTH_JOINER as ZWJ
from slackbot.render.pull_requests import inert
from slackbot.render.terminal import render_message
from slackbot.render.words import sentence

FIXTURES = Path(__file__).parent / "fixtures" / "core"
FLUX, HELM, IMAGE = "core/flux-config.yaml", "core/helm-config.yaml", "core/image-config.yaml"
BRANCH = PinChange(PinField.BRANCH, FLUX, "release/0.1.70", "release/0.1.71")
CHART = PinChange(PinField.CHART, HELM, None, "21.4.2")
IMAGE_PIN = PinChange(PinField.IMAGE, IMAGE, "lscsde/awms-keycloak:0.1.8", "lscsde/awms-keycloak:0.1.9")


def a_pin_hotfix(*pins: PinChange, summary: str = "") -> Hotfix:
    hotfix = Hotfix(
        ticket="INC-7",
        kind=Kind.PIN,
        environment="prod",
        component="keycloak",
        repository="acme/core",
        base_branch="prod",
        branch="hotfix/INC-7",
        started_by="U0ALICE",
        channel_id="C0INC7",
        summary=summary,
        base_sha="a" * 40,
    )
    return hotfix.with_pins(pins)


def versions(branch: str | None, chart: str | None, image: str | None) -> ComponentVersions:
    return ComponentVersions("keycloak", "acme/flux-keycloak", branch, chart, image)


# -- the shape ------------------------------------------------------------------------------------


def test_the_first_pin_stays_pin_and_the_others_follow_it() -> None:
    hotfix = a_pin_hotfix(BRANCH, CHART, IMAGE_PIN)

    assert hotfix.pin == BRANCH
    assert hotfix.more_pins == (CHART, IMAGE_PIN)
    assert hotfix.pins == (BRANCH, CHART, IMAGE_PIN)
    assert a_pin_hotfix(CHART).pins == (CHART,)
    assert a_pin_hotfix().pins == ()
    assert a_pin_hotfix().pin is None


def test_one_pin_per_field_and_none_without_a_first() -> None:
    with pytest.raises(ValueError, match="each field at most once"):
        a_pin_hotfix(CHART, PinChange(PinField.CHART, HELM, "3.2.1", "3.2.3"))
    with pytest.raises(ValueError, match="needs its first one"):
        Hotfix("T", Kind.PIN, "prod", "x", "r", "prod", "hotfix/T", "U", "C", more_pins=(CHART,))
    with pytest.raises(ValueError, match="each field at most once"):
        Start(
            "prod",
            "keycloak",
            None,
            "",
            PinRequest(PinField.IMAGE, "a:1"),
            (PinRequest(PinField.IMAGE, "a:2"),),
        )
    with pytest.raises(ValueError, match="needs its first one"):
        Start("prod", "keycloak", None, "", None, (PinRequest(PinField.IMAGE, "a:2"),))


def test_a_start_lists_its_pins_first_one_first() -> None:
    chart, image = PinRequest(PinField.CHART, "1.0.0"), PinRequest(PinField.IMAGE, "a:1")

    assert Start("prod", "k", None, "", chart, (image,)).pins == (chart, image)
    assert Start("prod", "k", None, "", chart).pins == (chart,)
    assert Start("prod", "k", None, "").pins == ()


# -- which pins make one environment like another ----------------------------------------------------


def test_only_differing_values_are_asked_for_branch_chart_image_in_that_order() -> None:
    mine = versions("release/0.1.70", "21.4.1", "lscsde/awms-keycloak:0.1.8")

    assert pins_to_make_like(
        "keycloak", "prod", mine, "stg", versions("release/0.1.71", "21.4.1", "lscsde/awms-keycloak:0.1.9")
    ) == (
        PinRequest(PinField.BRANCH, "release/0.1.71"),
        PinRequest(PinField.IMAGE, "lscsde/awms-keycloak:0.1.9"),
    )
    assert pins_to_make_like(
        "keycloak", "prod", mine, "stg", versions("release/0.1.70", "21.4.2", mine.image)
    ) == (PinRequest(PinField.CHART, "21.4.2"),)


def test_values_compare_as_written() -> None:
    # 2.10 and 2.1 are different versions, though a careless YAML reader makes both the float 2.1.
    asked = pins_to_make_like(
        "keda", "prod", versions(None, "2.10", None), "stg", versions(None, "2.1", None)
    )
    assert asked == (PinRequest(PinField.CHART, "2.1"),)


def test_nothing_differing_is_already_alike() -> None:
    same = versions("release/0.1.70", "21.4.1", None)
    with pytest.raises(AlreadyAlike, match="already the same in prod and stg"):
        pins_to_make_like("keycloak", "prod", same, "stg", same)


def test_a_value_only_one_side_writes_is_refused_both_ways() -> None:
    with pytest.raises(
        NotAlikeByPins, match=r"stg pins no image for `keycloak` while prod pins `a:1`.*remove"
    ):
        pins_to_make_like("keycloak", "prod", versions(None, None, "a:1"), "stg", versions(None, None, None))
    with pytest.raises(
        NotAlikeByPins, match=r"prod pins no image for `keycloak` to change to stg's `a:1`.*add"
    ):
        pins_to_make_like("keycloak", "prod", versions(None, None, None), "stg", versions(None, None, "a:1"))


def test_what_the_files_say_is_quoted_in_the_sentence() -> None:
    with pytest.raises(NotAlikeByPins) as refused:
        pins_to_make_like("x", "prod", versions(None, None, "<!here>`x`"), "stg", versions(None, None, None))
    assert "&lt;!here&gt;'x'" in str(refused.value)


# -- the edit across files ---------------------------------------------------------------------------


def test_pins_are_grouped_by_file_in_the_order_asked() -> None:
    legacy_chart = PinChange(PinField.CHART, "core/deployment-config.yaml", "1", "2")
    legacy_branch = PinChange(PinField.BRANCH, "core/deployment-config.yaml", "a", "b")

    assert pins_by_file([IMAGE_PIN, BRANCH, CHART]) == {IMAGE: (IMAGE_PIN,), FLUX: (BRANCH,), HELM: (CHART,)}
    assert pins_by_file([legacy_chart, IMAGE_PIN, legacy_branch]) == {
        "core/deployment-config.yaml": (legacy_chart, legacy_branch),
        IMAGE: (IMAGE_PIN,),
    }


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    pairs = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            assert tag == "replace"
            pairs += list(zip(before.splitlines()[i1:i2], after.splitlines()[j1:j2], strict=True))
    return pairs


def test_each_file_changes_only_its_own_pin() -> None:
    flux = (FIXTURES / "flux-config.yaml").read_text(encoding="utf-8")
    image = (FIXTURES / "image-config.yaml").read_text(encoding="utf-8")
    pins = pins_by_file([BRANCH, IMAGE_PIN])
    ref = FileRef("acme/core", "hotfix/INC-7", FLUX)

    new_flux = apply_pins(flux, ref, "keycloak", pins[FLUX])
    new_image = apply_pins(image, ref, "keycloak", pins[IMAGE])

    assert new_flux is not None
    assert new_image is not None
    assert changed_lines(flux, new_flux) == [("      branch: release/0.1.70", "      branch: release/0.1.71")]
    assert changed_lines(image, new_image) == [
        ("    image: lscsde/awms-keycloak:0.1.8", "    image: lscsde/awms-keycloak:0.1.9")
    ]


def test_a_file_already_pinning_its_new_values_has_nothing_left_to_commit() -> None:
    flux = (FIXTURES / "flux-config.yaml").read_text(encoding="utf-8")
    ref = FileRef("acme/core", "hotfix/INC-7", FLUX)
    committed, _ = edit_pin(flux, ref, "keycloak", PinField.BRANCH, "release/0.1.71")

    assert apply_pins(committed, ref, "keycloak", [BRANCH]) is None


def test_several_pins_of_one_file_apply_only_those_not_there_yet() -> None:
    text = "components:\n  hub:\n    chart_version: 1.0.0\n    image: hub:1\n"  # one file holding both
    ref = FileRef("acme/core", "hotfix/INC-7", "core/both.yaml")
    chart = PinChange(PinField.CHART, "core/both.yaml", "1.0.0", "1.0.1")
    image = PinChange(PinField.IMAGE, "core/both.yaml", "hub:1", "hub:2")
    half_done, _ = edit_pin(text, ref, "hub", PinField.CHART, "1.0.1")

    assert apply_pins(half_done, ref, "hub", [chart, image]) == text.replace("1.0.0", "1.0.1").replace(
        "hub:1", "hub:2"
    )
    with pytest.raises(PinNotFound):
        apply_pins(text, ref, "nobody", [chart])


# -- on GitHub --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("ping @org/team now", f"ping @{ZWJ}org/team now"),
        ("@someone look", f"@{ZWJ}someone look"),
        ("fixes #123", f"fixes #{ZWJ}123"),
        ("see GH-42 and gh-7", f"see GH{ZWJ}-42 and gh{ZWJ}-7"),
        ("acme/core#9", f"acme/core#{ZWJ}9"),
        ("(@x)", f"(@{ZWJ}x)"),
        ("`@x` in code", f"`@{ZWJ}x` in code"),
        ("ops@example.com", "ops@example.com"),  # not a mention on GitHub: left as typed
        ("repo/hub@sha256:abc", "repo/hub@sha256:abc"),
        ("# heading and #tag", "# heading and #tag"),
        ("C# 5 @ noon", "C# 5 @ noon"),
    ],
)
def test_mentions_and_issue_references_are_made_inert(typed: str, shown: str) -> None:
    assert inert(typed) == shown
    assert inert(inert(typed)) == shown  # made inert once is enough: escaping again changes nothing


def test_the_pull_request_lists_every_change_old_to_new() -> None:
    hotfix = a_pin_hotfix(BRANCH, CHART, IMAGE_PIN, summary="Make prod like stg")
    rollout = Rollout(("prod",), timedelta(minutes=10))

    body = texts.hotfix_body(hotfix, rollout, "https://slack.test/archives/C0INC7/p1#thread")

    assert texts.hotfix_title(hotfix) == (
        "INC-7: prod keycloak branch → release/0.1.71, chart → 21.4.2, image → lscsde/awms-keycloak:0.1.9"
    )
    assert (
        "Changes:\n"
        "- `core/flux-config.yaml`: branch `release/0.1.70` → `release/0.1.71`\n"
        "- `core/helm-config.yaml`: chart `None` → `21.4.2`\n"
        "- `core/image-config.yaml`: image `lscsde/awms-keycloak:0.1.8` → `lscsde/awms-keycloak:0.1.9`\n"
    ) in body
    assert "- Incident thread: https://slack.test/archives/C0INC7/p1#thread" in body  # the bot's own link
    assert texts.pin_commit_message(hotfix, [CHART]) == "INC-7: set keycloak chart to 21.4.2 on prod"
    assert texts.pin_commit_message(hotfix) == (
        "INC-7: set keycloak branch to release/0.1.71, chart to 21.4.2, "
        "image to lscsde/awms-keycloak:0.1.9 on prod"
    )


def test_one_pin_reads_as_it_always_did() -> None:
    hotfix = a_pin_hotfix(CHART)
    body = texts.hotfix_body(hotfix, Rollout(("prod",), timedelta(minutes=10)), None)

    assert texts.hotfix_title(hotfix) == "INC-7: prod keycloak chart → 21.4.2"
    assert "Changes `core/helm-config.yaml`: chart `None` → `21.4.2`." in body
    assert texts.pin_commit_message(hotfix) == "INC-7: set keycloak chart to 21.4.2 on prod"


def test_what_people_typed_mentions_nobody_on_github() -> None:
    hotfix = a_pin_hotfix(summary="@org/platform please look, see #123")
    branch_hotfix = Hotfix(
        ticket="INC-7",
        kind=Kind.COMPONENT,
        environment="prod",
        component="jupyter_hub",
        repository="acme/flux-jupyter",
        base_branch="release/0.2.105",
        branch="hotfix/INC-7",
        started_by="cli:@ops",
        channel_id="",
        summary="@someone broke #42",
    )
    rollout = Rollout(("prod",), timedelta(minutes=10))

    body = texts.hotfix_body(hotfix, rollout, None)
    branch_body = texts.hotfix_body(branch_hotfix, rollout, None)

    assert f"@{ZWJ}org/platform please look, see #{ZWJ}123" in body
    assert texts.hotfix_title(branch_hotfix) == f"Hot-fix INC-7: @{ZWJ}someone broke #{ZWJ}42"
    assert f"Started by cli:@{ZWJ}ops" in branch_body
    for text in (body, branch_body, texts.hotfix_title(branch_hotfix)):
        assert "@org" not in text
        assert "@someone" not in text
        assert "#1" not in text
        assert "#4" not in text


# -- in Slack and in JSON -------------------------------------------------------------------------


def test_the_thread_shows_every_change() -> None:
    hotfix = a_pin_hotfix(BRANCH, IMAGE_PIN)
    links = HotfixLinks(repository="r", base="b", branch="h", compare="c")
    view = ThreadView(hotfix=hotfix, links=links, rollout=Rollout(("prod",), timedelta(minutes=10)))

    message = thread_message(view).as_kwargs()
    shown = render_message(message["text"], message["blocks"])

    assert "Changes" in shown
    assert "`core/flux-config.yaml`: branch `release/0.1.70` → `release/0.1.71`" in shown
    assert (
        "`core/image-config.yaml`: image `lscsde/awms-keycloak:0.1.8` → `lscsde/awms-keycloak:0.1.9`" in shown
    )


def test_the_json_document_keeps_pin_and_lists_every_pin() -> None:
    several = hotfix_document(a_pin_hotfix(BRANCH, CHART))
    branch = hotfix_document(a_pin_hotfix())

    assert several["pin"] == {
        "field": "branch",
        "path": FLUX,
        "old": "release/0.1.70",
        "new": "release/0.1.71",
    }
    assert several["pins"] == [
        {"field": "branch", "path": FLUX, "old": "release/0.1.70", "new": "release/0.1.71"},
        {"field": "chart", "path": HELM, "old": None, "new": "21.4.2"},
    ]
    assert (branch["pin"], branch["pins"]) == (None, [])


def test_merged_and_promote_speak_of_pins_in_the_plural_when_there_are_several() -> None:
    several, one = a_pin_hotfix(BRANCH, CHART), a_pin_hotfix(CHART)
    rollout = Rollout(("prod",), timedelta(minutes=10))

    assert "Pins need no back-merge: done." in sentence(Merged(several, rollout, "main"))
    assert "A pin needs no back-merge: done." in sentence(Merged(one, rollout, "main"))
    assert sentence(NoBackmergeNeeded(several)) == "INC-7 changes pins on `prod`; it needs no back-merge."
    assert sentence(NoBackmergeNeeded(one)) == "INC-7 changes a pin on `prod`; it needs no back-merge."
