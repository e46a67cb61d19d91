"""A lower CPU priority for threads doing work no caller is waiting for yet.

Linux keeps a nice value per thread, and a thread inherits its creator's. The
scheduler weighs it only against the threads of the same scheduling group (the
process's autogroup, or its container's cgroup in a pod), so work at a lower
priority yields the CPU to its own process's urgent work (stt's finals over its
partials) without changing the process's share against other processes. Raising
a nice value needs no privilege; lowering it again would, so a thread that
lowers its priority keeps it. Elsewhere than Linux these helpers change nothing.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

MAX_NICE = 19


def lower_current_thread_priority(increment: int) -> None:
    """Raise the calling thread's nice value by ``increment`` (capped at 19)."""
    if increment <= 0 or not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    current = os.getpriority(os.PRIO_PROCESS, thread)
    os.setpriority(os.PRIO_PROCESS, thread, min(MAX_NICE, current + increment))


def build_at_lower_priority(increment: int, factory: Callable[[], T]) -> T:
    """``factory()`` run on a fresh thread at a lower priority, so threads it starts (a model's workers) keep it."""
    with ThreadPoolExecutor(max_workers=1, initializer=lower_current_thread_priority, initargs=(increment,)) as builder:
        return builder.submit(factory).result()
