"""The fsm service as a real process over real gRPC, with real Redis and a MongoDB-protocol server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import grpc
import pytest
import redis.asyncio as aioredis
from voiceagent.v1 import fsm_pb2
from voiceagent.v1.fsm_pb2_grpc import AppointmentBookingStub as Stub

from services.stack.backends import BackendEndpoints

pytestmark = pytest.mark.integration
AGENT = "it/fsm-grpc"
NOW = "2026-03-02T10:00:00"  # Monday


@pytest.fixture(scope="module")
def address(start_service: Callable[..., str]) -> str:
    return start_service("fsm", VA_AGENT=AGENT)


@pytest.fixture
async def stub(address: str) -> AsyncIterator[Stub]:
    async with grpc.aio.insecure_channel(address) as channel:
        yield Stub(channel)


def session() -> str:
    return f"it-{uuid.uuid4().hex[:12]}"


async def say(stub: Stub, session_id: str, text: str, now: str = NOW) -> fsm_pb2.TurnResponse:
    return await stub.ProcessTurn(fsm_pb2.TurnRequest(session_id=session_id, text=text, now=now), timeout=15)


async def up_to_read_back(
    stub: Stub, session_id: str, when: str, name: str, purpose: str = "Thesis supervision."
) -> fsm_pb2.TurnResponse:
    """Start a dialogue with a date and time, answer the remaining questions, stop at the read-back."""
    reply = await stub.Start(
        fsm_pb2.StartRequest(session_id=session_id, now=NOW, text=f"I'd like an appointment {when}.")
    )
    answers = {"WAITING_FOR_PURPOSE": purpose, "WAITING_FOR_NAME": name}
    while reply.state.state in answers:
        reply = await say(stub, session_id, answers[reply.state.state])
    assert reply.state.state == "CONFIRMATION", reply.reply
    return reply


async def test_a_whole_dialogue_books_one_appointment(stub: Stub) -> None:
    sid = session()
    opening = await stub.Start(fsm_pb2.StartRequest(session_id=sid, now=NOW, text="I'd like to book an appointment"))
    assert opening.state.state == "WAITING_FOR_DATE" and opening.state.expecting == "preferred_date"
    assert opening.timing.total_ms > 0
    steps = [
        ("Monday the 9th please", "WAITING_FOR_TIME"),
        ("2 pm", "WAITING_FOR_PURPOSE"),
        ("It's about my thesis supervision.", "WAITING_FOR_NAME"),
        ("Lena Hoffmann", "CONFIRMATION"),
    ]
    for text, state in steps:
        reply = await say(stub, sid, text)
        assert reply.state.state == state, reply.reply
    assert "Monday, March 9th at 2 p.m." in reply.reply
    done = await say(stub, sid, "Yes, that's right.")
    assert done.state.state == "COMPLETED"
    code = done.state.appointment.code
    assert len(code) == 6 and " ".join(code) in done.reply
    assert {s.stage for s in done.timing.stages} >= {"load", "understand", "decide", "book", "save"}
    again = await say(stub, sid, "yes")  # a retried confirmation does not book twice
    assert again.state.appointment.code == code
    listed = await stub.ListAppointments(fsm_pb2.ListAppointmentsRequest(user_name="lena hoffmann", date="2026-03-09"))
    assert [a.code for a in listed.appointments] == [code]
    state = await stub.Get(fsm_pb2.GetRequest(session_id=sid))
    assert state.state == "COMPLETED" and state.slots.preferred_time == "14:00"


async def test_refusals_explain_why_and_offer_alternatives(stub: Stub) -> None:
    sid = session()
    await stub.Start(fsm_pb2.StartRequest(session_id=sid, now=NOW))
    weekend = await say(stub, sid, "Saturday")
    assert weekend.rejected and weekend.rejection_code == "closed_day" and "Saturday" in weekend.reply
    await say(stub, sid, "Tuesday")
    off_grid = await say(stub, sid, "3:10 pm")
    assert off_grid.rejected and off_grid.rejection_code == "off_grid"
    assert "3:10 p.m." in off_grid.rejection_reason and off_grid.state.state == "WAITING_FOR_TIME"
    other = session()
    await up_to_read_back(stub, other, "on Tuesday at 11 am", "Ben Okafor")
    assert (await say(stub, other, "yes")).state.state == "COMPLETED"
    taken = await say(stub, sid, "11 am")
    assert taken.rejection_code == "taken" and len(taken.alternatives) == 3
    assert {(a.date, a.time) for a in taken.alternatives} == {
        ("2026-03-03", "10:30"),
        ("2026-03-03", "11:30"),
        ("2026-03-03", "10:00"),
    }


async def test_two_confirmations_of_one_slot_book_exactly_once(stub: Stub, backends: BackendEndpoints) -> None:
    first, second = session(), session()
    for sid, name in ((first, "Aylin Demir"), (second, "Jonas Weber")):
        await up_to_read_back(stub, sid, "on Wednesday at 3 pm", name)
    replies = await asyncio.gather(say(stub, first, "Yes."), say(stub, second, "Yes."))
    states = sorted(reply.state.state for reply in replies)
    assert states == ["COMPLETED", "WAITING_FOR_TIME"]
    loser = next(reply for reply in replies if reply.state.state == "WAITING_FOR_TIME")
    assert loser.rejected and loser.rejection_code == "taken" and loser.alternatives
    assert "just booked by another caller" in loser.reply
    listed = await stub.ListAppointments(fsm_pb2.ListAppointmentsRequest(date="2026-03-04"))
    assert [(a.time, a.status) for a in listed.appointments] == [("15:00", "booked")]


async def test_live_state_is_in_redis_with_a_ttl(stub: Stub, backends: BackendEndpoints) -> None:
    sid = session()
    await stub.Start(fsm_pb2.StartRequest(session_id=sid, now=NOW, text="Thursday please"))
    redis = aioredis.Redis.from_url(backends.redis_url)
    try:
        ttl = await redis.ttl(f"va:{AGENT}:fsm:{sid}")
    finally:
        await redis.aclose()
    assert 1700 < ttl <= 1800


async def test_cancel_reschedule_and_status_by_code_or_name(stub: Stub) -> None:
    sid = session()
    await up_to_read_back(stub, sid, "on Friday at 9 am", "Eva Brandt")
    code = (await say(stub, sid, "yes")).state.appointment.code
    moved = await stub.RescheduleAppointment(
        fsm_pb2.RescheduleAppointmentRequest(code=code.lower(), date="2026-03-10", time="09:30", now=NOW)
    )
    assert (moved.appointment.date, moved.appointment.time) == ("2026-03-10", "09:30")
    assert "Tuesday, March 10th at 9:30 a.m." in moved.message
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.RescheduleAppointment(
            fsm_pb2.RescheduleAppointmentRequest(code=code, date="2026-03-14", time="09:30", now=NOW)
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "Saturday" in str(refused.value.details())
    cancelled = await stub.CancelAppointment(
        fsm_pb2.CancelAppointmentRequest(user_name="EVA BRANDT", date="2026-03-10", now=NOW)
    )
    assert cancelled.appointment.code == code and cancelled.appointment.status == "cancelled"
    listed = await stub.ListAppointments(fsm_pb2.ListAppointmentsRequest(code=code, include_cancelled=True))
    assert [a.status for a in listed.appointments] == ["cancelled"]
    assert not (await stub.ListAppointments(fsm_pb2.ListAppointmentsRequest(code=code))).appointments


async def test_a_taken_slot_refuses_a_reschedule_with_alternatives(stub: Stub) -> None:
    codes = []
    for time, name in (("10:00", "Mia Schulz"), ("10:30", "Tom Becker")):
        sid = session()
        await up_to_read_back(stub, sid, f"on March 11th at {time}", name)
        codes.append((await say(stub, sid, "yes")).state.appointment.code)
    with pytest.raises(grpc.aio.AioRpcError) as taken:
        await stub.RescheduleAppointment(
            fsm_pb2.RescheduleAppointmentRequest(code=codes[1], date="2026-03-11", time="10:00", now=NOW)
        )
    assert taken.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "already taken" in str(taken.value.details()) and "nearest free" in str(taken.value.details())


async def test_cancel_right_after_booking_cancels_the_appointment(stub: Stub) -> None:
    sid = session()
    await up_to_read_back(stub, sid, "on Monday the 9th at 4:30 pm", "Noah Fischer")
    code = (await say(stub, sid, "yes")).state.appointment.code
    status = await say(stub, sid, "what was my appointment again?")
    assert status.state.state == "COMPLETED" and " ".join(code) in status.reply
    undone = await say(stub, sid, "oh no, cancel that please")
    assert undone.state.state == "CANCELLED" and undone.state.appointment.status == "cancelled"
    assert "4:30 p.m." in undone.reply
    listed = await stub.ListAppointments(fsm_pb2.ListAppointmentsRequest(code=code, include_cancelled=True))
    assert [a.status for a in listed.appointments] == ["cancelled"]


async def test_the_flow_can_be_cancelled_by_rpc_or_by_voice(stub: Stub) -> None:
    by_rpc, by_voice = session(), session()
    await stub.Start(fsm_pb2.StartRequest(session_id=by_rpc, now=NOW))
    assert (await stub.Cancel(fsm_pb2.CancelRequest(session_id=by_rpc))).state == "CANCELLED"
    await stub.Start(fsm_pb2.StartRequest(session_id=by_voice, now=NOW, text="next Monday"))
    assert (await say(stub, by_voice, "Never mind, cancel that.")).state.state == "CANCELLED"


@pytest.mark.parametrize(
    ("call", "code"),
    [
        ("ProcessTurn", grpc.StatusCode.NOT_FOUND),
        ("Get", grpc.StatusCode.NOT_FOUND),
        ("Cancel", grpc.StatusCode.NOT_FOUND),
    ],
)
async def test_unknown_sessions_are_not_found(stub: Stub, call: str, code: grpc.StatusCode) -> None:
    requests = {
        "ProcessTurn": fsm_pb2.TurnRequest(session_id="never-started", text="hello"),
        "Get": fsm_pb2.GetRequest(session_id="never-started"),
        "Cancel": fsm_pb2.CancelRequest(session_id="never-started"),
    }
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await getattr(stub, call)(requests[call])
    assert failure.value.code() == code


async def test_bad_input_is_invalid_argument_and_the_service_keeps_serving(stub: Stub) -> None:
    sid = session()
    await stub.Start(fsm_pb2.StartRequest(session_id=sid, now=NOW, text="Thursday"))
    bad_calls = [
        stub.ProcessTurn(fsm_pb2.TurnRequest(session_id=sid, text="", now=NOW)),
        stub.ProcessTurn(fsm_pb2.TurnRequest(session_id=sid, text="x" * 2001, now=NOW)),
        stub.ProcessTurn(fsm_pb2.TurnRequest(session_id=sid, text="10 am", now="yesterday-ish")),
        stub.ProcessTurn(fsm_pb2.TurnRequest(session_id=sid, text="10 am", now=NOW, entities={"time": "ten"})),
        stub.ProcessTurn(fsm_pb2.TurnRequest(session_id="", text="hello")),
        stub.Start(fsm_pb2.StartRequest(session_id=session(), now="32/13/2026")),
        stub.Start(fsm_pb2.StartRequest(session_id=session(), text="y" * 2001)),
        stub.ListAppointments(fsm_pb2.ListAppointmentsRequest(code="not-a-code")),
        stub.ListAppointments(fsm_pb2.ListAppointmentsRequest(date="March 5")),
        stub.ListAppointments(fsm_pb2.ListAppointmentsRequest(limit=-1)),
        stub.CancelAppointment(fsm_pb2.CancelAppointmentRequest(code="O0O0O0")),
        stub.CancelAppointment(fsm_pb2.CancelAppointmentRequest(user_name="Lena Hoffmann")),
        stub.RescheduleAppointment(fsm_pb2.RescheduleAppointmentRequest(code="AAAAAA", date="2026-03-05", time="9:30")),
    ]
    for call in bad_calls:
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await call
        assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT, failure.value.details()
        assert "Traceback" not in str(failure.value.details())
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.CancelAppointment(fsm_pb2.CancelAppointmentRequest(code="AAAAAA"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    after = await say(stub, sid, "10 am")  # the dialogue is intact and the service still serves
    assert after.state.state == "WAITING_FOR_PURPOSE" and after.state.slots.preferred_date == "2026-03-05"
