"""A live voice conversation: caller audio → recognizer events → turns → spoken replies.

States: IDLE → LISTENING → THINKING → SPEAKING → LISTENING, and on barge-in
(the caller starts speaking while the agent thinks or speaks)
INTERRUPTED → LISTENING. Barge-in cancels the reply's synthesis and stops its
audio at once; the turn itself (which may have booked something) still
completes and is recorded, only its audio is dropped.

While the recognizer confirms the end of an utterance (the silence hangover),
the reply is drafted from its tentative transcript and its audio synthesized
ahead; when the final transcript says the same, the turn is taken from the
draft and the first audio leaves at once. If the caller goes on speaking, the
draft is dropped (it changed nothing: the booking flow only runs on finals).

Reply audio is paced: it runs at most ``lead_ms`` ahead of real-time playback,
so there is still something to cut when the caller barges in. Clients that
write audio to a file may ask for unpaced audio.

Events sent to the client (JSON objects with a ``type``):
``state`` (state), ``speech_started``, ``speech_ended``, ``transcript``
(text, final, utterance), ``intent`` (intent, confidence, entities),
``answer`` (text, route, sources, booking, degraded, drafted), ``audio_start`` (format, and the
stage timings up to the first audio, with tts's own for the first sentence as ``tts_<stage>``:
cache_lookup, queue, synthesize, encode),
binary audio frames, ``audio_end`` (audio_ms), ``interrupted`` (audio_ms,
stop_ms), ``timings`` (stages in ms), ``degraded`` (service, message) and
``error`` (code, message).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from services.common.errors import BackendUnavailable, ServiceError
from services.gateway.engine import Draft, TurnResult
from services.gateway.metrics import BARGE_INS, DEGRADED_REPLIES, REPLY_LATENCY, observe_stages
from services.gateway.ports import AudioPiece, OutputFormat, RecognizerPort, SpeechEvent, SynthesizerPort
from services.gateway.prefetch import PrefetchedAudio

log = logging.getLogger(__name__)


class Turns(Protocol):
    """The turns of the conversation's session (``TurnService`` bound to one session)."""

    async def draft(self, text: str) -> Draft: ...

    async def take(self, text: str, channel: str, draft: Draft | None = None) -> TurnResult: ...


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
    draft_replies: bool = True  # prepare the reply from tentative transcripts during the hangover
    partials: bool = True  # ask the recognizer for partial transcripts


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
class _Speculation:
    """A reply drafted (and its audio prefetched) from an utterance's tentative transcript."""

    utterance: int
    text: str
    task: asyncio.Task[tuple[Draft, PrefetchedAudio | None]]

    async def prepared(self) -> tuple[Draft | None, PrefetchedAudio | None]:
        """The draft and audio, or nothing when drafting failed (the turn is then taken afresh)."""
        try:
            await asyncio.wait({self.task})
        except asyncio.CancelledError:  # the conversation is closing: nothing may be left running
            await self.drop()
            raise
        return self._outcome()

    def _outcome(self) -> tuple[Draft | None, PrefetchedAudio | None]:
        if self.task.cancelled() or self.task.exception() is not None:
            return None, None
        return self.task.result()

    async def drop(self) -> None:
        self.task.cancel()
        await asyncio.wait({self.task})
        draft, audio = self._outcome()
        if draft is not None:
            await draft.discard()
        if audio is not None:
            await audio.cancel()


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
        turns: Turns,
        recognizer: RecognizerPort,
        synthesizer: SynthesizerPort,
        sink: EventSink,
        options: VoiceOptions,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.session_id = session_id
        self.turns = turns
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
        self._speculation: _Speculation | None = None

    # --- inputs -------------------------------------------------------------------------------

    async def listen(self, audio: AsyncIterator[bytes]) -> bool:
        """Recognize the caller's audio and react to it until the recognition stream ends.

        Returns False when the recognizer failed; the failure is reported to the
        client and text messages keep working.
        """
        await self._set_state(State.LISTENING)
        options = self.options
        stream = self.recognizer.stream(
            audio, options.input_rate_hz, self.session_id, options.silence_ms, options.partials
        )
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
        await self._drop_speculation()
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
            await self._drop_speculation()
            await self._barge_in()
        elif event.kind == "tentative":
            await self._speculate(event)
        elif event.kind == "speech_resumed":
            await self._drop_speculation()
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
            if final:
                speculation = await self._claim_speculation(event)
                if event.text.strip():
                    stt = {"stt": event.timings["total"]} if "total" in event.timings else {}
                    self._spawn(self._respond(event.text.strip(), "voice", stt, speculation))
                elif speculation is not None:
                    await speculation.drop()

    # --- drafting replies ahead of the final transcript -----------------------------------------

    async def _speculate(self, event: SpeechEvent) -> None:
        await self._drop_speculation()
        text = event.text.strip()
        if self.options.draft_replies and text:
            self._speculation = _Speculation(event.utterance_index, text, asyncio.create_task(self._draft(text)))

    async def _draft(self, text: str) -> tuple[Draft, PrefetchedAudio | None]:
        draft = await self.turns.draft(text)
        if draft.result is None or not self.options.audio_replies:
            return draft, None
        voice, output = self.options.voice, self.options.output
        return draft, PrefetchedAudio(self.synthesizer.stream(draft.result.reply, voice, output, self.session_id))

    async def _claim_speculation(self, final: SpeechEvent) -> _Speculation | None:
        """The speculation made for this final transcript, if any; any other is dropped."""
        speculation, self._speculation = self._speculation, None
        if speculation is None:
            return None
        if speculation.utterance == final.utterance_index and speculation.text == final.text.strip():
            return speculation
        await speculation.drop()
        return None

    async def _drop_speculation(self) -> None:
        speculation, self._speculation = self._speculation, None
        if speculation is not None:
            await speculation.drop()

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

    async def _respond(
        self, text: str, channel: str, stt_timings: dict[str, float], speculation: _Speculation | None = None
    ) -> None:
        received_at = self._clock()
        async with self._turn_lock:
            self._replies += 1
            reply = _Reply(self._replies, received_at)
            self._current = reply
            draft, audio = await speculation.prepared() if speculation is not None else (None, None)
            try:
                await self._set_state(State.THINKING)
                try:
                    result = await self.turns.take(text, channel, draft)
                except ServiceError as error:
                    await self.sink.send_event(
                        {"type": "error", "code": type(error).__name__, "message": error.message}
                    )
                    return
                if audio is not None and not result.drafted:  # the draft was stale: its audio is not this reply
                    await audio.cancel()
                    audio = None
                await self._announce(reply, result)
                stages = {**stt_timings, **result.timings}
                if self.options.audio_replies and not reply.interrupted:
                    await self._speak(reply, result.reply, stages, audio)
                if reply.first_audio_at is not None:
                    REPLY_LATENCY.observe(reply.first_audio_at - reply.received_at)
                observe_stages({name: ms for name, ms in stages.items() if name.startswith("tts")})
                if not reply.interrupted:
                    await self._set_state(State.LISTENING)
                await self.sink.send_event({"type": "timings", "reply": reply.number, "stages": _rounded(stages)})
            finally:
                if audio is not None:
                    await audio.cancel()
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
                "drafted": result.drafted,
            }
        )

    async def _speak(
        self, reply: _Reply, text: str, stages: dict[str, float], prefetched: PrefetchedAudio | None
    ) -> None:
        """Synthesize (or play the prefetched audio) in a task of its own so that barge-in can cancel it."""
        if prefetched is not None:
            pieces = prefetched.pieces()
        else:
            pieces = self.synthesizer.stream(text, self.options.voice, self.options.output, self.session_id)
        reply.speaking = asyncio.create_task(self._stream_audio(reply, pieces, stages))
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

    async def _stream_audio(
        self, reply: _Reply, pieces: AsyncGenerator[AudioPiece, None], stages: dict[str, float]
    ) -> None:
        output = self.options.output
        pacer = Pacer(self.options.lead_ms / 1000.0, self._clock) if self.options.pace_output else None
        frame_bytes = max(2, output.bytes_per_second * self.options.frame_ms // 1000 // 2 * 2)
        requested_at = self._clock()
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
                        stages.update({f"tts_{stage}": ms for stage, ms in piece.timings.items() if stage != "total"})
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
