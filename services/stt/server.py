"""gRPC transport of the stt service: proto ↔ SpeechEngine, and process start-up."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import grpc
from voiceagent.v1 import common_pb2, stt_pb2, stt_pb2_grpc

from services.common.config import load_settings
from services.common.errors import InvalidInput
from services.common.server import Registration, Runtime, run_service
from services.common.telemetry import STAGE_LATENCY
from services.common.timing import timing_proto
from services.stt.config import SttSettings
from services.stt.engine import SpeechEngine
from services.stt.session import (
    SpeechEndedEvent,
    SpeechResumedEvent,
    SpeechStartedEvent,
    StreamEvent,
    StreamOptions,
    TranscriptEvent,
)


def _transcript(event: TranscriptEvent) -> stt_pb2.Transcript:
    return stt_pb2.Transcript(
        text=event.text,
        confidence=event.confidence,
        start_ms=event.start_ms,
        end_ms=event.end_ms,
        utterance_index=event.index,
        timing=timing_proto(event.stages, event.total_ms),
    )


def _response(event: StreamEvent) -> stt_pb2.StreamingRecognizeResponse:
    if isinstance(event, SpeechStartedEvent):
        started = stt_pb2.SpeechStarted(audio_offset_ms=event.offset_ms, utterance_index=event.index)
        return stt_pb2.StreamingRecognizeResponse(speech_started=started)
    if isinstance(event, SpeechEndedEvent):
        ended = stt_pb2.SpeechEnded(
            audio_offset_ms=event.offset_ms, utterance_index=event.index, discarded=event.discarded
        )
        return stt_pb2.StreamingRecognizeResponse(speech_ended=ended)
    if isinstance(event, SpeechResumedEvent):
        resumed = stt_pb2.SpeechResumed(audio_offset_ms=event.offset_ms, utterance_index=event.index)
        return stt_pb2.StreamingRecognizeResponse(speech_resumed=resumed)
    response = stt_pb2.StreamingRecognizeResponse()
    getattr(response, event.kind).CopyFrom(_transcript(event))
    return response


def _encoding_name(value: int) -> str:
    try:
        return common_pb2.AudioEncoding.Name(value)
    except ValueError:
        return f"#{value}"


async def _audio_chunks(requests: AsyncIterator[stt_pb2.StreamingRecognizeRequest]) -> AsyncIterator[bytes]:
    async for request in requests:
        if request.WhichOneof("request") != "audio":
            raise InvalidInput("only the first message may carry config; later ones carry audio")
        yield request.audio


class SpeechToTextServicer(stt_pb2_grpc.SpeechToTextServicer):
    def __init__(self, engine: SpeechEngine) -> None:
        self._engine = engine

    def _options(self, config: stt_pb2.RecognitionConfig) -> StreamOptions:
        options = self._engine.stream_options(
            encoding=_encoding_name(config.format.encoding),
            sample_rate=config.format.sample_rate_hz,
            channels=config.format.channels,
            language=config.language,
            hangover_ms=config.silence_hangover_ms,
            min_speech_ms=config.min_speech_ms,
            max_utterance_ms=config.max_utterance_ms,
            partials=not config.disable_partials,
        )
        return dataclasses.replace(options, tentative=config.tentative_results)

    async def StreamingRecognize(
        self, request_iterator: AsyncIterator[stt_pb2.StreamingRecognizeRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[stt_pb2.StreamingRecognizeResponse]:
        requests = aiter(request_iterator)
        try:
            first = await asyncio.wait_for(anext(requests), self._engine.settings.stt_idle_timeout_s)
        except StopAsyncIteration:
            raise InvalidInput("empty stream: the first message must carry config") from None
        except TimeoutError:
            raise InvalidInput("no config received: the first message must carry config") from None
        if first.WhichOneof("request") != "config":
            raise InvalidInput("the first message must carry config (sample rate, encoding, language)")
        options = self._options(first.config)
        async for event in self._engine.stream(options, _audio_chunks(requests)):
            if isinstance(event, TranscriptEvent) and event.final:
                for stage, ms in event.stages.items():
                    STAGE_LATENCY.labels("stt", f"final_{stage}").observe(ms / 1000.0)
            yield _response(event)

    async def Recognize(
        self, request: stt_pb2.RecognizeRequest, context: grpc.aio.ServicerContext
    ) -> stt_pb2.RecognizeResponse:
        result = await self._engine.recognize(
            request.audio, _encoding_name(request.format.encoding), request.format.sample_rate_hz, request.language
        )
        total_ms = sum(result.stages.values())
        return stt_pb2.RecognizeResponse(
            text=result.text,
            confidence=result.confidence,
            duration_ms=result.duration_ms,
            timing=timing_proto(result.stages, total_ms),
            utterances=[_transcript(u) for u in result.utterances],
        )


def main() -> None:
    settings = load_settings(SttSettings)

    async def build() -> Runtime:
        engine = await asyncio.to_thread(SpeechEngine.load, settings)
        servicer = SpeechToTextServicer(engine)

        async def close() -> None:
            engine.close()

        name = stt_pb2.DESCRIPTOR.services_by_name["SpeechToText"].full_name
        return Runtime(
            registrations=[
                Registration(name, lambda server: stt_pb2_grpc.add_SpeechToTextServicer_to_server(servicer, server))
            ],
            close=close,
        )

    run_service("stt", settings, build)
