"""The ports of ``ports.py`` over gRPC: thin conversions between protos and value types.

Unary calls go through :meth:`Downstream.call` (deadline, breaker, error mapping);
the two streaming calls (stt in, tts out) get the same treatment here.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import grpc
from voiceagent.v1 import (
    common_pb2,
    fsm_pb2,
    fsm_pb2_grpc,
    intent_pb2,
    intent_pb2_grpc,
    rag_pb2,
    rag_pb2_grpc,
    stt_pb2,
    stt_pb2_grpc,
    tts_pb2,
    tts_pb2_grpc,
)

from services.common.clients import Downstream, error_from_status
from services.gateway.ports import (
    Answer,
    AudioPiece,
    BookingTurn,
    IntentResult,
    OutputFormat,
    Source,
    SpeechEvent,
    SynthesizedUrl,
)

# Services whose calls may be retried by gRPC's retry policy (no side effects).
IDEMPOTENT = {
    "stt": [stt_pb2.DESCRIPTOR.services_by_name["SpeechToText"].full_name],
    "intent": [intent_pb2.DESCRIPTOR.services_by_name["IntentClassifier"].full_name],
    "rag": [rag_pb2.DESCRIPTOR.services_by_name["KnowledgeBase"].full_name],
    "tts": [tts_pb2.DESCRIPTOR.services_by_name["TextToSpeech"].full_name],
    "fsm": [],
}

_ENCODINGS = {"pcm16": common_pb2.PCM16, "mulaw": common_pb2.MULAW, "wav": common_pb2.WAV}


def timings_of(timing: common_pb2.Timing) -> dict[str, float]:
    """A downstream's Timing as {stage: ms}, with its total under ``total``."""
    stages = {stage.stage: stage.ms for stage in timing.stages}
    if timing.total_ms:
        stages["total"] = timing.total_ms
    return stages


async def _stream(
    downstream: Downstream, open_call: Callable[[tuple[tuple[str, str], ...]], Any]
) -> AsyncIterator[Any]:
    """Iterate a server-streaming call with the downstream's breaker and error mapping."""
    downstream.breaker.before_call()
    call = open_call(downstream.metadata())
    try:
        async for response in call:
            yield response
    except grpc.aio.AioRpcError as error:
        if error.code() in {
            grpc.StatusCode.UNAVAILABLE,
            grpc.StatusCode.DEADLINE_EXCEEDED,
            grpc.StatusCode.INTERNAL,
            grpc.StatusCode.UNKNOWN,
        }:
            downstream.breaker.record_failure()
        raise error_from_status(downstream.name, error) from None
    else:
        downstream.breaker.record_success()
    finally:
        call.cancel()


class GrpcIntent:
    def __init__(self, downstream: Downstream) -> None:
        self.downstream = downstream
        self.stub = intent_pb2_grpc.IntentClassifierStub(downstream.channel)

    async def classify(
        self, text: str, session_id: str, previous_intent: str, expecting: str, now: str
    ) -> IntentResult:
        request = intent_pb2.ClassifyRequest(
            text=text,
            session_id=session_id,
            context=intent_pb2.ConversationContext(previous_intent=previous_intent, expecting=expecting, now=now),
        )
        response = await self.downstream.call(self.stub.Classify, request)
        return IntentResult(
            response.intent,
            response.confidence,
            dict(response.entities),
            response.method,
            response.enriched_query,
            timings_of(response.timing),
        )


class GrpcKnowledge:
    def __init__(self, downstream: Downstream) -> None:
        self.downstream = downstream
        self.stub = rag_pb2_grpc.KnowledgeBaseStub(downstream.channel)

    async def query(self, text: str, session_id: str) -> Answer:
        response = await self.downstream.call(self.stub.Query, rag_pb2.QueryRequest(query=text, session_id=session_id))
        sources = tuple(
            Source(s.document, s.section, s.category, round(s.score, 4), s.snippet) for s in response.sources
        )
        return Answer(response.answer, response.found, response.confidence, sources, timings_of(response.timing))


class GrpcBooking:
    def __init__(self, downstream: Downstream) -> None:
        self.downstream = downstream
        self.stub = fsm_pb2_grpc.AppointmentBookingStub(downstream.channel)

    async def start(self, session_id: str, text: str, now: str) -> BookingTurn:
        request = fsm_pb2.StartRequest(session_id=session_id, text=text, now=now)
        return _booking_turn(await self.downstream.call(self.stub.Start, request))

    async def process_turn(
        self, session_id: str, text: str, now: str, intent: str, entities: dict[str, str]
    ) -> BookingTurn:
        request = fsm_pb2.TurnRequest(session_id=session_id, text=text, now=now, intent=intent, entities=entities)
        return _booking_turn(await self.downstream.call(self.stub.ProcessTurn, request))

    async def cancel(self, session_id: str) -> None:
        await self.downstream.call(self.stub.Cancel, fsm_pb2.CancelRequest(session_id=session_id))


