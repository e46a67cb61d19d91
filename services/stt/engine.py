"""The speech engine: shared models and pools, stream admission, whole-file recognition."""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from services.common.errors import InvalidInput, ResourceExhausted
from services.stt.audio import TARGET_RATE, StreamResampler, decode_container, decode_raw_pcm16
from services.stt.bandwidth import NarrowbandRouter
from services.stt.config import SttSettings
from services.stt.decoder import DecodePool
from services.stt.endpointing import EndpointConfig
from services.stt.models import MOONSHINE_BASE, locate_model
from services.stt.moonshine import MoonshineRecognizer
from services.stt.moonshine_model import prepared_moonshine_dir
from services.stt.recognizer import CascadeRecognizer, DecodeOptions, Recognizer, WhisperRecognizer
from services.stt.segmenter import Segmenter, UtteranceEnded
from services.stt.session import StreamEvent, StreamingSession, StreamLimits, StreamOptions, TranscriptEvent
from services.stt.vad import SileroVad

STREAM_ENCODINGS = {"PCM16", "AUDIO_ENCODING_UNSPECIFIED"}  # unspecified means PCM16 when streaming


@dataclass(frozen=True)
class FileTranscript:
    text: str
    confidence: float
    duration_ms: float
    utterances: list[TranscriptEvent]
    stages: dict[str, float] = field(default_factory=dict)


def load_recognizer(settings: SttSettings) -> Recognizer:
    """The configured model, behind a cascade to the fallback model and a router of
    telephone-band finals to the narrowband model, for those that are set (each model loads once)."""
    options = DecodeOptions(
        beam_size=settings.stt_beam_size, min_window_s=settings.stt_min_window_s, prompt=settings.stt_prompt
    )

    def load(model: str, draft_nice: int | None) -> Recognizer:
        if model == MOONSHINE_BASE:  # drafts run on the pool's lower-priority thread itself
            model_dir = prepared_moonshine_dir(model_cache(settings))
            return MoonshineRecognizer(model_dir, threads_per_worker=settings.stt_decode_threads)
        return WhisperRecognizer(
            locate_model(model),
            workers=settings.stt_decode_workers,
            threads_per_worker=settings.stt_decode_threads,
            compute_type=settings.stt_compute_type,
            options=options,
            draft_nice=draft_nice,
        )

    @functools.cache
    def strong(model: str) -> Recognizer:
        return load(model, None)  # never decodes drafts

    recognizer = load(settings.stt_model, settings.stt_partial_nice)
    if settings.stt_fallback_model:
        recognizer = CascadeRecognizer(
            recognizer, strong(settings.stt_fallback_model), settings.stt_fallback_confidence
        )
    if settings.stt_narrowband_model and settings.stt_narrowband_model != settings.stt_model:
        recognizer = NarrowbandRouter(recognizer, strong(settings.stt_narrowband_model))
    return recognizer


def model_cache(settings: SttSettings) -> Path:
    if settings.stt_model_cache:
        return Path(settings.stt_model_cache)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "voiceagent"


