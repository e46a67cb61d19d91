"""The real gateway process over HTTP and WebSocket, with real Redis and downstream services that are down."""

from __future__ import annotations

import http.client
import subprocess
import sys
import time

import httpx
import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from services.cli.client import GatewayClient, voice_call
from services.gateway import templates
from services.stack.backends import BackendEndpoints
from services.stack.processes import free_port
from services.stack.stack import REPO_ROOT, service_env

pytestmark = pytest.mark.integration

PII = ("Lena Hoffmann", "lena.hoffmann@example.org", "+4915112345678")


@pytest.fixture(scope="module")
def gateway(start_gateway):
    """Every downstream down: the gateway must still serve, degraded."""
    return start_gateway(
        VA_RATE_LIMIT_PER_MINUTE="1000",
        VA_MAX_CONCURRENT_SESSIONS_PER_KEY="2",
        VA_MAX_FRAME_BYTES="3200",
        VA_BREAKER_FAILURES="2",
    )


@pytest.fixture
def client(gateway, key_a) -> GatewayClient:
    return GatewayClient(gateway.url, key_a)


def test_readiness_reports_each_downstream(gateway):
    body = httpx.get(f"{gateway.url}/health/ready").json()
    assert body["ready"] and body["status"] == "degraded" and body["redis"] == "ok" and body["auth"] == "enabled"
    assert body["downstream"] == dict.fromkeys(("stt", "intent", "rag", "tts", "fsm"), "UNREACHABLE")


def test_an_idle_keep_alive_connection_outlives_uvicorns_default_five_seconds(gateway):
    """A client (or load balancer) reusing a connection the server just closed gets a reset."""
    host, port = gateway.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("GET", "/health/live")
        assert connection.getresponse().read() and connection.sock is not None
        socket_before = connection.sock
        time.sleep(6)
        connection.request("GET", "/health/live")
        assert connection.getresponse().status == 200
        assert connection.sock is socket_before
    finally:
        connection.close()


def test_every_downstream_down_still_gives_a_safe_reply(client):
    session_id = client.create_session()
    for _ in range(4):  # the breakers open after two failures; replies stay the same
        reply = client.message(session_id, "When does the library open?", audio=True)
        assert reply["reply"] == templates.NOT_UNDERSTOOD
        assert reply["degraded"] == ["intent", "rag", "tts"] and reply["audio_url"] is None


def test_sessions_live_in_redis_under_the_tenant_prefix_with_a_ttl(client, backends: BackendEndpoints):
    session_id = client.create_session()
    client.message(session_id, "hello")

    with redis.Redis.from_url(backends.redis_url) as r:
        key = f"va:default/leibniz:session:{session_id}"
        assert r.exists(key) and 0 < r.ttl(key) <= 3600
        assert r.llen(f"{key}:history") == 2
    client.delete_session(session_id)
    with redis.Redis.from_url(backends.redis_url) as r:
        assert not r.exists(f"va:default/leibniz:session:{session_id}")


def test_keys_and_ownership_over_http(gateway, client, key_b):
    assert httpx.post(f"{gateway.url}/v1/sessions").status_code == 401
    session_id = client.create_session()
    other = httpx.get(f"{gateway.url}/v1/sessions/{session_id}", headers={"X-API-Key": key_b})
    assert other.status_code == 403


def test_session_clock_is_off_by_default(gateway, client):
    response = httpx.post(f"{gateway.url}/v1/sessions", headers=client.headers(), json={"now": "2026-03-02T10:00:00"})
    assert response.status_code == 400


@pytest.mark.parametrize(("who", "path_session", "status"), [(None, True, 401), ("b", True, 403), ("a", False, 404)])
async def test_websocket_handshake_is_refused_with_http_statuses(client, key_a, key_b, who, path_session, status):
    headers = {"X-API-Key": {"a": key_a, "b": key_b}[who]} if who else {}
    session_id = client.create_session() if path_session else "unknown"
    url = client.conversation_url(session_id)
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, additional_headers=headers):
            pass
    assert refused.value.response.status_code == status


