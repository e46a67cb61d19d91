"""A JSON cache in Redis that never fails a call: Redis down means a miss, not an error."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from services.common.telemetry import CACHE_LOOKUPS

log = logging.getLogger(__name__)

WARN_EVERY_S = 30.0


class JsonCache:
    """Values are JSON documents under ``<prefix>cache:<name>:<sha256(key)>`` with a TTL."""

    def __init__(self, redis: aioredis.Redis | None, prefix: str, name: str, component: str, ttl_s: int = 3600) -> None:
        self.redis = redis
        self.namespace = f"{prefix}cache:{name}:"
        self.name = name
        self.component = component
        self.ttl_s = ttl_s
        self._last_warning = -WARN_EVERY_S

    def _warn(self, what: str, error: Exception) -> None:
        """Redis down fails every call: say so once per period, not once per request."""
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_S:
            self._last_warning = now
            log.warning(
                f"cache {what} failed; continuing without cache", extra={"cache": self.name, "error": str(error)}
            )

    def key(self, *parts: str) -> str:
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
        return self.namespace + digest

    async def get(self, *parts: str) -> Any | None:
        if self.redis is None:
            CACHE_LOOKUPS.labels(self.component, self.name, "disabled").inc()
            return None
        try:
            raw = await self.redis.get(self.key(*parts))
        except (RedisError, OSError) as error:
            CACHE_LOOKUPS.labels(self.component, self.name, "error").inc()
            self._warn("read", error)
            return None
        CACHE_LOOKUPS.labels(self.component, self.name, "hit" if raw is not None else "miss").inc()
        return json.loads(raw) if raw is not None else None

    async def set(self, value: Any, *parts: str) -> None:
        if self.redis is None:
            return
        try:
            await self.redis.set(self.key(*parts), json.dumps(value, separators=(",", ":")), ex=self.ttl_s)
        except (RedisError, OSError) as error:
            self._warn("write", error)
