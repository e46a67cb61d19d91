"""Live booking dialogues in Redis: one JSON value per session, with a TTL refreshed every turn.

A restarted (or another) replica continues a dialogue where it stopped. Turns
of one session are serialised by a Redis lock, so two replicas never apply
turns to the same flow at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from pydantic import ValidationError
from redis.exceptions import LockError, RedisError

from services.common.errors import BackendUnavailable, ResourceExhausted
from services.fsm.flow import Flow


@asynccontextmanager
async def _redis_errors() -> AsyncIterator[None]:
    try:
        yield
    except RedisError as error:
        raise BackendUnavailable(f"the session store (Redis) is unavailable: {type(error).__name__}") from None


class FlowStore:
    def __init__(self, redis: aioredis.Redis, key_prefix: str, ttl_s: int, lock_timeout_s: float) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self.ttl_s = ttl_s
        self.lock_timeout_s = lock_timeout_s

    def key(self, session_id: str) -> str:
        return f"{self.key_prefix}fsm:{session_id}"

    async def load(self, session_id: str) -> Flow | None:
        async with _redis_errors():
            raw = await self.redis.get(self.key(session_id))
        if raw is None:
            return None
        try:
            return Flow.model_validate_json(raw)
        except ValidationError:  # written by an incompatible version: treat as expired
            return None

    async def save(self, flow: Flow) -> None:
        async with _redis_errors():
            await self.redis.set(self.key(flow.session_id), flow.model_dump_json(), ex=self.ttl_s)

    @asynccontextmanager
    async def locked(self, session_id: str) -> AsyncIterator[None]:
        """Hold the session's lock while a turn runs; waits for a turn in progress to finish."""
        lock = self.redis.lock(
            f"{self.key(session_id)}:lock", timeout=self.lock_timeout_s, blocking_timeout=self.lock_timeout_s
        )
        async with _redis_errors():
            acquired = await lock.acquire()
        if not acquired:
            raise ResourceExhausted("another turn of this session is still being processed; try again")
        try:
            yield
        finally:
            # An expired lock or a lost Redis needs no release: the lock times out by itself.
            with contextlib.suppress(LockError, RedisError):
                await lock.release()
