"""The intent use case: validate a request, answer from the cache or classify, fill the cache.

The cache key is everything the answer depends on: the taxonomy version, the
normalised text (plus which words were capitalised, a hint for names), the slot
the flow expects, the previous intent, and the caller's date when the text names
a date relative to it. Redis being down only costs the cache (JsonCache fails open).
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from services.common.cache import JsonCache
from services.common.errors import InvalidInput
from services.common.telemetry import STAGE_LATENCY
from services.common.timing import StageTimer
from services.intent.context import EXPECTABLE, Context
from services.intent.dates import find_dates
from services.intent.engine import Classification, IntentEngine
from services.intent.numbers import words_to_digits
from services.intent.text import normalize

_CAPITALISED = re.compile(r"\b[^\W\d_a-z][\w'-]*")
# Bump when the engine's answers change shape or meaning, so that old cache entries are not served.
CACHE_SCHEMA = "intent-v1"


@dataclass(frozen=True)
class ClassifyRequest:
    text: str
    previous_intent: str = ""
    expecting: str = ""
    now: str = ""  # caller's local time, ISO 8601 without zone; empty = server clock


@dataclass(frozen=True)
class ClassifyResult:
    classification: Classification
    cached: bool
    stages: dict[str, float]
    total_ms: float


def parse_clock(value: str) -> datetime:
    """The caller's local wall time; InvalidInput when it is not ISO 8601."""
    if not value.strip():
        return datetime.now()
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"context.now must be an ISO 8601 local time such as 2026-06-10T10:30:00, got {value[:40]!r}"
        ) from None
    return parsed.replace(tzinfo=None)


def validate(request: ClassifyRequest, intents: tuple[str, ...], max_chars: int) -> tuple[Context, datetime]:
    if not request.text.strip():
        raise InvalidInput("text is empty")
    if len(request.text) > max_chars:
        raise InvalidInput(f"text is {len(request.text)} characters long; the limit is {max_chars}")
    if request.expecting and request.expecting not in EXPECTABLE:
        raise InvalidInput(f"context.expecting must be one of {', '.join(EXPECTABLE)} or empty")
    if request.previous_intent and request.previous_intent not in intents:
        raise InvalidInput(f"context.previous_intent {request.previous_intent[:40]!r} is not an intent of this agent")
    now = parse_clock(request.now)
    return Context(request.previous_intent or None, request.expecting or None), now


def cache_key_parts(fingerprint: str, text: str, context: Context, now: datetime) -> tuple[str, ...]:
    normalized = normalize(text)
    capitalised = ",".join(sorted({word.lower() for word in _CAPITALISED.findall(text)}))
    mentions_date = bool(find_dates(words_to_digits(normalized), date(2026, 1, 1)))
    return (
        CACHE_SCHEMA,
        fingerprint,
        normalized,
        capitalised,
        context.expecting or "",
        context.previous_intent or "",
        now.date().isoformat() if mentions_date else "",
    )


class IntentService:
    def __init__(self, engine: IntentEngine, cache: JsonCache, executor: Executor, max_chars: int) -> None:
        self.engine = engine
        self.cache = cache
        self._executor = executor
        self._max_chars = max_chars

    async def classify(self, request: ClassifyRequest) -> ClassifyResult:
        timer = StageTimer()
        context, now = validate(request, self.engine.taxonomy.intents, self._max_chars)
        key = cache_key_parts(self.engine.taxonomy.fingerprint, request.text, context, now)
        with timer.stage("cache_get"):
            stored = await self.cache.get(*key)
        if stored is not None:
            return self._result(Classification.from_json(stored), True, timer)
        loop = asyncio.get_running_loop()
        classification = await loop.run_in_executor(
            self._executor, partial(self.engine.classify, request.text, now, context, timer)
        )
        with timer.stage("cache_set"):
            await self.cache.set(classification.to_json(), *key)
        return self._result(classification, False, timer)

    @staticmethod
    def _result(classification: Classification, cached: bool, timer: StageTimer) -> ClassifyResult:
        for stage, ms in timer.stages.items():
            STAGE_LATENCY.labels("intent", stage).observe(ms / 1000.0)
        return ClassifyResult(classification, cached, dict(timer.stages), timer.elapsed_ms)
