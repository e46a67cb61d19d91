"""A bounded pool of decode workers shared by every stream of the process.

Finals (and speculative finals) wait for a worker; partials are best effort:
skipped unless a worker is idle, and never on the last idle worker of a pool of
two or more, so a final never waits behind more than the partials already
running (with one worker, behind at most one). The pool
size matches CTranslate2's ``inter_threads`` so that the decodes really run in
parallel, each with ``intra_threads`` OpenMP threads. The threads and their
release when a decode really ends come from :class:`DeadlineScheduler`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from services.common.scheduling import DeadlineScheduler
from services.stt.recognizer import Recognition, Recognizer


@dataclass(frozen=True)
class Decoded:
    recognition: Recognition
    queue_ms: float
    decode_ms: float


class DecodePool:
    def __init__(self, recognizer: Recognizer, workers: int) -> None:
        self.recognizer = recognizer
        self.workers = workers
        self._scheduler = DeadlineScheduler(workers, "stt-decode")
        self._partials = 0
        self._partial_limit = max(1, workers - 1)

    async def decode(self, audio: np.ndarray, language: str) -> Decoded:
        """Decode as soon as a worker is free (in arrival order)."""
        return await self._run(audio, language)

    async def decode_if_idle(self, audio: np.ndarray, language: str) -> Decoded | None:
        """A draft decode (for partials), only if a worker is free right now."""
        if not self._scheduler.idle or self._partials >= self._partial_limit:
            return None
        self._partials += 1
        try:
            return await self._run(audio, language, draft=True)
        finally:
            self._partials -= 1

    async def _run(self, audio: np.ndarray, language: str, *, draft: bool = False) -> Decoded:
        queued = time.perf_counter()
        recognition, started, finished = await self._scheduler.run(queued, self._transcribe, audio, language, draft)
        return Decoded(recognition, (started - queued) * 1000.0, (finished - started) * 1000.0)

    def _transcribe(self, audio: np.ndarray, language: str, draft: bool) -> tuple[Recognition, float, float]:
        """The recognition with when it started and finished (worker thread)."""
        started = time.perf_counter()
        recognition = self.recognizer.transcribe(audio, language, draft=draft)
        return recognition, started, time.perf_counter()

    def close(self) -> None:
        self._scheduler.close()
