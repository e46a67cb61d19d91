"""The voice conversation: states, streamed replies, barge-in, pacing and degraded speech."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from services.common.errors import InvalidInput, ServiceError
from services.gateway.conversation import Pacer, State, VoiceConversation, VoiceOptions
from services.gateway.engine import ConversationEngine, Draft, TurnResult
from services.gateway.ports import Answer
from services.gateway.sessions import Session
from services.gateway.turns import SessionTurns, TurnService


async def no_audio() -> AsyncIterator[bytes]:
    await asyncio.sleep(3600)
    yield b""


class ScriptedTurns:
    """Every turn replies ``reply`` after ``delay_s`` (or raises ``failure``); drafts are not expected."""

    def __init__(self, reply: str, delay_s: float = 0.0, failure: ServiceError | None = None) -> None:
        self.reply = reply
        self.delay_s = delay_s
        self.failure = failure

    async def draft(self, text: str) -> Draft:
        raise AssertionError("no tentative transcript was pushed, so nothing should be drafted")

    async def take(self, text: str, channel: str, draft: Draft | None = None) -> TurnResult:
        await asyncio.sleep(self.delay_s)
        if self.failure is not None:
            raise self.failure
        return TurnResult(
            self.reply,
            "knowledge",
            intent="RAG_QUERY",
            confidence=0.9,
            timings={"intent": 3.0, "rag": 5.0, "turn": 6.0},
        )


def conversation(
    recognizer, synthesizer, sink, reply="First sentence. Second sentence.", delay_s=0.0, **options
) -> VoiceConversation:
    turns = ScriptedTurns(reply, delay_s)
    return VoiceConversation("s1", turns, recognizer, synthesizer, sink, VoiceOptions(**options))


async def engine_conversation(intent, knowledge, booking, store, recognizer, synthesizer, sink) -> VoiceConversation:
    """A conversation over the real engine and turn service (with fake downstreams and store)."""
    await store.create(Session(id="s1", owner="tenant-a", clock="2026-03-02T10:00:00"))
    turns = SessionTurns(TurnService(store, ConversationEngine(intent, knowledge, booking)), "s1")
    return VoiceConversation("s1", turns, recognizer, synthesizer, sink, VoiceOptions(pace_output=False))


async def until(condition, timeout_s: float = 2.0) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition():
        assert time.perf_counter() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


async def test_a_tentative_transcript_drafts_the_reply_and_synthesizes_it_ahead(
    intent, knowledge, booking, store, recognizer, synthesizer, sink
):
    talk = await engine_conversation(intent, knowledge, booking, store, recognizer, synthesizer, sink)
    listening = asyncio.create_task(talk.listen(no_audio()))
    recognizer.push("speech_started")
    recognizer.push("tentative", "when does the library open")
    await until(lambda: synthesizer.requests)  # the audio is being made before the final exists
    assert "answer" not in sink.types() and store.histories == {}  # nothing said or stored yet

    recognizer.push("final", "when does the library open")
    answer = await sink.wait_for("answer")
    await sink.wait_for("timings")
    recognizer.end()
    await listening

    assert answer["drafted"] and answer["text"] == "The library opens at 8 am."
    assert synthesizer.requests == ["The library opens at 8 am."]  # synthesized once, ahead
    assert len(intent.calls) == 1 and sink.frames
    assert Session.from_json(store.sessions["s1"]).turns == 1 and len(store.histories["s1"]) == 2


async def test_speech_resuming_drops_the_draft_and_its_audio(
    intent, knowledge, booking, store, recognizer, synthesizer, sink
):
    synthesizer.delay_s = 0.05
    talk = await engine_conversation(intent, knowledge, booking, store, recognizer, synthesizer, sink)
    listening = asyncio.create_task(talk.listen(no_audio()))
    recognizer.push("tentative", "when does the library")
    await until(lambda: synthesizer.requests)
    recognizer.push("speech_resumed")
    await until(lambda: synthesizer.closed)  # the prefetched synthesis was stopped

    knowledge.answer = Answer("On Sundays it opens at noon.", True, 0.9)
    recognizer.push("final", "when does the library open on sunday")
    answer = await sink.wait_for("answer")
    await sink.wait_for("timings")
    recognizer.end()
    await listening

    assert not answer["drafted"] and answer["text"] == "On Sundays it opens at noon."
    assert synthesizer.requests[-1] == "On Sundays it opens at noon." and len(intent.calls) == 2
    assert len(store.histories["s1"]) == 2  # one turn: the dropped draft left no trace


async def test_the_booking_flow_only_runs_on_the_final_transcript(
    intent, knowledge, booking, store, recognizer, synthesizer, sink
):
    talk = await engine_conversation(intent, knowledge, booking, store, recognizer, synthesizer, sink)
    listening = asyncio.create_task(talk.listen(no_audio()))
    recognizer.push("tentative", "I want to book an appointment")
    await until(lambda: intent.calls)
    await asyncio.sleep(0.05)
    assert booking.calls == [] and synthesizer.requests == []  # a booking reply can't be known ahead

    recognizer.push("final", "I want to book an appointment")
    answer = await sink.wait_for("answer")
    await sink.wait_for("timings")
    recognizer.end()
    await listening

    assert answer["text"] == "Which day would you like?" and not answer["drafted"]
    assert [kind for kind, _ in booking.calls] == ["start"] and len(intent.calls) == 1  # the intent was reused


async def test_a_final_that_differs_from_the_tentative_is_answered_afresh(
    intent, knowledge, booking, store, recognizer, synthesizer, sink
):
    talk = await engine_conversation(intent, knowledge, booking, store, recognizer, synthesizer, sink)
    listening = asyncio.create_task(talk.listen(no_audio()))
    recognizer.push("tentative", "hello")
    await until(lambda: synthesizer.requests)
    recognizer.push("final", "so when does the library open")
    answer = await sink.wait_for("answer")
    await sink.wait_for("timings")
    recognizer.end()
    await listening

    assert answer["route"] == "knowledge" and not answer["drafted"]
    assert synthesizer.closed and len(synthesizer.requests) == 2


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
    assert stages["tts_synthesize"] == 5.0  # tts's own stages of the first sentence
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
    failing = ScriptedTurns("", failure=InvalidInput("the message is too long"))
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


async def test_closing_drops_a_draft_in_progress(intent, knowledge, booking, store, recognizer, synthesizer, sink):
    knowledge.delay_s = 5.0
    talk = await engine_conversation(intent, knowledge, booking, store, recognizer, synthesizer, sink)
    listening = asyncio.create_task(talk.listen(no_audio()))
    recognizer.push("tentative", "when does the library open")
    await until(lambda: knowledge.started_at is not None)

    await talk.close()
    recognizer.end()
    await listening

    assert knowledge.cancelled and synthesizer.requests == [] and store.histories == {}
