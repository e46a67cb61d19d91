"""A bounded pool of decode workers shared by every stream of the process.

Finals (and speculative finals) wait for a worker; partials are best effort:
skipped unless a worker is idle, and never on the last idle worker of a pool of
two or more, so a final never waits behind more than the partials already
running (with one worker, behind at most one). The pool
size matches CTranslate2's ``inter_threads`` so that the decodes really run in
parallel, each with ``intra_threads`` OpenMP threads.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np

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
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stt-decode")
        self._busy = 0
        self._partials = 0
        self._partial_limit = max(1, workers - 1)
        self._slots = asyncio.Semaphore(workers)

    @property
    def busy(self) -> int:
        return self._busy

    async def decode(self, audio: np.ndarray, language: str) -> Decoded:
        """Decode as soon as a worker is free."""
        queued = time.perf_counter()
        await self._slots.acquire()
        return await self._run(audio, language, queued)

    async def decode_if_idle(self, audio: np.ndarray, language: str) -> Decoded | None:
        """A draft decode (for partials), only if a worker is free right now."""
        if self._slots.locked() or self._partials >= self._partial_limit:
            return None
        await self._slots.acquire()
        self._partials += 1
        try:
            return await self._run(audio, language, time.perf_counter(), draft=True)
        finally:
            self._partials -= 1

    async def _run(self, audio: np.ndarray, language: str, queued: float, *, draft: bool = False) -> Decoded:
        """Run on a worker; the slot is released when the work really ends, even if the caller
        was cancelled meanwhile (a running thread cannot be stopped)."""
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        self._busy += 1
        job = self._executor.submit(partial(self.recognizer.transcribe, audio, language, draft=draft))
        job.add_done_callback(lambda _: loop.call_soon_threadsafe(self._release))
        recognition = await asyncio.wrap_future(job)
        finished = time.perf_counter()
        return Decoded(recognition, (started - queued) * 1000.0, (finished - started) * 1000.0)

    def _release(self) -> None:
        self._busy -= 1
        self._slots.release()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
