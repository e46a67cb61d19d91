"""The real engines: hibari's bundled voice, the bundled piper voice and espeak-ng from espeakng-loader."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from piper.voice import PiperVoice

from services.common.errors import InvalidInput
from services.tts.config import TtsSettings
from services.tts.engines import espeak_voice_list, load_engines
from services.tts.espeak_engine import EspeakEngine
from services.tts.hibari_engine import HibariEngine
from services.tts.piper_engine import PiperEngine, PiperModel, bundled_models


@pytest.fixture(scope="module")
def piper() -> PiperEngine:
    return PiperEngine(bundled_models(), intra_op_threads=1)


def speech_seconds(samples: np.ndarray, rate: int) -> float:
    return float(np.count_nonzero(np.abs(samples) > 0.02)) / rate


def test_the_bundled_voice_is_found_inside_its_package() -> None:
    [model] = bundled_models()
    assert model.name == "en_US-joe-medium"
    assert model.onnx.is_file() and model.config.is_file()
    assert model.config.name == "en_US-joe-medium.onnx.json"


def test_piper_speaks_english_at_its_native_rate(piper: PiperEngine) -> None:
    [voice] = piper.voices()
    assert (voice.name, voice.language, voice.engine, voice.native_sample_rate) == (
        "en_US-joe-medium",
        "en-US",
        "piper",
        22050,
    )
    samples = piper.synthesize("Your appointment is confirmed.", voice.name)
    assert samples.dtype == np.float32
    assert 0.8 < len(samples) / 22050 < 4.0
    assert speech_seconds(samples, 22050) > 0.5
    assert np.abs(samples).max() <= 1.0


@pytest.fixture(scope="module")
def hibari() -> HibariEngine:
    return HibariEngine()


def test_hibari_speaks_american_english_at_24_khz_with_the_piper_voices_peak(hibari: HibariEngine) -> None:
    [voice] = hibari.voices()
    assert (voice.name, voice.language, voice.engine, voice.native_sample_rate) == (
        "en_US-hibari-heart",
        "en-US",
        "hibari",
        24000,
    )
    samples = hibari.synthesize("Your appointment is confirmed.", voice.name)
    assert samples.dtype == np.float32
    assert 0.8 < len(samples) / 24000 < 4.0
    assert speech_seconds(samples, 24000) > 0.5
    assert np.abs(samples).max() == pytest.approx(0.9, abs=1e-3)


def test_hibari_gives_the_same_audio_for_the_same_text(hibari: HibariEngine) -> None:
    """Cached and fresh audio of a sentence must match, so hibari's noise is seeded."""
    first = hibari.synthesize("See you on Monday.", "en_US-hibari-heart")
    assert np.array_equal(first, hibari.synthesize("See you on Monday.", "en_US-hibari-heart"))


def test_hibari_reads_brackets_as_text_not_as_phonemes(hibari: HibariEngine) -> None:
    """hibari itself would speak "[words](/ə/)" as the one phoneme ə."""
    samples = hibari.synthesize("[Hello there, how are you today](/ə/)", "en_US-hibari-heart")
    assert speech_seconds(samples, 24000) > 0.8


def test_hibari_fingerprint_names_the_package_voice_and_settings(hibari: HibariEngine) -> None:
    fingerprint = hibari.fingerprint("en_US-hibari-heart")
    assert fingerprint.startswith("hibari-tts 0.2.1; en_US-hibari-heart; ")
    assert fingerprint.endswith("; peak=0.9; seed=0")


def test_hibari_comes_first_and_can_be_switched_off() -> None:
    settings = TtsSettings(espeak_voices="")
    assert [engine.name for engine in load_engines(settings)] == ["hibari", "piper"]
    settings = TtsSettings(espeak_voices="", hibari_voice=False)
    assert [engine.name for engine in load_engines(settings)] == ["piper"]


def test_piper_fingerprint_names_the_engine_and_the_model(piper: PiperEngine) -> None:
    fingerprint = piper.fingerprint("en_US-joe-medium")
    assert fingerprint.startswith("piper-tts 1.8.0; en_US-joe-medium; ")
    assert fingerprint == piper.fingerprint("en_US-joe-medium")


def test_espeak_speaks_the_configured_languages() -> None:
    engine = EspeakEngine(["en-us", "de", "en-gb"])
    assert [v.name for v in engine.voices()] == ["espeak-en-us", "espeak-de", "espeak-en-gb"]
    assert [v.language for v in engine.voices()] == ["en-US", "de", "en-GB"]
    for voice in engine.voices():
        samples = engine.synthesize("Guten Tag, hello.", voice.name)
        assert speech_seconds(samples, voice.native_sample_rate) > 0.3
    assert engine.fingerprint("espeak-de").startswith("espeak-ng 1.52")


def test_espeak_rejects_unknown_languages() -> None:
    assert EspeakEngine.knows("de") and not EspeakEngine.knows("xx-nowhere")
    with pytest.raises(InvalidInput, match="espeak-ng has no voice for xx-nowhere"):
        EspeakEngine(["en-us", "xx-nowhere"])


@pytest.mark.parametrize(
    ("configured", "language", "voices"),
    [
        ("en-us,de", "en", ["en-us", "de"]),
        ("en-us,de", "pl", ["en-us", "de", "pl"]),
        ("en-us", "xx", ["en-us"]),
        ("", "pl", []),
    ],
)
def test_the_agent_language_is_added_to_the_espeak_voices(configured: str, language: str, voices: list[str]) -> None:
    assert espeak_voice_list(configured, language) == voices


def test_a_broken_piper_model_path_stops_the_start_with_a_clear_message(tmp_path: object) -> None:
    settings = TtsSettings(piper_models="/nonexistent/voice.onnx")
    with pytest.raises(InvalidInput, match="VA_PIPER_MODELS: cannot load a piper voice"):
        load_engines(settings)


def test_piper_models_are_found_by_their_onnx_path() -> None:
    model = PiperModel.at("/models/de_DE-thorsten-medium.onnx")
    assert model.name == "de_DE-thorsten-medium"
    assert str(model.config) == "/models/de_DE-thorsten-medium.onnx.json"


def test_a_sentence_alone_gets_every_thread_and_overlapping_ones_one_each(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = PiperEngine(bundled_models(), intra_op_threads=2)
    [voice] = engine.voices()
    threads_used: list[int] = []
    first_running, second_started = threading.Event(), threading.Event()
    synthesize_with = PiperEngine._synthesize_with

    def observed(piper_voice: PiperVoice, text: str) -> np.ndarray:
        threads_used.append(piper_voice.session.get_session_options().intra_op_num_threads)
        if text == "First.":
            first_running.set()
            assert second_started.wait(10)  # still running when the second sentence starts
        else:
            second_started.set()
        return synthesize_with(piper_voice, text)

    monkeypatch.setattr(PiperEngine, "_synthesize_with", staticmethod(observed))
    first = threading.Thread(target=engine.synthesize, args=("First.", voice.name))
    first.start()
    assert first_running.wait(10)
    assert len(engine.synthesize("Second.", voice.name)) > 0
    first.join()
    engine.synthesize("Third, alone again.", voice.name)
    assert threads_used == [2, 1, 2]
