"""Rendering of the children: golden files plus the invariants every child must keep.

Regenerate the golden files after an intended change with:
    VOICEAGENT_UPDATE_GOLDEN=1 python -m pytest tests/unit/operator
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from voiceagent_operator import meta
from voiceagent_operator.children import render_children, render_reindex_job
from voiceagent_operator.children.agent import config_data
from voiceagent_operator.knowledge import kb_revision, kb_source
from voiceagent_operator.spec import VoiceAgentSpec

from tests.unit.operator.operator_samples import agent_of, load_sample, spec_of

GOLDEN = Path(__file__).parent / "golden"
IMAGE = "ghcr.io/voiceagent/services:test"
REVISION = "0123456789abcdef"


def rendered(body: dict[str, Any], spec: VoiceAgentSpec | None = None) -> list[dict[str, Any]]:
    return render_children(agent_of(body), spec or spec_of(body), IMAGE)


def by_key(children: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(child["kind"], child["metadata"]["name"]): child for child in children}


def env_of(deployment: dict[str, Any]) -> dict[str, Any]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {var["name"]: var.get("value", var.get("valueFrom")) for var in container["env"]}


@pytest.mark.parametrize("sample", ["minimal", "full"])
def test_golden(sample: str) -> None:
    body = load_sample(sample)
    children = rendered(body)
    if body["spec"].get("knowledgeBase"):
        children.append(render_reindex_job(agent_of(body), spec_of(body), REVISION, IMAGE))
    text = yaml.safe_dump_all(children, sort_keys=True)
    path = GOLDEN / f"{sample}.yaml"
    if os.environ.get("VOICEAGENT_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing {path}: run with VOICEAGENT_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{path.name} differs: review, then VOICEAGENT_UPDATE_GOLDEN=1"


def test_rendering_is_deterministic(full: dict[str, Any]) -> None:
    assert rendered(full) == rendered(full)


@pytest.mark.parametrize("sample", ["minimal", "full"])
def test_every_child_is_owned_and_labelled(sample: str) -> None:
    body = load_sample(sample)
    for child in rendered(body):
        metadata = child["metadata"]
        assert metadata["namespace"] == body["metadata"]["namespace"]
        assert metadata["ownerReferences"] == [
            {
                "apiVersion": "voiceagent.io/v1alpha1",
                "kind": "VoiceAgent",
                "name": body["metadata"]["name"],
                "uid": body["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        labels = metadata["labels"]
        assert labels[meta.LABEL_NAME] == "voiceagent"
        assert labels[meta.LABEL_INSTANCE] == body["metadata"]["name"]
        assert labels[meta.LABEL_MANAGED_BY] == "voiceagent-operator"
        assert labels[meta.LABEL_PART_OF] == "voiceagent"
        assert labels[meta.LABEL_COMPONENT] in (*meta.COMPONENTS, meta.AGENT_COMPONENT)
        assert len(metadata["name"]) <= 63


def test_children_per_component(minimal: dict[str, Any]) -> None:
    children = by_key(rendered(minimal))
    for component in meta.COMPONENTS:
        name = f"leibniz-{component}"
        for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"):
            assert (kind, name) in children
        assert children["Service", f"{name}-headless"]["spec"]["clusterIP"] == "None"
        assert children["Service", name]["spec"]["type"] == "ClusterIP"
    assert ("ConfigMap", "leibniz-config") in children
    assert children["ServiceAccount", "leibniz-voiceagent"]["automountServiceAccountToken"] is False
    assert len(children) == 2 + 6 * 6


@pytest.mark.parametrize("sample", ["minimal", "full"])
def test_pods_are_hardened(sample: str) -> None:
    for child in rendered(load_sample(sample)):
        if child["kind"] != "Deployment":
            continue
        pod = child["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"] == {"drop": ["ALL"]}
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
        assert {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}} in pod["volumes"]
        assert {"name": "config", "mountPath": "/etc/voiceagent/config", "readOnly": True} in container["volumeMounts"]
        assert [c["topologyKey"] for c in pod["topologySpreadConstraints"]] == [
            "topology.kubernetes.io/zone",
            "kubernetes.io/hostname",
        ]
        annotations = child["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/port"] == "9090"
        assert meta.CONFIG_CHECKSUM_ANNOTATION in annotations


def test_probes(minimal: dict[str, Any]) -> None:
    children = by_key(rendered(minimal))
    for component in meta.COMPONENTS:
        container = children["Deployment", f"leibniz-{component}"]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["python", "-m", f"services.{component}"]
        if component == "gateway":
            assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
            assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
            assert {"name": "http", "containerPort": 8080, "protocol": "TCP"} in container["ports"]
        else:
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert container[probe]["grpc"] == {"port": 50051}
            assert {"name": "grpc", "containerPort": 50051, "protocol": "TCP"} in container["ports"]
        assert {"name": "metrics", "containerPort": 9090, "protocol": "TCP"} in container["ports"]


def test_replicas_belong_to_the_hpa_when_autoscaling(full: dict[str, Any]) -> None:
    children = by_key(rendered(full))
    assert "replicas" not in children["Deployment", "dental-gateway"]["spec"]
    assert children["Deployment", "dental-fsm"]["spec"]["replicas"] == 2  # autoscaling disabled
    assert ("HorizontalPodAutoscaler", "dental-fsm") not in children
    hpa = children["HorizontalPodAutoscaler", "dental-gateway"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 10)
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "dental-gateway"}
    assert hpa["metrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}},
        {
            "type": "Pods",
            "pods": {
                "metric": {"name": "voiceagent_active_sessions"},
                "target": {"type": "AverageValue", "averageValue": "20"},
            },
        },
    ]
    assert hpa["behavior"]["scaleDown"] == {
        "stabilizationWindowSeconds": 300,
        "selectPolicy": "Min",
        "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
    }


def test_env_contract(full: dict[str, Any]) -> None:
    children = by_key(rendered(full))
    env = {c: env_of(children["Deployment", f"dental-{c}"]) for c in meta.COMPONENTS}
    for variables in env.values():
        assert variables["VA_AGENT"] == "clinic/dental"
        assert (variables["VA_GRPC_PORT"], variables["VA_METRICS_PORT"]) == ("50051", "9090")
        assert variables["VA_LOG_LEVEL"] == "INFO" and variables["VA_LANGUAGE"] == "en"
        assert variables["VA_REDIS_URL"] == {"secretKeyRef": {"name": "dental-backends", "key": "redis-url"}}
        assert variables["VA_OTEL_ENDPOINT"] == "http://otel-collector.monitoring.svc:4317"
    gateway = env["gateway"]
    assert gateway["VA_HTTP_PORT"] == "8080"
    for component in meta.GRPC_COMPONENTS:
        assert gateway[f"VA_{component.upper()}_TARGET"] == f"dns:///dental-{component}-headless.clinic.svc:50051"
    assert gateway["VA_API_KEYS"] == {"secretKeyRef": {"name": "dental-api-keys", "key": "keys"}}
    assert env["stt"]["VA_STT_MODEL"] == "moonshine-base"
    assert env["stt"]["VA_STT_PROMPT"].startswith("Bright Smile Dental.")  # spec.sttVocabulary
    assert env["intent"]["VA_INTENT_CONFIG_FILE"] == "/etc/voiceagent/config/intents.yaml"
    assert env["fsm"]["VA_MONGO_URL"] == {"secretKeyRef": {"name": "dental-backends", "key": "mongodb-url"}}
    assert env["fsm"]["VA_BOOKING_RULES_FILE"] == "/etc/voiceagent/config/booking.yaml"
    assert env["tts"]["VA_DEFAULT_VOICE"] == "en_US-joe-medium"
    for component in ("tts", "rag"):
        assert env[component]["VA_S3_ENDPOINT"] == "minio.storage.svc:9000"
        assert env[component]["VA_S3_BUCKET"] == "voiceagent" and env[component]["VA_S3_SECURE"] == "false"
        assert env[component]["VA_S3_ACCESS_KEY"] == {
            "secretKeyRef": {"name": "dental-backends", "key": "s3-access-key"}
        }
        assert env[component]["VA_S3_SECRET_KEY"] == {
            "secretKeyRef": {"name": "dental-backends", "key": "s3-secret-key"}
        }
    rag = env["rag"]
    assert rag["VA_QDRANT_URL"] == "http://qdrant.databases.svc:6333"
    assert rag["VA_QDRANT_API_KEY"] == {"secretKeyRef": {"name": "dental-backends", "key": "qdrant-api-key"}}
    assert rag["VA_KB_SOURCE"] == "/etc/voiceagent/kb"
    assert (rag["VA_LLM_BASE_URL"], rag["VA_LLM_MODEL"]) == ("http://vllm.llm.svc:8000/v1", "qwen2.5-7b-instruct")
    assert rag["VA_LLM_API_KEY"] == {"secretKeyRef": {"name": "dental-backends", "key": "llm-api-key"}}
    rag_pod = children["Deployment", "dental-rag"]["spec"]["template"]["spec"]
    assert {"name": "kb", "configMap": {"name": "dental-kb"}} in rag_pod["volumes"]


def test_no_secret_value_is_ever_inlined(full: dict[str, Any]) -> None:
    text = yaml.safe_dump_all(rendered(full))
    assert "kind: Secret" not in text
    for child in rendered(full):
        if child["kind"] == "Deployment":
            for name, value in env_of(child).items():
                if name.endswith(("_KEY", "_KEYS")) or name in ("VA_REDIS_URL", "VA_MONGO_URL"):
                    assert isinstance(value, dict) and "secretKeyRef" in value, name


def test_kb_from_s3(minimal: dict[str, Any]) -> None:
    spec = spec_of(minimal, knowledgeBase={"s3": {"prefix": "/kb/leibniz/"}})
    rag = by_key(rendered(minimal, spec))["Deployment", "leibniz-rag"]
    assert env_of(rag)["VA_KB_SOURCE"] == "s3://voiceagent/kb/leibniz"
    assert env_of(rag)["VA_EMBEDDING_MODEL"] == "e5"
    assert all(volume["name"] != "kb" for volume in rag["spec"]["template"]["spec"]["volumes"])


def test_the_embedding_model_reaches_rag_and_its_change_needs_a_reindex(minimal: dict[str, Any]) -> None:
    e5 = spec_of(minimal, knowledgeBase={"s3": {"prefix": "kb"}})
    minilm = spec_of(minimal, knowledgeBase={"s3": {"prefix": "kb"}, "embeddingModel": "minilm"})
    rag = by_key(rendered(minimal, minilm))["Deployment", "leibniz-rag"]
    assert env_of(rag)["VA_EMBEDDING_MODEL"] == "minilm"
    source = kb_source(e5)
    assert source is not None and source == kb_source(minilm)
    assert kb_revision(e5, source, None) != kb_revision(minilm, source, None)


def test_without_a_vocabulary_the_recognizer_gets_no_prompt(minimal: dict[str, Any]) -> None:
    stt = env_of(by_key(rendered(minimal))["Deployment", "leibniz-stt"])
    assert stt["VA_STT_MODEL"] == "moonshine-base" and "VA_STT_PROMPT" not in stt


def test_disabled_component_has_no_children_and_no_target(minimal: dict[str, Any]) -> None:
    spec = spec_of(minimal, components={"tts": {"enabled": False}})
    children = by_key(rendered(minimal, spec))
    assert not [key for key in children if key[1].startswith("leibniz-tts")]
    gateway = env_of(children["Deployment", "leibniz-gateway"])
    assert "VA_TTS_TARGET" not in gateway and "VA_STT_TARGET" in gateway
    egress = children["NetworkPolicy", "leibniz-gateway"]["spec"]["egress"][-1]
    assert "tts" not in egress["to"][0]["podSelector"]["matchExpressions"][0]["values"]


def test_config_checksum_rolls_only_the_readers(minimal: dict[str, Any]) -> None:
    before = by_key(rendered(minimal))
    after = by_key(rendered(minimal, spec_of(minimal, booking={"slotMinutes": 15})))

    def checksum(children: dict[tuple[str, str], dict[str, Any]], component: str) -> str:
        template = children["Deployment", f"leibniz-{component}"]["spec"]["template"]
        return str(template["metadata"]["annotations"][meta.CONFIG_CHECKSUM_ANNOTATION])

    assert checksum(before, "fsm") != checksum(after, "fsm")
    assert checksum(before, "intent") == checksum(after, "intent")
    assert before["ConfigMap", "leibniz-config"] != after["ConfigMap", "leibniz-config"]


def test_booking_rules_file_is_what_the_fsm_loads(full: dict[str, Any], tmp_path: Path) -> None:
    from services.fsm.rules import load_rules

    path = tmp_path / "booking.yaml"
    path.write_text(config_data(spec_of(full))["booking.yaml"])
    rules = load_rules(path)
    assert rules.days[-1] == "saturday" and rules.slot_minutes == 20 and rules.timezone == "Europe/Berlin"
    assert (rules.opens.isoformat(), rules.closes.isoformat()) == ("08:00:00", "18:30:00")


def test_network_policies(full: dict[str, Any]) -> None:
    children = by_key(rendered(full))
    gateway = children["NetworkPolicy", "dental-gateway"]["spec"]
    assert gateway["policyTypes"] == ["Ingress", "Egress"]
    assert gateway["ingress"][0] == {"ports": [{"protocol": "TCP", "port": 8080}]}
    monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    assert gateway["ingress"][1] == {"from": [monitoring], "ports": [{"protocol": "TCP", "port": 9090}]}
    stt = children["NetworkPolicy", "dental-stt"]["spec"]
    from_gateway = {
        "podSelector": {
            "matchLabels": {
                meta.LABEL_NAME: "voiceagent",
                meta.LABEL_INSTANCE: "dental",
                meta.LABEL_COMPONENT: "gateway",
            }
        }
    }
    assert stt["ingress"][0] == {"from": [from_gateway], "ports": [{"protocol": "TCP", "port": 50051}]}
    rag_ports = {rule["port"] for rule in children["NetworkPolicy", "dental-rag"]["spec"]["egress"][1]["ports"]}
    assert {6379, 6333, 6334, 9000, 8000, 4317} <= rag_ports
    fsm_ports = {rule["port"] for rule in children["NetworkPolicy", "dental-fsm"]["spec"]["egress"][1]["ports"]}
    assert 27017 in fsm_ports and 6333 not in fsm_ports
    for component in meta.COMPONENTS:
        assert children["NetworkPolicy", f"dental-{component}"]["spec"]["egress"][0]["ports"][0]["port"] == 53


def test_network_policies_can_be_disabled(minimal: dict[str, Any]) -> None:
    spec = spec_of(minimal, networkPolicy={"enabled": False})
    assert not [child for child in rendered(minimal, spec) if child["kind"] == "NetworkPolicy"]


def test_reindex_job(full: dict[str, Any]) -> None:
    job = render_reindex_job(agent_of(full), spec_of(full), REVISION, IMAGE)
    assert job["metadata"]["name"] == "dental-reindex-01234567"
    assert job["metadata"]["labels"][meta.LABEL_COMPONENT] == "reindex"
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    container = pod["containers"][0]
    assert container["command"] == ["python", "-m", "services.rag.reindex"]
    env = {var["name"]: var.get("value") for var in container["env"]}
    assert env["VA_KB_SOURCE"] == "/etc/voiceagent/kb"
    assert job["metadata"]["annotations"][meta.KB_REVISION_ANNOTATION] == REVISION
    assert {"name": "kb", "mountPath": "/etc/voiceagent/kb", "readOnly": True} in container["volumeMounts"]
