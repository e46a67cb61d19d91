"""Audio decoding: PCM16 stream chunks and whole files to 16 kHz mono float32 (resampled with soxr)."""

from __future__ import annotations

import io

import numpy as np
import soundfile
import soxr

from services.common.errors import InvalidInput

TARGET_RATE = 16_000
STREAM_RATES = (8_000, 16_000, 48_000)
FILE_RATE_RANGE = (8_000, 192_000)


def pcm16_to_float(data: bytes) -> np.ndarray:
    """Little-endian signed 16-bit samples to float32 in [-1, 1)."""
    if len(data) % 2:
        raise InvalidInput(f"PCM16 audio must have an even number of bytes (got {len(data)})")
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


class StreamResampler:
    """Turns PCM16 chunks at one of :data:`STREAM_RATES` into 16 kHz float32, chunk by chunk."""

    def __init__(self, sample_rate: int) -> None:
        if sample_rate not in STREAM_RATES:
            rates = ", ".join(str(rate) for rate in STREAM_RATES)
            raise InvalidInput(f"unsupported sample rate {sample_rate} Hz for streaming; use {rates}")
        self.sample_rate = sample_rate
        self._resampler = (
            None if sample_rate == TARGET_RATE else soxr.ResampleStream(sample_rate, TARGET_RATE, 1, dtype="float32")
        )
        self.input_samples = 0

    def push(self, data: bytes) -> np.ndarray:
        samples = pcm16_to_float(data)
        self.input_samples += len(samples)
        if self._resampler is None:
            return samples
        return self._resampler.resample_chunk(samples)

    def flush(self) -> np.ndarray:
        if self._resampler is None:
            return np.zeros(0, dtype=np.float32)
        return self._resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)

    @property
    def input_ms(self) -> float:
        return 1000.0 * self.input_samples / self.sample_rate


def to_target_rate(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    low, high = FILE_RATE_RANGE
    if not low <= sample_rate <= high:
        raise InvalidInput(f"unsupported sample rate {sample_rate} Hz; use {low}..{high}")
    if sample_rate == TARGET_RATE:
        return samples.astype(np.float32, copy=False)
    return soxr.resample(samples, sample_rate, TARGET_RATE).astype(np.float32, copy=False)


def decode_container(data: bytes, kind: str) -> np.ndarray:
    """A WAV or FLAC file (any rate, channels mixed down) as 16 kHz mono float32."""
    if not data:
        raise InvalidInput("the audio is empty")
    try:
        samples, sample_rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as error:
        raise InvalidInput(f"the audio is not a readable {kind} file") from error
    return to_target_rate(samples.mean(axis=1), int(sample_rate))


def decode_raw_pcm16(data: bytes, sample_rate: int) -> np.ndarray:
    if sample_rate <= 0:
        raise InvalidInput("raw PCM16 audio needs format.sample_rate_hz")
    return to_target_rate(pcm16_to_float(data), sample_rate)
