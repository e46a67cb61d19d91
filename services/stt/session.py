"""One streaming recognition: audio chunks in, speech events and transcripts out (no gRPC here).

Reading, VAD and decoding overlap: a reader task paces and segments the audio
(VAD in a worker thread), decodes run in the shared :class:`DecodePool`, and
events are handed to the caller through a queue as soon as they exist. When a
pause begins the utterance is decoded speculatively; if the hangover then
confirms the end, that decode is the final (usually already done, so the final
follows the end of speech at once); if the speech resumes it is ignored. With
``tentative`` on, the speculative decode is also sent as a tentative transcript
as soon as it is done (a client can prepare its reply during the hangover), and
a :class:`SpeechResumedEvent` withdraws it if the caller goes on speaking.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np

from services.common.errors import ResourceExhausted, ServiceError
from services.stt.audio import StreamResampler
from services.stt.decoder import Decoded, DecodePool
from services.stt.endpointing import EndpointConfig
from services.stt.segmenter import (
    PartialDue,
    PauseBegan,
    PauseEnded,
    Segmenter,
    SegmentEvent,
    UtteranceEnded,
    UtteranceStarted,
)
from services.stt.vad import SileroVad


@dataclass(frozen=True)
class StreamOptions:
    """A validated per-stream configuration."""

    sample_rate: int
    language: str
    endpoint: EndpointConfig
    partial_interval_ms: int  # 0: no partials
    preroll_ms: int
    tentative: bool = False  # send tentative transcripts and speech-resumed events


@dataclass(frozen=True)
class StreamLimits:
    rate_limit: Literal["reject", "throttle", "off"] = "reject"
    burst_ms: float = 3000.0
    idle_timeout_s: float = 30.0
    max_stream_s: float = 1800.0


@dataclass(frozen=True)
class SpeechStartedEvent:
    index: int
    offset_ms: float


@dataclass(frozen=True)
class SpeechEndedEvent:
    index: int
    offset_ms: float
    discarded: bool


@dataclass(frozen=True)
class SpeechResumedEvent:
    """The speech went on after a pause: the utterance's tentative transcript no longer holds."""

    index: int
    offset_ms: float


TranscriptKind = Literal["partial", "tentative", "final"]


@dataclass(frozen=True)
class TranscriptEvent:
    index: int
    kind: TranscriptKind
    text: str
    confidence: float
    start_ms: float
    end_ms: float
    stages: dict[str, float] = field(default_factory=dict)
    total_ms: float = 0.0

    @property
    def final(self) -> bool:
        return self.kind == "final"


StreamEvent = SpeechStartedEvent | SpeechEndedEvent | SpeechResumedEvent | TranscriptEvent


class _Done:
    """Marks the end of the event queue."""


_DONE = _Done()
T = TypeVar("T")


class RealTimePacer:
    """Keeps a stream's audio from running more than ``burst_ms`` ahead of the wall clock."""

    def __init__(self, limits: StreamLimits) -> None:
        self.limits = limits
        self._started: float | None = None
        self.audio_ms = 0.0

    def ahead_ms(self, now: float) -> float:
        if self._started is None:
            self._started = now
        return self.audio_ms - (now - self._started) * 1000.0

    def admit(self, chunk_ms: float, now: float) -> float:
        """Account for a chunk received at ``now``; returns how long to pause reading (throttle)."""
        ahead = self.ahead_ms(now) + chunk_ms
        self.audio_ms += chunk_ms
        excess = ahead - self.limits.burst_ms
        if self.limits.rate_limit == "off" or excess <= 0:
            return 0.0
        if self.limits.rate_limit == "reject":
            raise ResourceExhausted(
                f"audio is arriving faster than real time ({ahead:.0f} ms ahead; the burst allowance is "
                f"{self.limits.burst_ms:.0f} ms): stream it at its natural pace"
            )
        return excess / 1000.0


