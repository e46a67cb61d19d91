"""Prometheus metrics of the stt service (the shared ones live in services.common.telemetry)."""

from __future__ import annotations

from prometheus_client import Counter

NARROWBAND_FINALS = Counter(
    "voiceagent_stt_narrowband_finals_total",
    "Finals of telephone-band audio, decoded by the narrowband model (VA_STT_NARROWBAND_MODEL)",
)
