"""Changing one pin changes exactly one value: every other byte of the file stays as it was."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from slackbot.domain import pin_edit
from slackbot.domain.core_files import parse_flux_config, parse_helm_config, parse_image_config
from slackbot.domain.errors import BotError, NotFound, UsageError
from slackbot.domain.hotfix import PinField
from slackbot.domain.pin_edit import (
    PIN_KEYS,
    PinNotEditable,
    PinNotFound,
    PinUnchanged,
    edit_pin,
    pin_path,
)
from slackbot.domain.tickets import InvalidTicket
from slackbot.domain.versions import ConfigFileError, FileRef

FIXTURES = Path(__file__).parent / "fixtures" / "core"
HELM = FileRef(repository="acme/core-flux", branch="prod", path="core/helm-config.yaml")
IMAGE = FileRef(repository="acme/core-flux", branch="prod", path="core/image-config.yaml")
FLUX = FileRef(repository="acme/core-flux", branch="prod", path="core/flux-config.yaml")


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    """The (old, new) pairs of lines that differ, checked with difflib to be one replaced block."""
    old_lines = before.splitlines(keepends=True)
    new_lines = after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    pairs: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        assert tag == "replace", f"lines were added or removed: {tag}"
        assert i2 - i1 == j2 - j1
        pairs.extend(zip(old_lines[i1:i2], new_lines[j1:j2], strict=True))
    return pairs


def assert_one_value_changed(before: str, after: str, old_written: str, new_written: str) -> None:
    """Exactly one line changed, and only ``old_written`` became ``new_written`` on it."""
    pairs = changed_lines(before, after)
    assert len(pairs) == 1, pairs
    old_line, new_line = pairs[0]
    assert old_written in old_line
    assert old_line.replace(old_written, new_written, 1) == new_line


# --- the example files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("component", "old", "new", "old_written", "new_written"),
    [
        ("jupyter_hub", "release/0.2.105", "release/0.2.106", '"release/0.2.105"', '"release/0.2.106"'),
        ("guacamole", "release/0.1.21", "release/0.1.22", "release/0.1.21", "release/0.1.22"),
        ("aks_dns", "main", "release/0.1.1", "main", "release/0.1.1"),
        ("observability-metrics", "release/0.1.45", "release/0.1.46", "0.1.45", "0.1.46"),
    ],
)
def test_example_flux_config(component: str, old: str, new: str, old_written: str, new_written: str) -> None:
    text = fixture("flux-config.yaml")

    new_text, found = edit_pin(text, FLUX, component, PinField.BRANCH, new)

    assert found == old
    assert_one_value_changed(text, new_text, old_written, new_written)
    after = parse_flux_config(new_text, FLUX)
    assert after[component].branch == new
    assert after["observability_metrics"].branch == "release/0.1.42"  # a near-namesake is untouched


def test_every_component_of_the_example_can_be_edited_alone() -> None:
    text = fixture("helm-config.yaml")
    for component, pins in parse_helm_config(text, HELM).items():
        new_text, old = edit_pin(text, HELM, component, PinField.CHART, "9.9.9")
        assert old == pins.chart_version
        assert len(changed_lines(text, new_text)) == 1


# --- files with comments, quoting, odd shapes ------------------------------------------------------

COMMENTED = """\
# Helm chart versions for prod.
# Change through a pull request only.
components:
  # the hub
  jupyter_hub:
    chart_version: "3.2.1"  # pinned for INC-1
    values_file: values/prod.yaml
  #keda:
  #  chart_version: "2.13.1"
  ingress_nginx:
    chart_version: '4.11.1'   # nginx
  cert_manager:
    chart_version: v1.14.2
  legacy:
    chart_version: 1.10
