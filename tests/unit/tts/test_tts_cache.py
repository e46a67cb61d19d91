"""The audio cache: fail-open for streams, strict for URLs, bounded background writes."""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client import REGISTRY

from services.common.errors import BackendUnavailable
from services.tts.cache import content_key
from tests.unit.tts.tts_fakes import CacheFactory, FakeObjectStore


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def lookups(result: str) -> float:
    return metric("voiceagent_cache_lookups_total", component="tts", cache="audio", result=result)


async def test_a_stored_object_is_a_hit_and_a_missing_one_a_miss(
    make_cache: CacheFactory, store: FakeObjectStore
) -> None:
    cache = make_cache()
    assert await cache.start()
    store.objects["default--leibniz/tts/x.pcm"] = b"audio"
    hits, misses = lookups("hit"), lookups("miss")
    assert await cache.get("default--leibniz/tts/x.pcm") == b"audio"
    assert await cache.get("default--leibniz/tts/y.pcm") is None
    assert (lookups("hit") - hits, lookups("miss") - misses) == (1, 1)
    await cache.close()


async def test_storage_failures_are_misses_and_open_the_breaker(
    make_cache: CacheFactory, store: FakeObjectStore
) -> None:
    cache = make_cache(retry_after_s=60)
    await cache.start()
    store.down = True
    errors = metric("voiceagent_tts_cache_errors_total", operation="lookup")
    for _ in range(3):
        assert await cache.get("any") is None
    assert metric("voiceagent_tts_cache_errors_total", operation="lookup") - errors == 3
    calls = store.calls
    began = time.perf_counter()
    assert await cache.get("any") is None
    assert store.calls == calls, "an open breaker must not touch the dead storage"
    assert time.perf_counter() - began < 0.1
    await cache.close()


async def test_a_slow_lookup_counts_as_a_miss_after_the_timeout(
    make_cache: CacheFactory, store: FakeObjectStore
) -> None:
    cache = make_cache(lookup_timeout_s=0.05)
    await cache.start()
    store.objects["slow"] = b"audio"
    store.delay_s = 0.3
    began = time.perf_counter()
    assert await cache.get("slow") is None
    assert time.perf_counter() - began < 0.2
    await cache.close()


async def test_without_storage_at_start_the_cache_reconnects_later(
    make_cache: CacheFactory, store: FakeObjectStore
) -> None:
    store.down = True
    cache = make_cache(retry_after_s=0.05)
    assert not await cache.start()
    assert await cache.get("x") is None
    store.down = False
    store.objects["x"] = b"audio"
    await asyncio.sleep(0.06)
    assert await cache.get("x") is None  # this lookup starts the reconnect in the background
    for _ in range(50):
        if cache.connected:
            break
        await asyncio.sleep(0.01)
    assert cache.connected
    assert await cache.get("x") == b"audio"
    await cache.close()


async def test_background_writes_are_bounded_and_never_awaited_by_the_caller(
    make_cache: CacheFactory, store: FakeObjectStore
) -> None:
    cache = make_cache(max_pending_writes=2)
    await cache.start()
    store.delay_s = 0.1
    dropped = metric("voiceagent_tts_cache_writes_dropped_total")
    began = time.perf_counter()
    for index in range(3):
        cache.put_later(f"k{index}", b"audio", "audio/basic")
    assert time.perf_counter() - began < 0.1
    assert metric("voiceagent_tts_cache_writes_dropped_total") - dropped == 1
    await cache.close()
    assert sorted(store.objects) == ["k0", "k1"]
    assert store.content_types["k0"] == "audio/basic"


async def test_background_writes_are_dropped_while_storage_is_away(
    make_cache: CacheFactory, store: FakeObjectStore
) -> None:
    store.down = True
    cache = make_cache(retry_after_s=60)
    await cache.start()
    dropped = metric("voiceagent_tts_cache_writes_dropped_total")
    cache.put_later("k", b"audio", "audio/basic")
    assert metric("voiceagent_tts_cache_writes_dropped_total") - dropped == 1
    await cache.close()


async def test_a_failed_background_write_is_counted_not_raised(
    make_cache: CacheFactory, store: FakeObjectStore
) -> None:
    cache = make_cache()
    await cache.start()
    store.down = True
    errors = metric("voiceagent_tts_cache_errors_total", operation="write")
    cache.put_later("k", b"audio", "audio/basic")
    await cache.close()
    assert metric("voiceagent_tts_cache_errors_total", operation="write") - errors == 1


async def test_strict_calls_raise_backend_unavailable(make_cache: CacheFactory, store: FakeObjectStore) -> None:
    cache = make_cache()
    await cache.start()
    assert await cache.size_of("missing") is None
    await cache.put("k", b"12345", "audio/wav")
    assert await cache.size_of("k") == 5
    assert (await cache.presign("k", 600)).endswith("X-Amz-Expires=600")
    store.down = True
    with pytest.raises(BackendUnavailable, match="no audio URL"):
        await cache.size_of("k")
    with pytest.raises(BackendUnavailable, match="no URL"):
        await cache.put("k2", b"1", "audio/wav")
    await cache.close()


async def test_strict_calls_without_any_connection_raise(make_cache: CacheFactory, store: FakeObjectStore) -> None:
    store.down = True
    cache = make_cache()
    await cache.start()
    with pytest.raises(BackendUnavailable, match="object storage is unavailable"):
        await cache.size_of("k")
    await cache.close()


async def test_object_names_live_under_the_agent_prefix(make_cache: CacheFactory) -> None:
    cache = make_cache()
    key = content_key("a", "b")
    assert cache.object_name("sentences", key, "pcm") == f"default--leibniz/tts/sentences/{key[:2]}/{key}.pcm"
    await cache.close()


def test_content_keys_separate_their_parts() -> None:
    assert content_key("a", "bc") != content_key("ab", "c")
    assert content_key("a", "b") == content_key("a", "b")
    assert len(content_key("x")) == 64
