"""WAV handling of the voiceagent CLI client: any 16-bit WAV becomes PCM16 mono at a rate the gateway takes."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from services.cli.client import read_wav, write_wav


def wav_file(path: Path, samples: np.ndarray, rate: int, channels: int = 1, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return path


def test_supported_rates_pass_through(tmp_path):
    samples = (np.sin(np.arange(8000) / 10) * 10_000).astype("<i2")
    pcm, rate = read_wav(wav_file(tmp_path / "a.wav", samples, 8000))
    assert rate == 8000 and pcm == samples.tobytes()


def test_other_rates_are_resampled_and_stereo_mixed_down(tmp_path):
    stereo = np.stack([np.full(44_100, 1000, "<i2"), np.full(44_100, 3000, "<i2")], axis=1)
    pcm, rate = read_wav(wav_file(tmp_path / "b.wav", stereo, 44_100, channels=2))
    mono = np.frombuffer(pcm, "<i2")
    assert rate == 16_000 and len(mono) == 16_000 and np.all(mono == 2000)


def test_round_trip_and_bad_widths(tmp_path):
    write_wav(tmp_path / "c.wav", b"\x01\x00" * 100, 16_000)
    assert read_wav(tmp_path / "c.wav") == (b"\x01\x00" * 100, 16_000)
    with pytest.raises(ValueError, match="16-bit"):
        read_wav(wav_file(tmp_path / "d.wav", np.zeros(100, "u1"), 16_000, width=1))
