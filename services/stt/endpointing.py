"""Endpointing: a pure state machine over speech probabilities, one per step of ``step_ms``.

Speech starts on the first frame at or above ``threshold`` (prompt, for barge-in).
During speech, a frame below ``threshold - 0.15`` (Silero's hysteresis) opens a
pause; ``speculate_after_ms`` into the pause a :class:`Pause` event lets the caller
decode speculatively; a frame at or above ``threshold`` before the hangover ends
resumes the speech (:class:`Resume`: drop the speculation); ``hangover_ms`` of
pause confirms the end. Utterances with less than ``min_speech_ms`` of speech are
ended as discarded, and an utterance reaching ``max_utterance_ms`` is cut there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class EndpointConfig:
    threshold: float = 0.5
    hangover_ms: int = 500
    min_speech_ms: int = 200
    max_utterance_ms: int = 30_000
    speculate_after_ms: int = 96
    step_ms: float = 16.0

    @property
    def release_threshold(self) -> float:
        return self.threshold - 0.15

    def frames(self, ms: float) -> int:
        """Steps that make up ``ms`` (at least one)."""
        return max(1, math.ceil(ms / self.step_ms))


@dataclass(frozen=True)
class SpeechStart:
    frame: int  # first speech frame


@dataclass(frozen=True)
class Pause:
    last_speech_frame: int  # the speculative decode covers audio up to the current frame


@dataclass(frozen=True)
class Resume:
    frame: int


@dataclass(frozen=True)
class SpeechEnd:
    frame: int  # the frame that confirmed the end (hangover elapsed, length cut or stream end)
    last_speech_frame: int
    discarded: bool  # too little speech: no transcript follows
    cut: bool  # ended by max_utterance_ms or the end of the stream, not by a pause


EndpointEvent = SpeechStart | Pause | Resume | SpeechEnd


class Endpointer:
    """Feed one probability per step; get the endpointing events it causes ("frame" = step)."""

    def __init__(self, config: EndpointConfig) -> None:
        self.config = config
        self._hangover = config.frames(config.hangover_ms)
        self._speculate = min(config.frames(config.speculate_after_ms), self._hangover)
        self._max_frames = config.frames(config.max_utterance_ms)
        self._min_speech = config.frames(config.min_speech_ms)
        self.frame = -1
        self.in_speech = False
        self._start = 0
        self._last_speech = 0
        self._speech_frames = 0
        self._pause_frames = 0

    def push(self, probability: float) -> list[EndpointEvent]:
        self.frame += 1
        if not self.in_speech:
            if probability < self.config.threshold:
                return []
            self.in_speech = True
            self._start = self._last_speech = self.frame
            self._speech_frames = 1
            self._pause_frames = 0
            return [SpeechStart(self.frame), *self._cut_if_too_long()]
        events: list[EndpointEvent] = []
        if self._pause_frames:
            if probability >= self.config.threshold:
                if self._pause_frames >= self._speculate:
                    events.append(Resume(self.frame))
                self._mark_speech()
            else:
                self._pause_frames += 1
                if self._pause_frames == self._speculate:
                    events.append(Pause(self._last_speech))
                if self._pause_frames >= self._hangover:
                    return [*events, self._end(cut=False)]
        elif probability >= self.config.release_threshold:
            self._mark_speech()
        else:
            self._pause_frames = 1
            if self._speculate == 1:
                events.append(Pause(self._last_speech))
            if self._hangover == 1:
                return [*events, self._end(cut=False)]
        return [*events, *self._cut_if_too_long()]

    def finish(self) -> list[EndpointEvent]:
        """The stream ended: close an open utterance."""
        return [self._end(cut=True)] if self.in_speech else []

    def _mark_speech(self) -> None:
        self._pause_frames = 0
        self._last_speech = self.frame
        self._speech_frames += 1

    def _cut_if_too_long(self) -> list[EndpointEvent]:
        if self.in_speech and self.frame - self._start + 1 >= self._max_frames:
            return [self._end(cut=True)]
        return []

    def _end(self, *, cut: bool) -> SpeechEnd:
        self.in_speech = False
        discarded = self._speech_frames < self._min_speech
        return SpeechEnd(self.frame, self._last_speech, discarded=discarded, cut=cut)

    @property
    def pausing(self) -> bool:
        """In speech, but in a pause that may end it."""
        return self.in_speech and self._pause_frames > 0

    @property
    def utterance_start(self) -> int:
        return self._start
