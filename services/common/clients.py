"""gRPC client plumbing: one channel per target, deadlines, retries, circuit breaking.

Channels use ``round_robin`` so that a ``dns:///<svc>-headless:50051`` target
spreads calls over every pod behind a headless Service (a ClusterIP would pin a
long-lived HTTP/2 connection to one pod and defeat the HPA). Retries of
idempotent methods are left to gRPC's own retry policy (service config), which
only retries when nothing was sent back yet.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors

from services.common.errors import BackendUnavailable, InvalidInput, NotFound, ResourceExhausted, ServiceError
from services.common.logs import session_id_var
from services.common.server import SESSION_METADATA_KEY

Response = TypeVar("Response")

_RETRYABLE_CODES = ["UNAVAILABLE", "RESOURCE_EXHAUSTED"]


def service_config(idempotent_services: Iterable[str], max_attempts: int = 3) -> str:
    """gRPC service config: round_robin plus a bounded retry policy for idempotent services."""
    method_config = [
        {
            "name": [{"service": name}],
            "retryPolicy": {
                "maxAttempts": max_attempts,
                "initialBackoff": "0.05s",
                "maxBackoff": "0.5s",
                "backoffMultiplier": 2,
                "retryableStatusCodes": _RETRYABLE_CODES,
            },
        }
        for name in idempotent_services
    ]
    return json.dumps({"loadBalancingConfig": [{"round_robin": {}}], "methodConfig": method_config})


def make_channel(target: str, idempotent_services: Iterable[str] = ()) -> grpc.aio.Channel:
    """An insecure aio channel (mesh/NetworkPolicy provide transport security in-cluster)."""
    options = [
        ("grpc.service_config", service_config(idempotent_services)),
        ("grpc.enable_retries", 1),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.max_receive_message_length", 8 * 1024 * 1024),
        ("grpc.max_send_message_length", 8 * 1024 * 1024),
        # Re-resolve DNS quickly so new pods of a scaled-out Deployment receive traffic.
        ("grpc.dns_min_time_between_resolutions_ms", 5_000),
    ]
    return grpc.aio.insecure_channel(target, options=options, interceptors=aio_client_interceptors())


class CircuitOpen(BackendUnavailable):
    """Raised without calling when the breaker is open."""


class CircuitBreaker:
    """Closed → open after ``failure_threshold`` consecutive failures; half-open after ``reset_after_s``.

    In half-open state one trial call is let through; its success closes the
    breaker, its failure opens it again for another period.
    """

    def __init__(
        self,
        name: str,
        failure_threshold: int = 5,
        reset_after_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_after_s:
            return "half-open"
        return "open"

    def before_call(self) -> None:
        state = self.state
        if state == "open" or (state == "half-open" and self._trial_in_flight):
            raise CircuitOpen(f"{self.name} is unavailable (circuit open)")
        if state == "half-open":
            self._trial_in_flight = True

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._trial_in_flight = False
        self._failures += 1
        if self._opened_at is not None or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()


# Status codes that say the downstream is unhealthy (count against the breaker).
_UNHEALTHY = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
}


def error_from_status(service: str, error: grpc.aio.AioRpcError) -> ServiceError:
    """Translate a downstream status into the domain error the caller should see."""
    code = error.code()
    detail = error.details() or code.name
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidInput(detail)
    if code == grpc.StatusCode.NOT_FOUND:
        return NotFound(detail)
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return ResourceExhausted(detail)
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return BackendUnavailable(f"{service} did not answer in time")
    return BackendUnavailable(f"{service} is unavailable ({code.name.lower()})")


@dataclass
class Downstream:
    """A channel to one service with its deadline and breaker; ``call`` wraps a unary RPC."""

    name: str
    channel: grpc.aio.Channel
    timeout_s: float
    breaker: CircuitBreaker

    @classmethod
    def connect(
        cls,
        name: str,
        target: str,
        timeout_s: float,
        idempotent_services: Iterable[str] = (),
        failure_threshold: int = 5,
        reset_after_s: float = 5.0,
    ) -> Downstream:
        return cls(
            name,
            make_channel(target, idempotent_services),
            timeout_s,
            CircuitBreaker(name, failure_threshold, reset_after_s),
        )

    def metadata(self) -> tuple[tuple[str, str], ...]:
        session_id = session_id_var.get()
        return ((SESSION_METADATA_KEY, session_id),) if session_id else ()

    async def call(
        self, method: Callable[..., Awaitable[Response]], request: Any, timeout_s: float | None = None
    ) -> Response:
        """Call a unary method with a deadline; map failures to domain errors."""
        self.breaker.before_call()
        try:
            response = await method(request, timeout=timeout_s or self.timeout_s, metadata=self.metadata())
        except grpc.aio.AioRpcError as error:
            if error.code() in _UNHEALTHY:
                self.breaker.record_failure()
            else:
                self.breaker.record_success()
            raise error_from_status(self.name, error) from None
        self.breaker.record_success()
        return response

    async def close(self) -> None:
        await self.channel.close()
