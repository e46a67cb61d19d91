"""Engine-level rules: stream configuration checks, stream admission, whole-file recognition."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
import soundfile

from services.common.errors import BackendUnavailable, InvalidInput, ResourceExhausted
from services.stt.bandwidth import NarrowbandRouter
from services.stt.config import SttSettings
from services.stt.engine import SpeechEngine, load_recognizer
from services.stt.moonshine import MoonshineRecognizer
from services.stt.recognizer import CascadeRecognizer, WhisperRecognizer
from services.stt.vad import SileroVad
from tests.support.speech import pcm16, silence


@pytest.fixture
def engine(fake_recognizer: Any, vad: SileroVad) -> SpeechEngine:
    settings = SttSettings(stt_max_streams=1, stt_rate_limit="off")
    return SpeechEngine(settings, fake_recognizer(), vad)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"encoding": "MULAW", "sample_rate": 8000}, "unsupported encoding"),
        ({"encoding": "PCM16", "sample_rate": 44100}, "unsupported sample rate"),
        ({"encoding": "PCM16", "sample_rate": 16000, "channels": 2}, "mono"),
        ({"encoding": "PCM16", "sample_rate": 16000, "language": "de"}, "not supported"),
        ({"encoding": "PCM16", "sample_rate": 16000, "hangover_ms": 10}, "silence_hangover_ms"),
        ({"encoding": "PCM16", "sample_rate": 16000, "max_utterance_ms": 60_000}, "max_utterance_ms"),
    ],
)
def test_bad_stream_configs_are_invalid_input(engine: SpeechEngine, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        engine.stream_options(**kwargs)


def test_client_overrides_and_defaults(engine: SpeechEngine) -> None:
    options = engine.stream_options(
        encoding="AUDIO_ENCODING_UNSPECIFIED", sample_rate=8000, hangover_ms=800, partials=False
    )
    assert options.endpoint.hangover_ms == 800 and options.endpoint.max_utterance_ms == 30_000
    assert options.partial_interval_ms == 0 and options.language == "en"


async def test_streams_beyond_the_limit_are_refused(engine: SpeechEngine) -> None:
    options = engine.stream_options(encoding="PCM16", sample_rate=16000)
    release = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield pcm16(silence(0.1))
        await release.wait()

    async def drain() -> None:
        async for _ in engine.stream(options, slow()):
            pass

    first = asyncio.ensure_future(drain())
    await asyncio.sleep(0.2)
    with pytest.raises(ResourceExhausted, match="limit of 1 concurrent streams"):
        await anext(engine.stream(options, slow()))
    release.set()
    await first
    assert engine.active_streams == 0


async def test_recognize_finds_each_utterance(
    engine: SpeechEngine, sentence: np.ndarray, short_sentence: np.ndarray
) -> None:
    audio = np.concatenate([sentence, silence(1.0), short_sentence, silence(0.5)])
    buffer = io.BytesIO()
    soundfile.write(buffer, audio, 16000, format="FLAC")
    result = await engine.recognize(buffer.getvalue(), "AUDIO_ENCODING_UNSPECIFIED", 0, "")
    assert len(result.utterances) == 2
    assert result.utterances[0].end_ms < result.utterances[1].start_ms
    assert result.duration_ms == pytest.approx(len(audio) / 16, abs=1)
    assert set(result.stages) == {"decode_audio", "vad", "recognize"}


async def test_recognize_of_silence_is_empty(engine: SpeechEngine) -> None:
    result = await engine.recognize(pcm16(silence(2.0)), "PCM16", 16000, "en")
    assert result.text == "" and result.utterances == [] and result.confidence == 0.0


@pytest.mark.parametrize(
    ("data", "encoding", "rate", "message"),
    [
        (b"", "WAV", 0, "empty"),
        (b"hello world, definitely not a wav", "WAV", 0, "not a readable WAV"),
        (b"hello world, definitely not audio", "AUDIO_ENCODING_UNSPECIFIED", 0, "set format.encoding"),
        (b"\x00\x01\x02", "PCM16", 16000, "even number of bytes"),
        (b"\x00\x01", "PCM16", 0, "sample_rate_hz"),
        (b"\x00\x01", "MULAW", 8000, "unsupported encoding"),
    ],
)
async def test_bad_files_are_invalid_input(
    engine: SpeechEngine, data: bytes, encoding: str, rate: int, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        await engine.recognize(data, encoding, rate, "en")


def test_the_recognizer_gets_the_prompt_and_an_unknown_model_fails_clearly() -> None:
    settings = SttSettings(stt_model="tiny.en", stt_prompt="Leibniz University Institute", stt_narrowband_model="")
    recognizer = load_recognizer(settings)
    assert isinstance(recognizer, WhisperRecognizer) and recognizer.options.prompt == "Leibniz University Institute"
    with pytest.raises(BackendUnavailable, match="unknown STT model"):
        load_recognizer(SttSettings(stt_model="huge-v9"))
    with pytest.raises(BackendUnavailable, match="unknown STT model"):
        load_recognizer(SttSettings(stt_fallback_model="huge-v9"))
    with pytest.raises(BackendUnavailable, match="unknown STT model"):
        load_recognizer(SttSettings(stt_narrowband_model="huge-v9"))


def test_by_default_moonshine_decodes_and_telephone_band_finals_go_to_whisper_base() -> None:
    recognizer = load_recognizer(SttSettings())
    assert isinstance(recognizer, NarrowbandRouter)
    assert isinstance(recognizer.wideband, MoonshineRecognizer)
    assert isinstance(recognizer.narrowband, WhisperRecognizer) and recognizer.narrowband.model.is_multilingual
    assert isinstance(load_recognizer(SttSettings(stt_model="base")), WhisperRecognizer)  # nothing to route to


def test_a_fallback_model_makes_a_cascade_that_shares_the_narrowband_model() -> None:
    settings = SttSettings(
        stt_model="tiny.en", stt_fallback_model="base", stt_fallback_confidence=0.6, stt_prompt="Leibniz"
    )
    router = load_recognizer(settings)
    assert isinstance(router, NarrowbandRouter) and isinstance(router.wideband, CascadeRecognizer)
    cascade = router.wideband
    assert cascade.min_confidence == 0.6 and cascade.strong is router.narrowband  # base loads once
    assert isinstance(cascade.strong, WhisperRecognizer) and cascade.strong.options.prompt == "Leibniz"
