"""The conversation engine: speculative retrieval, routing, booking context and degraded replies."""

from __future__ import annotations

import asyncio

import pytest

from services.common.errors import InvalidInput
from services.gateway import templates
from services.gateway.engine import ConversationEngine
from services.gateway.ports import Answer
from services.gateway.sessions import Session, parse_clock


@pytest.fixture
def engine(intent, knowledge, booking) -> ConversationEngine:
    return ConversationEngine(intent, knowledge, booking)


async def test_knowledge_question_runs_retrieval_in_parallel_with_intent(engine, intent, knowledge, new_session):
    intent.delay_s = knowledge.delay_s = 0.05
    session = new_session()

    result = await engine.respond(session, "When does the library open?")

    assert result.route == "knowledge" and result.intent == "RAG_QUERY"
    assert result.reply == "The library opens at 8 am."
    assert [s.document for s in result.sources] == ["library/opening-hours.md"]
    assert knowledge.started_at is not None and knowledge.started_at < intent.finished_at  # speculative start
    assert result.timings["turn"] < 90  # max(intent, rag), not their sum
    assert {"intent", "rag", "turn"} <= result.timings.keys()


async def test_retrieval_is_discarded_when_the_intent_needs_no_knowledge(engine, knowledge, new_session):
    knowledge.delay_s = 1.0
    session = new_session()

    result = await engine.respond(session, "hello there")

    assert result.route == "template" and result.reply == templates.GREETING
    assert knowledge.cancelled and "rag" not in result.timings
    assert result.timings["turn"] < 500


async def test_booking_starts_then_takes_turns_with_intent_entities_and_session_clock(engine, booking, intent):
    session = Session(id="s1", owner="a", clock="2026-03-02T10:00:00")

    first = await engine.respond(session, "I'd like to book an advising appointment")
    assert first.route == "booking" and first.reply == "Which day would you like?"
    assert booking.calls[0] == (
        "start",
        {"text": "I'd like to book an advising appointment", "now": booking.calls[0][1]["now"]},
    )
    assert booking.calls[0][1]["now"].startswith("2026-03-02T10:00")
    assert session.booking_active and session.expecting == "preferred_date"

    second = await engine.respond(session, "Thursday please")
    kind, call = booking.calls[1]
    assert kind == "turn" and call["intent"] == "APPOINTMENT_SCHEDULING" and call["entities"] == {"date": "2026-03-05"}
    assert intent.calls[1]["expecting"] == "preferred_date"
    assert intent.calls[1]["previous_intent"] == "APPOINTMENT_SCHEDULING"
    assert second.booking is not None and second.booking.state == "WAITING_FOR_TIME"

    third = await engine.respond(session, "at ten")
    assert third.booking is not None and third.booking.appointment == {"code": "ABC123"}
    assert not session.booking_active and session.expecting == "" and session.booking_prompt == ""


async def test_any_turn_goes_to_the_flow_while_it_expects_a_slot(engine, booking, new_session):
    session = new_session()
    await engine.respond(session, "book an appointment")

    result = await engine.respond(session, "yes")

    assert result.route == "booking" and booking.calls[-1][1]["intent"] == "AFFIRM"


async def test_knowledge_question_in_the_middle_of_a_booking_is_answered_then_the_slot_asked_again(
    engine, booking, new_session
):
    session = new_session()
    await engine.respond(session, "book an appointment")

    result = await engine.respond(session, "How long does a session last at the library?")

    assert result.route == "side_question"
    assert result.reply == "The library opens at 8 am. Which day would you like?"
    assert len(booking.calls) == 1 and session.booking_active


async def test_unanswerable_question_mid_booking_goes_to_the_flow(engine, knowledge, booking, new_session):
    knowledge.answer = Answer("I don't know that.", False, 0.1)
    session = new_session()
    await engine.respond(session, "book an appointment")

    result = await engine.respond(session, "how long")

    assert result.route == "booking" and booking.calls[-1][0] == "turn"


async def test_knowledge_down_gives_a_degraded_answer_and_booking_still_works(engine, knowledge, new_session):
    knowledge.down = True
    session = new_session()

    answer = await engine.respond(session, "library hours?")
    booked = await engine.respond(session, "book an appointment")

    assert answer.reply == templates.KNOWLEDGE_DOWN and answer.degraded == ["rag"]
    assert booked.route == "booking" and booked.reply == "Which day would you like?" and not booked.degraded


async def test_intent_down_falls_back_to_knowledge_then_to_a_safe_reply(engine, intent, knowledge, new_session):
    intent.down = True
    session = new_session()

    answered = await engine.respond(session, "when does the library open")
    knowledge.answer = Answer("Nothing found.", False, 0.0)
    unknown = await engine.respond(session, "mumble")

    assert answered.route == "knowledge" and answered.degraded == ["intent"]
    assert unknown.reply == templates.NOT_UNDERSTOOD and unknown.degraded == ["intent"]


