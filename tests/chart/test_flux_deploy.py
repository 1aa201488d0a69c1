"""deploy/flux: the example HelmRelease, its sources and kustomization.yaml hang together, point at
the chart in this repository, keep secrets out of Git, and install a configuration the bot accepts.

Flux's kinds are custom resources kubernetes-validate has no schema for; they are checked here
against the fields of their API types (helm.toolkit.fluxcd.io/v2, source.toolkit.fluxcd.io/v1)."""

from __future__ import annotations

import itertools
import re
import textwrap
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from slackbot.settings import parse_config

from .conftest import CHART_DIR, FLUX_DIR, REPO, Render, helmrelease_values

DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$")  # Flux's metav1.Duration pattern
FLUX_KINDS = {
    ("source.toolkit.fluxcd.io/v1", "GitRepository"),
    ("source.toolkit.fluxcd.io/v1", "HelmRepository"),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
}
HELMRELEASE_SPEC = {
    "chart", "chartRef", "interval", "kubeConfig", "suspend", "releaseName", "targetNamespace",
    "storageNamespace", "dependsOn", "timeout", "maxHistory", "serviceAccountName",
    "persistentClient", "driftDetection", "install", "upgrade", "test", "rollback", "uninstall",
    "valuesFrom", "values", "postRenderers",
}  # fmt: skip
CHART_TEMPLATE_SPEC = {
    "chart", "version", "sourceRef", "interval", "reconcileStrategy", "valuesFiles",
    "ignoreMissingValuesFiles", "verify",
}  # fmt: skip
GITREPOSITORY_SPEC = {
    "url", "secretRef", "provider", "interval", "timeout", "ref", "verify", "proxySecretRef",
    "ignore", "suspend", "recurseSubmodules", "include", "sparseCheckout",
}  # fmt: skip
HELMREPOSITORY_SPEC = {
    "url", "secretRef", "passCredentials", "interval", "insecure", "timeout", "suspend",
    "accessFrom", "type", "provider", "certSecretRef",
}  # fmt: skip


