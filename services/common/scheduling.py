"""Blocking model work on a bounded set of threads: waiting jobs earliest deadline first; identical work once.

A thread's slot is released when its job really ends (a running thread cannot be
stopped), so cancelled callers never oversubscribe the cores. tts orders
sentences by when their audio is due: a reply's first sentence is needed at
once, its later ones only when the ones before have been played, so a new
reply's opening does not wait behind other replies' later sentences. stt
decodes in arrival order (the deadline is the arrival time). And when many
callers ask the same popular question at once, :class:`SharedWork` lets one
synthesis serve them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from services.common.priority import lower_current_thread_priority

T = TypeVar("T")


class DeadlineScheduler:
    """``run`` executes a blocking function on one of ``workers`` threads; waiting jobs go by deadline."""

    def __init__(self, workers: int, thread_name_prefix: str, nice: int = 0) -> None:
        """``nice``: run the jobs at a lower CPU priority (see :mod:`services.common.priority`)."""
        self._workers = workers
        self._executor = ThreadPoolExecutor(
            max_workers=workers,
            thread_name_prefix=thread_name_prefix,
            initializer=lower_current_thread_priority,
            initargs=(nice,),
        )
        self._busy = 0
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @property
    def waiting(self) -> int:
        return sum(1 for _, _, ticket in self._waiting if not ticket.done())

    @property
    def idle(self) -> bool:
        """A thread is free and nothing waits for one."""
        return self._busy < self._workers and not self.waiting

    async def run(self, deadline: float, function: Callable[..., T], *args: object) -> T:
        """Run ``function(*args)`` once a thread is free and no job with an earlier deadline waits."""
        loop = asyncio.get_running_loop()
        if self.idle:
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


@dataclass
class _Shared(Generic[T]):
    task: asyncio.Task[T]
    waiters: int = 0


class SharedWork(Generic[T]):
    """Concurrent calls with the same key share one computation, cancelled once nobody waits for it."""

    def __init__(self) -> None:
        self._running: dict[Hashable, _Shared[T]] = {}

    @property
    def running(self) -> int:
        return len(self._running)

    async def run(self, key: Hashable, start: Callable[[], Awaitable[T]]) -> T:
        shared = self._running.get(key)
        if shared is None:
            shared = self._running[key] = self._start(key, start)
        shared.waiters += 1
        try:
            return await asyncio.shield(shared.task)
        finally:
            shared.waiters -= 1
            if not shared.waiters and not shared.task.done():
                shared.task.cancel()
                self._forget(key, shared)

    def _forget(self, key: Hashable, entry: _Shared[T]) -> None:
        if self._running.get(key) is entry:
            del self._running[key]

    def _start(self, key: Hashable, start: Callable[[], Awaitable[T]]) -> _Shared[T]:
        entry = _Shared(asyncio.ensure_future(start()))
        entry.task.add_done_callback(lambda _: self._forget(key, entry))
        return entry
