"""The Moonshine recognizer on the bundled base model (prepared once into the user's cache), on synthetic speech."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from services.common.errors import InvalidInput
from services.stt.config import SttSettings
from services.stt.engine import model_cache
from services.stt.moonshine import MoonshineRecognizer, read_vocabulary
from services.stt.moonshine_model import prepared_moonshine_dir
from services.stt.wer import normalize, word_errors
from tests.support.speech import speech


@pytest.fixture(scope="module")
def recognizer() -> MoonshineRecognizer:
    return MoonshineRecognizer(prepared_moonshine_dir(model_cache(SttSettings())), threads_per_worker=1)


def test_it_transcribes_a_clear_sentence(recognizer: MoonshineRecognizer) -> None:
    text = "when is the application deadline for the winter semester"
    result = recognizer.transcribe(speech(text), "en")
    errors, _ = word_errors(text, result.text)
    assert errors <= 1, result.text
    assert 0.5 < result.confidence <= 1.0


def test_an_utterance_cut_right_after_its_last_word_is_heard_to_the_end(recognizer: MoonshineRecognizer) -> None:
    text = "is the deadline different for international applicants"
    result = recognizer.transcribe(speech(text, tail_s=0.0), "en")
    assert normalize(result.text).endswith("applicants") and word_errors(text, result.text)[0] <= 1, result.text


def test_empty_audio_and_silence_are_empty_transcripts(recognizer: MoonshineRecognizer) -> None:
    assert recognizer.transcribe(np.zeros(0, dtype=np.float32), "en").text == ""
    silence = recognizer.transcribe(np.zeros(16_000, dtype=np.float32), "en")
    assert silence.text == "" and silence.confidence == 0.0


def test_noises_that_fool_the_vad_are_empty_transcripts(recognizer: MoonshineRecognizer) -> None:
    """A false barge-in (noise burst, mains hum) must not become a caller's turn; Whisper tiny.en hears the hum as 'you'."""
    rng = np.random.default_rng(1)
    spectrum = np.fft.rfft(rng.standard_normal(9600))
    pink = np.fft.irfft(spectrum / np.sqrt(np.arange(1, len(spectrum) + 1)), 9600)
    burst = np.concatenate([np.zeros(8000), 0.18 * pink / np.abs(pink).max(), np.zeros(4000)]).astype(np.float32)
    hum = (0.1 * np.sin(2 * np.pi * 50 * np.arange(16_000) / 16_000)).astype(np.float32)
    assert recognizer.transcribe(burst, "en").text == ""
    assert recognizer.transcribe(hum, "en").text == ""


def test_it_is_english_only(recognizer: MoonshineRecognizer) -> None:
    assert recognizer.supports_language("en") and not recognizer.supports_language("de")
    with pytest.raises(InvalidInput, match="'de' is not supported"):
        recognizer.transcribe(speech("hello"), "de")


def test_concurrent_decodes_give_the_same_text(recognizer: MoonshineRecognizer) -> None:
    clips = [speech("I would like to book an appointment"), speech("what are the library opening hours")]
    alone = [recognizer.transcribe(clip, "en").text for clip in clips]
    with ThreadPoolExecutor(max_workers=2) as pool:
        together = list(pool.map(lambda clip: recognizer.transcribe(clip, "en").text, clips * 2))
    assert together == alone * 2


def test_a_decode_computes_on_the_calling_thread(recognizer: MoonshineRecognizer) -> None:
    """So a draft decoded on the pool's nicer thread runs at that thread's priority (no second model copy)."""
    audio = speech("can I move my appointment to friday morning instead")
    measured: dict[str, float] = {}

    def decode() -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        recognizer.transcribe(audio, "en", draft=True)
        measured["wall"], measured["cpu"] = time.perf_counter() - wall, time.thread_time() - cpu

    worker = threading.Thread(target=decode)
    worker.start()
    worker.join()
    assert measured["cpu"] > 0.5 * measured["wall"], measured


def test_the_vocabulary_file_is_read_token_by_token() -> None:
    assert read_vocabulary(b"\x03<s>\x01a") == [b"<s>", b"a"]
    long_token = b"x" * 200
    assert read_vocabulary(bytes([0x80 | (200 & 0x7F), 200 >> 7]) + long_token) == [long_token]
    with pytest.raises(ValueError, match="truncated"):
        read_vocabulary(b"\x05abc")


def test_the_bundled_vocabulary_has_sentencepiece_tokens(recognizer: MoonshineRecognizer) -> None:
    vocabulary = recognizer._vocabulary
    assert len(vocabulary) == 32_000 and vocabulary[:3] == [b"<unk>", b"<s>", b"</s>"]
