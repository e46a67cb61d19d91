"""The booking state machine's transitions, driven with hand-made utterances and a small calendar."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from services.fsm.acts import Act
from services.fsm.flow import Appointment, Flow, Stage
from services.fsm.machine import BookingMachine, Decision
from services.fsm.rules import BookingRules
from services.fsm.understanding import Utterance

NOW = datetime(2026, 3, 2, 10, 0)  # Monday
THURSDAY = "2026-03-05"
ALL_SLOTS = {
    "preferred_date": THURSDAY,
    "preferred_time": "10:00",
    "purpose": "thesis supervision",
    "user_name": "Lena Hoffmann",
}


class MemoryCalendar:
    """Other callers' bookings, as the machine reads them."""

    def __init__(self, *taken: tuple[str, str]) -> None:
        self.slots = set(taken)

    async def taken(self, first: date, last: date) -> set[tuple[str, str]]:
        return {slot for slot in self.slots if first.isoformat() <= slot[0] <= last.isoformat()}


def said(text: str = "", *acts: Act, mentioned: str | None = None, **values: str) -> Utterance:
    return Utterance(text, frozenset(acts), values, mentioned)


def new_flow() -> Flow:
    return Flow(session_id="s", flow_id="f")


@pytest.fixture
def machine() -> BookingMachine:
    return BookingMachine(BookingRules(), MemoryCalendar((THURSDAY, "14:00"), (THURSDAY, "14:30")))


async def play(machine: BookingMachine, *turns: Utterance, now: datetime = NOW) -> list[Decision]:
    flow, decisions = new_flow(), []
    for turn in turns:
        decision = await machine.advance(flow, turn, now)
        decisions.append(decision)
        flow = decision.flow
    return decisions


def assert_speakable(reply: str) -> None:
    assert reply and not re.search(r"\d{4}-\d{2}-\d{2}|\b\d{2}:\d{2}\b|[|_{}]|None", reply), reply


async def test_slots_are_asked_for_in_order(machine: BookingMachine) -> None:
    decisions = await play(
        machine,
        said("I'd like an appointment"),
        said(preferred_date=THURSDAY),
        said(preferred_time="10:00"),
        said(purpose="thesis supervision"),
        said(user_name="Lena Hoffmann"),
    )
    assert [d.flow.stage for d in decisions] == [
        Stage.WAITING_FOR_DATE,
        Stage.WAITING_FOR_TIME,
        Stage.WAITING_FOR_PURPOSE,
        Stage.WAITING_FOR_NAME,
        Stage.CONFIRMATION,
    ]
    assert [d.flow.expecting for d in decisions] == [
        "preferred_date",
        "preferred_time",
        "purpose",
        "user_name",
        "confirmation",
    ]
    for decision in decisions:
        assert_speakable(decision.reply)
        assert decision.flow.prompt == decision.reply


async def test_one_utterance_can_fill_every_slot_and_the_read_back_says_them_all(machine: BookingMachine) -> None:
    (decision,) = await play(machine, said(**ALL_SLOTS))
    assert decision.flow.stage == Stage.CONFIRMATION and not decision.book
    for part in ("Thursday, March 5th", "10 a.m.", "thesis supervision", "Lena Hoffmann", "Shall I book it?"):
        assert part in decision.reply


async def test_greeting_without_an_utterance_asks_for_the_date(machine: BookingMachine) -> None:
    decision = machine.greet(new_flow())
    assert decision.flow.stage == Stage.WAITING_FOR_DATE and "What day" in decision.reply


async def test_only_an_explicit_yes_books(machine: BookingMachine) -> None:
    decisions = await play(
        machine,
        said(**ALL_SLOTS),
        said("let me check my calendar first", Act.STALL),
        said("hmm", Act.NOISE),
        said("yes", Act.AFFIRM),
    )
    assert [d.book for d in decisions] == [False, False, False, True]
    assert decisions[1].flow.stage == Stage.CONFIRMATION and "nothing is booked" in decisions[1].reply
    assert decisions[2].flow.stage == Stage.CONFIRMATION


async def test_booked_completes_with_the_confirmation_code(machine: BookingMachine) -> None:
    *_, yes = await play(machine, said(**ALL_SLOTS), said("yes", Act.AFFIRM))
    appointment = Appointment(
        code="K7M4PR",
        date=THURSDAY,
        time="10:00",
        purpose="thesis supervision",
        user_name="Lena Hoffmann",
        status="booked",
        created_at="now",
        session_id="s",
    )
    done = machine.booked(yes.flow, appointment)
    assert done.flow.stage == Stage.COMPLETED and done.flow.appointment == appointment
    assert "K 7 M 4 P R" in done.reply
    again = machine.repeat(done.flow)
    assert again.flow.stage == Stage.COMPLETED and "K 7 M 4 P R" in again.reply


async def test_a_correction_at_the_read_back_changes_the_slot_and_reads_back_again(machine: BookingMachine) -> None:
    *_, fixed = await play(
        machine,
        said(**ALL_SLOTS),
        said("no, the time is wrong, make it 11", Act.DENY, mentioned="preferred_time", preferred_time="11:00"),
    )
    assert fixed.flow.stage == Stage.CONFIRMATION and fixed.flow.slots.preferred_time == "11:00"
    assert "11 a.m." in fixed.reply and "Shall I book it?" in fixed.reply and not fixed.book


