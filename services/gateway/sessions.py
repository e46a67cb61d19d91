"""Sessions and their history in Redis, with a TTL renewed by every turn.

A session is one JSON document under ``<prefix>session:<id>``; its history is a
capped list under ``<prefix>session:<id>:history``. Both expire together.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from services.common.errors import BackendUnavailable, InvalidInput, NotFound


def new_session_id() -> str:
    return uuid.uuid4().hex


def parse_clock(value: str) -> datetime:
    """A session clock: ISO 8601 local time without a zone (the booking flow works in local time)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("'now' must be an ISO 8601 local time such as 2026-03-02T10:00:00") from None
    if parsed.tzinfo is not None:
        raise InvalidInput("'now' must be a local time without a time zone, such as 2026-03-02T10:00:00")
    return parsed


@dataclass
class Session:
    """One caller's conversation: ownership, reference clock and what the next turn needs to know."""

    id: str
    owner: str
    created_at: float = field(default_factory=time.time)
    clock: str = ""  # reference clock at creation; "" = every service uses its own clock
    previous_intent: str = ""
    last_reply: str = ""
    booking_state: str = ""
    expecting: str = ""
    booking_prompt: str = ""
    turns: int = 0

    def now(self, wall: float | None = None) -> str:
        """The session's local time: the reference clock advanced by the time since creation."""
        if not self.clock:
            return ""
        elapsed = (time.time() if wall is None else wall) - self.created_at
        return (parse_clock(self.clock) + timedelta(seconds=max(0.0, elapsed))).isoformat(timespec="seconds")

    @property
    def booking_active(self) -> bool:
        """A booking flow waits for a slot, so the next turn belongs to it."""
        return bool(self.expecting)

    @property
    def created_iso(self) -> str:
        return datetime.fromtimestamp(self.created_at, tz=UTC).isoformat(timespec="seconds")

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> Session:
        data = json.loads(raw)
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


class SessionStore(Protocol):
    async def create(self, session: Session) -> None: ...

    async def get(self, session_id: str) -> Session: ...

    async def save(self, session: Session) -> None: ...

    async def append_history(self, session_id: str, entries: list[dict[str, Any]]) -> None: ...

    async def history(self, session_id: str) -> list[dict[str, Any]]: ...

    async def delete(self, session_id: str) -> bool: ...


class RedisSessionStore:
    """:class:`SessionStore` in Redis; every Redis failure becomes :class:`BackendUnavailable`."""

    def __init__(self, redis: aioredis.Redis, prefix: str, ttl_s: int, max_history: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_s = ttl_s
        self.max_history = max_history

    def key(self, session_id: str) -> str:
        return f"{self.prefix}session:{session_id}"

    def history_key(self, session_id: str) -> str:
        return f"{self.key(session_id)}:history"

    async def create(self, session: Session) -> None:
        try:
            await self.redis.set(self.key(session.id), session.to_json(), ex=self.ttl_s, nx=True)
        except (RedisError, OSError) as error:
            raise _unavailable(error) from None

    async def get(self, session_id: str) -> Session:
        try:
            raw = await self.redis.get(self.key(session_id))
        except (RedisError, OSError) as error:
            raise _unavailable(error) from None
        if raw is None:
            raise NotFound(f"session {session_id} does not exist or has expired")
        return Session.from_json(raw)

    async def save(self, session: Session) -> None:
        try:
            stored = await self.redis.set(self.key(session.id), session.to_json(), ex=self.ttl_s, xx=True)
        except (RedisError, OSError) as error:
            raise _unavailable(error) from None
        if not stored:
            raise NotFound(f"session {session.id} was deleted")

    async def append_history(self, session_id: str, entries: list[dict[str, Any]]) -> None:
        key = self.history_key(session_id)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, *(json.dumps(entry, separators=(",", ":")) for entry in entries))
                pipe.ltrim(key, -self.max_history, -1)
                pipe.expire(key, self.ttl_s)
                pipe.expire(self.key(session_id), self.ttl_s)
                await pipe.execute()
        except (RedisError, OSError) as error:
            raise _unavailable(error) from None

    async def history(self, session_id: str) -> list[dict[str, Any]]:
        try:
            raw = await self.redis.lrange(self.history_key(session_id), 0, -1)
        except (RedisError, OSError) as error:
            raise _unavailable(error) from None
        return [json.loads(item) for item in raw]

    async def delete(self, session_id: str) -> bool:
        try:
            removed = await self.redis.delete(self.key(session_id), self.history_key(session_id))
        except (RedisError, OSError) as error:
            raise _unavailable(error) from None
        return bool(removed)


def _unavailable(error: Exception) -> BackendUnavailable:
    return BackendUnavailable(f"the session store is unavailable ({type(error).__name__})")
