"""Shared fixtures of the stt unit tests: the real (fast) Silero VAD, synthetic speech, a fake recognizer."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from services.stt.recognizer import Recognition
from services.stt.vad import SileroVad
from tests.support.speech import speech


class FakeRecognizer:
    """Collaborator fake: 'hears' the length of the audio, after a fixed delay; records its calls."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.calls: list[tuple[int, bool]] = []
        self._lock = threading.Lock()

    def transcribe(self, audio: np.ndarray, language: str, *, draft: bool = False) -> Recognition:
        with self._lock:
            self.calls.append((len(audio), draft))
        time.sleep(self.delay_s)
        return Recognition(f"samples {len(audio)}", 0.9)

    def supports_language(self, language: str) -> bool:
        return language == "en"

    @property
    def finals(self) -> list[int]:
        return [length for length, draft in self.calls if not draft]


@pytest.fixture(scope="session")
def fake_recognizer() -> type[FakeRecognizer]:
    return FakeRecognizer


@pytest.fixture(scope="session")
def vad() -> SileroVad:
    return SileroVad()


@pytest.fixture(scope="session")
def sentence() -> np.ndarray:
    return speech("I would like to book an advising appointment on Friday.", lead_s=0.3, tail_s=0.0)


@pytest.fixture(scope="session")
def short_sentence() -> np.ndarray:
    return speech("Yes, that is correct.", lead_s=0.3, tail_s=0.0)
