"""gRPC transport of the intent service: proto ↔ IntentService, nothing else."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import grpc
import redis.asyncio as aioredis
from redis.exceptions import RedisError
from voiceagent.v1 import intent_pb2, intent_pb2_grpc

from services.common.cache import JsonCache
from services.common.config import load_settings
from services.common.server import Registration, Runtime, run_service
from services.common.stores import redact
from services.common.timing import timing_proto
from services.intent.config import IntentSettings
from services.intent.engine import IntentEngine
from services.intent.semantic import E5Embedder
from services.intent.service import ClassifyRequest, ClassifyResult, IntentService
from services.intent.taxonomy import load_taxonomy

log = logging.getLogger(__name__)
REDIS_TIMEOUT_S = 0.5


class IntentServicer(intent_pb2_grpc.IntentClassifierServicer):
    def __init__(self, service: IntentService) -> None:
        self.service = service

    async def Classify(
        self, request: intent_pb2.ClassifyRequest, context: grpc.aio.ServicerContext
    ) -> intent_pb2.ClassifyResponse:
        result = await self.service.classify(
            ClassifyRequest(
                text=request.text,
                previous_intent=request.context.previous_intent,
                expecting=request.context.expecting,
                now=request.context.now,
            )
        )
        return to_proto(result)


def to_proto(result: ClassifyResult) -> intent_pb2.ClassifyResponse:
    classification = result.classification
    return intent_pb2.ClassifyResponse(
        intent=classification.intent,
        confidence=classification.confidence,
        method=classification.method,
        alternatives=[
            intent_pb2.IntentScore(intent=name, confidence=score) for name, score in classification.alternatives
        ],
        entities=classification.entities,
        enriched_query=classification.enriched_query,
        cached=result.cached,
        timing=timing_proto(result.stages, result.total_ms),
    )


async def open_cache_redis(url: str) -> aioredis.Redis:
    """A Redis client for the cache; an unreachable Redis is logged, not fatal (the cache fails open)."""
    client = aioredis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S)
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        log.warning(
            "Redis unreachable; classifying without the cache", extra={"redis": redact(url), "error": str(error)}
        )
    return client


def main() -> None:
    settings = load_settings(IntentSettings)

    async def build() -> Runtime:
        taxonomy = load_taxonomy(settings.intent_config_file)
        embedder = E5Embedder(settings.embed_variant, settings.embed_threads)
        engine = IntentEngine(taxonomy, embedder)
        redis = await open_cache_redis(settings.redis_url)
        cache = JsonCache(redis, settings.key_prefix, "intent", "intent", ttl_s=settings.intent_cache_ttl_s)
        executor = ThreadPoolExecutor(settings.intent_workers, thread_name_prefix="intent")
        servicer = IntentServicer(IntentService(engine, cache, executor, settings.intent_max_text_chars))
        log.info(
            "intent taxonomy loaded",
            extra={
                "source": taxonomy.source,
                "intents": len(taxonomy.intents),
                "rules": len(taxonomy.rules),
                "fingerprint": taxonomy.fingerprint,
            },
        )

        async def close() -> None:
            executor.shutdown(wait=True)
            await redis.aclose()

        return Runtime(
            registrations=[
                Registration(
                    intent_pb2.DESCRIPTOR.services_by_name["IntentClassifier"].full_name,
                    lambda server: intent_pb2_grpc.add_IntentClassifierServicer_to_server(servicer, server),
                )
            ],
            close=close,
        )

    run_service("intent", settings, build)
