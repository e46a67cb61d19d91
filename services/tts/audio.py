"""Output audio formats: validation, resampling (soxr), PCM16, G.711 µ-law and WAV.

Audio is cached and concatenated in its *raw* encoding (PCM16 or µ-law at the
output rate); WAV is only a container put around raw PCM16 at the edge, so a
WAV request and a PCM16 request at the same rate share cache entries. In a
stream every WAV chunk is a complete RIFF file for its sentence, playable on
its own.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import numpy as np
import soxr

from services.common.errors import InvalidInput

PCM16_RATES = (8000, 16000, 22050, 24000)
MULAW_RATE = 8000
ENCODINGS = ("pcm16", "mulaw", "wav")
WAV_HEADER_BYTES = 44


@dataclass(frozen=True)
class AudioFormat:
    """A validated output format: ``pcm16``/``wav`` at one of :data:`PCM16_RATES`, or ``mulaw`` at 8 kHz."""

    encoding: str
    sample_rate: int

    @property
    def raw(self) -> AudioFormat:
        """The encoding that is cached and concatenated (WAV → PCM16 at the same rate)."""
        return AudioFormat("pcm16", self.sample_rate) if self.encoding == "wav" else self

    @property
    def bytes_per_sample(self) -> int:
        return 1 if self.encoding == "mulaw" else 2

    @property
    def tag(self) -> str:
        return f"{self.encoding}-{self.sample_rate}"

    @property
    def extension(self) -> str:
        return {"pcm16": "pcm", "mulaw": "ulaw", "wav": "wav"}[self.encoding]

    @property
    def content_type(self) -> str:
        if self.encoding == "wav":
            return "audio/wav"
        if self.encoding == "mulaw":
            return "audio/basic"
        return f"audio/L16;rate={self.sample_rate};channels=1"

    @property
    def header_bytes(self) -> int:
        """Size of the container header (the RIFF header of a mono PCM16 WAV file)."""
        return WAV_HEADER_BYTES if self.encoding == "wav" else 0

    def duration_ms(self, raw_byte_count: int) -> float:
        """Playing time of ``raw_byte_count`` bytes of raw (container-less) audio."""
        raw = self.raw
        return 1000.0 * raw_byte_count / (raw.bytes_per_sample * raw.sample_rate)


def resolve_format(encoding: str, sample_rate: int, channels: int = 0, native_rate: int = 22050) -> AudioFormat:
    """Validate a requested format; empty encoding means PCM16, rate 0 the encoding's default.

    PCM16 and WAV default to the voice's native rate, µ-law to 8 kHz.
    """
    name = (encoding or "pcm16").lower()
    if name not in ENCODINGS:
        raise InvalidInput(f"audio encoding {encoding!r} is not supported for synthesis; use PCM16, MULAW or WAV")
    if channels not in (0, 1):
        raise InvalidInput(f"only mono audio is supported (got {channels} channels)")
    if name == "mulaw":
        rate = sample_rate or MULAW_RATE
        if rate != MULAW_RATE:
            raise InvalidInput(f"MULAW audio is 8000 Hz telephony audio (got {rate} Hz)")
        return AudioFormat(name, rate)
    rate = sample_rate or native_rate
    if rate not in PCM16_RATES:
        allowed = ", ".join(str(r) for r in PCM16_RATES)
        raise InvalidInput(f"sample rate {rate} Hz is not supported; use one of {allowed}")
    return AudioFormat(name, rate)


def to_pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] → little-endian signed 16-bit PCM."""
    clipped = np.clip(samples, -1.0, 1.0)
    return (clipped * 32767.0).round().astype("<i2").tobytes()


_MULAW_BIAS = 0x84
_MULAW_CLIP_14 = 8159
_MULAW_SEGMENT_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])


def pcm16_to_mulaw(pcm: np.ndarray) -> np.ndarray:
    """G.711 µ-law encoding of int16 samples (the reference g711.c algorithm on 14-bit values, vectorized)."""
    value = pcm.astype(np.int32) >> 2
    negative = value < 0
    magnitude = np.minimum(np.abs(value), _MULAW_CLIP_14) + (_MULAW_BIAS >> 2)
    segment = np.searchsorted(_MULAW_SEGMENT_ENDS, magnitude)
    code = np.where(segment >= 8, 0x7F, (segment << 4) | ((magnitude >> (np.minimum(segment, 7) + 1)) & 0x0F))
    return (code ^ np.where(negative, 0x7F, 0xFF)).astype(np.uint8)


def mulaw_to_pcm16(encoded: np.ndarray) -> np.ndarray:
    """G.711 µ-law decoding (used to check the encoder and by clients)."""
    value = ~encoded.astype(np.int32) & 0xFF
    sign = value & 0x80
    exponent = (value >> 4) & 0x07
    mantissa = value & 0x0F
    magnitude = (((mantissa << 3) + _MULAW_BIAS) << exponent) - _MULAW_BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


def encode_raw(samples: np.ndarray, native_rate: int, fmt: AudioFormat) -> bytes:
    """Float samples at ``native_rate`` → raw bytes of ``fmt`` (resampled with soxr when needed)."""
    audio = samples.astype(np.float32, copy=False)
    if native_rate != fmt.sample_rate:
        audio = soxr.resample(audio, native_rate, fmt.sample_rate, quality="HQ")
    pcm = np.frombuffer(to_pcm16(audio), dtype="<i2")
    if fmt.raw.encoding == "mulaw":
        return pcm16_to_mulaw(pcm).tobytes()
    return pcm.tobytes()


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    """A complete mono 16-bit RIFF/WAVE file around raw PCM16."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def package(raw_audio: bytes, fmt: AudioFormat) -> bytes:
    """Raw audio as delivered in ``fmt``: WAV gets its header, the others are sent as they are."""
    return wav_bytes(raw_audio, fmt.sample_rate) if fmt.encoding == "wav" else raw_audio


def silence(duration_ms: int, sample_rate: int) -> np.ndarray:
    return np.zeros(int(sample_rate * duration_ms / 1000), dtype=np.float32)