async def test_voice_without_stt_and_tts_reports_errors_and_answers_text(client):
    session_id = client.create_session()
    async with voice_call(client, session_id) as call:
        await call.send_audio(bytes(3200), 16_000, realtime=False)
        await call.wait_for(lambda c: bool(c.of_type("error")), 10)
        await call.send_json({"type": "text", "text": "hello"})
        await call.wait_for(lambda c: bool(c.of_type("timings")), 10)

    assert call.of_type("error")[0]["code"] == "stt_unavailable"
    assert call.of_type("answer")[0]["text"] == templates.NOT_UNDERSTOOD
    assert call.of_type("degraded")[0]["service"] == "tts" and not call.audio


async def test_oversized_frame_closes_the_socket(client):
    session_id = client.create_session()
    async with voice_call(client, session_id) as call:
        await call.send_audio(bytes(3202), 16_000, frame_ms=1000, realtime=False)
        await call.wait_for(lambda c: c.close_code is not None, 5)
    assert call.close_code == 1009


async def test_concurrent_conversations_per_key_are_limited_and_exported(gateway, client):
    sessions = [client.create_session() for _ in range(3)]
    async with voice_call(client, sessions[0]) as first, voice_call(client, sessions[1]):
        await first.wait_for(lambda c: bool(c.of_type("ready")), 5)
        async with httpx.AsyncClient() as http:
            metrics = (await http.get(f"http://127.0.0.1:{gateway.metrics_port}/metrics")).text
        assert "voiceagent_active_sessions 2.0" in metrics
        with pytest.raises(InvalidStatus) as refused:
            async with connect(client.conversation_url(sessions[2]), additional_headers=client.headers()):
                pass
        assert refused.value.response.status_code == 429
    async with voice_call(client, sessions[2]) as third:  # slots are freed on disconnect
        await third.wait_for(lambda c: bool(c.of_type("ready")), 5)


def test_no_pii_in_logs(gateway, client):
    session_id = client.create_session()
    client.message(session_id, f"My name is {PII[0]}, email {PII[1]}, phone {PII[2]}")
    httpx.post(f"{gateway.url}/v1/sessions/{session_id}/messages", headers=client.headers(), json={"text": "x" * 5000})

    log = gateway.log()
    assert session_id in log  # logs do carry the session id
    for value in PII:
        assert value not in log


@pytest.fixture(scope="module")
def gateway_without_rag(start_gateway, start_service):
    """Real intent and fsm services; rag (and stt, tts) down."""
    return start_gateway(
        VA_INTENT_TARGET=start_service("intent"), VA_FSM_TARGET=start_service("fsm"), VA_ALLOW_SESSION_CLOCK="true"
    )


def test_rag_down_answers_degraded_while_booking_still_works(gateway_without_rag, key_a):
    client = GatewayClient(gateway_without_rag.url, key_a)
    session_id = client.create_session(now="2026-03-02T10:00:00")

    question = client.message(session_id, "When does the library open on Saturdays?")
    booking = client.message(session_id, "I'd like to book an advising appointment.")
    date = client.message(session_id, "Thursday, please.")

    assert question["intent"] == "RAG_QUERY" and question["reply"] == templates.KNOWLEDGE_DOWN
    assert question["degraded"] == ["rag"]
    assert booking["route"] == "booking" and booking["booking"]["expecting"] == "preferred_date"
    assert date["booking"]["slots"]["preferred_date"] == "2026-03-05"
    assert date["booking"]["expecting"] == "preferred_time" and not date["degraded"]


def test_gateway_refuses_to_start_without_its_session_store(backends):
    env = service_env(
        backends,
        {
            "VA_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
            "VA_HTTP_PORT": "0",
            "VA_METRICS_PORT": "0",
            "VA_LOG_JSON": "false",
        },
    )
    result = subprocess.run(
        [sys.executable, "-m", "services.gateway"], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )

    assert result.returncode != 0
    assert "gateway: cannot start: Redis at" in result.stderr and "Traceback" not in result.stderr


def test_malformed_api_keys_stop_the_gateway_with_one_line(backends):
    env = service_env(backends, {"VA_API_KEYS": "tenant:not-a-hash", "VA_HTTP_PORT": "0", "VA_METRICS_PORT": "0"})
    result = subprocess.run(
        [sys.executable, "-m", "services.gateway"], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 2 and "VA_API_KEYS" in result.stderr and "Traceback" not in result.stderr
