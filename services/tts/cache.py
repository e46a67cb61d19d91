"""Content-addressed audio in object storage (MinIO/S3) under ``<agent_slug>/tts/``.

Two kinds of calls. *Fail-open* ones serve the stream: a lookup that errors,
times out or finds the storage down is a miss, and a write is a bounded
fire-and-forget task, so the cache can never fail or delay a stream; every
absorbed failure is logged and counted. *Strict* ones serve SynthesizeToUrl,
which has nothing to return without storage: they raise BackendUnavailable.

A circuit breaker stops lookups from waiting on a dead server, and a lost or
never-made connection is retried in the background every few seconds, so the
cache comes back by itself once storage does.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from services.common.clients import CircuitBreaker, CircuitOpen
from services.common.errors import BackendUnavailable
from services.common.telemetry import CACHE_LOOKUPS
from services.tts.metrics import CACHE_ERRORS, CACHE_WRITES_DROPPED

if TYPE_CHECKING:
    from minio import Minio

log = logging.getLogger(__name__)

Result = TypeVar("Result")
_MISSING_CODES = {"NoSuchKey", "NoSuchObject", "ResourceNotFound"}


def content_key(*parts: str) -> str:
    """SHA-256 over the parts (unit-separated, so no two part lists collide)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _is_missing(error: Exception) -> bool:
    return getattr(error, "code", None) in _MISSING_CODES


