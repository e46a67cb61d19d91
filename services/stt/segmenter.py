"""Cuts a 16 kHz audio stream into utterances: framing in VAD steps, VAD, endpointing, audio buffers.

Synchronous and CPU-only (about 0.1-0.3 ms per step); the async session runs it
off the event loop. Each utterance's audio starts ``preroll_ms`` before the first
speech frame (the VAD reacts a frame late and Whisper likes a lead-in) and ends
``speculate_after_ms`` after the last speech frame, so the audio a speculative
decode sees at the start of a pause is exactly the audio of the final.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

import numpy as np

from services.stt.endpointing import EndpointConfig, Endpointer, Pause, Resume, SpeechEnd, SpeechStart
from services.stt.vad import SAMPLE_RATE, FrameScorer


@dataclass(frozen=True)
class UtteranceStarted:
    index: int
    offset_ms: float  # stream position of the first speech frame


@dataclass(frozen=True)
class PartialDue:
    index: int
    audio: np.ndarray
    offset_ms: float  # stream position where ``audio`` ends


@dataclass(frozen=True)
class PauseBegan:
    """Speech paused: decode ``audio`` now; it is the final's audio unless speech resumes."""

    index: int
    audio: np.ndarray
    offset_ms: float  # stream position of the decision (the end of ``audio``)


@dataclass(frozen=True)
class PauseEnded:
    index: int
    offset_ms: float  # stream position where the speech went on


@dataclass(frozen=True)
class UtteranceEnded:
    index: int
    offset_ms: float  # stream position where the end was confirmed
    start_ms: float
    end_ms: float  # end of the last speech frame
    audio: np.ndarray
    discarded: bool
    cut: bool


SegmentEvent = UtteranceStarted | PartialDue | PauseBegan | PauseEnded | UtteranceEnded


class Segmenter:
    """Feed 16 kHz float32 audio of any chunk size; get utterance events in stream order."""

    def __init__(
        self, vad: FrameScorer, config: EndpointConfig, *, preroll_ms: int = 500, partial_interval_ms: int = 0
    ) -> None:
        self._vad = vad
        self._step = vad.samples
        self._step_ms = 1000.0 * vad.samples / SAMPLE_RATE
        # With its pre-roll an utterance must still fit max_utterance_ms (Whisper's window is 30 s).
        config = replace(config, step_ms=self._step_ms)
        self._endpointer = Endpointer(
            replace(config, max_utterance_ms=max(config.max_utterance_ms - preroll_ms, int(self._step_ms)))
        )
        self._tail_frames = config.frames(config.speculate_after_ms)
        self._pending = np.zeros(0, dtype=np.float32)
        self._preroll: deque[np.ndarray] = deque(maxlen=config.frames(preroll_ms) + 1)  # + the onset frame
        self._frames: list[np.ndarray] = []  # frames of the open utterance, starting with the preroll
        self._first_frame = 0  # stream frame index of self._frames[0]
        self._partial_every = config.frames(partial_interval_ms) if partial_interval_ms > 0 else 0
        self._next_partial = 0
        self.utterance_index = -1

    def push(self, audio: np.ndarray) -> list[SegmentEvent]:
        pending = np.concatenate([self._pending, audio]) if len(self._pending) else audio
        usable = len(pending) - len(pending) % self._step
        self._pending = pending[usable:]
        events: list[SegmentEvent] = []
        for start in range(0, usable, self._step):
            events.extend(self._push_frame(pending[start : start + self._step]))
        return events

    def finish(self) -> list[SegmentEvent]:
        """End of stream: close the open utterance (the last partial frame is dropped)."""
        return [self._translate(event) for event in self._endpointer.finish()]

    def _push_frame(self, frame: np.ndarray) -> list[SegmentEvent]:
        probability = self._vad.probability(frame)
        if self._endpointer.in_speech:
            self._frames.append(frame)
        else:
            self._preroll.append(frame)
        events: list[SegmentEvent] = []
        for event in self._endpointer.push(probability):
            events.append(self._translate(event))
        endpointer = self._endpointer
        if (
            self._partial_every
            and endpointer.in_speech
            and not endpointer.pausing
            and (endpointer.frame >= self._next_partial)
        ):
            self._next_partial = self._endpointer.frame + self._partial_every
            now = self._endpointer.frame
            events.append(PartialDue(self.utterance_index, self._audio_until(now), (now + 1) * self._step_ms))
        return events

    def _translate(self, event: SpeechStart | Pause | Resume | SpeechEnd) -> SegmentEvent:
        if isinstance(event, SpeechStart):
            self.utterance_index += 1
            self._frames = list(self._preroll)
            self._first_frame = event.frame - len(self._frames) + 1
            self._preroll.clear()
            self._next_partial = event.frame + self._partial_every - 1
            return UtteranceStarted(self.utterance_index, event.frame * self._step_ms)
        if isinstance(event, Pause):
            now = self._endpointer.frame
            return PauseBegan(self.utterance_index, self._audio_until(now), (now + 1) * self._step_ms)
        if isinstance(event, Resume):
            return PauseEnded(self.utterance_index, event.frame * self._step_ms)
        last = self._endpointer.frame if event.cut else event.last_speech_frame + self._tail_frames
        audio = self._audio_until(min(last, self._endpointer.frame))
        self._frames = []
        start_ms = self._endpointer.utterance_start * self._step_ms
        return UtteranceEnded(
            self.utterance_index,
            (event.frame + 1) * self._step_ms,
            start_ms,
            (event.last_speech_frame + 1) * self._step_ms,
            audio,
            discarded=event.discarded,
            cut=event.cut,
        )

    def _audio_until(self, frame: int) -> np.ndarray:
        count = frame - self._first_frame + 1
        return np.concatenate(self._frames[:count]) if count > 0 else np.zeros(0, dtype=np.float32)
