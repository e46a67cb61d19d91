"""The voice conversation: states, streamed replies, barge-in, pacing and degraded speech."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from services.common.errors import InvalidInput
from services.gateway.conversation import Pacer, State, VoiceConversation, VoiceOptions
from services.gateway.engine import TurnResult


async def no_audio() -> AsyncIterator[bytes]:
    await asyncio.sleep(3600)
    yield b""


def replying(text: str, delay_s: float = 0.0):
    async def take_turn(said: str, channel: str) -> TurnResult:
        await asyncio.sleep(delay_s)
        return TurnResult(
            text, "knowledge", intent="RAG_QUERY", confidence=0.9, timings={"intent": 3.0, "rag": 5.0, "turn": 6.0}
        )

    return take_turn


def conversation(
    recognizer, synthesizer, sink, reply="First sentence. Second sentence.", delay_s=0.0, **options
) -> VoiceConversation:
    return VoiceConversation("s1", replying(reply, delay_s), recognizer, synthesizer, sink, VoiceOptions(**options))


async def test_a_spoken_turn_goes_through_every_state_and_streams_the_reply(recognizer, synthesizer, sink):
    talk = conversation(recognizer, synthesizer, sink, pace_output=False)
    listening = asyncio.create_task(talk.listen(no_audio()))
    recognizer.push("speech_started")
    recognizer.push("partial", "when does")
    recognizer.push("final", "when does the library open", total=120.0)
    recognizer.push("speech_ended")

    await sink.wait_for("timings")
    recognizer.end()
    await listening

    assert sink.states() == ["LISTENING", "THINKING", "SPEAKING", "LISTENING"]
    types = sink.types()
    assert types.index("transcript") < types.index("intent") < types.index("answer") < types.index("audio_start")
    assert types.index("audio_start") < types.index("audio_end") < types.index("timings")
    assert sink.first("answer")["text"] == "First sentence. Second sentence."
    audio = b"".join(frame for _, frame in sink.frames)
    assert len(audio) == 2 * int(32_000 * 0.3)  # both sentences, 16 kHz PCM16
    assert all(len(frame) <= 3_200 for _, frame in sink.frames)  # 100 ms frames
    stages = sink.first("timings")["stages"]
    assert stages["stt"] == 120.0 and stages["intent"] == 3.0
    assert {"tts_first_audio", "tts_total", "reply_first_audio"} <= stages.keys()
    assert sink.first("audio_end")["audio_ms"] == 600.0


async def test_barge_in_while_speaking_stops_the_audio_within_100_ms(recognizer, synthesizer, sink):
    synthesizer.seconds_per_sentence = 2.0
    talk = conversation(recognizer, synthesizer, sink, lead_ms=100)
    listening = asyncio.create_task(talk.listen(no_audio()))
    recognizer.push("final", "tell me everything")
    await sink.wait_for("audio_start")
    await asyncio.sleep(0.3)

    barged_at = time.perf_counter()
    recognizer.push("speech_started")
    interrupted = await sink.wait_for("interrupted")
    await asyncio.sleep(0.3)
    recognizer.end()
    await listening

    assert interrupted["stop_ms"] < 100
    assert all(at < barged_at + 0.1 for at, _ in sink.frames), "audio kept flowing after the barge-in"
    sent_ms = len(b"".join(frame for _, frame in sink.frames)) / 32
    assert sent_ms < 1_000 and interrupted["audio_ms"] == pytest.approx(sent_ms, abs=1)
    assert synthesizer.closed, "pending synthesis was not cancelled"
    assert sink.states()[-3:] == ["SPEAKING", "INTERRUPTED", "LISTENING"]
    assert "audio_end" not in sink.types()
    assert talk.state == State.LISTENING


async def test_barge_in_while_thinking_drops_the_reply_audio_but_keeps_the_answer(recognizer, synthesizer, sink):
    talk = conversation(recognizer, synthesizer, sink, delay_s=0.2)
    listening = asyncio.create_task(talk.listen(no_audio()))
    recognizer.push("final", "book something")
    await sink.wait_for("state")
    await asyncio.sleep(0.05)

    recognizer.push("speech_started")
    await sink.wait_for("timings")
    recognizer.end()
    await listening

    assert "interrupted" in sink.types() and "answer" in sink.types()
    assert not sink.frames and not synthesizer.requests
    assert sink.states() == ["LISTENING", "THINKING", "INTERRUPTED", "LISTENING"]


async def test_speech_while_listening_is_not_a_barge_in(recognizer, synthesizer, sink):
    talk = conversation(recognizer, synthesizer, sink)
    listening = asyncio.create_task(talk.listen(no_audio()))
    recognizer.push("speech_started")
    recognizer.end()
    await listening

    assert "interrupted" not in sink.types()


async def test_tts_down_sends_text_only(recognizer, synthesizer, sink):
    synthesizer.down = True
    talk = conversation(recognizer, synthesizer, sink)
    listening = asyncio.create_task(talk.listen(no_audio()))
    recognizer.push("final", "library hours")

    degraded = await sink.wait_for("degraded")
    await sink.wait_for("timings")
    recognizer.end()
    await listening

    assert degraded["service"] == "tts" and sink.first("answer")["text"]
    assert not sink.frames and sink.states()[-1] == "LISTENING"


async def test_stt_down_is_reported_and_text_turns_still_work(recognizer, synthesizer, sink):
    recognizer.down = True
    talk = conversation(recognizer, synthesizer, sink, pace_output=False)

    await talk.listen(no_audio())
    talk.say("when does the library open")
    await sink.wait_for("timings")

    assert sink.first("error")["code"] == "stt_unavailable"
    assert sink.frames and sink.first("answer")["text"]


async def test_text_only_option_sends_no_audio(recognizer, synthesizer, sink):
    talk = conversation(recognizer, synthesizer, sink, audio_replies=False)
    talk.say("library hours")
    await sink.wait_for("timings")

    assert not sink.frames and not synthesizer.requests


async def test_empty_final_transcripts_are_ignored(recognizer, synthesizer, sink):
    talk = conversation(recognizer, synthesizer, sink)
    listening = asyncio.create_task(talk.listen(no_audio()))
    recognizer.push("final", "   ")
    recognizer.end()
    await listening

    assert "answer" not in sink.types() and sink.states() == ["LISTENING"]


async def test_a_failed_turn_is_reported_and_the_conversation_goes_on(recognizer, synthesizer, sink):
    async def failing(text: str, channel: str) -> TurnResult:
        raise InvalidInput("the message is too long")

    talk = VoiceConversation("s1", failing, recognizer, synthesizer, sink, VoiceOptions())
    talk.say("x" * 10)
    error = await sink.wait_for("error")

    assert error["message"] == "the message is too long"
    await asyncio.sleep(0.01)
    assert talk.state == State.LISTENING


async def test_turns_are_answered_in_order(recognizer, synthesizer, sink):
    talk = conversation(recognizer, synthesizer, sink, pace_output=False)
    talk.say("one")
    talk.say("two")
    await asyncio.sleep(0.1)

    assert [e["reply"] for e in sink.events if e["type"] == "timings"] == [1, 2]


async def test_close_cancels_a_reply_in_flight(recognizer, synthesizer, sink):
    synthesizer.seconds_per_sentence = 5.0
    talk = conversation(recognizer, synthesizer, sink, lead_ms=50)
    talk.say("long answer please")
    await sink.wait_for("audio_start")

    await talk.close()

    assert synthesizer.closed


async def test_pacer_keeps_audio_at_most_the_lead_ahead_of_playback():
    now = [0.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(0.2, clock=lambda: now[0], sleep=fake_sleep)
    for _ in range(10):
        await pacer.before_sending(0.1)

    # 1 s of audio: the first 0.2 s leave at once, the rest at playback speed.
    assert sum(slept) == pytest.approx(0.7)
    assert now[0] == pytest.approx(0.7)
