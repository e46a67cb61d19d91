"""The Kubernetes kinds the operator reads and writes, and their REST paths."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voiceagent_operator import meta


@dataclass(frozen=True)
class Kind:
    kind: str
    api_version: str
    plural: str

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    def path(self, namespace: str, name: str | None = None, subresource: str | None = None) -> str:
        """Namespaced REST path, e.g. ``/apis/apps/v1/namespaces/ns/deployments/name``."""
        root = f"/apis/{self.api_version}" if self.group else f"/api/{self.api_version}"
        path = f"{root}/namespaces/{namespace}/{self.plural}"
        if name is not None:
            path += f"/{name}"
            if subresource is not None:
                path += f"/{subresource}"
        return path


SERVICE_ACCOUNT = Kind("ServiceAccount", "v1", "serviceaccounts")
CONFIG_MAP = Kind("ConfigMap", "v1", "configmaps")
SERVICE = Kind("Service", "v1", "services")
NETWORK_POLICY = Kind("NetworkPolicy", "networking.k8s.io/v1", "networkpolicies")
DEPLOYMENT = Kind("Deployment", "apps/v1", "deployments")
HPA = Kind("HorizontalPodAutoscaler", "autoscaling/v2", "horizontalpodautoscalers")
PDB = Kind("PodDisruptionBudget", "policy/v1", "poddisruptionbudgets")
JOB = Kind("Job", "batch/v1", "jobs")
VOICE_AGENT = Kind(meta.KIND, meta.API_VERSION, meta.PLURAL)

CHILD_KINDS: tuple[Kind, ...] = (SERVICE_ACCOUNT, CONFIG_MAP, SERVICE, NETWORK_POLICY, DEPLOYMENT, HPA, PDB, JOB)
"""In apply order: what pods reference exists before the pods are created."""

PRUNABLE_KINDS: tuple[Kind, ...] = CHILD_KINDS[:-1]
"""Reindex Jobs are history: they clean themselves up (TTL) and are never pruned."""

_BY_KIND = {kind.kind: kind for kind in (*CHILD_KINDS, VOICE_AGENT)}


def kind_of(obj: Mapping[str, Any]) -> Kind:
    kind = _BY_KIND[obj["kind"]]
    if kind.api_version != obj["apiVersion"]:
        raise ValueError(f"unexpected apiVersion {obj['apiVersion']} for {obj['kind']}")
    return kind


def apply_rank(obj: Mapping[str, Any]) -> int:
    return CHILD_KINDS.index(kind_of(obj))
