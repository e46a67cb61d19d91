"""Settings of the rag service (environment variables prefixed VA_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from services.common.config import ServiceSettings


class RagSettings(ServiceSettings):
    """rag service settings; see services/common/config.py for the shared fields."""

    kb_source: str = Field(
        "kb", description="Knowledge base: a directory of markdown (e.g. a ConfigMap mount) or s3://bucket/prefix"
    )
    qdrant_url: str = Field("", description="Qdrant server URL; empty uses local mode at VA_QDRANT_PATH")
    qdrant_path: str = Field(
        "", description="Qdrant local-mode directory (one process per path; put it on tmpfs); empty = in memory"
    )
    qdrant_api_key: str = Field("", description="Qdrant API key (from a Secret)")
    chunk_size: int = Field(800, ge=200, le=4000, description="Maximum characters per knowledge-base chunk")
    chunk_overlap: int = Field(150, ge=0, le=1000, description="Characters shared by consecutive chunks of a section")
    top_k: int = Field(5, ge=1, le=20, description="Sources returned when a query does not say")
    max_top_k: int = Field(20, ge=1, le=100, description="Largest top_k a query may ask for")
    max_query_chars: int = Field(2000, ge=10, description="Longest accepted query, in characters")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant (larger flattens the ranks)")
    embedding_model: Literal["e5", "minilm"] = Field(
        "e5",
        description="Embedding model: e5 (multilingual-e5-small; more accurate, multilingual) or minilm "
        "(all-MiniLM-L6-v2; English, a query in ~5 instead of ~20 ms); changing it rebuilds the index",
    )
    relevance_threshold: float | None = Field(
        None,
        ge=0.0,
        le=2.0,
        description="Least evidence (best dense similarity + 0.05 x question-word coverage) of a found answer; "
        "empty = the model's calibrated value (e5 0.875, minilm 0.425)",
    )
    embed_threads: int = Field(
        1,
        ge=0,
        le=64,
        description="Threads of one embedding (0 = the runtime's default); 2 halve an idle e5 query (18 to 9 ms) "
        "but stall queries for 1-2 s when other work holds the cores",
    )
    gil_switch_interval_ms: float = Field(
        1.0,
        gt=0,
        le=100,
        description="Longest a busy thread keeps the GIL from a waiting one: the embedding thread needs it "
        "briefly around each native call, and at Python's 5 ms a 5 ms embedding took 11 ms",
    )
    cache_ttl_s: int = Field(3600, ge=1, description="Lifetime of cached answers in Redis")
    state_refresh_s: float = Field(
        5.0, ge=0.0, description="How often a replica re-reads which collection the alias points to"
    )
    index_on_start: bool = Field(True, description="Index the knowledge base at start when the alias is missing")
    reindex_lock_timeout_s: float = Field(600.0, gt=0, description="Longest a reindex may hold the Redis lock")
    llm_base_url: str = Field("", description="OpenAI-compatible endpoint for generated answers; empty = extractive")
    llm_model: str = Field("", description="Model name sent to the LLM endpoint")
    llm_api_key: str = Field("", description="LLM API key (from a Secret)")
    llm_timeout_s: float = Field(
        4.0, gt=0, description="Deadline of one LLM call; on failure the extractive answer is used"
    )

    @field_validator("relevance_threshold", mode="before")
    @classmethod
    def _empty_means_the_models(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _overlap_below_size(self) -> RagSettings:
        if self.chunk_overlap >= self.chunk_size // 2:
            raise ValueError("chunk_overlap must be less than half of chunk_size")
        if self.top_k > self.max_top_k:
            raise ValueError("top_k must not exceed max_top_k")
        return self
