"""Output formats: validation, resampling, PCM16, µ-law and WAV."""

from __future__ import annotations

import io
import warnings
import wave

import numpy as np
import pytest

from services.common.errors import InvalidInput
from services.tts.audio import (
    AudioFormat,
    encode_raw,
    mulaw_to_pcm16,
    package,
    pcm16_to_mulaw,
    resolve_format,
    to_pcm16,
)


def tone(seconds: float = 0.5, rate: int = 22050, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.mark.parametrize(
    ("encoding", "rate", "expected"),
    [
        ("", 0, AudioFormat("pcm16", 22050)),
        ("pcm16", 8000, AudioFormat("pcm16", 8000)),
        ("pcm16", 16000, AudioFormat("pcm16", 16000)),
        ("PCM16", 24000, AudioFormat("pcm16", 24000)),
        ("mulaw", 0, AudioFormat("mulaw", 8000)),
        ("mulaw", 8000, AudioFormat("mulaw", 8000)),
        ("wav", 0, AudioFormat("wav", 22050)),
        ("wav", 16000, AudioFormat("wav", 16000)),
    ],
)
def test_supported_formats(encoding: str, rate: int, expected: AudioFormat) -> None:
    assert resolve_format(encoding, rate) == expected


@pytest.mark.parametrize(
    ("encoding", "rate", "channels", "message"),
    [
        ("pcm16", 44100, 0, "44100 Hz is not supported"),
        ("wav", 11025, 0, "11025 Hz is not supported"),
        ("mulaw", 16000, 0, "MULAW audio is 8000 Hz"),
        ("flac", 0, 0, "'flac' is not supported"),
        ("#42", 0, 0, "'#42' is not supported"),
        ("pcm16", 16000, 2, "only mono"),
    ],
)
def test_unsupported_formats_are_invalid_input(encoding: str, rate: int, channels: int, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        resolve_format(encoding, rate, channels)


def test_wav_shares_the_raw_encoding_of_pcm16() -> None:
    assert AudioFormat("wav", 16000).raw == AudioFormat("pcm16", 16000)
    assert AudioFormat("mulaw", 8000).raw == AudioFormat("mulaw", 8000)


def test_duration_counts_samples_of_the_raw_encoding() -> None:
    assert AudioFormat("pcm16", 16000).duration_ms(32000) == pytest.approx(1000.0)
    assert AudioFormat("mulaw", 8000).duration_ms(8000) == pytest.approx(1000.0)
    assert AudioFormat("wav", 8000).duration_ms(16000) == pytest.approx(1000.0)


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 24000])
def test_pcm16_is_resampled_to_the_requested_rate(rate: int) -> None:
    raw = encode_raw(tone(0.5), 22050, AudioFormat("pcm16", rate))
    samples = np.frombuffer(raw, dtype="<i2")
    assert abs(len(samples) - rate // 2) <= 2
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    peak_hz = np.argmax(spectrum) * rate / len(samples)
    assert abs(peak_hz - 440.0) < 5.0


def test_to_pcm16_clips_instead_of_wrapping() -> None:
    pcm = np.frombuffer(to_pcm16(np.array([2.0, -2.0, 0.0], dtype=np.float32)), dtype="<i2")
    assert pcm.tolist() == [32767, -32767, 0]


def test_mulaw_matches_the_reference_codec() -> None:
    pcm = np.arange(-32768, 32768, dtype=np.int16)  # every sample value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop

        reference = np.frombuffer(audioop.lin2ulaw(pcm.tobytes(), 2), dtype=np.uint8)
        decoded_reference = np.frombuffer(audioop.ulaw2lin(reference.tobytes(), 2), dtype="<i2")
    assert np.array_equal(pcm16_to_mulaw(pcm), reference)
    assert np.array_equal(mulaw_to_pcm16(reference), decoded_reference)


def test_mulaw_output_is_one_byte_per_sample_at_8_khz() -> None:
    raw = encode_raw(tone(1.0), 22050, AudioFormat("mulaw", 8000))
    assert abs(len(raw) - 8000) <= 2
    decoded = mulaw_to_pcm16(np.frombuffer(raw, dtype=np.uint8))
    assert np.abs(decoded).max() > 10000


def test_wav_chunks_are_complete_files() -> None:
    fmt = AudioFormat("wav", 16000)
    raw = encode_raw(tone(0.25), 22050, fmt)
    data = package(raw, fmt)
    assert len(data) == len(raw) + fmt.header_bytes
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16000)
        assert wav.readframes(wav.getnframes()) == raw


def test_raw_formats_are_sent_as_they_are() -> None:
    assert package(b"\x01\x02", AudioFormat("pcm16", 8000)) == b"\x01\x02"
