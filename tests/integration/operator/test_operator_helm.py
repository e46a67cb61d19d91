"""The Helm chart and every manifest the operator renders, checked offline.

``helm lint`` and ``helm template`` run the real helm (see helm_binary.py);
manifests are validated against the Kubernetes OpenAPI schemas shipped in
``kubernetes-validate`` (strict: unknown fields are errors).

``k8s/operator.yaml`` is generated from the chart; refresh it after a chart change with
    VOICEAGENT_UPDATE_MANIFESTS=1 python -m pytest tests/integration/operator -k manifests
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from voiceagent_operator import kinds, meta
from voiceagent_operator.children import render_children, render_reindex_job
from voiceagent_operator.config import OperatorConfig
from voiceagent_operator.spec import parse_spec

from tests.integration.operator.helm_binary import helm_binary

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
CHART = REPO / "charts" / "voiceagent"
PLAIN_MANIFEST = REPO / "k8s" / "operator.yaml"
KUBERNETES_VERSIONS = ("1.29.0", "1.31.0")
NOT_BUILT_IN = {"ClusterKopfPeering", "KopfPeering", "ServiceMonitor"}
RELEASE, NAMESPACE = "voiceagent", "voiceagent-system"

VALUES = {
    "defaults": [],
    "everything": [
        "--set",
        "backends.redis.enabled=true",
        "--set",
        "backends.minio.enabled=true",
        "--set",
        "backends.mongodb.enabled=true",
        "--set",
        "backends.qdrant.enabled=true",
        "--set",
        "backends.persistence.enabled=true",
        "--set",
        "serviceMonitor.enabled=true",
        "--set",
        "operator.watchNamespaces={team-a,team-b}",
        "--set",
        "operator.replicas=1",
    ],
}


@pytest.fixture(scope="module")
def helm() -> Path:
    return helm_binary()


def run_helm(helm: Path, *args: str) -> str:
    result = subprocess.run([str(helm), *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def template(helm: Path, *args: str) -> list[dict[str, Any]]:
    text = run_helm(helm, "template", RELEASE, str(CHART), "--namespace", NAMESPACE, *args)
    return [doc for doc in yaml.safe_load_all(text) if doc]


def find(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(doc for doc in docs if doc["kind"] == kind and doc["metadata"]["name"] == name)


def validate(manifest: dict[str, Any]) -> None:
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            location = ".".join(map(str, error.path))
            pytest.fail(f"{manifest['kind']} {manifest['metadata']['name']} on {version}: {location}: {error.message}")


@pytest.mark.parametrize("values", VALUES)
def test_lint(helm: Path, values: str) -> None:
    run_helm(helm, "lint", str(CHART), "--strict", *VALUES[values])


@pytest.mark.parametrize("values", VALUES)
def test_chart_manifests_are_valid(helm: Path, values: str) -> None:
    docs = template(helm, "--include-crds", *VALUES[values])
    assert {doc["kind"] for doc in docs} >= {
        "CustomResourceDefinition",
        "Deployment",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Service",
    }
    for doc in docs:
        if doc["kind"] not in NOT_BUILT_IN:
            validate(doc)


@pytest.mark.parametrize("sample", ["minimal", "full"])
def test_rendered_children_are_valid(sample: str) -> None:
    body = yaml.safe_load((REPO / "k8s" / "samples" / f"{sample}.yaml").read_text())
    agent = meta.AgentRef(body["metadata"]["name"], body["metadata"].get("namespace", "default"), "uid-1")
    spec = parse_spec(agent.name, body["spec"])
    for child in [
        *render_children(agent, spec, "ghcr.io/voiceagent/services:0.1.0"),
        render_reindex_job(agent, spec, "0123456789abcdef", "ghcr.io/voiceagent/services:0.1.0"),
    ]:
        validate(child)


def _granted(role: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    granted: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted.setdefault((group, resource), set()).update(rule["verbs"])
    return granted


def test_rbac_is_exactly_what_the_operator_uses(helm: Path) -> None:
    docs = template(helm)
    write = {"get", "list", "watch", "create", "patch", "delete"}
    needed = {(kind.group, kind.plural): write for kind in kinds.PRUNABLE_KINDS}
    needed |= {
        (kinds.JOB.group, kinds.JOB.plural): {"get", "list", "watch", "create"},
        (meta.GROUP, meta.PLURAL): {"get", "list", "watch", "patch"},
        (meta.GROUP, f"{meta.PLURAL}/status"): {"get", "patch"},
        (meta.GROUP, f"{meta.PLURAL}/finalizers"): {"update"},
        ("", "events"): {"create"},
        ("kopf.dev", "kopfpeerings"): {"get", "list", "watch", "patch"},
    }
    assert _granted(find(docs, "ClusterRole", f"{RELEASE}-agents")) == needed
    assert _granted(find(docs, "ClusterRole", f"{RELEASE}-cluster")) == {
        ("apiextensions.k8s.io", "customresourcedefinitions"): {"get", "list", "watch"},
        ("", "namespaces"): {"get", "list", "watch"},
        ("kopf.dev", "clusterkopfpeerings"): {"get", "list", "watch", "patch"},
    }
    assert not any(doc["kind"] in ("Role", "RoleBinding") for doc in docs)
    assert find(docs, "ClusterKopfPeering", RELEASE)


def test_namespaced_mode_binds_per_namespace(helm: Path) -> None:
    docs = template(helm, *VALUES["everything"])
    bindings = [doc for doc in docs if doc["kind"] == "RoleBinding"]
    assert sorted(doc["metadata"]["namespace"] for doc in bindings) == ["team-a", "team-b"]
    assert all(doc["roleRef"]["name"] == f"{RELEASE}-agents" for doc in bindings)
    assert not [
        doc for doc in docs if doc["kind"] == "ClusterRoleBinding" and doc["metadata"]["name"] == f"{RELEASE}-agents"
    ]
    assert sorted(doc["metadata"]["namespace"] for doc in docs if doc["kind"] == "KopfPeering") == ["team-a", "team-b"]


def test_operator_deployment_configures_the_operator(helm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = template(helm, *VALUES["everything"])
    container = find(docs, "Deployment", f"{RELEASE}-operator")["spec"]["template"]["spec"]["containers"][0]
    for variable in container["env"]:
        monkeypatch.setenv(variable["name"], variable["value"])
    config = OperatorConfig()
    assert config.namespaces == ["team-a", "team-b"]
    assert config.default_image == "ghcr.io/voiceagent/services:0.1.0"
    assert config.peering == RELEASE and config.drift_interval_s == 30
    assert config.liveness_endpoint == "http://0.0.0.0:8080/healthz"
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_bundled_backends_match_the_minimal_sample(helm: Path) -> None:
    docs = template(helm, *VALUES["everything"])
    services = {doc["metadata"]["name"] for doc in docs if doc["kind"] == "Service"}
    assert {"voiceagent-redis", "voiceagent-minio", "voiceagent-mongodb", "voiceagent-qdrant"} <= services
    sample = (REPO / "k8s" / "samples" / "minimal.yaml").read_text()
    for name in ("voiceagent-redis", "voiceagent-minio", "voiceagent-mongodb", "voiceagent-qdrant"):
        assert f"{name}.{NAMESPACE}.svc" in sample


def plain_manifest(helm: Path) -> str:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    header = (
        "# Generated from charts/voiceagent with `helm template voiceagent charts/voiceagent"
        f" -n {NAMESPACE}` (see tests/integration/operator/test_operator_helm.py): do not edit.\n"
        "# Install the CRDs first: kubectl apply -f k8s/crd.yaml -f k8s/kopf-peerings.yaml\n"
    )
    return (
        header
        + "---\n"
        + yaml.safe_dump(namespace, sort_keys=False)
        + run_helm(helm, "template", RELEASE, str(CHART), "--namespace", NAMESPACE)
    )


def test_plain_manifests_are_generated_from_the_chart(helm: Path) -> None:
    expected = plain_manifest(helm)
    if os.environ.get("VOICEAGENT_UPDATE_MANIFESTS"):
        PLAIN_MANIFEST.write_text(expected)
    assert PLAIN_MANIFEST.read_text() == expected, "stale: rerun with VOICEAGENT_UPDATE_MANIFESTS=1"
    for doc in yaml.safe_load_all(PLAIN_MANIFEST.read_text()):
        if doc and doc["kind"] not in NOT_BUILT_IN:
            validate(doc)


def test_values_schema_defaults_render(helm: Path) -> None:
    """Defaults alone give one cluster-wide operator with two replicas and no backends."""
    docs = template(helm)
    deployment = find(docs, "Deployment", f"{RELEASE}-operator")
    assert deployment["spec"]["replicas"] == 2
    env = {v["name"]: v["value"] for v in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert json.loads(env["VA_OPERATOR_NAMESPACES"]) == []
    assert not [doc for doc in docs if doc["metadata"]["labels"].get("app.kubernetes.io/component") == "backend"]