async def test_intent_down_during_a_booking_lets_the_flow_parse_the_text(engine, intent, booking, new_session):
    session = new_session()
    await engine.respond(session, "book an appointment")
    intent.down = True

    result = await engine.respond(session, "thursday")

    assert result.route == "booking" and booking.calls[-1] == (
        "turn",
        {"text": "thursday", "now": booking.calls[-1][1]["now"], "intent": "", "entities": {}},
    )
    assert result.degraded == ["intent"]


async def test_everything_down_still_answers(engine, intent, knowledge, new_session):
    intent.down = knowledge.down = True

    result = await engine.respond(new_session(), "anything")

    assert result.reply == templates.NOT_UNDERSTOOD and result.degraded == ["intent", "rag"]


async def test_booking_down_gives_a_degraded_reply(engine, booking, new_session):
    booking.down = True

    result = await engine.respond(new_session(), "book an appointment")

    assert result.reply == templates.BOOKING_DOWN and result.degraded == ["fsm"]


async def test_managing_an_appointment_without_a_flow_gets_guidance(engine, booking, new_session):
    result = await engine.respond(new_session(), "cancel my appointment please")

    assert result.route == "booking" and result.reply == templates.MANAGE_EXISTING
    assert booking.calls[-1][1]["intent"] == "APPOINTMENT_CANCEL"


async def test_an_expired_flow_is_forgotten(engine, booking, new_session):
    session = new_session()
    await engine.respond(session, "book an appointment")
    booking.flows.clear()  # the booking service's state expired

    result = await engine.respond(session, "thursday")

    assert result.reply == templates.BOOKING_EXPIRED and not session.booking_active


async def test_repeat_says_the_last_reply_again_and_keeps_it(engine, new_session):
    session = new_session()
    first = await engine.respond(session, "when does the library open")

    again = await engine.respond(session, "say that again")
    twice = await engine.respond(session, "say that again")

    assert again.reply == twice.reply == first.reply
    assert session.last_reply == first.reply


async def test_repeat_with_nothing_said_yet(engine, new_session):
    result = await engine.respond(new_session(), "again")
    assert result.reply == templates.NOTHING_TO_REPEAT


@pytest.mark.parametrize(
    ("text", "expected"),
    [("bye", templates.GOODBYE), ("write my thesis", templates.OUT_OF_SCOPE), ("yes", templates.ACKNOWLEDGE)],
)
async def test_templates(engine, new_session, text, expected):
    result = await engine.respond(new_session(), text)
    assert result.route == "template" and result.reply == expected


async def test_session_clock_advances_from_creation():
    session = Session(id="s", owner="a", clock="2026-03-02T10:00:00", created_at=1000.0)
    assert session.now(wall=1000.0) == "2026-03-02T10:00:00"
    assert session.now(wall=1090.5) == "2026-03-02T10:01:30"
    assert Session(id="s", owner="a").now() == ""


@pytest.mark.parametrize("value", ["tomorrow", "2026-13-01T10:00:00", "2026-03-02T10:00:00+01:00"])
def test_bad_clocks_are_refused(value):
    with pytest.raises(InvalidInput):
        parse_clock(value)


async def test_an_abandoned_turn_cancels_its_speculative_retrieval(engine, intent, knowledge, new_session):
    intent.delay_s = knowledge.delay_s = 1.0
    turn = asyncio.create_task(engine.respond(new_session(), "library hours"))
    await asyncio.sleep(0.05)

    turn.cancel()
    with pytest.raises(asyncio.CancelledError):
        await turn

    assert knowledge.cancelled


async def test_a_draft_is_the_turn_when_the_final_says_the_same(engine, intent, knowledge, new_session):
    session = new_session()

    draft = await engine.draft(session, "When does the library open?")
    assert draft.result is not None and session.turns == 0  # the draft changed nothing
    result = await engine.respond(session, "When does the library open?", draft)

    assert result.drafted and result.reply == "The library opens at 8 am." and len(intent.calls) == 1
    assert session.turns == 1 and session.last_reply == result.reply


async def test_a_draft_defers_the_booking_flow_to_the_turn(engine, intent, booking, new_session):
    session = new_session()

    draft = await engine.draft(session, "I'd like to book an appointment")
    assert draft.result is None and booking.calls == []
    result = await engine.respond(session, "I'd like to book an appointment", draft)

    assert result.route == "booking" and not result.drafted and [kind for kind, _ in booking.calls] == ["start"]
    assert len(intent.calls) == 1  # classified once, in the draft


async def test_a_stale_draft_is_not_used(engine, intent, knowledge, new_session):
    session = new_session()
    draft = await engine.draft(session, "When does the library open?")
    await engine.respond(session, "hello there")  # a turn taken meanwhile (say, typed)

    knowledge.answer = Answer("Now it opens at 9.", True, 0.9)
    result = await engine.respond(session, "When does the library open?", draft)

    assert not result.drafted and result.reply == "Now it opens at 9." and len(intent.calls) == 3
