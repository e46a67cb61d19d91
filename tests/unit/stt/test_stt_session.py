"""Streaming sessions with the real VAD and a fake recognizer: speculation, ordering, limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from services.common.errors import ResourceExhausted
from services.stt.decoder import DecodePool
from services.stt.endpointing import EndpointConfig
from services.stt.session import (
    RealTimePacer,
    SpeechEndedEvent,
    SpeechResumedEvent,
    SpeechStartedEvent,
    StreamEvent,
    StreamingSession,
    StreamLimits,
    StreamOptions,
    TranscriptEvent,
)
from services.stt.vad import SileroVad
from tests.support.speech import pcm16, silence

CHUNK_MS = 100


def options(partials: bool = False, tentative: bool = False) -> StreamOptions:
    return StreamOptions(16000, "en", EndpointConfig(), 500 if partials else 0, 300, tentative)


async def chunks(audio: np.ndarray, interval_s: float = 0.0, then_wait_s: float = 0.0) -> AsyncIterator[bytes]:
    data = pcm16(audio)
    step = 16000 * 2 * CHUNK_MS // 1000
    for start in range(0, len(data), step):
        yield data[start : start + step]
        await asyncio.sleep(interval_s)
    await asyncio.sleep(then_wait_s)


async def collect(
    vad: SileroVad,
    recognizer: Any,
    source: AsyncIterator[bytes],
    *,
    partials: bool = False,
    tentative: bool = False,
    limits: StreamLimits | None = None,
) -> list[StreamEvent]:
    pool = DecodePool(recognizer, workers=2)
    with ThreadPoolExecutor(1) as executor:
        session = StreamingSession(
            vad=vad,
            pool=pool,
            vad_executor=executor,
            options=options(partials, tentative),
            limits=limits or StreamLimits(rate_limit="off"),
        )
        try:
            return [event async for event in session.events(source)]
        finally:
            pool.close()


async def test_the_speculative_decode_is_the_final(fake_recognizer: Any, vad: SileroVad, sentence: np.ndarray) -> None:
    recognizer = fake_recognizer(delay_s=0.15)
    # 100 ms chunks every 50 ms: the 500 ms hangover takes 250 ms of wall time, more than the decode.
    events = await collect(vad, recognizer, chunks(np.concatenate([sentence, silence(1.0)]), interval_s=0.05))
    names = [type(e).__name__ for e in events]
    assert names == ["SpeechStartedEvent", "SpeechEndedEvent", "TranscriptEvent"]
    final = events[2]
    assert isinstance(final, TranscriptEvent) and final.final
    assert len(recognizer.finals) == 1  # no second decode after the hangover
    assert final.stages["after_endpoint"] < 100.0  # the decode (150 ms) was already done
    assert final.text == f"samples {recognizer.finals[0]}"
    assert 250 <= final.start_ms <= 400 and final.end_ms <= len(sentence) / 16 + 100


async def test_speech_resuming_discards_the_speculation(
    fake_recognizer: Any, vad: SileroVad, sentence: np.ndarray
) -> None:
    recognizer = fake_recognizer()
    audio = np.concatenate([sentence, sentence, silence(1.0)])  # a 0.3 s pause inside
    events = await collect(vad, recognizer, chunks(audio, interval_s=0.01))
    finals = [e for e in events if isinstance(e, TranscriptEvent)]
    assert len(finals) == 1 and finals[0].index == 0
    assert len(recognizer.finals) >= 2  # the speculation at the 0.3 s pause, then the whole utterance
    assert finals[0].text == f"samples {max(recognizer.finals)}"
    assert finals[0].end_ms > len(sentence) / 16 + 1500  # well into the second sentence


async def test_tentative_transcript_comes_before_the_end_and_matches_the_final(
    fake_recognizer: Any, vad: SileroVad, sentence: np.ndarray
) -> None:
    recognizer = fake_recognizer(delay_s=0.05)
    audio = np.concatenate([sentence, silence(1.0)])
    events = await collect(vad, recognizer, chunks(audio, interval_s=0.05), tentative=True)
    names = [type(e).__name__ if not isinstance(e, TranscriptEvent) else e.kind for e in events]
    assert names == ["SpeechStartedEvent", "tentative", "SpeechEndedEvent", "final"]
    tentative, final = events[1], events[3]
    assert isinstance(tentative, TranscriptEvent) and isinstance(final, TranscriptEvent)
    assert tentative.text == final.text and tentative.index == final.index == 0
    assert len(recognizer.finals) == 1  # one decode served both


async def test_tentative_transcripts_are_off_by_default(
    fake_recognizer: Any, vad: SileroVad, sentence: np.ndarray
) -> None:
    events = await collect(vad, fake_recognizer(delay_s=0.05), chunks(np.concatenate([sentence, silence(1.0)]), 0.05))
    assert not any(isinstance(e, TranscriptEvent) and e.kind == "tentative" for e in events)


async def test_speech_resuming_withdraws_the_tentative_transcript(
    fake_recognizer: Any, vad: SileroVad, sentence: np.ndarray
) -> None:
    recognizer = fake_recognizer()
    audio = np.concatenate([sentence, sentence, silence(1.0)])  # a 0.3 s pause inside (the lead-in)
    events = await collect(vad, recognizer, chunks(audio, interval_s=0.05), tentative=True)
    kinds = [type(e).__name__ if not isinstance(e, TranscriptEvent) else e.kind for e in events]
    assert kinds.count("SpeechStartedEvent") == 1 and kinds[-1] == "final"
    first_tentative = kinds.index("tentative")
    resumed = kinds.index("SpeechResumedEvent")
    assert first_tentative < resumed < kinds.index("SpeechEndedEvent")
    resumed_event = events[resumed]
    assert isinstance(resumed_event, SpeechResumedEvent) and resumed_event.index == 0
    assert resumed_event.offset_ms > len(sentence) / 16 + 200
    final = events[-1]
    assert isinstance(final, TranscriptEvent) and final.text != events[first_tentative].text  # type: ignore[union-attr]


async def test_utterances_are_indexed_and_ordered(
    fake_recognizer: Any, vad: SileroVad, sentence: np.ndarray, short_sentence: np.ndarray
) -> None:
    recognizer = fake_recognizer(delay_s=0.05)
    audio = np.concatenate([sentence, silence(1.0), short_sentence, silence(1.0)])
    events = await collect(vad, recognizer, chunks(audio))
    described = [(type(e).__name__, e.index) for e in events]
    assert sorted(described, key=lambda item: item[1]) == [
        ("SpeechStartedEvent", 0),
        ("SpeechEndedEvent", 0),
        ("TranscriptEvent", 0),
        ("SpeechStartedEvent", 1),
        ("SpeechEndedEvent", 1),
        ("TranscriptEvent", 1),
    ]  # per utterance: started, ended, final; a final may come after the next utterance started
    assert described.index(("TranscriptEvent", 0)) < described.index(("TranscriptEvent", 1))
    started = [e for e in events if isinstance(e, SpeechStartedEvent)]
    assert started[1].offset_ms > (len(sentence) + 16000) / 16


async def test_partials_come_during_speech_and_never_after_the_final(
    fake_recognizer: Any, vad: SileroVad, sentence: np.ndarray
) -> None:
    recognizer = fake_recognizer(delay_s=0.01)
    events = await collect(
        vad, recognizer, chunks(np.concatenate([sentence, silence(1.0)]), interval_s=0.1), partials=True
    )
    partials = [i for i, e in enumerate(events) if isinstance(e, TranscriptEvent) and not e.final]
    ended = next(i for i, e in enumerate(events) if isinstance(e, SpeechEndedEvent))
    assert len(partials) >= 3  # 5 are due (every 512 ms of ~2.7 s of speech); best effort: a busy box skips some
    assert max(partials) < ended
    assert any(draft for _, draft in recognizer.calls)


async def test_silence_only_yields_no_event(fake_recognizer: Any, vad: SileroVad) -> None:
    recognizer = fake_recognizer()
    assert await collect(vad, recognizer, chunks(silence(3.0))) == []
    assert recognizer.calls == []


async def test_idle_stream_is_closed_after_its_pending_final(
    fake_recognizer: Any, vad: SileroVad, short_sentence: np.ndarray
) -> None:
    recognizer = fake_recognizer()
    limits = StreamLimits(rate_limit="off", idle_timeout_s=0.3)
    received: list[StreamEvent] = []
    session_events = collect(vad, recognizer, chunks(short_sentence, then_wait_s=5.0), limits=limits)
    with pytest.raises(ResourceExhausted, match="idle timeout"):
        received = await session_events
    assert received == []


async def test_max_stream_duration_ends_the_stream_with_its_final(
    fake_recognizer: Any, vad: SileroVad, sentence: np.ndarray
) -> None:
    recognizer = fake_recognizer()
    limits = StreamLimits(rate_limit="off", max_stream_s=2.0)
    pool = DecodePool(recognizer, workers=1)
    events: list[StreamEvent] = []
    with ThreadPoolExecutor(1) as executor:
        session = StreamingSession(vad=vad, pool=pool, vad_executor=executor, options=options(), limits=limits)
        with pytest.raises(ResourceExhausted, match="maximum duration"):
            async for event in session.events(chunks(np.concatenate([sentence, sentence]))):
                events.append(event)
    pool.close()
    assert isinstance(events[-1], TranscriptEvent) and events[-1].final


def test_pacer_allows_a_burst_then_rejects() -> None:
    pacer = RealTimePacer(StreamLimits(rate_limit="reject", burst_ms=2000))
    assert pacer.admit(1500.0, now=100.0) == 0.0  # a 1.5 s burst at once
    assert pacer.admit(400.0, now=100.0) == 0.0
    assert pacer.admit(1000.0, now=101.0) == 0.0  # 2.9 s of audio after 1 s: 1.9 s ahead
    with pytest.raises(ResourceExhausted, match="faster than real time"):
        pacer.admit(500.0, now=101.0)


def test_pacer_throttles_instead_when_asked() -> None:
    pacer = RealTimePacer(StreamLimits(rate_limit="throttle", burst_ms=1000))
    assert pacer.admit(1000.0, now=0.0) == 0.0
    assert pacer.admit(1500.0, now=0.5) == pytest.approx(1.0)  # 2.5 s of audio after 0.5 s: 1 s over


def test_pacer_off_accepts_anything() -> None:
    pacer = RealTimePacer(StreamLimits(rate_limit="off"))
    assert pacer.admit(600_000.0, now=0.0) == 0.0