"""


def test_trailing_comment_and_other_comments_are_kept() -> None:
    new_text, old = edit_pin(COMMENTED, HELM, "jupyter_hub", PinField.CHART, "3.2.2")

    assert old == "3.2.1"
    assert_one_value_changed(COMMENTED, new_text, '"3.2.1"', '"3.2.2"')
    assert '    chart_version: "3.2.2"  # pinned for INC-1\n' in new_text


@pytest.mark.parametrize(
    ("new", "written"),
    [
        ("v1.14.3", "v1.14.3"),  # a plain string stays plain
        ("1.10", '"1.10"'),  # would read as the float 1.1
        ("2", '"2"'),  # would read as an integer
        ("true", '"true"'),  # a bool
        ("null", '"null"'),
        ("~", '"~"'),
        ("@next", '"@next"'),  # cannot start a plain scalar
        ("*x", '"*x"'),  # an alias
        ("&x", '"&x"'),  # an anchor
        ("!x", '"!x"'),  # a tag
        ("|x", '"|x"'),
        ("'x'", "\"'x'\""),
        ("x#y", "x#y"),  # a `#` without a space before it is text
        ("a:b", "a:b"),  # a `:` without a space after it is text
        ("x:", '"x:"'),
        ("-x", "-x"),
        ("- x", None),  # spaces are refused before any quoting (below)
    ],
)
def test_plain_values_stay_plain_only_when_they_read_back_as_the_same_string(
    new: str, written: str | None
) -> None:
    if written is None:
        with pytest.raises(UsageError):
            edit_pin(COMMENTED, HELM, "cert_manager", PinField.CHART, new)
        return
    new_text, old = edit_pin(COMMENTED, HELM, "cert_manager", PinField.CHART, new)

    assert old == "v1.14.2"
    assert_one_value_changed(COMMENTED, new_text, "chart_version: v1.14.2", f"chart_version: {written}")
    assert parse_helm_config(new_text, HELM)["cert_manager"].chart_version == new


FLOW = """\
components:
  jupyter_hub: {chart_version: 3.2.1}
  keda: {chart_version: "2.13.1", values: {a: 1}}
  nginx: {values: x, chart_version: 4.11.1}  # flow with a comment
"""


def read_pin(text: str, field: PinField, component: str) -> str | None:
    """What ``text``, the file of ``field``'s pins, says ``component`` pins."""
    if field is PinField.CHART:
        return parse_helm_config(text, HELM)[component].chart_version
    if field is PinField.IMAGE:
        return parse_image_config(text, IMAGE)[component].image
    return parse_flux_config(text, FLUX)[component].branch


FILE_OF = {PinField.CHART: HELM, PinField.IMAGE: IMAGE, PinField.BRANCH: FLUX}


