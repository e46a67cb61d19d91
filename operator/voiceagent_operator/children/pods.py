"""Pod templates shared by the component Deployments and the reindex Job."""

from __future__ import annotations

import copy
from typing import Any

from voiceagent_operator import meta
from voiceagent_operator.children.agent import service_account_name
from voiceagent_operator.children.env import EnvVar
from voiceagent_operator.spec import Resources, VoiceAgentSpec

RUN_AS = 10001
"""The non-root uid/gid of the services image (see services/Dockerfile)."""

DEFAULT_RESOURCES: dict[str, dict[str, dict[str, str]]] = {
    # No CPU limits by default: throttling hurts latency far more than it protects neighbours.
    "gateway": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
    "stt": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
    "intent": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
    "rag": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
    "tts": {"requests": {"cpu": "500m", "memory": "768Mi"}, "limits": {"memory": "1Gi"}},
    "fsm": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
}


def pod_security_context() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS,
        "runAsGroup": RUN_AS,
        "fsGroup": RUN_AS,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }


TMP_SIZE = "1Gi"


def resources(component: str, custom: Resources | None) -> dict[str, dict[str, str]]:
    if custom is None:
        return copy.deepcopy(DEFAULT_RESOURCES[component])
    rendered = {
        "requests": {k: str(v) for k, v in custom.requests.items()},
        "limits": {k: str(v) for k, v in custom.limits.items()},
    }
    return {section: values for section, values in rendered.items() if values}


def image(spec: VoiceAgentSpec, component: str, default_image: str) -> str:
    """``components.<c>.image``, else ``spec.image``, else the operator's default."""
    return spec.components.get(component).image or spec.image or default_image


def volumes(
    agent: meta.AgentRef, spec: VoiceAgentSpec, with_kb: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(volumes, mounts): writable /tmp, the agent ConfigMap, and the knowledge base when mounted."""
    vols: list[dict[str, Any]] = [
        {"name": "tmp", "emptyDir": {"sizeLimit": TMP_SIZE}},
        {"name": "config", "configMap": {"name": meta.config_map_name(agent)}},
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "config", "mountPath": meta.CONFIG_DIR, "readOnly": True},
    ]
    kb = spec.knowledge_base
    if with_kb and kb is not None and kb.config_map is not None:
        vols.append({"name": "kb", "configMap": {"name": kb.config_map.name}})
        mounts.append({"name": "kb", "mountPath": meta.KB_DIR, "readOnly": True})
    return vols, mounts


def pod_spec(
    agent: meta.AgentRef,
    spec: VoiceAgentSpec,
    container: dict[str, Any],
    with_kb: bool,
    **extra: Any,
) -> dict[str, Any]:
    """A hardened pod: non-root, read-only root filesystem, no capabilities, no API token."""
    vols, mounts = volumes(agent, spec, with_kb)
    container = {
        **container,
        "imagePullPolicy": spec.image_pull_policy,
        "securityContext": container_security_context(),
        "volumeMounts": mounts,
    }
    pod: dict[str, Any] = {
        "serviceAccountName": service_account_name(agent),
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": pod_security_context(),
        **extra,
        "containers": [container],
        "volumes": vols,
    }
    if spec.image_pull_secrets:
        pod["imagePullSecrets"] = [{"name": name} for name in spec.image_pull_secrets]
    return pod


def container(
    name: str, image_ref: str, module: str, env: list[EnvVar], requirements: dict[str, dict[str, str]]
) -> dict[str, Any]:
    return {
        "name": name,
        "image": image_ref,
        "command": ["python", "-m", module],
        "env": env,
        "resources": requirements,
    }
