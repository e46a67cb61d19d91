"""Prometheus metrics of the tts service (the shared ones live in services.common.telemetry)."""

from __future__ import annotations

from prometheus_client import Counter

CACHE_ERRORS = Counter(
    "voiceagent_tts_cache_errors_total",
    "Object-storage failures absorbed by the tts audio cache (the call went on without the cache)",
    ["operation"],
)
CACHE_WRITES_DROPPED = Counter(
    "voiceagent_tts_cache_writes_dropped_total",
    "Audio not written to the cache because too many writes were already pending",
)
ENGINE_FALLBACKS = Counter(
    "voiceagent_tts_engine_fallbacks_total",
    "Sentences synthesized by the fallback engine because the voice's own engine failed",
    ["engine", "fallback"],
)