class AudioCache:
    """Audio objects in one bucket under ``<prefix>/``; see the module doc for the failure rules."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[Minio]],
        bucket: str,
        prefix: str,
        *,
        presigner: Minio | None = None,
        lookup_timeout_s: float = 0.25,
        write_timeout_s: float = 10.0,
        max_pending_writes: int = 64,
        io_workers: int = 8,
        retry_after_s: float = 5.0,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._connect = connect
        self._client: Minio | None = None
        self._presigner = presigner
        self._lookup_timeout_s = lookup_timeout_s
        self._write_timeout_s = write_timeout_s
        self._max_pending_writes = max_pending_writes
        self._retry_after_s = retry_after_s
        self._executor = ThreadPoolExecutor(max_workers=io_workers, thread_name_prefix="tts-s3")
        self._breaker = CircuitBreaker("object storage", failure_threshold=3, reset_after_s=retry_after_s)
        self._pending: set[asyncio.Task[None]] = set()
        self._connecting: asyncio.Task[bool] | None = None
        self._last_attempt = float("-inf")

    # --- connection ---------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._client is not None

    async def start(self) -> bool:
        """Connect once; on failure the service runs without the cache and retries in the background."""
        return await self._try_connect()

    async def _try_connect(self) -> bool:
        self._last_attempt = time.monotonic()
        try:
            self._client = await self._connect()
        except BackendUnavailable as error:
            CACHE_ERRORS.labels("connect").inc()
            log.warning("audio cache unavailable; synthesizing without it", extra={"reason": error.message})
            return False
        self._breaker.record_success()
        log.info("audio cache connected", extra={"bucket": self.bucket, "prefix": self.prefix})
        return True

    def _client_or_reconnect(self) -> Minio | None:
        """The client, or None while storage is away (a background reconnect is started now and then)."""
        if (
            self._client is None
            and self._connecting is None
            and (time.monotonic() - self._last_attempt >= self._retry_after_s)
        ):
            self._connecting = asyncio.create_task(self._try_connect())
            self._connecting.add_done_callback(lambda _task: setattr(self, "_connecting", None))
        return self._client

    def _breaker_allows_a_call(self) -> bool:
        try:
            self._breaker.before_call()
        except CircuitOpen:
            return False
        return True

    async def _run(self, call: Callable[..., Result], *args: Any) -> Result:
        return await asyncio.get_running_loop().run_in_executor(self._executor, call, *args)

    # --- names --------------------------------------------------------------------------------

    def object_name(self, kind: str, key: str, extension: str) -> str:
        return f"{self.prefix}/{kind}/{key[:2]}/{key}.{extension}"

    # --- fail-open: the stream ----------------------------------------------------------------

    async def get(self, name: str) -> bytes | None:
        """The object's bytes, or None on a miss and on any storage trouble (counted and logged)."""
        client = self._client_or_reconnect()
        if client is None or not self._breaker_allows_a_call():
            CACHE_LOOKUPS.labels("tts", "audio", "unavailable").inc()
            return None
        try:
            data = await asyncio.wait_for(self._run(self._get_blocking, client, name), self._lookup_timeout_s)
        except Exception as error:
            self._breaker.record_failure()
            CACHE_ERRORS.labels("lookup").inc()
            CACHE_LOOKUPS.labels("tts", "audio", "error").inc()
            log.warning("audio cache lookup failed; synthesizing", extra={"reason": repr(error)[:200]})
            return None
        self._breaker.record_success()
        CACHE_LOOKUPS.labels("tts", "audio", "miss" if data is None else "hit").inc()
        return data

    def _get_blocking(self, client: Minio, name: str) -> bytes | None:
        try:
            response = client.get_object(self.bucket, name)
        except Exception as error:
            if _is_missing(error):
                return None
            raise
        try:
            return bytes(response.read())
        finally:
            response.close()
            response.release_conn()

    def put_later(self, name: str, data: bytes, content_type: str) -> None:
        """Write in the background; dropped (and counted) when storage is away or too many are pending."""
        client = self._client_or_reconnect()
        if client is None or self._breaker.state == "open" or len(self._pending) >= self._max_pending_writes:
            CACHE_WRITES_DROPPED.inc()
            return
        task = asyncio.create_task(self._put_quietly(client, name, data, content_type))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _put_quietly(self, client: Minio, name: str, data: bytes, content_type: str) -> None:
        try:
            await asyncio.wait_for(
                self._run(self._put_blocking, client, name, data, content_type), self._write_timeout_s
            )
        except Exception as error:
            self._breaker.record_failure()
            CACHE_ERRORS.labels("write").inc()
            log.warning("audio cache write failed", extra={"reason": repr(error)[:200]})

    def _put_blocking(self, client: Minio, name: str, data: bytes, content_type: str) -> None:
        client.put_object(self.bucket, name, io.BytesIO(data), len(data), content_type=content_type)

    # --- strict: SynthesizeToUrl --------------------------------------------------------------

    async def _require_client(self) -> Minio:
        if self._client is None:
            await self._try_connect()
        client = self._client
        if client is None:
            raise BackendUnavailable("object storage is unavailable, so no audio URL can be made")
        return client

    async def size_of(self, name: str) -> int | None:
        """The stored object's size in bytes, None if it does not exist."""
        client = await self._require_client()
        try:
            stat = await asyncio.wait_for(self._run(client.stat_object, self.bucket, name), self._write_timeout_s)
        except Exception as error:
            if _is_missing(error):
                return None
            CACHE_ERRORS.labels("stat").inc()
            raise BackendUnavailable("object storage is unavailable, so no audio URL can be made") from error
        return int(stat.size or 0)

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        client = await self._require_client()
        try:
            await asyncio.wait_for(
                self._run(self._put_blocking, client, name, data, content_type), self._write_timeout_s
            )
        except Exception as error:
            CACHE_ERRORS.labels("write").inc()
            raise BackendUnavailable("object storage did not take the audio, so no URL can be made") from error

    async def presign(self, name: str, expires_s: int) -> str:
        client = self._presigner or await self._require_client()
        try:
            return await self._run(client.presigned_get_object, self.bucket, name, timedelta(seconds=expires_s))
        except Exception as error:
            raise BackendUnavailable("object storage could not sign an audio URL") from error

    # --- shutdown -----------------------------------------------------------------------------

    async def flush(self, timeout_s: float = 5.0) -> None:
        """Wait (bounded) for the background writes started so far."""
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=timeout_s)

    async def close(self, timeout_s: float = 5.0) -> None:
        """Let pending writes finish (bounded), then stop the I/O threads."""
        await self.flush(timeout_s)
        if self._connecting is not None:
            self._connecting.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
