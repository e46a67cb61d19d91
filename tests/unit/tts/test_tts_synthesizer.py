"""The synthesizer: validation, sentence streaming, the cache in front of the engines, fallback, URLs."""

from __future__ import annotations

import asyncio
import io
import time
import wave
from datetime import date
from typing import Any

import pytest
from prometheus_client import REGISTRY

from services.common.errors import BackendUnavailable, InvalidInput
from services.tts.audio import AudioFormat
from services.tts.synthesizer import SentenceAudio, SpeechRequest, Synthesizer
from services.tts.voices import VoiceCatalog
from tests.unit.tts.tts_fakes import RATE, CacheFactory, FakeEngine, FakeObjectStore

TEXT = "Your appointment is on 2026-03-12 at 15:00. Please bring your ID. See you then!"


def synthesizer(primary: FakeEngine, backup: FakeEngine, cache: Any = None, **options: Any) -> Synthesizer:
    catalog = VoiceCatalog([primary, backup], "en")
    return Synthesizer(catalog, cache, today=lambda: date(2026, 6, 10), sentence_pause_ms=0, **options)


async def collect(synth: Synthesizer, request: SpeechRequest) -> list[SentenceAudio]:
    return [part async for part in synth.stream(request)]


def fallbacks() -> float:
    return (
        REGISTRY.get_sample_value("voiceagent_tts_engine_fallbacks_total", {"engine": "piper", "fallback": "espeak-ng"})
        or 0.0
    )


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "text is empty"),
        ("   \n\t", "text is empty"),
        ("x" * 5001, "5001 characters long; the limit is 5000"),
        ("... !!! ---", "nothing to speak"),
    ],
)
def test_bad_text_is_invalid_input(primary: FakeEngine, backup: FakeEngine, text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        synthesizer(primary, backup).prepare(text)


def test_the_longest_allowed_text_is_accepted(primary: FakeEngine, backup: FakeEngine) -> None:
    request = synthesizer(primary, backup).prepare("Hello there. " * 384 + "Bye")
    assert len(request.sentences) == 385


def test_unknown_voice_is_invalid_input_naming_the_voices(primary: FakeEngine, backup: FakeEngine) -> None:
    with pytest.raises(InvalidInput, match=r"unknown voice 'nobody'; available voices: espeak-de, espeak-en-us, joe"):
        synthesizer(primary, backup).prepare("Hello.", voice="nobody")


@pytest.mark.parametrize(
    ("encoding", "rate", "channels"), [("pcm16", 44100, 0), ("mulaw", 16000, 0), ("flac", 0, 0), ("wav", 0, 2)]
)
def test_bad_formats_are_invalid_input(
    primary: FakeEngine, backup: FakeEngine, encoding: str, rate: int, channels: int
) -> None:
    with pytest.raises(InvalidInput):
        synthesizer(primary, backup).prepare("Hello.", encoding=encoding, sample_rate=rate, channels=channels)


async def test_long_texts_are_prepared_off_the_event_loop_with_the_same_result(
    primary: FakeEngine, backup: FakeEngine
) -> None:
    synth = synthesizer(primary, backup)
    text = (TEXT + " ") * 60
    prepared = await synth.prepare_async(text[:5000])
    assert prepared.sentences == synth.prepare(text[:5000]).sentences
    assert len(prepared.sentences) > 150
    synth.close()


def test_prepare_splits_and_normalizes(primary: FakeEngine, backup: FakeEngine) -> None:
    request = synthesizer(primary, backup).prepare(TEXT)
    assert request.voice.name == "joe"
    assert request.fmt == AudioFormat("pcm16", RATE)
    assert [s.text for s in request.sentences] == [
        "Your appointment is on 2026-03-12 at 15:00.",
        "Please bring your ID.",
        "See you then!",
    ]
    assert request.sentences[0].spoken == "Your appointment is on March twelfth at three PM."


def test_sentences_without_final_punctuation_get_a_full_stop(primary: FakeEngine, backup: FakeEngine) -> None:
    request = synthesizer(primary, backup).prepare("Opening hours\n- Monday 9:00")
    assert [s.spoken for s in request.sentences] == ["Opening hours.", "Monday nine o'clock."]


def test_voices_of_other_languages_skip_the_english_rules(primary: FakeEngine, backup: FakeEngine) -> None:
    request = synthesizer(primary, backup).prepare("Termin um 15:00.", voice="espeak-de")
    assert request.sentences[0].spoken == "Termin um 15:00."


# --- streaming --------------------------------------------------------------------------------


async def test_sentences_stream_in_order_with_their_text(primary: FakeEngine, backup: FakeEngine) -> None:
    synth = synthesizer(primary, backup)
    parts = await collect(synth, synth.prepare(TEXT, encoding="wav", sample_rate=RATE))
    assert [p.sentence.index for p in parts] == [0, 1, 2]
    assert [p.last for p in parts] == [False, False, True]
    assert not any(p.cached for p in parts)
    for part in parts:
        with wave.open(io.BytesIO(part.audio)) as wav:
            assert wav.getframerate() == RATE
            assert wav.getnframes() == len(part.sentence.spoken) * RATE // 100
        assert part.duration_ms == pytest.approx(len(part.sentence.spoken) * 10, abs=1)
        assert {"queue", "synthesize", "encode"} <= part.stages.keys()
    assert [p.elapsed_ms for p in parts] == sorted(p.elapsed_ms for p in parts)
    synth.close()


async def test_the_next_sentence_is_synthesized_while_the_current_one_is_sent(
    primary: FakeEngine, backup: FakeEngine
) -> None:
    primary.delay_s = 0.1
    synth = synthesizer(primary, backup)
    request = synth.prepare("One sentence here. Another sentence there. A third one.")
    stream = synth.stream(request)
    began = time.perf_counter()
    first = await anext(stream)
    first_at = time.perf_counter() - began
    await asyncio.sleep(0.03)  # the caller is busy sending sentence 0 ...
    assert len(primary.calls) == 2, "... while sentence 1 is already being synthesized"
    rest = [part async for part in stream]
    total = time.perf_counter() - began
    assert first.sentence.index == 0 and first_at < 0.3
    assert [p.sentence.index for p in rest] == [1, 2]
    assert total < 0.5  # three 0.1 s syntheses, overlapped with the sending
    synth.close()


async def test_a_reader_that_stops_early_stops_the_synthesis(primary: FakeEngine, backup: FakeEngine) -> None:
    primary.delay_s = 0.05
    synth = synthesizer(primary, backup)
    stream = synth.stream(synth.prepare(". ".join(f"Sentence number {n}" for n in range(10)) + "."))
    await anext(stream)
    await stream.aclose()
    await asyncio.sleep(0.15)
    assert len(primary.calls) <= 3, "at most the sentences already started or queued"
    synth.close()


async def test_identical_sentences_requested_at_once_are_synthesized_once(
    primary: FakeEngine, backup: FakeEngine
) -> None:
    primary.delay_s = 0.05
    synth = synthesizer(primary, backup)
    first, second = await asyncio.gather(collect(synth, synth.prepare(TEXT)), collect(synth, synth.prepare(TEXT)))
    assert [part.audio for part in first] == [part.audio for part in second] and len(first) == 3
    assert len(primary.calls) == 3  # not six
    synth.close()


async def test_a_second_request_streams_from_the_cache(
    primary: FakeEngine, backup: FakeEngine, make_cache: CacheFactory, store: FakeObjectStore
) -> None:
    cache = make_cache()
    await cache.start()
    synth = synthesizer(primary, backup, cache)
    first = await collect(synth, synth.prepare(TEXT, encoding="mulaw"))
    await cache.close()  # waits for the background writes
    assert len(store.objects) == 3
    assert all(name.startswith("default--leibniz/tts/sentences/") and name.endswith(".ulaw") for name in store.objects)
    cache = make_cache()
    await cache.start()
    synth = synthesizer(primary, backup, cache)  # a restarted process: same storage, empty memory
    calls = len(primary.calls)
    second = await collect(synth, synth.prepare(TEXT, encoding="mulaw"))
    assert all(part.cached for part in second)
    assert len(primary.calls) == calls
    assert [p.audio for p in second] == [p.audio for p in first]
    assert "cache_lookup" in second[0].stages and "synthesize" not in second[0].stages
    await cache.close()
    synth.close()


async def test_cache_lookups_run_only_a_few_sentences_ahead(
    primary: FakeEngine, backup: FakeEngine, make_cache: CacheFactory, store: FakeObjectStore
) -> None:
    cache = make_cache()
    await cache.start()
    primary.delay_s = 0.02
    synth = synthesizer(primary, backup, cache)
    stream = synth.stream(synth.prepare(" ".join(f"Sentence {n} is here." for n in range(20))))
    await anext(stream)
    assert store.gets <= 5, "a long text must not flood the storage with lookups (and time them out)"
    assert len([part async for part in stream]) == 19
    assert store.gets == 20
    await cache.close()
    synth.close()


async def test_sentences_are_shared_between_texts_and_wav_shares_pcm16(
    primary: FakeEngine, backup: FakeEngine, make_cache: CacheFactory
) -> None:
    cache = make_cache()
    await cache.start()
    synth = synthesizer(primary, backup, cache)
    await collect(synth, synth.prepare("Thank you. Goodbye.", encoding="pcm16", sample_rate=RATE))
    await cache.flush()
    parts = await collect(synth, synth.prepare("Your booking is done. Thank you.", encoding="wav", sample_rate=RATE))
    assert [p.cached for p in parts] == [False, True]
    other_rate = await collect(synth, synth.prepare("Thank you.", encoding="pcm16", sample_rate=8000))
    assert not other_rate[0].cached
    await cache.close()
    synth.close()


async def test_storage_down_never_fails_the_stream(
    primary: FakeEngine, backup: FakeEngine, make_cache: CacheFactory, store: FakeObjectStore
) -> None:
    cache = make_cache()
    await cache.start()
    store.down = True
    synth = synthesizer(primary, backup, cache)
    parts = await collect(synth, synth.prepare(TEXT))
    assert len(parts) == 3 and not any(p.cached for p in parts)
    await cache.close()
    synth.close()


async def test_a_failing_engine_falls_back_to_another_voice_of_the_language(
    primary: FakeEngine, backup: FakeEngine, make_cache: CacheFactory, store: FakeObjectStore
) -> None:
    cache = make_cache()
    await cache.start()
    synth = synthesizer(primary, backup, cache)
    primary.failing = True
    before = fallbacks()
    parts = await collect(synth, synth.prepare("Hello there. Goodbye."))
    assert [p.voice for p in parts] == ["espeak-en-us", "espeak-en-us"]
    assert fallbacks() - before == 2
    await cache.flush()
    primary.failing = False
    again = await collect(synth, synth.prepare("Hello there. Goodbye."))
    assert [p.voice for p in again] == ["joe", "joe"], "fallback audio is never served as the primary voice"
    assert not any(p.cached for p in again)
    await cache.close()
    synth.close()


async def test_when_every_engine_fails_the_call_fails_as_unavailable(primary: FakeEngine, backup: FakeEngine) -> None:
    primary.failing = backup.failing = True
    synth = synthesizer(primary, backup)
    with pytest.raises(BackendUnavailable, match="speech synthesis failed"):
        await collect(synth, synth.prepare("Hello there."))
    synth.close()


# --- URLs -------------------------------------------------------------------------------------


async def test_to_url_stores_one_object_and_reuses_it(
    primary: FakeEngine, backup: FakeEngine, make_cache: CacheFactory, store: FakeObjectStore
) -> None:
    cache = make_cache()
    await cache.start()
    synth = synthesizer(primary, backup, cache, url_expiry_s=600)
    result = await synth.to_url(synth.prepare(TEXT, encoding="wav", sample_rate=RATE))
    assert not result.cached
    name = next(n for n in store.objects if "/utterances/" in n)
    assert result.url == f"http://s3.test/voiceagent/{name}?X-Amz-Expires=600"
    with wave.open(io.BytesIO(store.objects[name])) as wav:
        assert wav.getframerate() == RATE
        assert wav.getnframes() * 1000 / RATE == pytest.approx(result.duration_ms)
    assert result.duration_ms == pytest.approx(sum(len(s.spoken) * 10 for s in synth.prepare(TEXT).sentences), abs=3)
    calls = len(primary.calls)
    again = await synth.to_url(synth.prepare(TEXT, encoding="wav", sample_rate=RATE))
    assert again.cached and again.url == result.url and again.cache_key == result.cache_key
    assert again.duration_ms == pytest.approx(result.duration_ms)
    assert len(primary.calls) == calls
    await cache.close()
    synth.close()


async def test_to_url_without_storage_is_unavailable(
    primary: FakeEngine, backup: FakeEngine, make_cache: CacheFactory, store: FakeObjectStore
) -> None:
    with pytest.raises(BackendUnavailable, match="no object storage"):
        await synthesizer(primary, backup).to_url(synthesizer(primary, backup).prepare("Hi."))
    store.down = True
    cache = make_cache()
    await cache.start()
    synth = synthesizer(primary, backup, cache)
    with pytest.raises(BackendUnavailable, match="no audio URL"):
        await synth.to_url(synth.prepare("Hi."))
    await cache.close()
    synth.close()
