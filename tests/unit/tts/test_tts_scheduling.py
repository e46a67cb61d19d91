"""The synthesis scheduler: a bounded set of threads, waiting jobs earliest deadline first."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from services.tts.scheduling import DeadlineScheduler


@pytest.fixture
def scheduler():
    scheduler = DeadlineScheduler(workers=1)
    yield scheduler
    scheduler.close()


async def test_waiting_jobs_run_earliest_deadline_first(scheduler: DeadlineScheduler) -> None:
    started = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def blocker() -> None:
        started.set()
        release.wait(5)

    def job(name: str) -> str:
        order.append(name)
        return name

    busy = asyncio.create_task(scheduler.run(0.0, blocker))
    await asyncio.to_thread(started.wait, 5)
    later = asyncio.create_task(scheduler.run(10.0, job, "a later sentence"))
    sooner = asyncio.create_task(scheduler.run(5.0, job, "a first sentence"))
    await asyncio.sleep(0.02)
    assert scheduler.waiting == 2 and order == []

    release.set()
    assert await asyncio.gather(busy, later, sooner) == [None, "a later sentence", "a first sentence"]
    assert order == ["a first sentence", "a later sentence"]


async def test_jobs_run_in_parallel_up_to_the_worker_count() -> None:
    scheduler = DeadlineScheduler(workers=2)
    began = time.perf_counter()
    await asyncio.gather(*(scheduler.run(0.0, time.sleep, 0.2) for _ in range(4)))
    elapsed = time.perf_counter() - began
    scheduler.close()
    assert 0.35 < elapsed < 1.0  # two rounds of two, not four in a row nor four at once


async def test_a_cancelled_waiting_job_never_runs_and_frees_nothing_twice(scheduler: DeadlineScheduler) -> None:
    release = threading.Event()
    ran: list[str] = []
    busy = asyncio.create_task(scheduler.run(0.0, release.wait, 5))
    await asyncio.sleep(0.02)
    waiting = asyncio.create_task(scheduler.run(1.0, ran.append, "cancelled"))
    await asyncio.sleep(0.02)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)

    release.set()
    await busy
    assert await scheduler.run(2.0, lambda: "next") == "next"
    assert ran == [] and scheduler.waiting == 0


async def test_an_error_in_a_job_reaches_the_caller_and_frees_the_thread(scheduler: DeadlineScheduler) -> None:
    def failing() -> None:
        raise ValueError("engine failed")

    with pytest.raises(ValueError, match="engine failed"):
        await scheduler.run(0.0, failing)
    assert await scheduler.run(0.0, lambda: 42) == 42
