"""A live voice conversation: caller audio → recognizer events → turns → spoken replies.

States: IDLE → LISTENING → THINKING → SPEAKING → LISTENING, and on barge-in
(the caller starts speaking while the agent thinks or speaks)
INTERRUPTED → LISTENING. Barge-in cancels the reply's synthesis and stops its
audio at once; the turn itself (which may have booked something) still
completes and is recorded, only its audio is dropped.

Reply audio is paced: it runs at most ``lead_ms`` ahead of real-time playback,
so there is still something to cut when the caller barges in. Clients that
write audio to a file may ask for unpaced audio.

Events sent to the client (JSON objects with a ``type``):
``state`` (state), ``speech_started``, ``speech_ended``, ``transcript``
(text, final, utterance), ``intent`` (intent, confidence, entities),
``answer`` (text, route, sources, booking, degraded), ``audio_start`` (format, and the
stage timings up to the first audio),
binary audio frames, ``audio_end`` (audio_ms), ``interrupted`` (audio_ms,
stop_ms), ``timings`` (stages in ms), ``degraded`` (service, message) and
``error`` (code, message).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from services.common.errors import BackendUnavailable, ServiceError
from services.gateway.engine import TurnResult
from services.gateway.metrics import BARGE_INS, DEGRADED_REPLIES, REPLY_LATENCY, observe_stages
from services.gateway.ports import OutputFormat, RecognizerPort, SpeechEvent, SynthesizerPort

log = logging.getLogger(__name__)

TurnTaker = Callable[[str, str], Awaitable[TurnResult]]
"""Takes (text, channel) and returns the turn's result (see ``TurnService.take_turn``)."""

TTS_DOWN_MESSAGE = "Speech output is unavailable right now; replies are sent as text only."


class State(StrEnum):
    IDLE = "IDLE"
    LISTENING = "LISTENING"
    THINKING = "THINKING"
    SPEAKING = "SPEAKING"
    INTERRUPTED = "INTERRUPTED"


class EventSink(Protocol):
    async def send_event(self, event: dict[str, Any]) -> None: ...

    async def send_audio(self, frame: bytes) -> None: ...


@dataclass(frozen=True)
class VoiceOptions:
    input_rate_hz: int = 16_000
    output: OutputFormat = field(default_factory=OutputFormat)
    voice: str = ""
    audio_replies: bool = True  # false: text events only
    pace_output: bool = True
    lead_ms: int = 400
    silence_ms: int = 0  # endpointing silence for stt; 0 = its default
    frame_ms: int = 100  # size of the reply audio frames sent


def _rounded(stages: dict[str, float]) -> dict[str, float]:
    return {name: round(ms, 2) for name, ms in stages.items()}


