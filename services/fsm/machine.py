"""The booking dialogue as a state machine: one caller turn in, the next state and a reply out.

Slots are asked for in the order date, time, purpose, name; one turn may fill
several, and any slot may be corrected at any point. Every date and time is
checked against the agent's rules and the calendar before it is kept; a refused
value is dropped and asked for again, with the reason. When all four are
known the machine reads them back and books only on an explicit yes — the
write itself is the caller's job (``Decision.book``), so that this module stays
free of storage and can be tested with a small in-memory calendar.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol

from services.fsm.acts import Act
from services.fsm.codes import spell
from services.fsm.flow import WAITING_STAGE, Appointment, Flow, Stage
from services.fsm.rules import BookingRules, Refusal
from services.fsm.speech import say_date, say_list, say_time, sentence
from services.fsm.understanding import Utterance

MAX_FAILED_ATTEMPTS = 3


class Calendar(Protocol):
    """Read access to other callers' bookings."""

    async def taken(self, first: date, last: date) -> set[tuple[str, str]]:
        """``(YYYY-MM-DD, HH:MM)`` of every booked slot between ``first`` and ``last`` inclusive."""
        ...


@dataclass(frozen=True)
class SlotOption:
    day: date
    start: time


@dataclass
class Decision:
    """The outcome of a turn: the new flow, what to say, and whether to write the booking now."""

    flow: Flow
    reply: str
    refusals: list[Refusal] = field(default_factory=list)
    alternatives: list[SlotOption] = field(default_factory=list)
    book: bool = False


def parse_day(value: str) -> date:
    return date.fromisoformat(value)


def parse_clock(value: str) -> time:
    return time.fromisoformat(value)


