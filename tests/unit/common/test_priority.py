"""Lower-priority threads: the nice value is raised for the thread and inherited by the threads it starts."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest

from services.common.priority import MAX_NICE, build_at_lower_priority, lower_current_thread_priority
from services.common.scheduling import DeadlineScheduler

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")


def thread_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def nice_after_lowering(increment: int) -> int:
    result: list[int] = []

    def lower_and_read() -> None:
        lower_current_thread_priority(increment)
        result.append(thread_nice())

    thread = threading.Thread(target=lower_and_read)
    thread.start()
    thread.join()
    return result[0]


def test_only_the_calling_thread_is_lowered() -> None:
    base = thread_nice()
    assert nice_after_lowering(5) == min(MAX_NICE, base + 5)
    assert thread_nice() == base


def test_nice_is_capped_and_a_zero_increment_changes_nothing() -> None:
    base = thread_nice()
    assert nice_after_lowering(100) == MAX_NICE
    assert nice_after_lowering(0) == base


def test_threads_started_by_a_lowered_factory_inherit_its_priority() -> None:
    base = thread_nice()

    def factory() -> list[int]:
        started: list[int] = []
        worker = threading.Thread(target=lambda: started.append(thread_nice()))
        worker.start()
        worker.join()
        return [thread_nice(), *started]

    assert build_at_lower_priority(7, factory) == [min(MAX_NICE, base + 7)] * 2
    assert thread_nice() == base


async def test_scheduler_jobs_run_at_the_scheduler_priority() -> None:
    base = thread_nice()
    lowered = DeadlineScheduler(workers=2, thread_name_prefix="test-low", nice=4)
    normal = DeadlineScheduler(workers=1, thread_name_prefix="test-normal")
    try:
        niceness = await asyncio.gather(*(lowered.run(0.0, thread_nice) for _ in range(3)))
        assert niceness == [min(MAX_NICE, base + 4)] * 3
        assert await normal.run(0.0, thread_nice) == base
    finally:
        lowered.close()
        normal.close()
