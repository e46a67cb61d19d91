"""gRPC transport of the tts service: proto ↔ Synthesizer, and process start-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing

import grpc
from voiceagent.v1 import common_pb2, tts_pb2, tts_pb2_grpc

from services.common.config import S3Settings, load_settings
from services.common.server import Registration, Runtime, run_service
from services.common.stores import connect_s3
from services.common.timing import timing_proto
from services.tts.audio import AudioFormat
from services.tts.cache import AudioCache
from services.tts.config import TtsSettings
from services.tts.engines import load_engines
from services.tts.synthesizer import SpeechRequest, Synthesizer
from services.tts.voices import VoiceCatalog

_ENCODING_NAMES = {
    common_pb2.AUDIO_ENCODING_UNSPECIFIED: "",
    common_pb2.PCM16: "pcm16",
    common_pb2.MULAW: "mulaw",
    common_pb2.WAV: "wav",
    common_pb2.FLAC: "flac",
}
_ENCODING_VALUES = {name: value for value, name in _ENCODING_NAMES.items() if name}


def _format_proto(fmt: AudioFormat) -> common_pb2.AudioFormat:
    return common_pb2.AudioFormat(encoding=_ENCODING_VALUES[fmt.encoding], sample_rate_hz=fmt.sample_rate, channels=1)


class TextToSpeechServicer(tts_pb2_grpc.TextToSpeechServicer):
    def __init__(self, synthesizer: Synthesizer) -> None:
        self._synthesizer = synthesizer

    async def _prepare(self, request: tts_pb2.SynthesizeRequest, default_encoding: str = "") -> SpeechRequest:
        fmt = request.format
        encoding = _ENCODING_NAMES.get(fmt.encoding, f"#{fmt.encoding}") or default_encoding
        return await self._synthesizer.prepare_async(
            request.text, request.voice, encoding, fmt.sample_rate_hz, fmt.channels
        )

    async def Synthesize(
        self, request: tts_pb2.SynthesizeRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[tts_pb2.AudioChunk]:
        speech = await self._prepare(request)
        fmt = _format_proto(speech.fmt)
        async with aclosing(self._synthesizer.stream(speech)) as parts:  # a cancelled call stops the synthesis
            async for part in parts:
                yield tts_pb2.AudioChunk(
                    audio=part.audio,
                    format=fmt,
                    sentence_index=part.sentence.index,
                    text=part.sentence.text,
                    cached=part.cached,
                    last=part.last,
                    timing=timing_proto(part.stages, part.elapsed_ms),
                    spoken_text=part.sentence.spoken,
                    voice=part.voice,
                    duration_ms=part.duration_ms,
                )

    async def SynthesizeToUrl(
        self, request: tts_pb2.SynthesizeRequest, context: grpc.aio.ServicerContext
    ) -> tts_pb2.SynthesizeToUrlResponse:
        speech = await self._prepare(request, default_encoding="wav")
        result = await self._synthesizer.to_url(speech)
        return tts_pb2.SynthesizeToUrlResponse(
            url=result.url,
            format=_format_proto(result.fmt),
            duration_ms=result.duration_ms,
            cached=result.cached,
            cache_key=result.cache_key,
            timing=timing_proto(result.stages, result.elapsed_ms),
            voice=speech.voice.name,
            expires_in_s=self._synthesizer.url_expiry_s,
        )

    async def ListVoices(
        self, request: tts_pb2.ListVoicesRequest, context: grpc.aio.ServicerContext
    ) -> tts_pb2.ListVoicesResponse:
        catalog = self._synthesizer.catalog
        voices = [
            tts_pb2.Voice(name=v.name, language=v.language, engine=v.engine, native_sample_rate_hz=v.native_sample_rate)
            for v in catalog.voices()
        ]
        return tts_pb2.ListVoicesResponse(voices=voices, default_voice=catalog.default.name)


def _audio_cache(settings: TtsSettings) -> AudioCache:
    from minio import Minio

    s3 = load_settings(S3Settings)
    presigner = (
        Minio(
            settings.presign_endpoint,
            access_key=s3.access_key,
            secret_key=s3.secret_key,
            secure=s3.secure,
            region=s3.region,
        )
        if settings.presign_endpoint
        else None
    )
    return AudioCache(
        lambda: connect_s3(s3),
        s3.bucket,
        f"{settings.agent_slug}/tts",
        presigner=presigner,
        lookup_timeout_s=settings.cache_lookup_timeout_s,
        max_pending_writes=settings.cache_max_pending_writes,
        retry_after_s=settings.cache_retry_after_s,
    )


def main() -> None:
    settings = load_settings(TtsSettings)

    async def build() -> Runtime:
        engines = await asyncio.to_thread(load_engines, settings)
        catalog = VoiceCatalog(engines, settings.language, settings.default_voice)
        cache = _audio_cache(settings) if settings.cache_enabled else None
        if cache is not None:
            await cache.start()
        synthesizer = Synthesizer(
            catalog,
            cache,
            max_text_chars=settings.max_text_chars,
            max_sentence_chars=settings.max_sentence_chars,
            opening_max_chars=settings.opening_max_chars,
            sentence_pause_ms=settings.sentence_pause_ms,
            lookahead=settings.stream_lookahead,
            workers=settings.synthesis_workers,
            url_expiry_s=settings.url_expiry_s,
        )
        servicer = TextToSpeechServicer(synthesizer)

        async def close() -> None:
            if cache is not None:
                await cache.close()
            synthesizer.close()

        return Runtime(
            registrations=[
                Registration(
                    tts_pb2.DESCRIPTOR.services_by_name["TextToSpeech"].full_name,
                    lambda server: tts_pb2_grpc.add_TextToSpeechServicer_to_server(servicer, server),
                )
            ],
            close=close,
        )

    run_service("tts", settings, build)
