"""The model-work scheduler: a bounded set of threads, waiting jobs earliest deadline first."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from services.common.scheduling import DeadlineScheduler, SharedWork


@pytest.fixture
def scheduler():
    scheduler = DeadlineScheduler(workers=1, thread_name_prefix="test")
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
    scheduler = DeadlineScheduler(workers=2, thread_name_prefix="test")
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


async def test_shared_work_runs_once_for_concurrent_callers_of_a_key() -> None:
    work: SharedWork[str] = SharedWork()
    starts: list[str] = []

    async def compute(value: str) -> str:
        starts.append(value)
        await asyncio.sleep(0.05)
        return value.upper()

    results = await asyncio.gather(
        work.run("a", lambda: compute("a")), work.run("a", lambda: compute("a")), work.run("b", lambda: compute("b"))
    )
    assert results == ["A", "A", "B"] and starts == ["a", "b"] and work.running == 0
    assert await work.run("a", lambda: compute("a")) == "A" and starts == ["a", "b", "a"]  # done work is not kept


async def test_shared_work_goes_on_for_the_remaining_caller_and_stops_when_nobody_waits() -> None:
    work: SharedWork[str] = SharedWork()
    finished: list[str] = []

    async def compute() -> str:
        await asyncio.sleep(0.1)
        finished.append("done")
        return "result"

    leaving = asyncio.create_task(work.run("k", compute))
    staying = asyncio.create_task(work.run("k", compute))
    await asyncio.sleep(0.02)
    leaving.cancel()
    assert await staying == "result" and finished == ["done"]

    alone = asyncio.create_task(work.run("k", compute))
    await asyncio.sleep(0.02)
    alone.cancel()
    await asyncio.sleep(0.15)
    assert finished == ["done"] and work.running == 0  # the abandoned computation was cancelled
