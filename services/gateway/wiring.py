"""Builds the gateway's collaborators from settings: Redis, gRPC channels, adapters, engine."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from redis.exceptions import RedisError

from services.common.clients import Downstream
from services.common.stores import connect_redis
from services.gateway.adapters import (
    IDEMPOTENT,
    GrpcBooking,
    GrpcIntent,
    GrpcKnowledge,
    GrpcRecognizer,
    GrpcSynthesizer,
)
from services.gateway.auth import ApiKeyAuth
from services.gateway.config import GatewaySettings
from services.gateway.engine import ConversationEngine
from services.gateway.health import check_downstream
from services.gateway.limits import ConversationSlots, RateLimiter
from services.gateway.ports import BookingPort, RecognizerPort, SynthesizerPort
from services.gateway.sessions import RedisSessionStore, SessionStore
from services.gateway.turns import TurnService


class RequestLimiter(Protocol):
    async def hit(self, key_name: str) -> None: ...


class SlotPool(Protocol):
    lease_s: int

    async def acquire(self, key_name: str, connection_id: str) -> None: ...

    async def release(self, key_name: str, connection_id: str) -> None: ...


@dataclass
class Readiness:
    redis: str  # ok or unreachable
    downstream: dict[str, str]  # service → SERVING, NOT_SERVING or UNREACHABLE


@dataclass
class Gateway:
    """Everything the HTTP layer uses; tests build one from in-memory fakes."""

    settings: GatewaySettings
    auth: ApiKeyAuth
    store: SessionStore
    rate_limiter: RequestLimiter
    slots: SlotPool
    turns: TurnService
    recognizer: RecognizerPort
    synthesizer: SynthesizerPort
    booking: BookingPort
    readiness: Callable[[], Awaitable[Readiness]]
    close: Callable[[], Awaitable[None]]


def _timeouts(settings: GatewaySettings) -> dict[str, float]:
    # A recognition stream lives as long as its conversation may.
    return {
        "stt": settings.max_session_s,
        "intent": settings.intent_timeout_s,
        "rag": settings.rag_timeout_s,
        "tts": settings.tts_timeout_s,
        "fsm": settings.fsm_timeout_s,
    }


async def build_gateway(settings: GatewaySettings) -> Gateway:
    """Connect Redis (failing fast) and open one channel per downstream service."""
    redis = await connect_redis(settings.redis_url)
    timeouts = _timeouts(settings)
    downstream = {
        name: Downstream.connect(
            name, target, timeouts[name], IDEMPOTENT[name], settings.breaker_failures, settings.breaker_reset_s
        )
        for name, target in settings.downstream_targets().items()
    }
    prefix = settings.key_prefix
    store = RedisSessionStore(redis, prefix, settings.session_ttl_s, settings.max_history_turns)
    booking = GrpcBooking(downstream["fsm"])
    engine = ConversationEngine(GrpcIntent(downstream["intent"]), GrpcKnowledge(downstream["rag"]), booking)

    async def readiness() -> Readiness:
        try:
            await redis.ping()
            redis_status = "ok"
        except (RedisError, OSError):
            redis_status = "unreachable"
        return Readiness(redis_status, await check_downstream({n: d.channel for n, d in downstream.items()}))

    async def close() -> None:
        await asyncio.gather(*(d.close() for d in downstream.values()))
        await redis.aclose()

    return Gateway(
        settings=settings,
        auth=ApiKeyAuth(settings.key_hashes()),
        store=store,
        rate_limiter=RateLimiter(redis, prefix, settings.rate_limit_per_minute),
        slots=ConversationSlots(redis, prefix, settings.max_concurrent_sessions_per_key),
        turns=TurnService(store, engine),
        recognizer=GrpcRecognizer(downstream["stt"], settings.language),
        synthesizer=GrpcSynthesizer(downstream["tts"]),
        booking=booking,
        readiness=readiness,
        close=close,
    )
