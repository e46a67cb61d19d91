"""Domain errors that every transport maps to a status code.

Domain code raises these (it never imports grpc); ``services.common.server``
turns them into gRPC status codes and the gateway into HTTP statuses. The
message is shown to the caller, so it must be human and free of internals.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: an error whose message is safe to show to the caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(ServiceError):
    """The request itself is wrong (INVALID_ARGUMENT / HTTP 400 or 422)."""


class NotFound(ServiceError):
    """A referenced entity does not exist (NOT_FOUND / HTTP 404)."""


class Conflict(ServiceError):
    """The request conflicts with stored state (ALREADY_EXISTS / HTTP 409)."""


class BackendUnavailable(ServiceError):
    """A backend or downstream service cannot be reached (UNAVAILABLE / HTTP 503)."""


class ResourceExhausted(ServiceError):
    """A limit was hit: rate, size or concurrency (RESOURCE_EXHAUSTED / HTTP 429)."""
