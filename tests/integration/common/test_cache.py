"""JsonCache against real Redis, and failing open when Redis is gone."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from services.common.cache import JsonCache
from services.common.stores import connect_redis
from services.stack.backends import BackendEndpoints
from services.stack.processes import free_port

pytestmark = pytest.mark.integration


async def test_round_trip_with_ttl_and_tenant_prefix(backends: BackendEndpoints) -> None:
    redis = await connect_redis(backends.redis_url)
    cache = JsonCache(redis, "va:tenant/agent:", "answers", "test", ttl_s=60)
    assert await cache.get("rev1", "when is the library open") is None
    await cache.set({"answer": "8 am"}, "rev1", "when is the library open")
    assert await cache.get("rev1", "when is the library open") == {"answer": "8 am"}
    assert await cache.get("rev2", "when is the library open") is None  # a new revision misses by construction
    key = cache.key("rev1", "when is the library open")
    assert key.startswith("va:tenant/agent:cache:answers:")
    assert 0 < await redis.ttl(key) <= 60
    await redis.aclose()


async def test_redis_down_is_a_miss_not_an_error() -> None:
    dead = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
    cache = JsonCache(dead, "va:t/a:", "answers", "test")
    await cache.set({"x": 1}, "k")
    assert await cache.get("k") is None
    await dead.aclose()
