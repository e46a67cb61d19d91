"""WebSocket transport of a voice conversation: ``WS /v1/conversations/{session_id}``.

Binary frames carry caller audio (PCM16 mono, 16 kHz unless a ``config``
message chose another rate); text frames carry JSON control messages
(``config``, ``text``, ``end``, see schemas.py). The server sends binary reply
audio and JSON events (see conversation.py). The handshake is refused with an
HTTP status (401, 403, 404, 429) when the caller may not open the conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from services.common.errors import NotFound, ServiceError
from services.common.logs import session_id_var
from services.gateway.auth import Principal, key_from_headers
from services.gateway.conversation import VoiceConversation, VoiceOptions
from services.gateway.errors import http_status
from services.gateway.metrics import ACTIVE_SESSIONS, REJECTED_REQUESTS
from services.gateway.rest import SESSION_ID
from services.gateway.schemas import ClientMessage, ConfigMessage, EndMessage, TextMessage
from services.gateway.turns import SessionTurns
from services.gateway.wiring import Gateway

log = logging.getLogger(__name__)

router = APIRouter()

_client_message: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)
_AUDIO_QUEUE_FRAMES = 256
_RETRY_LISTENING_S = 3.0
CLOSE_TOO_BIG = 1009
CLOSE_POLICY = 1008


class WebSocketSink:
    """Serializes sends from concurrent tasks; after the socket is gone, sends are dropped."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.closed = False
        self._lock = asyncio.Lock()

    async def send_event(self, event: dict[str, Any]) -> None:
        await self._send(text=json.dumps(event, separators=(",", ":")))

    async def send_audio(self, frame: bytes) -> None:
        await self._send(data=frame)

    async def _send(self, text: str | None = None, data: bytes | None = None) -> None:
        if self.closed:
            return
        async with self._lock:
            try:
                if text is not None:
                    await self.websocket.send_text(text)
                else:
                    await self.websocket.send_bytes(data or b"")
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.closed = True

    async def close(self, code: int, reason: str) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await self.websocket.close(code=code, reason=reason[:120])


async def _refuse(websocket: WebSocket, error: ServiceError) -> None:
    """Refuse the handshake with an HTTP status when the server supports it, else a 4xxx close code."""
    code = http_status(error)
    REJECTED_REQUESTS.labels(str(code)).inc()
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(JSONResponse({"detail": error.message}, status_code=code))
    else:
        await websocket.close(code=4000 + code, reason=error.message[:120])


async def _admit(gateway: Gateway, websocket: WebSocket, session_id: str) -> Principal:
    presented = key_from_headers(websocket.headers.get("x-api-key"), websocket.headers.get("authorization"))
    principal = gateway.auth.authenticate(presented or websocket.query_params.get("api_key"))
    await gateway.rate_limiter.hit(principal.name)
    if not SESSION_ID.match(session_id):
        raise NotFound(f"session {session_id[:64]} does not exist")
    session = await gateway.store.get(session_id)
    gateway.auth.authorize(principal, session.owner)
    return principal


@router.websocket("/v1/conversations/{session_id}")
async def conversation_socket(websocket: WebSocket, session_id: str) -> None:
    gateway: Gateway = websocket.app.state.gateway
    connection_id = uuid.uuid4().hex
    try:
        principal = await _admit(gateway, websocket, session_id)
        await gateway.slots.acquire(principal.name, connection_id)
    except ServiceError as error:
        await _refuse(websocket, error)
        return
    token = session_id_var.set(session_id)
    ACTIVE_SESSIONS.inc()
    renewing = asyncio.create_task(_renew_lease(gateway, principal.name, connection_id))
    try:
        await websocket.accept()
        await _converse(gateway, websocket, session_id)
    finally:
        renewing.cancel()
        await gateway.slots.release(principal.name, connection_id)
        ACTIVE_SESSIONS.dec()
        session_id_var.reset(token)


async def _renew_lease(gateway: Gateway, key_name: str, connection_id: str) -> None:
    while True:
        await asyncio.sleep(gateway.slots.lease_s / 3)
        with contextlib.suppress(ServiceError):
            await gateway.slots.acquire(key_name, connection_id)


async def _audio_from(queue: asyncio.Queue[bytes | None]) -> AsyncIterator[bytes]:
    while (frame := await queue.get()) is not None:
        yield frame


