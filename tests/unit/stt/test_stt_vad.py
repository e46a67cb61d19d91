"""The hopping VAD: interleaved Silero states score the latest 32 ms every 8, 16 or 32 ms."""

from __future__ import annotations

import numpy as np
import pytest

from services.stt.vad import FRAME_SAMPLES, SAMPLE_RATE, SileroVad, VadStream


def probabilities(vad: SileroVad, audio: np.ndarray) -> list[float]:
    stream = vad.stream()
    steps = range(0, len(audio) - stream.samples + 1, stream.samples)
    return [stream.probability(audio[start : start + stream.samples]) for start in steps]


@pytest.mark.parametrize("hop_ms", [8, 16])
def test_every_phase_is_silero_on_consecutive_windows(hop_ms: int, sentence: np.ndarray) -> None:
    """The phase whose windows line up with the plain 32 ms framing scores exactly what Silero does."""
    hopping = probabilities(SileroVad(hop_ms=hop_ms), sentence)
    plain = VadStream(SileroVad())
    windows = range(0, len(sentence) - FRAME_SAMPLES + 1, FRAME_SAMPLES)
    expected = [plain.probability(sentence[start : start + FRAME_SAMPLES]) for start in windows]
    phases = 32 // hop_ms
    aligned = hopping[phases - 1 :: phases]  # windows ending at 32, 64, 96 ms ...
    assert np.allclose(aligned[: len(expected)], expected, atol=1e-6)


def test_a_shorter_hop_hears_the_speech_start_no_later(sentence: np.ndarray) -> None:
    """Speech begins 0.3 s into the clip; each hop reports the first step at or above 0.5 at its end time."""
    onset_ms = {}
    for hop_ms in (8, 16, 32):
        scores = probabilities(SileroVad(hop_ms=hop_ms), sentence)
        assert len(scores) == len(sentence) * 1000 // SAMPLE_RATE // hop_ms
        first = next(index for index, p in enumerate(scores) if p >= 0.5)
        onset_ms[hop_ms] = (first + 1) * hop_ms
    assert 300 < onset_ms[8] <= onset_ms[16] <= onset_ms[32] < 300 + 200


def test_an_unsupported_hop_is_refused() -> None:
    with pytest.raises(ValueError, match="8, 16, 32"):
        SileroVad(hop_ms=10)