@pytest.mark.parametrize(
    ("text", "field", "component", "new", "old", "old_written", "new_written"),
    [
        # the example files
        pytest.param(
            fixture("helm-config.yaml"),
            PinField.CHART,
            "jupyter_hub",
            "3.2.2",
            "3.2.1",
            '"3.2.1"',
            '"3.2.2"',
            id="example-helm-config-quoted-version",
        ),
        pytest.param(
            fixture("helm-config.yaml"),
            PinField.CHART,
            "awms_guacamole",
            "0.1.29",
            "0.1.28",
            "chart_version: 0.1.28",
            "chart_version: 0.1.29",
            id="example-helm-config-unquoted-version-stays-unquoted",
        ),
        pytest.param(
            fixture("image-config.yaml"),
            PinField.IMAGE,
            "keycloak",
            "lscsde/awms-keycloak:0.1.9",
            "lscsde/awms-keycloak:0.1.8",
            "awms-keycloak:0.1.8",
            "awms-keycloak:0.1.9",
            id="example-image-config",
        ),
        # quoting
        pytest.param(
            COMMENTED,
            PinField.CHART,
            "ingress_nginx",
            "4.11.2'rc",
            "4.11.1",
            "'4.11.1'",
            "'4.11.2''rc'",
            id="single-quotes-are-kept-and-escaped",
        ),
        pytest.param(
            COMMENTED,
            PinField.CHART,
            "jupyter_hub",
            'a"b\\c',
            "3.2.1",
            '"3.2.1"',
            '"a\\"b\\\\c"',
            id="double-quotes-are-escaped",
        ),
        pytest.param(
            COMMENTED,
            PinField.CHART,
            "legacy",
            "1.11",
            "1.10",  # not 1.1
            "chart_version: 1.10",
            'chart_version: "1.11"',
            id="a-float-looking-value-is-read-and-replaced-as-written",
        ),
        pytest.param(
            COMMENTED,
            PinField.CHART,
            "jupyter_hub",
            "1.10",
            "3.2.1",
            '"3.2.1"',
            '"1.10"',
            id="a-quoted-value-stays-quoted-for-a-number-like-value",
        ),
        # flow style
        pytest.param(
            FLOW,
            PinField.CHART,
            "jupyter_hub",
            "3.2.2",
            "3.2.1",
            "3.2.1",
            "3.2.2",
            id="flow-mapping-plain-value",
        ),
        pytest.param(
            FLOW,
            PinField.CHART,
            "keda",
            "2.14.0",
            "2.13.1",
            '"2.13.1"',
            '"2.14.0"',
            id="flow-mapping-quoted-value",
        ),
        pytest.param(
            FLOW,
            PinField.CHART,
            "nginx",
            "4.11,2",
            "4.11.1",
            "chart_version: 4.11.1}",
            'chart_version: "4.11,2"}',
            id="flow-mapping-value-that-needs-quotes-there",
        ),
        pytest.param(
            "components:\n  jupyter_hub:\n    repository: {branch: release/0.2.105, url: x}\n",
            PinField.BRANCH,
            "jupyter_hub",
            "release/0.2.106",
            "release/0.2.105",
            "0.2.105",
            "0.2.106",
            id="flux-branch-in-a-flow-repository-mapping",
        ),
        # anchors, tags and merges
        pytest.param(
            "components:\n  jupyter_hub:\n    chart_version: &hub 3.2.1\n  keda:\n    chart_version: 2\n",
            PinField.CHART,
            "jupyter_hub",
            "3.2.2",
            "3.2.1",
            "&hub 3.2.1",
            "&hub 3.2.2",
            id="an-anchor-on-the-value-itself-is-kept",
        ),
        pytest.param(
            "components:\n  jupyter_hub:\n    chart_version: !!str 1.10\n",
            PinField.CHART,
            "jupyter_hub",
            "1.11",
            "1.10",
            "!!str 1.10",
            "!!str 1.11",
            id="a-tag-on-the-value-is-kept-and-lets-it-stay-plain",
        ),
        pytest.param(
            "defaults: &defaults\n  values_file: common.yaml\n"
            "components:\n"
            "  jupyter_hub:\n    <<: *defaults\n    chart_version: 3.2.1\n"
            "  keda:\n    <<: *defaults\n    chart_version: 2.13.1\n",
            PinField.CHART,
            "jupyter_hub",
            "3.2.2",
            "3.2.1",
            "3.2.1",
            "3.2.2",
            id="anchored-components-elsewhere-are-untouched",
        ),
    ],
)
def test_one_value_changes_and_reads_back_as_the_new_pin(
    *, text: str, field: PinField, component: str, new: str, old: str, old_written: str, new_written: str
) -> None:
    new_text, found = edit_pin(text, FILE_OF[field], component, field, new)

    assert found == old
    assert_one_value_changed(text, new_text, old_written, new_written)
    assert read_pin(new_text, field, component) == new


def test_crlf_line_endings_are_kept() -> None:
    text = COMMENTED.replace("\n", "\r\n")

    new_text, _ = edit_pin(text, HELM, "jupyter_hub", PinField.CHART, "3.2.2")

    assert new_text.count("\r\n") == text.count("\r\n")
    assert new_text.count("\n") == text.count("\n")
    assert_one_value_changed(text, new_text, '"3.2.1"', '"3.2.2"')


def test_a_byte_order_mark_is_kept() -> None:
    text = "\ufeff" + fixture("helm-config.yaml")

    new_text, _ = edit_pin(text, HELM, "jupyter_hub", PinField.CHART, "3.2.2")

    assert new_text.startswith("\ufeffcomponents:")
    assert_one_value_changed(text, new_text, '"3.2.1"', '"3.2.2"')


def test_flow_style_components_mapping() -> None:
    text = "components: {jupyter_hub: {chart_version: 3.2.1}, keda: {chart_version: 1}}\n"

    new_text, _ = edit_pin(text, HELM, "keda", PinField.CHART, "2")

    assert new_text == 'components: {jupyter_hub: {chart_version: 3.2.1}, keda: {chart_version: "2"}}\n'


def test_an_empty_value_gets_the_new_one_after_its_colon() -> None:
    text = "components:\n  jupyter_hub:\n    chart_version:\n  keda:\n    chart_version: # to do\n"

    first, old = edit_pin(text, HELM, "jupyter_hub", PinField.CHART, "3.2.2")
    second, _ = edit_pin(text, HELM, "keda", PinField.CHART, "true")

    assert old is None
    assert_one_value_changed(text, first, "chart_version:\n", "chart_version: 3.2.2\n")
    assert_one_value_changed(text, second, "chart_version: # to do", 'chart_version: "true" # to do')


