"""Prometheus metrics of the operator itself."""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

RECONCILES = Counter("voiceagent_operator_reconciles_total", "Reconciles of VoiceAgents", ["trigger", "result"])
ERRORS = Counter("voiceagent_operator_reconcile_errors_total", "Problems met while reconciling, by reason", ["reason"])
DURATION = Histogram(
    "voiceagent_operator_reconcile_duration_seconds",
    "Time to reconcile one VoiceAgent",
    ["trigger"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
WRITES = Counter("voiceagent_operator_child_writes_total", "Children written, by kind and action", ["kind", "action"])
DRIFT = Counter("voiceagent_operator_drift_corrections_total", "Children restored after an outside change", ["kind"])

_served: set[int] = set()


def serve(port: int) -> None:
    """Expose the default registry on ``port`` (once per process; 0 disables)."""
    if port and port not in _served:
        start_http_server(port)
        _served.add(port)
