"""The CLI's voice call notes when reply audio arrives too late for a real-time player (a stall)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest

from services.cli import client
from services.cli.client import VoiceCall


class ScriptedSocket:
    """Delivers each message at its scripted time of a fake clock."""

    def __init__(self, script: list[tuple[float, str | bytes]], clock: list[float]) -> None:
        self.script = script
        self.clock = clock
        self.close_code = 1000

    async def __aiter__(self) -> AsyncIterator[str | bytes]:
        for at, message in self.script:
            self.clock[0] = at
            yield message


def audio_start(reply: int, encoding: str, rate: int) -> str:
    return json.dumps({"type": "audio_start", "reply": reply, "format": {"encoding": encoding, "sample_rate_hz": rate}})


async def test_audio_arriving_after_everything_before_it_has_played_is_a_stall(monkeypatch) -> None:
    now = [0.0]
    monkeypatch.setattr(client, "time", SimpleNamespace(perf_counter=lambda: now[0]))
    one_second_pcm16, one_second_mulaw = bytes(32_000), bytes(8_000)
    script: list[tuple[float, str | bytes]] = [
        (0.0, audio_start(1, "pcm16", 16_000)),
        (0.0, one_second_pcm16),  # plays until 1.0
        (0.5, one_second_pcm16[:16_000]),  # early enough: plays until 1.5
        (1.8, one_second_pcm16[:16_000]),  # 0.3 s of silence before it
        (5.0, audio_start(2, "mulaw", 8_000)),  # a new reply: the gap before it is no stall
        (5.0, one_second_mulaw),
        (6.2, one_second_mulaw),  # 0.2 s late
    ]
    call = VoiceCall(ScriptedSocket(script, now))
    await call._receive()
    assert call.stalls_s == {1: pytest.approx(0.3), 2: pytest.approx(0.2)}
    assert call.audio_by_reply == {1: 64_000, 2: 16_000} and call.first_audio_at == 0.0
