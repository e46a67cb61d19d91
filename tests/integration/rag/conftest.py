"""Fixtures for the rag integration tests: a small copy of the real KB, the real model, real Redis and Qdrant.

The small KB (two categories of the shipped knowledge base) keeps the first
embedding pass short; passage vectors are then cached in the session's Redis,
so later indexes (and the service processes) reuse them.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from qdrant_client import AsyncQdrantClient

from services.common.config import S3Settings
from services.common.stores import connect_redis
from services.rag.config import RagSettings
from services.rag.embedder import Embedder
from services.rag.engine import RagEngine
from services.rag.factory import build_engine
from services.stack.backends import BackendEndpoints, qdrant_local_path
from services.stack.processes import free_port
from services.stack.stack import REPO_ROOT

SMALL_KB_CATEGORIES = ("library", "housing")
AGENT = "tests/rag"

EngineFactory = Callable[..., Awaitable[RagEngine]]


def copy_small_kb(target: Path) -> Path:
    for category in SMALL_KB_CATEGORIES:
        shutil.copytree(REPO_ROOT / "kb" / category, target / category)
    return target


@pytest.fixture(scope="session")
def small_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only small knowledge base shared by the session."""
    return copy_small_kb(tmp_path_factory.mktemp("small-kb"))


@pytest.fixture
def editable_kb(tmp_path: Path) -> Path:
    """A small knowledge base this test may change."""
    return copy_small_kb(tmp_path / "kb")


@pytest.fixture(scope="session")
def embedder() -> Iterator[Embedder]:
    model = Embedder(threads=1)
    yield model
    model.close()


@pytest.fixture(scope="session")
def s3_settings(backends: BackendEndpoints) -> S3Settings:
    return S3Settings(
        endpoint=backends.s3_endpoint,
        access_key=backends.s3_access_key,
        secret_key=backends.s3_secret_key,
        bucket=backends.s3_bucket,
        secure=False,
    )


@pytest.fixture
async def redis(backends: BackendEndpoints) -> AsyncIterator[aioredis.Redis]:
    client = await connect_redis(backends.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def rag_settings(backends: BackendEndpoints, small_kb: Path) -> Callable[..., RagSettings]:
    def make(**overrides: object) -> RagSettings:
        values: dict[str, object] = {
            "agent": AGENT,
            "redis_url": backends.redis_url,
            "kb_source": str(small_kb),
            "state_refresh_s": 0.0,
            **overrides,
        }
        return RagSettings(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture
async def make_engine(
    redis: aioredis.Redis, embedder: Embedder, s3_settings: S3Settings, rag_settings: Callable[..., RagSettings]
) -> AsyncIterator[EngineFactory]:
    """Engines on real Redis and a private in-memory Qdrant (or the client given); answer caches start empty."""
    created: list[tuple[RagEngine, AsyncQdrantClient]] = []
    async for key in redis.scan_iter(match=f"va:{AGENT}:cache:*"):
        await redis.delete(key)

    async def make(qdrant: AsyncQdrantClient | None = None, start: bool = True, **overrides: object) -> RagEngine:
        client = qdrant if qdrant is not None else AsyncQdrantClient(location=":memory:")
        engine = build_engine(rag_settings(**overrides), redis, client, embedder, s3_settings)
        created.append((engine, client))
        if start:
            await engine.start()
        return engine

    yield make
    for engine, client in created:
        await engine.close()
        await client.close()


@pytest.fixture
def qdrant_path() -> Iterator[str]:
    """A private Qdrant local-mode directory on tmpfs."""
    path = qdrant_local_path(f"rag-{uuid.uuid4().hex[:8]}")
    yield path
    shutil.rmtree(path, ignore_errors=True)


class FailingLlm(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that is overloaded: every call gets HTTP 503."""

    calls = 0

    def do_POST(self) -> None:
        type(self).calls += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def failing_llm() -> Iterator[tuple[str, type[FailingLlm]]]:
    """A real HTTP server on a free loopback port that fails every chat completion."""
    handler = type("Handler", (FailingLlm,), {"calls": 0})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    server.shutdown()
    server.server_close()
