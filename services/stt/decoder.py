"""A bounded pool of decode workers shared by every stream of the process.

Finals (and speculative finals) wait for one of ``workers`` threads, in arrival
order; their number matches CTranslate2's ``inter_threads`` so that the decodes
really run in parallel, each with ``intra_threads`` OpenMP threads. Partials are
best effort: decoded on one more thread, at a lower CPU priority (``draft_nice``,
with the recognizer's own draft worker), and skipped while it is busy, so a
final never waits for a partial and wins the CPU over one. The threads and their
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
    def __init__(self, recognizer: Recognizer, workers: int, draft_nice: int = 0) -> None:
        self.recognizer = recognizer
        self._finals = DeadlineScheduler(workers, "stt-decode")
        self._drafts = DeadlineScheduler(1, "stt-draft", nice=draft_nice)

    async def decode(self, audio: np.ndarray, language: str) -> Decoded:
        """Decode as soon as a worker is free (in arrival order)."""
        return await self._run(self._finals, audio, language)

    async def decode_if_idle(self, audio: np.ndarray, language: str) -> Decoded | None:
        """A draft decode (for partials), only if the draft worker is free right now."""
        if not self._drafts.idle:
            return None
        return await self._run(self._drafts, audio, language, draft=True)

    async def _run(
        self, scheduler: DeadlineScheduler, audio: np.ndarray, language: str, *, draft: bool = False
    ) -> Decoded:
        queued = time.perf_counter()
        recognition, started, finished = await scheduler.run(queued, self._transcribe, audio, language, draft)
        return Decoded(recognition, (started - queued) * 1000.0, (finished - started) * 1000.0)

    def _transcribe(self, audio: np.ndarray, language: str, draft: bool) -> tuple[Recognition, float, float]:
        """The recognition with when it started and finished (worker thread)."""
        started = time.perf_counter()
        recognition = self.recognizer.transcribe(audio, language, draft=draft)
        return recognition, started, time.perf_counter()

    def close(self) -> None:
        self._finals.close()
        self._drafts.close()