class _Connection:
    """One socket's conversation: options chosen by the client, the conversation, its listener."""

    def __init__(self, gateway: Gateway, session_id: str, sink: WebSocketSink) -> None:
        settings = gateway.settings
        self.gateway = gateway
        self.session_id = session_id
        self.sink = sink
        self.options = VoiceOptions(
            lead_ms=settings.audio_lead_ms,
            silence_ms=settings.endpoint_silence_ms,
            voice=settings.voice,
            draft_replies=settings.draft_replies,
        )
        self.audio: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=_AUDIO_QUEUE_FRAMES)
        self.conversation: VoiceConversation | None = None
        self.listener: asyncio.Task[bool] | None = None
        self.listener_ended_at = 0.0
        self.dropped_frames = 0

    def started(self) -> VoiceConversation:
        if self.conversation is None:
            gateway = self.gateway

            self.conversation = VoiceConversation(
                self.session_id,
                SessionTurns(gateway.turns, self.session_id),
                gateway.recognizer,
                gateway.synthesizer,
                self.sink,
                self.options,
            )
        return self.conversation

    def hear(self, frame: bytes) -> None:
        """Pass a frame to the recognition stream, (re)opening it when needed.

        The recognizer ends a stream after a long silence from the client or on a
        failure; the next frame opens a new one (after a failure, not before
        ``_RETRY_LISTENING_S``, dropping audio meanwhile).
        """
        if self.listener is not None and self.listener.done():
            failed = self.listener.cancelled() or self.listener.exception() is not None or not self.listener.result()
            if failed and time.monotonic() - self.listener_ended_at < _RETRY_LISTENING_S:
                return
            self.listener = None
        if self.listener is None:
            self.audio = asyncio.Queue(maxsize=_AUDIO_QUEUE_FRAMES)
            self.listener = asyncio.create_task(self.started().listen(_audio_from(self.audio)))
            self.listener.add_done_callback(self._listener_ended)
        try:
            self.audio.put_nowait(frame)
        except asyncio.QueueFull:
            self.dropped_frames += 1

    def _listener_ended(self, task: asyncio.Task[bool]) -> None:
        self.listener_ended_at = time.monotonic()

    async def control(self, message: ConfigMessage | TextMessage | EndMessage) -> bool:
        """Apply a control message; False when the caller hangs up."""
        if isinstance(message, EndMessage):
            return False
        if isinstance(message, ConfigMessage):
            if self.conversation is not None:
                await self.sink.send_event(
                    {"type": "error", "code": "InvalidInput", "message": "config must be the first message"}
                )
                return True
            self.options = VoiceOptions(
                input_rate_hz=message.sample_rate_hz,
                output=message.output.to_format(),
                voice=message.voice or self.options.voice,
                audio_replies=message.audio_replies,
                pace_output=message.pace_output,
                partials=message.partials,
                lead_ms=self.options.lead_ms,
                silence_ms=self.options.silence_ms,
                draft_replies=self.options.draft_replies,
            )
            await self.sink.send_event(
                {"type": "configured", "sample_rate_hz": message.sample_rate_hz, "output": message.output.model_dump()}
            )
            return True
        limit = self.gateway.settings.max_message_chars
        if len(message.text) > limit:
            await self.sink.send_event(
                {"type": "error", "code": "TooLarge", "message": f"the message is longer than {limit} characters"}
            )
        elif message.text.strip():
            self.started().say(message.text.strip())
        return True

    async def close(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.audio.put_nowait(None)
        if self.conversation is not None:
            await self.conversation.close()
        if self.listener is not None:
            self.listener.cancel()
            await asyncio.wait({self.listener})
        if self.dropped_frames:
            log.warning("audio frames dropped (recognizer too slow)", extra={"frames": self.dropped_frames})


async def _converse(gateway: Gateway, websocket: WebSocket, session_id: str) -> None:
    settings = gateway.settings
    sink = WebSocketSink(websocket)
    connection = _Connection(gateway, session_id, sink)
    await sink.send_event(
        {
            "type": "ready",
            "session_id": session_id,
            "sample_rate_hz": 16_000,
            "output": {"encoding": "pcm16", "sample_rate_hz": 16_000},
        }
    )
    try:
        async with asyncio.timeout(settings.max_session_s):
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                frame, text = message.get("bytes"), message.get("text")
                if frame is not None:
                    if len(frame) > settings.max_frame_bytes:
                        await sink.close(CLOSE_TOO_BIG, f"audio frames are limited to {settings.max_frame_bytes} bytes")
                        break
                    if len(frame) % 2:
                        await sink.send_event(
                            {
                                "type": "error",
                                "code": "InvalidInput",
                                "message": "audio frames must hold whole 16-bit samples; frame dropped",
                            }
                        )
                        continue
                    connection.hear(frame)
                elif text is not None:
                    if len(text) > settings.max_control_message_bytes:
                        await sink.close(CLOSE_TOO_BIG, "control message too large")
                        break
                    try:
                        parsed = _client_message.validate_json(text)
                    except ValidationError as error:
                        await sink.send_event(
                            {"type": "error", "code": "InvalidInput", "message": _first_problem(error)}
                        )
                        continue
                    if not await connection.control(parsed):
                        break
    except TimeoutError:
        await sink.send_event(
            {"type": "error", "code": "ResourceExhausted", "message": "the conversation reached its length limit"}
        )
        await sink.close(CLOSE_POLICY, "session length limit reached")
    except WebSocketDisconnect:
        pass
    finally:
        await connection.close()
    await sink.close(1000, "bye")


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"invalid message: {where}: {problem['msg']}" if where else f"invalid message: {problem['msg']}"