class BookingMachine:
    def __init__(self, rules: BookingRules, calendar: Calendar) -> None:
        self.rules = rules
        self.calendar = calendar

    # --- entry points ---------------------------------------------------------------------------

    def greet(self, flow: Flow) -> Decision:
        """The first prompt of a new flow that starts without an utterance."""
        flow = flow.model_copy(deep=True)
        flow.stage = Stage.WAITING_FOR_DATE
        return self._say(flow, f"Hello! I can book an advising appointment for you. {self._ask(flow)}")

    async def advance(self, flow: Flow, utterance: Utterance, now: datetime) -> Decision:
        """Apply one caller turn to a flow that is not finished."""
        flow = flow.model_copy(deep=True)
        if utterance.has(Act.HANDOFF):
            return self._finish(
                flow, Stage.HANDOFF, "Of course. I'll connect you with a member of our staff; please stay on the line."
            )
        if utterance.has(Act.NOISE):
            return self._not_understood(flow)
        flow.failed_attempts = 0
        if utterance.has(Act.CANCEL) and not utterance.values:
            return self._finish(
                flow,
                Stage.CANCELLED,
                "Okay, I've cancelled this booking. Nothing has been "
                "booked. Is there anything else I can help you with?",
            )
        if flow.stage == Stage.CONFIRMATION:
            return await self._at_read_back(flow, utterance, now)
        if utterance.has(Act.LEAVE) and not utterance.values:
            return self._abandoned(flow)
        opening = flow.stage == Stage.INITIAL_GREETING
        decision = await self._fill(flow, utterance.values, now)
        if opening and not decision.refusals:
            decision.reply = self._say(decision.flow, f"Sure, I can book that for you. {decision.reply}").reply
        return decision

    def booked(self, flow: Flow, appointment: Appointment) -> Decision:
        """The booking was written: the flow is complete."""
        flow = flow.model_copy(deep=True)
        flow.appointment = appointment
        return self._finish(
            flow,
            Stage.COMPLETED,
            f"You're booked: {self._summary(flow)}. Your confirmation code is {spell(appointment.code)}. See you then!",
        )

    async def slot_lost(self, flow: Flow, now: datetime) -> Decision:
        """Another caller booked the slot between the read-back and the yes: offer the nearest free ones."""
        flow = flow.model_copy(deep=True)
        day = parse_day(flow.slots.preferred_date or "")
        start = parse_clock(flow.slots.preferred_time or "")
        refusal = Refusal("taken", f"I'm sorry, {say_time(start)} on {say_date(day)} was just booked by another caller")
        flow.slots.preferred_time = None
        return await self._respond(flow, [refusal], await self.nearest_free(day, start, now))

    def repeat(self, flow: Flow) -> Decision:
        """A turn on a finished flow changes nothing; say where it stands."""
        if flow.stage == Stage.COMPLETED and flow.appointment is not None:
            return self._say(
                flow,
                f"Your appointment is booked: {self._summary(flow)}. Your confirmation code "
                f"is {spell(flow.appointment.code)}.",
            )
        return self._say(flow, "This booking request is closed. If you'd like to book an appointment, just say so.")

    def appointment_cancelled(self, flow: Flow, appointment: Appointment) -> Decision:
        """The caller cancelled the appointment this flow had just booked."""
        flow = flow.model_copy(deep=True)
        flow.appointment = appointment
        return self._finish(
            flow,
            Stage.CANCELLED,
            f"Okay, I've cancelled your appointment on "
            f"{say_date(parse_day(appointment.date))} at "
            f"{say_time(parse_clock(appointment.time))}.",
        )

    def cancelled(self, flow: Flow) -> Decision:
        """The flow was cancelled from outside (the Cancel RPC)."""
        return self._finish(
            flow.model_copy(deep=True), Stage.CANCELLED, "Okay, I've cancelled this booking. Nothing has been booked."
        )

    # --- turn handling --------------------------------------------------------------------------

    def _abandoned(self, flow: Flow) -> Decision:
        return self._finish(
            flow, Stage.ABANDONED, "No problem, nothing has been booked. Feel free to call back any time. Goodbye!"
        )

    def _not_understood(self, flow: Flow) -> Decision:
        flow.failed_attempts += 1
        if flow.failed_attempts >= MAX_FAILED_ATTEMPTS:
            return self._finish(
                flow,
                Stage.HANDOFF,
                "I'm sorry, I'm having trouble understanding. Let me connect you with a member of our staff.",
            )
        return self._say(flow, f"Sorry, I didn't catch that. {self._ask(flow)}")

    async def _at_read_back(self, flow: Flow, utterance: Utterance, now: datetime) -> Decision:
        changes = self._changes(flow, utterance.values)
        if changes:
            return await self._fill(flow, changes, now)
        if utterance.has(Act.AFFIRM) and not (utterance.has(Act.DENY) or utterance.has(Act.STALL)):
            refusals = self._still_bookable(flow, now)
            if refusals:
                return await self._respond(flow, refusals)
            return Decision(flow, "", book=True)
        if utterance.has(Act.LEAVE):
            return self._abandoned(flow)
        if utterance.mentioned and not utterance.has(Act.AFFIRM):
            # "Wait, my name is spelled differently": that slot is wrong, but its new value wasn't heard.
            setattr(flow.slots, utterance.mentioned, None)
            decision = await self._respond(flow, [])
            decision.reply = self._say(flow, f"Okay, let's fix that. {decision.reply}").reply
            return decision
        if utterance.has(Act.DENY):
            return self._say(flow, "What would you like to change: the date, the time, the topic or the name?")
        return self._say(
            flow,
            "Take your time; nothing is booked until you say yes. Shall I book it, or would "
            "you like to change something?",
        )

    async def _fill(self, flow: Flow, values: Mapping[str, str], now: datetime) -> Decision:
        changes = self._changes(flow, values)
        refusals, alternatives = await self._apply_date_and_time(flow, changes, now)
        for slot in ("purpose", "user_name"):
            if slot in changes:
                setattr(flow.slots, slot, changes[slot])
        return await self._respond(flow, refusals, alternatives)

    async def _apply_date_and_time(
        self, flow: Flow, changes: Mapping[str, str], now: datetime
    ) -> tuple[list[Refusal], list[SlotOption]]:
        """Keep a new date and time if the rules and the calendar allow them; otherwise say why not."""
        refusals: list[Refusal] = []
        new_day = parse_day(changes["preferred_date"]) if "preferred_date" in changes else None
        new_start = parse_clock(changes["preferred_time"]) if "preferred_time" in changes else None
        if new_day is not None and (refusal := self.rules.refuse_date(new_day, now)):
            refusals.append(refusal)
            new_day = None
            flow.slots.preferred_date = None
        if new_start is not None and (refusal := self.rules.refuse_time(new_start)):
            refusals.append(refusal)
            new_start = None
            flow.slots.preferred_time = None
        if new_day is None and new_start is None:
            return refusals, []
        day = new_day or (parse_day(flow.slots.preferred_date) if flow.slots.preferred_date else None)
        start = new_start or (parse_clock(flow.slots.preferred_time) if flow.slots.preferred_time else None)
        alternatives: list[SlotOption] = []
        if day is not None and start is not None:
            refusal = self.rules.refuse_start(day, start, now) or await self._refuse_taken(day, start)
            if refusal is not None:
                refusals.append(refusal)
                if refusal.code == "taken":
                    alternatives = await self.nearest_free(day, start, now)
                # The value this turn introduced is the one refused; a kept one stays.
                if new_start is not None:
                    new_start = None
                    flow.slots.preferred_time = None
                else:
                    new_day = None
                    flow.slots.preferred_date = None
        elif day is not None and not await self._free_starts(day, now):
            refusals.append(Refusal("fully_booked", f"{say_date(day)} is fully booked"))
            alternatives = await self.nearest_free(day, None, now)
            new_day = None
            flow.slots.preferred_date = None
        if new_day is not None:
            flow.slots.preferred_date = new_day.isoformat()
        if new_start is not None:
            flow.slots.preferred_time = new_start.strftime("%H:%M")
        return refusals, alternatives

    def _still_bookable(self, flow: Flow, now: datetime) -> list[Refusal]:
        """Re-check the read-back slot against the clock at the moment of the yes."""
        day = parse_day(flow.slots.preferred_date or "")
        start = parse_clock(flow.slots.preferred_time or "")
        refusal = self.rules.refuse_date(day, now) or self.rules.refuse_start(day, start, now)
        if refusal is None:
            return []
        flow.slots.preferred_time = None
        return [refusal]

    @staticmethod
    def _changes(flow: Flow, values: Mapping[str, str]) -> dict[str, str]:
        """The stated values that differ from what the flow holds (names compared without case)."""
        return {
            slot: value for slot, value in values.items() if (flow.slots.get(slot) or "").casefold() != value.casefold()
        }

    # --- availability ---------------------------------------------------------------------------

    async def _refuse_taken(self, day: date, start: time) -> Refusal | None:
        if (day.isoformat(), start.strftime("%H:%M")) in await self.calendar.taken(day, day):
            return Refusal("taken", f"{say_time(start)} on {say_date(day)} is already taken")
        return None

    async def _free_starts(self, day: date, now: datetime) -> list[time]:
        taken = await self.calendar.taken(day, day)
        return [
            start
            for start in self.rules.open_starts(day, now)
            if (day.isoformat(), start.strftime("%H:%M")) not in taken
        ]

    async def nearest_free(self, day: date, around: time | None, now: datetime) -> list[SlotOption]:
        """The free slots nearest to the requested one: that day first, then the following open days."""
        wanted = self.rules.alternatives
        same_day = await self._free_starts(day, now)
        if around is not None:
            minutes = around.hour * 60 + around.minute
            same_day.sort(key=lambda start: (abs(start.hour * 60 + start.minute - minutes), start))
        options = [SlotOption(day, start) for start in sorted(same_day[:wanted])]
        last = self.rules.last_day(now)
        following = day + timedelta(days=1)
        if len(options) < wanted and following <= last:
            taken = await self.calendar.taken(following, last)
            while len(options) < wanted and following <= last:
                options += [
                    SlotOption(following, start)
                    for start in self.rules.open_starts(following, now)
                    if (following.isoformat(), start.strftime("%H:%M")) not in taken
                ][: wanted - len(options)]
                following += timedelta(days=1)
        return options

    # --- replies --------------------------------------------------------------------------------

    async def _respond(
        self, flow: Flow, refusals: list[Refusal], alternatives: list[SlotOption] | None = None
    ) -> Decision:
        """Move to the first missing slot (or the read-back) and say so, with any refusal first."""
        missing = flow.slots.missing()
        flow.stage = WAITING_STAGE[missing[0]] if missing else Stage.CONFIRMATION
        parts = [sentence(f"Sorry, {say_list([r.reason for r in refusals], 'and')}")] if refusals else []
        if alternatives and missing:
            parts += [say_options(alternatives), "Which would you like, or is there another time that suits you?"]
        else:
            parts.append(self._ask(flow))
        decision = self._say(flow, " ".join(parts))
        decision.refusals = refusals
        decision.alternatives = alternatives or []
        return decision

    def _ask(self, flow: Flow) -> str:
        missing = flow.slots.missing()
        if not missing:
            return self._read_back(flow)
        slot = missing[0]
        if slot == "preferred_date":
            return "What day would you like to come in?"
        if slot == "preferred_time":
            starts = self.rules.slot_starts()
            on_day = f" on {say_date(parse_day(flow.slots.preferred_date))}" if flow.slots.preferred_date else ""
            return sentence(
                f"What time{on_day} would you like? Appointments start {self.rules.describe_grid()} "
                f"between {say_time(starts[0])} and {say_time(starts[-1])}"
            )
        if slot == "purpose":
            return "What would you like to talk about with the advisor?"
        return "And may I have your name, please?"

    def _read_back(self, flow: Flow) -> str:
        return f"Let me read that back: {self._summary(flow)}. Shall I book it?"

    @staticmethod
    def _summary(flow: Flow) -> str:
        slots = flow.slots
        day = parse_day(slots.preferred_date or "")
        start = parse_clock(slots.preferred_time or "")
        return (
            f"an advising appointment on {say_date(day)} at {say_time(start)} about {slots.purpose}, "
            f"for {slots.user_name}"
        )

    @staticmethod
    def _say(flow: Flow, reply: str) -> Decision:
        flow.prompt = reply
        return Decision(flow, reply)

    def _finish(self, flow: Flow, stage: Stage, reply: str) -> Decision:
        flow.stage = stage
        return self._say(flow, reply)


def say_options(options: list[SlotOption]) -> str:
    """``The nearest free times are 1 p.m., 1:30 p.m. or 3 p.m. on Thursday, February 19th.``"""
    noun = "time is" if len(options) == 1 else "times are"
    if all(option.day == options[0].day for option in options):
        times = say_list([say_time(option.start) for option in options])
        return f"The nearest free {noun} {times} on {say_date(options[0].day)}."
    spoken = say_list([f"{say_date(option.day)} at {say_time(option.start)}" for option in options])
    return f"The nearest free {noun} {spoken}."