class Pacer:
    """Holds reply audio back so it runs at most ``lead_s`` ahead of the caller's playback."""

    def __init__(
        self,
        lead_s: float,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.lead_s = lead_s
        self._clock = clock
        self._sleep = sleep
        self._played_until = 0.0  # wall time when everything sent so far has been played

    async def before_sending(self, duration_s: float) -> None:
        now = self._clock()
        ahead = self._played_until - now
        if ahead > self.lead_s:
            await self._sleep(ahead - self.lead_s)
            now = self._clock()
        self._played_until = max(self._played_until, now) + duration_s


@dataclass
class _Reply:
    """The reply being prepared or spoken, so that barge-in can find and cut it."""

    number: int
    received_at: float
    interrupted: bool = False
    speaking: asyncio.Task[None] | None = None
    audio_bytes: int = 0
    first_audio_at: float | None = None


class VoiceConversation:
    def __init__(
        self,
        session_id: str,
        take_turn: TurnTaker,
        recognizer: RecognizerPort,
        synthesizer: SynthesizerPort,
        sink: EventSink,
        options: VoiceOptions,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.session_id = session_id
        self.take_turn = take_turn
        self.recognizer = recognizer
        self.synthesizer = synthesizer
        self.sink = sink
        self.options = options
        self._clock = clock
        self.state = State.IDLE
        self._turn_lock = asyncio.Lock()
        self._current: _Reply | None = None
        self._replies = 0
        self._tasks: set[asyncio.Task[None]] = set()

    # --- inputs -------------------------------------------------------------------------------

    async def listen(self, audio: AsyncIterator[bytes]) -> bool:
        """Recognize the caller's audio and react to it until the recognition stream ends.

        Returns False when the recognizer failed; the failure is reported to the
        client and text messages keep working.
        """
        await self._set_state(State.LISTENING)
        stream = self.recognizer.stream(audio, self.options.input_rate_hz, self.session_id, self.options.silence_ms)
        try:
            async with aclosing(stream) as events:
                async for event in events:
                    await self._on_speech(event)
        except BackendUnavailable as error:
            DEGRADED_REPLIES.labels("stt").inc()
            await self.sink.send_event(
                {"type": "error", "code": "stt_unavailable", "message": f"{error.message}; send text messages instead"}
            )
            return False
        except ServiceError as error:  # the recognizer refused the audio itself
            await self.sink.send_event({"type": "error", "code": type(error).__name__, "message": error.message})
            return False
        return True

    def say(self, text: str) -> None:
        """A typed caller turn on the voice channel (answered like a spoken one)."""
        self._spawn(self._respond(text, "text", {}))

    async def close(self) -> None:
        """Stop everything in flight (the socket is gone)."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)

    # --- recognizer events --------------------------------------------------------------------

    async def _on_speech(self, event: SpeechEvent) -> None:
        if event.kind == "speech_started":
            await self.sink.send_event(
                {"type": "speech_started", "utterance": event.utterance_index, "offset_ms": event.offset_ms}
            )
            await self._barge_in()
        elif event.kind == "speech_ended":
            await self.sink.send_event(
                {"type": "speech_ended", "utterance": event.utterance_index, "offset_ms": event.offset_ms}
            )
        elif event.kind in {"partial", "final"}:
            final = event.kind == "final"
            await self.sink.send_event(
                {
                    "type": "transcript",
                    "final": final,
                    "text": event.text,
                    "utterance": event.utterance_index,
                    "confidence": event.confidence,
                }
            )
            if final and event.text.strip():
                stt = {"stt": event.timings["total"]} if "total" in event.timings else {}
                self._spawn(self._respond(event.text.strip(), "voice", stt))

    async def _barge_in(self) -> None:
        reply = self._current
        if reply is None or reply.interrupted or self.state not in {State.THINKING, State.SPEAKING}:
            return
        began = self._clock()
        reply.interrupted = True
        if reply.speaking is not None:
            reply.speaking.cancel()
            await asyncio.wait({reply.speaking})
        BARGE_INS.inc()
        await self._set_state(State.INTERRUPTED)
        await self.sink.send_event(
            {
                "type": "interrupted",
                "reply": reply.number,
                "audio_ms": self._audio_ms(reply.audio_bytes),
                "stop_ms": round((self._clock() - began) * 1000.0, 2),
            }
        )
        await self._set_state(State.LISTENING)

    # --- turns --------------------------------------------------------------------------------

    async def _respond(self, text: str, channel: str, stt_timings: dict[str, float]) -> None:
        received_at = self._clock()
        async with self._turn_lock:
            self._replies += 1
            reply = _Reply(self._replies, received_at)
            self._current = reply
            try:
                await self._set_state(State.THINKING)
                try:
                    result = await self.take_turn(text, channel)
                except ServiceError as error:
                    await self.sink.send_event(
                        {"type": "error", "code": type(error).__name__, "message": error.message}
                    )
                    return
                await self._announce(reply, result)
                stages = {**stt_timings, **result.timings}
                if self.options.audio_replies and not reply.interrupted:
                    await self._speak(reply, result.reply, stages)
                if reply.first_audio_at is not None:
                    REPLY_LATENCY.observe(reply.first_audio_at - reply.received_at)
                observe_stages({name: ms for name, ms in stages.items() if name.startswith("tts")})
                if not reply.interrupted:
                    await self._set_state(State.LISTENING)
                await self.sink.send_event({"type": "timings", "reply": reply.number, "stages": _rounded(stages)})
            finally:
                self._current = None
                if not reply.interrupted:
                    await self._set_state(State.LISTENING)

    async def _announce(self, reply: _Reply, result: TurnResult) -> None:
        await self.sink.send_event(
            {
                "type": "intent",
                "reply": reply.number,
                "intent": result.intent,
                "confidence": round(result.confidence, 4),
                "entities": result.entities,
            }
        )
        booking = None
        if result.booking is not None:
            booking = {
                "state": result.booking.state,
                "expecting": result.booking.expecting,
                "slots": result.booking.slots,
                "appointment": result.booking.appointment or None,
            }
        await self.sink.send_event(
            {
                "type": "answer",
                "reply": reply.number,
                "text": result.reply,
                "route": result.route,
                "sources": [asdict(s) for s in result.sources],
                "booking": booking,
                "degraded": result.degraded,
            }
        )

    async def _speak(self, reply: _Reply, text: str, stages: dict[str, float]) -> None:
        """Synthesize in a task of its own so that barge-in can cancel it; wait for it."""
        reply.speaking = asyncio.create_task(self._stream_audio(reply, text, stages))
        try:
            await asyncio.wait({reply.speaking})
        except asyncio.CancelledError:  # the conversation is closing: stop the synthesis too
            reply.speaking.cancel()
            await asyncio.wait({reply.speaking})
            raise
        if reply.speaking.cancelled():
            return
        error = reply.speaking.exception()
        if isinstance(error, BackendUnavailable):
            DEGRADED_REPLIES.labels("tts").inc()
            await self.sink.send_event({"type": "degraded", "service": "tts", "message": TTS_DOWN_MESSAGE})
        elif error is not None:
            raise error

    async def _stream_audio(self, reply: _Reply, text: str, stages: dict[str, float]) -> None:
        output = self.options.output
        pacer = Pacer(self.options.lead_ms / 1000.0, self._clock) if self.options.pace_output else None
        frame_bytes = max(2, output.bytes_per_second * self.options.frame_ms // 1000 // 2 * 2)
        requested_at = self._clock()
        pieces = self.synthesizer.stream(text, self.options.voice, output, self.session_id)
        async with aclosing(pieces) as stream:
            async for piece in stream:
                for start in range(0, len(piece.audio), frame_bytes):
                    frame = piece.audio[start : start + frame_bytes]
                    if pacer is not None:
                        await pacer.before_sending(len(frame) / output.bytes_per_second)
                    if reply.interrupted:
                        return
                    if reply.first_audio_at is None:
                        reply.first_audio_at = self._clock()
                        stages["tts_first_audio"] = (reply.first_audio_at - requested_at) * 1000.0
                        stages["reply_first_audio"] = (reply.first_audio_at - reply.received_at) * 1000.0
                        await self._set_state(State.SPEAKING)
                        await self.sink.send_event(
                            {
                                "type": "audio_start",
                                "reply": reply.number,
                                "format": asdict(output),
                                "stages": _rounded(stages),
                            }
                        )
                    await self.sink.send_audio(frame)
                    reply.audio_bytes += len(frame)
        stages["tts_total"] = (self._clock() - requested_at) * 1000.0
        if reply.first_audio_at is not None:
            await self.sink.send_event(
                {"type": "audio_end", "reply": reply.number, "audio_ms": self._audio_ms(reply.audio_bytes)}
            )

    # --- helpers ------------------------------------------------------------------------------

    def _audio_ms(self, nbytes: int) -> float:
        return round(nbytes * 1000.0 / self.options.output.bytes_per_second, 1)

    async def _set_state(self, state: State) -> None:
        if state != self.state:
            self.state = state
            await self.sink.send_event({"type": "state", "state": state.value})

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("conversation turn failed", exc_info=task.exception())