class SpeechEngine:
    def __init__(self, settings: SttSettings, recognizer: Recognizer, vad: SileroVad) -> None:
        self.settings = settings
        self.recognizer = recognizer
        self.vad = vad
        self.pool = DecodePool(recognizer, settings.stt_decode_workers, settings.stt_partial_nice)
        self._vad_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="stt-vad")
        self.active_streams = 0
        self.limits = StreamLimits(
            rate_limit=settings.stt_rate_limit,
            burst_ms=settings.stt_burst_ms,
            idle_timeout_s=settings.stt_idle_timeout_s,
            max_stream_s=settings.stt_max_stream_s,
        )

    @classmethod
    def load(cls, settings: SttSettings) -> SpeechEngine:
        return cls(settings, load_recognizer(settings), SileroVad(hop_ms=settings.stt_vad_hop_ms))

    def close(self) -> None:
        self.pool.close()
        self._vad_executor.shutdown(wait=False, cancel_futures=True)

    def _language(self, language: str) -> str:
        language = (language or self.settings.language).lower()
        if not self.recognizer.supports_language(language):
            raise InvalidInput(
                f"language {language!r} is not supported by the speech model {self.settings.stt_model!r}"
            )
        return language

    def stream_options(
        self,
        *,
        encoding: str,
        sample_rate: int,
        channels: int = 1,
        language: str = "",
        hangover_ms: int = 0,
        min_speech_ms: int = 0,
        max_utterance_ms: int = 0,
        partials: bool = True,
    ) -> StreamOptions:
        """Validate a client's stream configuration; 0 means the server default."""
        s = self.settings
        if encoding not in STREAM_ENCODINGS:
            raise InvalidInput(f"unsupported encoding {encoding} for streaming; send PCM16 (little-endian mono)")
        if channels not in (0, 1):
            raise InvalidInput(f"only mono audio is supported (got {channels} channels)")
        _check_range("silence_hangover_ms", hangover_ms, 64, 5000)
        _check_range("min_speech_ms", min_speech_ms, 0, 5000)
        _check_range("max_utterance_ms", max_utterance_ms, 1000, s.stt_max_utterance_ms)
        StreamResampler(sample_rate)  # validates the rate with a clear message
        return StreamOptions(
            sample_rate=sample_rate,
            language=self._language(language),
            endpoint=self.endpoint_config(hangover_ms, min_speech_ms, max_utterance_ms),
            partial_interval_ms=s.stt_partial_interval_ms if partials else 0,
            preroll_ms=s.stt_preroll_ms,
        )

    async def stream(self, options: StreamOptions, chunks: AsyncIterator[bytes]) -> AsyncIterator[StreamEvent]:
        if self.active_streams >= self.settings.stt_max_streams:
            raise ResourceExhausted(
                f"this server is at its limit of {self.settings.stt_max_streams} concurrent streams; retry on another"
            )
        self.active_streams += 1
        try:
            session = StreamingSession(
                vad=self.vad, pool=self.pool, vad_executor=self._vad_executor, options=options, limits=self.limits
            )
            async for event in session.events(chunks):
                yield event
        finally:
            self.active_streams -= 1

    def decode_file(self, data: bytes, encoding: str, sample_rate: int) -> np.ndarray:
        """WAV/FLAC (self-describing) or raw PCM16 at ``sample_rate`` as 16 kHz float32."""
        if not data:
            raise InvalidInput("the audio is empty")
        if encoding == "AUDIO_ENCODING_UNSPECIFIED":
            encoding = {b"RIFF": "WAV", b"fLaC": "FLAC"}.get(data[:4], "")
            if not encoding:
                raise InvalidInput("set format.encoding: the audio is neither a WAV nor a FLAC file")
        if encoding in ("WAV", "FLAC"):
            audio = decode_container(data, encoding)
        elif encoding == "PCM16":
            audio = decode_raw_pcm16(data, sample_rate)
        else:
            raise InvalidInput(f"unsupported encoding {encoding}; use WAV, FLAC or PCM16")
        if len(audio) > self.settings.stt_max_file_s * TARGET_RATE:
            raise InvalidInput(f"the audio is longer than {self.settings.stt_max_file_s:g} s; stream it instead")
        return audio

    async def recognize(self, data: bytes, encoding: str, sample_rate: int, language: str) -> FileTranscript:
        """Whole-file recognition: cut into utterances by the VAD, decode each, join the text."""
        started = time.perf_counter()
        language = self._language(language)
        loop = asyncio.get_running_loop()
        audio = await loop.run_in_executor(self._vad_executor, self.decode_file, data, encoding, sample_rate)
        decoded_at = time.perf_counter()
        utterances = await loop.run_in_executor(self._vad_executor, self._utterances, audio)
        segmented_at = time.perf_counter()
        # One utterance at a time: a long file takes one worker at a time and never starves live streams.
        results = [await self.pool.decode(u.audio, language) for u in utterances]
        transcripts = [
            TranscriptEvent(u.index, "final", r.recognition.text, r.recognition.confidence, u.start_ms, u.end_ms)
            for u, r in zip(utterances, results, strict=True)
            if r.recognition.text
        ]
        weights = [t.end_ms - t.start_ms for t in transcripts]
        confidence = float(np.average([t.confidence for t in transcripts], weights=weights)) if transcripts else 0.0
        stages = {
            "decode_audio": (decoded_at - started) * 1000.0,
            "vad": (segmented_at - decoded_at) * 1000.0,
            "recognize": (time.perf_counter() - segmented_at) * 1000.0,
        }
        return FileTranscript(
            " ".join(t.text for t in transcripts), confidence, 1000.0 * len(audio) / TARGET_RATE, transcripts, stages
        )

    def endpoint_config(
        self, hangover_ms: int = 0, min_speech_ms: int = 0, max_utterance_ms: int = 0
    ) -> EndpointConfig:
        """The server's endpointing settings with a client's overrides (0 keeps the default)."""
        s = self.settings
        return EndpointConfig(
            threshold=s.stt_vad_threshold,
            hangover_ms=hangover_ms or s.stt_silence_hangover_ms,
            min_speech_ms=min_speech_ms or s.stt_min_speech_ms,
            max_utterance_ms=max_utterance_ms or s.stt_max_utterance_ms,
            speculate_after_ms=s.stt_speculate_after_ms,
        )

    def _utterances(self, audio: np.ndarray) -> list[UtteranceEnded]:
        segmenter = Segmenter(self.vad.stream(), self.endpoint_config(), preroll_ms=self.settings.stt_preroll_ms)
        events = segmenter.push(audio) + segmenter.finish()
        return [e for e in events if isinstance(e, UtteranceEnded) and not e.discarded]


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if value and not low <= value <= high:
        raise InvalidInput(f"{name} must be 0 (server default) or between {low} and {high} (got {value})")
