"""The knowledge-base reindex Job (``python -m services.rag.reindex``)."""

from __future__ import annotations

from typing import Any

from voiceagent_operator import meta
from voiceagent_operator.children import pods
from voiceagent_operator.children.env import component_env
from voiceagent_operator.spec import VoiceAgentSpec

REINDEX_MODULE = "services.rag.reindex"
JOB_TTL_S = 24 * 3600
JOB_DEADLINE_S = 3600


def reindex_job_name(agent: meta.AgentRef, revision: str) -> str:
    """Deterministic per revision, so that creating it twice is harmless."""
    return meta.child_name(agent, meta.REINDEX_COMPONENT, revision[:8])


def render_reindex_job(agent: meta.AgentRef, spec: VoiceAgentSpec, revision: str, default_image: str) -> dict[str, Any]:
    """Same image, environment and mounts as the rag pods (the revision is an annotation)."""
    rag = spec.components.rag
    container = pods.container(
        meta.REINDEX_COMPONENT,
        pods.image(spec, "rag", default_image),
        REINDEX_MODULE,
        component_env(agent, spec, "rag"),
        pods.resources("rag", rag.resources),
    )
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta.object_meta(
            agent,
            reindex_job_name(agent, revision),
            meta.REINDEX_COMPONENT,
            annotations={meta.KB_REVISION_ANNOTATION: revision},
        ),
        "spec": {
            "backoffLimit": 3,
            "activeDeadlineSeconds": JOB_DEADLINE_S,
            "ttlSecondsAfterFinished": JOB_TTL_S,
            "template": {
                "metadata": {"labels": meta.labels(agent, meta.REINDEX_COMPONENT)},
                "spec": pods.pod_spec(agent, spec, container, with_kb=True, restartPolicy="Never"),
            },
        },
    }
