"""One Deployment per enabled component."""

from __future__ import annotations

from typing import Any

from voiceagent_operator import meta
from voiceagent_operator.children import pods
from voiceagent_operator.children.env import component_env
from voiceagent_operator.spec import VoiceAgentSpec

STARTUP_BUDGET_S = 300
"""Models load at start (Whisper, piper, embeddings): allow this long before liveness applies."""


def _probes(component: str) -> dict[str, Any]:
    """gRPC health checks on 50051 (HTTP ``/health/*`` on 8080 for the gateway)."""

    def check(path: str) -> dict[str, Any]:
        if component == "gateway":
            return {"httpGet": {"path": path, "port": "http"}}
        return {"grpc": {"port": meta.GRPC_PORT}}

    return {
        "startupProbe": {
            **check("/health/live"),
            "periodSeconds": 5,
            "timeoutSeconds": 3,
            "failureThreshold": STARTUP_BUDGET_S // 5,
        },
        "readinessProbe": {**check("/health/ready"), "periodSeconds": 5, "timeoutSeconds": 3, "failureThreshold": 2},
        "livenessProbe": {**check("/health/live"), "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3},
    }


def _ports(component: str) -> list[dict[str, Any]]:
    serving = (
        {"name": "http", "containerPort": meta.HTTP_PORT, "protocol": "TCP"}
        if component == "gateway"
        else {"name": "grpc", "containerPort": meta.GRPC_PORT, "protocol": "TCP"}
    )
    return [serving, {"name": "metrics", "containerPort": meta.METRICS_PORT, "protocol": "TCP"}]


def _spread(agent: meta.AgentRef, component: str) -> list[dict[str, Any]]:
    """Prefer spreading replicas over zones, then nodes; never block scheduling for it."""
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": meta.selector_labels(agent, component)},
        }
        for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
    ]


def render_deployment(
    agent: meta.AgentRef, spec: VoiceAgentSpec, component: str, default_image: str, config_checksum: str
) -> dict[str, Any]:
    """The component's Deployment.

    With autoscaling on, ``spec.replicas`` is left out entirely: the HPA owns it, and
    server-side apply then never resets what the HPA decided.
    """
    settings = spec.components.get(component)
    container = pods.container(
        component,
        pods.image(spec, component, default_image),
        f"services.{component}",
        component_env(agent, spec, component),
        pods.resources(component, settings.resources),
    )
    container["ports"] = _ports(component)
    container.update(_probes(component))
    template_annotations = {
        meta.CONFIG_CHECKSUM_ANNOTATION: config_checksum,
        "kubectl.kubernetes.io/default-container": component,
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(meta.METRICS_PORT),
        "prometheus.io/path": "/metrics",
    }
    deployment_spec: dict[str, Any] = {}
    if not settings.autoscaling.enabled:
        deployment_spec["replicas"] = settings.replicas
    deployment_spec.update(
        {
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": meta.selector_labels(agent, component)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": meta.labels(agent, component), "annotations": template_annotations},
                "spec": pods.pod_spec(
                    agent,
                    spec,
                    container,
                    with_kb=component == "rag",
                    terminationGracePeriodSeconds=60 if component == "gateway" else 30,
                    topologySpreadConstraints=_spread(agent, component),
                ),
            },
        }
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta.object_meta(agent, meta.child_name(agent, component), component),
        "spec": deployment_spec,
    }
