"""The real ``python -m services.rag`` process over real gRPC, the reindex Job CLI, and Qdrant outages."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
import redis.asyncio as aioredis
from qdrant_client import AsyncQdrantClient
from voiceagent.v1 import rag_pb2, rag_pb2_grpc

from services.common.config import ServiceSettings
from services.common.server import Runtime, start_server
from services.rag.engine import RagEngine
from services.rag.server import registration
from services.stack.backends import BackendEndpoints
from services.stack.processes import free_port
from services.stack.stack import REPO_ROOT, service_env

pytestmark = pytest.mark.integration

AGENT = "tests/rag"
SATURDAY = "When is the library open on Saturdays?"


@pytest.fixture(scope="module")
def rag_service(start_service: Callable[..., str], backends: BackendEndpoints, small_kb: Path) -> str:
    """The service on its own Qdrant directory inside the session's (removed with the backends)."""
    path = Path(backends.qdrant_path) / "rag-service"
    return start_service("rag", VA_AGENT=AGENT, VA_KB_SOURCE=str(small_kb), VA_QDRANT_PATH=str(path))


@pytest.fixture
async def stub(rag_service: str) -> AsyncIterator[rag_pb2_grpc.KnowledgeBaseStub]:
    async with grpc.aio.insecure_channel(rag_service) as channel:
        yield rag_pb2_grpc.KnowledgeBaseStub(channel)


async def test_query_stats_and_reindex_over_grpc(stub: rag_pb2_grpc.KnowledgeBaseStub, redis: aioredis.Redis) -> None:
    async for key in redis.scan_iter(match=f"va:{AGENT}:cache:*"):  # in-process tests share this tenant
        await redis.delete(key)
    stats = await stub.Stats(rag_pb2.StatsRequest(), timeout=10)
    assert stats.documents == 10 and list(stats.categories) == ["housing", "library"]
    assert stats.collection == f"tests--rag-kb-{stats.kb_revision[:12]}" and stats.indexed_at
    assert stats.embedding_model.startswith("multilingual-e5-small")

    answer = await stub.Query(rag_pb2.QueryRequest(query="How long can I borrow a book?", session_id="s1"), timeout=10)
    assert answer.found and answer.kb_revision == stats.kb_revision and answer.generator == "extractive"
    assert answer.sources[0].category == "library" and answer.sources[0].snippet and answer.sources[0].chunk_id
    assert {timing.stage for timing in answer.timing.stages} >= {"embed", "search", "answer"}
    assert answer.timing.total_ms > 0
    again = await stub.Query(rag_pb2.QueryRequest(query="how long can i borrow a book"), timeout=10)
    assert again.cached and again.answer == answer.answer

    unchanged = await stub.Reindex(rag_pb2.ReindexRequest(), timeout=120)
    assert not unchanged.changed and unchanged.kb_revision == stats.kb_revision and unchanged.chunks == stats.chunks


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        ({"query": ""}, "empty"),
        ({"query": "   "}, "empty"),
        ({"query": "a" * 2001}, "the limit is 2000"),
        ({"query": "library", "top_k": 99}, "top_k must be between"),
        ({"query": "library", "category": "weather"}, "unknown category 'weather'"),
    ],
)
async def test_bad_queries_are_invalid_argument_and_the_service_keeps_serving(
    stub: rag_pb2_grpc.KnowledgeBaseStub, request_fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.Query(rag_pb2.QueryRequest(**request_fields), timeout=10)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in (failure.value.details() or "")
    assert "Traceback" not in (failure.value.details() or "")
    assert (await stub.Query(rag_pb2.QueryRequest(query=SATURDAY), timeout=10)).found


async def test_reindex_from_a_foreign_directory_is_refused(stub: rag_pb2_grpc.KnowledgeBaseStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.Reindex(rag_pb2.ReindexRequest(source="/etc"), timeout=10)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "inside the configured knowledge base" in (failure.value.details() or "")


async def test_grpc_serves_cached_answers_and_unavailable_while_qdrant_is_down(
    make_engine: Callable[..., Awaitable[RagEngine]],
) -> None:
    qdrant = AsyncQdrantClient(location=":memory:")
    engine = await make_engine(qdrant=qdrant)
    started = await start_server("rag", ServiceSettings(host="127.0.0.1", grpc_port=0), Runtime([registration(engine)]))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{started.port}") as channel:
            stub = rag_pb2_grpc.KnowledgeBaseStub(channel)
            answered = await stub.Query(rag_pb2.QueryRequest(query=SATURDAY), timeout=10)
            await qdrant.close()
            cached = await stub.Query(rag_pb2.QueryRequest(query=SATURDAY), timeout=10)
            assert cached.cached and cached.answer == answered.answer
            with pytest.raises(grpc.aio.AioRpcError) as failure:
                await stub.Query(rag_pb2.QueryRequest(query="Where can I print?"), timeout=10)
            assert failure.value.code() == grpc.StatusCode.UNAVAILABLE
            assert "Qdrant" in (failure.value.details() or "")
            stats = await stub.Stats(rag_pb2.StatsRequest(), timeout=10)
            assert stats.kb_revision == answered.kb_revision  # the last known index
    finally:
        await started.stop(0)


def run_module(
    module: str, backends: BackendEndpoints, timeout_s: float, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=service_env(backends, {"VA_AGENT": AGENT, "VA_LOG_JSON": "false", **env}),
        check=False,
    )


def test_reindex_job_builds_once_and_reports_failures(
    backends: BackendEndpoints, small_kb: Path, qdrant_path: str
) -> None:
    env = {"VA_KB_SOURCE": str(small_kb), "VA_QDRANT_PATH": qdrant_path}
    built = run_module("services.rag.reindex", backends, 240, **env)
    assert built.returncode == 0, built.stderr
    outcome = json.loads(built.stdout.strip().splitlines()[-1])
    assert outcome["changed"] and outcome["documents"] == 10 and outcome["chunks"] > 10
    assert outcome["collection"] == f"tests--rag-kb-{outcome['kb_revision'][:12]}"

    again = run_module("services.rag.reindex", backends, 240, **env)
    assert again.returncode == 0 and json.loads(again.stdout.strip().splitlines()[-1])["changed"] is False

    missing = run_module("services.rag.reindex", backends, 120, **{**env, "VA_KB_SOURCE": str(small_kb / "nope")})
    assert missing.returncode == 1 and "does not exist" in missing.stderr

    dead = run_module(
        "services.rag.reindex",
        backends,
        120,
        VA_KB_SOURCE=str(small_kb),
        VA_QDRANT_URL=f"http://127.0.0.1:{free_port()}",
    )
    assert dead.returncode == 1 and "Qdrant" in dead.stderr and "Traceback" not in dead.stderr


def test_service_with_qdrant_down_at_start_exits_with_a_clear_reason(
    backends: BackendEndpoints, small_kb: Path
) -> None:
    stopped = run_module(
        "services.rag",
        backends,
        120,
        VA_KB_SOURCE=str(small_kb),
        VA_GRPC_PORT=str(free_port()),
        VA_METRICS_PORT="0",
        VA_QDRANT_URL=f"http://127.0.0.1:{free_port()}",
    )
    assert stopped.returncode != 0
    assert "cannot start" in stopped.stderr and "Qdrant" in stopped.stderr