def test_an_explicit_null_is_replaced() -> None:
    text = "components:\n  jupyter_hub:\n    chart_version: ~\n"

    new_text, old = edit_pin(text, HELM, "jupyter_hub", PinField.CHART, "3.2.2")

    assert old is None
    assert new_text == "components:\n  jupyter_hub:\n    chart_version: 3.2.2\n"


def test_a_value_written_over_two_lines_becomes_one() -> None:
    text = (
        'components:\n  jupyter_hub:\n    chart_version: "3.2.1\n      -rc"\n  keda:\n    chart_version: 1\n'
    )

    new_text, old = edit_pin(text, HELM, "jupyter_hub", PinField.CHART, "3.2.2")

    assert old == "3.2.1 -rc"
    assert (
        new_text == 'components:\n  jupyter_hub:\n    chart_version: "3.2.2"\n  keda:\n    chart_version: 1\n'
    )


def test_yaml_11_documents_quote_their_own_booleans() -> None:
    text = "%YAML 1.1\n---\ncomponents:\n  jupyter_hub:\n    chart_version: 3.2.1\n"

    new_text, _ = edit_pin(text, HELM, "jupyter_hub", PinField.CHART, "yes")

    assert new_text.endswith('chart_version: "yes"\n')
    assert edit_pin(text.replace("%YAML 1.1\n---\n", ""), HELM, "jupyter_hub", PinField.CHART, "yes")[
        0
    ].endswith("chart_version: yes\n")


def test_other_keys_of_the_image_file_are_untouched() -> None:
    text = "components:\n  keycloak:\n    image: a/b:1  # current\n    pull_policy: Always\n"

    new_text, old = edit_pin(text, IMAGE, "keycloak", PinField.IMAGE, "registry.example.com:5000/a/b:2")

    assert old == "a/b:1"
    assert_one_value_changed(text, new_text, "a/b:1", "registry.example.com:5000/a/b:2")
    assert parse_image_config(new_text, IMAGE)["keycloak"].extra == {"pull_policy": "Always"}


# --- refusals -------------------------------------------------------------------------------------


def test_component_not_in_the_file() -> None:
    with pytest.raises(PinNotFound) as caught:
        edit_pin(fixture("helm-config.yaml"), HELM, "foo", PinField.CHART, "1")

    assert isinstance(caught.value, NotFound)
    assert str(caught.value) == "`core/helm-config.yaml` on `prod` has no component `foo`; add it by hand."


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "components:\n", "components:\n  # keda:\n"])
def test_component_not_in_an_empty_file(text: str) -> None:
    with pytest.raises(PinNotFound, match="has no component `keda`"):
        edit_pin(text, HELM, "keda", PinField.CHART, "1")


def test_a_missing_key_is_not_added() -> None:
    text = "components:\n  jupyter_hub:\n    values_file: x.yaml\n  keda:\n"

    with pytest.raises(PinNotFound) as caught:
        edit_pin(text, HELM, "jupyter_hub", PinField.CHART, "3.2.2")
    with pytest.raises(PinNotFound):
        edit_pin(text, HELM, "keda", PinField.CHART, "3.2.2")

    assert "has no `chart_version` under `components.jupyter_hub`" in str(caught.value)
    assert "add it by hand" in str(caught.value)
    assert caught.value.line == 2


@pytest.mark.parametrize(
    ("text", "match"),
    [
        pytest.param("components:\n  a:\n    other: 1\n", "no `repository` under", id="no-repository"),
        pytest.param(
            "components:\n  a:\n    repository:\n      url: x\n",
            re.escape("no `branch` under `components.a.repository`"),
            id="no-branch-under-the-repository",
        ),
        pytest.param(
            "components:\n  a:\n    repository: acme/a\n",
            "it is the single value `acme/a`",
            id="the-repository-as-a-single-value",
        ),
    ],
)
def test_a_missing_repository_branch_is_not_added(text: str, match: str) -> None:
    with pytest.raises(PinNotFound, match=match):
        edit_pin(text, FLUX, "a", PinField.BRANCH, "main")


def test_an_image_written_as_a_mapping_is_refused() -> None:
    text = "components:\n  keycloak:\n    image:\n      repository: a/b\n      tag: '1'\n"

    with pytest.raises(PinNotEditable) as caught:
        edit_pin(text, IMAGE, "keycloak", PinField.IMAGE, "a/b:2")

    assert "`components.keycloak.image`" in str(caught.value)
    assert "is a mapping, not one value" in str(caught.value)
    assert caught.value.line == 4


