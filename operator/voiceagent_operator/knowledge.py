"""Knowledge-base revisions: when the source changes, the agent needs a reindex Job."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voiceagent_operator.spec import VoiceAgentSpec

PENDING, RUNNING, SUCCEEDED, FAILED = "Pending", "Running", "Succeeded", "Failed"


@dataclass(frozen=True)
class KbSource:
    """Where the knowledge base lives: ``configmap/<name>`` or ``s3://bucket/prefix``."""

    description: str
    config_map: str | None


def kb_source(spec: VoiceAgentSpec) -> KbSource | None:
    kb = spec.knowledge_base
    if kb is None:
        return None
    if kb.config_map is not None:
        return KbSource(f"configmap/{kb.config_map.name}", kb.config_map.name)
    assert kb.s3 is not None and spec.backends.s3 is not None  # guaranteed by the spec validators
    return KbSource(f"s3://{kb.s3.bucket or spec.backends.s3.bucket}/{kb.s3.prefix.strip('/')}", None)


def kb_revision(spec: VoiceAgentSpec, source: KbSource, config_map: Mapping[str, Any] | None) -> str:
    """A digest that changes whenever the indexed content (or the model embedding it) may have changed.

    For a ConfigMap the operator hashes its content. S3 objects are not listed:
    the source location and ``spec.knowledgeBase.revision`` (bump it after
    uploading) stand for the content.
    """
    assert spec.knowledge_base is not None
    content: dict[str, Any] = {
        "source": source.description,
        "revision": spec.knowledge_base.revision,
        "embeddingModel": spec.knowledge_base.embedding_model,
    }
    if config_map is not None:
        content["data"] = config_map.get("data") or {}
        content["binaryData"] = config_map.get("binaryData") or {}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def job_phase(job: Mapping[str, Any] | None) -> str:
    """Phase of a reindex Job from its status, as reported in ``status.knowledgeBase.phase``."""
    if job is None:
        return PENDING
    status = job.get("status") or {}
    for condition in status.get("conditions") or []:
        if condition.get("status") == "True" and condition.get("type") in ("Complete", "SuccessCriteriaMet"):
            return SUCCEEDED
        if condition.get("status") == "True" and condition.get("type") in ("Failed", "FailureTarget"):
            return FAILED
    if status.get("succeeded"):
        return SUCCEEDED
    if status.get("active"):
        return RUNNING
    return PENDING
