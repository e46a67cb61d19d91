"""Wiring an engine from settings: backends, model, store, indexer, cache, optional LLM.

Shared by the service, the reindex Job and the benchmark, so all three run the
very same configuration.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import redis.asyncio as aioredis
from qdrant_client import AsyncQdrantClient

from services.common.cache import JsonCache
from services.common.config import S3Settings
from services.common.stores import connect_qdrant, connect_redis
from services.rag.config import RagSettings
from services.rag.embedder import Embedder
from services.rag.engine import COMPONENT, RagEngine
from services.rag.generator import LlmGenerator
from services.rag.indexer import Indexer, IndexParams
from services.rag.store import VectorStore
from services.rag.vector_cache import VectorCache


@dataclass
class RagRuntime:
    engine: RagEngine
    redis: aioredis.Redis
    qdrant: AsyncQdrantClient
    embedder: Embedder
    owns_embedder: bool

    async def close(self) -> None:
        await self.engine.close()
        await self.qdrant.close()
        await self.redis.aclose()
        if self.owns_embedder:
            await asyncio.to_thread(self.embedder.close)


def alias_of(settings: RagSettings) -> str:
    return f"{settings.agent_slug}-kb"


def build_engine(
    settings: RagSettings,
    redis: aioredis.Redis,
    qdrant: AsyncQdrantClient,
    embedder: Embedder,
    s3: S3Settings | None = None,
) -> RagEngine:
    store = VectorStore(qdrant, alias_of(settings))
    indexer = Indexer(
        store,
        embedder,
        redis,
        VectorCache(redis, settings.key_prefix, embedder.name, embedder.dim),
        IndexParams(settings.chunk_size, settings.chunk_overlap, embedder.name),
        lock_name=f"{settings.key_prefix}rag:reindex-lock",
        lock_timeout_s=settings.reindex_lock_timeout_s,
    )
    cache = JsonCache(redis, settings.key_prefix, "rag-answers", COMPONENT, ttl_s=settings.cache_ttl_s)
    generator = (
        LlmGenerator(settings.llm_base_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout_s)
        if settings.llm_base_url
        else None
    )
    return RagEngine(settings, store, embedder, indexer, cache, generator, s3)


async def open_runtime(
    settings: RagSettings, embedder: Embedder | None = None, s3: S3Settings | None = None
) -> RagRuntime:
    """Connect the backends (failing fast with a clear error) and load the model."""
    redis = await connect_redis(settings.redis_url)
    try:
        qdrant = await connect_qdrant(settings.qdrant_url, settings.qdrant_path, settings.qdrant_api_key)
    except BaseException:
        await redis.aclose()
        raise
    owns = embedder is None
    model = (
        embedder
        if embedder is not None
        else await asyncio.to_thread(Embedder, settings.embedding_model, settings.embed_threads)
    )
    engine = build_engine(settings, redis, qdrant, model, s3)
    return RagRuntime(engine, redis, qdrant, model, owns)