def load(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


@pytest.fixture(scope="module")
def kustomization() -> dict[str, Any]:
    [document] = load(FLUX_DIR / "kustomization.yaml")
    return document


@pytest.fixture(scope="module")
def applied(kustomization: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """What `kustomize build deploy/flux` would apply, by (kind, name)."""
    objects = {}
    for resource in kustomization["resources"]:
        for obj in load(FLUX_DIR / resource):
            objects[obj["kind"], obj["metadata"]["name"]] = obj
    return objects


def test_kustomization_lists_files_that_exist(kustomization: dict[str, Any]) -> None:
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["resources"] == ["namespace.yaml", "gitrepository.yaml", "helmrelease.yaml"]
    for resource in kustomization["resources"]:
        assert (FLUX_DIR / resource).is_file(), resource
    text = (FLUX_DIR / "kustomization.yaml").read_text(encoding="utf-8")
    assert "# - helmrepository-oci.yaml" in text
    assert "# - secret.sops.yaml" in text


def test_no_secret_is_kept_in_git() -> None:
    for path in FLUX_DIR.glob("*.yaml"):
        for obj in load(path):
            assert obj["kind"] != "Secret", path.name
        assert not re.search(
            r"xox[abp]-\w|xapp-\w|gh[pousr]_\w|PRIVATE KEY", path.read_text(encoding="utf-8")
        )


def test_objects_are_valid_and_in_one_namespace(applied: dict[tuple[str, str], dict[str, Any]]) -> None:
    [namespace] = [name for kind, name in applied if kind == "Namespace"]
    for (kind, name), obj in applied.items():
        if (obj["apiVersion"], kind) in FLUX_KINDS:
            assert set(obj) == {"apiVersion", "kind", "metadata", "spec"}, name
        else:
            kubernetes_validate.validate(obj, kubernetes_validate.latest_version(), strict=True)
        if kind != "Namespace":
            assert obj["metadata"]["namespace"] == namespace, (kind, name)
    assert {kind for kind, _ in applied} == {"Namespace", "GitRepository", "HelmRelease"}


def test_the_gitrepository_serves_the_chart_folder(applied: dict[tuple[str, str], dict[str, Any]]) -> None:
    [source] = [o for (kind, _), o in applied.items() if kind == "GitRepository"]
    assert source["apiVersion"] == "source.toolkit.fluxcd.io/v1"
    spec = source["spec"]
    assert set(spec) <= GITREPOSITORY_SPEC
    assert spec["url"].startswith("https://")
    assert DURATION.match(spec["interval"])
    assert len(spec["ref"]) == 1
    assert set(spec["ref"]) <= {"branch", "tag", "semver", "name", "commit"}
    assert spec["ignore"].split() == ["/*", "!/charts/slackbot/"]


def test_the_helmrelease_installs_the_chart_from_that_source(
    applied: dict[tuple[str, str], dict[str, Any]],
) -> None:
    [release] = [o for (kind, _), o in applied.items() if kind == "HelmRelease"]
    assert release["apiVersion"] == "helm.toolkit.fluxcd.io/v2"
    spec = release["spec"]
    assert set(spec) <= HELMRELEASE_SPEC
    assert DURATION.match(spec["interval"])
    chart = spec["chart"]["spec"]
    assert set(chart) <= CHART_TEMPLATE_SPEC
    assert (REPO / chart["chart"]).resolve() == CHART_DIR
    assert chart["reconcileStrategy"] in {"ChartVersion", "Revision"}
    reference = chart["sourceRef"]
    source = applied[reference["kind"], reference["name"]]
    assert reference.get("namespace", release["metadata"]["namespace"]) == source["metadata"]["namespace"]
    assert spec["install"]["remediation"]["retries"] >= 1
    assert spec["upgrade"]["remediation"]["retries"] >= 1


def test_the_oci_alternative() -> None:
    path = FLUX_DIR / "helmrepository-oci.yaml"
    [repository] = load(path)
    assert (repository["apiVersion"], repository["kind"]) == ("source.toolkit.fluxcd.io/v1", "HelmRepository")
    spec = repository["spec"]
    assert set(spec) <= HELMREPOSITORY_SPEC
    assert spec["type"] == "oci"
    assert spec["url"].startswith("oci://")
    # The commented chart spec that replaces the GitRepository one names this repository.
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("#   chart:")
    block = itertools.takewhile(lambda line: line.startswith("#"), lines[start:])
    chart = yaml.safe_load(textwrap.dedent("\n".join(line[1:] for line in block)))["chart"]["spec"]
    assert set(chart) <= CHART_TEMPLATE_SPEC
    assert chart["chart"] == "slackbot"
    assert chart["sourceRef"] == {"kind": "HelmRepository", "name": repository["metadata"]["name"]}


def test_the_helmrelease_values_install_and_configure_the_bot(render: Render) -> None:
    values = helmrelease_values()
    rendered = render(values)  # the chart's schema and guards accept them
    text = rendered.one("ConfigMap")["data"]["slackbot.yml"]
    config = parse_config(text, Path("/etc/slackbot/slackbot.yml"))
    assert set(config.environments) == set(values["config"]["environments"])
    assert {r["metadata"]["namespace"] for r in rendered.of_kind("Role")} == {"flux-system"}


def test_readme_creates_the_secret_the_release_names() -> None:
    readme = (FLUX_DIR / "README.md").read_text(encoding="utf-8")
    secret = helmrelease_values()["existingSecret"]
    [release] = load(FLUX_DIR / "helmrelease.yaml")
    namespace = release["metadata"]["namespace"]
    assert f"kubectl -n {namespace} create secret generic {secret}" in readme
    chart_keys = set(yaml.safe_load((CHART_DIR / "values.yaml").read_text(encoding="utf-8"))["secretKeys"])
    named = set(re.findall(r"--from-(?:literal|file)=([A-Z_]+)=", readme))
    assert named
    assert named <= chart_keys
    assert "sops --encrypt" in readme


def test_readme_flux_kustomization_decrypts_with_sops() -> None:
    readme = (FLUX_DIR / "README.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL)]
    [flux] = [b for b in blocks if b.get("kind") == "Kustomization"]
    assert flux["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1"
    assert flux["spec"]["decryption"]["provider"] == "sops"
    assert (REPO / flux["spec"]["path"]).resolve() == FLUX_DIR


def test_the_install_section_of_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Install in a cluster\n", 1)[1].split("\n## ", 1)[0]
    chart_keys = set(yaml.safe_load((CHART_DIR / "values.yaml").read_text(encoding="utf-8"))["secretKeys"])
    named = set(re.findall(r"--from-(?:literal|file)=([A-Z_]+)=", section))
    assert named
    assert named <= chart_keys
    for link in re.findall(r"\]\(((?:charts|deploy)/[^)#]+)\)", section):
        assert (REPO / link).exists(), link
    words = " ".join(section.split())
    for needle in ("Contents: read and write", "Pull requests: read and write", "Commit statuses: read"):
        assert needle in words
    for needle in ("/versions", "slackbot jobs", "/metrics"):
        assert needle in section
