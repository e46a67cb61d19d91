"""Telephone-band utterances go to a recognizer that copes with them.

A phone line carries 300-3400 Hz (8 kHz sampling), and Whisper tiny.en loses
about half of its words on such audio where the multilingual base model loses
under a third (see the bench). An utterance is narrowband when (almost) none
of its power lies above :data:`CUTOFF_HZ`: an 8 kHz stream resampled to 16 kHz,
or a 16 kHz stream fed from a phone gateway. On the dev clips the wideband
renditions put -27 to -12 dB of their power up there and the telephone ones
-82 dB, so a -50 dB threshold sits far from both.
"""

from __future__ import annotations

import math

import numpy as np

from services.stt.metrics import NARROWBAND_FINALS
from services.stt.recognizer import SAMPLE_RATE, Recognition, Recognizer

CUTOFF_HZ = 4_200  # above an 8 kHz line's Nyquist frequency and its resampler's transition band
NARROWBAND_DB = -50.0


def high_band_db(audio: np.ndarray) -> float | None:
    """Share of the power above :data:`CUTOFF_HZ` in dB (``-inf``: none at all; ``None``: silence)."""
    if not np.any(audio):
        return None
    power = np.abs(np.fft.rfft(audio.astype(np.float64))) ** 2
    total = float(power.sum())
    high = float(power[np.fft.rfftfreq(len(audio), 1 / SAMPLE_RATE) > CUTOFF_HZ].sum())
    return 10.0 * math.log10(high / total) if high > 0.0 else -math.inf


def is_narrowband(audio: np.ndarray) -> bool:
    """Telephone-band audio: no power to speak of above :data:`CUTOFF_HZ` (silence is not)."""
    share = high_band_db(audio)
    return share is not None and share < NARROWBAND_DB


class NarrowbandRouter:
    """Finals of narrowband utterances go to ``narrowband``, everything else to ``wideband``.

    Drafts (partials) stay on ``wideband``: they must be cheap, and the final replaces them.
    """

    def __init__(self, wideband: Recognizer, narrowband: Recognizer) -> None:
        self.wideband = wideband
        self.narrowband = narrowband

    def supports_language(self, language: str) -> bool:
        return self.wideband.supports_language(language) and self.narrowband.supports_language(language)

    def transcribe(self, audio: np.ndarray, language: str, *, draft: bool = False) -> Recognition:
        if draft or not is_narrowband(audio):
            return self.wideband.transcribe(audio, language, draft=draft)
        NARROWBAND_FINALS.inc()
        return self.narrowband.transcribe(audio, language)
