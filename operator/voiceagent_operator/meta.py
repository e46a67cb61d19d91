"""Identity of the API, names, labels and ownership shared by every rendered child."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GROUP = "voiceagent.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "VoiceAgent"
PLURAL = "voiceagents"

MANAGER = "voiceagent-operator"
"""Value of ``app.kubernetes.io/managed-by`` and the server-side-apply field manager."""

LABEL_NAME = "app.kubernetes.io/name"
LABEL_INSTANCE = "app.kubernetes.io/instance"
LABEL_COMPONENT = "app.kubernetes.io/component"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_PART_OF = "app.kubernetes.io/part-of"
APP = "voiceagent"

CONFIG_CHECKSUM_ANNOTATION = f"{GROUP}/config-checksum"
KB_REVISION_ANNOTATION = f"{GROUP}/kb-revision"

COMPONENTS: tuple[str, ...] = ("gateway", "stt", "intent", "rag", "tts", "fsm")
GRPC_COMPONENTS: tuple[str, ...] = COMPONENTS[1:]
AGENT_COMPONENT = "agent"
"""Component label of the per-agent children (ConfigMap, ServiceAccount)."""
REINDEX_COMPONENT = "reindex"

GRPC_PORT = 50051
HTTP_PORT = 8080
METRICS_PORT = 9090

CONFIG_DIR = "/etc/voiceagent/config"
KB_DIR = "/etc/voiceagent/kb"

MAX_AGENT_NAME = 46
"""Longest child name is ``<agent>-gateway-headless``: it must stay a 63-character DNS label."""


@dataclass(frozen=True)
class AgentRef:
    """Who owns the children: the VoiceAgent's name, namespace and uid."""

    name: str
    namespace: str
    uid: str

    @property
    def identity(self) -> str:
        """``<namespace>/<name>``: the ``VA_AGENT`` tenant identity."""
        return f"{self.namespace}/{self.name}"


def child_name(agent: AgentRef, component: str, suffix: str = "") -> str:
    return f"{agent.name}-{component}{'-' + suffix if suffix else ''}"


def config_map_name(agent: AgentRef) -> str:
    return f"{agent.name}-config"


def headless_target(agent: AgentRef, component: str) -> str:
    """gRPC target that lets the client round-robin over every pod of ``component``."""
    return f"dns:///{child_name(agent, component, 'headless')}.{agent.namespace}.svc:{GRPC_PORT}"


def gateway_endpoint(agent: AgentRef) -> str:
    return f"http://{child_name(agent, 'gateway')}.{agent.namespace}.svc:{HTTP_PORT}"


def selector_labels(agent: AgentRef, component: str) -> dict[str, str]:
    """The immutable Deployment selector: never add labels that may change later."""
    return {LABEL_NAME: APP, LABEL_INSTANCE: agent.name, LABEL_COMPONENT: component}


def labels(agent: AgentRef, component: str) -> dict[str, str]:
    return {**selector_labels(agent, component), LABEL_MANAGED_BY: MANAGER, LABEL_PART_OF: APP}


def owner_reference(agent: AgentRef) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "name": agent.name,
        "uid": agent.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def object_meta(
    agent: AgentRef, name: str, component: str, annotations: dict[str, str] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": agent.namespace,
        "labels": labels(agent, component),
        "ownerReferences": [owner_reference(agent)],
    }
    if annotations:
        meta["annotations"] = annotations
    return meta