class StreamingSession:
    def __init__(
        self,
        *,
        vad: SileroVad,
        pool: DecodePool,
        vad_executor: Executor,
        options: StreamOptions,
        limits: StreamLimits,
    ) -> None:
        self._pool = pool
        self._vad_executor = vad_executor
        self._options = options
        self._limits = limits
        self._resampler = StreamResampler(options.sample_rate)
        self._segmenter = Segmenter(
            vad.stream(),
            options.endpoint,
            preroll_ms=options.preroll_ms,
            partial_interval_ms=options.partial_interval_ms,
        )
        self._out: asyncio.Queue[StreamEvent | Exception | _Done] = asyncio.Queue()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._speculation: tuple[int, int, asyncio.Task[Decoded]] | None = None
        self._tentative_sent = False  # for the current speculation
        self._partial_running = False
        self._utterance_start_ms = 0.0
        self._ended_index = -1
        self._finals: asyncio.Task[None] | None = None

    async def events(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[StreamEvent]:
        reader = self._spawn(self._read(chunks))
        try:
            while True:
                item = await self._out.get()
                if isinstance(item, _Done):
                    return
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            reader.cancel()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _read(self, chunks: AsyncIterator[bytes]) -> None:
        try:
            limit_error = await self._consume(chunks)
            await self._segment(self._resampler.flush(), finish=True)
            if self._finals is not None:
                await self._finals
            self._out.put_nowait(limit_error or _DONE)
        except Exception as error:  # handed to the caller, who raises it
            self._out.put_nowait(error)

    async def _consume(self, chunks: AsyncIterator[bytes]) -> ServiceError | None:
        """Read, pace and segment the audio; returns the limit error that ended it early, if any."""
        pacer = RealTimePacer(self._limits)
        iterator = aiter(chunks)
        bytes_per_ms = self._options.sample_rate * 2 / 1000.0
        while True:
            try:
                data = await asyncio.wait_for(anext(iterator), self._limits.idle_timeout_s)
            except StopAsyncIteration:
                return None
            except TimeoutError:
                return ResourceExhausted(
                    f"no audio received for {self._limits.idle_timeout_s:g} s: stream closed (idle timeout)"
                )
            pause_s = pacer.admit(len(data) / bytes_per_ms, time.monotonic())
            await self._segment(self._resampler.push(data), finish=False)
            if self._resampler.input_ms > self._limits.max_stream_s * 1000.0:
                return ResourceExhausted(f"the stream exceeded its maximum duration of {self._limits.max_stream_s:g} s")
            if pause_s:
                await asyncio.sleep(pause_s)

    async def _segment(self, audio: np.ndarray, *, finish: bool) -> None:
        loop = asyncio.get_running_loop()

        def run() -> list[SegmentEvent]:
            events = self._segmenter.push(audio)
            return events + self._segmenter.finish() if finish else events

        for event in await loop.run_in_executor(self._vad_executor, run):
            self._handle(event)

    def _handle(self, event: SegmentEvent) -> None:
        language = self._options.language
        if isinstance(event, UtteranceStarted):
            self._utterance_start_ms = event.offset_ms
            self._out.put_nowait(SpeechStartedEvent(event.index, event.offset_ms))
        elif isinstance(event, PartialDue):
            if not self._partial_running:
                self._partial_running = True
                self._spawn(self._partial(event))
        elif isinstance(event, PauseBegan):
            task = self._spawn(self._pool.decode(event.audio, language))
            self._speculation = (event.index, len(event.audio), task)
            if self._options.tentative:
                self._spawn(self._tentative(task, event))
        elif isinstance(event, PauseEnded):
            if self._tentative_sent:
                self._out.put_nowait(SpeechResumedEvent(event.index, event.offset_ms))
            self._drop_speculation()
        elif isinstance(event, UtteranceEnded):
            self._ended_index = event.index
            self._out.put_nowait(SpeechEndedEvent(event.index, event.offset_ms, event.discarded))
            if event.discarded:
                self._drop_speculation()
                return
            speculation = self._speculation
            if speculation and speculation[:2] == (event.index, len(event.audio)):
                self._speculation = None
                decode = speculation[2]
            else:
                self._drop_speculation()
                decode = self._spawn(self._pool.decode(event.audio, language))
            self._finals = self._spawn(self._final(self._finals, decode, event, time.perf_counter()))

    def _drop_speculation(self) -> None:
        """Speech resumed: a queued speculative decode is cancelled (a running one ends unheard)."""
        if self._speculation is not None:
            self._speculation[2].cancel()
            self._speculation = None
        self._tentative_sent = False

    async def _tentative(self, decode: asyncio.Task[Decoded], event: PauseBegan) -> None:
        """Send the speculative decode as a tentative transcript if the pause is still going on."""
        await asyncio.wait({decode})
        current = self._speculation is not None and self._speculation[2] is decode
        if not current or decode.cancelled() or decode.exception() is not None:
            return  # speech resumed, the end was confirmed (the final follows) or the decode failed
        decoded = decode.result()
        if not decoded.recognition.text:
            return
        self._tentative_sent = True
        self._out.put_nowait(
            TranscriptEvent(
                event.index,
                "tentative",
                decoded.recognition.text,
                decoded.recognition.confidence,
                self._utterance_start_ms,
                event.offset_ms,
                {"queue": decoded.queue_ms, "decode": decoded.decode_ms},
                decoded.queue_ms + decoded.decode_ms,
            )
        )

    async def _partial(self, event: PartialDue) -> None:
        try:
            decoded = await self._pool.decode_if_idle(event.audio, self._options.language)
        finally:
            self._partial_running = False
        if decoded is None or event.index <= self._ended_index or not decoded.recognition.text:
            return
        self._out.put_nowait(
            TranscriptEvent(
                event.index,
                "partial",
                decoded.recognition.text,
                decoded.recognition.confidence,
                self._utterance_start_ms,
                event.offset_ms,
                {"decode": decoded.decode_ms},
                decoded.decode_ms,
            )
        )

    async def _final(
        self,
        previous: asyncio.Task[None] | None,
        decode: asyncio.Task[Decoded],
        event: UtteranceEnded,
        confirmed_at: float,
    ) -> None:
        try:
            if previous is not None:
                await previous
            decoded = await decode
        except Exception as error:
            self._out.put_nowait(error)
            return
        after_endpoint_ms = (time.perf_counter() - confirmed_at) * 1000.0
        stages = {"queue": decoded.queue_ms, "decode": decoded.decode_ms, "after_endpoint": after_endpoint_ms}
        self._out.put_nowait(
            TranscriptEvent(
                event.index,
                "final",
                decoded.recognition.text,
                decoded.recognition.confidence,
                event.start_ms,
                event.end_ms,
                stages,
                after_endpoint_ms,
            )
        )
