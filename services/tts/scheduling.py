"""Synthesis jobs on a fixed set of worker threads, earliest deadline first.

A reply's first sentence is needed at once; its later sentences only when the
ones before them have been played. A first-in-first-out pool makes a new
reply's first sentence wait behind other replies' later sentences whenever
several conversations speak at once; ordering the waiting jobs by the moment
their audio is needed does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class DeadlineScheduler:
    """``run`` executes a blocking function on one of ``workers`` threads; waiting jobs go by deadline."""

    def __init__(self, workers: int, thread_name_prefix: str = "tts-synth") -> None:
        self._workers = workers
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=thread_name_prefix)
        self._busy = 0
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @property
    def waiting(self) -> int:
        return sum(1 for _, _, ticket in self._waiting if not ticket.done())

    async def run(self, deadline: float, function: Callable[..., T], *args: object) -> T:
        """Run ``function(*args)`` once a thread is free and no job with an earlier deadline waits."""
        loop = asyncio.get_running_loop()
        if self._busy < self._workers and not self.waiting:
            self._busy += 1
        else:
            ticket: asyncio.Future[None] = loop.create_future()
            heapq.heappush(self._waiting, (deadline, next(self._order), ticket))
            try:
                await ticket
            except asyncio.CancelledError:
                if ticket.done() and not ticket.cancelled():  # granted a thread just as it was cancelled
                    self._release()
                raise
        job: Future[T] = self._executor.submit(function, *args)
        job.add_done_callback(lambda _: self._release_from_thread(loop))
        return await asyncio.wrap_future(job)

    def _release_from_thread(self, loop: asyncio.AbstractEventLoop) -> None:
        """The thread is free again (the job ended, or was cancelled before it started)."""
        with contextlib.suppress(RuntimeError):  # a closed loop: nothing waits any more
            loop.call_soon_threadsafe(self._release)

    def _release(self) -> None:
        while self._waiting:
            _, _, ticket = heapq.heappop(self._waiting)
            if not ticket.done():
                ticket.set_result(None)  # the thread passes straight to the most urgent waiting job
                return
        self._busy -= 1

    def close(self) -> None:
        for _, _, ticket in self._waiting:
            ticket.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
