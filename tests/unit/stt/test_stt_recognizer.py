"""The Whisper recognizer on the bundled tiny.en model, on synthetic speech; the cascade with fakes."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from services.common.errors import BackendUnavailable, InvalidInput
from services.common.priority import MAX_NICE
from services.stt.models import locate_model
from services.stt.recognizer import CascadeRecognizer, DecodeOptions, Recognition, WhisperRecognizer
from services.stt.wer import normalize, word_errors
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


def test_a_spelled_name_is_heard_to_its_last_letter(recognizer: WhisperRecognizer) -> None:
    """A cap of 5 tokens per second of audio ended this one at "K-O-W-A-L-S-K"."""
    result = recognizer.transcribe(speech("My surname is Kowalski, K, O, W, A, L, S, K, I.", tail_s=0.1), "en")
    assert normalize(result.text).endswith("k o w a l s k i"), result.text


def test_a_draft_decode_uses_a_shorter_window(recognizer: WhisperRecognizer) -> None:
    audio = speech("thank you very much")
    assert recognizer.window_features(audio, 1).shape == (80, 300)  # 2.x s rounds up to 3 s
    assert recognizer.window_features(audio, 10).shape == (80, 1000)
    assert recognizer.window_features(np.zeros(16000 * 45, dtype=np.float32), 10).shape == (80, 3000)
    assert "thank you" in recognizer.transcribe(audio, "en", draft=True).text.lower()


def thread_niceness() -> dict[int, int]:
    """Nice value of each thread of this process (field 19 of /proc/<pid>/task/<tid>/stat)."""
    niceness = {}
    for stat in Path("/proc/self/task").glob("*/stat"):
        with contextlib.suppress(FileNotFoundError):  # a thread that just ended
            niceness[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[16])
    return niceness


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_drafts_decode_on_their_own_lower_priority_worker() -> None:
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    before = thread_niceness()
    recognizer = WhisperRecognizer(locate_model("tiny.en"), workers=1, threads_per_worker=1, draft_nice=5)
    started = {tid: nice for tid, nice in thread_niceness().items() if tid not in before}
    assert recognizer.draft_model is not recognizer.model
    assert min(MAX_NICE, base + 5) in started.values() and base in started.values()  # draft, final worker
    assert "thank you" in recognizer.transcribe(speech("thank you very much"), "en", draft=True).text.lower()


def test_a_domain_prompt_teaches_the_model_a_name() -> None:
    """Without it tiny.en often misspells the name ("the Ladies University Institute")."""
    audio = speech("I am calling the Leibniz University Institute")
    prompted = WhisperRecognizer(
        locate_model("tiny.en"),
        workers=1,
        threads_per_worker=2,
        options=DecodeOptions(prompt="Calls to the Leibniz University Institute, Halvern campus."),
    )
    text = prompted.transcribe(audio, "en").text
    assert "leibniz university institute" in text.lower() and "halvern" not in text.lower()
    assert "leibniz" in prompted.transcribe(audio, "en", draft=True).text.lower()


def test_an_overlong_prompt_is_cut_to_whispers_limit() -> None:
    prompt = "Calls about admissions, tuition and the library. " * 40  # ~360 tokens: over the 223 allowed
    recognizer = WhisperRecognizer(
        locate_model("tiny.en"), workers=1, threads_per_worker=2, options=DecodeOptions(prompt=prompt)
    )
    assert "thank you very much" in recognizer.transcribe(speech("thank you very much"), "en").text.lower()


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


class Scripted:
    """Collaborator fake: answers with a fixed recognition and counts its calls."""

    def __init__(self, text: str, confidence: float) -> None:
        self.result = Recognition(text, confidence)
        self.calls = 0

    def transcribe(self, audio: np.ndarray, language: str, *, draft: bool = False) -> Recognition:
        self.calls += 1
        return self.result

    def supports_language(self, language: str) -> bool:
        return language == "en"


@pytest.mark.parametrize(
    ("fast_text", "confidence", "draft", "expected", "strong_calls"),
    [
        ("sure", 0.9, False, "sure", 0),  # confident: the fast answer stands
        ("shore", 0.3, False, "sure thing", 1),  # unsure final: the strong model decodes again
        ("shore", 0.3, True, "shore", 0),  # drafts (partials) never escalate
        ("", 0.0, False, "", 0),  # silence is not re-decoded
    ],
)
def test_the_cascade_escalates_only_unsure_finals(
    fast_text: str, confidence: float, draft: bool, expected: str, strong_calls: int
) -> None:
    strong = Scripted("sure thing", 0.8)
    cascade = CascadeRecognizer(Scripted(fast_text, confidence), strong, min_confidence=0.55)
    audio = np.zeros(16000, dtype=np.float32)
    assert cascade.transcribe(audio, "en", draft=draft).text == expected
    assert strong.calls == strong_calls
    assert cascade.supports_language("en") and not cascade.supports_language("de")