def _booking_turn(response: fsm_pb2.TurnResponse) -> BookingTurn:
    state = response.state
    slots = {
        name: value
        for name, value in (
            ("preferred_date", state.slots.preferred_date),
            ("preferred_time", state.slots.preferred_time),
            ("purpose", state.slots.purpose),
            ("user_name", state.slots.user_name),
        )
        if value
    }
    appointment = {}
    if state.HasField("appointment") and state.appointment.code:
        a = state.appointment
        appointment = {
            "code": a.code,
            "date": a.date,
            "time": a.time,
            "purpose": a.purpose,
            "user_name": a.user_name,
            "status": a.status,
        }
    return BookingTurn(
        response.reply,
        state.state,
        state.expecting,
        slots,
        appointment,
        response.rejected,
        response.rejection_reason,
        timings_of(response.timing),
    )


class GrpcSynthesizer:
    def __init__(self, downstream: Downstream) -> None:
        self.downstream = downstream
        self.stub = tts_pb2_grpc.TextToSpeechStub(downstream.channel)

    async def stream(
        self, text: str, voice: str, output: OutputFormat, session_id: str
    ) -> AsyncGenerator[AudioPiece, None]:
        request = tts_pb2.SynthesizeRequest(
            text=text,
            voice=voice,
            session_id=session_id,
            format=common_pb2.AudioFormat(
                encoding=_ENCODINGS[output.encoding], sample_rate_hz=output.sample_rate_hz, channels=1
            ),
        )
        calls = _stream(
            self.downstream,
            lambda metadata: self.stub.Synthesize(request, timeout=self.downstream.timeout_s, metadata=metadata),
        )
        async for chunk in calls:
            yield AudioPiece(chunk.audio, chunk.sentence_index, chunk.text, chunk.last, timings_of(chunk.timing))

    async def to_url(self, text: str, voice: str, session_id: str) -> SynthesizedUrl:
        request = tts_pb2.SynthesizeRequest(
            text=text, voice=voice, session_id=session_id, format=common_pb2.AudioFormat(encoding=common_pb2.WAV)
        )
        response = await self.downstream.call(self.stub.SynthesizeToUrl, request)
        return SynthesizedUrl(response.url, response.duration_ms)


class GrpcRecognizer:
    def __init__(self, downstream: Downstream, language: str) -> None:
        self.downstream = downstream
        self.language = language
        self.stub = stt_pb2_grpc.SpeechToTextStub(downstream.channel)

    async def stream(
        self, audio: AsyncIterator[bytes], sample_rate_hz: int, session_id: str, silence_ms: int, partials: bool
    ) -> AsyncGenerator[SpeechEvent, None]:
        config = stt_pb2.RecognitionConfig(
            format=common_pb2.AudioFormat(encoding=common_pb2.PCM16, sample_rate_hz=sample_rate_hz, channels=1),
            language=self.language,
            session_id=session_id,
            silence_hangover_ms=silence_ms,
            disable_partials=not partials,
            tentative_results=True,
        )

        async def requests() -> AsyncIterator[stt_pb2.StreamingRecognizeRequest]:
            yield stt_pb2.StreamingRecognizeRequest(config=config)
            async for chunk in audio:
                yield stt_pb2.StreamingRecognizeRequest(audio=chunk)

        calls = _stream(
            self.downstream,
            lambda metadata: self.stub.StreamingRecognize(
                requests(), timeout=self.downstream.timeout_s, metadata=metadata
            ),
        )
        async for response in calls:
            yield _speech_event(response)


def _speech_event(response: stt_pb2.StreamingRecognizeResponse) -> SpeechEvent:
    kind = response.WhichOneof("event") or ""
    if kind in {"partial", "tentative", "final"}:
        transcript = getattr(response, kind)
        return SpeechEvent(
            kind,
            transcript.text,
            transcript.utterance_index,
            transcript.end_ms,
            transcript.confidence,
            timings_of(transcript.timing),
        )
    marker = getattr(response, kind) if kind else None
    return SpeechEvent(kind, "", marker.utterance_index if marker else 0, marker.audio_offset_ms if marker else 0.0)
