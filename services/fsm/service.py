"""The booking service as plain Python: dialogue turns and appointment management.

Each turn runs under the session's lock: load the flow from Redis, understand
the utterance, let the machine decide, write the booking to MongoDB when the
caller said yes, save the flow. Nothing is saved when a backend fails, so a
retried turn starts from the same state (a confirmation that hit a MongoDB
outage completes on retry, and the idempotency key keeps a retry from booking
twice).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.timing import StageTimer
from services.fsm import inputs
from services.fsm.acts import Act
from services.fsm.appointments import BOOKED, AppointmentStore, Draft, SlotTaken
from services.fsm.codes import normalize_code, spell
from services.fsm.flow import Appointment, Flow, Stage
from services.fsm.machine import BookingMachine, Decision, parse_clock, parse_day, say_options
from services.fsm.rules import BookingRules
from services.fsm.sessions import FlowStore
from services.fsm.speech import say_date, say_time, sentence
from services.fsm.understanding import understand


@dataclass
class TurnResult:
    decision: Decision
    stages: dict[str, float]
    total_ms: float


class BookingService:
    def __init__(self, rules: BookingRules, flows: FlowStore, appointments: AppointmentStore) -> None:
        self.rules = rules
        self.flows = flows
        self.appointments = appointments
        self.machine = BookingMachine(rules, appointments)

    # --- dialogue -------------------------------------------------------------------------------

    async def start(self, session_id: str, now: str = "", text: str = "") -> TurnResult:
        """Begin a new booking dialogue (replacing any earlier one of the session)."""
        session_id = inputs.session_id(session_id)
        text = inputs.utterance(text, required=False)
        clock = inputs.now(now, self.rules)
        timer = StageTimer()
        async with self.flows.locked(session_id):
            flow = Flow(session_id=session_id, flow_id=uuid.uuid4().hex)
            if text:
                decision = await self._advance(flow, text, clock, "", {}, timer)
            else:
                decision = self.machine.greet(flow)
            with timer.stage("save"):
                await self.flows.save(decision.flow)
        return TurnResult(decision, timer.stages, timer.elapsed_ms)

    async def turn(
        self, session_id: str, text: str, now: str = "", intent: str = "", entities: Mapping[str, str] | None = None
    ) -> TurnResult:
        session_id = inputs.session_id(session_id)
        text = inputs.utterance(text)
        clock = inputs.now(now, self.rules)
        timer = StageTimer()
        async with self.flows.locked(session_id):
            with timer.stage("load"):
                flow = await self._load(session_id)
            if flow.finished:
                decision = await self._after_the_end(flow, text, clock, intent)
            else:
                decision = await self._advance(flow, text, clock, intent, entities or {}, timer)
            with timer.stage("save"):
                await self.flows.save(decision.flow)
        return TurnResult(decision, timer.stages, timer.elapsed_ms)

    async def _advance(
        self, flow: Flow, text: str, now: datetime, intent: str, entities: Mapping[str, str], timer: StageTimer
    ) -> Decision:
        with timer.stage("understand"):
            utterance = understand(text, now, flow.expecting, intent, entities)
        with timer.stage("decide"):
            decision = await self.machine.advance(flow, utterance, now)
        if not decision.book:
            return decision
        slots = decision.flow.slots
        draft = Draft(
            date=slots.preferred_date or "",
            time=slots.preferred_time or "",
            purpose=slots.purpose or "",
            user_name=slots.user_name or "",
            session_id=flow.session_id,
        )
        try:
            with timer.stage("book"):
                appointment = await self.appointments.book(draft, idempotency_key=flow.flow_id)
        except SlotTaken:
            with timer.stage("decide"):
                return await self.machine.slot_lost(decision.flow, now)
        return self.machine.booked(decision.flow, appointment)

    async def _after_the_end(self, flow: Flow, text: str, now: datetime, intent: str) -> Decision:
        """A turn after the flow finished: "cancel that" right after booking cancels the booking."""
        if (
            flow.stage == Stage.COMPLETED
            and flow.appointment is not None
            and understand(text, now, None, intent).has(Act.CANCEL)
        ):
            cancelled = await self.appointments.cancel(flow.appointment.code)
            return self.machine.appointment_cancelled(flow, cancelled)
        return self.machine.repeat(flow)

    async def get(self, session_id: str) -> Flow:
        return await self._load(inputs.session_id(session_id))

    async def cancel_flow(self, session_id: str) -> Flow:
        """End a session's dialogue without booking; a completed booking stays (use cancel_appointment)."""
        session_id = inputs.session_id(session_id)
        async with self.flows.locked(session_id):
            flow = await self._load(session_id)
            if flow.finished:
                return flow
            cancelled = self.machine.cancelled(flow).flow
            await self.flows.save(cancelled)
        return cancelled

    async def _load(self, session_id: str) -> Flow:
        flow = await self.flows.load(session_id)
        if flow is None:
            raise NotFound(f"no booking dialogue for session {session_id!r} (never started or expired)")
        return flow

    # --- appointments ---------------------------------------------------------------------------

    async def list_appointments(
        self, code: str = "", user_name: str = "", day: str = "", include_cancelled: bool = False, limit: int = 0
    ) -> list[Appointment]:
        return await self.appointments.find(
            code=normalize_code(code) if code else "",
            user_name=inputs.person_name(user_name),
            day=inputs.day(day) if day else "",
            include_cancelled=include_cancelled,
            limit=inputs.list_limit(limit),
        )

    async def cancel_appointment(
        self, code: str = "", user_name: str = "", day: str = "", now: str = ""
    ) -> tuple[Appointment, str]:
        """Cancel by code, or by name and date when exactly one booking matches."""
        clock = inputs.now(now, self.rules)
        appointment = await self._identify(code, user_name, day)
        if appointment.status == BOOKED:
            self._refuse_if_started(appointment, clock, "cancelled")
        cancelled = await self.appointments.cancel(appointment.code)
        return cancelled, sentence(f"the appointment on {self._when(cancelled)} ({spell(cancelled.code)}) is cancelled")

    async def reschedule_appointment(self, code: str, day: str, start: str, now: str = "") -> tuple[Appointment, str]:
        clock = inputs.now(now, self.rules)
        code = normalize_code(code)
        new_day, new_start = parse_day(inputs.day(day)), parse_clock(inputs.clock(start))
        appointment = await self.appointments.get(code)
        self._refuse_if_started(appointment, clock, "moved")
        refusal = (
            self.rules.refuse_date(new_day, clock)
            or self.rules.refuse_time(new_start)
            or self.rules.refuse_start(new_day, new_start, clock)
        )
        if refusal is not None:
            raise InvalidInput(sentence(f"sorry, {refusal.reason}"))
        try:
            moved = await self.appointments.reschedule(
                appointment.code, new_day.isoformat(), new_start.strftime("%H:%M")
            )
        except SlotTaken:
            options = await self.machine.nearest_free(new_day, new_start, clock)
            offer = f" {say_options(options)}" if options else ""
            raise Conflict(f"Sorry, {say_time(new_start)} on {say_date(new_day)} is already taken.{offer}") from None
        return moved, sentence(f"the appointment {spell(moved.code)} is now on {self._when(moved)}")

    async def _identify(self, code: str, user_name: str, day: str) -> Appointment:
        if code:
            return await self.appointments.get(normalize_code(code))
        if not (user_name.strip() and day.strip()):
            raise InvalidInput("give the confirmation code, or the name and the date of the appointment")
        matches = await self.appointments.find(user_name=inputs.person_name(user_name), day=inputs.day(day))
        if not matches:
            raise NotFound(f"no booked appointment for {user_name.strip()} on {day.strip()}")
        if len(matches) > 1:
            raise InvalidInput(
                f"{len(matches)} appointments match {user_name.strip()} on {day.strip()}; give the confirmation code"
            )
        return matches[0]

    @staticmethod
    def _refuse_if_started(appointment: Appointment, now: datetime, participle: str) -> None:
        if datetime.fromisoformat(f"{appointment.date}T{appointment.time}") <= now:
            raise InvalidInput(
                f"the appointment on {appointment.date} at {appointment.time} has already started; "
                f"it can no longer be {participle}"
            )

    @staticmethod
    def _when(appointment: Appointment) -> str:
        return f"{say_date(parse_day(appointment.date))} at {say_time(parse_clock(appointment.time))}"