def test_a_block_scalar_is_refused() -> None:
    with pytest.raises(PinNotEditable, match="block scalar"):
        edit_pin("components:\n  a:\n    chart_version: >\n      1.0\n", HELM, "a", PinField.CHART, "2")


@pytest.mark.parametrize("component", ["a", "b"], ids=["the-anchor", "the-alias"])
def test_a_value_shared_through_an_alias_is_refused(component: str) -> None:
    text = "components:\n  a:\n    chart_version: &v 1.0.0\n  b:\n    chart_version: *v\n"

    with pytest.raises(PinNotEditable, match="shared with other entries"):
        edit_pin(text, HELM, component, PinField.CHART, "2.0.0")


def test_a_component_shared_through_an_alias_is_refused() -> None:
    text = "components:\n  a: &same\n    chart_version: 1.0.0\n  b: *same\n"

    with pytest.raises(PinNotEditable, match=r"`components\.a` .* shared"):
        edit_pin(text, HELM, "a", PinField.CHART, "2.0.0")


def test_a_value_inherited_through_a_merge_is_refused() -> None:
    text = "base: &base\n  chart_version: 1.0.0\ncomponents:\n  a:\n    <<: *base\n"

    with pytest.raises(PinNotEditable, match="inherited through `<<`"):
        edit_pin(text, HELM, "a", PinField.CHART, "2.0.0")


def test_the_same_value_is_a_usage_error() -> None:
    with pytest.raises(PinUnchanged) as caught:
        edit_pin(fixture("helm-config.yaml"), HELM, "jupyter_hub", PinField.CHART, "3.2.1")

    assert isinstance(caught.value, UsageError)
    assert str(caught.value) == "prod already pins chart 3.2.1 for jupyter_hub."
    assert caught.value.value == "3.2.1"


@pytest.mark.parametrize("value", ["", "3.2 .2", "3.2.2\n", "\t3", "3\x00"])
def test_values_with_spaces_or_control_characters_are_refused(value: str) -> None:
    with pytest.raises(UsageError, match="chart"):
        edit_pin(fixture("helm-config.yaml"), HELM, "jupyter_hub", PinField.CHART, value)


def test_a_branch_git_would_refuse_is_refused() -> None:
    with pytest.raises(InvalidTicket, match=r"contains `\.\.`"):
        edit_pin(fixture("flux-config.yaml"), FLUX, "jupyter_hub", PinField.BRANCH, "release/..x")


def test_a_broken_file_is_a_config_file_error_with_a_line() -> None:
    text = "components:\n  a:\n    chart_version: 1\n  a:\n    chart_version: 2\n"

    with pytest.raises(ConfigFileError) as caught:
        edit_pin(text, HELM, "a", PinField.CHART, "3")

    assert caught.value.line == 4
    assert "duplicate key" in str(caught.value)


def test_the_safety_net_refuses_an_edit_that_touches_another_component(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = fixture("helm-config.yaml")

    def careless(text: str, *_: object) -> str:
        return text.replace('"3.2.1"', '"3.2.2"').replace('"2.13.1"', '"2.13.2"')

    monkeypatch.setattr(pin_edit, "_splice", careless)
    with pytest.raises(ConfigFileError, match="would also change keda"):
        edit_pin(text, HELM, "jupyter_hub", PinField.CHART, "3.2.2")


def test_the_safety_net_refuses_an_edit_that_reads_back_differently(monkeypatch: pytest.MonkeyPatch) -> None:
    text = fixture("helm-config.yaml")
    monkeypatch.setattr(pin_edit, "_splice", lambda text, *_: text.replace('"3.2.1"', "3.2.3"))

    with pytest.raises(ConfigFileError, match=re.escape("would read `3.2.3` instead of `3.2.2`")):
        edit_pin(text, HELM, "jupyter_hub", PinField.CHART, "3.2.2")


def test_errors_are_bot_errors_with_the_file() -> None:
    with pytest.raises(BotError) as caught:
        edit_pin(fixture("image-config.yaml"), IMAGE, "nope", PinField.IMAGE, "a:1")

    assert isinstance(caught.value, PinNotFound)
    assert caught.value.ref == IMAGE


def test_pin_paths_and_keys() -> None:
    assert pin_path(PinField.CHART) == "core/helm-config.yaml"
    assert pin_path(PinField.IMAGE) == "core/image-config.yaml"
    assert pin_path(PinField.BRANCH) == "core/flux-config.yaml"
    assert PIN_KEYS[PinField.BRANCH] == ("repository", "branch")
