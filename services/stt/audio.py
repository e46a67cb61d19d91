"""Audio decoding: PCM16 stream chunks and whole files to 16 kHz mono float32.

Streams are resampled with libsamplerate, whole files with soxr. soxr's streaming
resampler works in blocks: fed 20 ms chunks of an 8 kHz call it held back 12 to
115 ms of audio (6 to 37 ms at 48 kHz), and everything downstream waited for it:
speech-started (the barge-in signal) and every endpoint. libsamplerate's sinc
filter holds back a steady ~6 ms at 8 kHz and ~3 ms at 48 kHz; its "medium"
filter (90 % of the band) heard the dev clips as well as soxr did.
"""

from __future__ import annotations

import io

import numpy as np
import samplerate
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
        self._ratio = TARGET_RATE / sample_rate
        self._resampler = None if sample_rate == TARGET_RATE else samplerate.Resampler("sinc_medium", channels=1)
        self.input_samples = 0
        self._output_samples = 0

    def push(self, data: bytes) -> np.ndarray:
        samples = pcm16_to_float(data)
        self.input_samples += len(samples)
        if self._resampler is None:
            return samples
        output: np.ndarray = self._resampler.process(samples, self._ratio)
        self._output_samples += len(output)
        return output

    def flush(self) -> np.ndarray:
        """The samples the filter still holds (the stream ended)."""
        if self._resampler is None:
            return np.zeros(0, dtype=np.float32)
        # libsamplerate's end_of_input flag does not drain the filter: push 20 ms of silence through it
        # and keep only the samples still owed.
        owed = max(0, round(self.input_samples * self._ratio) - self._output_samples)
        tail: np.ndarray = self._resampler.process(np.zeros(self.sample_rate // 50, dtype=np.float32), self._ratio)
        return tail[:owed]

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
