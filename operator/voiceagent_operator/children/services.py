"""Per component: a ClusterIP Service and a headless Service for client-side round-robin."""

from __future__ import annotations

from typing import Any

from voiceagent_operator import meta


def _ports(component: str) -> list[dict[str, Any]]:
    if component == "gateway":
        serving = {
            "name": "http",
            "port": meta.HTTP_PORT,
            "targetPort": "http",
            "protocol": "TCP",
            "appProtocol": "http",
        }
    else:
        serving = {
            "name": "grpc",
            "port": meta.GRPC_PORT,
            "targetPort": "grpc",
            "protocol": "TCP",
            "appProtocol": "grpc",
        }
    return [
        serving,
        {
            "name": "metrics",
            "port": meta.METRICS_PORT,
            "targetPort": "metrics",
            "protocol": "TCP",
            "appProtocol": "http",
        },
    ]


def render_services(agent: meta.AgentRef, component: str) -> list[dict[str, Any]]:
    """``<agent>-<component>`` (ClusterIP) and ``<agent>-<component>-headless``.

    gRPC clients dial the headless name: DNS returns every ready pod and the
    ``round_robin`` policy spreads calls over all of them, which a ClusterIP
    cannot do for long-lived HTTP/2 connections.
    """
    selector = meta.selector_labels(agent, component)
    cluster_ip = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta.object_meta(agent, meta.child_name(agent, component), component),
        "spec": {"type": "ClusterIP", "selector": selector, "ports": _ports(component)},
    }
    headless = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta.object_meta(agent, meta.child_name(agent, component, "headless"), component),
        "spec": {
            "clusterIP": "None",
            "publishNotReadyAddresses": False,
            "selector": selector,
            "ports": _ports(component)[:1],
        },
    }
    return [cluster_ip, headless]
