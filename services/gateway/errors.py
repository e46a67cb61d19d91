"""Gateway-only errors and the HTTP status of every domain error."""

from __future__ import annotations

from services.common.errors import (
    BackendUnavailable,
    Conflict,
    InvalidInput,
    NotFound,
    ResourceExhausted,
    ServiceError,
)
from services.gateway.auth import Forbidden, Unauthenticated


class TooLarge(ServiceError):
    """A message or frame over its size limit (HTTP 413, WebSocket close 1009)."""


HTTP_STATUS: dict[type[ServiceError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    ResourceExhausted: 429,
    BackendUnavailable: 503,
}


def http_status(error: ServiceError) -> int:
    for kind in type(error).__mro__:
        if kind in HTTP_STATUS:
            return HTTP_STATUS[kind]
    return 500
