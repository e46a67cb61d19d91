"""Per component NetworkPolicies: only the gateway reaches the gRPC services.

Each component's pods accept only what they serve (the gateway: HTTP from
anywhere; the others: gRPC from this agent's gateway) plus metrics scrapes from
the monitoring namespace, and may only open connections to DNS and the
backends they use. Backends are addressed by port (they may live outside the
cluster); URLs kept in Secrets fall back to the backend's default port.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from voiceagent_operator import meta
from voiceagent_operator.spec import UrlSource, VoiceAgentSpec

DEFAULT_PORTS = {"redis": 6379, "rediss": 6379, "mongodb": 27017, "mongodb+srv": 27017, "http": 80, "https": 443}
REDIS_SENTINEL_PORT = 26379
QDRANT_GRPC_PORT = 6334
OTLP_GRPC_PORT = 4317


def _port_of(url: str, fallback: int) -> int:
    try:
        port = urlsplit(url if "://" in url else f"//{url}").port
    except ValueError:
        port = None
    return port or DEFAULT_PORTS.get(urlsplit(url).scheme, fallback)


def _source_ports(source: UrlSource, fallback: int) -> set[int]:
    return {_port_of(source.url, fallback)} if source.url is not None else {fallback}


def _backend_ports(spec: VoiceAgentSpec, component: str) -> set[int]:
    backends = spec.backends
    ports = _source_ports(backends.redis, DEFAULT_PORTS["redis"]) | {REDIS_SENTINEL_PORT}
    if spec.observability.otlp_endpoint:
        ports.add(_port_of(spec.observability.otlp_endpoint, OTLP_GRPC_PORT))
    if component in ("rag", "tts") and backends.s3 is not None:
        ports.add(_port_of(backends.s3.endpoint, 443 if backends.s3.secure else 80))
    if component == "rag":
        if backends.qdrant is not None:
            ports |= _source_ports(backends.qdrant, 6333) | {QDRANT_GRPC_PORT}
        if backends.llm is not None:
            ports.add(_port_of(backends.llm.base_url, 443))
    if component == "fsm" and backends.mongodb is not None:
        ports |= _source_ports(backends.mongodb, DEFAULT_PORTS["mongodb"])
    return ports


def _tcp(*ports: int | str) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def _monitoring(spec: VoiceAgentSpec) -> dict[str, Any]:
    namespace = spec.network_policy.monitoring_namespace
    return {
        "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}],
        "ports": _tcp(meta.METRICS_PORT),
    }


def _dns() -> dict[str, Any]:
    return {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}


def render_network_policy(agent: meta.AgentRef, spec: VoiceAgentSpec, component: str) -> dict[str, Any]:
    egress: list[dict[str, Any]] = [_dns(), {"ports": _tcp(*sorted(_backend_ports(spec, component)))}]
    if component == "gateway":
        ingress: list[dict[str, Any]] = [{"ports": _tcp(meta.HTTP_PORT)}, _monitoring(spec)]
        services = [name for name in meta.GRPC_COMPONENTS if spec.components.get(name).enabled]
        if services:
            egress.append(
                {
                    "to": [
                        {
                            "podSelector": {
                                "matchLabels": {meta.LABEL_INSTANCE: agent.name, meta.LABEL_NAME: meta.APP},
                                "matchExpressions": [
                                    {"key": meta.LABEL_COMPONENT, "operator": "In", "values": services}
                                ],
                            }
                        }
                    ],
                    "ports": _tcp(meta.GRPC_PORT),
                }
            )
    else:
        gateway = {"podSelector": {"matchLabels": meta.selector_labels(agent, "gateway")}}
        ingress = [{"from": [gateway], "ports": _tcp(meta.GRPC_PORT)}, _monitoring(spec)]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta.object_meta(agent, meta.child_name(agent, component), component),
        "spec": {
            "podSelector": {"matchLabels": meta.selector_labels(agent, component)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": egress,
        },
    }
