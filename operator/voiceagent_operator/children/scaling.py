"""Per component: the HorizontalPodAutoscaler (when autoscaling is on) and the PodDisruptionBudget."""

from __future__ import annotations

from typing import Any

from voiceagent_operator import meta
from voiceagent_operator.spec import Autoscaling


def render_hpa(agent: meta.AgentRef, component: str, autoscaling: Autoscaling) -> dict[str, Any]:
    name = meta.child_name(agent, component)
    metrics: list[dict[str, Any]] = [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {
                    "type": "Utilization",
                    "averageUtilization": autoscaling.target_cpu_utilization_percentage,
                },
            },
        }
    ]
    if autoscaling.custom_metric is not None:
        metrics.append(
            {
                "type": "Pods",
                "pods": {
                    "metric": {"name": autoscaling.custom_metric.name},
                    "target": {
                        "type": "AverageValue",
                        "averageValue": str(autoscaling.custom_metric.target_average_value),
                    },
                },
            }
        )
    spec: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
        "minReplicas": autoscaling.min_replicas,
        "maxReplicas": autoscaling.max_replicas,
        "metrics": metrics,
    }
    if autoscaling.behavior is not None:
        spec["behavior"] = autoscaling.behavior.model_dump(by_alias=True, exclude_none=True)
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta.object_meta(agent, name, component),
        "spec": spec,
    }


def render_pdb(agent: meta.AgentRef, component: str) -> dict[str, Any]:
    """At most one pod of a component voluntarily evicted at a time.

    ``maxUnavailable`` (not ``minAvailable``) so that a single-replica component
    never blocks a node drain.
    """
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta.object_meta(agent, meta.child_name(agent, component), component),
        "spec": {
            "maxUnavailable": 1,
            "selector": {"matchLabels": meta.selector_labels(agent, component)},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }
