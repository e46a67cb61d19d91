"""API keys per tenant, stored only as SHA-256 hex digests (``VA_API_KEYS=name:sha256hex,...``).

A session belongs to the key that created it: another key gets 403 for it.
With no keys configured, authentication is off (local development) and every
caller is the ``anonymous`` principal.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from services.common.errors import ServiceError

ANONYMOUS = "anonymous"


class Unauthenticated(ServiceError):
    """No API key, or one that is not known (HTTP 401)."""


class Forbidden(ServiceError):
    """A known key that may not use this resource (HTTP 403)."""


@dataclass(frozen=True)
class Principal:
    name: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyAuth:
    def __init__(self, key_hashes: dict[str, str]) -> None:
        """``key_hashes`` maps sha256 hex digests to key names."""
        self.key_hashes = key_hashes

    @property
    def enabled(self) -> bool:
        return bool(self.key_hashes)

    def authenticate(self, presented: str | None) -> Principal:
        if not self.enabled:
            return Principal(ANONYMOUS)
        if not presented:
            raise Unauthenticated("an API key is required (header 'X-API-Key' or 'Authorization: Bearer <key>')")
        digest = hash_key(presented)
        for known, name in self.key_hashes.items():
            if hmac.compare_digest(known, digest):
                return Principal(name)
        raise Unauthenticated("the API key is not valid")

    @staticmethod
    def authorize(principal: Principal, owner: str) -> None:
        if principal.name != owner:
            raise Forbidden("this session belongs to another API key")


def key_from_headers(x_api_key: str | None, authorization: str | None) -> str | None:
    """The presented key: ``X-API-Key`` or a bearer token."""
    if x_api_key:
        return x_api_key.strip()
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None
