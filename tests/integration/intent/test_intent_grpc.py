"""The real intent service process over gRPC: real e5 model, real Redis, a dead Redis, an operator config."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from voiceagent.v1 import intent_pb2, intent_pb2_grpc

from services.stack.processes import free_port
from services.stack.stack import REPO_ROOT

pytestmark = pytest.mark.integration

NOW = "2026-06-10T10:30:00"  # Wednesday
OPERATOR_CONFIG = """
rules:
  - intent: OPENING_HOURS
    confidence: 0.95
    patterns: ["\\\\bopen\\\\b"]
intents:
  OPENING_HOURS: {examples: ["when are you open", "opening hours of the office"]}
  FEES: {examples: ["how much does it cost", "what is the semester fee", "tuition fees"]}
"""


@pytest.fixture(scope="module")
def address(start_service) -> str:
    return start_service("intent")


@pytest.fixture(scope="module")
def degraded_address(start_service, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Redis URL where nothing listens, and an operator-mounted taxonomy."""
    config = tmp_path_factory.mktemp("intent-config") / "intents.yaml"
    config.write_text(OPERATOR_CONFIG)
    return start_service("intent", VA_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", VA_INTENT_CONFIG_FILE=str(config))


@pytest.fixture
async def stub(address: str) -> AsyncIterator[intent_pb2_grpc.IntentClassifierStub]:
    async with grpc.aio.insecure_channel(address) as channel:
        yield intent_pb2_grpc.IntentClassifierStub(channel)


def request(text: str, expecting: str = "", previous: str = "", now: str = NOW) -> intent_pb2.ClassifyRequest:
    context = intent_pb2.ConversationContext(expecting=expecting, previous_intent=previous, now=now)
    return intent_pb2.ClassifyRequest(text=text, context=context, session_id="it-session")


@pytest.mark.parametrize(
    ("text", "expecting", "intent", "method", "entities"),
    [
        ("hi there", "", "GREETING", "rule", {}),
        ("um wear can i find the examination office", "", "RAG_QUERY", "semantic", {}),
        ("How far ahead can I book an advising appointment?", "", "RAG_QUERY", "rule", {}),
        (
            "book advising for this thursday at 4 pm please",
            "",
            "APPOINTMENT_SCHEDULING",
            "rule",
            {"date": "2026-06-11", "time": "16:00"},
        ),
        ("tomorrow", "preferred_date", "APPOINTMENT_SCHEDULING", "context", {"date": "2026-06-11"}),
        ("Sophie Wagner", "user_name", "APPOINTMENT_SCHEDULING", "context", {"user_name": "Sophie Wagner"}),
        ("yes", "confirmation", "AFFIRM", "rule", {}),
    ],
)
async def test_classify_over_grpc(
    stub, text: str, expecting: str, intent: str, method: str, entities: dict[str, str]
) -> None:
    response = await stub.Classify(request(text, expecting))
    assert (response.intent, response.method) == (intent, method)
    assert dict(response.entities) == entities
    assert 0 < response.confidence <= 1
    assert response.timing.total_ms > 0 and response.timing.stages


async def test_semantic_answers_rank_alternatives_and_enrich_the_query(stub) -> None:
    response = await stub.Classify(request("hi um quick question, wear is the library?"))
    assert response.intent == "RAG_QUERY"
    assert response.enriched_query == "where is the library?"
    assert [a.confidence for a in response.alternatives] == sorted(
        (a.confidence for a in response.alternatives), reverse=True
    )
    assert response.intent not in {a.intent for a in response.alternatives}


async def test_repeated_request_comes_from_redis(stub) -> None:
    first = await stub.Classify(request("Can I see an advisor about credit transfer on the 18th at 2?"))
    second = await stub.Classify(request("Can I see an advisor about credit transfer on the 18th at 2?"))
    assert (first.cached, second.cached) == (False, True)
    assert (second.intent, dict(second.entities)) == (first.intent, dict(first.entities))
    assert dict(first.entities) == {"date": "2026-06-18", "time": "14:00", "purpose": "credit transfer"}
    # a date-relative text is not answered from another day's cache entry
    later = await stub.Classify(
        request("Can I see an advisor about credit transfer on the 18th at 2?", now="2026-06-20T09:00:00")
    )
    assert not later.cached
    assert later.entities["date"] == "2026-07-18"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (request(""), "text is empty"),
        (request("   "), "text is empty"),
        (request("x" * 2001), "limit is 2000"),
        (request("hello", now="half past nine"), "ISO 8601"),
        (request("hello", expecting="shoe_size"), "expecting"),
        (request("hello", previous="NOT_AN_INTENT"), "previous_intent"),
    ],
)
async def test_bad_input_is_invalid_argument_and_the_service_keeps_serving(stub, bad, message: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.Classify(bad)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in (failure.value.details() or "")
    assert "Traceback" not in (failure.value.details() or "")
    assert (await stub.Classify(request("goodbye"))).intent == "GOODBYE"


async def test_redis_down_classifies_without_cache_using_the_operator_taxonomy(degraded_address: str) -> None:
    async with grpc.aio.insecure_channel(degraded_address) as channel:
        degraded = intent_pb2_grpc.IntentClassifierStub(channel)
        responses = [await degraded.Classify(request("when are you open")) for _ in range(2)]
        assert [(r.intent, r.method, r.cached) for r in responses] == [("OPENING_HOURS", "rule", False)] * 2
        semantic = await degraded.Classify(request("what is the tuition"))
        assert (semantic.intent, semantic.method) == ("FEES", "semantic")
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await degraded.Classify(request("hello", previous="GREETING"))
        assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_broken_operator_taxonomy_stops_the_service_with_a_clear_message(tmp_path: Path) -> None:
    config = tmp_path / "broken.yaml"
    config.write_text(OPERATOR_CONFIG.replace("intent: OPENING_HOURS", "intent: CLOSING_HOURS"))
    finished = subprocess.run(
        [sys.executable, "-m", "services.intent"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "VA_INTENT_CONFIG_FILE": str(config),
            "VA_GRPC_PORT": "0",
            "VA_METRICS_PORT": "0",
            "VA_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
            "VA_LOG_JSON": "false",
        },
    )
    assert finished.returncode != 0
    assert "unknown intent 'CLOSING_HOURS'" in finished.stderr
    assert "Traceback" not in finished.stderr
