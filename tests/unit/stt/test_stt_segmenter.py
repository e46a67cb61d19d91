"""Utterance audio boundaries, with a loudness-based fake in place of the VAD model."""

import numpy as np

from services.stt.endpointing import EndpointConfig
from services.stt.segmenter import PartialDue, PauseBegan, PauseEnded, Segmenter, UtteranceEnded, UtteranceStarted
from services.stt.vad import FRAME_SAMPLES


class LoudnessScorer:
    """Collaborator fake: a 32 ms frame is speech when it is loud."""

    samples = FRAME_SAMPLES

    def probability(self, frame: np.ndarray) -> float:
        return 1.0 if float(np.abs(frame).mean()) > 0.05 else 0.0


def frames(*parts: tuple[str, int]) -> np.ndarray:
    """('s', n) = n loud frames, ('q', n) = n quiet frames."""
    chunks = [np.full(n * FRAME_SAMPLES, 0.5 if kind == "s" else 0.0, dtype=np.float32) for kind, n in parts]
    return np.concatenate(chunks)


CONFIG = EndpointConfig(hangover_ms=320, min_speech_ms=64, max_utterance_ms=30_000, speculate_after_ms=96)


def segment(audio: np.ndarray, chunk: int = 700, **kwargs: int) -> list[object]:
    segmenter = Segmenter(
        LoudnessScorer(),
        CONFIG,
        preroll_ms=kwargs.get("preroll_ms", 96),
        partial_interval_ms=kwargs.get("partial_interval_ms", 0),
    )
    events: list[object] = []
    for start in range(0, len(audio), chunk):  # odd chunk sizes: framing must not depend on them
        events.extend(segmenter.push(audio[start : start + chunk]))
    return events + segmenter.finish()


def test_utterance_audio_has_preroll_and_a_tail_equal_to_the_speculation() -> None:
    events = segment(frames(("q", 10), ("s", 20), ("q", 15)))
    started = next(e for e in events if isinstance(e, UtteranceStarted))
    pause = next(e for e in events if isinstance(e, PauseBegan))
    ended = next(e for e in events if isinstance(e, UtteranceEnded))
    assert started.offset_ms == 10 * 32
    assert ended.start_ms == 320 and ended.end_ms == 30 * 32 and ended.offset_ms == 40 * 32
    assert len(ended.audio) == (3 + 20 + 3) * FRAME_SAMPLES  # 3 frames preroll, speech, 3 frames tail
    assert np.array_equal(pause.audio, ended.audio)
    assert not ended.discarded and not ended.cut


def test_two_utterances_are_indexed_and_a_resumed_pause_is_reported() -> None:
    events = segment(frames(("s", 10), ("q", 5), ("s", 10), ("q", 12), ("s", 10), ("q", 12)))
    names = [type(e).__name__ for e in events]
    assert names == [
        "UtteranceStarted",
        "PauseBegan",
        "PauseEnded",
        "PauseBegan",
        "UtteranceEnded",
        "UtteranceStarted",
        "PauseBegan",
        "UtteranceEnded",
    ]
    ends = [e for e in events if isinstance(e, UtteranceEnded)]
    assert [e.index for e in ends] == [0, 1]
    assert isinstance(events[2], PauseEnded) and events[2].index == 0


def test_partials_are_due_at_the_configured_interval_with_audio_so_far() -> None:
    events = segment(frames(("s", 40), ("q", 12)), partial_interval_ms=320)
    partials = [e for e in events if isinstance(e, PartialDue)]
    assert [p.offset_ms for p in partials] == [320, 640, 960, 1280]
    assert all(len(p.audio) == p.offset_ms / 32 * FRAME_SAMPLES for p in partials)


def test_end_of_stream_during_speech_keeps_all_audio() -> None:
    events = segment(frames(("q", 2), ("s", 10)))
    ended = events[-1]
    assert isinstance(ended, UtteranceEnded) and ended.cut and len(ended.audio) == 12 * FRAME_SAMPLES
