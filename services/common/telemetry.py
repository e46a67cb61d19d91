"""Prometheus metrics and OpenTelemetry tracing set-up shared by all services."""

from __future__ import annotations

import logging

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import Counter, Histogram, start_http_server

log = logging.getLogger(__name__)

# Latency buckets in seconds, dense below 100 ms where the voice path lives.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

RPC_REQUESTS = Counter("voiceagent_rpc_requests_total", "gRPC calls handled", ["component", "method", "code"])
RPC_LATENCY = Histogram(
    "voiceagent_rpc_latency_seconds", "gRPC call latency", ["component", "method"], buckets=LATENCY_BUCKETS
)
STAGE_LATENCY = Histogram(
    "voiceagent_stage_latency_seconds",
    "Latency of one stage of work",
    ["component", "stage"],
    buckets=LATENCY_BUCKETS,
)
CACHE_LOOKUPS = Counter("voiceagent_cache_lookups_total", "Cache lookups by result", ["component", "cache", "result"])


def start_metrics_server(host: str, port: int) -> int:
    """Serve /metrics; returns the bound port (useful when ``port`` is 0)."""
    server, _thread = start_http_server(port, addr=host)
    return int(server.server_address[1])


def configure_tracing(component: str, otlp_endpoint: str) -> None:
    """Install a tracer provider; export spans over OTLP when an endpoint is configured.

    Without an endpoint spans are still created, so trace ids exist for logs and
    are propagated to downstream services.
    """
    provider = TracerProvider(resource=Resource.create({"service.name": f"voiceagent-{component}"}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint, insecure=True)))
        log.info("exporting traces", extra={"otlp_endpoint": otlp_endpoint})
    trace.set_tracer_provider(provider)
