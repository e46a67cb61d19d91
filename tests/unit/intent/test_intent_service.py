"""Request validation, cache keys and the cache path of IntentService (no network)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest

from services.common.cache import JsonCache
from services.common.errors import InvalidInput
from services.intent.context import Context
from services.intent.engine import IntentEngine
from services.intent.service import ClassifyRequest, IntentService, cache_key_parts, parse_clock

NOW = "2026-06-10T10:30:00"


class DictRedis:
    """In-memory stand-in for the two Redis calls JsonCache makes."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    async def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    async def set(self, key: str, value: str, ex: int | None = None) -> None:
        self.data[key] = value.encode()


@pytest.fixture
def executor():
    with ThreadPoolExecutor(1) as pool:
        yield pool


def make_service(engine: IntentEngine, executor: ThreadPoolExecutor, redis: Any = None) -> IntentService:
    return IntentService(engine, JsonCache(redis, "va:test/intent:", "intent", "intent"), executor, max_chars=2000)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (ClassifyRequest(text=""), "text is empty"),
        (ClassifyRequest(text="   \n"), "text is empty"),
        (ClassifyRequest(text="a" * 2001), "limit is 2000"),
        (ClassifyRequest(text="hi", now="yesterday"), "ISO 8601"),
        (ClassifyRequest(text="hi", now="2026-13-45T99:00"), "ISO 8601"),
        (ClassifyRequest(text="hi", expecting="favourite_colour"), "context.expecting"),
        (ClassifyRequest(text="hi", previous_intent="ORDER_PIZZA"), "previous_intent"),
    ],
)
async def test_bad_requests_are_invalid_input(
    engine: IntentEngine, executor, request_: ClassifyRequest, message: str
) -> None:
    service = make_service(engine, executor)
    with pytest.raises(InvalidInput, match=message):
        await service.classify(request_)
    assert (await service.classify(ClassifyRequest(text="hello", now=NOW))).classification.intent == "GREETING"


async def test_exactly_the_limit_is_accepted(engine: IntentEngine, executor) -> None:
    result = await make_service(engine, executor).classify(ClassifyRequest(text="a " * 1000, now=NOW))
    assert result.classification.intent


def test_clock_is_the_callers_wall_time() -> None:
    assert parse_clock("2026-06-10T10:30:00+02:00") == datetime(2026, 6, 10, 10, 30)
    assert parse_clock("2026-06-10") == datetime(2026, 6, 10)
    assert abs((parse_clock("") - datetime.now()).total_seconds()) < 5


def test_cache_key_holds_the_date_only_for_date_relative_text() -> None:
    june10, june11 = datetime(2026, 6, 10, 9), datetime(2026, 6, 11, 9)
    context = Context()
    assert cache_key_parts("f", "tomorrow", context, june10) != cache_key_parts("f", "tomorrow", context, june11)
    assert cache_key_parts("f", "yes", context, june10) == cache_key_parts("f", "yes", context, june11)
    # normalisation: fillers and spacing do not split the cache
    assert cache_key_parts("f", "um  yes", context, june10) == cache_key_parts("f", "yes", context, june10)
    # what the answer depends on does
    assert cache_key_parts("f", "3", Context(expecting="preferred_time"), june10) != cache_key_parts(
        "f", "3", context, june10
    )
    assert cache_key_parts("f", "yes", Context(previous_intent="GREETING"), june10) != cache_key_parts(
        "f", "yes", context, june10
    )
    assert cache_key_parts("g", "yes", context, june10) != cache_key_parts("f", "yes", context, june10)


async def test_second_identical_request_is_served_from_the_cache(engine: IntentEngine, executor) -> None:
    redis = DictRedis()
    service = make_service(engine, executor, redis)
    request = ClassifyRequest(text="Book me in for tomorrow at 3 pm", now=NOW)
    first = await service.classify(request)
    second = await service.classify(request)
    assert (first.cached, second.cached) == (False, True)
    assert second.classification == first.classification
    assert "semantic" not in second.stages and "cache_get" in second.stages
    next_day = await service.classify(ClassifyRequest(text=request.text, now="2026-06-11T10:30:00"))
    assert not next_day.cached
    assert next_day.classification.entities["date"] == "2026-06-12"


async def test_without_redis_every_request_is_classified(engine: IntentEngine, executor) -> None:
    service = make_service(engine, executor, redis=None)
    results = [await service.classify(ClassifyRequest(text="yes", now=NOW)) for _ in range(2)]
    assert [result.cached for result in results] == [False, False]
    assert {result.classification.intent for result in results} == {"AFFIRM"}
