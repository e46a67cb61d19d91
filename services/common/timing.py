"""Per-stage timing: domain code records stages, transports turn them into ``Timing``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from voiceagent.v1 import common_pb2


class StageTimer:
    """Records how long named stages take, in milliseconds, in order."""

    def __init__(self) -> None:
        self._start = time.perf_counter()
        self.stages: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, (time.perf_counter() - began) * 1000.0)

    def add(self, name: str, ms: float) -> None:
        self.stages[name] = self.stages.get(name, 0.0) + ms

    @property
    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self._start) * 1000.0


def timing_proto(stages: dict[str, float], total_ms: float) -> common_pb2.Timing:
    return common_pb2.Timing(
        stages=[common_pb2.StageTiming(stage=name, ms=ms) for name, ms in stages.items()], total_ms=total_ms
    )
