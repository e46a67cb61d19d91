"""The launcher's real backends: reachable, isolated, and failing fast when they are not there."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from minio import Minio
from minio.error import S3Error

from services.common.config import S3Settings
from services.common.errors import BackendUnavailable
from services.common.stores import connect_mongo, connect_qdrant, connect_redis, connect_s3, redact
from services.stack.backends import BackendEndpoints, start_redis
from services.stack.processes import free_port

pytestmark = pytest.mark.integration


async def test_redis_is_real(backends: BackendEndpoints) -> None:
    client = await connect_redis(backends.redis_url)
    await client.set("va:test/x:key", b"value", ex=10)
    assert await client.get("va:test/x:key") == b"value"
    await client.aclose()


async def test_s3_checks_signatures(backends: BackendEndpoints) -> None:
    settings = S3Settings(
        endpoint=backends.s3_endpoint,
        access_key=backends.s3_access_key,
        secret_key=backends.s3_secret_key,
        bucket=backends.s3_bucket,
    )
    client = await connect_s3(settings)
    client.put_object(settings.bucket, "test/hello.txt", io.BytesIO(b"hello"), 5)
    assert client.get_object(settings.bucket, "test/hello.txt").read() == b"hello"
    forged = Minio(backends.s3_endpoint, access_key=backends.s3_access_key, secret_key="wrong", secure=False)
    with pytest.raises(S3Error):
        forged.get_object(settings.bucket, "test/hello.txt")


async def test_mongo_protocol_server(backends: BackendEndpoints) -> None:
    client = await connect_mongo(backends.mongo_url)
    collection = client["launcher_test"]["things"]
    await collection.insert_one({"name": "a"})
    assert await collection.count_documents({"name": "a"}) >= 1
    await client.close()


async def test_qdrant_local_mode(backends: BackendEndpoints) -> None:
    client = await connect_qdrant(path=":memory:")
    assert (await client.get_collections()).collections == []
    await client.close()


async def test_dead_backends_fail_fast_with_readable_errors(backends: BackendEndpoints) -> None:
    dead = free_port()
    with pytest.raises(BackendUnavailable, match=r"Redis at redis://127\.0\.0\.1"):
        await connect_redis(f"redis://127.0.0.1:{dead}/0", timeout_s=0.5)
    with pytest.raises(BackendUnavailable, match="MongoDB at"):
        await connect_mongo(f"mongodb://127.0.0.1:{dead}", timeout_s=0.5)
    with pytest.raises(BackendUnavailable, match="S3 at"):
        await connect_s3(S3Settings(endpoint=f"127.0.0.1:{dead}", access_key="a", secret_key="b"))
    with pytest.raises(BackendUnavailable, match="Qdrant at"):
        await connect_qdrant(url=f"http://127.0.0.1:{dead}")


def test_redact_hides_passwords() -> None:
    assert redact("redis://user:hunter2@redis:6379/0") == "redis://user:***@redis:6379/0"
    assert "hunter2" not in redact("mongodb://admin:hunter2@mongo:27017")


def test_redis_with_a_data_dir_keeps_its_data_across_restarts(tmp_path: Path) -> None:
    import redis

    data_dir = tmp_path / "kept"
    process, url = start_redis(tmp_path / "first", data_dir)
    try:
        redis.Redis.from_url(url).set("va:test:embedding", b"vector")
    finally:
        process.stop()
    process, url = start_redis(tmp_path / "second", data_dir)
    try:
        assert redis.Redis.from_url(url).get("va:test:embedding") == b"vector"
    finally:
        process.stop()
