"""charts/slackbot: lint, render, validate every object against Kubernetes' schemas, and check
what matters — non-root and read-only, probes, least-privilege RBAC, no secret in the output, the
configuration the bot will read — with default values, everything turned on, and wrong values."""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import SchemaNotFoundError, latest_version
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from slackbot.settings import BotConfig, FluxProbeConfig, parse_config

from .conftest import CHART_DIR, FULL_VALUES, NAMESPACE, REPO, SCENARIOS, Render, Rendered

# Custom resources kubernetes-validate has no schema for; each is checked structurally below.
CRD_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest known.
KUBERNETES_VERSIONS = ["1.25.0", latest_version()]
FLUX_RESOURCES = {
    "source.toolkit.fluxcd.io": {"gitrepositories", "ocirepositories", "buckets"},
    "kustomize.toolkit.fluxcd.io": {"kustomizations"},
}
READ = ["get", "list", "watch"]
UID = 10001
# Paths and arguments inside the pod, not on this machine.
WRITABLE_SQLITE = {"/tmp", "/data"}  # noqa: S108
WRITABLE_POSTGRES = {"/tmp"}  # noqa: S108
HTTP_ARGS = ["serve", "--http", "--host", "0.0.0.0", "--port", "3000"]  # noqa: S104


@pytest.fixture(params=list(SCENARIOS), scope="module")
def scenario(request: pytest.FixtureRequest, render: Render) -> Rendered:
    return render(copy.deepcopy(SCENARIOS[request.param]()))


# --- Helm: lint and metadata -------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_lint_strict_passes(helm: ModuleType, name: str) -> None:
    report = helm.lint(CHART_DIR, copy.deepcopy(SCENARIOS[name]()), strict=True, namespace=NAMESPACE)
    problems = [m for m in report["messages"] if m["severity"] >= 2]  # 2 warning, 3 error
    assert report["errors"] == []
    assert problems == []
    assert report["total_charts_linted"] == 1


def test_lint_for_the_oldest_supported_kubernetes(helm: ModuleType) -> None:
    report = helm.lint(CHART_DIR, strict=True, kube_version="v1.25.0")
    assert report["errors"] == []


def test_chart_metadata_matches_the_package(helm: ModuleType) -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    with helm.Chart.load(CHART_DIR) as chart:
        metadata = chart.metadata
        assert chart.schema is not None
        assert chart.schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert metadata["apiVersion"] == "v2"
    assert metadata["name"] == "slackbot"
    assert metadata["appVersion"] == project["version"]


def test_every_value_is_documented() -> None:
    """Each key in values.yaml has a comment above it (or on its line), or is a group of such keys."""
    text = (CHART_DIR / "values.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    undocumented: list[str] = []

    def walk(node: CommentedMap, prefix: str) -> None:
        for key in node:
            line = node.lc.key(key)[0]
            commented = lines[line - 1].lstrip().startswith("#") or " #" in lines[line]
            if commented:
                continue
            if isinstance(node[key], CommentedMap) and node[key]:
                walk(node[key], f"{prefix}{key}.")
            else:
                undocumented.append(f"{prefix}{key} (line {line + 1})")

    walk(YAML(typ="rt").load(text), "")
    assert undocumented == []


# --- Kubernetes' own schemas, offline --------------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_is_valid_kubernetes(scenario: Rendered, version: str) -> None:
    checked, problems = set(), []
    for obj in scenario.objects:
        kind = (obj["apiVersion"], obj["kind"])
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except SchemaNotFoundError:
            if kind not in CRD_KINDS:
                problems.append(f"no Kubernetes schema for {kind}: a typo in apiVersion or kind?")
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(p) for p in error.path)
            problems.append(f"{obj['kind']}/{obj['metadata']['name']}: {where}: {error.message}")
        else:
            checked.add(kind)
    assert problems == []
    assert ("apps/v1", "Deployment") in checked


