"""The HTTP layer with in-memory collaborators: auth, ownership, limits, REST, WebSocket, docs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from services.gateway.app import create_app
from services.gateway.auth import ApiKeyAuth, hash_key
from services.gateway.config import GatewaySettings
from services.gateway.engine import ConversationEngine
from services.gateway.turns import TurnService
from services.gateway.wiring import Gateway, Readiness

KEY_A, KEY_B = "key-of-tenant-a", "key-of-tenant-b"
A, B = {"X-API-Key": KEY_A}, {"Authorization": f"Bearer {KEY_B}"}


@pytest.fixture
def settings() -> GatewaySettings:
    return GatewaySettings(
        api_keys=f"tenant-a:{hash_key(KEY_A)},tenant-b:{hash_key(KEY_B)}",
        max_message_chars=50,
        max_frame_bytes=640,
        allow_session_clock=False,
    )


@pytest.fixture
def parts(intent, knowledge, booking, synthesizer, recognizer, store, limiter, slots):
    return {
        "limiter": limiter,
        "slots": slots,
        "intent": intent,
        "knowledge": knowledge,
        "booking": booking,
        "synthesizer": synthesizer,
        "recognizer": recognizer,
        "store": store,
    }


def make_client(settings: GatewaySettings, parts) -> Iterator[TestClient]:
    async def factory(s: GatewaySettings) -> Gateway:
        async def readiness() -> Readiness:
            return Readiness("ok", {"stt": "SERVING", "rag": "UNREACHABLE"})

        async def close() -> None:
            return None

        engine = ConversationEngine(parts["intent"], parts["knowledge"], parts["booking"])
        return Gateway(
            s,
            ApiKeyAuth(s.key_hashes()),
            parts["store"],
            parts["limiter"],
            parts["slots"],
            TurnService(parts["store"], engine),
            parts["recognizer"],
            parts["synthesizer"],
            parts["booking"],
            readiness,
            close,
        )

    with TestClient(create_app(settings, factory)) as client:
        yield client


@pytest.fixture
def client(settings, parts) -> Iterator[TestClient]:
    yield from make_client(settings, parts)


def new_session(client: TestClient, headers=A) -> str:
    response = client.post("/v1/sessions", headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["session_id"])


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"}])
def test_missing_or_unknown_keys_get_401(client, headers):
    response = client.post("/v1/sessions", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_sessions_belong_to_the_key_that_created_them(client):
    session_id = new_session(client, A)

    assert client.get(f"/v1/sessions/{session_id}", headers=A).status_code == 200
    for method, path in [("GET", ""), ("GET", "/history"), ("DELETE", "")]:
        assert client.request(method, f"/v1/sessions/{session_id}{path}", headers=B).status_code == 403
    response = client.post(f"/v1/sessions/{session_id}/messages", headers=B, json={"text": "hi"})
    assert response.status_code == 403


def test_text_chat_returns_reply_intent_sources_timings_and_history(client):
    session_id = new_session(client)

    response = client.post(
        f"/v1/sessions/{session_id}/messages", headers=A, json={"text": "When does the library open?", "audio": True}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["reply"] == "The library opens at 8 am." and body["intent"] == "RAG_QUERY"
    assert body["sources"][0]["document"] == "library/opening-hours.md"
    assert {"intent", "rag", "turn"} <= body["timings"].keys()
    assert body["audio_url"].startswith("http://") and body["degraded"] == []
    entries = client.get(f"/v1/sessions/{session_id}/history", headers=A).json()["entries"]
    assert [(e["role"], e["text"]) for e in entries] == [
        ("caller", "When does the library open?"),
        ("agent", "The library opens at 8 am."),
    ]
    assert client.get(f"/v1/sessions/{session_id}", headers=A).json()["turns"] == 1


def test_booking_state_is_returned(client):
    session_id = new_session(client)

    body = client.post(f"/v1/sessions/{session_id}/messages", headers=A, json={"text": "book please"}).json()

    assert body["route"] == "booking" and body["booking"]["state"] == "WAITING_FOR_DATE"
    assert client.get(f"/v1/sessions/{session_id}", headers=A).json()["expecting"] == "preferred_date"


def test_audio_url_is_optional_when_tts_is_down(client, parts):
    parts["synthesizer"].down = True
    session_id = new_session(client)

    body = client.post(f"/v1/sessions/{session_id}/messages", headers=A, json={"text": "hello", "audio": True}).json()

    assert body["audio_url"] is None and body["degraded"] == ["tts"] and body["reply"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": "x" * 51}, 413),
        ({"text": ""}, 422),
        ({"text": "   "}, 400),
        ({}, 422),
        ({"text": "hi", "unknown": 1}, 422),
    ],
)
def test_bad_messages_are_refused_and_the_session_keeps_working(client, body, status):
    session_id = new_session(client)

    assert client.post(f"/v1/sessions/{session_id}/messages", headers=A, json=body).status_code == status
    assert client.post(f"/v1/sessions/{session_id}/messages", headers=A, json={"text": "hello"}).status_code == 200


def test_unknown_and_malformed_session_ids_are_404(client):
    assert client.get("/v1/sessions/does-not-exist", headers=A).status_code == 404
    assert client.get("/v1/sessions/" + "x" * 100, headers=A).status_code == 404
    assert client.get("/v1/sessions/a%20b", headers=A).status_code == 404


def test_delete_removes_the_session_and_drops_its_booking_flow(client, parts):
    session_id = new_session(client)
    client.post(f"/v1/sessions/{session_id}/messages", headers=A, json={"text": "book please"})

    assert client.delete(f"/v1/sessions/{session_id}", headers=A).status_code == 204
    assert client.get(f"/v1/sessions/{session_id}", headers=A).status_code == 404
    assert parts["booking"].cancelled == [session_id]


def test_session_clock_is_refused_unless_enabled(client):
    response = client.post("/v1/sessions", headers=A, json={"now": "2026-03-02T10:00:00"})
    assert response.status_code == 400 and "VA_ALLOW_SESSION_CLOCK" in response.json()["detail"]


def test_session_clock_when_enabled(settings, parts, booking):
    enabled = settings.model_copy(update={"allow_session_clock": True})
    for client in make_client(enabled, parts):
        assert client.post("/v1/sessions", headers=A, json={"now": "not a time"}).status_code == 400
        response = client.post("/v1/sessions", headers=A, json={"now": "2026-03-02T10:00:00"})
        assert response.status_code == 201 and response.json()["now"].startswith("2026-03-02T10:00")
        session_id = response.json()["session_id"]
        client.post(f"/v1/sessions/{session_id}/messages", headers=A, json={"text": "book please"})
        assert booking.calls[0][1]["now"].startswith("2026-03-02T10:00")


def test_rate_limit_gives_429_with_retry_after(client, parts):
    parts["limiter"].per_minute = 2
    new_session(client)
    new_session(client)

    response = client.post("/v1/sessions", headers=A)

    assert response.status_code == 429 and response.headers["Retry-After"] == "42"
    assert client.post("/v1/sessions", headers=B).status_code == 201  # other keys are unaffected


def test_health_readiness_and_metrics(client):
    assert client.get("/health/live").json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {
        "ready": True,
        "status": "degraded",
        "redis": "ok",
        "auth": "enabled",
        "downstream": {"stt": "SERVING", "rag": "UNREACHABLE"},
    }
    metrics = client.get("/metrics").text
    assert "voiceagent_active_sessions" in metrics and "voiceagent_http_requests_total" in metrics


def test_openapi_documents_models_tags_and_errors(client):
    spec = client.get("/openapi.json").json()
    create = spec["paths"]["/v1/sessions"]["post"]
    assert create["tags"] == ["sessions"] and create["description"]
    assert {"201", "400", "401", "429"} <= create["responses"].keys()
    message = spec["paths"]["/v1/sessions/{session_id}/messages"]["post"]
    assert message["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("MessageResponse")
    assert "MessageRequest" in spec["components"]["schemas"]
    assert "X-API-Key" in str(spec["components"]["securitySchemes"])


# --- WebSocket --------------------------------------------------------------------------------------


def receive_until(ws, kind: str, limit: int = 200) -> list[dict]:
    seen = []
    for _ in range(limit):
        message = ws.receive()
        if message.get("text"):
            event = json.loads(message["text"])
            seen.append(event)
            if event["type"] == kind:
                return seen
    raise AssertionError(f"no {kind} in {[e['type'] for e in seen]}")


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/v1/conversations/{id}", {}, 401),
        ("/v1/conversations/{id}", B, 403),
        ("/v1/conversations/nope", A, 404),
    ],
)
def test_websocket_refusals_use_http_statuses(client, path, headers, status):
    session_id = new_session(client)
    with (
        pytest.raises(WebSocketDenialResponse) as refused,
        client.websocket_connect(path.format(id=session_id), headers=headers),
    ):
        pass
    assert refused.value.status_code == status


def test_websocket_key_may_come_in_the_query(client):
    session_id = new_session(client)
    with client.websocket_connect(f"/v1/conversations/{session_id}?api_key={KEY_A}") as ws:
        assert ws.receive_json()["type"] == "ready"


def test_websocket_text_turn_with_config_and_audio_reply(client):
    session_id = new_session(client)
    with client.websocket_connect(f"/v1/conversations/{session_id}", headers=A) as ws:
        assert ws.receive_json()["type"] == "ready"
        ws.send_json(
            {
                "type": "config",
                "sample_rate_hz": 8000,
                "output": {"encoding": "mulaw", "sample_rate_hz": 8000},
                "pace_output": False,
            }
        )
        assert ws.receive_json()["type"] == "configured"
        ws.send_json({"type": "text", "text": "when does the library open"})
        events = receive_until(ws, "audio_start")
        assert next(e for e in events if e["type"] == "answer")["text"] == "The library opens at 8 am."
        assert events[-1]["format"] == {"encoding": "mulaw", "sample_rate_hz": 8000}
        frame = ws.receive_bytes()
        assert len(frame) == 800  # 100 ms of 8 kHz mu-law
        receive_until(ws, "timings")
        ws.send_json({"type": "end"})


def test_websocket_audio_goes_to_the_recognizer_at_the_chosen_rate(client, parts):
    session_id = new_session(client)
    recognizer = parts["recognizer"]
    with client.websocket_connect(f"/v1/conversations/{session_id}", headers=A) as ws:
        ws.receive_json()
        ws.send_json({"type": "config", "sample_rate_hz": 48000, "partials": False})
        ws.receive_json()
        ws.send_bytes(b"\x00" * 640)
        assert receive_until(ws, "state")[-1]["state"] == "LISTENING"
        recognizer.push("final", "hello")
        events = receive_until(ws, "timings")
        assert next(e for e in events if e["type"] == "transcript")["text"] == "hello"
        ws.send_json({"type": "end"})
    assert recognizer.sample_rate_hz == 48000 and recognizer.audio_bytes == 640 and not recognizer.partials


def test_a_recognition_stream_that_ended_is_reopened_by_the_next_frame(client, parts):
    recognizer = parts["recognizer"]
    session_id = new_session(client)
    with client.websocket_connect(f"/v1/conversations/{session_id}", headers=A) as ws:
        ws.receive_json()
        ws.send_bytes(b"\x00" * 320)
        receive_until(ws, "state")
        recognizer.end()  # e.g. the recognizer's idle timeout
        ws.send_json({"type": "text", "text": "hello"})  # a round trip, so the stream's end is seen
        receive_until(ws, "timings")
        ws.send_bytes(b"\x00" * 320)
        recognizer.push("final", "when does the library open")
        answer = next(e for e in receive_until(ws, "answer") if e["type"] == "answer")
        ws.send_json({"type": "end"})
    assert recognizer.streams == 2 and answer["text"] == "The library opens at 8 am."


@pytest.mark.parametrize(
    "message",
    [
        {"type": "config", "sample_rate_hz": 44100},
        {"type": "config", "output": {"encoding": "mulaw", "sample_rate_hz": 16000}},
        {"type": "dance"},
        {"type": "text", "text": ""},
    ],
)
def test_bad_control_messages_get_an_error_event_and_the_socket_stays_open(client, message):
    session_id = new_session(client)
    with client.websocket_connect(f"/v1/conversations/{session_id}", headers=A) as ws:
        ws.receive_json()
        ws.send_json(message)
        error = ws.receive_json()
        assert error["type"] == "error" and error["message"].startswith("invalid message")
        ws.send_text("not json")
        assert ws.receive_json()["type"] == "error"
        ws.send_json({"type": "text", "text": "hello"})
        assert "answer" in [e["type"] for e in receive_until(ws, "answer")]


def test_oversized_frames_close_the_socket_with_1009(client):
    session_id = new_session(client)
    with client.websocket_connect(f"/v1/conversations/{session_id}", headers=A) as ws:
        ws.receive_json()
        ws.send_bytes(b"\x00" * 641)
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_json()
        assert closed.value.code == 1009


def test_frames_with_half_a_sample_are_dropped_with_an_error(client, parts):
    session_id = new_session(client)
    with client.websocket_connect(f"/v1/conversations/{session_id}", headers=A) as ws:
        ws.receive_json()
        ws.send_bytes(b"\x00" * 321)
        assert ws.receive_json()["message"].startswith("audio frames must hold whole 16-bit samples")
        ws.send_bytes(b"\x00" * 320)
        assert receive_until(ws, "state")[-1]["state"] == "LISTENING"
        ws.send_json({"type": "end"})
    assert parts["recognizer"].audio_bytes == 320


def test_oversized_control_messages_close_the_socket_with_1009(client):
    session_id = new_session(client)
    with client.websocket_connect(f"/v1/conversations/{session_id}", headers=A) as ws:
        ws.receive_json()
        ws.send_json({"type": "text", "text": "x" * 5000})
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_json()
        assert closed.value.code == 1009


def test_live_conversations_per_key_are_limited_and_counted(client):
    from services.gateway.metrics import ACTIVE_SESSIONS

    first, second = new_session(client), new_session(client)
    before = ACTIVE_SESSIONS._value.get()
    with client.websocket_connect(f"/v1/conversations/{first}", headers=A) as ws:
        ws.receive_json()
        assert ACTIVE_SESSIONS._value.get() == before + 1
        with (
            pytest.raises(WebSocketDenialResponse) as refused,
            client.websocket_connect(f"/v1/conversations/{second}", headers=A),
        ):
            pass
        assert refused.value.status_code == 429
    with client.websocket_connect(f"/v1/conversations/{second}", headers=A) as ws:  # the slot was freed
        ws.receive_json()
    assert ACTIVE_SESSIONS._value.get() == before
