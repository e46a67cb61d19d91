"""FastAPI application of the gateway: REST sessions, the voice WebSocket, health and metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from services.common.errors import ServiceError
from services.common.telemetry import LATENCY_BUCKETS
from services.gateway import rest, voice
from services.gateway.auth import Unauthenticated
from services.gateway.config import GatewaySettings
from services.gateway.errors import http_status
from services.gateway.limits import RateLimited
from services.gateway.metrics import REJECTED_REQUESTS
from services.gateway.schemas import LiveResponse, ReadyResponse
from services.gateway.wiring import Gateway, build_gateway

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter("voiceagent_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "voiceagent_http_latency_seconds", "HTTP request latency", ["method", "route"], buckets=LATENCY_BUCKETS
)

DESCRIPTION = """
Voice agent gateway: text chat over REST and voice conversations over a WebSocket.

**Authentication**: send the tenant's API key as `X-API-Key: <key>` or `Authorization: Bearer <key>`
(WebSocket clients that cannot set headers may use the `api_key` query parameter). Sessions belong to
the key that created them. When the deployment configures no keys, authentication is off.

**Voice**: `WS /v1/conversations/{session_id}`. Send binary PCM16 mono frames (16 kHz by default;
at most `VA_MAX_FRAME_BYTES` each). An optional first JSON message
`{"type": "config", "sample_rate_hz": 8000|16000|48000, "output": {"encoding": "pcm16"|"mulaw",
"sample_rate_hz": ...}, "voice": "", "audio_replies": true, "pace_output": true}` chooses the formats;
`{"type": "text", "text": "..."}` is a typed turn and `{"type": "end"}` hangs up. The server sends
binary reply audio and JSON events: `ready`, `configured`, `state` (IDLE, LISTENING, THINKING, SPEAKING,
INTERRUPTED), `speech_started`, `speech_ended`, `transcript` (partial and final), `intent`, `answer`
(text, route, sources, booking), `audio_start`, `audio_end`, `interrupted` (barge-in), `timings`
(per-stage milliseconds), `degraded` and `error`.
"""

TAGS = [
    {"name": "sessions", "description": "Sessions, history and text chat"},
    {"name": "health", "description": "Probes and Prometheus metrics"},
]

GatewayFactory = Callable[[GatewaySettings], Awaitable[Gateway]]


def create_app(settings: GatewaySettings, factory: GatewayFactory = build_gateway) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.gateway = await factory(settings)
        try:
            yield
        finally:
            await app.state.gateway.close()

    app = FastAPI(
        title="VoiceAgent gateway", version="0.1.0", description=DESCRIPTION, openapi_tags=TAGS, lifespan=lifespan
    )
    app.include_router(rest.router)
    app.include_router(voice.router)
    _add_error_handlers(app)
    _add_request_metrics(app)
    _add_health(app)
    # One span per request or conversation; not one per WebSocket message (audio frames arrive 50 times a second).
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="health/live,health/ready,metrics", exclude_spans=["receive", "send"]
    )
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(request: Request, error: ServiceError) -> JSONResponse:
        code = http_status(error)
        headers: dict[str, str] = {}
        if isinstance(error, Unauthenticated):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(error, RateLimited):
            headers["Retry-After"] = str(error.retry_after_s)
        if code >= 500:
            log.warning("request failed", extra={"status": code, "reason": error.message})
        if code in {401, 403, 413, 429}:
            REJECTED_REQUESTS.labels(str(code)).inc()
        return JSONResponse({"detail": error.message}, status_code=code, headers=headers)


def _add_request_metrics(app: FastAPI) -> None:
    @app.middleware("http")
    async def measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")  # the template, so ids stay out of labels and logs
        HTTP_REQUESTS.labels(request.method, template, str(response.status_code)).inc()
        HTTP_LATENCY.labels(request.method, template).observe(time.perf_counter() - started)
        return response


def _add_health(app: FastAPI) -> None:
    @app.get("/health/live", tags=["health"], response_model=LiveResponse, summary="Liveness")
    async def live() -> LiveResponse:
        return LiveResponse(status="ok")

    @app.get(
        "/health/ready",
        tags=["health"],
        response_model=ReadyResponse,
        summary="Readiness",
        responses={503: {"model": ReadyResponse, "description": "The session store is unreachable"}},
    )
    async def ready(request: Request) -> JSONResponse:
        """Ready while Redis answers; each downstream's gRPC health is reported.

        A downstream that is down makes the status ``degraded``, not unready: the
        gateway still answers (without that service), and taking every gateway pod
        out of rotation because of one downstream would turn a partial outage into a
        full one.
        """
        gateway: Gateway = request.app.state.gateway
        readiness = await gateway.readiness()
        ok = readiness.redis == "ok"
        all_serving = all(status == "SERVING" for status in readiness.downstream.values())
        body = ReadyResponse(
            ready=ok,
            status=("ready" if all_serving else "degraded") if ok else "unavailable",
            redis=readiness.redis,
            downstream=readiness.downstream,
            auth="enabled" if gateway.auth.enabled else "disabled",
        )
        return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
