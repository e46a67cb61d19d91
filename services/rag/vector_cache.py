"""Content-addressed passage embeddings in Redis.

A reindex after a small edit, a second replica, or a test run re-embeds only
the texts it has never seen. Keys hash the model name and the text, so a model
change can never return a stale vector. Like every cache here it fails open.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable

import numpy as np
import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

TTL_S = 30 * 24 * 3600


class VectorCache:
    def __init__(self, redis: aioredis.Redis | None, prefix: str, model: str, dim: int) -> None:
        self.redis = redis
        self.namespace = f"{prefix}embeddings:"
        self.model = model
        self.dim = dim

    def key(self, text: str) -> str:
        return self.namespace + hashlib.sha256(f"{self.model}\x1fpassage\x1f{text}".encode()).hexdigest()

    async def _get(self, texts: list[str]) -> list[np.ndarray | None]:
        if self.redis is None or not texts:
            return [None] * len(texts)
        try:
            raw = await self.redis.mget([self.key(text) for text in texts])
        except (RedisError, OSError) as error:
            log.warning("embedding cache read failed", extra={"error": str(error)})
            return [None] * len(texts)
        expected = self.dim * 4
        return [
            np.frombuffer(value, dtype=np.float32).copy()
            if isinstance(value, bytes) and len(value) == expected
            else None
            for value in raw
        ]

    async def _put(self, vectors: dict[str, np.ndarray]) -> None:
        if self.redis is None or not vectors:
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for text, vector in vectors.items():
                    pipe.set(self.key(text), np.asarray(vector, dtype=np.float32).tobytes(), ex=TTL_S)
                await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("embedding cache write failed", extra={"error": str(error)})

    async def embed(self, texts: list[str], compute: Callable[[list[str]], Awaitable[np.ndarray]]) -> np.ndarray:
        """Vectors of ``texts`` in order; only cache misses go to ``compute``."""
        unique = list(dict.fromkeys(texts))
        found: dict[str, np.ndarray] = {}
        for text, vector in zip(unique, await self._get(unique), strict=True):
            if vector is not None:
                found[text] = vector
        missing = [text for text in unique if text not in found]
        if missing:
            fresh = dict(zip(missing, await compute(missing), strict=True))
            await self._put(fresh)
            found.update(fresh)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([found[text] for text in texts]).astype(np.float32)
