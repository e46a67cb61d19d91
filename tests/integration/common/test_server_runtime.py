"""The shared server runtime over real gRPC: error mapping, health, reflection, retries, breaker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from voiceagent.v1 import intent_pb2, intent_pb2_grpc

from services.common.clients import CircuitOpen, Downstream
from services.common.config import ServiceSettings
from services.common.errors import BackendUnavailable, InvalidInput
from services.common.server import Registration, Runtime, StartedServer, start_server

pytestmark = pytest.mark.integration
SERVICE = intent_pb2.DESCRIPTOR.services_by_name["IntentClassifier"].full_name


class ScriptedClassifier(intent_pb2_grpc.IntentClassifierServicer):
    """Behaves according to the text it receives, to exercise every error path."""

    def __init__(self) -> None:
        self.calls = 0

    async def Classify(
        self, request: intent_pb2.ClassifyRequest, context: grpc.aio.ServicerContext
    ) -> intent_pb2.ClassifyResponse:
        self.calls += 1
        if request.text == "":
            raise InvalidInput("text must not be empty")
        if request.text == "backend":
            raise BackendUnavailable("Redis is down")
        if request.text == "crash":
            raise RuntimeError("secret internal detail")
        if request.text == "slow":
            await asyncio.sleep(2)
        return intent_pb2.ClassifyResponse(intent="GREETING", confidence=1.0)


@pytest.fixture
async def server() -> AsyncIterator[tuple[StartedServer, ScriptedClassifier]]:
    servicer = ScriptedClassifier()
    runtime = Runtime(
        [Registration(SERVICE, lambda s: intent_pb2_grpc.add_IntentClassifierServicer_to_server(servicer, s))]
    )
    started = await start_server("test", ServiceSettings(host="127.0.0.1", grpc_port=0), runtime)
    yield started, servicer
    await started.stop(0)


async def test_errors_map_to_status_codes_without_internals(server: tuple[StartedServer, ScriptedClassifier]) -> None:
    started, _ = server
    async with grpc.aio.insecure_channel(f"127.0.0.1:{started.port}") as channel:
        stub = intent_pb2_grpc.IntentClassifierStub(channel)
        expectations = {
            "": grpc.StatusCode.INVALID_ARGUMENT,
            "backend": grpc.StatusCode.UNAVAILABLE,
            "crash": grpc.StatusCode.INTERNAL,
        }
        for text, code in expectations.items():
            with pytest.raises(grpc.aio.AioRpcError) as failure:
                await stub.Classify(intent_pb2.ClassifyRequest(text=text))
            assert failure.value.code() == code
            assert "secret internal detail" not in (failure.value.details() or "")
            assert "Traceback" not in (failure.value.details() or "")
        assert (await stub.Classify(intent_pb2.ClassifyRequest(text="hi"))).intent == "GREETING"


async def test_deadline_is_honoured(server: tuple[StartedServer, ScriptedClassifier]) -> None:
    started, _ = server
    async with grpc.aio.insecure_channel(f"127.0.0.1:{started.port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await intent_pb2_grpc.IntentClassifierStub(channel).Classify(
                intent_pb2.ClassifyRequest(text="slow"), timeout=0.2
            )
        assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_health_and_reflection(server: tuple[StartedServer, ScriptedClassifier]) -> None:
    started, _ = server
    async with grpc.aio.insecure_channel(f"127.0.0.1:{started.port}") as channel:
        status = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=SERVICE))
        assert status.status == health_pb2.HealthCheckResponse.SERVING
        stream = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")])
        )
        names = [s.name async for response in stream for s in response.list_services_response.service]
        assert SERVICE in names and "grpc.health.v1.Health" in names


async def test_downstream_maps_errors_and_opens_the_breaker(server: tuple[StartedServer, ScriptedClassifier]) -> None:
    started, servicer = server
    downstream = Downstream.connect("intent", f"127.0.0.1:{started.port}", timeout_s=1.0, failure_threshold=2)
    stub = intent_pb2_grpc.IntentClassifierStub(downstream.channel)
    with pytest.raises(InvalidInput, match="must not be empty"):
        await downstream.call(stub.Classify, intent_pb2.ClassifyRequest(text=""))
    assert downstream.breaker.state == "closed"  # a caller's mistake is not a sick service
    for _ in range(2):
        with pytest.raises(BackendUnavailable):
            await downstream.call(stub.Classify, intent_pb2.ClassifyRequest(text="crash"))
    calls_before = servicer.calls
    with pytest.raises(CircuitOpen):
        await downstream.call(stub.Classify, intent_pb2.ClassifyRequest(text="hi"))
    assert servicer.calls == calls_before  # refused without calling
    await downstream.close()


async def test_idempotent_calls_are_retried_on_unavailable(server: tuple[StartedServer, ScriptedClassifier]) -> None:
    started, servicer = server
    downstream = Downstream.connect(
        "intent", f"127.0.0.1:{started.port}", timeout_s=2.0, idempotent_services=[SERVICE], failure_threshold=10
    )
    stub = intent_pb2_grpc.IntentClassifierStub(downstream.channel)
    before = servicer.calls
    with pytest.raises(BackendUnavailable):
        await downstream.call(stub.Classify, intent_pb2.ClassifyRequest(text="backend"))
    assert servicer.calls - before == 3  # maxAttempts of the retry policy, then give up
    await downstream.close()


async def test_stop_drains_in_flight_calls_and_refuses_new_ones(
    server: tuple[StartedServer, ScriptedClassifier],
) -> None:
    started, _ = server
    async with grpc.aio.insecure_channel(f"127.0.0.1:{started.port}") as channel:
        stub = intent_pb2_grpc.IntentClassifierStub(channel)
        in_flight = asyncio.ensure_future(stub.Classify(intent_pb2.ClassifyRequest(text="slow"), timeout=10))
        await asyncio.sleep(0.3)  # the call is now running on the server
        stopping = asyncio.ensure_future(started.stop(grace_s=5))
        await asyncio.sleep(0.1)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.Classify(intent_pb2.ClassifyRequest(text="hi"), timeout=2)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert (await in_flight).intent == "GREETING"  # finished inside the grace period
        await stopping