async def test_a_yes_restating_the_same_values_still_books(machine: BookingMachine) -> None:
    *_, yes = await play(
        machine,
        said(**ALL_SLOTS),
        said("yes, thursday at ten", Act.AFFIRM, preferred_date=THURSDAY, preferred_time="10:00"),
    )
    assert yes.book


async def test_no_at_the_read_back_asks_what_to_change(machine: BookingMachine) -> None:
    *_, no = await play(machine, said(**ALL_SLOTS), said("no", Act.DENY))
    assert no.flow.stage == Stage.CONFIRMATION and "What would you like to change" in no.reply
    *_, named = await play(
        machine, said(**ALL_SLOTS), said("no, the date is wrong", Act.DENY, mentioned="preferred_date")
    )
    assert named.flow.stage == Stage.WAITING_FOR_DATE and named.flow.slots.preferred_date is None
    assert named.flow.slots.preferred_time == "10:00"
    *_, spelled = await play(
        machine, said(**ALL_SLOTS), said("wait, my name is spelled differently", Act.STALL, mentioned="user_name")
    )
    assert spelled.flow.stage == Stage.WAITING_FOR_NAME and "name" in spelled.reply
    # Read back again once the slot is given anew.
    again = await machine.advance(spelled.flow, said(user_name="Lena Hofmann"), NOW)
    assert again.flow.stage == Stage.CONFIRMATION and "Lena Hofmann" in again.reply


async def test_any_slot_can_be_corrected_mid_flow(machine: BookingMachine) -> None:
    decisions = await play(
        machine,
        said(preferred_date="2026-03-04"),
        said(preferred_date=THURSDAY),
        said(preferred_time="15:00"),
        said(preferred_time="11:30"),
        said(purpose="exams", user_name="Ben Okafor"),
        said(user_name="Ben Okafor-Smith"),
    )
    flow = decisions[-1].flow
    assert (flow.slots.preferred_date, flow.slots.preferred_time, flow.slots.user_name) == (
        THURSDAY,
        "11:30",
        "Ben Okafor-Smith",
    )
    assert flow.stage == Stage.CONFIRMATION
    assert not any(d.refusals for d in decisions)


@pytest.mark.parametrize(
    ("values", "code", "cleared"),
    [
        ({"preferred_date": "2026-03-07"}, "closed_day", "preferred_date"),
        ({"preferred_date": "2026-02-27"}, "past", "preferred_date"),
        ({"preferred_date": "2026-05-02"}, "too_far", "preferred_date"),
        ({"preferred_date": THURSDAY, "preferred_time": "15:10"}, "off_grid", "preferred_time"),
        ({"preferred_date": THURSDAY, "preferred_time": "17:00"}, "out_of_hours", "preferred_time"),
        ({"preferred_date": "2026-03-02", "preferred_time": "09:30"}, "past", "preferred_time"),
        ({"preferred_date": THURSDAY, "preferred_time": "14:00"}, "taken", "preferred_time"),
    ],
)
async def test_refused_values_are_dropped_and_asked_for_again_with_the_reason(
    machine: BookingMachine, values: dict[str, str], code: str, cleared: str
) -> None:
    (decision,) = await play(machine, said(**values))
    assert [r.code for r in decision.refusals] == [code]
    assert decision.flow.slots.get(cleared) is None
    assert decision.reply.startswith("Sorry, ") and decision.refusals[0].reason in decision.reply
    assert_speakable(decision.reply)
    kept = set(values) - {cleared}
    assert all(decision.flow.slots.get(slot) == values[slot] for slot in kept)


async def test_today_plus_sixty_is_bookable(machine: BookingMachine) -> None:
    (decision,) = await play(machine, said(preferred_date="2026-05-01", preferred_time="09:00"))
    assert not decision.refusals and decision.flow.stage == Stage.WAITING_FOR_PURPOSE


async def test_a_taken_slot_offers_the_nearest_free_ones(machine: BookingMachine) -> None:
    (decision,) = await play(machine, said(preferred_date=THURSDAY, preferred_time="14:00"))
    offered = [(o.day.isoformat(), o.start.strftime("%H:%M")) for o in decision.alternatives]
    assert offered == [(THURSDAY, "13:00"), (THURSDAY, "13:30"), (THURSDAY, "15:00")]
    assert "1 p.m., 1:30 p.m. or 3 p.m." in decision.reply


async def test_a_fully_booked_day_is_refused_with_slots_on_the_next_days() -> None:
    rules = BookingRules()
    full = MemoryCalendar(*[(THURSDAY, start.strftime("%H:%M")) for start in rules.slot_starts()])
    (decision,) = await play(BookingMachine(rules, full), said(preferred_date=THURSDAY))
    assert [r.code for r in decision.refusals] == ["fully_booked"]
    assert decision.alternatives and all(o.day == date(2026, 3, 6) for o in decision.alternatives)
    assert decision.flow.stage == Stage.WAITING_FOR_DATE


