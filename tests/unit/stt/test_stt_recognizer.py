"""The Whisper recognizer on the bundled tiny.en model, on synthetic speech."""

from __future__ import annotations

import numpy as np
import pytest

from services.common.errors import BackendUnavailable, InvalidInput
from services.stt.models import locate_model
from services.stt.recognizer import WhisperRecognizer
from services.stt.wer import word_errors
from tests.support.speech import speech


@pytest.fixture(scope="module")
def recognizer() -> WhisperRecognizer:
    return WhisperRecognizer(locate_model("tiny.en"), workers=1, threads_per_worker=2)


def test_it_transcribes_a_clear_sentence(recognizer: WhisperRecognizer) -> None:
    text = "when is the application deadline for the winter semester"
    result = recognizer.transcribe(speech(text), "en")
    errors, _ = word_errors(text, result.text)
    assert errors <= 1, result.text
    assert 0.5 < result.confidence <= 1.0


def test_a_draft_decode_uses_a_shorter_window(recognizer: WhisperRecognizer) -> None:
    audio = speech("thank you very much")
    assert recognizer.window_features(audio, 1).shape == (80, 300)  # 2.x s rounds up to 3 s
    assert recognizer.window_features(audio, 10).shape == (80, 1000)
    assert recognizer.window_features(np.zeros(16000 * 45, dtype=np.float32), 10).shape == (80, 3000)
    assert "thank you" in recognizer.transcribe(audio, "en", draft=True).text.lower()


def test_empty_audio_is_an_empty_transcript(recognizer: WhisperRecognizer) -> None:
    assert recognizer.transcribe(np.zeros(0, dtype=np.float32), "en").text == ""


def test_an_english_only_model_refuses_other_languages(recognizer: WhisperRecognizer) -> None:
    assert recognizer.supports_language("en") and not recognizer.supports_language("de")
    with pytest.raises(InvalidInput, match="not supported"):
        recognizer.transcribe(speech("hello"), "de")


def test_unknown_models_fail_clearly() -> None:
    with pytest.raises(BackendUnavailable, match="unknown STT model"):
        locate_model("huge-v9")
    assert locate_model("tiny.en").files is None
