"""The decode pool: bounded workers for finals, partials best effort on a worker of their own."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from services.stt.decoder import DecodePool

AUDIO = np.zeros(1600, dtype=np.float32)


async def test_partials_never_hold_up_finals(fake_recognizer: Any) -> None:
    recognizer = fake_recognizer(delay_s=0.2)
    pool = DecodePool(recognizer, workers=1)
    try:
        first = asyncio.ensure_future(pool.decode_if_idle(AUDIO, "en"))
        await asyncio.sleep(0.05)
        assert await pool.decode_if_idle(AUDIO, "en") is None  # the draft worker is busy: skipped
        final = await pool.decode(AUDIO, "en")
        assert final.queue_ms < 100  # did not wait for the partial
        assert (await first) is not None
        assert recognizer.calls == [(1600, True), (1600, False)]
    finally:
        pool.close()


async def test_finals_queue_when_every_worker_is_busy(fake_recognizer: Any) -> None:
    pool = DecodePool(fake_recognizer(delay_s=0.1), workers=1)
    try:
        results = await asyncio.gather(*(pool.decode(AUDIO, "en") for _ in range(3)))
        queued = sorted(r.queue_ms for r in results)
        assert queued[0] < 50 and queued[1] >= 95 and queued[2] >= 195  # one at a time
        assert all(r.recognition.text == "samples 1600" for r in results)
        assert await pool.decode_if_idle(AUDIO, "en") is not None  # the draft worker is free
    finally:
        pool.close()