async def test_a_date_that_makes_the_kept_time_impossible_is_the_one_refused(machine: BookingMachine) -> None:
    decisions = await play(machine, said(preferred_time="14:00", purpose="visa"), said(preferred_date=THURSDAY))
    assert decisions[0].flow.stage == Stage.WAITING_FOR_DATE and not decisions[0].refusals
    refused = decisions[1]
    assert [r.code for r in refused.refusals] == ["taken"]
    assert refused.flow.slots.preferred_date is None and refused.flow.slots.preferred_time == "14:00"


async def test_cancel_works_at_any_point(machine: BookingMachine) -> None:
    for prefix in ([], [said(preferred_date=THURSDAY)], [said(**ALL_SLOTS)]):
        *_, last = await play(machine, *prefix, said("never mind, cancel that", Act.CANCEL))
        assert last.flow.stage == Stage.CANCELLED and last.flow.finished and not last.book


async def test_cancel_words_with_a_new_value_are_a_correction(machine: BookingMachine) -> None:
    *_, last = await play(
        machine,
        said(preferred_date=THURSDAY),
        said("never mind, make it friday", Act.CANCEL, preferred_date="2026-03-06"),
    )
    assert last.flow.stage == Stage.WAITING_FOR_TIME and last.flow.slots.preferred_date == "2026-03-06"


async def test_asking_for_a_person_hands_off(machine: BookingMachine) -> None:
    *_, last = await play(machine, said(preferred_date=THURSDAY), said("a real person please", Act.HANDOFF))
    assert last.flow.stage == Stage.HANDOFF


async def test_three_unintelligible_answers_in_a_row_hand_off(machine: BookingMachine) -> None:
    decisions = await play(machine, said("hi"), *[said("uhh", Act.NOISE)] * 3)
    assert [d.flow.failed_attempts for d in decisions] == [0, 1, 2, 3]
    assert [d.flow.stage for d in decisions][-2:] == [Stage.WAITING_FOR_DATE, Stage.HANDOFF]
    assert "didn't catch" in decisions[1].reply


async def test_two_unintelligible_answers_then_a_usable_one_carry_on(machine: BookingMachine) -> None:
    decisions = await play(
        machine,
        said("hi"),
        said("ehh", Act.NOISE),
        said("[inaudible]", Act.NOISE),
        said(preferred_date=THURSDAY),
        said("uh", Act.NOISE),
        said(preferred_time="15:30"),
    )
    assert decisions[-1].flow.stage == Stage.WAITING_FOR_PURPOSE and decisions[-1].flow.failed_attempts == 0


async def test_leaving_before_the_yes_abandons_without_booking(machine: BookingMachine) -> None:
    *_, last = await play(machine, said(preferred_date=THURSDAY), said("ill call back bye", Act.LEAVE, Act.STALL))
    assert last.flow.stage == Stage.ABANDONED and not last.book


async def test_a_slot_lost_to_another_caller_offers_alternatives(machine: BookingMachine) -> None:
    *_, yes = await play(machine, said(**ALL_SLOTS), said("yes", Act.AFFIRM))
    lost = await machine.slot_lost(yes.flow, NOW)
    assert lost.flow.stage == Stage.WAITING_FOR_TIME and lost.flow.slots.preferred_time is None
    assert [r.code for r in lost.refusals] == ["taken"] and lost.alternatives
    assert "just booked by another caller" in lost.reply


async def test_a_yes_after_the_slot_has_passed_is_refused(machine: BookingMachine) -> None:
    *_, readback = await play(machine, said(**ALL_SLOTS))
    late = await machine.advance(readback.flow, said("yes", Act.AFFIRM), datetime(2026, 3, 5, 10, 5))
    assert not late.book and [r.code for r in late.refusals] == ["past"]
    assert late.flow.stage == Stage.WAITING_FOR_TIME


async def test_the_cancel_rpc_ends_the_flow(machine: BookingMachine) -> None:
    (decision,) = await play(machine, said(preferred_date=THURSDAY))
    assert machine.cancelled(decision.flow).flow.stage == Stage.CANCELLED
    assert decision.flow.stage == Stage.WAITING_FOR_TIME  # the input flow is not mutated


async def test_a_yes_with_a_goodbye_books_but_a_goodbye_alone_abandons(machine: BookingMachine) -> None:
    *_, yes_bye = await play(machine, said(**ALL_SLOTS), said("yes please, bye", Act.AFFIRM, Act.LEAVE))
    assert yes_bye.book
    *_, bye = await play(machine, said(**ALL_SLOTS), said("ill call back, bye", Act.LEAVE))
    assert bye.flow.stage == Stage.ABANDONED and not bye.book


async def test_a_yes_that_stalls_is_not_a_yes(machine: BookingMachine) -> None:
    *_, stalled = await play(
        machine, said(**ALL_SLOTS), said("yes but let me check my calendar", Act.AFFIRM, Act.STALL)
    )
    assert not stalled.book and stalled.flow.stage == Stage.CONFIRMATION
