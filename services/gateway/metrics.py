"""Prometheus metrics of the gateway (the shared registry also holds services.common.telemetry's)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from services.common.telemetry import LATENCY_BUCKETS, STAGE_LATENCY

COMPONENT = "gateway"

ACTIVE_SESSIONS = Gauge(
    "voiceagent_active_sessions", "Live WebSocket conversations on this gateway pod (the HPA's custom metric)"
)
TURNS = Counter("voiceagent_turns_total", "Conversation turns by route and channel", ["route", "channel"])
DEGRADED_REPLIES = Counter(
    "voiceagent_degraded_replies_total", "Replies given without a downstream service", ["service"]
)
BARGE_INS = Counter("voiceagent_barge_ins_total", "Replies cut because the caller spoke")
REJECTED_REQUESTS = Counter(
    "voiceagent_rejected_requests_total", "Requests refused by the gateway before any work", ["reason"]
)
REPLY_LATENCY = Histogram(
    "voiceagent_reply_latency_seconds",
    "Final transcript received to first reply audio sent (the server's share of voice-to-voice latency)",
    buckets=LATENCY_BUCKETS,
)


def observe_stages(timings: dict[str, float]) -> None:
    """Record per-stage milliseconds into the shared stage histogram."""
    for stage, ms in timings.items():
        STAGE_LATENCY.labels(COMPONENT, stage).observe(ms / 1000.0)
