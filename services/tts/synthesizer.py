"""Text → audio, sentence by sentence, with the audio cache in front of the engines.

``stream`` pipelines: a producer task walks the sentences (cache lookup, else
synthesis in a worker thread, then a fire-and-forget cache write) and hands
finished sentences through a small queue, so sentence n+1 is being synthesized
while sentence n is on the wire; the queue bounds how far it runs ahead of a
slow reader. Synthesis threads take waiting sentences earliest deadline first:
a sentence is due when the audio before it in its reply has been played, and a
sentence several requests need at once is synthesized once. ``to_url`` renders
the whole utterance into one stored object and returns a presigned URL.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing, suppress
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from services.common.errors import BackendUnavailable, InvalidInput
from services.common.scheduling import DeadlineScheduler, SharedWork
from services.common.telemetry import STAGE_LATENCY
from services.tts.audio import AudioFormat, encode_raw, package, resolve_format, silence
from services.tts.cache import AudioCache, content_key
from services.tts.metrics import ENGINE_FALLBACKS
from services.tts.normalize import make_normalizer
from services.tts.segment import split_sentences
from services.tts.voices import VoiceCatalog, VoiceInfo

log = logging.getLogger(__name__)

CACHE_SCHEMA = "tts-audio-v1"
LOOKUP_WINDOW = 4
INLINE_PREPARE_CHARS = 500  # longer texts are split and normalized off the event loop
_TERMINAL = ".!?,;:"


@dataclass(frozen=True)
class Sentence:
    index: int
    text: str  # as written, for captions
    spoken: str  # normalized: what the voice says, and what the cache key covers


@dataclass(frozen=True)
class SpeechRequest:
    """A validated request: voice, output format and the sentences to speak."""

    voice: VoiceInfo
    fmt: AudioFormat
    sentences: tuple[Sentence, ...]
    received_at: float = field(default_factory=time.perf_counter)

    @property
    def spoken(self) -> str:
        return " ".join(sentence.spoken for sentence in self.sentences)


@dataclass
class SentenceAudio:
    sentence: Sentence
    audio: bytes  # in the requested format (a WAV chunk is a complete file)
    duration_ms: float
    cached: bool
    voice: str  # the voice that actually spoke (differs after an engine fallback)
    last: bool
    stages: dict[str, float]
    elapsed_ms: float  # since the request arrived


@dataclass
class UtteranceUrl:
    url: str
    fmt: AudioFormat
    duration_ms: float
    cached: bool
    cache_key: str
    stages: dict[str, float]
    elapsed_ms: float


@dataclass
class _Rendered:
    raw: bytes
    voice: VoiceInfo
    stages: dict[str, float]


class Synthesizer:
    """Validates requests and turns them into audio; knows nothing about gRPC."""

    def __init__(
        self,
        catalog: VoiceCatalog,
        cache: AudioCache | None = None,
        *,
        max_text_chars: int = 5000,
        max_sentence_chars: int = 300,
        opening_max_chars: int = 0,
        sentence_pause_ms: int = 120,
        lookahead: int = 1,
        workers: int = 2,
        url_expiry_s: int = 3600,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.catalog = catalog
        self._cache = cache
        self._max_text_chars = max_text_chars
        self._max_sentence_chars = max_sentence_chars
        self._opening_max_chars = opening_max_chars
        self._pause_ms = sentence_pause_ms
        self._lookahead = max(1, lookahead)
        self.url_expiry_s = url_expiry_s
        self._today = today
        self._normalizers: dict[str, Callable[[str], str]] = {}
        self._scheduler = DeadlineScheduler(workers, "tts-synth")
        self._rendering: SharedWork[_Rendered] = SharedWork()

    def close(self) -> None:
        self._scheduler.close()

    # --- validation ---------------------------------------------------------------------------

    def prepare(
        self, text: str, voice: str = "", encoding: str = "", sample_rate: int = 0, channels: int = 0
    ) -> SpeechRequest:
        """Check the request and split it into normalized sentences; InvalidInput says what is wrong."""
        received_at = time.perf_counter()
        if not text or not text.strip():
            raise InvalidInput("text is empty; send the words to speak")
        if len(text) > self._max_text_chars:
            raise InvalidInput(
                f"text is {len(text)} characters long; the limit is {self._max_text_chars} (split it into turns)"
            )
        chosen = self.catalog.resolve(voice)
        fmt = resolve_format(encoding, sample_rate, channels, native_rate=chosen.native_sample_rate)
        sentences = self.sentences(text, chosen.language)
        if not sentences:
            raise InvalidInput("text contains nothing to speak")
        return SpeechRequest(chosen, fmt, tuple(sentences), received_at)

    async def prepare_async(
        self, text: str, voice: str = "", encoding: str = "", sample_rate: int = 0, channels: int = 0
    ) -> SpeechRequest:
        """:meth:`prepare`, in a worker thread for long texts (normalizing 5000 characters takes ~30 ms)."""
        if len(text) <= INLINE_PREPARE_CHARS:
            return self.prepare(text, voice, encoding, sample_rate, channels)
        return await asyncio.to_thread(self.prepare, text, voice, encoding, sample_rate, channels)

    def sentences(self, text: str, language: str) -> list[Sentence]:
        normalizer = self._normalizers.get(language)
        if normalizer is None:
            normalizer = self._normalizers[language] = make_normalizer(language, self._today)
        result: list[Sentence] = []
        for written in split_sentences(text, self._max_sentence_chars, self._opening_max_chars):
            spoken = normalizer(written)
            if not any(char.isalnum() for char in spoken):
                continue
            if spoken[-1] not in _TERMINAL:
                spoken += "."
            result.append(Sentence(len(result), written, spoken))
        return result

    # --- keys ---------------------------------------------------------------------------------

    def _key(self, kind: str, voice: VoiceInfo, fmt: AudioFormat, spoken: str) -> str:
        fingerprint = self.catalog.engine_of(voice).fingerprint(voice.name)
        return content_key(CACHE_SCHEMA, kind, fingerprint, voice.name, fmt.tag, f"pause={self._pause_ms}ms", spoken)

    def _sentence_object(self, cache: AudioCache, voice: VoiceInfo, fmt: AudioFormat, spoken: str) -> str:
        return cache.object_name("sentences", self._key("sentence", voice, fmt.raw, spoken), fmt.raw.extension)

    # --- synthesis (worker thread) ------------------------------------------------------------

    def _render(self, spoken: str, voice: VoiceInfo, fmt: AudioFormat) -> _Rendered:
        began = time.perf_counter()
        try:
            samples = self.catalog.engine_of(voice).synthesize(spoken, voice.name)
        except Exception as error:
            fallback = self.catalog.fallback_for(voice)
            if fallback is None:
                raise BackendUnavailable("speech synthesis failed") from error
            log.warning(
                "engine failed; using the fallback voice",
                extra={"voice": voice.name, "fallback": fallback.name, "reason": repr(error)[:200]},
            )
            ENGINE_FALLBACKS.labels(voice.engine, fallback.engine).inc()
            try:
                samples = self.catalog.engine_of(fallback).synthesize(spoken, fallback.name)
            except Exception as fallback_error:
                raise BackendUnavailable("speech synthesis failed") from fallback_error
            voice = fallback
        synthesized = time.perf_counter()
        audio = np.concatenate([samples, silence(self._pause_ms, voice.native_sample_rate)])
        raw = encode_raw(audio, voice.native_sample_rate, fmt.raw)
        encoded = time.perf_counter()
        stages = {"synthesize": (synthesized - began) * 1000.0, "encode": (encoded - synthesized) * 1000.0}
        return _Rendered(raw, voice, stages)

    # --- streaming ----------------------------------------------------------------------------

    async def stream(self, request: SpeechRequest) -> AsyncGenerator[SentenceAudio, None]:
        """Audio for each sentence in order; the first leaves as soon as it is ready."""
        queue: asyncio.Queue[SentenceAudio | Exception] = asyncio.Queue(maxsize=self._lookahead)
        producer = asyncio.create_task(self._produce(request, queue))
        try:
            for _ in request.sentences:
                item = await queue.get()
                if isinstance(item, Exception):
                    raise item
                if item.sentence.index == 0:
                    STAGE_LATENCY.labels("tts", "first_audio").observe(item.elapsed_ms / 1000.0)
                yield item
        finally:
            producer.cancel()
            with suppress(asyncio.CancelledError):
                await producer

    async def _produce(self, request: SpeechRequest, queue: asyncio.Queue[SentenceAudio | Exception]) -> None:
        cache = self._cache
        lookups: dict[int, asyncio.Task[bytes | None]] = {}

        def look_up_from(index: int) -> None:
            """Cache lookups run a few sentences ahead, so a hit is ready when its turn comes."""
            if cache is None:
                return
            for sentence in request.sentences[index : index + LOOKUP_WINDOW]:
                if sentence.index not in lookups:
                    name = self._sentence_object(cache, request.voice, request.fmt, sentence.spoken)
                    lookups[sentence.index] = asyncio.create_task(cache.get(name))

        audio_ms = 0.0  # of the sentences before: when it has been played, the next one is due
        try:
            for sentence in request.sentences:
                look_up_from(sentence.index)
                due = request.received_at + audio_ms / 1000.0
                audio = await self._sentence_audio(request, sentence, lookups.pop(sentence.index, None), due)
                audio_ms += audio.duration_ms
                await queue.put(audio)
        except Exception as error:
            await queue.put(error)
        finally:
            for task in lookups.values():
                task.cancel()

    async def _sentence_audio(
        self, request: SpeechRequest, sentence: Sentence, lookup: asyncio.Task[bytes | None] | None, due: float
    ) -> SentenceAudio:
        fmt = request.fmt
        last = sentence.index == len(request.sentences) - 1
        stages: dict[str, float] = {}
        if lookup is not None:
            began = time.perf_counter()
            hit = await lookup
            stages["cache_lookup"] = (time.perf_counter() - began) * 1000.0
            if hit is not None:
                return self._audio(request, sentence, hit, True, request.voice, last, stages)
        key = (request.voice.name, fmt.raw.tag, sentence.spoken)
        rendered = await self._rendering.run(
            key, lambda: self._render_and_store(due, sentence.spoken, request.voice, fmt)
        )
        stages.update(rendered.stages)
        return self._audio(request, sentence, rendered.raw, False, rendered.voice, last, stages)

    async def _render_and_store(self, due: float, spoken: str, voice: VoiceInfo, fmt: AudioFormat) -> _Rendered:
        """Synthesize one sentence (shared by every request that needs it meanwhile) and cache it."""
        queued = time.perf_counter()
        rendered = await self._scheduler.run(due, self._render, spoken, voice, fmt)
        working_ms = rendered.stages["synthesize"] + rendered.stages["encode"]
        rendered.stages["queue"] = max(0.0, (time.perf_counter() - queued) * 1000.0 - working_ms)
        STAGE_LATENCY.labels("tts", "synthesize").observe(rendered.stages["synthesize"] / 1000.0)
        if self._cache is not None:
            name = self._sentence_object(self._cache, rendered.voice, fmt, spoken)
            self._cache.put_later(name, rendered.raw, fmt.raw.content_type)
        return rendered

    @staticmethod
    def _audio(
        request: SpeechRequest,
        sentence: Sentence,
        raw: bytes,
        cached: bool,
        voice: VoiceInfo,
        last: bool,
        stages: dict[str, float],
    ) -> SentenceAudio:
        elapsed_ms = (time.perf_counter() - request.received_at) * 1000.0
        return SentenceAudio(
            sentence,
            package(raw, request.fmt),
            request.fmt.duration_ms(len(raw)),
            cached,
            voice.name,
            last,
            stages,
            elapsed_ms,
        )

    # --- one object behind a URL --------------------------------------------------------------

    async def to_url(self, request: SpeechRequest) -> UtteranceUrl:
        """Store the whole utterance as one object (reusing cached sentences) and presign a URL to it."""
        cache = self._cache
        if cache is None:
            raise BackendUnavailable("no object storage is configured, so no audio URL can be made")
        fmt = request.fmt
        stages: dict[str, float] = {}
        began = time.perf_counter()
        key = self._key("utterance", request.voice, fmt, request.spoken)
        name = cache.object_name("utterances", key, fmt.extension)
        size = await cache.size_of(name)
        stages["cache_lookup"] = (time.perf_counter() - began) * 1000.0
        cached = size is not None
        if size is not None:
            duration_ms = fmt.duration_ms(size - fmt.header_bytes)
        else:
            raw_parts: list[bytes] = []
            voices: set[str] = set()
            async with aclosing(self.stream(replace(request, fmt=fmt.raw))) as parts:
                async for part in parts:
                    raw_parts.append(part.audio)
                    voices.add(part.voice)
                    for stage, ms in part.stages.items():
                        stages[stage] = stages.get(stage, 0.0) + ms
            raw = b"".join(raw_parts)
            duration_ms = fmt.duration_ms(len(raw))
            if voices != {request.voice.name}:
                # Fallback audio must not take the place of the real voice's audio in the cache.
                key = content_key(key, *sorted(voices))
                name = cache.object_name("utterances", key, fmt.extension)
            upload_began = time.perf_counter()
            await cache.put(name, package(raw, fmt), fmt.content_type)
            stages["upload"] = (time.perf_counter() - upload_began) * 1000.0
        presign_began = time.perf_counter()
        url = await cache.presign(name, self.url_expiry_s)
        stages["presign"] = (time.perf_counter() - presign_began) * 1000.0
        elapsed_ms = (time.perf_counter() - request.received_at) * 1000.0
        return UtteranceUrl(url, fmt, duration_ms, cached, key, stages, elapsed_ms)
