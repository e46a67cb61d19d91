"""Trace context: an HTTP request's trace continues into the turn and on into every gRPC call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from voiceagent.v1 import intent_pb2, intent_pb2_grpc

from services.common.clients import Downstream
from services.gateway.adapters import GrpcIntent
from services.gateway.app import create_app
from services.gateway.auth import ApiKeyAuth
from services.gateway.config import GatewaySettings
from services.gateway.engine import ConversationEngine
from services.gateway.turns import TurnService
from services.gateway.wiring import Gateway, Readiness

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


class RecordingIntent(intent_pb2_grpc.IntentClassifierServicer):
    """Answers GREETING and keeps the metadata each call arrived with."""

    def __init__(self) -> None:
        self.metadata: list[dict[str, str]] = []

    async def Classify(
        self, request: intent_pb2.ClassifyRequest, context: grpc.aio.ServicerContext
    ) -> intent_pb2.ClassifyResponse:
        self.metadata.append({k: str(v) for k, v in context.invocation_metadata() or ()})
        return intent_pb2.ClassifyResponse(intent="GREETING", confidence=0.9)


@pytest.fixture
async def intent_server() -> AsyncIterator[tuple[str, RecordingIntent]]:
    server = grpc.aio.server()
    servicer = RecordingIntent()
    intent_pb2_grpc.add_IntentClassifierServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield f"127.0.0.1:{port}", servicer
    await server.stop(0)


async def test_grpc_calls_carry_the_current_trace(spans, intent_server):
    target, servicer = intent_server
    downstream = Downstream.connect("intent", target, 2.0)
    with trace.get_tracer("test").start_as_current_span("turn") as span:
        result = await GrpcIntent(downstream).classify("hello", "s1", "", "", "")
    await downstream.close()

    assert result.intent == "GREETING"
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert trace_id in servicer.metadata[0]["traceparent"]


def test_an_http_request_trace_continues_into_the_turn(
    spans, intent, knowledge, booking, synthesizer, recognizer, store, limiter, slots
):
    async def factory(settings: GatewaySettings) -> Gateway:
        async def readiness() -> Readiness:
            return Readiness("ok", {})

        async def close() -> None:
            return None

        turns = TurnService(store, ConversationEngine(intent, knowledge, booking))
        return Gateway(
            settings, ApiKeyAuth({}), store, limiter, slots, turns, recognizer, synthesizer, booking, readiness, close
        )

    spans.clear()
    with TestClient(create_app(GatewaySettings(), factory)) as client:
        session_id = client.post("/v1/sessions").json()["session_id"]
        response = client.post(
            f"/v1/sessions/{session_id}/messages",
            json={"text": "hello"},
            headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
        )

    assert response.status_code == 200
    turn = next(span for span in spans.get_finished_spans() if span.name == "turn")
    assert format(turn.context.trace_id, "032x") == TRACE_ID
    assert turn.attributes is not None and turn.attributes["voiceagent.route"] == "template"
