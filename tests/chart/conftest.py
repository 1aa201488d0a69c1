"""Fixtures for the chart tests: Helm itself, offline, and rendered charts as Kubernetes objects.

Helm comes from the ``helm-python-sdk`` package (the ``dev`` extra): Helm v4's Go SDK compiled
into ``libhelm_c``, which the package ships and loads with ctypes. No ``helm`` binary, no cluster,
no network. No Kubernetes API server can run in this project's CI, so the chart is rendered and
validated offline (``kubernetes-validate`` carries the Kubernetes schemas).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART_DIR = REPO / "charts" / "slackbot"
FLUX_DIR = REPO / "deploy" / "flux"
RELEASE = "slackbot"
NAMESPACE = "chatops"
INSTALL_HINT = "install the dev extra: pip install -e '.[dev]'"


@pytest.fixture(scope="session")
def helm() -> ModuleType:
    """The Helm SDK; a missing or broken installation fails the tests (never skips them)."""
    try:
        # Importing loads libhelm_c from the package's lib/ folder (or HELM_C_LIB): a clear failure
        # here rather than a collection error for every chart test.
        import helm_python  # noqa: PLC0415
    except Exception as error:  # ImportError, or the library's own error when libhelm_c won't load
        pytest.fail(f"helm-python-sdk cannot load Helm ({error}): {INSTALL_HINT}")
    assert helm_python.library_path.is_file(), helm_python.library_path
    assert helm_python.helm_sdk_version().startswith("v4."), helm_python.helm_sdk_version()
    return helm_python


@dataclass(frozen=True)
class Rendered:
    """One `helm template`: the values Helm used, the raw manifests and the objects in them."""

    values: dict[str, Any]
    manifests: dict[str, str]
    objects: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def one(self, kind: str) -> dict[str, Any]:
        found = self.of_kind(kind)
        assert len(found) == 1, f"expected one {kind}, got {len(found)}"
        return found[0]

    @property
    def kinds(self) -> set[str]:
        return {o["kind"] for o in self.objects}

    @property
    def pod(self) -> dict[str, Any]:
        spec: dict[str, Any] = self.one("Deployment")["spec"]["template"]["spec"]
        return spec

    @property
    def container(self) -> dict[str, Any]:
        containers = self.pod["containers"]
        assert [c["name"] for c in containers] == ["slackbot"]
        container: dict[str, Any] = containers[0]
        return container

    @property
    def env(self) -> dict[str, dict[str, Any]]:
        return {e["name"]: e for e in self.container["env"]}

    @property
    def text(self) -> str:
        return "\n".join(self.manifests.values())

    @property
    def notes(self) -> str:
        return next(text for path, text in self.manifests.items() if path.endswith("NOTES.txt"))


def parse_manifests(manifests: dict[str, str]) -> list[dict[str, Any]]:
    objects = []
    for path, text in sorted(manifests.items()):
        if path.endswith(".txt"):
            continue
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return objects


Render = Callable[..., Rendered]


def _renderer(helm: ModuleType, chart_dir: Path) -> Iterator[Render]:
    chart = helm.Chart.load(chart_dir)

    def render(values: dict[str, Any] | None = None) -> Rendered:
        values = values or {}
        manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
        return Rendered(chart.merge_values(values), manifests, parse_manifests(manifests))

    try:
        yield render
    finally:
        chart.close()


@pytest.fixture(scope="session")
def render(helm: ModuleType) -> Iterator[Render]:
    """``render(values)``: the chart rendered with ``values`` over its defaults (schema checked)."""
    yield from _renderer(helm, CHART_DIR)


@pytest.fixture(scope="session")
def render_without_schema(helm: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Render]:
    """The same chart minus values.schema.json: proves the templates' own guards (``fail``)."""
    copy = tmp_path_factory.mktemp("chart") / "slackbot"
    shutil.copytree(CHART_DIR, copy)
    (copy / "values.schema.json").unlink()
    yield from _renderer(helm, copy)


def helmrelease_values() -> dict[str, Any]:
    """The values of the example HelmRelease in deploy/flux."""
    release = yaml.safe_load((FLUX_DIR / "helmrelease.yaml").read_text(encoding="utf-8"))
    values: dict[str, Any] = release["spec"]["values"]
    return values


# Everything optional turned on: HTTP mode, PostgreSQL with 2 replicas, a ClusterRole with patch,
# PDB, NetworkPolicy, ServiceMonitor, a kubeconfig for another cluster.
FULL_VALUES: dict[str, Any] = {
    "replicaCount": 2,
    "image": {"repository": "registry.example.com/platform/slackbot", "tag": "0.1.0"},
    "existingSecret": "slackbot-tokens",
    "slack": {"mode": "http"},
    "github": {"apiUrl": "https://github.example.com/api/v3"},
    "database": {"postgres": True},
    "config": {
        "core": {"repository": "lsc-sde/iac-flux-lscsde"},
        "environments": {
            "prod": {
                "branch": "prod",
                "aliases": ["production"],
                "rollout_deadline": "15m",
                "flux": {"in_cluster": True, "namespace": "lscsde-config", "reconcile": True},
            },
            "stg": {"branch": "stg", "flux": {"kube_context": "aks-stg", "namespace": "flux-system"}},
            "dev": {"branch": "dev", "flux": {"commit_status": True, "status_id": "dev-cluster"}},
        },
        "components": {
            "jupyter_hub": {"repository": "lsc-sde/iac-flux-jupyter", "aliases": ["jupyter"]},
        },
        "hotfix": {"channel_pattern": "^inc-", "allowed_usergroups": ["platform"]},
        "reminders": {"timezone": "Europe/London", "team_channel": "C0PLATFORM", "escalate_after": 2},
        "scheduler": {"poll_interval": "30s"},
    },
    "rbac": {"clusterWide": True, "reconcile": True},
    "kubeconfig": {"existingSecret": "slackbot-kubeconfig", "key": "kubeconfig.yaml"},
    "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
    "networkPolicy": {
        "enabled": True,
        "kubernetesApi": {"cidrs": ["10.0.0.1/32"], "ports": [6443]},
        "extraEgress": [{"ports": [{"port": 8443, "protocol": "TCP"}]}],
    },
    "serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}},
    "extraEnv": [{"name": "SLACK_API_URL", "value": "https://slack.com/api/"}],
    "podAnnotations": {"example.com/team": "platform"},
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "platform", "effect": "NoSchedule"}],
    "topologySpreadConstraints": [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "slackbot"}},
        }
    ],
    "priorityClassName": "platform",
    "imagePullSecrets": ["registry-credentials"],
}

SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {
    "defaults": dict,
    "full": lambda: FULL_VALUES,
    "helmrelease": helmrelease_values,
}
