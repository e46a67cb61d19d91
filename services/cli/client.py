"""A small client of the gateway: REST sessions and chat, and a voice conversation over the WebSocket.

Used by the ``voiceagent`` CLI, the end-to-end tests and the voice benchmark.
"""

from __future__ import annotations

import asyncio
import json
import time
import wave
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from services.gateway.ports import OutputFormat

SUPPORTED_INPUT_RATES = (8_000, 16_000, 48_000)


class GatewayError(RuntimeError):
    """The gateway refused a request; the message is its ``detail``."""


def read_wav(path: Path) -> tuple[bytes, int]:
    """PCM16 mono samples of a WAV file at a rate the gateway accepts (resampled to 16 kHz otherwise)."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV files are supported")
        rate, channels = wav.getframerate(), wav.getnchannels()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype("<i2")
    if rate not in SUPPORTED_INPUT_RATES:
        target = np.arange(0, len(samples) * 16_000 // rate) * rate / 16_000
        samples = np.interp(target, np.arange(len(samples)), samples).astype("<i2")
        rate = 16_000
    return samples.tobytes(), rate


def write_wav(path: Path, pcm: bytes, rate: int) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)


class GatewayClient:
    """REST calls; every non-2xx answer becomes :class:`GatewayError` with the server's reason."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout_s, headers=self.headers())

    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key} if self.api_key else {}

    def _check(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise GatewayError(f"{response.status_code}: {detail}")
        return response.json() if response.content else None

    def create_session(self, now: str | None = None) -> str:
        body = {"now": now} if now else None
        return str(self._check(self.http.post("/v1/sessions", json=body))["session_id"])

    def message(self, session_id: str, text: str, audio: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = self._check(
            self.http.post(f"/v1/sessions/{session_id}/messages", json={"text": text, "audio": audio})
        )
        return result

    def history(self, session_id: str) -> list[dict[str, Any]]:
        return list(self._check(self.http.get(f"/v1/sessions/{session_id}/history"))["entries"])

    def delete_session(self, session_id: str) -> None:
        self._check(self.http.delete(f"/v1/sessions/{session_id}"))

    def conversation_url(self, session_id: str) -> str:
        return self.base_url.replace("http", "ws", 1) + f"/v1/conversations/{session_id}"

    def close(self) -> None:
        self.http.close()


@dataclass
class VoiceCall:
    """One open conversation: sends audio and control messages, records every event and reply audio."""

    ws: Any
    events: list[dict[str, Any]] = field(default_factory=list)
    audio: bytearray = field(default_factory=bytearray)
    first_audio_at: float | None = None
    audio_by_reply: dict[int, int] = field(default_factory=dict)  # reply number → audio bytes received
    # reply number → seconds a real-time player would have fallen silent mid-reply (audio arriving
    # after everything before it had been played)
    stalls_s: dict[int, float] = field(default_factory=dict)
    _speaking: int = 0
    _played_until: float | None = None  # when the current reply's audio received so far has been played
    _bytes_per_second: int = 32_000
    close_code: int | None = None  # set when the server closed the socket
    _next_frame_at: float = 0.0  # real-time pacing of the audio sent
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def _receive(self) -> None:
        try:
            async for message in self.ws:
                async with self._changed:
                    if isinstance(message, bytes):
                        if self.first_audio_at is None:
                            self.first_audio_at = time.perf_counter()
                        self._play(message)
                        self.audio.extend(message)
                        self.audio_by_reply[self._speaking] = self.audio_by_reply.get(self._speaking, 0) + len(message)
                    else:
                        event = json.loads(message)
                        event["received_at"] = time.perf_counter()
                        self.events.append(event)
                        if event["type"] == "audio_start":
                            self._speaking = int(event["reply"])
                            self._bytes_per_second = OutputFormat(**event.get("format", {})).bytes_per_second
                            self._played_until = None
                    self._changed.notify_all()
        finally:
            async with self._changed:
                self.close_code = self.ws.close_code if self.ws.close_code is not None else 1006
                self._changed.notify_all()

    def _play(self, audio: bytes) -> None:
        """Advance the simulated playback clock of the current reply, noting any gap before ``audio``."""
        now = time.perf_counter()
        if self._played_until is not None and now > self._played_until:
            self.stalls_s[self._speaking] = self.stalls_s.get(self._speaking, 0.0) + now - self._played_until
        start = now if self._played_until is None else max(self._played_until, now)
        self._played_until = start + len(audio) / self._bytes_per_second

    async def send_json(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def send_audio(
        self,
        pcm: bytes,
        rate: int,
        frame_ms: int = 20,
        realtime: bool = True,
        on_sent: Callable[[int], None] | None = None,
    ) -> None:
        """Stream PCM16 in frames; in real time (like a microphone) unless ``realtime`` is false.

        ``on_sent(bytes_sent)`` is called after each frame (the benchmark notes when speech ends).
        """
        frame_bytes = rate * 2 * frame_ms // 1000
        for offset in range(0, len(pcm), frame_bytes):
            frame = pcm[offset : offset + frame_bytes]
            if realtime:
                # One clock across calls: a frame leaves when the audio before it has been "spoken".
                now = time.perf_counter()
                if self._next_frame_at < now - 0.2:  # the caller paused sending: start afresh
                    self._next_frame_at = now
                await asyncio.sleep(max(0.0, self._next_frame_at - now))
                self._next_frame_at += len(frame) / (rate * 2)
            await self.ws.send(frame)
            if on_sent is not None:
                on_sent(offset + len(frame))

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["type"] == kind]

    async def wait_for(self, predicate: Callable[[VoiceCall], bool], timeout_s: float) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self)), timeout_s)


@asynccontextmanager
async def voice_call(
    client: GatewayClient, session_id: str, config: dict[str, Any] | None = None
) -> AsyncIterator[VoiceCall]:
    from websockets.asyncio.client import connect

    async with connect(
        client.conversation_url(session_id),
        additional_headers=client.headers(),
        max_size=4 * 1024 * 1024,
        open_timeout=10,
    ) as ws:
        call = VoiceCall(ws)
        receiver = asyncio.create_task(call._receive())
        try:
            if config:
                await call.send_json({"type": "config", **config})
            yield call
        finally:
            receiver.cancel()
            await asyncio.gather(receiver, return_exceptions=True)


def silence(rate: int, seconds: float) -> bytes:
    return bytes(int(rate * seconds) * 2)


def replies_done(call: VoiceCall) -> bool:
    """Every final transcript has been answered (a ``timings`` event closes each reply)."""
    finals = [e for e in call.of_type("transcript") if e["final"] and e["text"].strip()]
    return bool(finals) and len(call.of_type("timings")) >= len(finals)
