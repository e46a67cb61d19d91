"""Telephone-band detection and the router that sends those finals to the narrowband model."""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from services.stt.audio import StreamResampler
from services.stt.bandwidth import NarrowbandRouter, high_band_db, is_narrowband
from services.stt.recognizer import Recognition
from tests.support.speech import pcm16, speech


@pytest.fixture(scope="module")
def wideband() -> np.ndarray:
    return speech("Can I move my appointment to Friday morning?")


def telephone_line(audio: np.ndarray) -> np.ndarray:
    """What a phone gateway delivers at 16 kHz: the call at 8 kHz, resampled back up."""
    return soxr.resample(soxr.resample(audio, 16_000, 8_000), 8_000, 16_000).astype(np.float32)


def test_speech_through_a_phone_line_is_narrowband_and_wideband_speech_is_not(wideband: np.ndarray) -> None:
    assert not is_narrowband(wideband)
    assert is_narrowband(telephone_line(wideband))
    share = high_band_db(wideband)
    assert share is not None and share > -40


def test_an_8khz_stream_is_narrowband_after_resampling(wideband: np.ndarray) -> None:
    resampler = StreamResampler(8_000)
    call = pcm16(soxr.resample(wideband, 16_000, 8_000))
    assert is_narrowband(np.concatenate([resampler.push(call), resampler.flush()]))


def test_noise_and_silence_are_not_narrowband() -> None:
    noise = np.random.default_rng(0).standard_normal(16_000).astype(np.float32) * 0.01
    assert not is_narrowband(noise)
    assert not is_narrowband(np.zeros(16_000, dtype=np.float32))
    assert high_band_db(np.zeros(0, dtype=np.float32)) is None


class Named:
    """Collaborator fake: answers with its own name and records whether each call was a draft."""

    def __init__(self, name: str, languages: set[str]) -> None:
        self.name = name
        self.languages = languages
        self.drafts: list[bool] = []

    def transcribe(self, audio: np.ndarray, language: str, *, draft: bool = False) -> Recognition:
        self.drafts.append(draft)
        return Recognition(self.name, 0.9)

    def supports_language(self, language: str) -> bool:
        return language in self.languages


def test_the_router_sends_only_narrowband_finals_to_the_narrowband_model(wideband: np.ndarray) -> None:
    fast, strong = Named("fast", {"en"}), Named("strong", {"en", "de"})
    router = NarrowbandRouter(fast, strong)
    call = telephone_line(wideband)
    assert router.transcribe(wideband, "en").text == "fast"
    assert router.transcribe(call, "en").text == "strong"
    assert router.transcribe(call, "en", draft=True).text == "fast"  # partials stay cheap
    assert fast.drafts == [False, True] and strong.drafts == [False]
    assert router.supports_language("en") and not router.supports_language("de")