def test_servicemonitor_structure(render: Render) -> None:
    rendered = render(copy.deepcopy(FULL_VALUES))
    monitor = rendered.one("ServiceMonitor")
    service = rendered.one("Service")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert set(monitor) == {"apiVersion", "kind", "metadata", "spec"}
    assert monitor["metadata"]["namespace"] == NAMESPACE
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert set(monitor["spec"]) == {"selector", "namespaceSelector", "endpoints"}
    assert monitor["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    [endpoint] = monitor["spec"]["endpoints"]
    assert set(endpoint) == {"port", "path", "interval", "scrapeTimeout"}
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert re.fullmatch(r"\d+[smh]", endpoint["interval"])
    assert re.fullmatch(r"\d+[smh]", endpoint["scrapeTimeout"])


# --- What the objects must say ------------------------------------------------------------------


def test_default_objects(render: Render) -> None:
    rendered = render()
    assert rendered.kinds == {"ConfigMap", "Deployment", "PersistentVolumeClaim", "Service", "ServiceAccount"}
    assert all(o["metadata"].get("namespace") == NAMESPACE for o in rendered.objects)


def test_full_objects(render: Render) -> None:
    rendered = render(copy.deepcopy(FULL_VALUES))
    assert rendered.kinds == {
        "ConfigMap",
        "Deployment",
        "Service",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ServiceMonitor",
    }


def test_runs_as_non_root_with_a_read_only_root(scenario: Rendered) -> None:
    pod, container = scenario.pod, scenario.container
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == UID
    assert pod["securityContext"]["runAsGroup"] == UID
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    context = container["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] == UID
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["enableServiceLinks"] is False


def test_writable_only_at_data_and_tmp(scenario: Rendered) -> None:
    volumes = {v["name"]: v for v in scenario.pod["volumes"]}
    writable = {m["mountPath"] for m in scenario.container["volumeMounts"] if not m.get("readOnly")}
    expected = WRITABLE_POSTGRES if scenario.values["database"]["postgres"] else WRITABLE_SQLITE
    assert writable == expected
    assert "emptyDir" in volumes["tmp"]
    config = next(m for m in scenario.container["volumeMounts"] if m["name"] == "config")
    assert config["mountPath"] == "/etc/slackbot/slackbot.yml"
    assert scenario.env["SLACKBOT_CONFIG"]["value"] == config["mountPath"]
    assert scenario.env["SLACKBOT_LOG_FORMAT"]["value"] == "json"


@pytest.mark.parametrize(
    ("values", "port", "args"),
    [
        ({}, 8080, ["serve", "--health-host", "0.0.0.0", "--health-port", "8080"]),  # noqa: S104 - the kubelet probes it
        ({"slack": {"mode": "http"}}, 3000, HTTP_ARGS),
    ],
    ids=["socket", "http"],
)
def test_probes_and_ports_follow_the_mode(
    render: Render, values: dict[str, Any], port: int, args: list[str]
) -> None:
    rendered = render(values)
    container = rendered.container
    assert container["args"] == args
    assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    for probe, path in (
        ("startupProbe", "/healthz"),
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
    ):
        assert container[probe]["httpGet"] == {"path": path, "port": "http"}, probe
    [service_port] = rendered.one("Service")["spec"]["ports"]
    assert service_port["targetPort"] == "http"
    assert rendered.pod["terminationGracePeriodSeconds"] == 30


def test_resources_have_requests_and_limits(scenario: Rendered) -> None:
    resources = scenario.container["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    assert set(resources["limits"]) == {"cpu", "memory"}


def test_sqlite_is_one_pod_on_its_volume_recreated(render: Render) -> None:
    rendered = render()
    deployment = rendered.one("Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    claim = rendered.one("PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    data = next(v for v in rendered.pod["volumes"] if v["name"] == "data")
    assert data["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert "SLACKBOT_DATABASE_URL" not in rendered.env
    assert rendered.pod["securityContext"]["fsGroup"] == UID


def test_an_existing_claim_is_used_as_it_is(render: Render) -> None:
    rendered = render({"persistence": {"existingClaim": "bot-data"}})
    assert "PersistentVolumeClaim" not in rendered.kinds
    data = next(v for v in rendered.pod["volumes"] if v["name"] == "data")
    assert data == {"name": "data", "persistentVolumeClaim": {"claimName": "bot-data"}}


def test_postgres_rolls_replicas_and_takes_the_url_from_the_secret(render: Render) -> None:
    rendered = render(copy.deepcopy(FULL_VALUES))
    deployment = rendered.one("Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"
    assert "PersistentVolumeClaim" not in rendered.kinds
    assert "data" not in {v["name"] for v in rendered.pod["volumes"]}
    reference = rendered.env["SLACKBOT_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert reference == {"name": "slackbot-tokens", "key": "SLACKBOT_DATABASE_URL", "optional": False}


@pytest.mark.parametrize(
    ("values", "required"),
    [
        ({}, {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"}),
        (FULL_VALUES, {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACKBOT_DATABASE_URL"}),
    ],
    ids=["socket-sqlite", "http-postgres"],
)
def test_tokens_come_from_the_existing_secret(
    render: Render, values: dict[str, Any], required: set[str]
) -> None:
    rendered = render(copy.deepcopy(values))
    secret = rendered.values["existingSecret"]
    from_secret = {
        name: entry["valueFrom"]["secretKeyRef"]
        for name, entry in rendered.env.items()
        if "secretKeyRef" in entry.get("valueFrom", {})
    }
    expected = {
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "GITHUB_TOKEN",
        "GITHUB_APP_ID",
        "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_APP_INSTALLATION_ID",
    } | ({"SLACKBOT_DATABASE_URL"} if rendered.values["database"]["postgres"] else set())
    assert set(from_secret) == expected
    for name, reference in from_secret.items():
        assert reference["name"] == secret
        assert reference["key"] == name
        assert reference["optional"] is (name not in required), name
        assert "value" not in rendered.env[name]


def test_no_secret_is_rendered(scenario: Rendered) -> None:
    assert "Secret" not in scenario.kinds
    for pattern in (
        r"xox[abp]-",
        r"xapp-",
        r"gh[pousr]_",
        r"BEGIN [A-Z ]*PRIVATE KEY",
        r"://[^/\s@]+:[^/\s@]+@",
    ):
        assert not re.search(pattern, scenario.text), pattern
    assert "envFrom" not in scenario.container


def test_rbac_default_grants_nothing(render: Render) -> None:
    rendered = render()
    assert not rendered.kinds & {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
    assert rendered.pod["automountServiceAccountToken"] is False
    assert rendered.one("ServiceAccount")["automountServiceAccountToken"] is False


def flux_rules(role: dict[str, Any]) -> dict[str, tuple[set[str], list[str]]]:
    rules = {}
    for rule in role["rules"]:
        assert set(rule) == {"apiGroups", "resources", "verbs"}, "no resourceNames, nonResourceURLs…"
        [group] = rule["apiGroups"]
        assert group not in rules
        rules[group] = (set(rule["resources"]), rule["verbs"])
    return rules


def test_rbac_per_namespace_reads_flux_objects_only(render: Render) -> None:
    rendered = render(
        {
            "config": {"environments": {"prod": {"branch": "prod", "flux": {"in_cluster": True}}}},
            "rbac": {"namespaces": ["flux-system", "lscsde-config"]},
        }
    )
    roles, bindings = rendered.of_kind("Role"), rendered.of_kind("RoleBinding")
    assert not rendered.kinds & {"ClusterRole", "ClusterRoleBinding"}
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["flux-system", "lscsde-config"]
    # Named after the release's namespace too: two installs never fight over one Role.
    assert {r["metadata"]["name"] for r in roles} == {f"{NAMESPACE}-slackbot-flux"}
    for role in roles:
        assert flux_rules(role) == {group: (kinds, READ) for group, kinds in FLUX_RESOURCES.items()}
    account = rendered.one("ServiceAccount")["metadata"]["name"]
    for binding in bindings:
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": roles[0]["metadata"]["name"],
        }
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account, "namespace": NAMESPACE}]
    assert rendered.pod["serviceAccountName"] == account
    assert rendered.pod["automountServiceAccountToken"] is True


def test_rbac_cluster_wide_with_reconcile_adds_patch_only(render: Render) -> None:
    rendered = render(copy.deepcopy(FULL_VALUES))
    assert not rendered.kinds & {"Role", "RoleBinding"}
    role = rendered.one("ClusterRole")
    assert flux_rules(role) == {group: (kinds, [*READ, "patch"]) for group, kinds in FLUX_RESOURCES.items()}
    binding = rendered.one("ClusterRoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"][0]["namespace"] == NAMESPACE


def test_optional_objects(render: Render) -> None:
    rendered = render(copy.deepcopy(FULL_VALUES))
    budget = rendered.one("PodDisruptionBudget")["spec"]
    assert budget["minAvailable"] == 1
    assert "maxUnavailable" not in budget
    policy = rendered.one("NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Egress"]
    assert "ingress" not in policy
    rules = [
        ({p["port"] for p in rule["ports"]}, [t["ipBlock"]["cidr"] for t in rule.get("to", [])])
        for rule in policy["egress"]
    ]
    assert rules == [({53}, []), ({443}, []), ({6443}, ["10.0.0.1/32"]), ({5432}, []), ({8443}, [])]
    assert {p["protocol"] for p in policy["egress"][0]["ports"]} == {"UDP", "TCP"}


def test_kubeconfig_is_mounted_read_only(render: Render) -> None:
    rendered = render(copy.deepcopy(FULL_VALUES))
    volume = next(v for v in rendered.pod["volumes"] if v["name"] == "kubeconfig")
    assert volume["secret"]["secretName"] == "slackbot-kubeconfig"
    assert volume["secret"]["items"] == [{"key": "kubeconfig.yaml", "path": "config"}]
    mount = next(m for m in rendered.container["volumeMounts"] if m["name"] == "kubeconfig")
    assert mount["readOnly"] is True
    assert rendered.env["KUBECONFIG"]["value"] == f"{mount['mountPath']}/config"
    assert "KUBECONFIG" not in render().env


def test_http_mode_and_github_enterprise(render: Render) -> None:
    rendered = render(copy.deepcopy(FULL_VALUES))
    assert rendered.env["GITHUB_API_URL"]["value"] == "https://github.example.com/api/v3"
    assert rendered.env["SLACK_API_URL"]["value"] == "https://slack.com/api/"
    assert rendered.container["image"] == "registry.example.com/platform/slackbot:0.1.0"
    assert "HTTP mode" in rendered.notes


def test_the_image_defaults_to_the_app_version_or_a_digest(render: Render) -> None:
    assert render().container["image"] == "ghcr.io/your-org/slackbot:0.1.0"
    digest = "sha256:" + "a" * 64
    assert render({"image": {"digest": digest}}).container["image"] == f"ghcr.io/your-org/slackbot@{digest}"


def test_a_config_change_rolls_the_pods(render: Render) -> None:
    def checksum(rendered: Rendered) -> str:
        annotations = rendered.one("Deployment")["spec"]["template"]["metadata"]["annotations"]
        return str(annotations["checksum/config"])

    assert checksum(render()) != checksum(render({"config": {"hotfix": {"main_branch": "trunk"}}}))


def test_notes_say_how_to_check_it_works(scenario: Rendered) -> None:
    for needle in ("rollout status", "/versions", "slackbot jobs", "/metrics", "Environments: "):
        assert needle in scenario.notes


# --- The configuration the bot will read -----------------------------------------------------


def configmap_text(rendered: Rendered) -> str:
    text: str = rendered.one("ConfigMap")["data"]["slackbot.yml"]
    return text


def test_configmap_holds_the_config_values(scenario: Rendered) -> None:
    assert yaml.safe_load(configmap_text(scenario)) == scenario.values["config"]


def test_configmap_passes_the_bots_own_validation(scenario: Rendered) -> None:
    """What `slackbot check-config` does at start-up: the rendered file is a valid BotConfig."""
    config = parse_config(configmap_text(scenario), Path("/etc/slackbot/slackbot.yml"))
    assert set(config.environments) == set(scenario.values["config"]["environments"])
    assert config.database_url.startswith("sqlite:////data/") or scenario.values["database"]["postgres"]


def test_schema_keeps_up_with_the_bots_configuration(helm: ModuleType) -> None:
    """values.schema.json refuses unknown `config` keys, so it must know every key the bot has."""
    with helm.Chart.load(CHART_DIR) as chart:
        config = chart.schema["properties"]["config"]
    assert set(config["properties"]) == set(BotConfig.model_fields)
    flux = config["properties"]["environments"]["additionalProperties"]["properties"]["flux"]["oneOf"][1]
    assert set(flux["properties"]) == set(FluxProbeConfig.model_fields)


# --- Wrong values are refused, with the key they are about -----------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"replicaCount": 2}, "/replicaCount"),
        ({"replicaCount": "two"}, "/replicaCount"),
        ({"slack": {"mode": "websocket"}}, "/slack/mode"),
        ({"existingSecret": ""}, "/existingSecret"),
        ({"slackBotToken": "xoxb-1"}, "'slackBotToken' not allowed"),
        ({"config": {"slack_bot_token": "xoxb-1"}}, "'slack_bot_token' not allowed"),
        ({"config": {"database_url": "postgresql://bot:hunter2@db/bot"}}, "/config/database_url"),
        (
            {"config": {"environments": {"prod": {"branch": "prod", "flux": {"incluster": True}}}}},
            "incluster",
        ),
        ({"config": {"core": {"repository": "not a repository"}}}, "/config/core/repository"),
        ({"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
        ({"persistence": {"size": "lots"}}, "/persistence/size"),
        ({"terminationGracePeriodSeconds": 5}, "/terminationGracePeriodSeconds"),
        ({"rbac": {"namespaces": ["Flux System"]}}, "/rbac/namespaces/0"),
        ({"serviceMonitor": {"enabled": "yes"}}, "/serviceMonitor/enabled"),
    ],
    ids=lambda value: str(value)[:40],
)
def test_schema_refuses_wrong_values(
    helm: ModuleType, render: Render, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(helm.HelmValuesError) as refusal:
        render(values)
    assert message in str(refusal.value)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"replicaCount": 3},
            "replicaCount is 3, but SQLite on a volume has a single writer",
        ),
        (
            {"config": {"database_url": "postgresql+psycopg://bot:hunter2@db/bot"}},
            "config.database_url contains a password",
        ),
    ],
    ids=["replicas-with-sqlite", "password-in-values"],
)
def test_templates_refuse_what_the_schema_refuses(
    helm: ModuleType, render_without_schema: Render, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(helm.HelmRenderError) as refusal:
        render_without_schema(values)
    assert message in str(refusal.value)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"config": {"database_url": "sqlite:///slackbot.db"}},
            "the only writable place is the /data volume",
        ),
        (
            {"config": {"environments": {"prod": {"branch": "prod", "flux": {"kube_context": "aks"}}}}},
            "environment prod reads Flux through kube_context aks: set kubeconfig.existingSecret",
        ),
        (
            {"config": {"environments": {"prod": {"branch": "prod", "flux": {"in_cluster": True}}}}},
            "add flux-system to rbac.namespaces",
        ),
        (
            {
                "config": {
                    "environments": {
                        "prod": {"branch": "prod", "flux": {"in_cluster": True, "reconcile": True}}
                    }
                },
                "rbac": {"namespaces": ["flux-system"]},
            },
            "environment prod has flux.reconcile: true, which patches Flux's objects: set rbac.reconcile: true",
        ),
    ],
    ids=["sqlite-outside-data", "kube-context-without-kubeconfig", "namespace-without-rbac", "reconcile"],
)
def test_templates_refuse_values_that_cannot_work_together(
    helm: ModuleType, render: Render, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(helm.HelmRenderError) as refusal:
        render(values)
    assert message in str(refusal.value)


def test_postgres_allows_replicas(render: Render) -> None:
    assert (
        render({"replicaCount": 2, "database": {"postgres": True}}).one("Deployment")["spec"]["replicas"] == 2
    )
