"""Audio decoding and resampling to 16 kHz."""

import io

import numpy as np
import pytest
import soundfile

from services.common.errors import InvalidInput
from services.stt.audio import StreamResampler, decode_container, decode_raw_pcm16, pcm16_to_float


def tone(rate: int, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def pcm16(samples: np.ndarray) -> bytes:
    return (samples * 32767).astype("<i2").tobytes()


def test_pcm16_rejects_an_odd_byte_count() -> None:
    with pytest.raises(InvalidInput, match="even number of bytes"):
        pcm16_to_float(b"\x00\x01\x02")


@pytest.mark.parametrize("rate", [8000, 16000, 48000])
def test_stream_resampler_outputs_16k_in_any_chunking(rate: int) -> None:
    resampler = StreamResampler(rate)
    data = pcm16(tone(rate))
    out = [resampler.push(data[i : i + 642]) for i in range(0, len(data), 642)]
    total = sum(len(chunk) for chunk in out) + len(resampler.flush())
    assert abs(total - 16000) <= 2
    assert resampler.input_ms == pytest.approx(1000.0)


@pytest.mark.parametrize("rate", [8000, 48000])
def test_stream_resampler_hands_each_chunk_on_at_once(rate: int) -> None:
    """Speech-started (barge-in) and every endpoint wait for whatever the resampler holds back."""
    resampler = StreamResampler(rate)
    data = pcm16(tone(rate, 2.0))
    chunk_bytes = rate // 50 * 2  # 20 ms, as callers send
    outputs = [resampler.push(data[i : i + chunk_bytes]) for i in range(0, len(data), chunk_bytes)]
    held_back_ms = [20.0 * (k + 1) - total / 16 for k, total in enumerate(np.cumsum([len(out) for out in outputs]))]
    assert max(held_back_ms) <= 8.0
    heard = np.concatenate(outputs)
    # what comes out is the same tone at 16 kHz, in time with the input
    expected = tone(16_000, 2.0)[: len(heard)]
    assert np.abs(heard[160:] - expected[160:]).max() < 0.01


@pytest.mark.parametrize("rate", [11025, 22050, 44100, 0])
def test_stream_resampler_rejects_other_rates(rate: int) -> None:
    with pytest.raises(InvalidInput, match="unsupported sample rate"):
        StreamResampler(rate)


@pytest.mark.parametrize(("fmt", "rate"), [("WAV", 8000), ("FLAC", 44100), ("WAV", 16000)])
def test_containers_decode_to_16k_mono(fmt: str, rate: int) -> None:
    buffer = io.BytesIO()
    stereo = np.stack([tone(rate), tone(rate)], axis=1)
    soundfile.write(buffer, stereo, rate, format=fmt, subtype="PCM_16")
    audio = decode_container(buffer.getvalue(), fmt)
    assert audio.dtype == np.float32 and abs(len(audio) - 16000) <= 2


@pytest.mark.parametrize("data", [b"", b"this is not audio at all", b"RIFF\x00\x00garbage"])
def test_non_audio_bytes_are_invalid_input(data: bytes) -> None:
    with pytest.raises(InvalidInput):
        decode_container(data, "WAV")


def test_raw_pcm16_needs_a_sample_rate_and_resamples() -> None:
    with pytest.raises(InvalidInput, match="sample_rate_hz"):
        decode_raw_pcm16(pcm16(tone(8000)), 0)
    with pytest.raises(InvalidInput, match="unsupported sample rate"):
        decode_raw_pcm16(pcm16(tone(8000)), 1000)
    assert abs(len(decode_raw_pcm16(pcm16(tone(8000)), 8000)) - 16000) <= 2
