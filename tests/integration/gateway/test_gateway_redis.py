"""Sessions, rate limits and conversation slots in a real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from services.common.errors import BackendUnavailable, NotFound, ResourceExhausted
from services.gateway.limits import ConversationSlots, RateLimited, RateLimiter
from services.gateway.sessions import RedisSessionStore, Session
from services.stack.backends import BackendEndpoints
from services.stack.processes import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
async def redis(backends: BackendEndpoints) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(backends.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def dead_redis() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis(port=free_port(), socket_connect_timeout=0.5, socket_timeout=0.5)
    yield client
    await client.aclose()


def prefix() -> str:
    return f"va:test/{uuid.uuid4().hex[:8]}:"


async def test_sessions_round_trip_with_ttl_and_capped_history(redis):
    store = RedisSessionStore(redis, prefix(), ttl_s=120, max_history=4)
    session = Session(id=uuid.uuid4().hex, owner="tenant-a", clock="2026-03-02T10:00:00")
    await store.create(session)
    session.expecting, session.turns = "preferred_date", 1
    await store.save(session)
    for turn in range(3):
        await store.append_history(
            session.id, [{"role": "caller", "text": f"q{turn}"}, {"role": "agent", "text": f"a{turn}"}]
        )

    loaded = await store.get(session.id)
    history = await store.history(session.id)

    assert loaded == session
    assert [entry["text"] for entry in history] == ["q1", "a1", "q2", "a2"]
    assert 0 < await redis.ttl(store.key(session.id)) <= 120
    assert 0 < await redis.ttl(store.history_key(session.id)) <= 120
    assert store.key(session.id) == f"{store.prefix}session:{session.id}"
    assert await store.delete(session.id)
    with pytest.raises(NotFound):
        await store.get(session.id)
    with pytest.raises(NotFound):
        await store.save(session)  # a deleted session is not resurrected


async def test_session_store_down_is_backend_unavailable(dead_redis):
    store = RedisSessionStore(dead_redis, prefix(), ttl_s=60, max_history=10)
    with pytest.raises(BackendUnavailable):
        await store.get("abc")
    with pytest.raises(BackendUnavailable):
        await store.create(Session(id="abc", owner="a"))


async def test_rate_limit_per_key_and_minute(redis):
    limiter = RateLimiter(redis, prefix(), per_minute=3)
    for _ in range(3):
        await limiter.hit("tenant-a", now=600.0)

    with pytest.raises(RateLimited) as limited:
        await limiter.hit("tenant-a", now=630.0)

    assert limited.value.retry_after_s == 30
    await limiter.hit("tenant-b", now=630.0)  # another key
    await limiter.hit("tenant-a", now=661.0)  # the next minute


async def test_rate_limiter_fails_open_when_redis_is_down(dead_redis):
    await RateLimiter(dead_redis, prefix(), per_minute=1).hit("tenant-a")


async def test_conversation_slots_limit_release_and_expire(redis):
    slots = ConversationSlots(redis, prefix(), limit=2, lease_s=1)
    await slots.acquire("tenant-a", "c1")
    await slots.acquire("tenant-a", "c2")
    await slots.acquire("tenant-a", "c2")  # renewing a held slot is fine
    with pytest.raises(ResourceExhausted):
        await slots.acquire("tenant-a", "c3")
    await slots.acquire("tenant-b", "c1")  # other keys have their own slots

    await slots.release("tenant-a", "c1")
    await slots.acquire("tenant-a", "c3")
    await asyncio.sleep(1.1)  # leases of a crashed pod expire
    await slots.acquire("tenant-a", "c4")
    await slots.acquire("tenant-a", "c5")
