"""Per-key limits shared by every gateway pod through Redis: request rate and live conversations."""

from __future__ import annotations

import logging
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from services.common.errors import BackendUnavailable, ResourceExhausted

log = logging.getLogger(__name__)


class RateLimited(ResourceExhausted):
    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimiter:
    """Fixed one-minute windows: ``<prefix>ratelimit:<key>:<minute>`` counts requests.

    Fails open: when Redis cannot be asked, the request passes (and is logged),
    because refusing all traffic would turn a cache outage into a full outage.
    """

    def __init__(self, redis: aioredis.Redis, prefix: str, per_minute: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.per_minute = per_minute

    async def hit(self, key_name: str, now: float | None = None) -> None:
        if self.per_minute <= 0:
            return
        now = time.time() if now is None else now
        window = int(now // 60)
        key = f"{self.prefix}ratelimit:{key_name}:{window}"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, 120)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("rate limiter unavailable; letting the request pass", extra={"error": type(error).__name__})
            return
        if int(count) > self.per_minute:
            retry_after = max(1, int((window + 1) * 60 - now))
            raise RateLimited(f"rate limit of {self.per_minute} requests per minute exceeded", retry_after)


# Atomically: drop expired leases, refuse when full, else add this one.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) == false and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class ConversationSlots:
    """Live conversations per key as leases in a sorted set (member = connection id, score = expiry).

    Leases expire on their own, so a crashed gateway pod frees its slots; a live
    conversation renews its lease every ``lease_s / 3``.
    """

    def __init__(self, redis: aioredis.Redis, prefix: str, limit: int, lease_s: int = 60) -> None:
        self.redis = redis
        self.prefix = prefix
        self.limit = limit
        self.lease_s = lease_s
        self._acquire = redis.register_script(_ACQUIRE)

    def _key(self, key_name: str) -> str:
        return f"{self.prefix}conversations:{key_name}"

    async def acquire(self, key_name: str, connection_id: str) -> None:
        """Take (or renew) a slot; :class:`ResourceExhausted` when the key has none left."""
        now = time.time()
        try:
            granted = await self._acquire(
                keys=[self._key(key_name)], args=[now, now + self.lease_s, self.limit, connection_id, self.lease_s * 2]
            )
        except (RedisError, OSError) as error:
            raise BackendUnavailable(f"the session store is unavailable ({type(error).__name__})") from None
        if not granted:
            raise ResourceExhausted(f"this API key already has {self.limit} live conversations")

    async def release(self, key_name: str, connection_id: str) -> None:
        try:
            await self.redis.zrem(self._key(key_name), connection_id)
        except (RedisError, OSError) as error:
            log.warning(
                "could not release a conversation slot; its lease will expire", extra={"error": type(error).__name__}
            )
