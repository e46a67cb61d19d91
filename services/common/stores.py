"""Connections to the backends, failing fast with a readable error.

Each helper checks the backend once at start-up so that a wrong URL or a dead
server is reported as one clear line instead of a timeout deep inside a call.
Credentials are never included in messages.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis

from services.common.config import S3Settings
from services.common.errors import BackendUnavailable

if TYPE_CHECKING:
    from minio import Minio
    from pymongo import AsyncMongoClient
    from qdrant_client import AsyncQdrantClient


def redact(url: str) -> str:
    """A URL without its password, fit for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


async def connect_redis(url: str, timeout_s: float = 2.0) -> aioredis.Redis:
    client = aioredis.Redis.from_url(
        url,
        socket_connect_timeout=timeout_s,
        socket_timeout=timeout_s,
        decode_responses=False,
        health_check_interval=30,
    )
    try:
        await client.ping()
    except Exception as error:
        await client.aclose()
        raise BackendUnavailable(f"Redis at {redact(url)} is unreachable: {error}") from None
    return client


async def connect_s3(settings: S3Settings, create_bucket: bool = True) -> Minio:
    from minio import Minio
    from urllib3 import PoolManager, Timeout
    from urllib3.util.retry import Retry

    http = PoolManager(timeout=Timeout(connect=2.0, read=10.0), retries=Retry(total=1, backoff_factor=0.1), maxsize=16)
    client = Minio(
        settings.endpoint,
        access_key=settings.access_key,
        secret_key=settings.secret_key,
        secure=settings.secure,
        region=settings.region,
        http_client=http,
    )
    try:
        exists = await asyncio.to_thread(client.bucket_exists, settings.bucket)
        if not exists and create_bucket:
            await asyncio.to_thread(client.make_bucket, settings.bucket)
    except Exception as error:
        raise BackendUnavailable(f"S3 at {settings.endpoint} is unusable: {error}") from None
    return client


async def connect_mongo(url: str, timeout_s: float = 3.0) -> AsyncMongoClient:
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient = AsyncMongoClient(
        url,
        serverSelectionTimeoutMS=int(timeout_s * 1000),
        connectTimeoutMS=int(timeout_s * 1000),
        tz_aware=True,
    )
    try:
        await client.admin.command("ping")
    except Exception as error:
        await client.close()
        raise BackendUnavailable(f"MongoDB at {redact(url)} is unreachable: {error}") from None
    return client


async def connect_qdrant(url: str = "", path: str = "", api_key: str = "") -> AsyncQdrantClient:
    """A Qdrant server by URL, or local mode at ``path`` (``:memory:`` when both are empty)."""
    from qdrant_client import AsyncQdrantClient

    if url:
        client = AsyncQdrantClient(url=url, api_key=api_key or None, timeout=5, check_compatibility=False)
    else:
        client = (
            AsyncQdrantClient(location=":memory:") if not path or path == ":memory:" else AsyncQdrantClient(path=path)
        )
    try:
        await client.get_collections()
    except Exception as error:
        await client.close()
        raise BackendUnavailable(f"Qdrant at {url or path or ':memory:'} is unreachable: {error}") from None
    return client
