"""grpc.aio server bootstrap shared by the five gRPC services.

It wires what every service needs and none should re-implement: the standard
health service, reflection, an interceptor that maps domain errors to status
codes (never a stack trace to the client), structured logs with session and
trace ids, Prometheus metrics, OpenTelemetry, and a SIGTERM drain.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry.instrumentation.grpc import aio_server_interceptor

from services.common.config import ServiceSettings
from services.common.errors import (
    BackendUnavailable,
    Conflict,
    InvalidInput,
    NotFound,
    ResourceExhausted,
    ServiceError,
)
from services.common.logs import configure_logging, session_id_var
from services.common.telemetry import RPC_LATENCY, RPC_REQUESTS, configure_tracing, start_metrics_server

log = logging.getLogger(__name__)

SESSION_METADATA_KEY = "x-session-id"
MAX_MESSAGE_BYTES = 8 * 1024 * 1024

STATUS_FOR_ERROR: dict[type[ServiceError], grpc.StatusCode] = {
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    Conflict: grpc.StatusCode.ALREADY_EXISTS,
    BackendUnavailable: grpc.StatusCode.UNAVAILABLE,
    ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
}


def status_for(error: ServiceError) -> grpc.StatusCode:
    for kind in type(error).__mro__:
        if kind in STATUS_FOR_ERROR:
            return STATUS_FOR_ERROR[kind]
    return grpc.StatusCode.INTERNAL


@dataclass
class Registration:
    """One gRPC service to mount: its full name (for health) and how to add it."""

    name: str
    add_to_server: Callable[[grpc.aio.Server], None]


@dataclass
class Runtime:
    """What a service's ``build`` returns: its registrations and how to release resources."""

    registrations: list[Registration]
    close: Callable[[], Awaitable[None]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class _CallGuard:
    """Per-call bookkeeping shared by the four handler shapes."""

    def __init__(self, component: str, method: str, context: grpc.aio.ServicerContext) -> None:
        self.component = component
        self.method = method
        self.context = context
        self.started = time.perf_counter()
        metadata = dict(context.invocation_metadata() or ())
        self.token = session_id_var.set(str(metadata.get(SESSION_METADATA_KEY, "")))

    async def fail(self, error: BaseException) -> None:
        if isinstance(error, ServiceError):
            code = status_for(error)
            if code == grpc.StatusCode.UNAVAILABLE:
                log.warning("backend unavailable", extra={"method": self.method, "reason": error.message})
            await self.context.abort(code, error.message)
        log.exception("unhandled error", extra={"method": self.method}, exc_info=error)
        await self.context.abort(grpc.StatusCode.INTERNAL, "internal error; see server logs")

    def finish(self) -> None:
        code = self.context.code() if hasattr(self.context, "code") else None
        name = code.name if isinstance(code, grpc.StatusCode) else "OK"
        RPC_REQUESTS.labels(self.component, self.method, name).inc()
        RPC_LATENCY.labels(self.component, self.method).observe(time.perf_counter() - self.started)
        session_id_var.reset(self.token)


class ErrorMappingInterceptor(grpc.aio.ServerInterceptor):
    """Maps :class:`ServiceError` to status codes, logs unexpected errors, records metrics."""

    def __init__(self, component: str) -> None:
        self.component = component

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method.rsplit("/", 1)[-1]
        component = self.component

        if handler.unary_unary or handler.stream_unary:
            inner = handler.unary_unary or handler.stream_unary

            async def unary_response(request: Any, context: grpc.aio.ServicerContext) -> Any:
                guard = _CallGuard(component, method, context)
                try:
                    return await inner(request, context)
                except (ServiceError, Exception) as error:
                    if isinstance(error, grpc.aio.AbortError):
                        raise
                    await guard.fail(error)
                finally:
                    guard.finish()

            factory = (
                grpc.unary_unary_rpc_method_handler if handler.unary_unary else grpc.stream_unary_rpc_method_handler
            )
            return factory(unary_response, handler.request_deserializer, handler.response_serializer)

        inner_stream = handler.unary_stream or handler.stream_stream

        async def stream_response(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            guard = _CallGuard(component, method, context)
            try:
                async for item in inner_stream(request, context):
                    yield item
            except (ServiceError, Exception) as error:
                if isinstance(error, grpc.aio.AbortError):
                    raise
                await guard.fail(error)
            finally:
                guard.finish()

        factory = (
            grpc.unary_stream_rpc_method_handler if handler.unary_stream else grpc.stream_stream_rpc_method_handler
        )
        return factory(stream_response, handler.request_deserializer, handler.response_serializer)


@dataclass
class StartedServer:
    """A started gRPC server with its health servicer and bound port."""

    server: grpc.aio.Server
    health: health.aio.HealthServicer
    port: int

    async def stop(self, grace_s: float) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace_s)


async def start_server(component: str, settings: ServiceSettings, runtime: Runtime) -> StartedServer:
    """Create, bind and start the server; every registered service reports SERVING."""
    server = grpc.aio.server(
        interceptors=[aio_server_interceptor(), ErrorMappingInterceptor(component)],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ],
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for registration in runtime.registrations:
        registration.add_to_server(server)
    names = [r.name for r in runtime.registrations]
    reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    port = server.add_insecure_port(f"{settings.host}:{settings.grpc_port}")
    if port == 0:
        raise SystemExit(f"cannot bind gRPC port {settings.host}:{settings.grpc_port}")
    await server.start()
    for name in ["", *names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("serving", extra={"grpc_port": port, "services": names})
    return StartedServer(server, health_servicer, port)


async def serve(component: str, settings: ServiceSettings, runtime: Runtime) -> None:
    """Run the gRPC server until SIGTERM/SIGINT, then drain in-flight calls."""
    started = await start_server(component, settings, runtime)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("draining", extra={"grace_s": settings.shutdown_grace_s})
    await started.stop(settings.shutdown_grace_s)
    if runtime.close is not None:
        await runtime.close()
    log.info("stopped")


def tune_interpreter(settings: ServiceSettings) -> None:
    """Process-wide interpreter settings of a service (benchmarks running a service in-process call it too).

    The GIL switch interval is per service: rag shortens it (its embedding thread
    waited up to 5 ms behind the event loop for each short hold of the GIL), while
    stt under load finalised slower with a 1 ms interval (p95 0.65 → 0.85-0.95 s).
    """
    sys.setswitchinterval(settings.gil_switch_interval_ms / 1000.0)


def run_service(
    component: str,
    settings: ServiceSettings,
    build: Callable[[], Awaitable[Runtime]],
) -> None:
    """Entry point for ``python -m services.<component>``: set up telemetry, build, serve."""
    tune_interpreter(settings)
    configure_logging(component, settings.log_level, settings.log_json)
    configure_tracing(component, settings.otel_endpoint)
    metrics_port = start_metrics_server(settings.host, settings.metrics_port)
    log.info("metrics", extra={"metrics_port": metrics_port})

    async def main() -> None:
        try:
            runtime = await build()
        except ServiceError as error:
            log.error("cannot start", extra={"reason": error.message})
            raise SystemExit(f"{component}: cannot start: {error.message}") from None
        await serve(component, settings, runtime)

    asyncio.run(main())
